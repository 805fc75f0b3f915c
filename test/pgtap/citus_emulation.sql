-- Every training aggregate run the way Citus runs a pushed-down aggregate,
-- in plain PostgreSQL: test/citus_emul (a test-only C module, built and
-- installed into the test server by test/lib.sh) reproduces Citus's
-- worker_partial_agg_sfunc/_ffunc and coord_combine_agg_sfunc/_ffunc: the
-- arguments wrapped in a ROW and type-checked against proargtypes, the
-- transition function called through a fresh FmgrInfo every row (no call
-- expression, no fn_extra), HandleTransition's keep-or-datumCopy rule, the
-- state written by the type's OUTPUT function on each "worker" (4 shards),
-- read by its INPUT function on the "coordinator", combined and finalized.
-- Each model must equal the plain aggregate's, with no state ever copied.
BEGIN;
SELECT plan(12);

SET client_min_messages = warning;
\i data/wdbc/load.sql
RESET client_min_messages;

CREATE FUNCTION pg_temp.worker_partial_agg_sfunc(internal, oid, anyelement) RETURNS internal
    AS '$libdir/citus_emul', 'worker_partial_agg_sfunc' LANGUAGE C;
CREATE FUNCTION pg_temp.worker_partial_agg_ffunc(internal) RETURNS cstring
    AS '$libdir/citus_emul', 'worker_partial_agg_ffunc' LANGUAGE C;
CREATE AGGREGATE pg_temp.worker_partial_agg(oid, anyelement) (
    SFUNC = pg_temp.worker_partial_agg_sfunc, STYPE = internal, FINALFUNC = pg_temp.worker_partial_agg_ffunc);
CREATE FUNCTION pg_temp.coord_combine_agg_sfunc(internal, oid, cstring, anyelement) RETURNS internal
    AS '$libdir/citus_emul', 'coord_combine_agg_sfunc' LANGUAGE C;
CREATE FUNCTION pg_temp.coord_combine_agg_ffunc(internal, oid, cstring, anyelement) RETURNS anyelement
    AS '$libdir/citus_emul', 'coord_combine_agg_ffunc' LANGUAGE C;
CREATE AGGREGATE pg_temp.coord_combine_agg(oid, cstring, anyelement) (
    SFUNC = pg_temp.coord_combine_agg_sfunc, STYPE = internal, FINALFUNC = pg_temp.coord_combine_agg_ffunc,
    FINALFUNC_EXTRA);
CREATE FUNCTION pg_temp.citus_emul_counters(OUT copies bigint, OUT transitions bigint)
    AS '$libdir/citus_emul', 'citus_emul_counters' LANGUAGE C;

CREATE FUNCTION pg_temp.info(model bytea) RETURNS jsonb LANGUAGE sql AS
$$ SELECT pmed.model_info(model) - 'training_seconds' - 'crc32c' $$;

-- the data: 4 shards of each table
CREATE TEMP TABLE w AS
SELECT id % 4 AS shard, features, features[1:2] AS f2, (diagnosis = 'malignant')::int AS y_int,
       diagnosis = 'malignant' AS y_bool, ((diagnosis = 'malignant')::int)::smallint AS y_small,
       diagnosis, features[3] AS y_float, features[3]::numeric AS y_num, features[4]::real AS y_real,
       jsonb_build_object('radius', features[1], 'texture', features[2],
                          'size', CASE WHEN features[4] > 700 THEN 'large' ELSE 'small' END) AS named
FROM wdbc;
CREATE TEMP TABLE rx AS
SELECT (g % 40) % 4 AS shard, (g % 40)::bigint AS patient, ((g * 7) % 23)::bigint AS item, (1 + g % 3)::float8 AS weight
FROM generate_series(1, 600) g;
CREATE TEMP TABLE hist AS
SELECT patient % 4 AS shard, array_agg(item ORDER BY item, weight) AS items, array_agg(weight ORDER BY item, weight) AS weights
FROM rx GROUP BY patient;
CREATE TEMP TABLE items AS
SELECT g % 4 AS shard, g::bigint AS item, ARRAY[sin(g), cos(g), (g % 5)::float8] AS features
FROM generate_series(1, 30) g;
CREATE TEMP TABLE pairs AS
SELECT g % 4 AS shard, g::bigint AS a, ((g * 3) % 17 + 1)::bigint AS b FROM generate_series(1, 50) g;
CREATE TEMP TABLE sig AS
SELECT g % 4 AS shard, ARRAY(SELECT sin(g * 0.1 * k + (g % 2)) FROM generate_series(1, 16) k) AS signal,
       ARRAY[g * 0.01, (g % 3)::float8]::float8[] AS statics, g % 2 AS rhythm,
       ARRAY[[g * 0.1, 1], [g * 0.2, 0], [g * 0.3, (g % 2)::float8]]::float8[] AS history, (g * 0.5)::float8 AS target
