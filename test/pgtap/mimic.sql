-- Drug recommendation on real data: the held-out evaluation of the MIMIC-III
-- Clinical Database Demo (item_knn and ALS beat popularity, the interaction
-- filter).  The data may not be in the repository: test/mimic/load.sql reads it
-- from $PMED_SHARED_DATA/mimic-iii-demo (default ../shared/data) and, when it is
-- absent, every test here is skipped with that reason (so a fresh clone passes).
BEGIN;
SELECT plan(9);

\i test/mimic/load.sql
\if :mimic_present
\i test/mimic/evaluate_setup.sql

CREATE TEMP TABLE ev_score AS
SELECT method, avg(pmed.precision_at_k(rec, target, 10)) AS p10,
       avg(pmed.recall_at_k(rec, target, 10)) AS r10,
       avg(pmed.ddi_rate(rec, (SELECT model FROM ev_ddi))) AS ddi
FROM ev_recs GROUP BY method;

SELECT is((SELECT count(*) FROM ev_cases), 26::bigint, 'one admission in five held out: 26 cases');
SELECT cmp_ok((SELECT p10 FROM ev_score WHERE method = 'item_knn'), '>',
              (SELECT p10 FROM ev_score WHERE method = 'popularity'),
              'item_knn beats popularity on precision@10 (MIMIC-III demo, held-out fold)');
SELECT cmp_ok((SELECT p10 FROM ev_score WHERE method = 'als'), '>',
              (SELECT p10 FROM ev_score WHERE method = 'popularity'),
              'ALS beats popularity on precision@10 (MIMIC-III demo, held-out fold)');
SELECT cmp_ok((SELECT r10 FROM ev_score WHERE method = 'item_knn'), '>',
              (SELECT r10 FROM ev_score WHERE method = 'popularity'),
              'item_knn beats popularity on recall@10');
SELECT is((SELECT count(*) FROM ev_recs WHERE rec && given), 0::bigint,
          'no recommendation repeats a drug the admission already has');
SELECT is((SELECT count(*) FROM ev_recs WHERE cardinality(rec) <> 10 AND method <> 'content'), 0::bigint,
          'ten recommendations per case');
SELECT is((SELECT ddi FROM ev_score WHERE method = 'item_knn + ddi filter'), 0::float8,
          'with the interaction filter the recommended drugs never interact with each other');
SELECT is((SELECT count(*) FROM ev_recs r, mimic_ddi d
           WHERE r.method = 'item_knn + ddi filter'
             AND ((d.drug_a = ANY (r.rec) AND d.drug_b = ANY (r.given || r.rec))
               OR (d.drug_b = ANY (r.rec) AND d.drug_a = ANY (r.given || r.rec)))), 0::bigint,
          'nor with the drugs the admission already has');

SELECT is((SELECT pmed.model_info(model) ->> 'items' FROM ev_models WHERE method = 'item_knn'),
          (SELECT count(DISTINCT drug_id)::text FROM ev_split WHERE NOT held_out),
          'model_info counts the training drugs');
\else
SELECT skip('skipped: ../shared/data/mimic-iii-demo not found (PMED_SHARED_DATA)', 9);
\endif

SELECT * FROM finish();
ROLLBACK;
