-- The pmed demo report: run by test/demo in a throwaway cluster, from the
-- repository root.  Everything here is ordinary SQL a user can copy.
\set QUIET on
\pset footer off
SET client_min_messages = warning;

\echo
\echo '================================================================'
\echo ' pmed demo: in-database machine learning for personalized medicine'
\echo '================================================================'
\echo
\echo '1. Diagnosis support on the Wisconsin Diagnostic Breast Cancer data'
\echo '   (UCI, CC BY 4.0: 569 patients, 30 cell-nucleus measurements).'
\echo '   One patient in five (pmed.fold(id, 5) = 0) is held out for testing.'
\i data/wdbc/load.sql
\i data/wdbc/feature_names.sql
SELECT count(*) FILTER (WHERE pmed.fold(id, 5) <> 0) AS training_patients,
       count(*) FILTER (WHERE pmed.fold(id, 5) = 0) AS test_patients,
       count(*) FILTER (WHERE diagnosis = 'malignant') AS malignant
FROM wdbc;

CREATE TEMP TABLE dx_models AS
SELECT 'baseline (class priors)' AS model, pmed.baseline_train(features, diagnosis) AS m
FROM wdbc WHERE pmed.fold(id, 5) <> 0
UNION ALL
SELECT 'linear SVM', pmed.svm_train(features, diagnosis, '{"kernel": "linear"}')
FROM wdbc WHERE pmed.fold(id, 5) <> 0
UNION ALL
SELECT 'RBF SVM', pmed.svm_train(features, diagnosis, '{"kernel": "rbf", "C": 1, "gamma": "scale"}')
FROM wdbc WHERE pmed.fold(id, 5) <> 0
UNION ALL
SELECT 'random forest', pmed.forest_train(features, diagnosis,
         jsonb_build_object('trees', 200, 'seed', 7,
                            'feature_names', (SELECT jsonb_agg(name ORDER BY feature) FROM wdbc_feature_names)))
FROM wdbc WHERE pmed.fold(id, 5) <> 0;

\echo
\echo 'Models trained by SQL aggregates (each is a bytea value in a table):'
SELECT model, pmed.model_info(m) ->> 'kind' AS kind,
       (pmed.model_info(m) ->> 'rows_used')::int AS rows,
       length(m) AS bytes,
       round((pmed.model_info(m) ->> 'training_seconds')::numeric, 3) AS seconds,
       pmed.model_info(m) ->> 'stores_training_rows' AS stores_patient_rows
FROM dx_models;

\echo
\echo 'Held-out evaluation (metric aggregates over the test fold):'
SELECT d.model,
       round(pmed.accuracy(pmed.predict_label(d.m, w.features), w.diagnosis)::numeric, 3) AS accuracy,
       round(pmed.auc(pmed.predict_proba(d.m, w.features), w.diagnosis = 'malignant')::numeric, 3) AS roc_auc,
       round(pmed.pr_auc(pmed.predict_proba(d.m, w.features), w.diagnosis = 'malignant')::numeric, 3) AS pr_auc,
       round(pmed.brier(pmed.predict_proba(d.m, w.features), w.diagnosis = 'malignant')::numeric, 3) AS brier,
       round(pmed.log_loss(pmed.predict_proba(d.m, w.features), w.diagnosis = 'malignant')::numeric, 3) AS log_loss
FROM dx_models d CROSS JOIN wdbc w
WHERE pmed.fold(w.id, 5) = 0
GROUP BY d.model ORDER BY roc_auc DESC, d.model;

\echo
\echo 'Random forest confusion matrix on the test fold (rows: actual, columns: predicted):'
SELECT jsonb_pretty(pmed.confusion_matrix(pmed.predict_label(d.m, w.features), w.diagnosis)) AS confusion
FROM dx_models d CROSS JOIN wdbc w
WHERE pmed.fold(w.id, 5) = 0 AND d.model = 'random forest';

\echo
\echo 'Why the forest calls test patient 9 malignant: exact TreeSHAP, top 5 features'
\echo '(base_value + all contributions = the predicted probability):'
SELECT e.name, round(e.value::numeric, 3) AS value, round(e.contribution::numeric, 4) AS contribution
FROM dx_models d, wdbc w,
     pmed.explain(d.m, w.features) e
WHERE d.model = 'random forest' AND w.id = 9
ORDER BY e.feature = 0 DESC, abs(e.contribution) DESC LIMIT 6;
SELECT round(pmed.predict_proba(d.m, w.features)::numeric, 4) AS p_malignant,
       round(sum(e.contribution)::numeric, 4) AS base_plus_contributions, w.diagnosis AS actual
FROM dx_models d, wdbc w, pmed.explain(d.m, w.features) e
WHERE d.model = 'random forest' AND w.id = 9
GROUP BY d.m, w.features, w.diagnosis;

