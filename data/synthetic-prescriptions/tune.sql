-- Hyper-parameter grid for evaluate.sql on the SYNTHETIC prescriptions: every setting is
-- scored on held-out folds 1-4 (validation: "val"); fold 0 ("f0") is the test fold
-- reported in the README and is never used to choose.  Run from the repo root:
--   psql -f data/synthetic-prescriptions/tune.sql   (about 20 seconds)
\i data/synthetic-prescriptions/load.sql
CREATE TEMP TABLE t_split AS SELECT hadm_id, drug_id, pmed.fold(hadm_id, 5) AS fold FROM rx;
CREATE TEMP TABLE t_cases AS
WITH ranked AS (
    SELECT hadm_id, fold, drug_id, row_number() OVER (PARTITION BY hadm_id ORDER BY pmed.fold(hadm_id * 100000 + drug_id, 1000003, 7), drug_id) AS r,
           count(*) OVER (PARTITION BY hadm_id) AS n FROM t_split)
SELECT hadm_id, fold, array_agg(drug_id ORDER BY drug_id) FILTER (WHERE r <= n / 2) AS given,
       array_agg(drug_id ORDER BY drug_id) FILTER (WHERE r > n / 2) AS target FROM ranked GROUP BY hadm_id, fold HAVING count(*) >= 2;
CREATE TEMP TABLE t_opts AS
SELECT jsonb_build_object('method','als','factors',f,'alpha',a,'regularization',r,'seed',1) AS opts
FROM unnest(ARRAY[8,16,32]) f, unnest(ARRAY[1,5,20]) a, unnest(ARRAY[1,5,20]) r
UNION ALL SELECT jsonb_build_object('method','item_knn','neighbors',n,'shrinkage',s) FROM unnest(ARRAY[50,200,1000]) n, unnest(ARRAY[0,2,10]) s;
CREATE TEMP TABLE t_models AS SELECT o.opts, f.fold, (SELECT pmed.cf_train(hadm_id, drug_id, 1.0, o.opts) FROM t_split s WHERE s.fold <> f.fold) AS model
FROM t_opts o, generate_series(0,4) f(fold);
CREATE TEMP TABLE t_res AS SELECT opts, m.fold, avg(pmed.precision_at_k(ARRAY(SELECT item FROM pmed.recommend(model, given, 10)), target, 10))::numeric p10,
  avg(pmed.precision_at_k(ARRAY(SELECT item FROM pmed.recommend(model, -1::bigint, 10, given)), target, 10))::numeric pop
FROM t_models m JOIN t_cases c ON c.fold = m.fold GROUP BY 1,2;
SELECT opts::text AS o, round(avg(p10) FILTER (WHERE fold > 0),3) val, round(avg(pop) FILTER (WHERE fold>0),3) valpop,
  round(max(p10) FILTER (WHERE fold=0),3) f0, round(max(pop) FILTER (WHERE fold=0),3) f0pop, round(avg(p10),3) all5, round(avg(pop),3) allpop
FROM t_res GROUP BY opts ORDER BY opts->>'method', val DESC LIMIT 100;
