-- pgTAP: pmed.metric_state, the transition type of every metric, evaluation,
-- curve, threshold and recalibration aggregate, tested against the Citus
-- partial-aggregate contract without Citus: the catalog (non-pseudo STYPE,
-- combine function, no serial functions); the protocol (partial states of 4
-- disjoint slices -> OUTPUT text -> INPUT -> combine -> final equals one
-- aggregate over every row, for every aggregate); forced parallel plans
-- equal serial ones bit for bit; states hold statistics (sizes); every
-- truncation and bit flip of small states is rejected; a state of one
-- aggregate is refused by another.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
RESET client_min_messages;
SELECT plan(62);

\i test/pgtap/lib/helpers.sql

-- 40k rows, scores with ties (1001 distinct values of s), a continuous s2,
-- probabilities with exact 0s and 1s, text labels, some NULLs
CREATE TABLE ms_t AS
SELECT i,
       round(((i * 7919) % 10007) / 10007.0, 3)::float8 AS s,
       (((i * 7919) % 10007) / 10007.0 + ((i * 104729) % 7001) / 7001.0)::float8 AS s2,
       CASE WHEN i % 997 = 0 THEN NULL ELSE ((i * 7919) % 10007) + ((i * 104729) % 7001) > 8500 END AS y,
       least(1, greatest(0, ((i * 7919) % 10007) / 9000.0 - 0.05))::float8 AS p,
       ((i * 7919) % 10007) / 100.0::float8 AS pred,
       ((i * 104729) % 7001) / 70.0::float8 AS act,
       'c' || ((i * 7919) % 10007) % 3 AS lp,
       CASE WHEN i % 501 = 0 THEN NULL ELSE 'c' || (((i * 7919) % 10007) + ((i * 104729) % 7001)) % 4 % 3 END AS la
FROM generate_series(1::bigint, 40000) i;
ANALYZE ms_t;
-- a binary classifier for pmed.recalibrate
CREATE TABLE ms_model AS
SELECT pmed.forest_train(ARRAY[s, s2], y, '{"seed": 1, "trees": 10}') AS model
FROM ms_t WHERE i <= 600 AND y IS NOT NULL;

-- ---- catalog ----------------------------------------------------------------

CREATE TEMP VIEW ms_aggs AS
SELECT a.aggfnoid, a.aggtransfn, a.aggcombinefn, a.aggfinalfn, a.aggserialfn, a.aggdeserialfn,
       a.aggtranstype, t.typtype
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_type t ON t.oid = a.aggtranstype
WHERE p.pronamespace = 'pmed'::regnamespace
  AND (a.aggtransfn::text ~ '^pmed\.(metrics|eval|recal)_');
SELECT is((SELECT count(*)::int FROM ms_aggs), 24, 'catalog: 24 metric, evaluation and recalibration aggregates');
SELECT is((SELECT count(*)::int FROM ms_aggs WHERE aggtranstype = 'pmed.metric_state'::regtype AND typtype = 'b'),
          24, 'catalog: every one has STYPE pmed.metric_state, a base (non-pseudo) type');
SELECT is((SELECT count(*)::int FROM ms_aggs WHERE aggcombinefn <> 0 AND aggserialfn = 0 AND aggdeserialfn = 0),
          24, 'catalog: every one has a combine function and no serial / deserial function');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'pmed'::regnamespace AND a.aggtranstype = 'pmed.metric_state'::regtype
             AND (a.agginitval IS NOT NULL OR p.proparallel <> 's')), 0,
          'catalog: no INITCOND, every one PARALLEL SAFE');
SELECT is((SELECT typlen::int FROM pg_type WHERE oid = 'pmed.metric_state'::regtype), -1,
          'catalog: pmed.metric_state is a varlena');

-- ---- the Citus protocol, emulated ------------------------------------------
-- <name>_st: the aggregate's transition function alone (what a worker runs);
-- its result is the flat state, shipped as text.  <name>_co: the combine
-- function as transition plus the final function (what the coordinator runs).

CREATE FUNCTION pg_temp.protocol(label text, sfunc text, combinefn text, finalfn text,
                                 argtypes text, args text, agg text, project text DEFAULT '%s')
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    a text;
    b text;
