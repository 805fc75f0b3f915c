-- pgTAP: evaluation metrics and fold.
-- Parallel plans: on a 200k-row table the metric aggregates run as Partial
-- Aggregate in parallel workers (states serialized, shipped, deserialized and
-- combined) and give the serial value; catalog properties; error SQLSTATEs.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
RESET client_min_messages;
SELECT plan(33);

\i test/pgtap/lib/helpers.sql

-- 200k rows with many tied scores (1001 distinct values), three cohorts
CREATE TABLE metrics_par AS
SELECT i, i % 3 AS cohort,
       round(((i * 7919) % 10007) / 10007.0, 3)::float8 AS s,
       ((i * 7919) % 10007) + ((i * 104729) % 7001) > 8500 AS y,
       ((i * 7919) % 10007) / 10006.0::float8 AS p,
       ((i * 7919) % 10007) / 100.0::float8 AS pred,
       ((i * 104729) % 7001) / 70.0::float8 AS act,
       'c' || ((i * 7919) % 10007) % 3 AS lp,
       'c' || (((i * 7919) % 10007) + ((i * 104729) % 7001)) % 4 % 3 AS la
FROM generate_series(1::bigint, 200000) i;
ANALYZE metrics_par;

-- serial reference values
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_ref AS
SELECT pmed.auc(s, y) AS auc, pmed.pr_auc(s, y) AS ap, pmed.accuracy(lp, la) AS acc,
       pmed.confusion_matrix(lp, la) AS cm, pmed.rmse(pred, act) AS rmse,
       pmed.log_loss(p, y) AS ll, pmed.brier(p, y) AS brier
FROM metrics_par;
CREATE TEMP TABLE serial_groups AS
SELECT cohort, pmed.auc(s, y) AS auc, pmed.accuracy(lp, la) AS acc FROM metrics_par GROUP BY cohort;
SELECT unalike(pg_temp.plan_of('SELECT pmed.auc(s, y) FROM metrics_par', 'COSTS OFF, VERBOSE'), '%Partial Aggregate%',
              'serial settings: no partial aggregate');

-- force a parallel plan
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;

SELECT alike(pg_temp.plan_of($$SELECT pmed.auc(s, y), pmed.pr_auc(s, y), pmed.accuracy(lp, la),
       pmed.confusion_matrix(lp, la), pmed.rmse(pred, act), pmed.log_loss(p, y), pmed.brier(p, y)
       FROM metrics_par$$, 'COSTS OFF, VERBOSE'), '%Partial Aggregate%', 'EXPLAIN shows Partial Aggregate');
-- workers really ran: partial states went through serialize, deserialize and combine
SELECT matches(pg_temp.plan_of($$SELECT pmed.auc(s, y), pmed.confusion_matrix(lp, la), pmed.rmse(pred, act),
       pmed.accuracy(lp, la) FROM metrics_par$$, 'ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF'), 'Workers Launched: [1-9]', 'parallel workers were launched');
SELECT alike(pg_temp.plan_of('SELECT pmed.auc(s, y) FROM metrics_par', 'COSTS OFF, VERBOSE'), '%Parallel Seq Scan%',
             'EXPLAIN shows a parallel scan');
SELECT alike(pg_temp.plan_of('SELECT pmed.auc(s, y) FROM metrics_par', 'COSTS OFF, VERBOSE'), '%Gather%', 'EXPLAIN shows Gather');

-- the same statement shapes, evaluated under the parallel settings
SELECT is((SELECT pmed.auc(s, y) FROM metrics_par), (SELECT auc FROM serial_ref),
          'auc: parallel = serial (exactly)');
SELECT is((SELECT pmed.pr_auc(s, y) FROM metrics_par), (SELECT ap FROM serial_ref),
          'pr_auc: parallel = serial (exactly)');
SELECT is((SELECT pmed.accuracy(lp, la) FROM metrics_par), (SELECT acc FROM serial_ref),
          'accuracy: parallel = serial (exactly)');
