-- pmed.cnn_train / pmed.rnn_train: neural networks over signals and
-- sequences (issue 10): the SQL surface, model_info, explanations, errors.
\set VERBOSITY terse
SET client_min_messages = warning;
\i test/nn/signals.sql
\i data/nlme-pk/load.sql
\i test/nn/pk.sql
RESET client_min_messages;

-- A CNN on the synthetic signals (held out: i % 5 = 0).
CREATE TABLE nn_cnn AS
SELECT pmed.cnn_train(signal, rhythm, '{"epochs": 15, "seed": 1}') AS model
FROM nn_signals WHERE i % 5 <> 0;

SELECT i->>'kind' AS kind, i->>'task' AS task, i->'classes' AS classes, i->>'n_features' AS channels,
       i->>'signal_length' AS length, i->>'architecture' AS architecture,
       i->>'n_parameters' AS params, (i->>'memory_bytes')::int > 15000 AS memory,
       i->>'epochs_run' AS epochs, i->>'standardized' AS standardized,
       i->>'missing_masks' AS masks, i->>'rows_used' AS rows_used
FROM (SELECT pmed.model_info(model) AS i FROM nn_cnn) s;

-- The training curve: one entry per epoch; the training loss fell.
SELECT jsonb_array_length(i->'training_curve') = (i->>'epochs_run')::int AS one_per_epoch,
       (i->'training_curve'->-1->>'train_loss')::float8 < (i->'training_curve'->0->>'train_loss')::float8 AS loss_fell,
       (i->'training_curve'->((i->>'best_epoch')::int - 1)->>'validation_loss')::float8 = (i->>'validation_loss')::float8 AS best_is_kept
FROM (SELECT pmed.model_info(model) AS i FROM nn_cnn) s;

-- Held-out accuracy (3 balanced classes: chance is 1/3).
SELECT count(*) AS test_rows,
       avg((pmed.predict_label(model, signal) = rhythm)::int) >= 0.85 AS accurate
FROM nn_cnn, nn_signals WHERE i % 5 = 0;

-- Probabilities sum to 1; predict_label is the most probable class.
SELECT bool_and(abs(pmed.predict_proba(model, signal, 'slow') + pmed.predict_proba(model, signal, 'fast')
                    + pmed.predict_proba(model, signal, 'block') - 1) < 1e-9) AS sums_to_one,
       bool_and(pmed.predict_proba(model, signal, pmed.predict_label(model, signal))
                >= greatest(pmed.predict_proba(model, signal, 'slow'), pmed.predict_proba(model, signal, 'fast'),
                            pmed.predict_proba(model, signal, 'block'))) AS label_is_argmax
FROM nn_cnn, nn_signals WHERE i % 5 = 0;

-- The same signal as float8[][] (1 channel x 64) gives the same prediction.
SELECT pmed.predict_proba(model, signal, 'fast') = pmed.predict_proba(model, ARRAY[signal], 'fast') AS same
FROM nn_cnn, nn_signals WHERE i = 10;

-- explain: base_value + contributions = P(predicted class) within 0.01.
SELECT e.feature, e.name, e.value IS NOT NULL AS has_value
FROM nn_cnn, nn_signals, pmed.explain(model, signal) e WHERE i = 10 ORDER BY e.feature;
SELECT abs(sum(e.contribution) - pmed.predict_proba(model, signal, pmed.predict_label(model, signal))) < 0.01 AS complete
FROM nn_cnn, nn_signals, pmed.explain(model, signal) e WHERE i = 10 GROUP BY model, signal;
-- explain_steps: one row per sample; they sum to the channel's contribution.
SELECT count(*) AS rows, count(value) AS observed, min(step) AS first, max(step) AS last,
       abs(sum(contribution) - (SELECT contribution FROM pmed.explain(model, signal) WHERE feature = 1)) < 1e-9 AS sums
