-- Federated random forests ("federated": true): each partial state is a
-- forest fitted on its own rows (a fragment), the final model is the
-- weighted union of the fragments.  Held-out AUC against the central
-- forest, determinism in any merge order, no training row inside a
-- federated partial state, options in model_info, refused combinations and
-- damaged states.
BEGIN;
SELECT plan(32);

\i data/wdbc/load.sql
\i test/pgtap/lib/helpers.sql

-- Fold 0 of 5 is held out; the training rows are split into 2 and 4 partitions.
CREATE TEMP TABLE fed_train AS SELECT * FROM wdbc WHERE pmed.fold(id, 5) <> 0;
CREATE TEMP TABLE fed_test AS SELECT * FROM wdbc WHERE pmed.fold(id, 5) = 0;
CREATE TEMP TABLE fed_parts AS
SELECT k, abs(hashint4(id * 7919)) % k AS part,
       pmed.forest_train_partial(features, diagnosis, '{"federated": true, "trees": 100, "seed": 7}') AS state
FROM fed_train, (VALUES (2), (4)) ks(k)
GROUP BY k, abs(hashint4(id * 7919)) % k;
CREATE TEMP TABLE fed_models AS
SELECT k, pmed.train_from_partials(state ORDER BY part) AS model,
       (SELECT pmed.train_from_partials(state ORDER BY part DESC) FROM fed_parts q WHERE q.k = p.k) AS model_rev
FROM fed_parts p GROUP BY k;
CREATE TEMP TABLE fed_central AS
SELECT pmed.forest_train(features, diagnosis, '{"trees": 100, "seed": 7}') AS model FROM fed_train;

CREATE FUNCTION pg_temp.held_out_auc(m bytea) RETURNS float8 LANGUAGE sql AS
$$ SELECT pmed.auc(pmed.predict_proba(m, features), diagnosis = 'malignant') FROM fed_test $$;
-- model_info without what differs between two runs of one training (its time, hence the CRC)
CREATE FUNCTION pg_temp.info(m bytea) RETURNS jsonb LANGUAGE sql AS
$$ SELECT pmed.model_info(m) - 'training_seconds' - 'crc32c' $$;
-- The little-endian float8 bytes of a feature row (as a row store keeps them).
CREATE FUNCTION pg_temp.row_bytes(f float8[]) RETURNS bytea LANGUAGE sql AS $$
    SELECT string_agg(decode(array_to_string(ARRAY(
               SELECT lpad(to_hex(get_byte(float8send(v), 7 - i)), 2, '0') FROM generate_series(0, 7) i), ''), 'hex'),
           ''::bytea ORDER BY o)
    FROM unnest(f) WITH ORDINALITY u(v, o) $$;

-- Quality: within 0.01 held-out AUC of the central forest.
SELECT cmp_ok(abs(pg_temp.held_out_auc(f.model) - pg_temp.held_out_auc(c.model)), '<=', 0.01::float8,
              'federated forest of 2 partial states: held-out AUC within 0.01 of the central forest')
FROM fed_models f, fed_central c WHERE f.k = 2;
SELECT cmp_ok(abs(pg_temp.held_out_auc(f.model) - pg_temp.held_out_auc(c.model)), '<=', 0.01::float8,
              'federated forest of 4 partial states: held-out AUC within 0.01 of the central forest')
FROM fed_models f, fed_central c WHERE f.k = 4;
SELECT cmp_ok(pg_temp.held_out_auc(model), '>', 0.95::float8, 'federated forest of 4 partitions: held-out AUC above 0.95')
FROM fed_models WHERE k = 4;

-- Determinism: the same partitions in any merge order give the same model.
SELECT is(pg_temp.info(model), pg_temp.info(model_rev), 'two partitions merged in either order: the same model')
FROM fed_models WHERE k = 2;
SELECT is(pg_temp.info(model), pg_temp.info(model_rev), 'four partitions merged in either order: the same model')
FROM fed_models WHERE k = 4;
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(state ORDER BY md5(state::text)))
           FROM fed_parts WHERE k = 4),
          (SELECT pg_temp.info(model) FROM fed_models WHERE k = 4),
          'four partitions in a shuffled order: the same model');
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(s)) FROM (
               SELECT pmed.forest_train_partial(features, diagnosis, '{"federated": true, "trees": 100, "seed": 7}') AS s
               FROM (SELECT * FROM fed_train ORDER BY id DESC) t GROUP BY abs(hashint4(id * 7919)) % 4) x),
          (SELECT pg_temp.info(model) FROM fed_models WHERE k = 4),
          'the same rows in the same partitions, read in another order: the same trees');

