-- ---------------------------------------------------------------------------
-- Clinical evaluation (src/evaluate.c, src/core/evaluate.c): AUC with DeLong
-- confidence interval, the paired DeLong test, calibration, threshold
-- metrics and the threshold reaching a target, ROC / precision-recall /
-- calibration curves as jsonb arrays with set-returning functions that turn
-- them into rows.
--
-- Transition type pmed.metric_state: per distinct score, the counts of
-- positive and negative rows (auc_compare: its rows); rows with a NULL in
-- any argument are skipped; a constant argument (level, threshold, target,
-- max_points, bins) must be the same in every row.  Parallel safe and
-- pushed down by Citus (combine function); the final functions read the
-- counts in score order, so every plan gives the same bits.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.eval_score_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_score_transfn(pmed.metric_state, float8, boolean) IS
'transition function of the evaluation aggregates (pmed.metric_state)';

CREATE FUNCTION pmed.eval_score_param_transfn(pmed.metric_state, float8, boolean, float8)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_score_param_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_score_param_transfn(pmed.metric_state, float8, boolean, float8) IS
'transition function of the evaluation aggregates (pmed.metric_state)';

CREATE FUNCTION pmed.eval_score_int_transfn(pmed.metric_state, float8, boolean, integer)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_score_int_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_score_int_transfn(pmed.metric_state, float8, boolean, integer) IS
'transition function of the evaluation aggregates (pmed.metric_state)';

CREATE FUNCTION pmed.eval_prob_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_prob_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_prob_transfn(pmed.metric_state, float8, boolean) IS
'transition function of the evaluation aggregates (pmed.metric_state)';

CREATE FUNCTION pmed.eval_prob_int_transfn(pmed.metric_state, float8, boolean, integer)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_prob_int_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_prob_int_transfn(pmed.metric_state, float8, boolean, integer) IS
'transition function of the evaluation aggregates (pmed.metric_state)';

