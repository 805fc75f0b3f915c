-- pmed.forest_train: random forests for classification and regression.
\set VERBOSITY terse
SET client_min_messages = warning;
\i data/wdbc/load.sql
\i data/diabetes/load.sql
RESET client_min_messages;

-- Classification on WDBC: test rows are pmed.fold(id, 5) = 0 (105 rows), training the rest.
CREATE TABLE forest_wdbc AS
SELECT pmed.forest_train(features, diagnosis, '{"trees": 100, "seed": 7}') AS model
FROM wdbc WHERE pmed.fold(id, 5) <> 0;

SELECT i->>'kind' AS kind, i->>'task' AS task, i->'classes' AS classes,
       i->>'positive_class' AS positive, i->>'trees' AS trees, i->>'mtry' AS mtry,
       i->>'min_leaf' AS min_leaf, i->>'rows_used' AS rows_used,
       i->>'stores_training_rows' AS stores_rows,
       round((i->>'oob_error')::numeric, 3) AS oob_error, i->>'oob_rows' AS oob_rows,
       (i->>'nodes')::int > 1000 AS many_nodes, (i->'depth'->>'max')::int >= 5 AS deep
FROM (SELECT pmed.model_info(model) AS i FROM forest_wdbc) s;

-- Accuracy: scikit-learn's RandomForestClassifier (100 trees, max_features 5)
-- gets 100.8 of 105 test rows right on average over 20 seeds (0.9600, from 0.9524
-- to 0.9714); we need at least that, within one test row.
SELECT count(*) FILTER (WHERE pmed.predict_label(model, features) = diagnosis) AS correct,
       count(*) AS test_rows,
       count(*) FILTER (WHERE pmed.predict_label(model, features) = diagnosis) >= 100 AS at_least_sklearn
FROM forest_wdbc, wdbc WHERE pmed.fold(id, 5) = 0;