-- model_info records the federation.
SELECT is(pmed.model_info(model) -> 'federated', 'true'::jsonb, 'model_info: federated') FROM fed_models WHERE k = 4;
SELECT is(pmed.model_info(model) -> 'partitions', '4'::jsonb, 'model_info: four partitions') FROM fed_models WHERE k = 4;
SELECT is((SELECT sum(v::int)::int FROM jsonb_array_elements_text(pmed.model_info(model) -> 'partition_rows') v),
          (SELECT count(*)::int FROM fed_train), 'model_info: the partitions'' rows add up to the training rows')
FROM fed_models WHERE k = 4;
SELECT is(pmed.model_info(model) -> 'trees', '400'::jsonb, 'the union keeps every tree: 4 x 100') FROM fed_models WHERE k = 4;
SELECT is(pmed.model_info(model) #>> '{options,federated}', 'true', 'model_info: the options as given') FROM fed_models WHERE k = 4;
SELECT is(pmed.model_info(model) -> 'max_depth', '12'::jsonb, 'federated default max_depth is 12') FROM fed_models WHERE k = 4;
-- union_trees caps the union, allocating trees to partitions by their rows.
SELECT is((SELECT sum(v::int)::int FROM jsonb_array_elements_text(pmed.model_info(model) -> 'partition_trees') v),
          400, 'model_info: trees per partition, 100 each') FROM fed_models WHERE k = 4;
SELECT is((SELECT (pmed.model_info(pmed.train_from_partials(state)) -> 'trees')::int FROM (
               SELECT pmed.forest_train_partial(features, diagnosis, '{"federated": true, "trees": 20, "union_trees": 30, "seed": 7}') AS state
               FROM fed_train GROUP BY abs(hashint4(id * 7919)) % 4) x),
          30, 'union_trees: 4 x 20 trees capped to 30');

-- TreeSHAP on the union: base value + contributions = predicted probability.
SELECT cmp_ok((SELECT max(abs(e.t - pmed.predict_proba(model, features))) FROM fed_test,
                      LATERAL (SELECT sum(contribution) AS t FROM pmed.explain(model, features)) e),
              '<', 1e-9::float8, 'explanations of the federated forest add up to its predictions')
FROM fed_models WHERE k = 2;

-- No training row inside a federated partial state; it does not grow with the rows.
SELECT is((SELECT count(*)::int FROM fed_train t, fed_parts p
           WHERE p.k = 2 AND p.part = abs(hashint4(t.id * 7919)) % 2 AND position(pg_temp.row_bytes(t.features) IN p.state) > 0),
          0, 'no feature row of the training rows is in the federated partial states');
SELECT is((SELECT count(*)::int FROM fed_train t, (
               SELECT abs(hashint4(id * 7919)) % 2 AS part, pmed.forest_train_partial(features, diagnosis, '{"trees": 100, "seed": 7}') AS state
               FROM fed_train GROUP BY 1) p
           WHERE p.part = abs(hashint4(t.id * 7919)) % 2 AND position(pg_temp.row_bytes(t.features) IN p.state) > 0),
          (SELECT count(*)::int FROM fed_train), '(a partial state that is not federated holds every row)');
SELECT cmp_ok((SELECT length(pmed.forest_train_partial(features, diagnosis, '{"federated": true, "trees": 20, "seed": 7}'))
               FROM fed_train, generate_series(1, 8)),
              '<', 2 * (SELECT length(pmed.forest_train_partial(features, diagnosis, '{"federated": true, "trees": 20, "seed": 7}'))
                        FROM fed_train),
              'eight times the rows: the federated state is less than twice the size');

-- Under one aggregate (serial or parallel) a federated request is one partition.
SELECT is(pmed.model_info(pmed.forest_train(features, diagnosis, '{"federated": true, "trees": 10}')) -> 'partitions',
          '1'::jsonb, 'forest_train with federated: one partition (all rows in one place)')
FROM fed_train;

-- Parallel query splits rows between workers differently from run to run:
-- its workers ship rows, and the model is the one-partition model of a
-- serial plan (the split never shapes a federated forest).
CREATE TABLE fed_big AS SELECT w.id + 1000 * g AS id, w.features, w.diagnosis
FROM wdbc w, generate_series(0, 7) g;
ANALYZE fed_big;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE fed_serial AS
SELECT pmed.forest_train(features, diagnosis, '{"federated": true, "trees": 10, "seed": 1}') AS m FROM fed_big;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of($$SELECT pmed.forest_train(features, diagnosis, '{"federated": true, "trees": 10, "seed": 1}') FROM fed_big$$),
               'Partial Aggregate', 'the forced plan trains with Partial Aggregate');
