-- test/upgrade.sh, step 1, in a database with the OLD version installed:
-- train and store one model of every kind.  Deterministic data and seeds.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\i data/wdbc/load.sql
\i data/diabetes/load.sql
-- 200 patients, 40 drugs; each patient takes 3 to 7 drugs, in overlapping runs.
CREATE TABLE rx AS
SELECT p AS patient, (p * 7 + k * k) % 40 + 1 AS drug, 1.0 + (p + k) % 3 AS w
FROM generate_series(1, 200) p, generate_series(1, 3 + p % 5) k;
CREATE TABLE drug_profile AS
SELECT d AS item, ARRAY[d % 3, d % 5, (d * d) % 7, sqrt(d)]::float8[] AS features
FROM generate_series(1, 40) d;
CREATE TABLE ddi AS
SELECT d AS a, d + 3 AS b FROM generate_series(1, 36, 4) d;

CREATE TABLE stored_models (kind text PRIMARY KEY, model bytea NOT NULL, info jsonb);
INSERT INTO stored_models (kind, model)
SELECT 'baseline', pmed.baseline_train(features, diagnosis) FROM wdbc
UNION ALL SELECT 'baseline_regression', pmed.baseline_train(features, progression) FROM diabetes
UNION ALL SELECT 'svm_rbf', pmed.svm_train(features, diagnosis, '{"seed": 1}') FROM wdbc
UNION ALL SELECT 'svm_linear', pmed.svm_train(features, diagnosis, '{"kernel": "linear", "seed": 1}') FROM wdbc
UNION ALL SELECT 'forest', pmed.forest_train(features, diagnosis, '{"trees": 25, "seed": 1}') FROM wdbc
UNION ALL SELECT 'forest_regression', pmed.forest_train(features, progression, '{"trees": 25, "seed": 1}') FROM diabetes
UNION ALL SELECT 'cf_item_knn', pmed.cf_train(patient, drug, w) FROM rx
UNION ALL SELECT 'cf_als', pmed.cf_train(patient, drug, w, '{"method": "als", "factors": 4, "iterations": 5, "seed": 1}') FROM rx
UNION ALL SELECT 'content', pmed.content_train(item, features) FROM drug_profile
UNION ALL SELECT 'interactions', pmed.interactions_train(a, b) FROM ddi;
UPDATE stored_models SET info = pmed.model_info(model);
