-- pgTAP: clinical evaluation aggregates (auc_ci, auc_compare, calibration,
-- threshold_metrics, threshold_for, threshold_for_specificity, roc_curve,
-- pr_curve, calibration_curve).  Forced parallel plans give exactly the
-- serial jsonb, also per cohort; independent SQL computations of AUC,
-- thresholds and curves on 60k rows with ties; catalog labels; SQLSTATEs.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
RESET client_min_messages;
SELECT plan(34);

\i test/pgtap/lib/helpers.sql

-- 60k rows, three cohorts, two scores with many ties (1001 distinct values
-- of s), a probability p in [0, 1] with exact 0s and 1s, some NULLs
CREATE TABLE ev_par AS
SELECT i, i % 3 AS cohort,
       round(((i * 7919) % 10007) / 10007.0, 3)::float8 AS s,
       (((i * 7919) % 10007) / 10007.0 + ((i * 104729) % 7001) / 7001.0)::float8 AS s2,
       CASE WHEN i % 1000 = 0 THEN NULL ELSE ((i * 7919) % 10007) + ((i * 104729) % 7001) > 8500 END AS y,
       least(1, greatest(0, ((i * 7919) % 10007) / 9000.0 - 0.05))::float8 AS p
FROM generate_series(1::bigint, 60000) i;
ANALYZE ev_par;

CREATE TEMP VIEW ev_all AS
SELECT pmed.auc_ci(s, y) AS ci, pmed.auc_ci(s2, y, 0.9) AS ci90, pmed.auc_compare(s, s2, y) AS cmp,
       pmed.calibration(p, y) AS cal, pmed.threshold_metrics(s, y, 0.5) AS tm,
       pmed.threshold_for(s, y, 0.95) AS tf, pmed.threshold_for_specificity(s, y, 0.9) AS ts,
       pmed.roc_curve(s, y, 50) AS roc, pmed.pr_curve(s2, y) AS pr, pmed.calibration_curve(p, y, 20) AS cc,
       pmed.roc_curve(s2, y) AS roc2, pmed.pr_curve(s, y, 30) AS pr3, pmed.calibration_curve(p, y) AS cc2
FROM ev_par;
CREATE TEMP VIEW ev_groups AS
SELECT cohort, pmed.auc_ci(s, y) AS ci, pmed.auc_compare(s, s2, y) AS cmp, pmed.calibration(p, y) AS cal,
       pmed.threshold_for(s, y, 0.95) AS tf, pmed.roc_curve(s, y) AS roc
FROM ev_par GROUP BY cohort;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_all AS SELECT * FROM ev_all;
CREATE TEMP TABLE serial_groups AS SELECT * FROM ev_groups;
SELECT unalike(pg_temp.plan_of('SELECT * FROM ev_all', 'COSTS OFF'), '%Partial Aggregate%',
               'serial settings: no partial aggregate');

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;

SELECT alike(pg_temp.plan_of('SELECT * FROM ev_all', 'COSTS OFF'), '%Partial Aggregate%',
             'parallel settings: Partial Aggregate');
SELECT matches(pg_temp.plan_of('SELECT * FROM ev_all', 'ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF'),
               'Workers Launched: [1-9]', 'parallel workers were launched');
SELECT alike(pg_temp.plan_of('SELECT * FROM ev_groups', 'COSTS OFF'), '%Partial%Aggregate%',
             'grouped: partial aggregate');
SELECT is((SELECT ci FROM ev_all), (SELECT ci FROM serial_all), 'auc_ci: parallel = serial (exactly)');
SELECT is((SELECT ci90 FROM ev_all), (SELECT ci90 FROM serial_all), 'auc_ci level 0.9: parallel = serial');
SELECT is((SELECT cmp FROM ev_all), (SELECT cmp FROM serial_all), 'auc_compare: parallel = serial (exactly)');
SELECT is((SELECT cal FROM ev_all), (SELECT cal FROM serial_all), 'calibration: parallel = serial (exactly)');
SELECT is((SELECT tm FROM ev_all), (SELECT tm FROM serial_all), 'threshold_metrics: parallel = serial');
SELECT is((SELECT tf FROM ev_all), (SELECT tf FROM serial_all), 'threshold_for: parallel = serial');
SELECT is((SELECT ts FROM ev_all), (SELECT ts FROM serial_all), 'threshold_for_specificity: parallel = serial');
SELECT is((SELECT roc FROM ev_all), (SELECT roc FROM serial_all), 'roc_curve: parallel = serial');
SELECT is((SELECT pr FROM ev_all), (SELECT pr FROM serial_all), 'pr_curve: parallel = serial');
SELECT is((SELECT cc FROM ev_all), (SELECT cc FROM serial_all), 'calibration_curve: parallel = serial');
SELECT is((SELECT roc2 FROM ev_all), (SELECT roc2 FROM serial_all), 'roc_curve (default max_points): parallel = serial');
SELECT is((SELECT pr3 FROM ev_all), (SELECT pr3 FROM serial_all), 'pr_curve (max_points 30): parallel = serial');
SELECT is((SELECT cc2 FROM ev_all), (SELECT cc2 FROM serial_all), 'calibration_curve (10 bins): parallel = serial');
SELECT set_eq('SELECT cohort, ci, cmp, cal, tf, roc FROM ev_groups',
              'SELECT cohort, ci, cmp, cal, tf, roc FROM serial_groups', 'GROUP BY cohort: parallel = serial');

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- independent computations in SQL on the same rows
SELECT is((SELECT (ci ->> 'auc')::float8 FROM serial_all), (SELECT pmed.auc(s, y) FROM ev_par),
          'auc_ci.auc = pmed.auc exactly');
