#!/usr/bin/env bash
# Neural-network benchmark (not a test; issue 10).  Needs a running server
# with pmed installed (PGHOST/PGPORT/PGUSER/PGDATABASE); test/bench/run nn
# starts one.
#   1. scoring speed in SQL: NN_BENCH_SCORE_ROWS (100000) generated sequences
#      (24 hourly steps x 4 measurements, 20% NULL) through a GRU (hidden 32)
#      and as many 64-sample signals through the default CNN: rows per second;
#   2. when $PMED_SHARED_DATA (default ../shared/data) holds mitbih-beats and
#      physionet2012: the beat CNN and the ICU GRU trained in SQL (quality and
#      time), against the strongest non-neural pmed model on summary features
#      of the same rows: a forest on RR intervals (beats) and on per-stay
#      mean/min/max/last of the 37 measurements (ICU).
# The PyTorch comparison of the engine itself (same architecture, epochs,
# split, one thread) is test/bench/nn_torch.py (needs python3-torch).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${NN_BENCH_SCORE_ROWS:-100000}
psql -X -q -c "CREATE EXTENSION IF NOT EXISTS pmed" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" <<'SQL'
\pset footer off
SET client_min_messages = warning;
DROP TABLE IF EXISTS nn_bench_seq, nn_bench_sig;
-- deterministic pseudo-random values: a sine hash of the row and step
CREATE TEMP TABLE nn_bench_seq AS
SELECT i, (sum(v) FILTER (WHERE f = 1) > 0) AS y,
       array_agg(v ORDER BY t, f) AS flat
FROM (SELECT i, t, f, CASE WHEN h2 - floor(h2) < 0.2 THEN NULL ELSE h1 - floor(h1) - 0.5 END AS v
      FROM (SELECT i, t, f, sin(i * 12.9898 + t * 78.233 + f * 3.1) * 43758.5453 AS h1,
                   sin(i * 39.3467 + t * 11.135 + f * 7.7) * 24634.6345 AS h2
            FROM generate_series(1, :rows) i, generate_series(1, 24) t, generate_series(1, 4) f) g) s
GROUP BY i;
-- the flat arrays as 24 x 4
CREATE TEMP TABLE nn_bench_seq2 AS
SELECT i, y, (SELECT array_agg(ARRAY[flat[4 * t - 3], flat[4 * t - 2], flat[4 * t - 1], flat[4 * t]] ORDER BY t)
              FROM generate_series(1, 24) t) AS seq
FROM nn_bench_seq;
CREATE TEMP TABLE nn_bench_sig AS
SELECT i, y, (SELECT array_agg(coalesce(seq[t][1], 0) + coalesce(seq[t][2], 0) ORDER BY t) FROM generate_series(1, 24) t)
             || (SELECT array_agg(coalesce(seq[t][3], 0) ORDER BY t) FROM generate_series(1, 24) t)
             || (SELECT array_agg(coalesce(seq[t][4], 0) ORDER BY t) FROM generate_series(1, 16) t) AS sig
FROM nn_bench_seq2;
CREATE TEMP TABLE nn_bench_models AS
SELECT (SELECT pmed.rnn_train(seq, y, '{"epochs": 3, "seed": 1}') FROM nn_bench_seq2 WHERE i <= 2000) AS gru,
       (SELECT pmed.cnn_train(sig, y, '{"epochs": 3, "seed": 1}') FROM nn_bench_sig WHERE i <= 2000) AS cnn;
\echo 'Scoring in SQL (one backend, no parallel workers):'
SET max_parallel_workers_per_gather = 0;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FILTER (WHERE pmed.predict_proba(gru, seq) > 0.5) AS positive FROM nn_bench_models, nn_bench_seq2 \gset
SELECT clock_timestamp() AS t1 \gset
SELECT count(*) FILTER (WHERE pmed.predict_proba(cnn, sig) > 0.5) AS positive FROM nn_bench_models, nn_bench_sig \gset
SELECT clock_timestamp() AS t2 \gset
SELECT count(*) FILTER (WHERE seq IS NOT NULL) FROM nn_bench_seq2 \gset scan_
SELECT clock_timestamp() AS t3 \gset
SELECT 'GRU hidden 32, 24 steps x 4 features' AS model, :rows AS rows,
       round(extract(epoch FROM (:'t1'::timestamptz - :'t0'::timestamptz))::numeric, 2) AS seconds,
       round(:rows / extract(epoch FROM (:'t1'::timestamptz - :'t0'::timestamptz))) AS rows_per_second
