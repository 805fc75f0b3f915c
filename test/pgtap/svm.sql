-- SVM invariants: serial and forced-parallel plans train the same model;
-- held-out accuracy on WDBC at least libsvm's on the same split (within
-- one test row); training can be cancelled; corrupt SVM models rejected;
-- bad options and data raise the right SQLSTATE.
BEGIN;
SELECT plan(26);
CREATE TEMP TABLE start_pid AS SELECT pg_backend_pid() AS pid;

\i data/wdbc/load.sql

\i test/pgtap/lib/helpers.sql

-- ---- accuracy against libsvm ----
-- libsvm 3.x (svm-train, C = 1, gamma = 1/30, eps = 0.001) on the same split,
-- features standardized with the training rows' mean and population deviation
-- (test/bench/svm_libsvm_acc.py): rbf 102 of 105 test rows, linear kernel 101 of 105.
CREATE TEMP TABLE m AS
SELECT pmed.svm_train(features, diagnosis, '{"seed": 1}') AS rbf,
       pmed.svm_train(features, diagnosis, '{"kernel": "linear", "seed": 1}') AS lin
FROM wdbc WHERE pmed.fold(id, 5) <> 0;
CREATE TEMP TABLE acc AS
SELECT count(*) AS n,
       avg((pmed.predict_label(rbf, features) = diagnosis)::int) AS rbf,
       avg((pmed.predict_label(lin, features) = diagnosis)::int) AS lin
FROM m, wdbc WHERE pmed.fold(id, 5) = 0;
SELECT is(n, 105::bigint, 'the test fold has 105 rows') FROM acc;
SELECT cmp_ok(rbf::float8, '>=', 102.0::float8 / 105 - 1.0::float8 / n, 'rbf accuracy >= libsvm rbf (102/105) - 1/n_test') FROM acc;
SELECT cmp_ok(lin::float8, '>=', 101.0::float8 / 105 - 1.0::float8 / n, 'linear accuracy >= libsvm linear (101/105) - 1/n_test') FROM acc;
SELECT cmp_ok((SELECT pmed.auc(pmed.predict_proba(rbf, features), diagnosis = 'malignant')
               FROM m, wdbc WHERE pmed.fold(id, 5) = 0), '>=', 0.98::float8, 'rbf held-out AUC >= 0.98');

-- ---- metadata ----
SELECT is((pmed.model_info(rbf) ->> 'stores_training_rows')::boolean, true, 'rbf models store support vectors (patient rows)') FROM m;
SELECT is((pmed.model_info(lin) ->> 'stores_training_rows')::boolean, false, 'linear models store only w and b') FROM m;
SELECT cmp_ok((pmed.model_info(rbf) ->> 'support_vectors')::int, '>', 0, 'rbf support vectors counted') FROM m;

-- ---- explain ----
SELECT is(round((SELECT sum(contribution) FROM pmed.explain(lin, features))::numeric, 8),
          round(pmed.svm_decision(lin, features)::numeric, 8), 'linear: base_value + contributions = decision value')
FROM m, wdbc WHERE id = 42;
SELECT is(round((SELECT contribution FROM pmed.explain(rbf, w.features) WHERE feature = 0)::numeric, 8),
          round(pmed.svm_decision(rbf, (SELECT array_agg(a ORDER BY j) FROM (SELECT j, avg(features[j]) a FROM wdbc, generate_series(1, 30) j
                                        WHERE pmed.fold(id, 5) <> 0 GROUP BY j) s))::numeric, 8),
          'rbf: base_value = decision at the all-means point')
FROM m, wdbc w WHERE id = 42;

-- ---- serial = parallel ----
CREATE TEMP TABLE serial_m AS
SELECT pmed.svm_train(features, diagnosis, '{"seed": 5}') AS rbf,
       pmed.svm_train(features, diagnosis, '{"kernel": "linear", "seed": 5}') AS lin FROM wdbc;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of($$SELECT pmed.svm_train(features, diagnosis, '{"seed": 5}') FROM wdbc$$),
               'Partial Aggregate', 'svm training runs as a parallel partial aggregate');
CREATE TEMP TABLE parallel_m AS
SELECT pmed.svm_train(features, diagnosis, '{"seed": 5}') AS rbf,
       pmed.svm_train(features, diagnosis, '{"kernel": "linear", "seed": 5}') AS lin FROM wdbc;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
SELECT is(pmed.model_info(p.rbf) ->> 'parameters_crc32c', pmed.model_info(s.rbf) ->> 'parameters_crc32c',
          'rbf: serial and parallel plans learn the same parameters') FROM serial_m s, parallel_m p;