FROM generate_series(1, 40) g;

-- (aggregate, its arguments, the table); the plain call is agg(args)
CREATE TEMP TABLE cases (agg regprocedure, args text, src text);
INSERT INTO cases VALUES
 ('pmed.baseline_train(float8[], integer)', 'features, y_int', 'w'),
 ('pmed.baseline_train(float8[], double precision)', 'features, y_float', 'w'),
 ('pmed.baseline_train(float8[], text, jsonb)', $$features, diagnosis, '{"positive": "benign"}'::jsonb$$, 'w'),
 ('pmed.baseline_train(jsonb, boolean)', 'named, y_bool', 'w'),
 ('pmed.svm_train(float8[], boolean)', 'f2, y_bool', 'w'),
 ('pmed.svm_train(float8[], smallint, jsonb)', $$features, y_small, '{"kernel": "linear"}'::jsonb$$, 'w'),
 ('pmed.svm_train(jsonb, text, jsonb)', $$named, diagnosis, '{"kernel": "linear"}'::jsonb$$, 'w'),
 ('pmed.forest_train(float8[], text, jsonb)', $$features, diagnosis, '{"trees": 10, "seed": 3}'::jsonb$$, 'w'),
 ('pmed.forest_train(float8[], bigint, jsonb)', $$features, y_int::bigint, '{"trees": 5}'::jsonb$$, 'w'),
 ('pmed.forest_train(float8[], numeric, jsonb)', $$features, y_num, '{"trees": 5}'::jsonb$$, 'w'),
 ('pmed.forest_train(float8[], real, jsonb)', $$features, y_real, '{"trees": 5}'::jsonb$$, 'w'),
 ('pmed.forest_train(jsonb, text, jsonb)', $$named, diagnosis, '{"trees": 5}'::jsonb$$, 'w'),
 ('pmed.cf_train(bigint, bigint)', 'patient, item', 'rx'),
 ('pmed.cf_train(bigint, bigint, float8)', 'patient, item, weight', 'rx'),
 ('pmed.cf_train(bigint, bigint, float8, jsonb)', $$patient, item, weight, '{"method": "als", "factors": 4}'::jsonb$$, 'rx'),
 ('pmed.cf_train(bigint[], float8[])', 'items, weights', 'hist'),
 ('pmed.content_train(bigint, float8[])', 'item, features', 'items'),
 ('pmed.content_train(bigint, float8[], jsonb)', $$item, features, '{"standardize": true}'::jsonb$$, 'items'),
 ('pmed.interactions_train(bigint, bigint)', 'a, b', 'pairs'),
 ('pmed.cnn_train(float8[], integer, jsonb)', $$signal, rhythm, '{"epochs": 2, "seed": 1}'::jsonb$$, 'sig'),
 ('pmed.cnn_train(float8[], float8[], integer, jsonb)', $$signal, statics, rhythm, '{"epochs": 2, "seed": 1}'::jsonb$$, 'sig'),
 ('pmed.rnn_train(float8[], double precision, jsonb)', $$history, target, '{"epochs": 2, "seed": 1, "hidden_size": 4}'::jsonb$$, 'sig'),
 ('pmed.rnn_train(float8[], float8[], double precision, jsonb)', $$history, statics, target, '{"epochs": 2, "seed": 1, "hidden_size": 4}'::jsonb$$, 'sig');

-- Run one case the Citus way: 4 worker texts, then the coordinator.
CREATE FUNCTION pg_temp.emulate(agg regprocedure, args text, src text) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    model bytea;
    nargs int := (SELECT pronargs FROM pg_proc WHERE oid = agg);