UNION ALL
SELECT 'CNN default (16, 32 filters), 64 samples', :rows,
       round(extract(epoch FROM (:'t2'::timestamptz - :'t1'::timestamptz))::numeric, 2),
       round(:rows / extract(epoch FROM (:'t2'::timestamptz - :'t1'::timestamptz)))
UNION ALL
SELECT 'scan of the same sequences (floor)', :rows,
       round(extract(epoch FROM (:'t3'::timestamptz - :'t2'::timestamptz))::numeric, 2),
       round(:rows / extract(epoch FROM (:'t3'::timestamptz - :'t2'::timestamptz)));
SQL

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
\pset footer off
SET client_min_messages = warning;
\i test/nn/shared_load.sql
\if :beats_present
\echo 'MIT-BIH beats (inter-patient: test records record % 5 = 0), macro-F1 over N/S/V/F:'
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE b_cnn AS
SELECT pmed.cnn_train(signal, label, '{"epochs": 10, "batch_size": 64, "filters": [16, 32, 32],
         "kernel_sizes": [7, 5, 5], "pooling": 2, "head": "flatten", "class_weight": "balanced",
         "validation_fraction": 0, "seed": 1}') AS model
FROM nn_beats WHERE aami <> 'Q' AND record % 5 <> 0;
SELECT clock_timestamp() AS t1 \gset
CREATE TEMP TABLE b_forest AS
SELECT pmed.forest_train(ARRAY[rr_prev, rr_next, rr_local, rr_prev / rr_local, rr_next / rr_local,
                               (SELECT max(v) - min(v) FROM unnest(signal) v)], label::text,
                         '{"trees": 200, "seed": 1}') AS model
FROM nn_beats WHERE aami <> 'Q' AND record % 5 <> 0;
SELECT clock_timestamp() AS t2 \gset
CREATE TEMP TABLE b_pred AS
SELECT label, pmed.predict(c.model, signal)::int AS cnn,
       pmed.predict_label(f.model, ARRAY[rr_prev, rr_next, rr_local, rr_prev / rr_local, rr_next / rr_local,
                               (SELECT max(v) - min(v) FROM unnest(signal) v)])::int AS forest
FROM b_cnn c, b_forest f, nn_beats WHERE aami <> 'Q' AND record % 5 = 0;
SELECT m AS model, round(avg(f1)::numeric, 4) AS macro_f1,
       string_agg(round(f1::numeric, 3)::text, ' / ' ORDER BY c) AS f1_n_s_v_f,
       CASE m WHEN 'cnn (waveform)' THEN round(extract(epoch FROM (:'t1'::timestamptz - :'t0'::timestamptz))::numeric, 1)
              ELSE round(extract(epoch FROM (:'t2'::timestamptz - :'t1'::timestamptz))::numeric, 1) END AS train_seconds
FROM (SELECT m, c, coalesce(2.0 * count(*) FILTER (WHERE label = c AND p = c)
                   / nullif(count(*) FILTER (WHERE label = c) + count(*) FILTER (WHERE p = c), 0), 0) AS f1
      FROM (SELECT label, cnn AS p, 'cnn (waveform)' AS m FROM b_pred
            UNION ALL SELECT label, forest, 'forest (RR intervals + amplitude)' FROM b_pred) x,
           generate_series(0, 3) c GROUP BY m, c) s GROUP BY m ORDER BY m;