SELECT is((SELECT pmed.confusion_matrix(lp, la) FROM metrics_par), (SELECT cm FROM serial_ref),
          'confusion_matrix: parallel = serial (exactly)');
-- compensated sums: equal to the last bits only up to summation order
SELECT ok(abs((SELECT pmed.rmse(pred, act) FROM metrics_par) - (SELECT rmse FROM serial_ref)) < 1e-12,
          'rmse: parallel = serial within 1e-12');
SELECT ok(abs((SELECT pmed.log_loss(p, y) FROM metrics_par) - (SELECT ll FROM serial_ref)) < 1e-12,
          'log_loss: parallel = serial within 1e-12');
SELECT ok(abs((SELECT pmed.brier(p, y) FROM metrics_par) - (SELECT brier FROM serial_ref)) < 1e-12,
          'brier: parallel = serial within 1e-12');
-- the subquery form above also runs in parallel
SELECT alike(pg_temp.plan_of('SELECT (SELECT pmed.auc(s, y) FROM metrics_par) = (SELECT auc FROM serial_ref)', 'COSTS OFF, VERBOSE'),
             '%Partial Aggregate%', 'the comparison query itself uses a partial aggregate');
-- GROUP BY in parallel: one AUC per cohort
SELECT alike(pg_temp.plan_of('SELECT cohort, pmed.auc(s, y) FROM metrics_par GROUP BY cohort', 'COSTS OFF, VERBOSE'),
             '%Partial%Aggregate%', 'grouped: EXPLAIN shows a partial aggregate');
SELECT set_eq('SELECT cohort, pmed.auc(s, y), pmed.accuracy(lp, la) FROM metrics_par GROUP BY cohort',
              'SELECT cohort, auc, acc FROM serial_groups', 'grouped: parallel = serial');
SELECT ok((SELECT auc FROM serial_ref) BETWEEN 0.9 AND 0.95, 'the parallel table AUC is sensible');

-- independent references in plain SQL (exact numeric arithmetic) on the same 200k rows:
-- AUC from midranks: (sum of positive midranks - P(P+1)/2) / (P N), tied scores sharing their mean rank
SELECT ok(abs((SELECT auc FROM serial_ref) -
              (SELECT ((sum(r) FILTER (WHERE y)) - count(*) FILTER (WHERE y) * (count(*) FILTER (WHERE y) + 1) / 2.0)
                      / (count(*) FILTER (WHERE y) * count(*) FILTER (WHERE NOT y))
               FROM (SELECT y, rank() OVER (ORDER BY s) + (count(*) OVER (PARTITION BY s) - 1) / 2.0 AS r
                     FROM metrics_par) t)::float8) < 1e-12,
          'auc equals the rank-sum (Mann-Whitney) formula computed in SQL');
-- AP from its definition: per distinct score (descending), new positives / P times precision
SELECT ok(abs((SELECT ap FROM serial_ref) -
              (SELECT sum(dp / ptot * tp / (tp + fp)) FROM
                 (SELECT dp, sum(dp) OVER w AS tp, sum(dn) OVER w AS fp, sum(dp) OVER () AS ptot
                  FROM (SELECT s, count(*) FILTER (WHERE y)::numeric AS dp, count(*) FILTER (WHERE NOT y)::numeric AS dn
                        FROM metrics_par GROUP BY s) g
                  WINDOW w AS (ORDER BY s DESC)) t)::float8) < 1e-12,
          'pr_auc equals average precision computed in SQL from its definition');

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- catalog: aggregates parallel safe with a combine function over pmed.metric_state (a
-- non-internal state: no serialize / deserialize)
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'pmed'
             AND p.proname IN ('auc', 'pr_auc', 'accuracy', 'confusion_matrix', 'rmse', 'log_loss', 'brier')
             AND p.proparallel = 's' AND a.aggcombinefn <> 0 AND a.aggserialfn = 0
             AND a.aggdeserialfn = 0 AND a.aggtranstype = 'pmed.metric_state'::regtype), 7,
          'seven metric aggregates: PARALLEL SAFE, combine, STYPE pmed.metric_state');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc t ON t.oid = a.aggtransfn
           JOIN pg_proc c ON c.oid = a.aggcombinefn JOIN pg_proc p ON p.oid = a.aggfnoid
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'pmed' AND p.proname IN ('auc', 'pr_auc', 'accuracy', 'confusion_matrix',
                 'rmse', 'log_loss', 'brier') AND (t.proisstrict OR c.proisstrict)), 0,
          'transition and combine functions are not STRICT');