BEGIN
    EXECUTE format('CREATE AGGREGATE pg_temp.%s_st(%s) (SFUNC = %s, STYPE = pmed.metric_state, COMBINEFUNC = %s)',
                   label, argtypes, sfunc, combinefn);
    EXECUTE format('CREATE AGGREGATE pg_temp.%s_co(pmed.metric_state) (SFUNC = %s, STYPE = pmed.metric_state, FINALFUNC = %s)',
                   label, combinefn, finalfn);
    EXECUTE format('SELECT (' || project || ')::text FROM (SELECT pg_temp.%s_co(st::pmed.metric_state) AS v FROM '
                   '(SELECT i %% 4 AS shard, pg_temp.%s_st(%s)::text AS st FROM ms_t GROUP BY 1) x) y',
                   'v', label, label, args) INTO a;
    EXECUTE format('SELECT (' || project || ')::text FROM (SELECT %s(%s) AS v FROM ms_t) y', 'v', agg, args) INTO b;
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE WARNING '% : combined % / single %', label, left(a, 200), left(b, 200);
        RETURN false;
    END IF;
    RETURN true;
END $$;

SELECT ok(pg_temp.protocol('auc', 'pmed.metrics_score_transfn', 'pmed.metrics_score_combine', 'pmed.metrics_auc_final',
                           'float8, boolean', 's, y', 'pmed.auc'), 'protocol: auc');
SELECT ok(pg_temp.protocol('prauc', 'pmed.metrics_score_transfn', 'pmed.metrics_score_combine', 'pmed.metrics_pr_auc_final',
                           'float8, boolean', 's2, y', 'pmed.pr_auc'), 'protocol: pr_auc');
SELECT ok(pg_temp.protocol('acc', 'pmed.metrics_accuracy_transfn', 'pmed.metrics_accuracy_combine', 'pmed.metrics_accuracy_final',
                           'text, text', 'lp, la', 'pmed.accuracy'), 'protocol: accuracy');
SELECT ok(pg_temp.protocol('cm', 'pmed.metrics_confusion_transfn', 'pmed.metrics_confusion_combine', 'pmed.metrics_confusion_final',
                           'text, text', 'lp, la', 'pmed.confusion_matrix'), 'protocol: confusion_matrix');
SELECT ok(pg_temp.protocol('rmse', 'pmed.metrics_rmse_transfn', 'pmed.metrics_sum_combine', 'pmed.metrics_rmse_final',
                           'float8, float8', 'pred, act', 'pmed.rmse'), 'protocol: rmse (bit for bit)');
SELECT ok(pg_temp.protocol('ll', 'pmed.metrics_log_loss_transfn', 'pmed.metrics_sum_combine', 'pmed.metrics_mean_final',
                           'float8, boolean', 'p, y', 'pmed.log_loss'), 'protocol: log_loss (bit for bit)');
SELECT ok(pg_temp.protocol('brier', 'pmed.metrics_brier_transfn', 'pmed.metrics_sum_combine', 'pmed.metrics_mean_final',
                           'float8, boolean', 'p, y', 'pmed.brier'), 'protocol: brier (bit for bit)');
SELECT ok(pg_temp.protocol('ci', 'pmed.eval_score_transfn', 'pmed.eval_combine', 'pmed.eval_auc_ci_final',
                           'float8, boolean', 's, y', 'pmed.auc_ci'), 'protocol: auc_ci');
SELECT ok(pg_temp.protocol('ci3', 'pmed.eval_score_param_transfn', 'pmed.eval_combine', 'pmed.eval_auc_ci_final',
                           'float8, boolean, float8', 's2, y, 0.9', 'pmed.auc_ci'), 'protocol: auc_ci with level');
SELECT ok(pg_temp.protocol('cmp', 'pmed.eval_pair_transfn', 'pmed.eval_combine', 'pmed.eval_auc_compare_final',
                           'float8, float8, boolean', 's, s2, y', 'pmed.auc_compare'), 'protocol: auc_compare');
SELECT ok(pg_temp.protocol('cal', 'pmed.eval_prob_transfn', 'pmed.eval_combine', 'pmed.eval_calibration_final',
                           'float8, boolean', 'p, y', 'pmed.calibration'), 'protocol: calibration');
SELECT ok(pg_temp.protocol('tm', 'pmed.eval_score_param_transfn', 'pmed.eval_combine', 'pmed.eval_threshold_metrics_final',
                           'float8, boolean, float8', 's, y, 0.5', 'pmed.threshold_metrics'), 'protocol: threshold_metrics');