FROM nn_cnn, nn_signals, pmed.explain_steps(model, signal) WHERE i = 10 GROUP BY model, signal;

-- A GRU regression on the remifentanil histories (held out: id % 5 = 0):
-- its RMSE against the naive forecast (the last concentration measured).
CREATE TABLE nn_gru AS
SELECT pmed.rnn_train(history, target, '{"epochs": 20, "seed": 1, "hidden_size": 16}') AS model
FROM nn_pk WHERE id % 5 <> 0;
SELECT i->>'kind' AS kind, i->>'task' AS task, i->>'n_features' AS features, i->>'architecture' AS architecture,
       i->>'missing_masks' AS masks, i->>'rows_used' AS rows_used
FROM (SELECT pmed.model_info(model) AS i FROM nn_gru) s;
SELECT count(*) AS test_rows,
       sqrt(avg((pmed.predict(model, history) - target) ^ 2))
         < 0.8 * sqrt(avg((last_conc - target) ^ 2)) AS beats_naive_by_20pct
FROM nn_gru, nn_pk WHERE id % 5 = 0 AND last_conc IS NOT NULL;
-- explain on a regression model: base_value + contributions = the prediction.
SELECT abs(sum(e.contribution) - pmed.predict(model, history)) < 0.01 * greatest(1, abs(pmed.predict(model, history))) AS complete,
       count(*) AS rows
FROM nn_gru, nn_pk, pmed.explain(model, history) e WHERE (id, time) = (SELECT id, time FROM nn_pk WHERE id % 5 = 0 ORDER BY id, time OFFSET 10 LIMIT 1) GROUP BY model, history;

-- Binary classification with a boolean label; class_weight and options.
CREATE TABLE nn_bin AS
SELECT pmed.rnn_train(history, target > 10, '{"epochs": 3, "seed": 2, "layers": 2, "bidirectional": true,
       "class_weight": "balanced", "dropout": 0.1, "dense": [8, 8], "feature_names": ["before", "rate", "amt", "conc"]}') AS model
FROM nn_pk WHERE id % 5 <> 0;
SELECT i->>'positive_class' AS positive, i->'feature_names' AS names, i->>'architecture' AS architecture
FROM (SELECT pmed.model_info(model) AS i FROM nn_bin) s;
SELECT pmed.predict(model, history) IN (0, 1) AS zero_one,
       pmed.predict_proba(model, history) BETWEEN 0 AND 1 AS proba
FROM nn_bin, nn_pk WHERE (id, time) = (SELECT id, time FROM nn_pk WHERE id % 5 = 0 ORDER BY id, time OFFSET 10 LIMIT 1);
SELECT name FROM nn_bin, nn_pk, pmed.explain(model, history) WHERE (id, time) = (SELECT id, time FROM nn_pk WHERE id % 5 = 0 ORDER BY id, time OFFSET 10 LIMIT 1) ORDER BY feature;

-- Two channels (channels x samples) and partial states merged.
CREATE TABLE nn_two AS
SELECT pmed.train_from_partials(p) AS model FROM (
    SELECT pmed.cnn_train_partial(ARRAY[signal, signal], rhythm, '{"epochs": 2, "seed": 3, "filters": [4], "kernel_sizes": 3, "pooling": 1, "head": "max"}') AS p
    FROM nn_signals WHERE i % 2 = 0
    UNION ALL
    SELECT pmed.cnn_train_partial(ARRAY[signal, signal], rhythm, '{"epochs": 2, "seed": 3, "filters": [4], "kernel_sizes": 3, "pooling": 1, "head": "max"}')
    FROM nn_signals WHERE i % 2 = 1) s;
SELECT i->>'n_features' AS channels, i->>'rows_used' AS rows_used, i->>'architecture' AS architecture
FROM (SELECT pmed.model_info(model) AS i FROM nn_two) s;
-- same rows, one state: the same model
SELECT (SELECT pmed.model_info(model)->>'parameters_crc32c' FROM nn_two) =
       pmed.model_info(pmed.cnn_train(ARRAY[signal, signal], rhythm, '{"epochs": 2, "seed": 3, "filters": [4], "kernel_sizes": 3, "pooling": 1, "head": "max"}'))->>'parameters_crc32c' AS same_model