SELECT is((SELECT pg_temp.info(pmed.forest_train(features, diagnosis, '{"federated": true, "trees": 10, "seed": 1}')) FROM fed_big),
          (SELECT pg_temp.info(m) FROM fed_serial),
          'parallel plan: the same federated model as the serial plan, one partition');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- As a window aggregate the state keeps its rows (the fragment is made from a copy).
SELECT is((SELECT pg_temp.info(m) FROM (SELECT pmed.forest_train(features, diagnosis, '{"federated": true, "trees": 10, "seed": 1}') OVER () AS m
                                        FROM fed_train LIMIT 1) w),
          (SELECT pg_temp.info(pmed.forest_train(features, diagnosis, '{"federated": true, "trees": 10, "seed": 1}')) FROM fed_train),
          'as a window aggregate: the same federated model');
SELECT is((SELECT count(DISTINCT pg_temp.info(m))::int FROM (
               SELECT pmed.forest_train(features, diagnosis, '{"federated": true, "trees": 5}') OVER (ORDER BY id > 300) AS m FROM fed_train) w),
          2, 'a growing window frame: one model per frame');

-- Refused combinations and damaged states.
SELECT throws_ok($$SELECT pmed.svm_train_partial(features, diagnosis, '{"federated": true}') FROM fed_train$$,
                 '22023', 'unknown svm option "federated"', 'federated svm is refused');
SELECT throws_ok($$SELECT pmed.train_from_partials(s, 'svm') FROM (
                     SELECT pmed.train_partial(features, diagnosis, '{"federated": true, "trees": 5}') AS s FROM fed_train) x$$,
                 '22023', 'federated training is only for forests, not for svm models', 'federated rows merged as an svm are refused');
SELECT throws_ok($$SELECT pmed.train_from_partials(s) FROM (
                     SELECT pmed.forest_train_partial(features, CASE WHEN id % 3 = 0 AND id < 500 THEN 'c' ELSE diagnosis END,
                                                      '{"federated": true, "trees": 5}') AS s
                     FROM fed_train GROUP BY id < 500) x$$,
                 '22023', 'federated partition 1 of 2 has no row of class "c"', 'a partition that lacks a class is named');
SELECT throws_ok($$SELECT pmed.forest_train(jsonb_build_object('a', features[1]), diagnosis, '{"federated": true}') FROM fed_train$$,
                 '22023', 'invalid value for option "federated"', 'federated with named features is refused');
SELECT throws_ok($$SELECT pmed.forest_train(features, diagnosis, '{"federated": true, "search": {"trees": [5, 10]}}') FROM fed_train$$,
                 '22023', 'invalid value for option "federated"', 'federated with a cross-validated search is refused');
SELECT throws_ok($$SELECT pmed.forest_train(features, diagnosis, '{"union_trees": 5}') FROM fed_train$$,
                 '22023', 'invalid value for option "union_trees"', 'union_trees without federated is refused');

CREATE TEMP TABLE small_fed AS
SELECT pmed.forest_train_partial(features[1:2], diagnosis, '{"federated": true, "trees": 1, "max_depth": 2}') AS state
FROM wdbc WHERE id <= 40;
SELECT is(pg_temp.rejected_variants(state, 'cut', $$SELECT pmed.train_from_partials(%L)$$, '{XX001}'), length(state),
          'every truncation of a federated partial state is rejected (XX001)')
FROM small_fed;
SELECT is(pg_temp.rejected_variants(state, 'flip', $$SELECT pmed.train_from_partials(%L)$$, '{XX001}', 3),
          (length(state) * 8 + 2) / 3, 'every third single-bit flip of a federated partial state is rejected (XX001)')
FROM small_fed;

SELECT * FROM finish();
ROLLBACK;
