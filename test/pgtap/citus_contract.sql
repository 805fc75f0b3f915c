-- The Citus contract of the training aggregates, tested in plain PostgreSQL
-- (Citus is not installed here; README, "Scaling").  Citus pushes a custom
-- aggregate down to its workers only when its transition type is not a
-- pseudo-type, it has a combine function and no ORDER BY; on each worker it
-- checks the argument types against pg_proc.proargtypes OID for OID, runs
-- the transition function over the shard and writes the state with the
-- type's OUTPUT function; the coordinator reads every worker's text with the
-- INPUT function, combines and finalizes.
--   (a) the catalog: pmed.train_state everywhere, combine functions, the
--       concrete-label twins of every anyelement aggregate;
--   (b) the protocol per family: states of 4 disjoint shards as text, read
--       back, combined, finalized = one aggregate over all rows;
--   (c) the input function rejects every truncation and single-bit flip of
--       a state's text (22P02 bad text, XX001 damaged state), and the
--       untouched text round-trips exactly.
BEGIN;
SELECT plan(28);

SET client_min_messages = warning;
\i data/wdbc/load.sql
RESET client_min_messages;

-- ---- (a) catalog ----
CREATE TEMP VIEW training_aggs AS
SELECT p.oid, p.oid::regprocedure AS agg, a.*, t.typtype, t.typname
FROM pg_proc p
JOIN pg_aggregate a ON a.aggfnoid = p.oid
JOIN pg_type t ON t.oid = a.aggtranstype
WHERE p.pronamespace = 'pmed'::regnamespace
  AND (p.proname ~ '_train(_partial)?$' OR p.proname IN ('train_partial', 'train_from_partials',
                                                         'recommender_from_partials'));

SELECT cmp_ok((SELECT count(*)::int FROM training_aggs), '>=', 400,
              'the training, partial and recommender aggregates (with their concrete-label twins)');
SELECT is((SELECT array_agg(agg::text ORDER BY agg::text) FROM training_aggs
           WHERE typtype = 'p' OR typname <> 'train_state'), NULL,
          'every one has the non-pseudo transition type pmed.train_state');
SELECT is((SELECT array_agg(agg::text ORDER BY agg::text) FROM training_aggs WHERE aggcombinefn = 0),
          ARRAY['pmed.train_from_partials(bytea,text)'],
          'every one has a combine function (but the family-naming merge, which runs in one process)');
SELECT is((SELECT array_agg(DISTINCT aggcombinefn::regproc::text) FROM training_aggs WHERE aggcombinefn <> 0),
          ARRAY['pmed.train_combinefn'], 'one combine function for all, not strict')
WHERE NOT (SELECT proisstrict FROM pg_proc WHERE oid = 'pmed.train_combinefn'::regproc);
SELECT is((SELECT count(*)::int FROM training_aggs
           WHERE aggkind <> 'n' OR aggserialfn <> 0 OR aggdeserialfn <> 0 OR agginitval IS NOT NULL
              OR aggfinalextra), 0,
          'plain aggregates: no ORDER BY needed, no serial functions, no INITCOND, no FINALFUNC_EXTRA');
-- every anyelement aggregate over float8[] or jsonb features has its 8 concrete twins
SELECT is((SELECT array_agg(g.agg::text ORDER BY g.agg::text)
           FROM training_aggs g
           WHERE 'anyelement'::regtype = ANY ((SELECT proargtypes FROM pg_proc WHERE oid = g.oid)::regtype[])
             AND NOT 'record'::regtype = ANY ((SELECT proargtypes FROM pg_proc WHERE oid = g.oid)::regtype[])
             AND (SELECT count(*) FROM training_aggs c
                  JOIN unnest(ARRAY['boolean', 'smallint', 'integer', 'bigint', 'numeric', 'real',
                                    'double precision', 'text']::regtype[]) lab(t)
                    ON c.agg::text = replace(g.agg::text, 'anyelement', format_type(lab.t, NULL))
                  WHERE c.aggfinalfn = g.aggfinalfn AND c.aggcombinefn = g.aggcombinefn
                    AND (SELECT prosrc FROM pg_proc WHERE oid = c.aggtransfn)
                      = (SELECT prosrc FROM pg_proc WHERE oid = g.aggtransfn)) <> 8),
          NULL, 'every anyelement aggregate (float8[] or jsonb features) has its 8 concrete-label twins');
