-- pgTAP: the neural families on the real data of issue 10, read from
-- $PMED_SHARED_DATA (default ../shared/data; never stored in the repository):
-- the beat CNN on MIT-BIH (inter-patient: test records record % 5 = 0,
-- macro-F1 over N/S/V/F) and the mortality GRU on PhysioNet 2012 set a
-- (test stays stay_id % 5 = 0, AUC).  Skipped when the data is absent.
-- Floors from the phase-1 benchmark (nn.md, same architecture and epochs,
-- waveform / hourly values only, except the last beats test with RR statics):
-- PyTorch's mean macro-F1 0.443 and AUC 0.846 (with static inputs); the
-- SQL models measure 0.467 and 0.840 with seed 1.  Floors: 0.42 (the lowest
-- per-seed pmed score in phase 1) and 0.83.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
SELECT plan(4);

\i test/nn/shared_load.sql
\if :beats_present
CREATE TEMP TABLE tap_beat AS
SELECT pmed.cnn_train(signal, label, '{"epochs": 10, "batch_size": 64, "filters": [16, 32, 32],
         "kernel_sizes": [7, 5, 5], "pooling": 2, "head": "flatten", "class_weight": "balanced",
         "validation_fraction": 0, "seed": 1}') AS model
FROM nn_beats WHERE aami <> 'Q' AND record % 5 <> 0;
CREATE TEMP TABLE tap_beat_pred AS
SELECT label, pmed.predict(model, signal)::int AS pred FROM tap_beat, nn_beats
WHERE aami <> 'Q' AND record % 5 = 0;
SELECT cmp_ok((SELECT avg(f1)::float8 FROM (
                 SELECT 2.0 * count(*) FILTER (WHERE label = c AND pred = c)
                        / nullif(count(*) FILTER (WHERE label = c) + count(*) FILTER (WHERE pred = c), 0) AS f1
                 FROM tap_beat_pred, generate_series(0, 3) c GROUP BY c) s), '>=', 0.42::float8,
              'MIT-BIH beats, inter-patient: CNN macro-F1 over N/S/V/F >= 0.42');
SELECT is((SELECT count(DISTINCT pred) FROM tap_beat_pred), 4::bigint, 'the CNN predicts all four classes');
-- The waveform plus the RR intervals as static inputs (previous and next RR over
-- the local mean RR).  Measured with seed 1 (these options, dropout 0.2): macro-F1
-- 0.537 with the RR ratios, 0.449 for the same network without them.
CREATE TEMP TABLE tap_beat_rr AS
SELECT pmed.cnn_train(signal, ARRAY[rr_prev / rr_local, rr_next / rr_local], label,
         '{"epochs": 10, "batch_size": 64, "filters": [16, 32, 32], "kernel_sizes": [7, 5, 5],
           "pooling": 2, "head": "flatten", "dense": [32], "dropout": 0.2, "class_weight": "balanced",
           "validation_fraction": 0, "seed": 1, "static_names": ["rr_prev_ratio", "rr_next_ratio"]}') AS model
FROM nn_beats WHERE aami <> 'Q' AND record % 5 <> 0;
CREATE TEMP TABLE tap_beat_rr_pred AS
SELECT label, pmed.predict(model, signal, ARRAY[rr_prev / rr_local, rr_next / rr_local])::int AS pred
FROM tap_beat_rr, nn_beats WHERE aami <> 'Q' AND record % 5 = 0;
SELECT cmp_ok((SELECT avg(f1)::float8 FROM (
                 SELECT 2.0 * count(*) FILTER (WHERE label = c AND pred = c)
                        / nullif(count(*) FILTER (WHERE label = c) + count(*) FILTER (WHERE pred = c), 0) AS f1
                 FROM tap_beat_rr_pred, generate_series(0, 3) c GROUP BY c) s), '>=', 0.47::float8,
              'MIT-BIH beats, inter-patient: CNN with RR intervals as statics, macro-F1 >= 0.47');
\else
SELECT skip('skipped: ../shared/data/mitbih-beats not found (PMED_SHARED_DATA)', 3);
\endif
\if :icu_present
CREATE TEMP TABLE tap_icu AS
SELECT pmed.rnn_train(hours, death, '{"epochs": 10, "batch_size": 64, "hidden_size": 32,
         "validation_fraction": 0, "seed": 1}') AS model
FROM nn_icu WHERE stay_id % 5 <> 0;
SELECT cmp_ok((SELECT pmed.auc(pmed.predict_proba(model, hours), death) FROM tap_icu, nn_icu WHERE stay_id % 5 = 0),
              '>=', 0.83::float8, 'PhysioNet 2012: GRU in-hospital mortality AUC >= 0.83 on stay_id % 5 = 0');
\else
SELECT skip('skipped: ../shared/data/physionet2012 not found (PMED_SHARED_DATA)', 1);
\endif

SELECT * FROM finish();
ROLLBACK;