\else
\echo 'skipped: mitbih-beats not found (PMED_SHARED_DATA)'
\endif
\if :icu_present
\echo 'PhysioNet 2012 set a (test stays stay_id % 5 = 0), in-hospital mortality AUC:'
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE i_gru AS
SELECT pmed.rnn_train(hours, death, '{"epochs": 10, "batch_size": 64, "hidden_size": 32,
         "validation_fraction": 0, "seed": 1}') AS model
FROM nn_icu WHERE stay_id % 5 <> 0;
SELECT clock_timestamp() AS t1 \gset
-- summary features: mean, min, max, last observed value of each measurement
CREATE TEMP TABLE i_summary AS
SELECT stay_id, ARRAY[
    avg(alp), min(alp), max(alp), (array_agg(alp ORDER BY hour DESC) FILTER (WHERE alp IS NOT NULL))[1],
    avg(alt), min(alt), max(alt), (array_agg(alt ORDER BY hour DESC) FILTER (WHERE alt IS NOT NULL))[1],
    avg(ast), min(ast), max(ast), (array_agg(ast ORDER BY hour DESC) FILTER (WHERE ast IS NOT NULL))[1],
    avg(albumin), min(albumin), max(albumin), (array_agg(albumin ORDER BY hour DESC) FILTER (WHERE albumin IS NOT NULL))[1],
    avg(bun), min(bun), max(bun), (array_agg(bun ORDER BY hour DESC) FILTER (WHERE bun IS NOT NULL))[1],
    avg(bilirubin), min(bilirubin), max(bilirubin), (array_agg(bilirubin ORDER BY hour DESC) FILTER (WHERE bilirubin IS NOT NULL))[1],
    avg(cholesterol), min(cholesterol), max(cholesterol), (array_agg(cholesterol ORDER BY hour DESC) FILTER (WHERE cholesterol IS NOT NULL))[1],
    avg(creatinine), min(creatinine), max(creatinine), (array_agg(creatinine ORDER BY hour DESC) FILTER (WHERE creatinine IS NOT NULL))[1],
    avg(diasabp), min(diasabp), max(diasabp), (array_agg(diasabp ORDER BY hour DESC) FILTER (WHERE diasabp IS NOT NULL))[1],
    avg(fio2), min(fio2), max(fio2), (array_agg(fio2 ORDER BY hour DESC) FILTER (WHERE fio2 IS NOT NULL))[1],
    avg(gcs), min(gcs), max(gcs), (array_agg(gcs ORDER BY hour DESC) FILTER (WHERE gcs IS NOT NULL))[1],
    avg(glucose), min(glucose), max(glucose), (array_agg(glucose ORDER BY hour DESC) FILTER (WHERE glucose IS NOT NULL))[1],
    avg(hco3), min(hco3), max(hco3), (array_agg(hco3 ORDER BY hour DESC) FILTER (WHERE hco3 IS NOT NULL))[1],
    avg(hct), min(hct), max(hct), (array_agg(hct ORDER BY hour DESC) FILTER (WHERE hct IS NOT NULL))[1],
    avg(hr), min(hr), max(hr), (array_agg(hr ORDER BY hour DESC) FILTER (WHERE hr IS NOT NULL))[1],
    avg(k), min(k), max(k), (array_agg(k ORDER BY hour DESC) FILTER (WHERE k IS NOT NULL))[1],
    avg(lactate), min(lactate), max(lactate), (array_agg(lactate ORDER BY hour DESC) FILTER (WHERE lactate IS NOT NULL))[1],
    avg(map), min(map), max(map), (array_agg(map ORDER BY hour DESC) FILTER (WHERE map IS NOT NULL))[1],
    avg(mechvent), min(mechvent), max(mechvent), (array_agg(mechvent ORDER BY hour DESC) FILTER (WHERE mechvent IS NOT NULL))[1],
    avg(mg), min(mg), max(mg), (array_agg(mg ORDER BY hour DESC) FILTER (WHERE mg IS NOT NULL))[1],
    avg(nidiasabp), min(nidiasabp), max(nidiasabp), (array_agg(nidiasabp ORDER BY hour DESC) FILTER (WHERE nidiasabp IS NOT NULL))[1],
    avg(nimap), min(nimap), max(nimap), (array_agg(nimap ORDER BY hour DESC) FILTER (WHERE nimap IS NOT NULL))[1],
    avg(nisysabp), min(nisysabp), max(nisysabp), (array_agg(nisysabp ORDER BY hour DESC) FILTER (WHERE nisysabp IS NOT NULL))[1],
    avg(na), min(na), max(na), (array_agg(na ORDER BY hour DESC) FILTER (WHERE na IS NOT NULL))[1],
    avg(paco2), min(paco2), max(paco2), (array_agg(paco2 ORDER BY hour DESC) FILTER (WHERE paco2 IS NOT NULL))[1],
    avg(pao2), min(pao2), max(pao2), (array_agg(pao2 ORDER BY hour DESC) FILTER (WHERE pao2 IS NOT NULL))[1],
    avg(platelets), min(platelets), max(platelets), (array_agg(platelets ORDER BY hour DESC) FILTER (WHERE platelets IS NOT NULL))[1],
    avg(resprate), min(resprate), max(resprate), (array_agg(resprate ORDER BY hour DESC) FILTER (WHERE resprate IS NOT NULL))[1],
    avg(sao2), min(sao2), max(sao2), (array_agg(sao2 ORDER BY hour DESC) FILTER (WHERE sao2 IS NOT NULL))[1],
    avg(sysabp), min(sysabp), max(sysabp), (array_agg(sysabp ORDER BY hour DESC) FILTER (WHERE sysabp IS NOT NULL))[1],
    avg(temp), min(temp), max(temp), (array_agg(temp ORDER BY hour DESC) FILTER (WHERE temp IS NOT NULL))[1],
    avg(troponini), min(troponini), max(troponini), (array_agg(troponini ORDER BY hour DESC) FILTER (WHERE troponini IS NOT NULL))[1],
    avg(troponint), min(troponint), max(troponint), (array_agg(troponint ORDER BY hour DESC) FILTER (WHERE troponint IS NOT NULL))[1],
    avg(urine), min(urine), max(urine), (array_agg(urine ORDER BY hour DESC) FILTER (WHERE urine IS NOT NULL))[1],
    avg(wbc), min(wbc), max(wbc), (array_agg(wbc ORDER BY hour DESC) FILTER (WHERE wbc IS NOT NULL))[1],
    avg(weight), min(weight), max(weight), (array_agg(weight ORDER BY hour DESC) FILTER (WHERE weight IS NOT NULL))[1],
    avg(ph), min(ph), max(ph), (array_agg(ph ORDER BY hour DESC) FILTER (WHERE ph IS NOT NULL))[1]]::float8[] AS f