CREATE FUNCTION pmed.eval_pair_transfn(pmed.metric_state, float8, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_pair_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_pair_transfn(pmed.metric_state, float8, float8, boolean) IS
'transition function of the evaluation aggregates (pmed.metric_state)';

CREATE FUNCTION pmed.eval_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of the evaluation aggregates (pmed.metric_state)';

CREATE FUNCTION pmed.eval_auc_ci_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_auc_ci_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_auc_ci_final(pmed.metric_state) IS
'final function of pmed.auc_ci (pmed.metric_state)';

CREATE FUNCTION pmed.eval_auc_compare_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_auc_compare_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_auc_compare_final(pmed.metric_state) IS
'final function of pmed.auc_compare (pmed.metric_state)';

CREATE FUNCTION pmed.eval_calibration_curve_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_calibration_curve_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_calibration_curve_final(pmed.metric_state) IS
'final function of pmed.calibration_curve (pmed.metric_state)';

CREATE FUNCTION pmed.eval_calibration_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_calibration_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_calibration_final(pmed.metric_state) IS
'final function of pmed.calibration (pmed.metric_state)';

CREATE FUNCTION pmed.eval_pr_curve_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_pr_curve_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_pr_curve_final(pmed.metric_state) IS
'final function of pmed.pr_curve (pmed.metric_state)';

CREATE FUNCTION pmed.eval_roc_curve_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_roc_curve_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_roc_curve_final(pmed.metric_state) IS
'final function of pmed.roc_curve (pmed.metric_state)';

CREATE FUNCTION pmed.eval_threshold_for_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_threshold_for_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_threshold_for_final(pmed.metric_state) IS
'final function of pmed.threshold_for (pmed.metric_state)';

CREATE FUNCTION pmed.eval_threshold_for_specificity_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_threshold_for_specificity_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_threshold_for_specificity_final(pmed.metric_state) IS
'final function of pmed.threshold_for_specificity (pmed.metric_state)';

CREATE FUNCTION pmed.eval_threshold_metrics_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_threshold_metrics_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_threshold_metrics_final(pmed.metric_state) IS
'final function of pmed.threshold_metrics (pmed.metric_state)';

CREATE AGGREGATE pmed.auc_ci(score float8, positive boolean) (
	SFUNC = pmed.eval_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_auc_ci_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc_ci(float8, boolean) IS
'AUC with its DeLong standard error and confidence interval at level 0.95: {"auc", "se", "lower", "upper", "level", "n_pos", "n_neg"}; placement variances with n - 1 as R''s pROC; interval auc +- z se clipped to [0, 1]; NULL rows skipped; NULL without positives or negatives; se, lower and upper null with fewer than two of a class';

CREATE AGGREGATE pmed.auc_ci(score float8, positive boolean, level float8) (
	SFUNC = pmed.eval_score_param_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_auc_ci_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc_ci(float8, boolean, float8) IS
'AUC with its DeLong standard error and confidence interval at the given level (0 < level < 1, the same in every row): {"auc", "se", "lower", "upper", "level", "n_pos", "n_neg"}; NULL rows skipped; NULL without positives or negatives';

CREATE AGGREGATE pmed.auc_compare(score_a float8, score_b float8, positive boolean) (
	SFUNC = pmed.eval_pair_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_auc_compare_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc_compare(float8, float8, boolean) IS
'paired DeLong test of two scores on the same rows: {"auc_a", "auc_b", "difference", "se", "z", "p_value", "n_pos", "n_neg"}, two-sided normal p-value; rows with a NULL skipped; NULL without positives or negatives; se, z, p_value null when the variance is 0 or a class has fewer than two rows';

CREATE AGGREGATE pmed.calibration(p float8, positive boolean) (
	SFUNC = pmed.eval_prob_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_calibration_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.calibration(float8, boolean) IS
'calibration of probabilities: {"slope", "intercept" (y ~ a + b logit(p)), "calibration_in_the_large" (y ~ a + offset(logit(p))), "ece" (ten equal-width bins), "brier", "brier_reliability", "brier_resolution", "brier_uncertainty", "n", "n_pos", "n_extreme"}; rows with p = 0 or 1 left out of the logistic fits; fits null when they do not exist; p outside [0, 1] is ERROR 22023';

CREATE AGGREGATE pmed.threshold_metrics(score float8, positive boolean, threshold float8) (
	SFUNC = pmed.eval_score_param_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_threshold_metrics_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.threshold_metrics(float8, boolean, float8) IS
'metrics of the rule score >= threshold (the same in every row): {"sensitivity", "specificity", "ppv", "npv", "f1", "accuracy", "tp", "fp", "tn", "fn"}, a ratio null when its denominator is 0; NULL rows skipped';

CREATE AGGREGATE pmed.threshold_for(score float8, positive boolean, target_sensitivity float8) (
	SFUNC = pmed.eval_score_param_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_threshold_for_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.threshold_for(float8, boolean, float8) IS
'the largest observed score t whose rule score >= t reaches the target sensitivity, with the threshold_metrics keys there plus "threshold"; NULL without positives; target outside [0, 1] is ERROR 22023';

CREATE AGGREGATE pmed.threshold_for_specificity(score float8, positive boolean, target_specificity float8) (
	SFUNC = pmed.eval_score_param_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_threshold_for_specificity_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.threshold_for_specificity(float8, boolean, float8) IS
'the smallest observed score t whose rule score >= t reaches the target specificity, with the threshold_metrics keys there plus "threshold"; NULL without negatives or when no observed score reaches the target; target outside [0, 1] is ERROR 22023';

CREATE AGGREGATE pmed.roc_curve(score float8, positive boolean) (
	SFUNC = pmed.eval_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_roc_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.roc_curve(float8, boolean) IS
'ROC curve as a jsonb array of {"threshold", "tpr", "fpr"}: a first point (threshold null, 0, 0), then one per distinct score in decreasing order, at most 1000 points (ends exact); unnest with pmed.roc_points; NULL without positives or negatives';

CREATE AGGREGATE pmed.roc_curve(score float8, positive boolean, max_points int) (
	SFUNC = pmed.eval_score_int_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_roc_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.roc_curve(float8, boolean, integer) IS
'ROC curve as a jsonb array of {"threshold", "tpr", "fpr"} summarised to at most max_points points (>= 2), the first and last exact; unnest with pmed.roc_points; NULL without positives or negatives';

CREATE AGGREGATE pmed.pr_curve(score float8, positive boolean) (
	SFUNC = pmed.eval_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_pr_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.pr_curve(float8, boolean) IS
'precision-recall curve as a jsonb array of {"threshold", "precision", "recall"}, one point per distinct score in decreasing order, at most 1000 points (ends exact); unnest with pmed.pr_points; NULL without positives';

CREATE AGGREGATE pmed.pr_curve(score float8, positive boolean, max_points int) (
	SFUNC = pmed.eval_score_int_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_pr_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.pr_curve(float8, boolean, integer) IS
'precision-recall curve as a jsonb array of {"threshold", "precision", "recall"} summarised to at most max_points points (>= 2), the first and last exact; unnest with pmed.pr_points; NULL without positives';

CREATE AGGREGATE pmed.calibration_curve(p float8, positive boolean) (
	SFUNC = pmed.eval_prob_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_calibration_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.calibration_curve(float8, boolean) IS
'reliability curve over ten equal-width bins of p: jsonb array of {"bin", "lower", "upper", "mean_predicted", "observed_rate", "count"} for the non-empty bins; unnest with pmed.calibration_points; p outside [0, 1] is ERROR 22023';

CREATE AGGREGATE pmed.calibration_curve(p float8, positive boolean, bins int) (
	SFUNC = pmed.eval_prob_int_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_calibration_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.calibration_curve(float8, boolean, integer) IS
'reliability curve over bins (1 to 1000) equal-width bins of p: jsonb array of {"bin", "lower", "upper", "mean_predicted", "observed_rate", "count"} for the non-empty bins; unnest with pmed.calibration_points';

-- ---- curves as rows ---------------------------------------------------------

CREATE FUNCTION pmed.roc_points(curve jsonb)
RETURNS TABLE (threshold float8, tpr float8, fpr float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT (e.v ->> 'threshold')::float8, (e.v ->> 'tpr')::float8, (e.v ->> 'fpr')::float8
FROM jsonb_array_elements(curve) WITH ORDINALITY AS e(v, ord)
ORDER BY e.ord
$$;
COMMENT ON FUNCTION pmed.roc_points(jsonb) IS
'the points of a pmed.roc_curve value as rows (threshold, tpr, fpr), in curve order';

CREATE FUNCTION pmed.pr_points(curve jsonb)
RETURNS TABLE (threshold float8, "precision" float8, recall float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT (e.v ->> 'threshold')::float8, (e.v ->> 'precision')::float8, (e.v ->> 'recall')::float8
FROM jsonb_array_elements(curve) WITH ORDINALITY AS e(v, ord)
ORDER BY e.ord
$$;
COMMENT ON FUNCTION pmed.pr_points(jsonb) IS
'the points of a pmed.pr_curve value as rows (threshold, precision, recall), in curve order';

CREATE FUNCTION pmed.calibration_points(curve jsonb)
RETURNS TABLE (bin int, lower float8, upper float8, mean_predicted float8, observed_rate float8, count bigint)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT (e.v ->> 'bin')::int, (e.v ->> 'lower')::float8, (e.v ->> 'upper')::float8,
       (e.v ->> 'mean_predicted')::float8, (e.v ->> 'observed_rate')::float8, (e.v ->> 'count')::bigint
FROM jsonb_array_elements(curve) WITH ORDINALITY AS e(v, ord)
ORDER BY e.ord
$$;
COMMENT ON FUNCTION pmed.calibration_points(jsonb) IS
'the bins of a pmed.calibration_curve value as rows (bin, lower, upper, mean_predicted, observed_rate, count), in bin order';
