-- pgTAP: SVMs whose one-vs-one class pairs are solved by parallel workers
-- (pmed.fit_workers, src/parallel_fit.c) are the same model, byte for byte,
-- as the serial fit: four classes, RBF (with and without Platt
-- probabilities, missing values) and linear (with balanced class weights),
-- with 0, 1, 2 and 4 workers, under a parallel plan and inside a parallel
-- worker (where the guard keeps the fit serial).  test/cancel.sh checks
-- that workers are launched and that a cancel stops them.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
SELECT plan(11);

-- Launch workers for these small fits too.
SET LOCAL pmed.fit_workers_min_work = 0;

SELECT setseed(0.29);
CREATE TABLE sw AS
SELECT i, ARRAY[x1, x2, x3, x4] AS f,
       ARRAY[x1, CASE WHEN i % 6 = 0 THEN NULL ELSE x2 END, x3, x4] AS fm,
       CASE WHEN x1 + 0.3 * x3 > 0.25 THEN 'north' WHEN x2 - x4 > 0.1 THEN 'east'
            WHEN x1 * x2 > 0 THEN 'south' ELSE 'west' END AS cls
FROM (SELECT i, random() - 0.5 AS x1, random() - 0.5 AS x2, random() - 0.5 AS x3,
             random() - 0.5 AS x4
      FROM generate_series(1, 600) i) s;
ANALYZE sw;

-- A model without its training time (schema's last 8 bytes) and the
-- container checksum over it: every other byte must match.
CREATE FUNCTION pg_temp.sans_time(m bytea) RETURNS bytea LANGUAGE sql AS $$
    SELECT substring(m FROM 1 FOR 16) || substring(m FROM 21 FOR s) || substring(m FROM 29 + s)
    FROM (SELECT get_byte(m, 24) + get_byte(m, 25) * 256 + get_byte(m, 26) * 65536
                 + get_byte(m, 27) * 16777216 AS s) q
$$;

-- Four SVMs in one query: 6 class pairs each.
CREATE TEMP VIEW sw_train AS
SELECT pmed.svm_train(f, cls, '{"seed": 3}') AS rbf,
       pmed.svm_train(fm, cls, '{"seed": 3, "C": 4, "probability": false}') AS rbf_missing,
       pmed.svm_train(f, cls, '{"kernel": "linear", "seed": 3}') AS lin,
       pmed.svm_train(fm, cls, '{"kernel": "linear", "class_weight": "balanced", "probability": false}') AS lin_bal
FROM sw;

SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL pmed.fit_workers = 0;
CREATE TEMP TABLE sw_all AS SELECT 0 AS workers, 'serial' AS plan, * FROM sw_train;
SET LOCAL pmed.fit_workers = 1;
INSERT INTO sw_all SELECT 1, 'serial', * FROM sw_train;
SET LOCAL pmed.fit_workers = 2;
INSERT INTO sw_all SELECT 2, 'serial', * FROM sw_train;
SET LOCAL pmed.fit_workers = 4;
INSERT INTO sw_all SELECT 4, 'serial', * FROM sw_train;

-- A parallel plan: the final function runs in the leader, already in parallel mode.
\i test/pgtap/lib/helpers.sql
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL pmed.fit_workers = 2;
SELECT matches(pg_temp.plan_of('SELECT * FROM sw_train'), 'Gather',
               'the forced plan gathers partial states from workers');
INSERT INTO sw_all SELECT 2, 'parallel plan', * FROM sw_train;

-- The whole query in a parallel worker: no nested launch (the guard).
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_leader_participation = off;
SET LOCAL pmed.fit_workers = 4;
CREATE TEMP TABLE sw_wrk AS SELECT 4 AS workers, 'in a worker' AS plan, * FROM sw_train;
RESET force_parallel_mode;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;

CREATE TEMP VIEW sw_models AS
SELECT workers, plan, k.kind, k.model
FROM (SELECT * FROM sw_all UNION ALL SELECT * FROM sw_wrk) a,
     LATERAL (VALUES ('rbf', rbf), ('rbf, missing', rbf_missing), ('linear', lin),
                     ('linear, balanced', lin_bal)) k(kind, model);

SELECT is((SELECT count(*)::int FROM sw_models), 24, 'four SVMs with 0, 1, 2, 4 workers and two plans');
SELECT is((SELECT count(DISTINCT pg_temp.sans_time(model))::int FROM sw_models WHERE kind = k), 1,
          k || ': the same bytes with 0, 1, 2 and 4 workers, under a parallel plan and in a worker')
FROM unnest(ARRAY['rbf', 'rbf, missing', 'linear', 'linear, balanced']) k;
SELECT is((SELECT count(DISTINCT pmed.model_info(model) - '{training_seconds,crc32c}'::text[])::int
           FROM sw_models), 4, 'model_info is the same whatever the number of workers');
SELECT ok((SELECT bool_and(pmed.model_info(model)->>'multiclass' = 'one-vs-one'
                           AND jsonb_array_length(pmed.model_info(model)->'classes') = 4)
           FROM sw_models), 'every SVM has four classes, one-vs-one');
SELECT ok((SELECT bool_and((pmed.model_info(model)->>'support_vectors')::int > 50) FROM sw_models
           WHERE kind LIKE 'rbf%'), 'the RBF SVMs keep support vectors from every pair');
SELECT cmp_ok((SELECT avg((pmed.predict_label(s.rbf, f) = cls)::int)::float8
               FROM sw, (SELECT rbf FROM sw_all WHERE workers = 2 AND plan = 'serial') s), '>', 0.85::float8,
              'the RBF SVM fitted with 2 workers predicts its training classes');
SELECT is((SELECT count(DISTINCT pg_temp.sans_time(model))::int FROM sw_models), 4,
          'the comparison tells the four SVMs apart');

SELECT * FROM finish();
ROLLBACK;