SELECT is((SELECT count(*)::int FROM training_aggs
           WHERE agg::text LIKE '%record%' AND agg::text NOT LIKE '%anyelement%'), 0,
          'the composite-row (record) aggregates get no twins');
-- PostgreSQL resolves a concrete label to its twin (Citus needs the exact
-- OIDs): a view over the call depends on the twin
CREATE TEMP VIEW smallint_call AS
SELECT pmed.forest_train(features, 1::smallint) FROM wdbc;
SELECT ok('pmed.forest_train(double precision[],smallint)'::regprocedure IN (
              SELECT d.refobjid FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
              WHERE r.ev_class = 'smallint_call'::regclass AND d.refclassid = 'pg_proc'::regclass),
          'a smallint label resolves to its smallint twin');

-- ---- (b) the protocol, family by family ----
-- A worker's state: the aggregate's own transition function, no final
-- function (the state itself comes out); the coordinator: the combine
-- function over states read back by the input function, then the family's
-- final function, as coord_combine_agg does.
CREATE AGGREGATE pg_temp.baseline_state(float8[], integer) (SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.svm_state(float8[], boolean, jsonb) (SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.forest_state(float8[], text, jsonb) (SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.forest_named_state(jsonb, text, jsonb) (SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.cf_state(bigint, bigint, float8, jsonb) (SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.content_state(bigint, float8[]) (SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.interactions_state(bigint, bigint) (SFUNC = pmed.interactions_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.cnn_state(float8[], integer, jsonb) (SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.rnn_state(float8[], double precision, jsonb) (SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state);
CREATE AGGREGATE pg_temp.partial_state(float8[], text) (SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state);
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['baseline', 'svm', 'forest', 'cf', 'content', 'interactions', 'cnn', 'rnn'] LOOP
        EXECUTE format('CREATE AGGREGATE pg_temp.%s_combine(pmed.train_state) (SFUNC = pmed.train_combinefn,
                            STYPE = pmed.train_state, FINALFUNC = pmed.%s_train_finalfn,
                            COMBINEFUNC = pmed.train_combinefn)', f, f);
    END LOOP;
END $$;

-- The model_info of a model, less what differs between two trainings of the same rows.
CREATE FUNCTION pg_temp.info(model bytea) RETURNS jsonb LANGUAGE sql AS
$$ SELECT pmed.model_info(model) - 'training_seconds' - 'crc32c' $$;

-- The model trained from the text form of per-shard states: statefn over
-- each shard of src (its column "shard"), ::text, ::pmed.train_state,
-- combinefn.  Also returns how many shard states there were.
CREATE FUNCTION pg_temp.via_text(src text, args text, family text, OUT model bytea, OUT shards int)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TEMP TABLE shard_text ON COMMIT DROP AS
                    SELECT shard, pg_temp.%s_state(%s)::text AS st FROM %s GROUP BY shard', family, args, src);
    EXECUTE 'SELECT count(*) FROM shard_text' INTO shards;
    EXECUTE format('SELECT pg_temp.%s_combine(st::pmed.train_state ORDER BY shard DESC) FROM shard_text',
                   regexp_replace(family, '_named$', '')) INTO model;
    DROP TABLE shard_text;
END $$;

CREATE TEMP TABLE w AS
SELECT id % 4 AS shard, features, (diagnosis = 'malignant')::int AS y_int, diagnosis = 'malignant' AS y_bool, diagnosis,
       jsonb_build_object('radius', features[1], 'texture', features[2],
                          'size', CASE WHEN features[4] > 700 THEN 'large' ELSE 'small' END) AS named
FROM wdbc;

SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('w', 'features, y_int', 'baseline')),
          (SELECT pg_temp.info(pmed.baseline_train(features, y_int)) FROM w),
          'baseline (integer label): 4 shard states through text = baseline_train over all rows');
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('w', $a$features, y_bool, '{"kernel": "linear"}'$a$, 'svm')),
          (SELECT pg_temp.info(pmed.svm_train(features, y_bool, '{"kernel": "linear"}')) FROM w),
          'svm (boolean label): through text = svm_train over all rows');
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('w', $a$features, diagnosis, '{"trees": 10, "seed": 4}'$a$, 'forest')),
          (SELECT pg_temp.info(pmed.forest_train(features, diagnosis, '{"trees": 10, "seed": 4}')) FROM w),
          'forest (text label): through text = forest_train over all rows');
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('w', $a$named, diagnosis, '{"trees": 10, "seed": 4}'$a$, 'forest_named')),
          (SELECT pg_temp.info(pmed.forest_train(named, diagnosis, '{"trees": 10, "seed": 4}')) FROM w),
          'forest on named jsonb features: through text = forest_train over all rows');