\echo
\echo 'Missing values: the same patient with 10 measurements unknown (NULL elements):'
SELECT d.model,
       pmed.predict_label(d.m, w.features) AS with_all_values,
       pmed.predict_label(d.m, w.features[1:20] || array_fill(NULL::float8, ARRAY[10])) AS with_10_missing
FROM dx_models d, wdbc w WHERE w.id = 9 ORDER BY d.model;

\echo
\echo '2. Regression: disease progression one year after baseline'
\echo '   (Efron et al. 2004 diabetes data, 442 patients, 10 baseline variables).'
\i data/diabetes/load.sql
SELECT round(pmed.rmse(pmed.predict(f.m, d.features), d.progression)::numeric, 1) AS forest_rmse,
       round(pmed.rmse(pmed.predict(b.m, d.features), d.progression)::numeric, 1) AS baseline_rmse
FROM diabetes d,
     (SELECT pmed.forest_train(features, progression, '{"seed": 7}') AS m FROM diabetes WHERE pmed.fold(id, 5) <> 0) f,
     (SELECT pmed.baseline_train(features, progression) AS m FROM diabetes WHERE pmed.fold(id, 5) <> 0) b
WHERE pmed.fold(d.id, 5) = 0;

\echo
\echo '3. Drug recommendation from prescription history'
\echo '   (MIMIC-III Clinical Database Demo, ODbL: admissions x drugs).'
\i data/mimic-iii-demo/load.sql
\i data/ddi/load.sql
SELECT count(DISTINCT hadm_id) AS admissions, count(DISTINCT drug_id) AS drugs, count(*) AS prescriptions
FROM mimic_rx;

CREATE TEMP TABLE rx_model AS
SELECT pmed.cf_train(hadm_id, drug_id, 1.0, '{"method": "item_knn", "neighbors": 200}') AS model
FROM mimic_rx WHERE pmed.fold(hadm_id, 5) <> 0;
CREATE TEMP TABLE ddi_model AS
SELECT pmed.interactions_train(drug_a, drug_b) AS model FROM mimic_ddi;

\echo
\echo 'A new patient on aspirin, lisinopril and metoprolol: top 8 suggestions,'
\echo 'then the same with the (illustrative, not clinical) interaction filter:'
CREATE TEMP TABLE current_drugs AS
SELECT array_agg(drug_id ORDER BY drug_id) AS history FROM mimic_drugs
WHERE drug IN ('aspirin', 'lisinopril', 'metoprolol tartrate');
SELECT d.drug, round(r.score::numeric, 3) AS score,
       EXISTS (SELECT 1 FROM mimic_ddi x, current_drugs c
               WHERE (x.drug_a = r.item AND x.drug_b = ANY (c.history))
                  OR (x.drug_b = r.item AND x.drug_a = ANY (c.history))) AS interacts_with_current
FROM rx_model m, current_drugs c, pmed.recommend(m.model, c.history, 8) r
JOIN mimic_drugs d ON d.drug_id = r.item ORDER BY r.score DESC, r.item;
SELECT d.drug, round(r.score::numeric, 3) AS score
FROM rx_model m, ddi_model i, current_drugs c,
     pmed.recommend(m.model, c.history, 8, interactions => i.model) r
JOIN mimic_drugs d ON d.drug_id = r.item ORDER BY r.score DESC, r.item;

\echo
\echo 'Held-out evaluation: one admission in five, recommend from half its drugs,'
\echo 'score on the other half (item-kNN, ALS, content-based, popularity):'
\i data/mimic-iii-demo/evaluate.sql

\echo
\echo '4. Validation report (clinical evaluation aggregates) on the held-out fold.'
\echo '   WDBC: AUC with 95% DeLong confidence interval per model:'
CREATE TEMP TABLE dx_scores AS
SELECT d.model, w.id, pmed.predict_proba(d.m, w.features) AS p, w.diagnosis = 'malignant' AS malignant
FROM dx_models d CROSS JOIN wdbc w
WHERE pmed.fold(w.id, 5) = 0 AND d.model <> 'baseline (class priors)';
SELECT model, round((ci ->> 'auc')::numeric, 4) AS auc, round((ci ->> 'se')::numeric, 4) AS se,
       round((ci ->> 'lower')::numeric, 4) AS lower_95, round((ci ->> 'upper')::numeric, 4) AS upper_95,
       ci ->> 'n_pos' AS malignant, ci ->> 'n_neg' AS benign
FROM (SELECT model, pmed.auc_ci(p, malignant) AS ci FROM dx_scores GROUP BY model) t ORDER BY model;

\echo 'Paired DeLong test, random forest (a) against linear SVM (b), same patients:'
SELECT round((c ->> 'auc_a')::numeric, 4) AS auc_forest, round((c ->> 'auc_b')::numeric, 4) AS auc_linear_svm,
       round((c ->> 'difference')::numeric, 4) AS difference, round((c ->> 'se')::numeric, 4) AS se,
       round((c ->> 'z')::numeric, 3) AS z, round((c ->> 'p_value')::numeric, 4) AS p_value