FROM nn_signals;

-- Bad input: each a clear error with its SQLSTATE.
CREATE FUNCTION nn_err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- wrong channel count
SELECT nn_err($q$SELECT pmed.predict(model, ARRAY[signal, signal]) FROM nn_cnn, nn_signals WHERE i = 1$q$);
-- wrong length
SELECT nn_err($q$SELECT pmed.predict(model, signal[1:32]) FROM nn_cnn, nn_signals WHERE i = 1$q$);
-- empty
SELECT nn_err($q$SELECT pmed.predict(model, '{}'::float8[]) FROM nn_cnn$q$);
-- 3-D
SELECT nn_err($q$SELECT pmed.predict(model, '{{{1}}}'::float8[]) FROM nn_cnn$q$);
-- ragged
SELECT nn_err($q$SELECT pmed.predict(model, '{{1,2},{3}}'::float8[]) FROM nn_cnn$q$);
-- NaN
SELECT nn_err($q$SELECT pmed.predict(model, array_fill(1::float8, ARRAY[64]) || 'NaN'::float8) FROM nn_cnn$q$);
-- Infinity
SELECT nn_err($q$SELECT pmed.predict(model, ARRAY[1, 'Infinity']::float8[]) FROM nn_gru$q$);
-- too long
SELECT nn_err($q$SELECT pmed.predict(model, array_fill(1::float8, ARRAY[10001, 4])) FROM nn_gru$q$);
-- no values
SELECT nn_err($q$SELECT pmed.predict(model, '{NULL,NULL}'::float8[]) FROM nn_gru$q$);
-- 3 features, not 4
SELECT nn_err($q$SELECT pmed.predict(model, '{{1,2,3}}'::float8[]) FROM nn_gru$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(signal, rhythm, '{"epochs": 0}') FROM nn_signals$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(signal, rhythm, '{"kernel_sizes": 4}') FROM nn_signals$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(signal, rhythm, '{"filters": [8, 8], "kernel_sizes": [3, 3, 3]}') FROM nn_signals$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(signal, rhythm, '{"pooling": 16, "filters": [4, 4]}') FROM nn_signals$q$);
SELECT nn_err($q$SELECT pmed.rnn_train(history, target, '{"layers": 3}') FROM nn_pk$q$);
SELECT nn_err($q$SELECT pmed.rnn_train(history, target, '{"dropout": 0.95}') FROM nn_pk$q$);
SELECT nn_err($q$SELECT pmed.rnn_train(history, target, '{"class_weight": "balanced"}') FROM nn_pk$q$);
SELECT nn_err($q$SELECT pmed.rnn_train(history, target > 10, '{"class_weight": [1, 2, 3]}') FROM nn_pk$q$);
SELECT nn_err($q$SELECT pmed.rnn_train(history, target, '{"filters": [8]}') FROM nn_pk$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(s, l) FROM (VALUES ('{1,2,3}'::float8[], 1), ('{1,2}'::float8[], 2)) v(s, l)$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(s, l) FROM (VALUES ('{{1,2,3}}'::float8[], 1), ('{{1,2,3},{4,5,6}}'::float8[], 2)) v(s, l)$q$);
SELECT nn_err($q$SELECT pmed.rnn_train(s, l) FROM (VALUES ('{{1,2}}'::float8[], 1), ('{{1,2,3}}'::float8[], 2)) v(s, l)$q$);
SELECT nn_err($q$SELECT pmed.rnn_train(s, l) FROM (VALUES ('{{1,NaN}}'::float8[], 1)) v(s, l)$q$);
SELECT nn_err($q$SELECT pmed.explain_steps(pmed.forest_train(ARRAY[x], x > 2), ARRAY[1.0]) FROM generate_series(1, 5) x$q$);
SELECT nn_err($q$SELECT pmed.predict(model, '{{1}}'::float8[]) FROM (SELECT pmed.forest_train(ARRAY[x], x > 2) AS model FROM generate_series(1, 5) x) s$q$);
SELECT nn_err($q$SELECT pmed.predict(substring(model from 1 for 100), signal) FROM nn_cnn, nn_signals WHERE i = 1$q$);
-- pmed.train_partial rows are feature vectors: not for the neural families
SELECT nn_err($q$SELECT pmed.train_from_partials(p, 'cnn') FROM (SELECT pmed.train_partial(ARRAY[x, 1], x > 2) AS p FROM generate_series(1, 5) x) s$q$);
-- an rnn state is not an svm state
SELECT nn_err($q$SELECT pmed.train_from_partials(p, 'svm') FROM (SELECT pmed.rnn_train_partial(ARRAY[[x, 1]], x > 2) AS p FROM generate_series(1, 5) x) s$q$);
-- statement_timeout stops training
SET statement_timeout = '300ms';
SELECT pmed.rnn_train(history, target, '{"epochs": 10000, "validation_fraction": 0}') FROM nn_pk;
RESET statement_timeout;