SELECT is((SELECT (ci ->> 'n_pos')::int + (ci ->> 'n_neg')::int FROM serial_all),
          (SELECT count(*)::int FROM ev_par WHERE y IS NOT NULL), 'NULL outcomes are skipped (n_pos + n_neg)');
-- per distinct score: positives at or above it, negatives below it
CREATE TEMP TABLE ev_steps AS
SELECT s, sum(np) OVER (ORDER BY s DESC) AS pos_at_or_above,
       sum(nn) OVER (ORDER BY s) - nn AS neg_below,
       sum(np) OVER () AS n_pos, sum(nn) OVER () AS n_neg
FROM (SELECT s, count(*) FILTER (WHERE y) AS np, count(*) FILTER (WHERE NOT y) AS nn
      FROM ev_par WHERE y IS NOT NULL GROUP BY s) g;
SELECT is((SELECT (tf ->> 'threshold')::float8 FROM serial_all),
          (SELECT max(s) FROM ev_steps WHERE pos_at_or_above::float8 / n_pos >= 0.95),
          'threshold_for(0.95) = the largest observed score with sensitivity >= 0.95 (window sums)');
SELECT is((SELECT (ts ->> 'threshold')::float8 FROM serial_all),
          (SELECT min(s) FROM ev_steps WHERE neg_below::float8 / n_neg >= 0.9),
          'threshold_for_specificity(0.9) = the smallest observed score with specificity >= 0.9 (window sums)');
SELECT is((SELECT tm FROM serial_all) - 'sensitivity' - 'specificity' - 'ppv' - 'npv' - 'f1' - 'accuracy',
          (SELECT jsonb_build_object('tp', count(*) FILTER (WHERE y AND s >= 0.5), 'fp', count(*) FILTER (WHERE NOT y AND s >= 0.5),
                                     'tn', count(*) FILTER (WHERE NOT y AND s < 0.5), 'fn', count(*) FILTER (WHERE y AND s < 0.5))
           FROM ev_par), 'threshold_metrics counts = FILTER counts');
SELECT ok((SELECT abs((ci90 ->> 'upper')::float8 - (ci90 ->> 'auc')::float8 - 1.6448536269514722 * (ci90 ->> 'se')::float8) < 1e-12
           FROM serial_all), 'level 0.9 interval: auc + 1.6449 se');
-- curves: the full ROC has one point per distinct score plus (0, 0); its
-- trapezoid area is the AUC; a summary keeps both ends exactly
SELECT is((SELECT count(*)::int FROM pmed.roc_points((SELECT pmed.roc_curve(s, y, 100000) FROM ev_par))),
          (SELECT count(DISTINCT s)::int + 1 FROM ev_par WHERE y IS NOT NULL), 'full ROC: distinct scores + 1 points');
SELECT ok((SELECT abs(sum((fpr - pf) * (tpr + pt) / 2) - (SELECT pmed.auc(s, y) FROM ev_par)) < 1e-12
           FROM (SELECT fpr, tpr, lag(fpr) OVER () AS pf, lag(tpr) OVER () AS pt
                 FROM pmed.roc_points((SELECT pmed.roc_curve(s, y, 100000) FROM ev_par))) t),
          'trapezoid area of the full ROC = auc');
SELECT is((SELECT array[count(*), count(*) FILTER (WHERE threshold IS NULL AND tpr = 0 AND fpr = 0),
                        count(*) FILTER (WHERE threshold = (SELECT min(s) FROM ev_par WHERE y IS NOT NULL) AND tpr = 1 AND fpr = 1)]::int[]
           FROM pmed.roc_points((SELECT roc FROM serial_all))), '{50,1,1}'::int[],
          'roc_curve(..., 50): 50 points, both ends exact');
SELECT is((SELECT count(*)::int FROM (SELECT cohort, (pmed.roc_points(pmed.roc_curve(s, y, 10))).* FROM ev_par GROUP BY cohort) t),
          30, 'curve rows per cohort from one GROUP BY query');
SELECT is((SELECT sum(count)::int FROM pmed.calibration_points((SELECT cc FROM serial_all))),
          (SELECT count(*)::int FROM ev_par WHERE y IS NOT NULL), 'calibration_curve bins count every row');

-- catalog
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           JOIN pg_proc t ON t.oid = a.aggtransfn JOIN pg_proc c ON c.oid = a.aggcombinefn
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'pmed' AND p.proname IN ('auc_ci', 'auc_compare', 'calibration', 'threshold_metrics',
                 'threshold_for', 'threshold_for_specificity', 'roc_curve', 'pr_curve', 'calibration_curve')
             AND p.proparallel = 's' AND a.aggtranstype = 'pmed.metric_state'::regtype
             AND NOT t.proisstrict AND NOT c.proisstrict AND obj_description(p.oid, 'pg_proc') IS NOT NULL), 13,
          '13 evaluation aggregates: PARALLEL SAFE, combine over pmed.metric_state, non-strict transitions, COMMENT');

-- errors
SELECT throws_ok($$SELECT pmed.auc_ci(s, y, 0) FROM ev_par$$, '22023', NULL, 'level 0: 22023');
SELECT throws_ok($$SELECT pmed.threshold_for(s, y, -0.1) FROM ev_par$$, '22023', NULL, 'negative target: 22023');
SELECT throws_ok($$SELECT pmed.calibration(s2, y) FROM ev_par$$, '22023', NULL, 'probability above 1: 22023');
SELECT throws_ok($$SELECT pmed.auc_compare(s, 'Infinity', y) FROM ev_par$$, '22023', NULL, 'infinite score: 22023');
SELECT * FROM finish();
ROLLBACK;
