#!/usr/bin/env bash
# Federated vs central random forests (not a test): held-out quality over
# 5 folds (pmed.fold(id, 5)) and the bytes that move, on the bundled WDBC
# (classification, AUC) and diabetes (regression, R^2 and RMSE) data.
# The training rows of each fold are split into k hash partitions
# (abs(hashint4(id * 7919)) % k); each partition makes one partial state
# with pmed.forest_train_partial, merged by pmed.train_from_partials.
#   central  : pmed.forest_train on all training rows (100 trees)
#   k = 2/4/8: "federated": true, 100 trees per partition (union of k x 100),
#              and k = 8 capped to 100 trees ("union_trees": 100)
# Bytes moved = the sum of the partial states' sizes (bytea; their text
# form is base64, 4/3 of that): federated states hold trees, the
# non-federated states of the same partitions hold the rows.
# Needs a running server with pmed installed (PGHOST/PGPORT/PGUSER/PGDATABASE).
set -euo pipefail
cd "$(dirname "$0")/../.."
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pmed;
\i data/wdbc/load.sql
\i data/diabetes/load.sql
SET client_min_messages = warning;

CREATE TEMP TABLE cfg (k int, cap int);
INSERT INTO cfg VALUES (2, NULL), (4, NULL), (8, NULL), (8, 100);

-- one data set at a time: (id, features, label, y) with y the numeric target
CREATE TEMP VIEW ds_wdbc AS SELECT id, features, diagnosis AS label, (diagnosis = 'malignant')::int::float8 AS y FROM wdbc;
CREATE TEMP VIEW ds_diab AS SELECT id, features, progression AS label, progression AS y FROM diabetes;

CREATE FUNCTION pg_temp.opts(cap int) RETURNS jsonb LANGUAGE sql AS
$$ SELECT '{"federated": true, "trees": 100, "seed": 7}'::jsonb
          || CASE WHEN cap IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('union_trees', cap) END $$;

-- WDBC ---------------------------------------------------------------------
CREATE TEMP TABLE w_parts AS
SELECT f.fold, c.k, c.cap, abs(hashint4(d.id * 7919)) % c.k AS part,
       pmed.forest_train_partial(d.features, d.label, pg_temp.opts(c.cap)) AS fed_state,
       pmed.forest_train_partial(d.features, d.label, '{"trees": 100, "seed": 7}') AS row_state
FROM generate_series(0, 4) f(fold), cfg c, ds_wdbc d
WHERE pmed.fold(d.id, 5) <> f.fold
GROUP BY 1, 2, 3, 4;
CREATE TEMP TABLE w_models AS
SELECT fold, k, cap, pmed.train_from_partials(fed_state) AS model,
       sum(length(fed_state))::bigint AS fed_bytes, sum(length(row_state))::bigint AS row_bytes
FROM w_parts GROUP BY 1, 2, 3
UNION ALL
SELECT f.fold, 1, NULL, pmed.forest_train(d.features, d.label, '{"trees": 100, "seed": 7}'), NULL,
       length(pmed.forest_train_partial(d.features, d.label, '{"trees": 100, "seed": 7}'))
FROM generate_series(0, 4) f(fold), ds_wdbc d WHERE pmed.fold(d.id, 5) <> f.fold GROUP BY 1;
CREATE TEMP TABLE w_auc AS
SELECT m.fold, m.k, m.cap, pmed.auc(pmed.predict_proba(m.model, d.features), d.y = 1) AS auc,
       m.fed_bytes, m.row_bytes, (pmed.model_info(m.model) ->> 'trees')::int AS trees, length(m.model) AS model_bytes
FROM w_models m JOIN ds_wdbc d ON pmed.fold(d.id, 5) = m.fold
GROUP BY m.fold, m.k, m.cap, m.model, m.fed_bytes, m.row_bytes;

\echo
\echo 'WDBC (569 rows, 30 features), 5 folds: held-out AUC, bytes moved per fold (mean)'
SELECT CASE WHEN k = 1 THEN 'central' ELSE 'federated, ' || k || ' partitions' END AS training,
       max(trees) AS trees,
       round(avg(auc)::numeric, 4) AS mean_auc, round(min(auc)::numeric, 4) AS min_auc, round(max(auc)::numeric, 4) AS max_auc,
       round((avg(auc) - (SELECT avg(auc) FROM w_auc WHERE k = 1))::numeric, 4) AS vs_central,
       CASE WHEN k = 1 THEN '-' ELSE round(avg(fed_bytes))::text END AS bytes_federated_states,
       round(avg(row_bytes)) AS bytes_row_states,
       round(avg(model_bytes)) AS model_bytes
FROM w_auc GROUP BY k, cap ORDER BY k, cap NULLS FIRST;

-- diabetes -----------------------------------------------------------------
CREATE TEMP TABLE d_parts AS
SELECT f.fold, c.k, c.cap, abs(hashint4(d.id * 7919)) % c.k AS part,
       pmed.forest_train_partial(d.features, d.label, pg_temp.opts(c.cap)) AS fed_state,
       pmed.forest_train_partial(d.features, d.label, '{"trees": 100, "seed": 7}') AS row_state
FROM generate_series(0, 4) f(fold), cfg c, ds_diab d
WHERE pmed.fold(d.id, 5) <> f.fold
GROUP BY 1, 2, 3, 4;
CREATE TEMP TABLE d_models AS
SELECT fold, k, cap, pmed.train_from_partials(fed_state) AS model,
       sum(length(fed_state))::bigint AS fed_bytes, sum(length(row_state))::bigint AS row_bytes
FROM d_parts GROUP BY 1, 2, 3
UNION ALL
SELECT f.fold, 1, NULL, pmed.forest_train(d.features, d.label, '{"trees": 100, "seed": 7}'), NULL,
       length(pmed.forest_train_partial(d.features, d.label, '{"trees": 100, "seed": 7}'))
FROM generate_series(0, 4) f(fold), ds_diab d WHERE pmed.fold(d.id, 5) <> f.fold GROUP BY 1;
CREATE TEMP TABLE d_fit AS
SELECT m.fold, m.k, m.cap,
       1 - sum((d.y - pmed.predict(m.model, d.features)) ^ 2)
           / (sum(d.y * d.y) - sum(d.y) * sum(d.y) / count(*)) AS r2,
       sqrt(avg((d.y - pmed.predict(m.model, d.features)) ^ 2)) AS rmse,
       m.fed_bytes, m.row_bytes, (pmed.model_info(m.model) ->> 'trees')::int AS trees
FROM d_models m JOIN ds_diab d ON pmed.fold(d.id, 5) = m.fold
GROUP BY m.fold, m.k, m.cap, m.model, m.fed_bytes, m.row_bytes;

\echo
\echo 'diabetes (442 rows, 10 features, regression), 5 folds: held-out R^2 and RMSE, bytes moved per fold (mean)'
SELECT CASE WHEN k = 1 THEN 'central' ELSE 'federated, ' || k || ' partitions' END AS training,
       max(trees) AS trees,
       round(avg(r2)::numeric, 4) AS mean_r2, round(min(r2)::numeric, 4) AS min_r2, round(max(r2)::numeric, 4) AS max_r2,
       round(avg(rmse)::numeric, 2) AS mean_rmse,
       CASE WHEN k = 1 THEN '-' ELSE round(avg(fed_bytes))::text END AS bytes_federated_states,
       round(avg(row_bytes)) AS bytes_row_states
FROM d_fit GROUP BY k, cap ORDER BY k, cap NULLS FIRST;
SQL