SELECT ok(pg_temp.protocol('tf', 'pmed.eval_score_param_transfn', 'pmed.eval_combine', 'pmed.eval_threshold_for_final',
                           'float8, boolean, float8', 's, y, 0.95', 'pmed.threshold_for'), 'protocol: threshold_for');
SELECT ok(pg_temp.protocol('ts', 'pmed.eval_score_param_transfn', 'pmed.eval_combine', 'pmed.eval_threshold_for_specificity_final',
                           'float8, boolean, float8', 's2, y, 0.9', 'pmed.threshold_for_specificity'), 'protocol: threshold_for_specificity');
SELECT ok(pg_temp.protocol('roc', 'pmed.eval_score_transfn', 'pmed.eval_combine', 'pmed.eval_roc_curve_final',
                           'float8, boolean', 's2, y', 'pmed.roc_curve'), 'protocol: roc_curve');
SELECT ok(pg_temp.protocol('roc3', 'pmed.eval_score_int_transfn', 'pmed.eval_combine', 'pmed.eval_roc_curve_final',
                           'float8, boolean, int', 's, y, 50', 'pmed.roc_curve'), 'protocol: roc_curve with max_points');
SELECT ok(pg_temp.protocol('pr', 'pmed.eval_score_transfn', 'pmed.eval_combine', 'pmed.eval_pr_curve_final',
                           'float8, boolean', 's, y', 'pmed.pr_curve'), 'protocol: pr_curve');
SELECT ok(pg_temp.protocol('pr3', 'pmed.eval_score_int_transfn', 'pmed.eval_combine', 'pmed.eval_pr_curve_final',
                           'float8, boolean, int', 's2, y, 30', 'pmed.pr_curve'), 'protocol: pr_curve with max_points');
SELECT ok(pg_temp.protocol('cc', 'pmed.eval_prob_transfn', 'pmed.eval_combine', 'pmed.eval_calibration_curve_final',
                           'float8, boolean', 'p, y', 'pmed.calibration_curve'), 'protocol: calibration_curve');
SELECT ok(pg_temp.protocol('cc3', 'pmed.eval_prob_int_transfn', 'pmed.eval_combine', 'pmed.eval_calibration_curve_final',
                           'float8, boolean, int', 'p, y, 20', 'pmed.calibration_curve'), 'protocol: calibration_curve with bins');
SELECT ok(pg_temp.protocol('rf', 'pmed.recal_features_transfn', 'pmed.recal_combine', 'pmed.recal_final',
                           'bytea, float8[], boolean', '(SELECT model FROM ms_model), ARRAY[s, s2], y', 'pmed.recalibrate',
                           $$(pmed.model_info(%s)->'recalibration') - 'recalibrated_at'$$), 'protocol: recalibrate (features)');
SELECT ok(pg_temp.protocol('rfo', 'pmed.recal_features_transfn', 'pmed.recal_combine', 'pmed.recal_final',
                           'bytea, float8[], boolean, jsonb', $$(SELECT model FROM ms_model), ARRAY[s, s2], y, '{"method": "isotonic"}'$$,
                           'pmed.recalibrate', $$(pmed.model_info(%s)->'recalibration') - 'recalibrated_at'$$),
          'protocol: recalibrate (features, isotonic)');
SELECT ok(pg_temp.protocol('rs', 'pmed.recal_score_transfn', 'pmed.recal_combine', 'pmed.recal_final',
                           'bytea, float8, boolean', '(SELECT model FROM ms_model), p, y', 'pmed.recalibrate',
                           $$(pmed.model_info(%s)->'recalibration') - 'recalibrated_at'$$), 'protocol: recalibrate (scores)');
SELECT ok(pg_temp.protocol('rso', 'pmed.recal_score_transfn', 'pmed.recal_combine', 'pmed.recal_final',
                           'bytea, float8, boolean, jsonb', $$(SELECT model FROM ms_model), p, y, '{"method": "isotonic", "max_steps": 400}'$$,
                           'pmed.recalibrate', $$(pmed.model_info(%s)->'recalibration') - 'recalibrated_at'$$),
          'protocol: recalibrate (scores, isotonic)');

