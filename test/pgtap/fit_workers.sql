-- pgTAP: forests whose trees are grown by parallel workers (pmed.fit_workers,
-- src/parallel_fit.c) are the same model, byte for byte, as the serial fit:
-- classification and regression, with and without missing values, native
-- categorical features from named columns, permutation importance, with 0,
-- 1, 2 and 4 workers, under a parallel plan and inside a parallel worker
-- (where the guard keeps the fit serial).  test/cancel.sh checks that workers
-- are launched and that a cancel stops them.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
SELECT plan(14);

-- Launch workers for these small fits too.
SET LOCAL pmed.fit_workers_min_work = 0;

SELECT setseed(0.17);
CREATE TABLE fw AS
SELECT i, ARRAY[x1, x2, x3, x4, x5, x6] AS f,
       ARRAY[x1, x2, CASE WHEN i % 7 = 0 THEN NULL ELSE x3 END, x4,
             CASE WHEN i % 5 = 0 THEN NULL ELSE x5 END, x6] AS fm,
       CASE WHEN x1 + x2 * x3 > 0.1 THEN 'a' WHEN x4 > 0.2 THEN 'b' ELSE 'c' END AS cls,
       x1 * 2 + x2 * x3 + 0.1 * x5 AS v,
       (ARRAY['red', 'green', 'blue', 'grey'])[1 + (i * 7) % 4] AS colour,
       CASE WHEN i % 9 = 0 THEN NULL ELSE (ARRAY['lo', 'mid', 'hi'])[1 + (i * 5) % 3] END AS grade
FROM (SELECT i, random() - 0.5 AS x1, random() - 0.5 AS x2, random() - 0.5 AS x3,
             random() - 0.5 AS x4, random() - 0.5 AS x5, random() - 0.5 AS x6
      FROM generate_series(1, 3000) i) s;
ANALYZE fw;

-- A model without its training time (schema's last 8 bytes) and the
-- container checksum over it: every other byte must match.
CREATE FUNCTION pg_temp.sans_time(m bytea) RETURNS bytea LANGUAGE sql AS $$
    SELECT substring(m FROM 1 FOR 16) || substring(m FROM 21 FOR s) || substring(m FROM 29 + s)
    FROM (SELECT get_byte(m, 24) + get_byte(m, 25) * 256 + get_byte(m, 26) * 65536
                 + get_byte(m, 27) * 16777216 AS s) q
$$;
CREATE FUNCTION pg_temp.info(m bytea) RETURNS jsonb LANGUAGE sql AS $$
    SELECT pmed.model_info(m) - '{training_seconds,crc32c}'::text[]
$$;

-- Six forests in one query.
CREATE TEMP VIEW fw_train AS
SELECT pmed.forest_train(f, cls, '{"trees": 12, "seed": 5}') AS c,
       pmed.forest_train(fm, cls, '{"trees": 12, "seed": 5}') AS cm,
       pmed.forest_train(f, v, '{"trees": 9, "seed": 5}') AS r,
       pmed.forest_train(fm, v, '{"trees": 9, "seed": 5, "replace": false}') AS rm,
       pmed.forest_train(jsonb_build_object('x1', f[1], 'x2', f[2], 'colour', colour, 'grade', grade),
                         cls, '{"trees": 10, "seed": 5}') AS nc,
       pmed.forest_train(fm, cls, '{"trees": 6, "seed": 5, "importance": "permutation"}') AS pi
FROM fw;

SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL pmed.fit_workers = 0;
CREATE TEMP TABLE fw_all AS SELECT 0 AS workers, 'serial' AS plan, * FROM fw_train;
SET LOCAL pmed.fit_workers = 1;
INSERT INTO fw_all SELECT 1, 'serial', * FROM fw_train;
SET LOCAL pmed.fit_workers = 2;
INSERT INTO fw_all SELECT 2, 'serial', * FROM fw_train;
SET LOCAL pmed.fit_workers = 4;
INSERT INTO fw_all SELECT 4, 'serial', * FROM fw_train;

-- A parallel plan: the final function runs in the leader, already in parallel mode.
\i test/pgtap/lib/helpers.sql
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL pmed.fit_workers = 2;
SELECT matches(pg_temp.plan_of('SELECT * FROM fw_train'), 'Gather',
               'the forced plan gathers partial states from workers');
CREATE TEMP TABLE fw_par AS SELECT 2 AS workers, 'parallel plan' AS plan, * FROM fw_train;

-- The whole query in a parallel worker: no nested launch (the guard).
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_leader_participation = off;
SET LOCAL pmed.fit_workers = 4;
SELECT matches(pg_temp.plan_of('SELECT * FROM fw_train'), 'Gather',
               'force_parallel_mode runs the training in a worker');
CREATE TEMP TABLE fw_wrk AS SELECT 4 AS workers, 'in a worker' AS plan, * FROM fw_train;
RESET force_parallel_mode;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;

CREATE TEMP VIEW fw_models AS
SELECT workers, plan, k.kind, k.model
FROM (SELECT * FROM fw_all UNION ALL SELECT * FROM fw_par UNION ALL SELECT * FROM fw_wrk) a,
     LATERAL (VALUES ('classification', c), ('classification, missing', cm), ('regression', r),
                     ('regression, missing', rm), ('categorical (named)', nc),
                     ('permutation importance', pi)) k(kind, model);

SELECT is((SELECT count(*)::int FROM fw_models), 36, 'six forests with 0, 1, 2, 4 workers and two plans');
SELECT is((SELECT count(DISTINCT pg_temp.sans_time(model))::int FROM fw_models WHERE kind = k), 1,
          k || ': the same bytes with 0, 1, 2 and 4 workers, under a parallel plan and in a worker')
FROM unnest(ARRAY['classification', 'classification, missing', 'regression', 'regression, missing',
                  'categorical (named)', 'permutation importance']) k;
SELECT is((SELECT count(DISTINCT pg_temp.info(model))::int FROM fw_models), 6,
          'model_info is the same whatever the number of workers');
SELECT ok((SELECT bool_and((pmed.model_info(model)->>'categorical_splits')::int > 0) FROM fw_models
           WHERE kind = 'categorical (named)'), 'the named forest splits categories natively');
SELECT ok((SELECT bool_and(pmed.model_info(model)->>'oob_error' IS NOT NULL
                           AND (pmed.model_info(model)->>'nodes')::int > 100) FROM fw_models),
          'every forest has grown trees and an out-of-bag error');
SELECT is((SELECT count(DISTINCT pg_temp.sans_time(model))::int FROM fw_models), 6,
          'the comparison tells the six forests apart');
SELECT is((SELECT max(length(model) - length(pg_temp.sans_time(model)))::int FROM fw_models), 12,
          'only the training time and the checksum are left out of the comparison');

SELECT * FROM finish();
ROLLBACK;
