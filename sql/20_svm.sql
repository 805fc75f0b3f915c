-- SVM models: RBF and linear kernels, labels of every kind, multi-class,
-- probabilities, missing values, explain, model_info, and bad input.
-- Split: pmed.fold(id, 5) = 0 is the test set, the rest trains.
\i data/wdbc/load.sql
SET extra_float_digits = 0;

CREATE TABLE svm_models AS
SELECT pmed.svm_train(features, diagnosis) AS rbf,
       pmed.svm_train(features, diagnosis, '{"kernel": "linear", "seed": 3}') AS lin
FROM wdbc WHERE pmed.fold(id, 5) <> 0;

-- What the models say about themselves (volatile fields left out).
SELECT key, value FROM svm_models, jsonb_each(pmed.model_info(rbf))
WHERE key IN ('kind', 'kernel', 'C', 'classes', 'positive_class', 'probability', 'standardize',
              'stores_training_rows', 'rows_used', 'tol') ORDER BY key;
SELECT round((pmed.model_info(rbf) ->> 'gamma')::numeric, 6) AS gamma_scale,
       (pmed.model_info(rbf) ->> 'support_vectors')::int BETWEEN 50 AND 200 AS some_support_vectors,
       (pmed.model_info(rbf) ->> 'iterations')::int > 0 AS iterated
FROM svm_models;
SELECT key, value FROM svm_models, jsonb_each(pmed.model_info(lin))
WHERE key IN ('kernel', 'gamma', 'support_vectors', 'stores_training_rows') ORDER BY key;

-- Held-out accuracy (libsvm on the same split, same C and gamma, standardized:
-- rbf 102/105, linear kernel 101/105; see test/bench/svm_libsvm_acc.py).
SELECT count(*) AS n_test,
       sum((pmed.predict_label(rbf, features) = diagnosis)::int) AS rbf_correct,
       sum((pmed.predict_label(lin, features) = diagnosis)::int) AS linear_correct
FROM svm_models, wdbc WHERE pmed.fold(id, 5) = 0;

-- predict gives the class index for text labels; probabilities lie in (0, 1)
-- and agree with the predicted label on nearly every row.
SELECT DISTINCT pmed.predict(rbf, features), pmed.predict_label(rbf, features)
FROM svm_models, wdbc ORDER BY 1;
SELECT bool_and(p > 0 AND p < 1) AS in_range,
       sum(((p > 0.5) = (label = 'malignant'))::int) >= 0.97 * count(*) AS agrees,
       round(pmed.auc(p, diagnosis = 'malignant')::numeric, 2) AS test_auc
FROM (SELECT pmed.predict_proba(rbf, features) AS p, pmed.predict_label(rbf, features) AS label, diagnosis
      FROM svm_models, wdbc WHERE pmed.fold(id, 5) = 0) s;
SELECT round((pmed.predict_proba(rbf, features) + pmed.predict_proba(rbf, features, 'benign'))::numeric, 9) AS total
FROM svm_models, wdbc WHERE id = 1;

-- Linear explain: base_value (the decision at the training mean) plus the
-- contributions equals the decision value, in original feature units.
SELECT round((SELECT sum(contribution) FROM pmed.explain(lin, features))::numeric, 9)
     = round(pmed.svm_decision(lin, features)::numeric, 9) AS adds_up,
       (pmed.svm_decision(lin, features) > 0) = (pmed.predict_label(lin, features) = 'malignant') AS sign_is_class
FROM svm_models, wdbc WHERE id IN (1, 20, 300) ORDER BY id;
-- RBF explain: each contribution is the change when that feature is set to its mean.
SELECT count(*) AS rows, count(*) FILTER (WHERE feature = 0 AND name = 'base_value') AS base_rows
FROM svm_models, wdbc, pmed.explain(rbf, features) WHERE id = 1;

-- NULL features are imputed with the training mean, at prediction too.
CREATE TABLE svm_means AS
SELECT array_agg(m ORDER BY j) AS means FROM (
  SELECT j, avg(features[j]) AS m FROM wdbc, generate_series(1, 30) j
  WHERE pmed.fold(id, 5) <> 0 GROUP BY j) s;
SELECT round(pmed.predict_proba(rbf, array_cat(ARRAY[NULL, NULL]::float8[], features[3:30]))::numeric, 9)
     = round(pmed.predict_proba(rbf, array_cat(means[1:2], features[3:30]))::numeric, 9) AS rbf_imputes_mean,
       round(pmed.svm_decision(lin, array_cat(ARRAY[NULL]::float8[], features[2:30]))::numeric, 9)
     = round(pmed.svm_decision(lin, array_cat(means[1:1], features[2:30]))::numeric, 9) AS linear_imputes_mean
FROM svm_models, svm_means, wdbc WHERE id = 7;
-- NULLs in training rows too.
SELECT pmed.model_info(pmed.svm_train(CASE WHEN id % 7 = 0 THEN array_cat(ARRAY[NULL]::float8[], features[2:30])
                                           ELSE features END, diagnosis, '{"probability": false}')) ->> 'rows_used' AS rows_used