-- the combined state itself is the one-aggregate state, byte for byte (canonical form)
CREATE AGGREGATE pg_temp.rmse_all(pmed.metric_state) (SFUNC = pmed.metrics_sum_combine, STYPE = pmed.metric_state);
CREATE AGGREGATE pg_temp.auc_all(pmed.metric_state) (SFUNC = pmed.metrics_score_combine, STYPE = pmed.metric_state);
CREATE AGGREGATE pg_temp.cm_all(pmed.metric_state) (SFUNC = pmed.metrics_confusion_combine, STYPE = pmed.metric_state);
SELECT is((SELECT pg_temp.rmse_all(st::pmed.metric_state)::text FROM
             (SELECT i % 3 AS k, pg_temp.rmse_st(pred, act)::text AS st FROM ms_t GROUP BY 1) x),
          (SELECT pg_temp.rmse_st(pred, act)::text FROM ms_t), 'rmse: 3 combined states = the one state, byte for byte');
SELECT is((SELECT pg_temp.auc_all(st::pmed.metric_state)::text FROM
             (SELECT i % 7 AS k, pg_temp.auc_st(s, y)::text AS st FROM ms_t GROUP BY 1) x),
          (SELECT pg_temp.auc_st(s, y)::text FROM ms_t ORDER BY 1), 'auc: 7 combined states = the one state, byte for byte');
SELECT is((SELECT pg_temp.cm_all(st::pmed.metric_state)::text FROM
             (SELECT i % 5 AS k, pg_temp.cm_st(lp, la)::text AS st FROM ms_t GROUP BY 1) x),
          (SELECT pg_temp.cm_st(lp, la)::text FROM ms_t), 'confusion_matrix: 5 combined states = the one state, byte for byte');
-- a text round trip is exact
SELECT is((SELECT (pg_temp.auc_st(s, y)::text::pmed.metric_state)::text FROM ms_t),
          (SELECT pg_temp.auc_st(s, y)::text FROM ms_t), 'text -> pmed.metric_state -> text is the identity');

-- ---- what the states hold: statistics, not rows ------------------------------
SELECT is((SELECT pmed.metric_state_info(pg_temp.acc_st(lp, la)) FROM ms_t),
          '{"kind": "accuracy", "bytes": 36, "rows": 39921}'::jsonb, 'accuracy: 36 bytes for 39921 rows');
-- rmse: 16 header + 8 n + the exact sum (6 + 4 per 32-bit digit, here 4 digits) + 4 CRC
SELECT is((SELECT pmed.metric_state_info(pg_temp.rmse_st(pred, act)) FROM ms_t),
          '{"kind": "rmse", "bytes": 50, "rows": 40000}'::jsonb, 'rmse: 50 bytes (n and the exact sum) for 40000 rows');
-- a sum a double holds exactly is written as that double: 16 + 8 + 9 + 4
SELECT is((SELECT pmed.metric_state_info(pg_temp.rmse_st(i::float8, 0)) FROM generate_series(1, 1000) i),
          '{"kind": "rmse", "bytes": 37, "rows": 1000}'::jsonb, 'rmse: 37 bytes when the sum is an exact double');
SELECT is((SELECT pmed.metric_state_info(pg_temp.cm_st(lp, la)) - 'bytes' FROM ms_t),
          '{"kind": "confusion_matrix", "labels": 3, "pairs": 9}'::jsonb, 'confusion_matrix: 3 labels, 9 pairs');
SELECT is((SELECT (pmed.metric_state_info(pg_temp.auc_st(s, y)) ->> 'distinct_scores')::int FROM ms_t),
          (SELECT count(DISTINCT s)::int FROM ms_t WHERE y IS NOT NULL), 'auc: one count pair per distinct score');
SELECT is((SELECT (pmed.metric_state_info(pg_temp.auc_st(s, y)) ->> 'bytes')::int FROM ms_t),
          28 + 24 * (SELECT count(DISTINCT s)::int FROM ms_t WHERE y IS NOT NULL), 'auc: 24 bytes per distinct score');
SELECT is((SELECT pmed.metric_state_info(pg_temp.cmp_st(s, s2, y)) - 'bytes' - 'kind' FROM ms_t),
          (SELECT jsonb_build_object('positives', count(*) FILTER (WHERE y), 'negatives', count(*) FILTER (WHERE NOT y)) FROM ms_t),
          'auc_compare: keeps its rows (paired scores)');