CREATE TEMP TABLE rx AS
SELECT (g % 40) % 4 AS shard, (g % 40)::bigint AS patient, ((g * 7) % 23)::bigint AS item, (1 + g % 3)::float8 AS weight
FROM generate_series(1, 600) g;
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('rx', $a$patient, item, weight, '{"method": "item_knn"}'$a$, 'cf')),
          (SELECT pg_temp.info(pmed.cf_train(patient, item, weight, '{"method": "item_knn"}')) FROM rx),
          'cf (item_knn): through text = cf_train over all rows');
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('rx', $a$patient, item, weight, '{"method": "als", "factors": 4, "seed": 2}'$a$, 'cf')),
          (SELECT pg_temp.info(pmed.cf_train(patient, item, weight, '{"method": "als", "factors": 4, "seed": 2}')) FROM rx),
          'cf (als): through text = cf_train over all rows');
CREATE TEMP TABLE items AS
SELECT g % 4 AS shard, g::bigint AS item, ARRAY[sin(g), cos(g), (g % 5)::float8] AS features
FROM generate_series(1, 30) g;
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('items', 'item, features', 'content')),
          (SELECT pg_temp.info(pmed.content_train(item, features)) FROM items),
          'content: through text = content_train over all rows');
CREATE TEMP TABLE pairs AS
SELECT g % 4 AS shard, g::bigint AS a, ((g * 3) % 17 + 1)::bigint AS b FROM generate_series(1, 50) g;
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('pairs', 'a, b', 'interactions')),
          (SELECT pg_temp.info(pmed.interactions_train(a, b)) FROM pairs),
          'interactions: through text = interactions_train over all rows');
CREATE TEMP TABLE sig AS
SELECT g % 4 AS shard, ARRAY(SELECT sin(g * 0.1 * k + (g % 2)) FROM generate_series(1, 16) k) AS signal,
       g % 2 AS rhythm
FROM generate_series(1, 40) g;
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('sig', $a$signal, rhythm, '{"epochs": 2, "seed": 1}'$a$, 'cnn')),
          (SELECT pg_temp.info(pmed.cnn_train(signal, rhythm, '{"epochs": 2, "seed": 1}')) FROM sig),
          'cnn: through text = cnn_train over all rows');
CREATE TEMP TABLE seqs AS
SELECT g % 4 AS shard, ARRAY[[g * 0.1, 1], [g * 0.2, 0], [g * 0.3, (g % 2)::float8]] AS history, g * 0.5 AS target
FROM generate_series(1, 40) g;
SELECT is((SELECT pg_temp.info(model) FROM pg_temp.via_text('seqs', $a$history, target, '{"epochs": 2, "seed": 1, "hidden_size": 4}'$a$, 'rnn')),
          (SELECT pg_temp.info(pmed.rnn_train(history, target, '{"epochs": 2, "seed": 1, "hidden_size": 4}')) FROM seqs),
          'rnn: through text = rnn_train over all rows');
