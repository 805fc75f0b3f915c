-- pgTAP: recalibration without retraining (pmed.recalibrate).  A deliberately
-- miscalibrated SVM and forest (trained on diabetes folds 0-1 with three in
-- four negatives left out, so they overestimate the risk) are recalibrated
-- on fold 2 and judged on folds 3-4: calibration slope, intercept and ECE
-- move toward 1, 0 and 0 by margins measured when this was written.  Also:
-- predict_proba / predict_label apply the map exactly, explain is unchanged,
-- the score form equals the features form, serial = parallel, removing the
-- section gives the model back byte for byte, corrupt models are rejected,
-- and the SQLSTATEs of misuse.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
RESET client_min_messages;
SELECT plan(42);

\i test/pgtap/lib/helpers.sql
\set QUIET on
\i data/diabetes/load.sql
\set QUIET off

CREATE TABLE rc_base AS
SELECT 'svm' AS fam, pmed.svm_train(features, progression > 140, '{"seed": 1}') AS model
FROM diabetes WHERE pmed.fold(id, 5) IN (0, 1) AND (progression > 140 OR pmed.fold(id, 4, 3) = 0)
UNION ALL
SELECT 'forest', pmed.forest_train(features, progression > 140, '{"seed": 1, "trees": 100}')
FROM diabetes WHERE pmed.fold(id, 5) IN (0, 1) AND (progression > 140 OR pmed.fold(id, 4, 3) = 0);

CREATE TEMP TABLE rc_models AS
SELECT b.fam, meth, CASE WHEN meth = 'none' THEN b.model ELSE
       (SELECT pmed.recalibrate(b.model, d.features, d.progression > 140, jsonb_build_object('method', meth))
        FROM diabetes d WHERE pmed.fold(d.id, 5) = 2) END AS model
FROM rc_base b, unnest(ARRAY['none', 'platt', 'isotonic']) meth;

CREATE TEMP TABLE rc_cal AS
SELECT fam, meth, pmed.calibration(pmed.predict_proba(m.model, d.features), d.progression > 140) AS c,
       pmed.auc(pmed.predict_proba(m.model, d.features), d.progression > 140) AS auc
FROM rc_models m, diabetes d WHERE pmed.fold(d.id, 5) IN (3, 4) GROUP BY fam, meth;

CREATE TEMP VIEW rc_cmp AS
SELECT n.fam, r.meth,
       abs((n.c->>'slope')::float8 - 1) AS slope_before, abs((r.c->>'slope')::float8 - 1) AS slope_after,
       abs((n.c->>'intercept')::float8) AS icpt_before, abs((r.c->>'intercept')::float8) AS icpt_after,
       abs((n.c->>'calibration_in_the_large')::float8) AS citl_before,
       abs((r.c->>'calibration_in_the_large')::float8) AS citl_after,
       (n.c->>'ece')::float8 AS ece_before, (r.c->>'ece')::float8 AS ece_after,
       n.auc AS auc_before, r.auc AS auc_after
FROM rc_cal n JOIN rc_cal r ON r.fam = n.fam AND n.meth = 'none' AND r.meth <> 'none';

-- measured (held-out folds 3-4, 181 rows): svm platt |slope - 1| 0.214 -> 0.081,
-- |intercept| 1.148 -> 0.427, ECE 0.228 -> 0.082; forest platt ECE 0.202 -> 0.096,
-- |intercept| 0.936 -> 0.529; isotonic ECE 0.228 -> 0.106 (svm), 0.202 -> 0.112 (forest)
SELECT ok(slope_after < slope_before - 0.1, 'svm platt: calibration slope moves toward 1')
FROM rc_cmp WHERE fam = 'svm' AND meth = 'platt';
SELECT ok(icpt_after < icpt_before - 0.5, 'svm platt: calibration intercept moves toward 0')
FROM rc_cmp WHERE fam = 'svm' AND meth = 'platt';
SELECT ok(ece_before > 0.2 AND ece_after < ece_before - 0.12, 'svm platt: ECE drops by more than 0.12')
FROM rc_cmp WHERE fam = 'svm' AND meth = 'platt';
SELECT ok(citl_after < citl_before - 0.8, 'svm platt: calibration-in-the-large moves toward 0')
FROM rc_cmp WHERE fam = 'svm' AND meth = 'platt';
SELECT ok(slope_after < slope_before AND icpt_after < icpt_before - 0.3, 'forest platt: slope and intercept move toward 1 and 0')
FROM rc_cmp WHERE fam = 'forest' AND meth = 'platt';
SELECT ok(ece_before > 0.19 AND ece_after < ece_before - 0.09, 'forest platt: ECE drops by more than 0.09')
FROM rc_cmp WHERE fam = 'forest' AND meth = 'platt';
SELECT ok(ece_after < ece_before - 0.07 AND icpt_after < icpt_before - 0.4, 'isotonic: ECE and intercept improve for ' || fam)
FROM rc_cmp WHERE meth = 'isotonic' ORDER BY fam;
SELECT ok(abs(auc_after - auc_before) < 1e-12, 'platt keeps the ranking: same AUC for ' || fam)
FROM rc_cmp WHERE meth = 'platt' ORDER BY fam;