-- ---- parallel plans give the serial bits --------------------------------------
CREATE TEMP VIEW ms_every AS
SELECT pmed.auc(s, y) AS auc, pmed.pr_auc(s2, y) AS ap, pmed.accuracy(lp, la) AS acc,
       pmed.confusion_matrix(lp, la) AS cm, pmed.rmse(pred, act) AS rmse, pmed.log_loss(p, y) AS ll,
       pmed.brier(p, y) AS brier, pmed.auc_ci(s2, y) AS ci, pmed.auc_compare(s, s2, y) AS cmp,
       pmed.calibration(p, y) AS cal, pmed.roc_curve(s, y, 40) AS roc, pmed.threshold_for(s, y, 0.9) AS tf,
       pmed.calibration_curve(p, y, 15) AS cc,
       (pmed.model_info(pmed.recalibrate((SELECT model FROM ms_model), p, y)) -> 'recalibration') - 'recalibrated_at' AS rs
FROM ms_t;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ms_serial AS SELECT * FROM ms_every;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;
SELECT alike(pg_temp.plan_of('SELECT * FROM ms_every', 'COSTS OFF'), '%Partial Aggregate%',
             'parallel settings: EXPLAIN shows Partial Aggregate');
SELECT matches(pg_temp.plan_of('SELECT * FROM ms_every', 'ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF'),
               'Workers Launched: [1-9]', 'parallel workers were launched');
CREATE TEMP TABLE ms_parallel AS SELECT * FROM ms_every;
SELECT is((SELECT ROW(p.*)::text FROM ms_parallel p), (SELECT ROW(s.*)::text FROM ms_serial s),
          'every aggregate: parallel = serial, bit for bit (rmse, log_loss and brier included)');
SELECT is((SELECT rmse FROM ms_parallel)::text, (SELECT rmse FROM ms_serial)::text, 'rmse: parallel = serial exactly');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- ---- values against independent references ------------------------------------
SELECT ok(abs((SELECT rmse FROM ms_serial) - (SELECT sqrt(avg((pred::numeric - act::numeric) ^ 2))::float8 FROM ms_t)) < 1e-13,
          'rmse equals the exact numeric computation');
SELECT ok(abs((SELECT brier FROM ms_serial) - (SELECT avg((p::numeric - y::int) ^ 2)::float8 FROM ms_t WHERE y IS NOT NULL)) < 1e-15,
          'brier equals the exact numeric computation');