SELECT is((SELECT provolatile::text || proisstrict::text || proparallel::text FROM pg_proc
           WHERE oid = 'pmed.fold(anyelement, int, int)'::regprocedure), 'itrues',
          'fold is IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'pmed' AND p.proname IN ('jaccard', 'precision_at_k', 'recall_at_k', 'ndcg_at_k')
             AND p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's'), 4,
          'ranking scalars are IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'pmed' AND (p.proname LIKE 'metrics\_%' OR p.proname IN ('auc', 'pr_auc',
                 'accuracy', 'confusion_matrix', 'rmse', 'log_loss', 'brier', 'jaccard', 'precision_at_k',
                 'recall_at_k', 'ndcg_at_k', 'fold'))
             AND obj_description(p.oid, 'pg_proc') IS NULL), 0,
          'every metrics function and aggregate has a COMMENT');

-- errors and their SQLSTATEs
SELECT throws_ok($$SELECT pmed.auc(s, true) FROM (VALUES ('NaN'::float8)) v(s)$$, '22023', NULL,
                 'NaN score: 22023');
SELECT throws_ok($$SELECT pmed.pr_auc(s, true) FROM (VALUES ('Infinity'::float8)) v(s)$$, '22023', NULL,
                 'infinite score: 22023');
SELECT throws_ok($$SELECT pmed.fold(1, 1)$$, '22023', 'fold: folds must be at least 2, got 1',
                 'folds < 2: 22023');
SELECT throws_ok($$SELECT pmed.log_loss(2.0, true)$$, '22023', NULL, 'probability above 1: 22023');
SELECT throws_ok($$SELECT pmed.precision_at_k('{1}', '{1}', 0)$$, '22023', NULL, 'k = 0: 22023');
-- fold: deterministic and balanced
SELECT is((SELECT array_agg(pmed.fold(x, 5) ORDER BY x) FROM generate_series(1, 20) x),
          (SELECT array_agg(pmed.fold(x::bigint, 5) ORDER BY x) FROM generate_series(1, 20) x),
          'int and bigint keys give the same folds');
SELECT ok((SELECT bool_and(abs(n - 1000) < 80) FROM
            (SELECT pmed.fold('patient-' || x, 10, 7) f, count(*) n FROM generate_series(1, 10000) x GROUP BY 1) t),
          '10 folds over 10000 text keys: each 1000 +- 8% (2.5 sd)');
SELECT is((SELECT count(DISTINCT pmed.fold(x, 10)) FROM generate_series(1, 10000) x)::int, 10,
          'all 10 folds are used');
-- cross-validation: each row is in the test part of exactly one of 5 folds
SELECT is((SELECT count(*)::int FROM metrics_par m, generate_series(0, 4) k
           WHERE pmed.fold(m.i, 5, 11) = k), 200000, 'every row tests in exactly one fold');
-- per-fold AUC over the parallel table is defined for every fold
SELECT is((SELECT count(*)::int FROM (SELECT pmed.fold(i, 5) f, pmed.auc(s, y) a FROM metrics_par GROUP BY 1) t
           WHERE a BETWEEN 0.85 AND 1), 5, 'a sensible AUC in each of the 5 folds');

SELECT * FROM finish();
ROLLBACK;
