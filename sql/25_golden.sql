-- Golden SVM and forest models (format version 1, written from WDBC by
-- test/golden/generate.sh): the committed bytes must keep decoding and
-- predicting exactly what they predicted when they were written.
\set VERBOSITY terse
SET client_min_messages = warning;
\i data/wdbc/load.sql
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE golden (name text PRIMARY KEY, model bytea);
\set g `cat test/golden/svm_rbf_wdbc_v1.hex`
INSERT INTO golden VALUES ('svm_rbf', :'g');
\set g `cat test/golden/svm_linear_wdbc_v1.hex`
INSERT INTO golden VALUES ('svm_linear', :'g');
\set g `cat test/golden/forest_wdbc_v1.hex`
INSERT INTO golden VALUES ('forest', :'g');
\set g `cat test/golden/forest_regression_wdbc_v1.hex`
INSERT INTO golden VALUES ('forest_regression', :'g');

-- What each model says about itself (stable fields only).
SELECT name, i ->> 'kind' AS kind, i ->> 'format_version' AS format_version,
       i ->> 'task' AS task, i ->> 'n_features' AS n_features, i -> 'classes' AS classes,
       i ->> 'positive_class' AS positive, i ->> 'rows_used' AS rows_used, i ->> 'crc32c' AS crc32c
FROM golden, pmed.model_info(model) i ORDER BY name;
SELECT name, i ->> 'kernel' AS kernel, i ->> 'support_vectors' AS support_vectors,
       round((i ->> 'gamma')::numeric, 6) AS gamma, i ->> 'probability' AS probability
FROM golden, pmed.model_info(model) i WHERE name LIKE 'svm%' ORDER BY name;
SELECT name, i ->> 'trees' AS trees, i ->> 'max_depth' AS max_depth, i ->> 'nodes' AS nodes,
       i ->> 'leaves' AS leaves, round((i ->> 'oob_error')::numeric, 6) AS oob_error,
       i ->> 'importance' AS importance
FROM golden, pmed.model_info(model) i WHERE name LIKE 'forest%' ORDER BY name;

-- Classifiers on every 50th patient: label, probability of malignant, and
-- the SVM decision value.
SELECT w.id, g.name, pmed.predict_label(g.model, w.features) AS label,
       round(pmed.predict_proba(g.model, w.features, 'malignant')::numeric, 6) AS p_malignant,
       CASE WHEN g.name LIKE 'svm%' THEN round(pmed.svm_decision(g.model, w.features)::numeric, 6) END AS decision
FROM golden g, wdbc w WHERE g.name <> 'forest_regression' AND w.id % 50 = 1
ORDER BY w.id, g.name;

-- Every patient: correct labels and the summed probabilities.
SELECT g.name, count(*) FILTER (WHERE pmed.predict_label(g.model, w.features) = w.diagnosis) AS correct,
       round(sum(round(pmed.predict_proba(g.model, w.features, 'malignant')::numeric, 6)), 6) AS sum_p
FROM golden g, wdbc w WHERE g.name <> 'forest_regression' GROUP BY g.name ORDER BY g.name;

-- The regression forest predicts mean_radius from the other 29 features.
SELECT w.id, round(pmed.predict(g.model, w.features[2:30])::numeric, 6) AS mean_radius
FROM golden g, wdbc w WHERE g.name = 'forest_regression' AND w.id % 50 = 1 ORDER BY w.id;
SELECT round(sum(round(pmed.predict(g.model, w.features[2:30])::numeric, 6)), 6) AS sum_pred
FROM golden g, wdbc w WHERE g.name = 'forest_regression';

-- TreeSHAP on the golden forest: the three largest contributions for one
-- patient, and base + contributions = the prediction for every patient.
SELECT feature, round(contribution::numeric, 6) AS contribution
FROM golden g, pmed.explain(g.model, (SELECT features FROM wdbc WHERE id = 5))
WHERE g.name = 'forest' ORDER BY abs(contribution) DESC, feature LIMIT 3;
SELECT max(abs(e.total - pmed.predict_proba(g.model, w.features))) < 1e-9 AS additive, count(*) AS patients
FROM golden g, wdbc w,
     LATERAL (SELECT sum(contribution) AS total FROM pmed.explain(g.model, w.features)) e
WHERE g.name = 'forest';
SELECT name, feature, importance FROM (
  SELECT g.name, fi.feature, round(fi.importance::numeric, 6) AS importance,
         row_number() OVER (PARTITION BY g.name ORDER BY fi.importance DESC, fi.feature) AS r
  FROM golden g, pmed.feature_importance(g.model) fi WHERE g.name LIKE 'forest%') s
WHERE r <= 3 ORDER BY name, r;

DROP TABLE golden;