-- ---- untrusted text: every truncation and bit flip is rejected ---------------
-- how many variants of t the cast to pmed.metric_state rejects with 22P02 / XX001
CREATE FUNCTION pg_temp.text_variants_rejected(t text, how text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    n int := 0;
    v text;
    c int;
BEGIN
    FOR i IN 0 .. (CASE how WHEN 'flip' THEN length(t) * 7 ELSE length(t) END) - 1 LOOP
        IF how = 'cut' THEN
            v := left(t, i);
        ELSE
            c := ascii(substr(t, i / 7 + 1, 1)) # (1 << (i % 7));
            v := overlay(t PLACING chr(c) FROM i / 7 + 1 FOR 1);
        END IF;
        BEGIN
            PERFORM v::pmed.metric_state;
        EXCEPTION WHEN invalid_text_representation OR data_corrupted THEN
            n := n + 1;
        END;
    END LOOP;
    RETURN n;
END $$;
-- the same on the flat bytes (re-encoded as canonical base64): the decoder
-- accepts the text, the validation must catch the damage
CREATE FUNCTION pg_temp.byte_variants_rejected(t text) RETURNS int LANGUAGE sql AS $$
SELECT pg_temp.rejected_variants(decode(t, 'base64'), 'flip',
       $q$SELECT translate(encode(%L::bytea, 'base64'), E'\n', '')::pmed.metric_state$q$, ARRAY['XX001'])
     + pg_temp.rejected_variants(decode(t, 'base64'), 'cut',
       $q$SELECT translate(encode(%L::bytea, 'base64'), E'\n', '')::pmed.metric_state$q$, ARRAY['XX001', '22P02'])
$$;
CREATE TEMP TABLE ms_small AS
SELECT 'accuracy' AS k, pg_temp.acc_st(lp, la)::text AS t FROM ms_t WHERE i <= 5
UNION ALL SELECT 'score', pg_temp.ci3_st(s, y, 0.9)::text FROM ms_t WHERE i <= 3
UNION ALL SELECT 'confusion', pg_temp.cm_st(lp, la)::text FROM ms_t WHERE i <= 2
UNION ALL SELECT 'sum', pg_temp.rmse_st(pred, act)::text FROM ms_t WHERE i <= 3
UNION ALL SELECT 'pairs', pg_temp.cmp_st(s, s2, y)::text FROM ms_t WHERE i <= 2;
SELECT is((SELECT sum(pg_temp.text_variants_rejected(t, 'cut'))::int FROM ms_small),
          (SELECT sum(length(t))::int FROM ms_small), 'every truncation of 5 small states'' text is rejected');
SELECT is((SELECT sum(pg_temp.text_variants_rejected(t, 'flip'))::int FROM ms_small),
          (SELECT sum(7 * length(t))::int FROM ms_small), 'every bit flip of 5 small states'' text is rejected');
SELECT is((SELECT sum(pg_temp.byte_variants_rejected(t))::int FROM ms_small),
          (SELECT sum(9 * length(decode(t, 'base64')))::int FROM ms_small),
          'every bit flip and truncation of their flat bytes is rejected (XX001)');
SELECT is((SELECT count(*)::int FROM ms_small WHERE t::pmed.metric_state::text = t), 5, 'the undamaged texts are accepted');
SELECT throws_ok($$SELECT 'not base64!'::pmed.metric_state$$, '22P02', NULL, 'bad text: 22P02');
SELECT throws_ok($$SELECT ''::pmed.metric_state$$, '22P02', NULL, 'empty text: 22P02');
SELECT throws_ok($$SELECT 'UE1TMQ=='::pmed.metric_state$$, 'XX001', NULL, 'a cut state: XX001');
SELECT throws_ok($$SELECT 'UE1TMQ==
'::pmed.metric_state$$, '22P02', NULL, 'whitespace is not canonical: 22P02');

-- ---- kind checks ------------------------------------------------------------
SELECT throws_ok($$SELECT pg_temp.auc_co(t::pmed.metric_state) FROM ms_small WHERE k = 'accuracy'$$, 'XX001',
                 NULL, 'an accuracy state is refused by auc''s final function');
SELECT throws_like($$SELECT pg_temp.auc_all(t::pmed.metric_state) FROM ms_small WHERE k IN ('accuracy', 'score')$$,
                   '%cannot combine a pmed.metric_state of kind "accuracy"%', 'mixing kinds in one combine is refused');
SELECT throws_ok($$SELECT pmed.metrics_rmse_final(t::pmed.metric_state) FROM ms_small WHERE k = 'confusion'$$, 'XX001',
                 'pmed.rmse cannot finish a pmed.metric_state of kind "confusion_matrix"', 'rmse refuses a confusion state');
SELECT throws_ok($$SELECT pmed.metrics_mean_final(pg_temp.rmse_st(pred, act)) FROM ms_t$$, 'XX001', NULL,
                 'log_loss / brier refuse an rmse state');
-- finals are plain functions of a state (a coordinator could call them)
SELECT is((SELECT pmed.metrics_auc_final(pg_temp.auc_st(s, y)::text::pmed.metric_state) FROM ms_t),
          (SELECT pmed.auc(s, y) FROM ms_t), 'a final function applied to a state read from text');
SELECT is(pmed.metrics_accuracy_final(NULL), NULL, 'a NULL state gives NULL');

-- ---- the same aggregates in window and grouped form ---------------------------
SELECT is((SELECT DISTINCT pmed.brier(p, y) OVER () FROM ms_t), (SELECT brier FROM ms_serial), 'window form: brier');
SELECT set_eq($$SELECT i % 3, pmed.auc(s, y)::text FROM ms_t GROUP BY 1$$,
              $$SELECT k, pg_temp.auc_co(st::pmed.metric_state)::text FROM
                (SELECT i % 3 AS k, i % 12 AS sh, pg_temp.auc_st(s, y)::text AS st FROM ms_t GROUP BY 1, 2) x GROUP BY 1$$,
              'grouped: per-group combine of shard states = the grouped aggregate');

SELECT * FROM finish();
ROLLBACK;
