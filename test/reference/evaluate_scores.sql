-- Out-of-fold scores for the clinical evaluation reference check
-- (test/reference/evaluate_check.sh): every WDBC patient scored by a linear
-- SVM and a random forest trained on the other four folds of pmed.fold(id, 5),
-- and every diabetes patient scored by a forest classifier for
-- "progression above 140" trained the same way.  Run from the repository root.
\set QUIET on
SET client_min_messages = warning;
\i data/wdbc/load.sql
\i data/diabetes/load.sql
CREATE TEMP TABLE eval_scores AS
WITH k AS (SELECT generate_series(0, 4) AS k),
     svm AS (SELECT k.k, pmed.svm_train(w.features, w.diagnosis, '{"kernel": "linear"}') AS m
             FROM k JOIN wdbc w ON pmed.fold(w.id, 5) <> k.k GROUP BY k.k),
     rf AS (SELECT k.k, pmed.forest_train(w.features, w.diagnosis, '{"trees": 50, "seed": 7}') AS m
            FROM k JOIN wdbc w ON pmed.fold(w.id, 5) <> k.k GROUP BY k.k)
SELECT 'wdbc'::text AS data, w.id, pmed.fold(w.id, 5) AS cohort,
       pmed.predict_proba(svm.m, w.features) AS score_a,
       pmed.predict_proba(rf.m, w.features) AS score_b,
       w.diagnosis = 'malignant' AS positive
FROM wdbc w JOIN svm ON svm.k = pmed.fold(w.id, 5) JOIN rf ON rf.k = pmed.fold(w.id, 5);
INSERT INTO eval_scores
WITH k AS (SELECT generate_series(0, 4) AS k),
     svm AS (SELECT k.k, pmed.svm_train(d.features, (d.progression > 140)::text, '{"kernel": "linear"}') AS m
             FROM k JOIN diabetes d ON pmed.fold(d.id, 5) <> k.k GROUP BY k.k),
     rf AS (SELECT k.k, pmed.forest_train(d.features, (d.progression > 140)::text, '{"trees": 50, "seed": 7}') AS m
            FROM k JOIN diabetes d ON pmed.fold(d.id, 5) <> k.k GROUP BY k.k)
SELECT 'diabetes', d.id, pmed.fold(d.id, 5),
       pmed.predict_proba(svm.m, d.features), pmed.predict_proba(rf.m, d.features),
       d.progression > 140
FROM diabetes d JOIN svm ON svm.k = pmed.fold(d.id, 5) JOIN rf ON rf.k = pmed.fold(d.id, 5);

-- pmed's numbers: per data set, overall (cohort -1) and per fold, for each score
CREATE TEMP TABLE eval_pmed AS
WITH g AS (
  SELECT data, -1 AS cohort, score_a, score_b, positive FROM eval_scores
  UNION ALL SELECT data, cohort, score_a, score_b, positive FROM eval_scores)
SELECT data, cohort,
       pmed.auc_ci(score_a, positive) AS ci_a, pmed.auc_ci(score_b, positive, 0.9) AS ci_b,
       pmed.auc_compare(score_a, score_b, positive) AS cmp,
       pmed.calibration(score_a, positive) AS cal_a, pmed.calibration(score_b, positive) AS cal_b,
       pmed.threshold_metrics(score_a, positive, 0.5) AS tm_a,
       pmed.threshold_metrics(score_b, positive, 0.5) AS tm_b,
       pmed.threshold_for(score_a, positive, 0.95) AS tf_a,
       pmed.threshold_for(score_b, positive, 0.95) AS tf_b,
       pmed.threshold_for_specificity(score_a, positive, 0.9) AS ts_a,
       pmed.threshold_for_specificity(score_b, positive, 0.9) AS ts_b,
       pmed.roc_curve(score_b, positive) AS roc_b,
       pmed.roc_curve(score_a, positive, 20) AS roc_a20,
       pmed.pr_curve(score_b, positive) AS pr_b,
       pmed.calibration_curve(score_b, positive) AS cc_b
FROM g GROUP BY data, cohort;
\o :scores_csv
COPY (SELECT data, id, cohort, score_a, score_b, positive FROM eval_scores ORDER BY data, id) TO STDOUT WITH (FORMAT csv, HEADER true);
\o :pmed_csv
COPY (SELECT * FROM eval_pmed ORDER BY data, cohort) TO STDOUT WITH (FORMAT csv, HEADER true);
\o
