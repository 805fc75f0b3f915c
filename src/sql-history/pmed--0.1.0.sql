-- pmed: in-database machine learning for personalized medicine.
-- This script is assembled from src/sql/*.sql by the Makefile.

\echo Use "CREATE EXTENSION pmed" to load this file. \quit

-- ---------------------------------------------------------------------------
-- The shared training-aggregate state: combine, serialize, deserialize.
-- Every supervised training aggregate (baseline, svm, forest) uses these, so
-- parallel query and Citus can ship partial states between processes.
-- ---------------------------------------------------------------------------

-- Support functions are IMMUTABLE like PostgreSQL's own (array_agg_transfn);
-- final functions are VOLATILE because a model records its training time.
CREATE FUNCTION pmed.train_combinefn(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_combinefn(internal, internal) IS
    'combine two partial training states (internal to the training aggregates)';

CREATE FUNCTION pmed.train_serialfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_serialfn(internal) IS
    'serialize a partial training state (internal to the training aggregates)';

CREATE FUNCTION pmed.train_deserialfn(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_deserialfn(bytea, internal) IS
    'deserialize and validate a partial training state (internal to the training aggregates)';

-- ---------------------------------------------------------------------------
-- Baseline: class priors or the mean, the reference every model must beat.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.baseline_train_transfn(internal, float8[], anyelement) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.baseline_train_transfn(internal, float8[], anyelement, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.baseline_train_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(internal, float8[], anyelement) IS
    'transition function of pmed.baseline_train';
COMMENT ON FUNCTION pmed.baseline_train_transfn(internal, float8[], anyelement, jsonb) IS
    'transition function of pmed.baseline_train';
COMMENT ON FUNCTION pmed.baseline_train_finalfn(internal) IS
    'final function of pmed.baseline_train: fits and encodes the model';

CREATE AGGREGATE pmed.baseline_train(float8[], anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = internal,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    SERIALFUNC = pmed.train_serialfn, DESERIALFUNC = pmed.train_deserialfn,
    PARALLEL = SAFE);
CREATE AGGREGATE pmed.baseline_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = internal,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    SERIALFUNC = pmed.train_serialfn, DESERIALFUNC = pmed.train_deserialfn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(float8[], anyelement) IS
    'train a baseline model: class priors (classification) or the mean (regression)';
COMMENT ON AGGREGATE pmed.baseline_train(float8[], anyelement, jsonb) IS
    'train a baseline model with options: class priors (classification) or the mean (regression)';

-- ---------------------------------------------------------------------------
-- Using any supervised model.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.predict(model bytea, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict(bytea, float8[]) IS
    'predicted value (regression) or class as a number (boolean/integer labels; 1/0 for a binary text label)';

CREATE FUNCTION pmed.predict_label(model bytea, features float8[]) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_label(bytea, float8[]) IS
    'predicted class label as text (any classifier)';

CREATE FUNCTION pmed.predict_proba(model bytea, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, float8[]) IS
    'probability of the positive class (binary classifiers)';

CREATE FUNCTION pmed.predict_proba(model bytea, features float8[], label text) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, float8[], text) IS
    'probability of the given class';

CREATE FUNCTION pmed.explain(model bytea, features float8[],
    OUT feature int, OUT name text, OUT value float8, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 31;
COMMENT ON FUNCTION pmed.explain(bytea, float8[]) IS
    'per-feature contributions to one prediction; row 0 (base_value) is the expected output';

CREATE FUNCTION pmed.feature_importance(model bytea,
    OUT feature int, OUT name text, OUT importance float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 30;
COMMENT ON FUNCTION pmed.feature_importance(bytea) IS
    'importance of each feature in a model';

CREATE FUNCTION pmed.model_info(model bytea) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.model_info(bytea) IS
    'decode and validate any pmed model and describe it';

-- ---------------------------------------------------------------------------
-- Partial training states as values: train on each shard or server, merge
-- anywhere.  What parallel workers and Citus ship, made available to SQL.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.train_partial_transfn(internal, float8[], anyelement) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.train_partial_transfn(internal, float8[], anyelement, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.train_partial_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(internal, float8[], anyelement) IS
    'transition function of pmed.train_partial';
COMMENT ON FUNCTION pmed.train_partial_transfn(internal, float8[], anyelement, jsonb) IS
    'transition function of pmed.train_partial';
COMMENT ON FUNCTION pmed.train_partial_finalfn(internal) IS
    'final function of pmed.train_partial: the serialized training state';

CREATE AGGREGATE pmed.train_partial(float8[], anyelement) (
    SFUNC = pmed.train_partial_transfn, STYPE = internal,
    FINALFUNC = pmed.train_partial_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    SERIALFUNC = pmed.train_serialfn, DESERIALFUNC = pmed.train_deserialfn,
    PARALLEL = SAFE);
CREATE AGGREGATE pmed.train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.train_partial_transfn, STYPE = internal,
    FINALFUNC = pmed.train_partial_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    SERIALFUNC = pmed.train_serialfn, DESERIALFUNC = pmed.train_deserialfn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(float8[], anyelement) IS
    'the partial training state of these rows, as bytes to merge with pmed.train_from_partials';
COMMENT ON AGGREGATE pmed.train_partial(float8[], anyelement, jsonb) IS
    'the partial training state of these rows (with the training options), as bytes to merge with pmed.train_from_partials';

CREATE FUNCTION pmed.train_merge_transfn(internal, bytea, text) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.train_merge_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_merge_transfn(internal, bytea, text) IS
    'transition function of pmed.train_from_partials: validates and merges a partial state';
COMMENT ON FUNCTION pmed.train_merge_finalfn(internal) IS
    'final function of pmed.train_from_partials: fits and encodes the model';

CREATE AGGREGATE pmed.train_from_partials(partial bytea, family text) (
    SFUNC = pmed.train_merge_transfn, STYPE = internal,
    FINALFUNC = pmed.train_merge_finalfn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_from_partials(bytea, text) IS
    'merge partial training states (from pmed.train_partial, on any server) and train a baseline, svm or forest model';
-- ---------------------------------------------------------------------------
-- Evaluation metrics and splitting (src/metrics.c, src/fold.c)
--
-- Every metric aggregate skips rows with a NULL input and returns NULL when
-- no row is left.  Support functions of the aggregates take internal (not
-- callable from SQL); like PostgreSQL's own (array_agg_transfn, numeric_avg_
-- serialize) they are IMMUTABLE PARALLEL SAFE, and the transition and combine
-- functions are not STRICT (internal states).
-- ---------------------------------------------------------------------------

-- ---- fold -----------------------------------------------------------------

CREATE FUNCTION pmed.fold(key anyelement, folds int, seed int DEFAULT 0)
RETURNS int
AS 'MODULE_PATHNAME', 'fold'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.fold(anyelement, int, int) IS
'deterministic fold in [0, folds) from a portable hash of the key''s value (integers as int64, text as its bytes, other types as their binary send form); same key, folds and seed give the same fold on every platform';

-- ---- auc / pr_auc: the state keeps every score --------------------------

CREATE FUNCTION pmed.metrics_score_transfn(internal, float8, boolean)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_score_transfn(internal, float8, boolean) IS
'transition function of pmed.auc and pmed.pr_auc (internal)';

CREATE FUNCTION pmed.metrics_score_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_score_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_score_combine(internal, internal) IS
'combine function of pmed.auc and pmed.pr_auc (internal)';

CREATE FUNCTION pmed.metrics_score_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'metrics_score_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_score_serialize(internal) IS
'serialize function of pmed.auc and pmed.pr_auc (internal)';

CREATE FUNCTION pmed.metrics_score_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_score_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_score_deserialize(bytea, internal) IS
'deserialize function of pmed.auc and pmed.pr_auc (internal; validates every byte)';

CREATE FUNCTION pmed.metrics_auc_final(internal)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_auc_final(internal) IS
'final function of pmed.auc (internal)';

CREATE FUNCTION pmed.metrics_pr_auc_final(internal)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_pr_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_pr_auc_final(internal) IS
'final function of pmed.pr_auc (internal)';

CREATE AGGREGATE pmed.auc(score float8, positive boolean) (
	SFUNC = pmed.metrics_score_transfn,
	STYPE = internal,
	FINALFUNC = pmed.metrics_auc_final,
	COMBINEFUNC = pmed.metrics_score_combine,
	SERIALFUNC = pmed.metrics_score_serialize,
	DESERIALFUNC = pmed.metrics_score_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc(float8, boolean) IS
'ROC AUC: the Mann-Whitney probability that a positive scores above a negative, ties counting 1/2; NULL rows skipped; NULL without positives or without negatives; non-finite score is ERROR 22023';

CREATE AGGREGATE pmed.pr_auc(score float8, positive boolean) (
	SFUNC = pmed.metrics_score_transfn,
	STYPE = internal,
	FINALFUNC = pmed.metrics_pr_auc_final,
	COMBINEFUNC = pmed.metrics_score_combine,
	SERIALFUNC = pmed.metrics_score_serialize,
	DESERIALFUNC = pmed.metrics_score_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.pr_auc(float8, boolean) IS
'average precision as scikit-learn''s average_precision_score: sum over distinct score thresholds (descending) of (recall gain) * precision; NULL rows skipped; NULL without positives';

-- ---- accuracy -------------------------------------------------------------

CREATE FUNCTION pmed.metrics_accuracy_transfn(internal, text, text)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_accuracy_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_transfn(internal, text, text) IS
'transition function of pmed.accuracy (internal)';

CREATE FUNCTION pmed.metrics_accuracy_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_accuracy_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_combine(internal, internal) IS
'combine function of pmed.accuracy (internal)';

CREATE FUNCTION pmed.metrics_accuracy_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'metrics_accuracy_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_serialize(internal) IS
'serialize function of pmed.accuracy (internal)';

CREATE FUNCTION pmed.metrics_accuracy_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_accuracy_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_deserialize(bytea, internal) IS
'deserialize function of pmed.accuracy (internal; validates every byte)';

CREATE FUNCTION pmed.metrics_accuracy_final(internal)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_accuracy_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_final(internal) IS
'final function of pmed.accuracy (internal)';

CREATE AGGREGATE pmed.accuracy(predicted text, actual text) (
	SFUNC = pmed.metrics_accuracy_transfn,
	STYPE = internal,
	FINALFUNC = pmed.metrics_accuracy_final,
	COMBINEFUNC = pmed.metrics_accuracy_combine,
	SERIALFUNC = pmed.metrics_accuracy_serialize,
	DESERIALFUNC = pmed.metrics_accuracy_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.accuracy(text, text) IS
'share of rows whose predicted label equals the actual label (byte-wise comparison); NULL rows skipped';

-- ---- confusion_matrix -----------------------------------------------------

CREATE FUNCTION pmed.metrics_confusion_transfn(internal, text, text)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_confusion_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_transfn(internal, text, text) IS
'transition function of pmed.confusion_matrix (internal)';

CREATE FUNCTION pmed.metrics_confusion_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_confusion_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_combine(internal, internal) IS
'combine function of pmed.confusion_matrix (internal)';

CREATE FUNCTION pmed.metrics_confusion_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'metrics_confusion_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_serialize(internal) IS
'serialize function of pmed.confusion_matrix (internal)';

CREATE FUNCTION pmed.metrics_confusion_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_confusion_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_deserialize(bytea, internal) IS
'deserialize function of pmed.confusion_matrix (internal; validates every byte)';

CREATE FUNCTION pmed.metrics_confusion_final(internal)
RETURNS jsonb AS 'MODULE_PATHNAME', 'metrics_confusion_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_final(internal) IS
'final function of pmed.confusion_matrix (internal)';

CREATE AGGREGATE pmed.confusion_matrix(predicted text, actual text) (
	SFUNC = pmed.metrics_confusion_transfn,
	STYPE = internal,
	FINALFUNC = pmed.metrics_confusion_final,
	COMBINEFUNC = pmed.metrics_confusion_combine,
	SERIALFUNC = pmed.metrics_confusion_serialize,
	DESERIALFUNC = pmed.metrics_confusion_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.confusion_matrix(text, text) IS
'{"labels": [every label seen, sorted byte-wise], "matrix": [[count]]} with rows = actual label, columns = predicted label; NULL rows skipped; at most 1000 distinct labels';

-- ---- rmse / log_loss / brier: compensated sums ----------------------------

CREATE FUNCTION pmed.metrics_rmse_transfn(internal, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_rmse_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_rmse_transfn(internal, float8, float8) IS
'transition function of pmed.rmse (internal)';

CREATE FUNCTION pmed.metrics_log_loss_transfn(internal, float8, boolean)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_log_loss_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_log_loss_transfn(internal, float8, boolean) IS
'transition function of pmed.log_loss (internal)';

CREATE FUNCTION pmed.metrics_brier_transfn(internal, float8, boolean)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_brier_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_brier_transfn(internal, float8, boolean) IS
'transition function of pmed.brier (internal)';

CREATE FUNCTION pmed.metrics_sum_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_sum_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_sum_combine(internal, internal) IS
'combine function of pmed.rmse, pmed.log_loss and pmed.brier (internal)';

CREATE FUNCTION pmed.metrics_sum_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'metrics_sum_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_sum_serialize(internal) IS
'serialize function of pmed.rmse, pmed.log_loss and pmed.brier (internal)';

CREATE FUNCTION pmed.metrics_sum_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'metrics_sum_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_sum_deserialize(bytea, internal) IS
'deserialize function of pmed.rmse, pmed.log_loss and pmed.brier (internal; validates every byte)';

CREATE FUNCTION pmed.metrics_rmse_final(internal)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_rmse_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_rmse_final(internal) IS
'final function of pmed.rmse (internal)';

CREATE FUNCTION pmed.metrics_mean_final(internal)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_mean_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_mean_final(internal) IS
'final function of pmed.log_loss and pmed.brier (internal)';

CREATE AGGREGATE pmed.rmse(predicted float8, actual float8) (
	SFUNC = pmed.metrics_rmse_transfn,
	STYPE = internal,
	FINALFUNC = pmed.metrics_rmse_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
	SERIALFUNC = pmed.metrics_sum_serialize,
	DESERIALFUNC = pmed.metrics_sum_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.rmse(float8, float8) IS
'root mean squared error sqrt(avg((predicted - actual)^2)); NULL rows skipped; non-finite input is ERROR 22023';

CREATE AGGREGATE pmed.log_loss(p float8, positive boolean) (
	SFUNC = pmed.metrics_log_loss_transfn,
	STYPE = internal,
	FINALFUNC = pmed.metrics_mean_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
	SERIALFUNC = pmed.metrics_sum_serialize,
	DESERIALFUNC = pmed.metrics_sum_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.log_loss(float8, boolean) IS
'mean binary cross-entropy -avg(y ln p + (1 - y) ln(1 - p)) with p clipped to [1e-15, 1 - 1e-15] as scikit-learn; p outside [0, 1] is ERROR 22023; NULL rows skipped';

CREATE AGGREGATE pmed.brier(p float8, positive boolean) (
	SFUNC = pmed.metrics_brier_transfn,
	STYPE = internal,
	FINALFUNC = pmed.metrics_mean_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
	SERIALFUNC = pmed.metrics_sum_serialize,
	DESERIALFUNC = pmed.metrics_sum_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.brier(float8, boolean) IS
'Brier score avg((p - y)^2) with y = 1 for positives; p outside [0, 1] is ERROR 22023; NULL rows skipped';

-- ---- ranking metrics over item lists (binary relevance) -------------------

CREATE FUNCTION pmed.jaccard(recommended bigint[], actual bigint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'jaccard'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.jaccard(bigint[], bigint[]) IS
'|R intersect A| / |R union A| of the two arrays as sets (duplicates and NULL elements ignored); NULL when both are empty';

CREATE FUNCTION pmed.precision_at_k(recommended bigint[], actual bigint[], k int)
RETURNS float8 AS 'MODULE_PATHNAME', 'precision_at_k'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.precision_at_k(bigint[], bigint[], int) IS
'relevant items among the first k recommended, divided by k (also when fewer than k are recommended); a repeated item counts once; k <= 0 is ERROR 22023';

CREATE FUNCTION pmed.recall_at_k(recommended bigint[], actual bigint[], k int)
RETURNS float8 AS 'MODULE_PATHNAME', 'recall_at_k'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recall_at_k(bigint[], bigint[], int) IS
'relevant items among the first k recommended, divided by the number of distinct relevant items; NULL when actual is empty; k <= 0 is ERROR 22023';

CREATE FUNCTION pmed.ndcg_at_k(recommended bigint[], actual bigint[], k int)
RETURNS float8 AS 'MODULE_PATHNAME', 'ndcg_at_k'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.ndcg_at_k(bigint[], bigint[], int) IS
'binary-relevance NDCG@k: sum of 1/log2(rank + 1) over relevant items in the top k, over the same sum for min(k, |actual|) perfect hits; NULL when actual is empty; k <= 0 is ERROR 22023';
-- ---------------------------------------------------------------------------
-- SVM: RBF kernel (SMO with WSS2, shrinking, kernel cache) or linear kernel
-- (dual coordinate descent with an intercept); one-vs-one for k > 2
-- classes; Platt probabilities; NULL features imputed by the training mean.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.svm_train_transfn(internal, float8[], anyelement) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.svm_train_transfn(internal, float8[], anyelement, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.svm_train_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(internal, float8[], anyelement) IS
    'transition function of pmed.svm_train';
COMMENT ON FUNCTION pmed.svm_train_transfn(internal, float8[], anyelement, jsonb) IS
    'transition function of pmed.svm_train';
COMMENT ON FUNCTION pmed.svm_train_finalfn(internal) IS
    'final function of pmed.svm_train: fits and encodes the SVM model';

CREATE AGGREGATE pmed.svm_train(float8[], anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = internal,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    SERIALFUNC = pmed.train_serialfn, DESERIALFUNC = pmed.train_deserialfn,
    PARALLEL = SAFE);
CREATE AGGREGATE pmed.svm_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = internal,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    SERIALFUNC = pmed.train_serialfn, DESERIALFUNC = pmed.train_deserialfn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(float8[], anyelement) IS
    'train an SVM classifier (RBF kernel, gamma "scale", C 1, standardized, with probabilities)';
COMMENT ON AGGREGATE pmed.svm_train(float8[], anyelement, jsonb) IS
    'train an SVM classifier with options: kernel (rbf | linear), C, gamma (number | "scale"), standardize, class_weight ("balanced"), tol, max_iter, probability, seed, feature_names, positive';

CREATE FUNCTION pmed.svm_decision(model bytea, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'svm_decision' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_decision(bytea, float8[]) IS
    'SVM decision value of a row: binary models > 0 for the positive class; multi-class models: the first pair (first class against second, > 0 for the second); the value pmed.explain explains';

-- ---------------------------------------------------------------------------
-- Random forests: classification (Gini) and regression (variance), NULL
-- features routed by learned default directions, TreeSHAP explanations.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.forest_train_transfn(internal, float8[], anyelement) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION pmed.forest_train_transfn(internal, float8[], anyelement, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION pmed.forest_train_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(internal, float8[], anyelement) IS
    'transition function of pmed.forest_train';
COMMENT ON FUNCTION pmed.forest_train_transfn(internal, float8[], anyelement, jsonb) IS
    'transition function of pmed.forest_train';
COMMENT ON FUNCTION pmed.forest_train_finalfn(internal) IS
    'final function of pmed.forest_train: grows and encodes the forest';

CREATE AGGREGATE pmed.forest_train(float8[], anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = internal,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    SERIALFUNC = pmed.train_serialfn, DESERIALFUNC = pmed.train_deserialfn,
    PARALLEL = SAFE);
CREATE AGGREGATE pmed.forest_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = internal,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    SERIALFUNC = pmed.train_serialfn, DESERIALFUNC = pmed.train_deserialfn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(float8[], anyelement) IS
    'train a random forest: classification for boolean, integer and text labels, regression for float and numeric labels';
COMMENT ON AGGREGATE pmed.forest_train(float8[], anyelement, jsonb) IS
    'train a random forest with options (trees, max_depth, min_leaf, mtry, sample_fraction, replace, importance, seed, feature_names, positive, task)';

CREATE FUNCTION pmed.forest_trees(model bytea,
    OUT tree int, OUT nodes int, OUT leaves int, OUT depth int)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION pmed.forest_trees(bytea) IS
    'one row per tree of a forest model: node count, leaf count and depth';

-- ---------------------------------------------------------------------------
-- Drug recommendation: collaborative filtering (item_knn, ALS), content
-- profiles, drug-drug interaction sets, and pmed.recommend.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.rec_combinefn(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rec_combinefn(internal, internal) IS
    'combine two partial recommender training states (internal to cf_train, content_train, interactions_train)';

CREATE FUNCTION pmed.rec_serialfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rec_serialfn(internal) IS
    'serialize a partial recommender training state';

CREATE FUNCTION pmed.rec_deserialfn(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rec_deserialfn(bytea, internal) IS
    'deserialize and validate a partial recommender training state';

-- cf_train(patient, item [, weight [, options]])
CREATE FUNCTION pmed.cf_train_transfn(internal, bigint, bigint) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION pmed.cf_train_transfn(internal, bigint, bigint, float8) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION pmed.cf_train_transfn(internal, bigint, bigint, float8, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION pmed.cf_train_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cf_train_transfn(internal, bigint, bigint) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_transfn(internal, bigint, bigint, float8) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_transfn(internal, bigint, bigint, float8, jsonb) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_finalfn(internal) IS
    'final function of pmed.cf_train: sorts the (patient, item, weight) rows, fits and encodes';

CREATE AGGREGATE pmed.cf_train(patient bigint, item bigint) (
    SFUNC = pmed.cf_train_transfn, STYPE = internal, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train(patient bigint, item bigint, weight float8) (
    SFUNC = pmed.cf_train_transfn, STYPE = internal, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train(patient bigint, item bigint, weight float8, options jsonb) (
    SFUNC = pmed.cf_train_transfn, STYPE = internal, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint) IS
    'train an item_knn collaborative-filtering model from (patient, item) pairs';
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint, float8) IS
    'train an item_knn collaborative-filtering model from weighted (patient, item) pairs';
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint, float8, jsonb) IS
    'train a collaborative-filtering model (method item_knn or als) from weighted (patient, item) pairs';

-- content_train(item, features [, options])
CREATE FUNCTION pmed.content_train_transfn(internal, bigint, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION pmed.content_train_transfn(internal, bigint, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION pmed.content_train_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION pmed.content_train_transfn(internal, bigint, float8[]) IS
    'transition function of pmed.content_train';
COMMENT ON FUNCTION pmed.content_train_transfn(internal, bigint, float8[], jsonb) IS
    'transition function of pmed.content_train';
COMMENT ON FUNCTION pmed.content_train_finalfn(internal) IS
    'final function of pmed.content_train: builds the normalised item profiles';

CREATE AGGREGATE pmed.content_train(item bigint, features float8[]) (
    SFUNC = pmed.content_train_transfn, STYPE = internal, FINALFUNC = pmed.content_train_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.content_train(item bigint, features float8[], options jsonb) (
    SFUNC = pmed.content_train_transfn, STYPE = internal, FINALFUNC = pmed.content_train_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.content_train(bigint, float8[]) IS
    'train a content-based recommender from item feature vectors';
COMMENT ON AGGREGATE pmed.content_train(bigint, float8[], jsonb) IS
    'train a content-based recommender from item feature vectors, with options (standardize, feature_names)';

-- interactions_train(drug_a, drug_b)
CREATE FUNCTION pmed.interactions_train_transfn(internal, bigint, bigint) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION pmed.interactions_train_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION pmed.interactions_train_transfn(internal, bigint, bigint) IS
    'transition function of pmed.interactions_train';
COMMENT ON FUNCTION pmed.interactions_train_finalfn(internal) IS
    'final function of pmed.interactions_train: sorts and merges the symmetric pairs';

CREATE AGGREGATE pmed.interactions_train(drug_a bigint, drug_b bigint) (
    SFUNC = pmed.interactions_train_transfn, STYPE = internal,
    FINALFUNC = pmed.interactions_train_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.interactions_train(bigint, bigint) IS
    'build a set of interacting drug pairs (symmetric; self pairs ignored, duplicates merged)';

CREATE FUNCTION pmed.ddi_rate(drugs bigint[], interactions bytea) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.ddi_rate(bigint[], bytea) IS
    'share of interacting pairs among all unordered pairs of distinct drugs (0 under two drugs)';

CREATE FUNCTION pmed.recommend(model bytea, patient bigint, k int DEFAULT 10,
    exclude bigint[] DEFAULT NULL, interactions bytea DEFAULT NULL)
    RETURNS TABLE(item bigint, score float8)
    AS 'MODULE_PATHNAME', 'recommend_patient' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION pmed.recommend(bytea, bigint, int, bigint[], bytea) IS
    'top-k items for a patient the model was trained on (unknown patient: most popular items)';

CREATE FUNCTION pmed.recommend(model bytea, history bigint[], k int DEFAULT 10,
    exclude bigint[] DEFAULT NULL, interactions bytea DEFAULT NULL)
    RETURNS TABLE(item bigint, score float8)
    AS 'MODULE_PATHNAME', 'recommend_history' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION pmed.recommend(bytea, bigint[], int, bigint[], bytea) IS
    'top-k items for a patient given by current drugs (fold-in; cf or content model)';

-- Partial states for training across servers or shards: each shard makes a
-- bytea state of its rows, and recommender_from_partials merges the states
-- (untrusted bytes, validated) into the model all rows together would give.
CREATE FUNCTION pmed.rec_partial_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rec_serialfn' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rec_partial_finalfn(internal) IS
    'final function of the *_train_partial aggregates: the serialized state';
CREATE FUNCTION pmed.rec_merge_transfn(internal, bytea) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rec_merge_transfn(internal, bytea) IS
    'transition function of pmed.recommender_from_partials: validates and merges one partial state';
CREATE FUNCTION pmed.rec_merge_finalfn(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rec_merge_finalfn(internal) IS
    'final function of pmed.recommender_from_partials: trains the model of the merged rows';

CREATE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint) (
    SFUNC = pmed.cf_train_transfn, STYPE = internal, FINALFUNC = pmed.rec_partial_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint, weight float8) (
    SFUNC = pmed.cf_train_transfn, STYPE = internal, FINALFUNC = pmed.rec_partial_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint, weight float8, options jsonb) (
    SFUNC = pmed.cf_train_transfn, STYPE = internal, FINALFUNC = pmed.rec_partial_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint, float8) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint, float8, jsonb) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';

CREATE AGGREGATE pmed.content_train_partial(item bigint, features float8[]) (
    SFUNC = pmed.content_train_transfn, STYPE = internal, FINALFUNC = pmed.rec_partial_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.content_train_partial(item bigint, features float8[], options jsonb) (
    SFUNC = pmed.content_train_transfn, STYPE = internal, FINALFUNC = pmed.rec_partial_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.content_train_partial(bigint, float8[]) IS
    'partial content_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.content_train_partial(bigint, float8[], jsonb) IS
    'partial content_train state of these rows, as bytea, for pmed.recommender_from_partials';

CREATE AGGREGATE pmed.interactions_train_partial(drug_a bigint, drug_b bigint) (
    SFUNC = pmed.interactions_train_transfn, STYPE = internal, FINALFUNC = pmed.rec_partial_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.interactions_train_partial(bigint, bigint) IS
    'partial interactions_train state of these rows, as bytea, for pmed.recommender_from_partials';

CREATE AGGREGATE pmed.recommender_from_partials(state bytea) (
    SFUNC = pmed.rec_merge_transfn, STYPE = internal, FINALFUNC = pmed.rec_merge_finalfn,
    COMBINEFUNC = pmed.rec_combinefn, SERIALFUNC = pmed.rec_serialfn,
    DESERIALFUNC = pmed.rec_deserialfn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recommender_from_partials(bytea) IS
    'merge partial cf / content / interactions states (from *_train_partial) and train the model of all their rows';