BEGIN
    EXECUTE format('CREATE TEMP TABLE worker_text ON COMMIT DROP AS
                    SELECT shard, pg_temp.worker_partial_agg(%L::regprocedure, %s)::text AS st
                    FROM %s GROUP BY shard', agg, CASE WHEN nargs > 1 THEN format('ROW(%s)', args) ELSE args END, src);
    EXECUTE format('SELECT pg_temp.coord_combine_agg(%L::regprocedure, st::cstring, NULL::%s) FROM worker_text',
                   agg, (SELECT prorettype::regtype FROM pg_proc WHERE oid = agg)) INTO model;
    DROP TABLE worker_text;
    RETURN model;
END $$;

CREATE TEMP TABLE before AS SELECT * FROM pg_temp.citus_emul_counters();
CREATE FUNCTION pg_temp.plain_model(agg regprocedure, args text, src text) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    model bytea;
BEGIN
    EXECUTE format('SELECT pmed.%I(%s) FROM %s', (SELECT proname FROM pg_proc WHERE oid = agg), args, src) INTO model;
    RETURN model;
END $$;
CREATE TEMP TABLE results AS
SELECT c.agg AS agg, pg_temp.info(pg_temp.emulate(c.agg, c.args, c.src)) AS emulated,
       pg_temp.info(pg_temp.plain_model(c.agg, c.args, c.src)) AS plain
FROM cases c;

SELECT is((SELECT array_agg(agg::text ORDER BY agg::text) FROM results WHERE emulated IS DISTINCT FROM plain), NULL,
          'every case (' || (SELECT count(*) FROM results) || ' aggregates, every family) run the Citus way gives the plain aggregate''s model');
SELECT is((SELECT (SELECT copies FROM pg_temp.citus_emul_counters()) - copies FROM before), 0::bigint,
          'no state was ever copied by the keep-or-copy rule (the transition function returns the same read-write object)');
SELECT is((SELECT (SELECT transitions FROM pg_temp.citus_emul_counters()) - transitions FROM before),
          (SELECT sum(n)::bigint FROM (
              SELECT CASE src WHEN 'w' THEN 569 WHEN 'rx' THEN 600 WHEN 'items' THEN 30 WHEN 'pairs' THEN 50 WHEN 'hist' THEN 40 ELSE 40 END + 4 AS n
              FROM cases) s),
          'one transition per row on the workers, one combine per worker state on the coordinator');

-- The partial-state aggregates and train_from_partials (one argument: no ROW) too.
SELECT is(pg_temp.info(pmed.train_from_partials(pg_temp.emulate('pmed.forest_train_partial(float8[], text, jsonb)',
              $$features, diagnosis, '{"trees": 5, "seed": 2}'::jsonb$$, 'w'))),
          (SELECT pg_temp.info(pmed.forest_train(features, diagnosis, '{"trees": 5, "seed": 2}')) FROM w),
          'forest_train_partial the Citus way, merged by train_from_partials = forest_train');
SELECT is(pg_temp.info(pmed.train_from_partials(pg_temp.emulate('pmed.train_partial(float8[], boolean)', 'features, y_bool', 'w'), 'svm')),
          (SELECT pg_temp.info(pmed.svm_train(features, y_bool)) FROM w),
          'train_partial the Citus way, merged with a family = svm_train');
CREATE TEMP TABLE partial_rows AS
SELECT id % 4 AS shard, pmed.cf_train_partial(patient, item) AS state FROM (SELECT *, patient AS id FROM rx) r GROUP BY id % 7, id % 4;
SELECT is(pg_temp.info(pg_temp.emulate('pmed.train_from_partials(bytea)', 'state', 'partial_rows')),
          (SELECT pg_temp.info(pmed.cf_train(patient, item)) FROM rx),
          'train_from_partials(bytea) the Citus way (a single argument) = cf_train');

-- Why the concrete twins: Citus's worker type check refuses anyelement.
SELECT throws_ok($$SELECT pg_temp.emulate('pmed.forest_train(float8[], anyelement)', 'features, diagnosis', 'w')$$,
                 'worker_partial_agg_sfunc could not confirm type correctness',
                 'an anyelement aggregate fails the worker''s type check');
SELECT is((SELECT count(*)::int FROM results), (SELECT count(*)::int FROM cases), 'all cases ran');


-- A federated forest the Citus way: each worker's output function fits its
-- shard's rows into a fragment, so the texts the coordinator reads hold trees,
-- no rows, and the model is the union of 4 partitions.
CREATE TEMP TABLE fed_model AS
SELECT pg_temp.emulate('pmed.forest_train(float8[], text, jsonb)',
                       $$features, diagnosis, '{"trees": 20, "seed": 5, "federated": true}'::jsonb$$, 'w') AS m;
SELECT is((SELECT (pmed.model_info(m) ->> 'partitions')::int FROM fed_model), 4,
          'federated forest_train the Citus way: the output function fitted each worker''s rows (4 partitions)');
SELECT ok((SELECT pmed.auc(pmed.predict_proba(m, features), diagnosis = 'malignant') FROM w, fed_model) > 0.97,
          'federated forest of 4 Citus partitions separates the classes (training AUC > 0.97)');


-- The metric, evaluation and recalibration aggregates (pmed.metric_state)
-- the Citus way: every one gives the plain aggregate's answer.
CREATE TEMP TABLE scored AS
SELECT shard, features, y_bool, diagnosis, 1 / (1 + exp(-(features[1] - 14) / 2)) AS p,
       1 / (1 + exp(-(features[2] - 19) / 3)) AS p2,
       CASE WHEN features[1] > 15 THEN 'malignant' ELSE 'benign' END AS guess
FROM w;
CREATE TEMP TABLE recal_model AS SELECT pmed.baseline_train(features, diagnosis) AS m FROM w;
CREATE TEMP TABLE metric_cases (agg regprocedure, args text);
INSERT INTO metric_cases VALUES
 ('pmed.auc(float8, boolean)', 'p, y_bool'),
 ('pmed.pr_auc(float8, boolean)', 'p, y_bool'),
 ('pmed.accuracy(text, text)', 'guess, diagnosis'),
 ('pmed.confusion_matrix(text, text)', 'guess, diagnosis'),
 ('pmed.rmse(float8, float8)', 'p, p2'),
 ('pmed.log_loss(float8, boolean)', 'p, y_bool'),
 ('pmed.brier(float8, boolean)', 'p, y_bool'),
 ('pmed.auc_ci(float8, boolean, float8)', 'p, y_bool, 0.9::float8'),
 ('pmed.auc_compare(float8, float8, boolean)', 'p, p2, y_bool'),
 ('pmed.calibration(float8, boolean)', 'p, y_bool'),
 ('pmed.threshold_metrics(float8, boolean, float8)', 'p, y_bool, 0.5::float8'),
 ('pmed.threshold_for(float8, boolean, float8)', 'p, y_bool, 0.9::float8'),
 ('pmed.roc_curve(float8, boolean, integer)', 'p, y_bool, 20'),
 ('pmed.calibration_curve(float8, boolean, integer)', 'p, y_bool, 5'),
 ('pmed.recalibrate(bytea, float8[], boolean, jsonb)', $$m, features, y_bool, '{"method": "platt"}'::jsonb$$);
CREATE FUNCTION pg_temp.emulate_text(agg regprocedure, args text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    answer text;
    nargs int := (SELECT pronargs FROM pg_proc WHERE oid = agg);
BEGIN
    EXECUTE format('CREATE TEMP TABLE worker_text ON COMMIT DROP AS
                    SELECT shard, pg_temp.worker_partial_agg(%L::regprocedure, %s)::text AS st
                    FROM scored, recal_model GROUP BY shard', agg, CASE WHEN nargs > 1 THEN format('ROW(%s)', args) ELSE args END);
    EXECUTE format('SELECT pg_temp.coord_combine_agg(%L::regprocedure, st::cstring, NULL::%s)::text FROM worker_text',
                   agg, (SELECT prorettype::regtype FROM pg_proc WHERE oid = agg)) INTO answer;
    DROP TABLE worker_text;
    RETURN answer;
END $$;
CREATE FUNCTION pg_temp.plain_text(agg regprocedure, args text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    answer text;
BEGIN
    EXECUTE format('SELECT pmed.%I(%s)::text FROM scored, recal_model', (SELECT proname FROM pg_proc WHERE oid = agg), args) INTO answer;
    RETURN answer;
END $$;
CREATE TEMP TABLE metric_results AS
SELECT agg, emulated, plain FROM (
    -- a recalibrated model is compared by what it says (its bytes carry the fit time)
    SELECT agg, CASE WHEN e LIKE '\\x%' THEN pg_temp.info(e::bytea)::text ELSE e END AS emulated,
                CASE WHEN p LIKE '\\x%' THEN pg_temp.info(p::bytea)::text ELSE p END AS plain
    FROM (SELECT agg, pg_temp.emulate_text(agg, args) AS e, pg_temp.plain_text(agg, args) AS p FROM metric_cases) r) s;
SELECT is((SELECT array_agg(agg::text ORDER BY agg::text) FROM metric_results WHERE emulated IS DISTINCT FROM plain), NULL,
          'every metric, evaluation and recalibration case (' || (SELECT count(*) FROM metric_results) ||
          ') run the Citus way gives the plain aggregate''s answer, bit for bit');
SELECT diag(agg::text || ': emulated ' || left(coalesce(emulated, 'NULL'), 300) || ' plain ' || left(coalesce(plain, 'NULL'), 300))
FROM metric_results WHERE emulated IS DISTINCT FROM plain;
SELECT is((SELECT count(*) FROM metric_results WHERE plain IS NULL), 0::bigint, 'and every plain answer is a value');

SELECT * FROM finish();
ROLLBACK;