-- Static per-row inputs (RR intervals, age...) beside the signal or sequence:
-- here the class depends only on the static value s, not on the waveform.
CREATE TABLE nn_st AS
SELECT i, ARRAY(SELECT sin(t / 3.0 + i) FROM generate_series(1, 24) t)::float8[] AS sig,
       ARRAY[((i * 7919) % 1000) / 500.0 - 1.0, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 END]::float8[] AS st,
       ((i * 7919) % 1000) / 500.0 - 1.0 > 0 AS y
FROM generate_series(1, 300) i;
CREATE TABLE nn_stm AS
SELECT pmed.cnn_train(sig, st, y, '{"epochs": 20, "filters": [4], "kernel_sizes": [3], "seed": 1, "static_names": ["score", "grade"]}')
         FILTER (WHERE i % 5 <> 0) AS cnn,
       pmed.rnn_train(ARRAY[sig[1:6]], st, y, '{"epochs": 20, "hidden_size": 4, "seed": 1}')
         FILTER (WHERE i % 5 <> 0) AS rnn
FROM nn_st;
SELECT i->>'n_static' AS n_static, i->'static_names' AS names, i->>'architecture' AS architecture,
       i->>'explanation_baseline' AS baseline
FROM (SELECT pmed.model_info(cnn) AS i FROM nn_stm) s;
SELECT i->>'n_static' AS n_static, i->'static_names' AS names, i->>'architecture' AS architecture
FROM (SELECT pmed.model_info(rnn) AS i FROM nn_stm) s;
-- held out: the statics carry the class
SELECT avg((pmed.predict_label(cnn, sig, st) = y::text)::int) >= 0.9 AS cnn_accurate,
       avg((pmed.predict_label(rnn, ARRAY[sig[1:6]], st) = y::text)::int) >= 0.9 AS rnn_accurate,
       bool_and(pmed.predict(cnn, sig, st) = (pmed.predict_proba(cnn, sig, st) >= 0.5)::int) AS predict_agrees,
       bool_and(pmed.predict_proba(cnn, sig, st, 'false') + pmed.predict_proba(cnn, sig, st, 'true') - 1 < 1e-12) AS proba_sums
FROM nn_stm, nn_st WHERE i % 5 = 0;
-- explain: the statics are extra rows; base_value + contributions = P(true) within 0.01
SELECT e.feature, e.name, e.value IS NULL AS missing
FROM nn_stm, nn_st, pmed.explain(cnn, sig, st) e WHERE i = 5 ORDER BY e.feature;
SELECT count(*) AS rows_checked FROM (
  SELECT abs(sum(e.contribution) - pmed.predict_proba(cnn, sig, st)) AS gap
  FROM nn_stm, nn_st, pmed.explain(cnn, sig, st) e WHERE i % 5 = 0 AND i <= 100 GROUP BY i, cnn, sig, st) s