FROM wdbc;

-- Boolean and integer labels; the positive class; balanced class weights; no probabilities.
WITH m AS (SELECT pmed.svm_train(features, diagnosis = 'malignant', '{"kernel": "linear", "class_weight": "balanced"}') AS b,
                  pmed.svm_train(features, CASE diagnosis WHEN 'malignant' THEN 4 ELSE 2 END,
                                 '{"probability": false, "C": 10, "gamma": 0.02}') AS i,
                  pmed.svm_train(features, diagnosis, '{"positive": "benign", "kernel": "linear"}') AS pos
           FROM wdbc WHERE pmed.fold(id, 5) <> 0)
SELECT pmed.predict_label(b, features) AS bool_label,
       pmed.predict(i, features) AS int_pred, pmed.predict_label(i, features) AS int_label,
       pmed.model_info(pos) ->> 'positive_class' AS positive,
       pmed.svm_decision(pos, features) < 0 AS malignant_is_negative
FROM m, wdbc WHERE id = 1;

-- Three classes: one-vs-one voting, coupled probabilities sum to 1.
CREATE TABLE svm_three AS
SELECT id, features, CASE WHEN diagnosis = 'malignant' THEN 'M' WHEN features[1] < 12 THEN 'small' ELSE 'large' END AS label
FROM wdbc;
CREATE TABLE svm_m3 AS SELECT pmed.svm_train(features, label, '{"C": 10}') AS m,
                              pmed.svm_train(features, label, '{"kernel": "linear", "C": 10}') AS l
FROM svm_three WHERE pmed.fold(id, 5) <> 0;
SELECT pmed.model_info(m) -> 'classes' AS classes, pmed.model_info(m) ->> 'multiclass' AS scheme,
       round(avg((pmed.predict_label(m, features) = label)::int)::numeric, 1) >= 0.9 AS rbf_accurate,
       round(avg((pmed.predict_label(l, features) = label)::int)::numeric, 1) >= 0.9 AS linear_accurate,
       bool_and(abs(pmed.predict_proba(m, features, 'M') + pmed.predict_proba(m, features, 'small')
                    + pmed.predict_proba(m, features, 'large') - 1) < 1e-6) AS sums_to_one
FROM svm_m3, svm_three WHERE pmed.fold(id, 5) = 0 GROUP BY 1, 2;

-- feature_names name the explain rows.
SELECT feature, name FROM pmed.explain(
  (SELECT pmed.svm_train(f, y, '{"kernel": "linear", "feature_names": ["age", "dose"]}')
   FROM (VALUES (ARRAY[1, 2]::float8[], true), (ARRAY[2, 1]::float8[], true), (ARRAY[5, 6]::float8[], false),
                (ARRAY[6, 5]::float8[], false)) t(f, y)),
  ARRAY[3, 3]::float8[]) ORDER BY feature;

-- Bad input.
SELECT pmed.predict(rbf, ARRAY[1, 2, 3]::float8[]) FROM svm_models;
SELECT pmed.predict(rbf, array_cat(ARRAY['NaN']::float8[], features[2:30])) FROM svm_models, wdbc WHERE id = 1;
SELECT pmed.predict(rbf, array_cat(ARRAY['Infinity']::float8[], features[2:30])) FROM svm_models, wdbc WHERE id = 1;
SELECT pmed.svm_train(ARRAY[]::float8[], true);
SELECT pmed.svm_train(f, y) FROM (VALUES (ARRAY[NULL, NULL]::float8[], true), (ARRAY[1, 2]::float8[], false)) t(f, y);
SELECT pmed.svm_train(features, diagnosis, '{"kernal": "rbf"}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"C": 0}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"C": -1}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"gamma": 0}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"gamma": "auto"}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"kernel": "poly"}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"kernel": "linear", "gamma": 1}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"tol": 0}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"probability": "yes"}') FROM wdbc;
SELECT pmed.svm_train(features, diagnosis, '{"class_weight": "auto"}') FROM wdbc;
SELECT pmed.svm_train(features, 'benign'::text) FROM wdbc;
SELECT pmed.svm_train(features, CASE WHEN id = 1 THEN 'rare' ELSE diagnosis END) FROM wdbc;
SELECT pmed.svm_train(f, y) FROM (VALUES (ARRAY[NULL, 1]::float8[], true), (ARRAY[NULL, 2]::float8[], true),
                                         (ARRAY[NULL, 3]::float8[], false), (ARRAY[NULL, 4]::float8[], false)) t(f, y);
SELECT pmed.svm_train(features, id::float8) FROM wdbc;
SELECT pmed.predict_proba(pmed.svm_train(features, diagnosis, '{"probability": false}'), (SELECT features FROM wdbc WHERE id = 1)) FROM wdbc;
SELECT pmed.svm_decision(pmed.baseline_train(features, diagnosis), (SELECT features FROM wdbc WHERE id = 1)) FROM wdbc;

DROP TABLE svm_models, svm_means, svm_three, svm_m3;