-- the map, applied by predict_proba, predict_label and predict
CREATE TEMP TABLE rc_rows AS
SELECT m.fam, m.meth, d.id, pmed.predict_proba(b.model, d.features) AS p0,
       pmed.predict_proba(m.model, d.features) AS p1,
       pmed.predict_proba(m.model, d.features, 'false') AS p1_false,
       pmed.predict_label(m.model, d.features) AS label, pmed.predict(m.model, d.features) AS pred,
       pmed.model_info(m.model)->'recalibration' AS info
FROM rc_models m JOIN rc_base b USING (fam), diabetes d
WHERE m.meth <> 'none' AND pmed.fold(d.id, 5) IN (3, 4);
SELECT is(max(abs(p1 - 1 / (1 + exp(-((info->>'intercept')::float8 + (info->>'slope')::float8 *
              ln(least(greatest(p0, (info->>'clip')::float8), 1 - (info->>'clip')::float8) /
                 (1 - least(greatest(p0, (info->>'clip')::float8), 1 - (info->>'clip')::float8)))))))) < 1e-12,
          true, 'platt: predict_proba = 1 / (1 + exp(-(intercept + slope logit(clip(p))))) (' || fam || ')')
FROM rc_rows WHERE meth = 'platt' GROUP BY fam ORDER BY fam;
SELECT is(count(*) FILTER (WHERE abs(p1 + p1_false - 1) > 1e-15), 0::bigint, 'the other class gets 1 - p')
FROM rc_rows;
SELECT is(count(*) FILTER (WHERE label <> (p1 >= 0.5)::text OR pred <> (p1 >= 0.5)::int), 0::bigint,
          'predict_label and predict: the positive class when the recalibrated probability is >= 0.5')
FROM rc_rows;
SELECT ok(count(*) FILTER (WHERE (p0 >= 0.5) <> (p1 >= 0.5)) > 10, 'recalibration changes some labels (the models overestimated the risk)')
FROM rc_rows;
SELECT is(count(*) FILTER (WHERE p1 < lag_p1 - 1e-15), 0::bigint, 'isotonic map is non-decreasing in the model''s probability')
FROM (SELECT p1, lag(p1) OVER (PARTITION BY fam ORDER BY p0, p1) AS lag_p1 FROM rc_rows WHERE meth = 'isotonic') s;

-- model_info
SELECT is(info - 'recalibrated_at' - 'parameters_crc32c' - 'slope' - 'intercept' - 'clip' - 'steps',
          jsonb_build_object('method', meth, 'rows_used', (SELECT count(*) FROM diabetes WHERE pmed.fold(id, 5) = 2),
                             'positives', (SELECT count(*) FROM diabetes WHERE pmed.fold(id, 5) = 2 AND progression > 140)),
          'model_info recalibration: method, rows and positives (' || fam || ', ' || meth || ')')
FROM (SELECT DISTINCT fam, meth, info FROM rc_rows) s ORDER BY fam, meth;
SELECT ok((info->>'recalibrated_at') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$' AND (info->>'clip')::float8 = 0.5 / (1 + (info->>'rows_used')::float8),
          'platt: recalibrated_at and clip') FROM rc_rows WHERE fam = 'svm' AND meth = 'platt' LIMIT 1;
SELECT ok((info->>'steps')::int BETWEEN 2 AND 100, 'isotonic: number of steps') FROM rc_rows WHERE fam = 'svm' AND meth = 'isotonic' LIMIT 1;
SELECT is(pmed.model_info(m.model) - 'recalibration' - 'crc32c' - 'size_bytes', pmed.model_info(b.model) - 'crc32c' - 'size_bytes',
          'everything else in model_info is unchanged') FROM rc_models m JOIN rc_base b USING (fam) WHERE fam = 'svm' AND meth = 'platt';

-- explain explains the model's own output, unchanged
SELECT is((SELECT array_agg(contribution ORDER BY feature) FROM pmed.explain(m.model, d.features)),
          (SELECT array_agg(contribution ORDER BY feature) FROM pmed.explain(b.model, d.features)),
          'explain is unchanged by recalibration (' || fam || ')')
FROM rc_models m JOIN rc_base b USING (fam), diabetes d WHERE m.meth = 'platt' AND d.id = 7 ORDER BY fam;

-- remove, replace, score form
SELECT is(pmed.remove_recalibration(m.model), b.model, 'remove_recalibration gives the trained model back byte for byte')
FROM rc_models m JOIN rc_base b USING (fam) WHERE fam = 'forest' AND meth = 'isotonic';
SELECT is(pmed.model_info((SELECT pmed.recalibrate(m.model, d.features, d.progression > 140) FROM diabetes d WHERE pmed.fold(d.id, 5) = 2))
            ->'recalibration'->>'parameters_crc32c',
          pmed.model_info(p.model)->'recalibration'->>'parameters_crc32c',
          'recalibrating a recalibrated model replaces its map (fitted on the model''s own probabilities)')
