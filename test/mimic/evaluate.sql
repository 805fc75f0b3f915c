-- Held-out evaluation of the drug recommenders on the MIMIC-III demo admissions:
-- prints Jaccard, precision@10, recall@10, NDCG@10 and DDI rates per method.
-- Reads the data from $PMED_SHARED_DATA/mimic-iii-demo (default ../shared/data, see
-- test/mimic/load.sql); says "skipped" when it is absent.  Run from the repo root:
--   psql -f test/mimic/evaluate.sql
\i test/mimic/load.sql
\if :mimic_present
\i test/mimic/evaluate_setup.sql

SELECT method,
       count(*) AS admissions,
       round(avg(pmed.jaccard(rec, target))::numeric, 3) AS jaccard,
       round(avg(pmed.precision_at_k(rec, target, 10))::numeric, 3) AS precision_10,
       round(avg(pmed.recall_at_k(rec, target, 10))::numeric, 3) AS recall_10,
       round(avg(pmed.ndcg_at_k(rec, target, 10))::numeric, 3) AS ndcg_10,
       round(avg(pmed.ddi_rate(rec, d.model))::numeric, 4) AS ddi_rate,
       round(avg(pmed.ddi_rate(given || rec, d.model))::numeric, 4) AS regimen_ddi_rate
FROM ev_recs, ev_ddi d
GROUP BY method
ORDER BY precision_10 DESC, method;
\endif