FROM nn_icu_hourly WHERE stay_id IN (SELECT stay_id FROM nn_icu) GROUP BY stay_id;
SELECT clock_timestamp() AS t2 \gset
CREATE TEMP TABLE i_forest AS
SELECT pmed.forest_train(f, death, '{"trees": 300, "seed": 1}') AS model
FROM i_summary JOIN nn_icu USING (stay_id) WHERE stay_id % 5 <> 0;
SELECT clock_timestamp() AS t3 \gset
SELECT 'gru (hourly sequence, 48 x 37)' AS model,
       round(pmed.auc(pmed.predict_proba(g.model, hours), death)::numeric, 4) AS auc,
       round(extract(epoch FROM (:'t1'::timestamptz - :'t0'::timestamptz))::numeric, 1) AS train_seconds
FROM i_gru g, nn_icu WHERE stay_id % 5 = 0
UNION ALL
SELECT 'forest (mean/min/max/last, 148 features)',
       round(pmed.auc(pmed.predict_proba(fo.model, f), death)::numeric, 4),
       round(extract(epoch FROM (:'t3'::timestamptz - :'t2'::timestamptz))::numeric, 1)
FROM i_forest fo, i_summary JOIN nn_icu USING (stay_id) WHERE stay_id % 5 = 0;
\else
\echo 'skipped: physionet2012 not found (PMED_SHARED_DATA)'
\endif
SQL