-- ROC AUC of predict_proba on the test rows (scikit-learn's forests average 0.9894).
SELECT round(pmed.auc(pmed.predict_proba(model, features), diagnosis = 'malignant')::numeric, 4) AS auc
FROM forest_wdbc, wdbc WHERE pmed.fold(id, 5) = 0;

-- predict is the class as a number (1 = positive for a binary text label),
-- predict_proba the positive-class probability, also by label.
SELECT id, pmed.predict(model, features) AS predict, pmed.predict_label(model, features) AS label,
       round(pmed.predict_proba(model, features)::numeric, 2) AS p_malignant,
       round(pmed.predict_proba(model, features, 'benign')::numeric, 2) AS p_benign
FROM forest_wdbc, wdbc WHERE id IN (5, 20, 100) ORDER BY id;

-- TreeSHAP: base_value + contributions = the positive-class probability on every test row.
SELECT max(abs(e.total - pmed.predict_proba(model, w.features))) < 1e-9 AS additive,
       count(*) AS rows_checked
FROM forest_wdbc, wdbc w,
     LATERAL (SELECT sum(contribution) AS total FROM pmed.explain(model, w.features)) e
WHERE pmed.fold(w.id, 5) = 0;

SELECT feature, name, round(value::numeric, 3) AS value, round(contribution::numeric, 4) AS contribution
FROM forest_wdbc, pmed.explain(model, (SELECT features FROM wdbc WHERE id = 5))
ORDER BY abs(contribution) DESC LIMIT 4;

-- Impurity importance sums to 1; the worst radius, perimeter and area features lead.
SELECT round(sum(importance)::numeric, 6) AS total FROM forest_wdbc, pmed.feature_importance(model);
SELECT feature FROM forest_wdbc, pmed.feature_importance(model) ORDER BY importance DESC LIMIT 3;

-- Same rows and seed, same model; another seed, another model.
-- (parameters_crc32c covers the trees; the whole bytea also holds the training time)
SELECT pmed.model_info((SELECT pmed.forest_train(features, diagnosis, '{"trees": 100, "seed": 7}') FROM wdbc WHERE pmed.fold(id, 5) <> 0))->'parameters_crc32c'
       = pmed.model_info(model)->'parameters_crc32c' AS same_seed_same_trees,
       pmed.model_info((SELECT pmed.forest_train(features, diagnosis, '{"trees": 100, "seed": 8}') FROM wdbc WHERE pmed.fold(id, 5) <> 0))->'parameters_crc32c'
       = pmed.model_info(model)->'parameters_crc32c' AS other_seed_same_trees
FROM forest_wdbc;

SELECT tree, nodes, leaves, depth > 2 AS deep FROM forest_wdbc, pmed.forest_trees(model) LIMIT 3;

-- Regression on the diabetes data (test rows pmed.fold(id, 5) = 0, 80 rows).
-- scikit-learn's RandomForestRegressor (100 trees, max_features 3, min_samples_leaf 5)
-- averages RMSE 58.36 over 20 seeds (57.53 .. 59.34).
CREATE TABLE forest_diabetes AS
SELECT pmed.forest_train(features, progression,
         '{"trees": 100, "seed": 7, "feature_names": ["age","sex","bmi","bp","s1","s2","s3","s4","s5","s6"]}') AS model
FROM diabetes WHERE pmed.fold(id, 5) <> 0;
SELECT i->>'task' AS task, i->>'mtry' AS mtry, i->>'min_leaf' AS min_leaf, i->>'oob_error_kind' AS oob_kind,
       round(sqrt((i->>'oob_error')::float8)::numeric, 0) AS oob_rmse
FROM (SELECT pmed.model_info(model) AS i FROM forest_diabetes) s;
SELECT round(sqrt(avg((pmed.predict(model, features) - progression) ^ 2))::numeric, 1) AS rmse,
       sqrt(avg((pmed.predict(model, features) - progression) ^ 2)) < 58.5 AS near_sklearn
FROM forest_diabetes, diabetes WHERE pmed.fold(id, 5) = 0;
SELECT max(abs(e.total - pmed.predict(model, d.features))) < 1e-9 AS additive
FROM forest_diabetes, diabetes d,
     LATERAL (SELECT sum(contribution) AS total FROM pmed.explain(model, d.features)) e
WHERE pmed.fold(d.id, 5) = 0;
SELECT name FROM forest_diabetes, pmed.feature_importance(model) ORDER BY importance DESC LIMIT 2;
SELECT pmed.predict_proba(model, (SELECT features FROM diabetes WHERE id = 1)) FROM forest_diabetes;

-- Permutation importance on out-of-bag rows.
SELECT name, importance > 0 AS positive
FROM pmed.feature_importance((SELECT pmed.forest_train(features, progression,
         '{"trees": 30, "importance": "permutation", "feature_names": ["age","sex","bmi","bp","s1","s2","s3","s4","s5","s6"]}')
       FROM diabetes))
ORDER BY importance DESC LIMIT 2;

-- Boolean, integer and three-class labels; float4 and numeric labels are regression.
CREATE TABLE forest_small AS
SELECT i, ARRAY[i::float8, (i % 7)::float8] AS f, i > 50 AS b, (i / 34)::int AS k,
       (i * 0.5)::float4 AS r4, (i * 0.5)::numeric AS rn
FROM generate_series(1, 100) i;
SELECT pmed.predict(m, ARRAY[10, 1]) AS p10, pmed.predict(m, ARRAY[90, 1]) AS p90,
       pmed.predict_label(m, ARRAY[10, 1]) AS label10, pmed.predict_label(m, ARRAY[90, 1]) AS label90,
       round(pmed.predict_proba(m, ARRAY[90, 1])::numeric, 1) AS p_true90
FROM (SELECT pmed.forest_train(f, b, '{"trees": 20}') AS m FROM forest_small) s;
SELECT pmed.model_info(m)->'classes' AS classes, pmed.predict(m, ARRAY[80, 3]) AS p80,
       round(pmed.predict_proba(m, ARRAY[80, 3], '2')::numeric, 1) AS p_class2
FROM (SELECT pmed.forest_train(f, k, '{"trees": 20}') AS m FROM forest_small) s;
-- multiclass explain: the last class's probability when there is no positive class
SELECT abs((SELECT sum(contribution) FROM pmed.explain(m, ARRAY[80, 3])) - pmed.predict_proba(m, ARRAY[80, 3], '2')) < 1e-12 AS additive
FROM (SELECT pmed.forest_train(f, k, '{"trees": 20}') AS m FROM forest_small) s;
SELECT pmed.model_info(pmed.forest_train(f, r4))->>'task' AS float4_task,
       pmed.model_info(pmed.forest_train(f, rn))->>'task' AS numeric_task,
       abs(pmed.predict(pmed.forest_train(f, rn, '{"min_leaf": 1, "trees": 50}'), ARRAY[40, 5]) - 20) < 3 AS about_20
FROM forest_small;

-- NULL features are missing values, at training and at prediction: here NULL
-- in feature 1 means a high value, so the learned default direction sends it there.
SELECT pmed.predict_label(m, ARRAY[NULL, 2]::float8[]) AS missing_goes_high,
       pmed.predict_label(m, ARRAY[5, NULL]::float8[]) AS low_with_missing,
       pmed.model_info(m)->>'rows_used' AS used, pmed.model_info(m)->>'rows_skipped' AS skipped
FROM (SELECT pmed.forest_train(CASE WHEN i > 80 THEN ARRAY[NULL, i % 7] ELSE f END, b, '{"trees": 20}') AS m
      FROM (SELECT * FROM forest_small UNION ALL SELECT 0, NULL, true, 0, 0, 0) s) q;

-- Bad input.
SELECT pmed.forest_train(f, b, '{"tres": 10}') FROM forest_small;
SELECT pmed.forest_train(f, b, '{"trees": 0}') FROM forest_small;
SELECT pmed.forest_train(f, b, '{"trees": 1000000}') FROM forest_small;
SELECT pmed.forest_train(f, b, '{"max_depth": 100000}') FROM forest_small;
SELECT pmed.forest_train(f, b, '{"mtry": 3}') FROM forest_small;
SELECT pmed.forest_train(f, b, '{"importance": "gain"}') FROM forest_small;
SELECT pmed.forest_train(f, b, '{"sample_fraction": 0}') FROM forest_small;
SELECT pmed.forest_train(f, true) FROM forest_small;
SELECT pmed.forest_train(ARRAY[1, 2]::float8[], b) FROM forest_small;
SELECT pmed.forest_train(ARRAY[NULL, NULL]::float8[], b) FROM forest_small;
SELECT pmed.forest_train(f, CASE WHEN i = 3 THEN 'NaN'::float8 ELSE i END) FROM forest_small;
SELECT pmed.forest_train(f, CASE WHEN i = 3 THEN 'Infinity'::float8 ELSE i END) FROM forest_small;
SELECT pmed.forest_trees(pmed.baseline_train(f, b)) FROM forest_small;
SELECT pmed.predict(model, ARRAY[1, 2]) FROM forest_wdbc;
-- a corrupted model: one flipped bit, and a truncated one
SELECT pmed.predict(set_byte(model, 200, get_byte(model, 200) # 1), (SELECT features FROM wdbc WHERE id = 1)) FROM forest_wdbc;
SELECT pmed.predict(substr(model, 1, 1000), (SELECT features FROM wdbc WHERE id = 1)) FROM forest_wdbc;