FROM (SELECT pmed.auc_compare(f.p, s.p, f.malignant) AS c
      FROM dx_scores f JOIN dx_scores s ON s.id = f.id
      WHERE f.model = 'random forest' AND s.model = 'linear SVM') t;

\echo 'Decision threshold reaching 95% sensitivity, and the metrics there:'
SELECT model, round((t ->> 'threshold')::numeric, 4) AS threshold,
       round((t ->> 'sensitivity')::numeric, 3) AS sensitivity, round((t ->> 'specificity')::numeric, 3) AS specificity,
       round((t ->> 'ppv')::numeric, 3) AS ppv, round((t ->> 'npv')::numeric, 3) AS npv,
       t ->> 'tp' AS tp, t ->> 'fp' AS fp, t ->> 'tn' AS tn, t ->> 'fn' AS fn
FROM (SELECT model, pmed.threshold_for(p, malignant, 0.95) AS t FROM dx_scores GROUP BY model) x ORDER BY model;

\echo 'Calibration (slope 1 and intercept 0 are ideal; rows with p = 0 or 1 are left out of the fit):'
SELECT model, round((c ->> 'slope')::numeric, 3) AS slope, round((c ->> 'intercept')::numeric, 3) AS intercept,
       round((c ->> 'calibration_in_the_large')::numeric, 3) AS citl, round((c ->> 'ece')::numeric, 4) AS ece,
       round((c ->> 'brier')::numeric, 4) AS brier, c ->> 'n_extreme' AS p_0_or_1
FROM (SELECT model, pmed.calibration(p, malignant) AS c FROM dx_scores GROUP BY model) x ORDER BY model;

\echo 'ROC curve rows a BI tool would chart (per model, summarised to 6 points):'
SELECT model, round(threshold::numeric, 4) AS threshold, round(tpr::numeric, 3) AS tpr, round(fpr::numeric, 3) AS fpr
FROM (SELECT model, (pmed.roc_points(pmed.roc_curve(p, malignant, 6))).* FROM dx_scores GROUP BY model) r
WHERE model = 'random forest';
\echo 'Reliability curve (5 bins) of the linear SVM:'
SELECT bin, lower, upper, round(mean_predicted::numeric, 3) AS mean_predicted,
       round(observed_rate::numeric, 3) AS observed_rate, count
FROM pmed.calibration_points((SELECT pmed.calibration_curve(p, malignant, 5) FROM dx_scores WHERE model = 'linear SVM'));

\echo
\echo 'Diabetes: "progression above 140 after one year" (221 of 442 patients),'
\echo 'linear SVM against random forest on the held-out fold:'
CREATE TEMP TABLE prog_scores AS
WITH m AS (SELECT pmed.svm_train(features, (progression > 140)::text, '{"kernel": "linear"}') AS svm,
                  pmed.forest_train(features, (progression > 140)::text, '{"seed": 7}') AS forest
           FROM diabetes WHERE pmed.fold(id, 5) <> 0)
SELECT d.id, pmed.predict_proba(m.svm, d.features, 'true') AS p_svm,
       pmed.predict_proba(m.forest, d.features, 'true') AS p_forest, d.progression > 140 AS high
FROM diabetes d, m WHERE pmed.fold(d.id, 5) = 0;
SELECT 'linear SVM' AS model, round((ci ->> 'auc')::numeric, 4) AS auc,
       round((ci ->> 'lower')::numeric, 4) AS lower_95, round((ci ->> 'upper')::numeric, 4) AS upper_95,
       round((cal ->> 'slope')::numeric, 3) AS slope, round((cal ->> 'intercept')::numeric, 3) AS intercept
FROM (SELECT pmed.auc_ci(p_svm, high) AS ci, pmed.calibration(p_svm, high) AS cal FROM prog_scores) t
UNION ALL
SELECT 'random forest', round((ci ->> 'auc')::numeric, 4), round((ci ->> 'lower')::numeric, 4),
       round((ci ->> 'upper')::numeric, 4), round((cal ->> 'slope')::numeric, 3), round((cal ->> 'intercept')::numeric, 3)
FROM (SELECT pmed.auc_ci(p_forest, high) AS ci, pmed.calibration(p_forest, high) AS cal FROM prog_scores) t;
SELECT round((c ->> 'difference')::numeric, 4) AS auc_svm_minus_forest, round((c ->> 'p_value')::numeric, 4) AS p_value,
       (SELECT round((t ->> 'threshold')::numeric, 3) || ' (specificity ' || round((t ->> 'specificity')::numeric, 3) || ')'
        FROM (SELECT pmed.threshold_for(p_svm, high, 0.95) AS t FROM prog_scores) x) AS svm_threshold_95_sensitivity
FROM (SELECT pmed.auc_compare(p_svm, p_forest, high) AS c FROM prog_scores) t;
\echo
\echo 'Done: every model above is a bytea value; nothing left the database.'