WHERE gap < 0.01;
SELECT count(*) AS rows_checked FROM (
  SELECT abs(sum(e.contribution) - pmed.predict_proba(rnn, ARRAY[sig[1:6]], st)) AS gap
  FROM nn_stm, nn_st, pmed.explain(rnn, ARRAY[sig[1:6]], st) e WHERE i % 5 = 0 AND i <= 100 GROUP BY i, rnn, sig, st) s
WHERE gap < 0.01;
SELECT count(*) AS steps, count(DISTINCT feature) AS features
FROM nn_stm, nn_st, pmed.explain_steps(rnn, ARRAY[sig[1:6]], st) WHERE i = 5;
-- partial states with statics merge into the same model
SELECT pmed.model_info(pmed.train_from_partials(p))->>'parameters_crc32c' =
       (SELECT pmed.model_info(pmed.rnn_train(ARRAY[sig[1:6]], st, y, '{"epochs": 2, "hidden_size": 4}'))->>'parameters_crc32c' FROM nn_st) AS same
FROM (SELECT pmed.rnn_train_partial(ARRAY[sig[1:6]], st, y, '{"epochs": 2, "hidden_size": 4}') AS p FROM nn_st) s;
-- errors
SELECT nn_err($q$SELECT pmed.predict(cnn, sig) FROM nn_stm, nn_st WHERE i = 1$q$);
SELECT nn_err($q$SELECT pmed.explain_steps(cnn, sig) FROM nn_stm, nn_st WHERE i = 1$q$);
SELECT nn_err($q$SELECT pmed.predict(model, signal, '{1}'::float8[]) FROM nn_cnn, nn_signals WHERE i = 1$q$);
SELECT nn_err($q$SELECT pmed.predict_proba(cnn, sig, st || 1::float8) FROM nn_stm, nn_st WHERE i = 1$q$);
SELECT nn_err($q$SELECT pmed.explain(cnn, sig, '{}'::float8[]) FROM nn_stm, nn_st WHERE i = 1$q$);
SELECT nn_err($q$SELECT pmed.predict(pmed.forest_train(ARRAY[x], x > 2), ARRAY[1.0], ARRAY[1.0]) FROM generate_series(1, 5) x$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(sig, CASE WHEN i = 9 THEN st || 1::float8 ELSE st END, y) FROM nn_st$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(sig, CASE WHEN i = 9 THEN '{NaN,1}' ELSE st END, y) FROM nn_st$q$);
SELECT nn_err($q$SELECT pmed.rnn_train(ARRAY[sig[1:6]], CASE WHEN i = 9 THEN '{Infinity,1}' ELSE st END, y) FROM nn_st$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(sig, '{{1,2}}'::float8[], y) FROM nn_st$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(sig, st, y, '{"static_names": ["a"]}') FROM nn_st$q$);
SELECT nn_err($q$SELECT pmed.cnn_train(sig, y, '{"static_names": ["a"]}') FROM nn_st$q$);
SELECT nn_err($q$SELECT pmed.train_from_partials(p) FROM (SELECT pmed.cnn_train_partial(sig, st, y) AS p FROM nn_st WHERE i < 50
                  UNION ALL SELECT pmed.cnn_train_partial(sig, y) FROM nn_st WHERE i >= 50) s$q$);
-- a NULL statics array skips the row, as a NULL signal does
SELECT pmed.model_info(pmed.cnn_train(sig, CASE WHEN i > 250 THEN NULL ELSE st END, y, '{"epochs": 1}'))->>'rows_skipped' AS skipped FROM nn_st;
DROP TABLE nn_st, nn_stm;