FROM rc_models m, rc_models p WHERE m.fam = 'svm' AND m.meth = 'isotonic' AND p.fam = 'svm' AND p.meth = 'platt';
SELECT is(pmed.model_info((SELECT pmed.recalibrate(b.model, pmed.predict_proba(b.model, d.features), d.progression > 140, '{"method": "isotonic"}')
                           FROM diabetes d WHERE pmed.fold(d.id, 5) = 2))->'recalibration'->>'parameters_crc32c',
          pmed.model_info(m.model)->'recalibration'->>'parameters_crc32c',
          'the score form fits the same map as the features form')
FROM rc_models m JOIN rc_base b USING (fam) WHERE fam = 'forest' AND meth = 'isotonic';

-- serial = parallel
CREATE TABLE rc_big AS SELECT d.* FROM diabetes d, generate_series(1, 20) g;
ANALYZE rc_big;
CREATE TEMP VIEW rc_par AS
SELECT pmed.model_info(pmed.recalibrate((SELECT model FROM rc_base WHERE fam = 'svm'), features, progression > 140, '{"method": "isotonic"}'))
         ->'recalibration'->>'parameters_crc32c' AS iso,
       pmed.model_info(pmed.recalibrate((SELECT model FROM rc_base WHERE fam = 'forest'), features, progression > 140))
         ->'recalibration'->>'parameters_crc32c' AS platt
FROM rc_big;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE rc_serial AS SELECT * FROM rc_par;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;
SELECT alike(pg_temp.plan_of('SELECT * FROM rc_par'), '%Partial Aggregate%', 'parallel plan: Partial Aggregate');
SELECT is((SELECT row(iso, platt)::text FROM rc_par), (SELECT row(iso, platt)::text FROM rc_serial),
          'parallel recalibration fits the same maps as serial');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- corrupt models
SELECT is(pg_temp.rejected_variants(model, 'cut', 'SELECT pmed.model_info(%L)', '{XX001}'), length(model),
          'every truncation of a recalibrated model: XX001')
FROM rc_models WHERE fam = 'svm' AND meth = 'isotonic';
SELECT is(pg_temp.rejected_variants(model, 'flip', 'SELECT pmed.predict_proba(%L, ARRAY[0,0,0,0,0,0,0,0,0,0]::float8[])', '{XX001}', 7),
          (length(model) * 8 + 6) / 7, 'every 7th bit flip of a recalibrated model: XX001')
FROM rc_models WHERE fam = 'svm' AND meth = 'isotonic';

-- misuse
SELECT throws_ok($$SELECT pmed.recalibrate(b.model, d.features, d.progression > 140, '{"method": "beta"}') FROM rc_base b, diabetes d WHERE fam = 'svm'$$,
                 '22023', NULL, 'unknown method: 22023');
SELECT throws_ok($$SELECT pmed.recalibrate(b.model, d.features, d.progression > 140, '{"max_steps": 5}') FROM rc_base b, diabetes d WHERE fam = 'svm'$$,
                 '22023', NULL, 'max_steps with platt: 22023');
SELECT throws_ok($$SELECT pmed.recalibrate(b.model, d.features, d.progression > 140, '{"bins": 5}') FROM rc_base b, diabetes d WHERE fam = 'svm'$$,
                 '22023', NULL, 'unknown option: 22023');
SELECT throws_ok($$SELECT pmed.recalibrate(b.model, d.features, d.progression > 140, '{"method": "isotonic", "max_steps": 2}') FROM rc_base b, diabetes d WHERE fam = 'svm'$$,
                 '54000', NULL, 'isotonic map above max_steps: 54000');
SELECT throws_ok($$SELECT pmed.recalibrate(b.model, d.features, d.id > 0) FROM rc_base b, diabetes d WHERE fam = 'svm'$$,
                 '22023', 'recalibration needs rows of both classes', 'one class: 22023');
SELECT throws_ok($$SELECT pmed.recalibrate(b.model, d.features, d.progression > 140) FROM rc_base b, diabetes d$$,
                 '22023', 'pmed.recalibrate needs the same model in every row', 'two models: 22023');
SELECT throws_ok($$SELECT pmed.recalibrate(m.model, 0.5::float8, d.progression > 140) FROM rc_models m, diabetes d WHERE fam = 'svm' AND meth = 'platt'$$,
                 '22023', NULL, 'score form on a recalibrated model: 22023');
SELECT throws_ok($$SELECT pmed.recalibrate(b.model, 1.5::float8, d.progression > 140) FROM rc_base b, diabetes d WHERE fam = 'svm'$$,
                 '22023', NULL, 'score outside [0, 1]: 22023');
SELECT throws_ok($$SELECT pmed.recalibrate((SELECT pmed.forest_train(features, progression, '{"trees": 5}') FROM diabetes), d.features, d.progression > 140) FROM diabetes d$$,
                 '22023', NULL, 'a regression model: 22023');
SELECT is((SELECT pmed.recalibrate(b.model, d.features, NULL::boolean) FROM rc_base b, diabetes d WHERE fam = 'svm' AND false), NULL,
          'no rows: NULL');

SELECT * FROM finish();
ROLLBACK;