SELECT is(pmed.model_info(p.lin) ->> 'parameters_crc32c', pmed.model_info(s.lin) ->> 'parameters_crc32c',
          'linear: serial and parallel plans learn the same parameters') FROM serial_m s, parallel_m p;
SELECT is((SELECT count(*) FROM wdbc, serial_m s, parallel_m p
           WHERE pmed.predict_proba(s.rbf, features) <> pmed.predict_proba(p.rbf, features)
              OR pmed.svm_decision(s.lin, features) <> pmed.svm_decision(p.lin, features)), 0::bigint,
          'serial and parallel models predict identically on every row');

-- ---- corrupt models ----
SELECT throws_ok($$SELECT pmed.predict(substr(rbf, 1, length(rbf) - 9), features) FROM m, wdbc WHERE id = 1$$,
                 'XX001', NULL, 'a truncated svm model is rejected');
SELECT throws_ok($$SELECT pmed.predict(set_bit(lin, 8 * length(lin) - 3, 1 - get_bit(lin, 8 * length(lin) - 3)), features) FROM m, wdbc WHERE id = 1$$,
                 'XX001', NULL, 'a flipped bit in a linear svm model is rejected');

-- ---- bad input ----
SELECT throws_ok($$SELECT pmed.svm_train(features, diagnosis, '{"C": 0}') FROM wdbc$$, '22023', NULL, 'C = 0');
SELECT throws_ok($$SELECT pmed.svm_train(features, diagnosis, '{"gamma": -0.5}') FROM wdbc$$, '22023', NULL, 'gamma < 0');
SELECT throws_ok($$SELECT pmed.svm_train(features, diagnosis, '{"degree": 3}') FROM wdbc$$, '22023', NULL, 'unknown option');
SELECT throws_ok($$SELECT pmed.svm_train(features, 'x'::text) FROM wdbc$$, '22023', NULL, 'a single class');
SELECT throws_ok($$SELECT pmed.svm_train(features, CASE WHEN id = 3 THEN 'odd' ELSE diagnosis END) FROM wdbc$$,
                 '22023', 'too few rows for class "odd": 1', 'too few rows of a class');
SELECT throws_ok($$SELECT pmed.predict(rbf, features[1:29]) FROM m, wdbc WHERE id = 1$$, '22023', NULL, 'wrong feature count');
SELECT throws_ok($$SELECT pmed.svm_decision(pmed.baseline_train(features, diagnosis), ARRAY[1]::float8[]) FROM wdbc$$,
                 '22023', NULL, 'a non-svm model passed to pmed.svm_decision');
SELECT throws_ok($$SELECT pmed.svm_decision(pmed.forest_train(features, diagnosis, '{"trees": 2}'), ARRAY[1]::float8[]) FROM wdbc$$,
                 '22023', NULL, 'a forest model passed to pmed.svm_decision');
SELECT throws_ok($$SELECT pmed.svm_decision(pmed.cf_train(p, i), ARRAY[1]::float8[])
                   FROM (VALUES (1::bigint, 10::bigint), (1, 11), (2, 10), (2, 12), (3, 11)) t(p, i)$$,
                 '22023', NULL, 'a CF model passed to pmed.svm_decision');

-- ---- cancellation ----
CREATE TEMP TABLE big AS
SELECT i AS id, ARRAY(SELECT sin(i * 0.37 + j) + cos(i * 0.011 * j) FROM generate_series(1, 20) j WHERE i > 0) AS f,
       (sin(i * 0.37) + cos(i * 0.011) > 0.3) AS y
FROM generate_series(1, 8000) i;
-- throws_ok cannot catch a cancel: pg_temp.sqlstate_of (lib/helpers.sql) does.
SET LOCAL statement_timeout = '50ms';
CREATE TEMP TABLE cancel_result AS
SELECT pg_temp.sqlstate_of($$SELECT pmed.svm_train(f, y, '{"C": 100}') FROM big$$) AS state;
RESET statement_timeout;
SELECT is(state, '57014', 'statement_timeout cancels svm training (SQLSTATE 57014)') FROM cancel_result;
-- After the bad input and the cancel: still the same backend, and training
-- again gives a model that labels every row as the first rbf model does.
SELECT is((SELECT (bool_and(s.pid = pg_backend_pid()),
                   count(*) FILTER (WHERE pmed.predict_label(r.model, w.features) <> pmed.predict_label(m.rbf, w.features)),
                   count(*))::text
           FROM start_pid s, m, wdbc w,
                (SELECT pmed.svm_train(features, diagnosis, '{"seed": 1}') AS model
                 FROM wdbc WHERE pmed.fold(id, 5) <> 0) r),
          '(t,0,569)', 'after the cancel the same backend trains the same rbf model again');

SELECT * FROM finish();
ROLLBACK;
