-- Rows for the recalibration reference check (test/reference/recalibrate_check.sh):
-- miscalibrated models (trained on two folds with three in four negatives left
-- out), recalibrated by pmed on one fold; every row's own probability (p0), and
-- pmed's Platt and isotonic probabilities (p_platt, p_iso), on the
-- recalibration rows (role 'fit') and on the held-out rows (role 'eval').
-- Run from the repository root.
\set QUIET on
SET client_min_messages = warning;
\i data/wdbc/load.sql
\i data/diabetes/load.sql
CREATE TEMP TABLE rr_rows AS
SELECT 'diabetes'::text AS data, id, features, progression > 140 AS y FROM diabetes
UNION ALL SELECT 'wdbc', id, features, diagnosis = 'malignant' FROM wdbc;
CREATE TEMP TABLE rr_base AS
SELECT data, 'svm'::text AS fam, pmed.svm_train(features, y, '{"seed": 1}') AS model
FROM rr_rows WHERE pmed.fold(id, 5) IN (0, 1) AND (y OR pmed.fold(id, 4, 3) = 0) GROUP BY data
UNION ALL
SELECT data, 'forest', pmed.forest_train(features, y, '{"seed": 1, "trees": 100}')
FROM rr_rows WHERE pmed.fold(id, 5) IN (0, 1) AND (y OR pmed.fold(id, 4, 3) = 0) GROUP BY data;
CREATE TEMP TABLE rr_models AS
SELECT b.data, b.fam, b.model,
       (SELECT pmed.recalibrate(b.model, r.features, r.y) FROM rr_rows r WHERE r.data = b.data AND pmed.fold(r.id, 5) = 2) AS platt,
       (SELECT pmed.recalibrate(b.model, r.features, r.y, '{"method": "isotonic"}') FROM rr_rows r WHERE r.data = b.data AND pmed.fold(r.id, 5) = 2) AS iso
FROM rr_base b;
\o :rows_csv
COPY (SELECT m.data, m.fam, r.id, CASE WHEN pmed.fold(r.id, 5) = 2 THEN 'fit' ELSE 'eval' END AS role, r.y,
             pmed.predict_proba(m.model, r.features) AS p0,
             pmed.predict_proba(m.platt, r.features) AS p_platt,
             pmed.predict_proba(m.iso, r.features) AS p_iso,
             pmed.model_info(m.platt)->'recalibration' AS platt_info,
             pmed.model_info(m.iso)->'recalibration' AS iso_info
      FROM rr_models m JOIN rr_rows r ON r.data = m.data
      WHERE pmed.fold(r.id, 5) >= 2 ORDER BY 1, 2, 3) TO STDOUT WITH (FORMAT csv, HEADER true);
\o
