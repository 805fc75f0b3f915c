-- pgTAP: random forests under parallel plans, cancellation and error codes.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
SELECT plan(20);

SELECT setseed(0.42);
CREATE TABLE forest_tap AS
SELECT i, ARRAY[x1, x2, x3, CASE WHEN i % 11 = 0 THEN NULL ELSE x4 END] AS f,
       x1 + x2 * x3 + 0.3 * x4 > 0.2 AS y, x1 * 2 + x2 AS v
FROM (SELECT i, random() - 0.5 AS x1, random() - 0.5 AS x2, random() - 0.5 AS x3, random() - 0.5 AS x4
      FROM generate_series(1, 20000) i) s;
ANALYZE forest_tap;

-- Serial plan.
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TABLE forest_tap_serial AS
SELECT pmed.forest_train(f, y, '{"trees": 20, "seed": 3}') AS c,
       pmed.forest_train(f, v, '{"trees": 10, "seed": 3}') AS r
FROM forest_tap;

-- Forced parallel plan.
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;

\i test/pgtap/lib/helpers.sql

SELECT matches(pg_temp.plan_of($$SELECT pmed.forest_train(f, y, '{"trees": 20, "seed": 3}') FROM forest_tap$$),
               'Partial Aggregate', 'the forced plan trains with Partial Aggregate');
SELECT matches(pg_temp.plan_of($$SELECT pmed.forest_train(f, y, '{"trees": 20, "seed": 3}') FROM forest_tap$$),
               'Gather', 'the forced plan gathers from workers');

CREATE TABLE forest_tap_parallel AS
SELECT pmed.forest_train(f, y, '{"trees": 20, "seed": 3}') AS c,
       pmed.forest_train(f, v, '{"trees": 10, "seed": 3}') AS r
FROM forest_tap;

SELECT is((SELECT pmed.model_info(c)->>'parameters_crc32c' FROM forest_tap_parallel),
          (SELECT pmed.model_info(c)->>'parameters_crc32c' FROM forest_tap_serial),
          'classification: the parallel plan grows the same trees as the serial one');
SELECT is((SELECT pmed.model_info(r)->>'parameters_crc32c' FROM forest_tap_parallel),
          (SELECT pmed.model_info(r)->>'parameters_crc32c' FROM forest_tap_serial),
          'regression: the parallel plan grows the same trees as the serial one');
SELECT is((SELECT (pmed.model_info(c)->>'rows_used')::int FROM forest_tap_parallel), 20000,
          'every row reached the parallel forest');
SELECT is((SELECT count(*)::int FROM forest_tap, forest_tap_parallel p, forest_tap_serial s
           WHERE pmed.predict_proba(p.c, f) <> pmed.predict_proba(s.c, f)), 0,
          'parallel and serial forests give the same probabilities');

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- Quality on held-out generated rows and exact TreeSHAP additivity.
SELECT cmp_ok((SELECT avg((pmed.predict_label(c, f) = y::text)::int)::float8 FROM forest_tap, forest_tap_serial WHERE i <= 2000),
              '>', 0.85::float8, 'accuracy on the generated rows is above 0.85');
SELECT cmp_ok((SELECT max(abs(e.t - pmed.predict_proba(c, f))) FROM forest_tap, forest_tap_serial,
                      LATERAL (SELECT sum(contribution) AS t FROM pmed.explain(c, f)) e WHERE i <= 200),
              '<', 1e-9::float8, 'base_value + contributions = predict_proba on 200 rows');
SELECT cmp_ok((SELECT max(abs(e.t - pmed.predict(r, f))) FROM forest_tap, forest_tap_serial,
                      LATERAL (SELECT sum(contribution) AS t FROM pmed.explain(r, f)) e WHERE i <= 200),
              '<', 1e-9::float8, 'base_value + contributions = predict (regression) on 200 rows');

-- Error codes.
SELECT throws_ok($$SELECT pmed.forest_train(f, y, '{"trees": 1e9}') FROM forest_tap$$, '54000',
                 NULL, 'a huge number of trees is a program limit (54000)');
SELECT throws_ok($$SELECT pmed.forest_train(f, y, '{"max_depth": 100000}') FROM forest_tap$$, '22023',
                 NULL, 'a huge max_depth is an invalid option (22023)');
SELECT throws_ok($$SELECT pmed.forest_train(f, y, '{"leaves": 3}') FROM forest_tap$$, '22023',
                 NULL, 'an unknown option key (22023)');
SELECT throws_ok($$SELECT pmed.forest_train(ARRAY[1, NULL]::float8[], y) FROM forest_tap$$, '22023',
                 NULL, 'constant and all-NULL features (22023)');
SELECT throws_ok($$SELECT pmed.forest_train(f, true) FROM forest_tap$$, '22023',
                 NULL, 'one class (22023)');
SELECT throws_ok($$SELECT pmed.forest_train(f, CASE WHEN i = 7 THEN 'NaN'::float8 ELSE v END) FROM forest_tap$$, '22023',
                 NULL, 'a NaN label (22023)');
SELECT throws_ok($$SELECT pmed.forest_trees(pmed.baseline_train(f, y)) FROM forest_tap$$, '22023',
                 NULL, 'another kind of model where a forest is needed (22023)');
SELECT throws_ok($$SELECT pmed.forest_trees(pmed.svm_train(f[1:3], y, '{"kernel": "linear"}')) FROM forest_tap WHERE i <= 300$$, '22023',
                 'pmed.forest_trees needs a forest model, not a svm model', 'an SVM model where a forest is needed (22023)');
SELECT throws_ok($$SELECT pmed.predict(set_byte(c, 300, get_byte(c, 300) # 16), ARRAY[0, 0, 0, 0]::float8[]) FROM forest_tap_serial$$,
                 'XX001', NULL, 'a corrupted forest is rejected (XX001)');

-- Training is cancellable.
-- (throws_ok cannot see 57014; pg_temp.sqlstate_of in lib/helpers.sql can)
SET LOCAL statement_timeout = '300ms';
SELECT is(pg_temp.sqlstate_of($$SELECT pmed.forest_train(f, y, '{"trees": 5000, "mtry": 4}') FROM forest_tap$$),
          '57014', 'statement_timeout cancels a long training (57014)');
RESET statement_timeout;
SELECT pass('the session is usable after the cancelled training');

SELECT * FROM finish();
ROLLBACK;