-- The partial-state API is the same bytes: a *_train_partial bytea cast to
-- the type and back, and the state's text, agree.
SELECT is((SELECT (pmed.forest_train_partial(features, diagnosis)::pmed.train_state)::text FROM w WHERE shard = 1),
          (SELECT pg_temp.forest_state(features, diagnosis, NULL)::text FROM w WHERE shard = 1),
          'forest_train_partial (bytea) cast to pmed.train_state has the text form of the state');
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(st::pmed.train_state::bytea, 'forest'))
           FROM (SELECT shard, pg_temp.partial_state(features, diagnosis)::text AS st FROM w GROUP BY shard) s),
          (SELECT pg_temp.info(pmed.forest_train(features, diagnosis)) FROM w),
          'train_partial states through text, cast to bytea, merged by train_from_partials(state, family)');

-- ---- (c) the input function is a trust boundary ----
CREATE TEMP TABLE small AS
SELECT pg_temp.baseline_state(features[1:3], (diagnosis = 'malignant')::int)::text AS st
FROM (SELECT * FROM wdbc ORDER BY id LIMIT 4) x;
SELECT is((SELECT st::pmed.train_state::text FROM small), (SELECT st FROM small), 'the text form round-trips exactly');
SELECT is((SELECT st::pmed.train_state::bytea::pmed.train_state::text FROM small), (SELECT st FROM small),
          'so does the bytea cast');

-- the binary form (send, then receive: COPY BINARY through a server file)
CREATE TEMP TABLE binary_back (s pmed.train_state);
DO $$
DECLARE
    f text := format('/tmp/pmed_citus_contract_%s.bin', pg_backend_pid());
BEGIN
    EXECUTE format('COPY (SELECT st::pmed.train_state FROM small) TO %L (FORMAT binary)', f);
    EXECUTE format('COPY binary_back FROM PROGRAM %L (FORMAT binary)', format('cat %s && rm -f %s', f, f));
END $$;
SELECT is((SELECT s::text FROM binary_back), (SELECT st FROM small), 'the binary send/receive form round-trips exactly');

-- every truncation (22P02 when not base64 any more, XX001 otherwise) and
-- every single-bit flip of the text (22P02, XX001, or 22021 when the flip
-- leaves no valid UTF-8 to pass as text at all)
CREATE TEMP TABLE fuzz (how text, sqlstate text);
DO $$
DECLARE
    s text := (SELECT st FROM small);
    b bytea := convert_to((SELECT st FROM small), 'UTF8');
    v bytea;
BEGIN
    FOR i IN 0 .. length(s) - 1 LOOP
        BEGIN
            PERFORM substr(s, 1, i)::pmed.train_state;
            INSERT INTO fuzz VALUES ('cut', 'accepted');
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO fuzz VALUES ('cut', SQLSTATE);
        END;
    END LOOP;
    FOR i IN 0 .. length(b) * 8 - 1 LOOP
        v := set_bit(b, i, 1 - get_bit(b, i));
        BEGIN
            PERFORM convert_from(v, 'UTF8')::pmed.train_state;
            INSERT INTO fuzz VALUES ('flip', 'accepted');
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO fuzz VALUES ('flip', SQLSTATE);
        END;
    END LOOP;
END $$;
SELECT is((SELECT count(*)::int FROM fuzz WHERE how = 'cut' AND sqlstate IN ('22P02', 'XX001')),
          (SELECT length(st) FROM small), 'every truncation of the text is rejected with 22P02 or XX001');
SELECT is((SELECT count(*)::int FROM fuzz WHERE how = 'flip' AND sqlstate IN ('22P02', 'XX001', '22021')),
          (SELECT length(st) * 8 FROM small), 'every single-bit flip of the text is rejected');
SELECT ok((SELECT count(*) FILTER (WHERE sqlstate = 'XX001') > 0 AND count(*) FILTER (WHERE sqlstate = '22P02') > 0
           FROM fuzz WHERE how = 'flip'),
          'flips reach both checks: the base64 syntax (22P02) and the state validation (XX001)');
SELECT throws_ok($$SELECT 'not base64!'::pmed.train_state$$, '22P02',
                 'invalid input syntax for type pmed.train_state', 'text that is not base64: 22P02');
SELECT throws_ok($$SELECT 'AAAAAAAA'::pmed.train_state$$, 'XX001',
                 'invalid pmed training state', 'base64 of bytes that are not a state: XX001');

SELECT * FROM finish();
ROLLBACK;
