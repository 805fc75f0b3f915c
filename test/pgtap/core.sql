-- Invariants of the foundation: serial and parallel plans train the same
-- model; every single-bit flip and every truncation of a real model is
-- rejected with SQLSTATE XX001; the server survives all of it.
BEGIN;
SELECT plan(16);
CREATE TEMP TABLE start_pid AS SELECT pg_backend_pid() AS pid;

\i data/wdbc/load.sql

\i test/pgtap/lib/helpers.sql


CREATE TEMP TABLE serial_model AS
SELECT pmed.baseline_train(features, diagnosis, '{"feature_names": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u","v","w","x","y","z","aa","bb","cc","dd"]}') AS model
FROM wdbc;

SELECT is(pg_temp.rejected_variants(model, 'flip', 'SELECT pmed.model_info(%L)', '{XX001}'),
          length(model) * 8, 'every single-bit flip of a model is rejected by model_info')
FROM serial_model;
SELECT is(pg_temp.rejected_variants(model, 'flip', 'SELECT pmed.predict(%L, array_fill(1::float8, ARRAY[30]))', '{XX001}'),
          length(model) * 8, 'every single-bit flip of a model is rejected by predict')
FROM serial_model;
SELECT is(pg_temp.rejected_variants(model, 'cut', 'SELECT pmed.model_info(%L)', '{XX001}'),
          length(model), 'every truncation of a model is rejected')
FROM serial_model;
SELECT throws_ok($$SELECT pmed.model_info(set_bit(model, 200, 1 - get_bit(model, 200))) FROM serial_model$$,
                 'XX001', 'invalid pmed model: checksum mismatch', 'a flipped payload bit names the checksum');

-- Serial and forced-parallel plans learn the same parameters.
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;

SELECT matches(pg_temp.plan_of($$SELECT pmed.baseline_train(features, diagnosis) FROM wdbc$$),
               'Partial Aggregate', 'training runs as a parallel partial aggregate');
SELECT is((SELECT pmed.model_info(pmed.baseline_train(features, diagnosis)) - 'training_seconds' - 'crc32c' FROM wdbc),
          (SELECT pmed.model_info(pmed.baseline_train(features, diagnosis)) - 'training_seconds' - 'crc32c' FROM wdbc WHERE id > 0 OR id IS NULL),
          'parallel training is repeatable');
CREATE TEMP TABLE parallel_model AS
SELECT pmed.baseline_train(features, diagnosis, '{"feature_names": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u","v","w","x","y","z","aa","bb","cc","dd"]}') AS model
FROM wdbc;
SELECT is(pmed.model_info(p.model) - 'training_seconds' - 'crc32c', pmed.model_info(s.model) - 'training_seconds' - 'crc32c',
          'serial and parallel plans give the same model')
FROM serial_model s, parallel_model p;

-- Regression means are bit-identical whatever the row order.
SELECT is((SELECT pmed.model_info(pmed.baseline_train(features, id::float8 / 7)) ->> 'parameters_crc32c' FROM wdbc),
          (SELECT pmed.model_info(pmed.baseline_train(features, id::float8 / 7 ORDER BY id DESC)) ->> 'parameters_crc32c' FROM wdbc),
          'row order does not change the learned mean by a single bit');
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;

-- Held-out evaluation: the baseline predicts the majority class, so its
-- accuracy on any split is that class's share.
SELECT is(round(avg((pmed.predict_label(m.model, w.features) = w.diagnosis)::int)::numeric, 4), 0.6274,
          'baseline accuracy on all rows is the benign share 357/569')
FROM serial_model m, wdbc w;

-- Options must be constant across rows (partial states are compared).
SELECT throws_ok($$SELECT pmed.baseline_train(features, diagnosis, json_build_object('seed', id)::jsonb) FROM wdbc$$,
                 '22023', 'training options must be the same for every row', 'options that change between rows are an error');
-- Models read straight from a table: inline-compressed and TOASTed values
-- take the cache paths keyed by the stored bytes and by the TOAST pointer;
-- two models alternating row by row must never be confused.
CREATE TEMP TABLE stored (name text, model bytea);
ALTER TABLE stored ALTER COLUMN model SET STORAGE MAIN;
INSERT INTO stored
SELECT 'priors' || k, pmed.baseline_train(features, diagnosis,
         jsonb_build_object('feature_names', (SELECT jsonb_agg(repeat('name', 30) || i) FROM generate_series(1, 30) i),
                            'positive', CASE k WHEN 1 THEN 'malignant' ELSE 'benign' END))
FROM wdbc, generate_series(1, 2) k GROUP BY k;
SELECT ok((SELECT bool_and(pg_column_compression(model) IS NOT NULL) FROM stored),
          'the stored models are compressed inline');
SELECT is((SELECT count(*)::int FROM stored s, wdbc w
           WHERE pmed.predict_proba(s.model, w.features) =
                 CASE s.name WHEN 'priors1' THEN 212.0 / 569 ELSE 357.0 / 569 END),
          2 * 569, 'alternating compressed models are each scored with their own parameters');
CREATE TEMP TABLE toasted (model bytea);
ALTER TABLE toasted ALTER COLUMN model SET STORAGE EXTERNAL;
INSERT INTO toasted SELECT model FROM stored ORDER BY name;
SELECT is((SELECT array_agg(DISTINCT round(pmed.predict_proba(t.model, w.features)::numeric, 6) ORDER BY round(pmed.predict_proba(t.model, w.features)::numeric, 6))
           FROM toasted t, wdbc w),
          ARRAY[0.372583, 0.627417], 'TOASTed models are each scored with their own parameters');
-- The per-backend cache outlives queries: replacing a stored model must
-- never leave the old one in use.
CREATE TEMP TABLE current_model (model bytea);
ALTER TABLE current_model ALTER COLUMN model SET STORAGE EXTERNAL;
INSERT INTO current_model SELECT model FROM stored WHERE name = 'priors1';
SELECT is(round(pmed.predict_proba(model, (SELECT features FROM wdbc WHERE id = 1))::numeric, 6), 0.372583,
          'one-row query with the first model') FROM current_model;
UPDATE current_model SET model = (SELECT model FROM stored WHERE name = 'priors2');
SELECT is(round(pmed.predict_proba(model, (SELECT features FROM wdbc WHERE id = 1))::numeric, 6), 0.627417,
          'the next query sees the replaced model') FROM current_model;
-- After every rejected variant above: still the same backend (no crash and
-- reconnect), and it still scores the intact model exactly.
SELECT is((SELECT (s.pid = pg_backend_pid(), round(pmed.predict_proba(m.model, w.features)::numeric, 6))::text
           FROM start_pid s, serial_model m, wdbc w WHERE w.id = 1),
          '(t,0.372583)', 'the same backend still scores the intact model after the rejected variants');

SELECT * FROM finish();
ROLLBACK;
