-- Clinical evaluation: hand-computed small cases.
--
-- Nine rows: positives 0.9 0.8 0.6 0.4, negatives 0.7 0.4 0.3 0.2 0.1 (one
-- tied positive/negative pair at 0.4), plus rows with NULLs (skipped).
-- By hand (see comments): DeLong placements of the positives 1, 1, 0.8,
-- 0.7 (mean = AUC = 0.875), of the negatives 0.5, 0.875, 1, 1, 1;
-- S10 = 0.0675 / 3 = 0.0225, S01 = 0.1875 / 4 = 0.046875,
-- var = 0.0225 / 4 + 0.046875 / 5 = 0.015, se = sqrt(0.015).
-- Printed jsonb has its numbers rounded to 10 decimals (last bits may differ
-- between platforms); exact checks compare against the hand formulas.
CREATE FUNCTION r10(j jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
SELECT jsonb_object_agg(key, CASE WHEN jsonb_typeof(value) = 'number'
                                  THEN to_jsonb(trim_scale(round(value::text::numeric, 10))) ELSE value END)
FROM jsonb_each(j) $$;
CREATE TABLE ev (s float8, y boolean, g text);
INSERT INTO ev VALUES (0.9, true, 'a'), (0.8, true, 'a'), (0.6, true, 'a'), (0.4, true, 'a'),
  (0.7, false, 'a'), (0.4, false, 'a'), (0.3, false, 'a'), (0.2, false, 'a'), (0.1, false, 'a'),
  (NULL, true, 'a'), (0.5, NULL, 'a'),
  -- cohort b: one class only; cohort c: a single row; cohort d: one of each
  (0.3, true, 'b'), (0.6, true, 'b'), (0.5, true, 'c'), (0.2, false, 'd'), (0.7, true, 'd');

-- AUC with DeLong CI
SELECT r10(pmed.auc_ci(s, y)) FROM ev WHERE g = 'a';
SELECT (r->>'auc')::float8 = 0.875 AS auc_is_7_8,
       abs((r->>'se')::float8 - sqrt(0.015)) < 1e-15 AS se_is_sqrt_0_015,
       abs((r->>'lower')::float8 - (0.875 - 1.959963984540054 * sqrt(0.015))) < 1e-12 AS lower_ok,
       (r->>'upper')::float8 = 1 AS upper_clipped_to_1,
       (r->>'auc')::float8 = (SELECT pmed.auc(s, y) FROM ev WHERE g = 'a') AS equals_pmed_auc
FROM (SELECT pmed.auc_ci(s, y) AS r FROM ev WHERE g = 'a') t;
-- level 0.9: z = 1.6448536269514722
SELECT abs((r->>'lower')::float8 - (0.875 - 1.6448536269514722 * sqrt(0.015))) < 1e-12 AS lower_90_ok,
       r->>'level' AS level
FROM (SELECT pmed.auc_ci(s, y, 0.9) AS r FROM ev WHERE g = 'a') t;
-- per cohort: one class (b), one row (c): NULL; one of each (d): auc, no se
SELECT g, r10(pmed.auc_ci(s, y)) FROM ev GROUP BY g ORDER BY g;
SELECT pmed.auc_ci(s, y) IS NULL AS no_rows FROM ev WHERE false;

-- Paired DeLong: b = -a mirrors every placement (v -> 1 - v), so
-- var(A - B) = 4 var(A): se = 2 sqrt(0.015), z = 0.75 / se
SELECT r10(pmed.auc_compare(s, -s, y)) FROM ev WHERE g = 'a';
SELECT abs((r->>'se')::float8 - 2 * sqrt(0.015)) < 1e-15 AS se_ok,
       abs((r->>'z')::float8 - 0.75 / (2 * sqrt(0.015))) < 1e-12 AS z_ok,
       (r->>'difference')::float8 = 0.75 AS difference_ok
FROM (SELECT pmed.auc_compare(s, -s, y) AS r FROM ev WHERE g = 'a') t;
-- a model against itself: difference 0, variance 0: z and p null
SELECT r10(pmed.auc_compare(s, s, y)) FROM ev WHERE g = 'a';
SELECT g, r10(pmed.auc_compare(s, 1 - s, y)) FROM ev GROUP BY g ORDER BY g;

-- Threshold metrics at 0.6: tp 3 (0.9 0.8 0.6), fp 1 (0.7), tn 4, fn 1 (0.4)
SELECT r10(pmed.threshold_metrics(s, y, 0.6)) FROM ev WHERE g = 'a';
-- one class: ratios over an empty class are null
SELECT r10(pmed.threshold_metrics(s, y, 0.5)) FROM ev WHERE g = 'b';

-- threshold_for: the largest score reaching the target sensitivity
SELECT target, r->>'threshold' AS threshold, r->>'sensitivity' AS sensitivity,
       r->>'specificity' AS specificity
FROM (VALUES (0.0), (0.5), (0.75), (0.76), (0.95), (1.0)) v(target),
     LATERAL (SELECT pmed.threshold_for(s, y, v.target) AS r FROM ev WHERE g = 'a') t
ORDER BY target;
SELECT r10(pmed.threshold_for(s, y, 0.95)) FROM ev WHERE g = 'a';
-- no positives: NULL
SELECT pmed.threshold_for(s, y, 0.9) IS NULL AS no_positives FROM ev WHERE g = 'a' AND NOT y;
-- specificity: the smallest observed score reaching it
SELECT target, r->>'threshold' AS threshold, r->>'specificity' AS specificity,
       r->>'sensitivity' AS sensitivity
FROM (VALUES (0.0), (0.6), (0.8), (1.0)) v(target),
     LATERAL (SELECT pmed.threshold_for_specificity(s, y, v.target) AS r FROM ev WHERE g = 'a') t
ORDER BY target;
-- the top-scoring row is a negative: specificity 1 is out of reach
SELECT pmed.threshold_for_specificity(s, y, 1.0) IS NULL AS unreachable
FROM (VALUES (0.9, false), (0.5, true), (0.1, false)) v(s, y);

-- Curves: ROC from (0, 0) (threshold null) through each distinct score
SELECT * FROM pmed.roc_points((SELECT pmed.roc_curve(s, y) FROM ev WHERE g = 'a'));
-- the trapezoid area under the full ROC is the AUC
SELECT sum((fpr - pf) * (tpr + pt) / 2) = 0.875 AS trapezoid_is_auc
FROM (SELECT fpr, tpr, lag(fpr) OVER () AS pf, lag(tpr) OVER () AS pt
      FROM pmed.roc_points((SELECT pmed.roc_curve(s, y) FROM ev WHERE g = 'a'))) t;
-- at most 4 points: the ends, and the first points where the number of rows
-- called positive reaches 3 and 6 of 9
SELECT * FROM pmed.roc_points((SELECT pmed.roc_curve(s, y, 4) FROM ev WHERE g = 'a'));
SELECT * FROM pmed.pr_points((SELECT pmed.pr_curve(s, y) FROM ev WHERE g = 'a'));
SELECT * FROM pmed.pr_points((SELECT pmed.pr_curve(s, y, 2) FROM ev WHERE g = 'a'));
-- per cohort with GROUP BY, in one query (cohort b has no negatives: no ROC)
SELECT g, (pmed.roc_points(pmed.roc_curve(s, y))).* FROM ev GROUP BY g ORDER BY g;
SELECT c.g, p.* FROM (SELECT g, pmed.pr_curve(s, y) AS curve FROM ev GROUP BY g) c,
     pmed.pr_points(c.curve) p WHERE c.g <> 'a' ORDER BY c.g;

-- Calibration.  Brier: (0.01 + 0.04 + 0.16 + 0.36 + 0.49 + 0.16 + 0.09 +
-- 0.04 + 0.01) / 9 = 1.36 / 9.  ECE over ten bins: every bin holds one row
-- except [0.4, 0.5) with 0.4 (positive) and 0.4 (negative): (0.1 + 0.2 +
-- 0.3 + 2 * 0.1 + 0.4 + 0.7 + 0.2 + 0.1) / 9 = 2.2 / 9.
SELECT abs((r->>'brier')::float8 - 1.36 / 9) < 1e-15 AS brier_ok,
       abs((r->>'ece')::float8 - 2.2 / 9) < 1e-15 AS ece_ok,
       (r->>'brier')::float8 = (SELECT pmed.brier(s, y) FROM ev WHERE g = 'a') AS brier_equals_pmed_brier,
       r->>'n' AS n, r->>'n_extreme' AS n_extreme
FROM (SELECT pmed.calibration(s, y) AS r FROM ev WHERE g = 'a') t;
-- Two distinct p (0.2: 3 of 10 positive; 0.6: 6 of 10) saturate the fit:
-- a + b logit(0.2) = logit(0.3), a + b logit(0.6) = logit(0.6), so
-- b = ln(3.5) / ln(6), a = ln(1.5) (1 - b).
CREATE TABLE cal2 AS
SELECT 0.2::float8 AS p, i <= 3 AS y FROM generate_series(1, 10) i
UNION ALL SELECT 0.6, i <= 6 FROM generate_series(1, 10) i;
SELECT abs((r->>'slope')::float8 - ln(3.5) / ln(6)) < 1e-9 AS slope_ok,
       abs((r->>'intercept')::float8 - ln(1.5) * (1 - ln(3.5) / ln(6))) < 1e-9 AS intercept_ok,
       round((r->>'slope')::numeric, 6) AS slope, round((r->>'intercept')::numeric, 6) AS intercept
FROM (SELECT pmed.calibration(p, y) AS r FROM cal2) t;
-- constant p = 0.5, 3 of 4 positive: calibration-in-the-large = logit(0.75)
-- = ln 3; the slope does not exist (logit(p) constant)
SELECT abs((r->>'calibration_in_the_large')::float8 - ln(3)) < 1e-9 AS citl_is_ln3,
       r->'slope' AS slope, r->'intercept' AS intercept
FROM (SELECT pmed.calibration(0.5, y) AS r FROM (VALUES (true), (true), (true), (false)) v(y)) t;
-- p = 0 and p = 1 are left out of the logistic fits (as rms::val.prob),
-- not out of Brier and ECE; perfectly separated rows have no fit
SELECT r10(pmed.calibration(p, y)) FROM (VALUES (0.0, false), (1.0, true), (0.2, false), (0.8, true)) v(p, y);
-- one class: no fit
SELECT r->'slope' AS slope, r->'calibration_in_the_large' AS citl, round((r->>'brier')::numeric, 10) AS brier
FROM (SELECT pmed.calibration(s, y) AS r FROM ev WHERE g = 'b') t;
-- reliability curve
SELECT bin, lower, upper, round(mean_predicted::numeric, 10) AS mean_predicted, observed_rate, count FROM pmed.calibration_points((SELECT pmed.calibration_curve(p, y) FROM cal2));
SELECT bin, lower, upper, round(mean_predicted::numeric, 10) AS mean_predicted, observed_rate, count FROM pmed.calibration_points((SELECT pmed.calibration_curve(s, y, 2) FROM ev WHERE g = 'a'));

-- errors
SELECT pmed.auc_ci(s, y, 1.0) FROM ev;
SELECT pmed.threshold_for(s, y, 1.5) FROM ev;
SELECT pmed.threshold_metrics(s, y, s) FROM ev;
SELECT pmed.roc_curve(s, y, 1) FROM ev;
SELECT pmed.calibration(s * 2, y) FROM ev;
SELECT pmed.calibration_curve(s, y, 0) FROM ev;
SELECT r10(pmed.auc_ci(s, y)) FROM (VALUES ('NaN'::float8, true)) v(s, y);
DROP TABLE ev, cal2;
DROP FUNCTION r10(jsonb);
