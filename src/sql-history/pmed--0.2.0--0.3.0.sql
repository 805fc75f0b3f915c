-- pmed 0.2.0 -> 0.3.0.  ALTER EXTENSION pmed UPDATE runs this against a
-- database whose pmed objects were made by src/sql-history/pmed--0.2.0.sql.
-- After it, the catalog must equal a fresh 0.3.0 install (test/upgrade.sh
-- diffs the two).  Generated: python3 test/upgrade/generate.py
-- src/sql-history/pmed--0.2.0.sql src/pmed--0.3.0.sql (after `make`).

\echo Use "ALTER EXTENSION pmed UPDATE TO '0.3.0'" to load this file. \quit

CREATE TYPE pmed.train_state;
CREATE OR REPLACE FUNCTION pmed.train_state_in(cstring) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_in(cstring) IS
    'input function of pmed.train_state: canonical base64 of a training state, validated';
CREATE OR REPLACE FUNCTION pmed.train_state_out(pmed.train_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_out(pmed.train_state) IS
    'output function of pmed.train_state: canonical base64 of the state''s bytes';
CREATE OR REPLACE FUNCTION pmed.train_state_recv(internal) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_recv(internal) IS
    'binary input function of pmed.train_state: the state''s bytes, validated';
CREATE OR REPLACE FUNCTION pmed.train_state_send(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_send(pmed.train_state) IS
    'binary output function of pmed.train_state: the state''s bytes';
CREATE TYPE pmed.train_state (
    INPUT = pmed.train_state_in, OUTPUT = pmed.train_state_out,
    RECEIVE = pmed.train_state_recv, SEND = pmed.train_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
COMMENT ON TYPE pmed.train_state IS
    'partial state of a pmed training, partial or recommender aggregate (rows or statistics, options); text form: canonical base64 of its bytes';
CREATE OR REPLACE FUNCTION pmed.train_state_to_bytea(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_to_bytea(pmed.train_state) IS
    'the bytes of a training state (as pmed.*_train_partial return them)';
CREATE OR REPLACE FUNCTION pmed.train_state_from_bytea(bytea) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_from_bytea(bytea) IS
    'a training state from its bytes (pmed.*_train_partial), validated (XX001 when damaged)';
CREATE CAST (pmed.train_state AS bytea) WITH FUNCTION pmed.train_state_to_bytea(pmed.train_state);
CREATE CAST (bytea AS pmed.train_state) WITH FUNCTION pmed.train_state_from_bytea(bytea);
CREATE OR REPLACE FUNCTION pmed.train_combinefn(pmed.train_state, pmed.train_state) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_combinefn(pmed.train_state, pmed.train_state) IS
    'combine two partial training states (the COMBINEFUNC of every training aggregate)';
CREATE OR REPLACE FUNCTION pmed.baseline_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.baseline_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.baseline_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.baseline_train';
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.baseline_train';
COMMENT ON FUNCTION pmed.baseline_train_finalfn(pmed.train_state) IS
    'final function of pmed.baseline_train: fits and encodes the model';
CREATE OR REPLACE AGGREGATE pmed.baseline_train(float8[], anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.baseline_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(float8[], anyelement) IS
    'train a baseline model: class priors (classification) or the mean (regression)';
COMMENT ON AGGREGATE pmed.baseline_train(float8[], anyelement, jsonb) IS
    'train a baseline model with options: class priors (classification) or the mean (regression)';
CREATE OR REPLACE FUNCTION pmed.predict(model bytea, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict(bytea, float8[]) IS
    'predicted value (regression) or class as a number (boolean/integer labels; 1/0 for a binary text label)';
CREATE OR REPLACE FUNCTION pmed.predict_label(model bytea, features float8[]) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_label(bytea, float8[]) IS
    'predicted class label as text (any classifier)';
CREATE OR REPLACE FUNCTION pmed.predict_proba(model bytea, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, float8[]) IS
    'probability of the positive class (binary classifiers)';
CREATE OR REPLACE FUNCTION pmed.predict_proba(model bytea, features float8[], label text) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, float8[], text) IS
    'probability of the given class';
CREATE OR REPLACE FUNCTION pmed.explain(model bytea, features float8[],
    OUT feature int, OUT name text, OUT value float8, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 31;
COMMENT ON FUNCTION pmed.explain(bytea, float8[]) IS
    'per-feature contributions to one prediction; row 0 (base_value) is the expected output';
CREATE OR REPLACE FUNCTION pmed.feature_importance(model bytea,
    OUT feature int, OUT name text, OUT importance float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 30;
COMMENT ON FUNCTION pmed.feature_importance(bytea) IS
    'importance of each feature in a model';
CREATE OR REPLACE FUNCTION pmed.model_info(model bytea) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.model_info(bytea) IS
    'decode and validate any pmed model and describe it';
CREATE OR REPLACE FUNCTION pmed.train_partial_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.train_partial_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.train_partial_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.train_partial';
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.train_partial';
COMMENT ON FUNCTION pmed.train_partial_finalfn(pmed.train_state) IS
    'final function of pmed.train_partial and every pmed.<family>_train_partial: the serialized training state';
CREATE OR REPLACE AGGREGATE pmed.train_partial(float8[], anyelement) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(float8[], anyelement) IS
    'the partial training state of these rows, as bytes to merge with pmed.train_from_partials';
COMMENT ON AGGREGATE pmed.train_partial(float8[], anyelement, jsonb) IS
    'the partial training state of these rows (with the training options), as bytes to merge with pmed.train_from_partials';
CREATE OR REPLACE FUNCTION pmed.train_merge_transfn(pmed.train_state, bytea, text) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.train_merge_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_merge_transfn(pmed.train_state, bytea, text) IS
    'transition function of pmed.train_from_partials: validates and merges a partial state';
COMMENT ON FUNCTION pmed.train_merge_finalfn(pmed.train_state) IS
    'final function of pmed.train_from_partials: fits and encodes the model';
CREATE OR REPLACE AGGREGATE pmed.train_from_partials(partial bytea, family text) (
    SFUNC = pmed.train_merge_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_merge_finalfn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_from_partials(bytea, text) IS
    'merge partial training states (from pmed.train_partial, on any server) and train a baseline, svm or forest model';
CREATE OR REPLACE AGGREGATE pmed.baseline_train_partial(float8[], anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(float8[], anyelement) IS
    'partial baseline_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.baseline_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(float8[], anyelement, jsonb) IS
    'partial baseline_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE TYPE pmed.metric_state;
CREATE OR REPLACE FUNCTION pmed.metric_state_in(cstring)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metric_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_in(cstring) IS
'input function of pmed.metric_state: canonical base64 of the flat state; validates every byte (22P02 for bad text, XX001 for a damaged state)';
CREATE OR REPLACE FUNCTION pmed.metric_state_out(pmed.metric_state)
RETURNS cstring AS 'MODULE_PATHNAME', 'metric_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_out(pmed.metric_state) IS
'output function of pmed.metric_state: canonical base64 of the flat state (what Citus ships from a worker)';
CREATE OR REPLACE FUNCTION pmed.metric_state_recv(internal)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metric_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_recv(internal) IS
'binary input function of pmed.metric_state: validates every byte';
CREATE OR REPLACE FUNCTION pmed.metric_state_send(pmed.metric_state)
RETURNS bytea AS 'MODULE_PATHNAME', 'metric_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_send(pmed.metric_state) IS
'binary output function of pmed.metric_state: the flat state';
CREATE TYPE pmed.metric_state (
	INPUT = pmed.metric_state_in,
	OUTPUT = pmed.metric_state_out,
	RECEIVE = pmed.metric_state_recv,
	SEND = pmed.metric_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
COMMENT ON TYPE pmed.metric_state IS
'partial state of the metric, evaluation, curve, threshold and recalibration aggregates: counts, exact sums and per-score class counts (rows only for auc_compare); text form canonical base64, every byte validated on input';
CREATE OR REPLACE FUNCTION pmed.metric_state_info(state pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'metric_state_info'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_info(pmed.metric_state) IS
'what a partial metric state holds: {"kind", "bytes" (flat size), and its counts: "rows", or "labels" and "pairs", or "positives", "negatives" and "distinct_scores"}';
CREATE OR REPLACE FUNCTION pmed.fold(key anyelement, folds int, seed int DEFAULT 0)
RETURNS int
AS 'MODULE_PATHNAME', 'fold'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.fold(anyelement, int, int) IS
'deterministic fold in [0, folds) from a portable hash of the key''s value (integers as int64, text as its bytes, other types as their binary send form); same key, folds and seed give the same fold on every platform';
CREATE OR REPLACE FUNCTION pmed.metrics_score_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_score_transfn(pmed.metric_state, float8, boolean) IS
'transition function of pmed.auc and pmed.pr_auc (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_score_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_score_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_score_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.auc and pmed.pr_auc (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_auc_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_auc_final(pmed.metric_state) IS
'final function of pmed.auc (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_pr_auc_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_pr_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_pr_auc_final(pmed.metric_state) IS
'final function of pmed.pr_auc (pmed.metric_state)';
CREATE OR REPLACE AGGREGATE pmed.auc(score float8, positive boolean) (
	SFUNC = pmed.metrics_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_auc_final,
	COMBINEFUNC = pmed.metrics_score_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc(float8, boolean) IS
'ROC AUC: the Mann-Whitney probability that a positive scores above a negative, ties counting 1/2; NULL rows skipped; NULL without positives or without negatives; non-finite score is ERROR 22023';
CREATE OR REPLACE AGGREGATE pmed.pr_auc(score float8, positive boolean) (
	SFUNC = pmed.metrics_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_pr_auc_final,
	COMBINEFUNC = pmed.metrics_score_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.pr_auc(float8, boolean) IS
'average precision as scikit-learn''s average_precision_score: sum over distinct score thresholds (descending) of (recall gain) * precision; NULL rows skipped; NULL without positives';
CREATE OR REPLACE FUNCTION pmed.metrics_accuracy_transfn(pmed.metric_state, text, text)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_accuracy_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_transfn(pmed.metric_state, text, text) IS
'transition function of pmed.accuracy (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_accuracy_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_accuracy_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.accuracy (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_accuracy_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_accuracy_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_final(pmed.metric_state) IS
'final function of pmed.accuracy (pmed.metric_state)';
CREATE OR REPLACE AGGREGATE pmed.accuracy(predicted text, actual text) (
	SFUNC = pmed.metrics_accuracy_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_accuracy_final,
	COMBINEFUNC = pmed.metrics_accuracy_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.accuracy(text, text) IS
'share of rows whose predicted label equals the actual label (byte-wise comparison); NULL rows skipped';
CREATE OR REPLACE FUNCTION pmed.metrics_confusion_transfn(pmed.metric_state, text, text)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_confusion_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_transfn(pmed.metric_state, text, text) IS
'transition function of pmed.confusion_matrix (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_confusion_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_confusion_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.confusion_matrix (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_confusion_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'metrics_confusion_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_final(pmed.metric_state) IS
'final function of pmed.confusion_matrix (pmed.metric_state)';
CREATE OR REPLACE AGGREGATE pmed.confusion_matrix(predicted text, actual text) (
	SFUNC = pmed.metrics_confusion_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_confusion_final,
	COMBINEFUNC = pmed.metrics_confusion_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.confusion_matrix(text, text) IS
'{"labels": [every label seen, sorted byte-wise], "matrix": [[count]]} with rows = actual label, columns = predicted label; NULL rows skipped; at most 1000 distinct labels';
CREATE OR REPLACE FUNCTION pmed.metrics_rmse_transfn(pmed.metric_state, float8, float8)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_rmse_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_rmse_transfn(pmed.metric_state, float8, float8) IS
'transition function of pmed.rmse (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_log_loss_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_log_loss_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_log_loss_transfn(pmed.metric_state, float8, boolean) IS
'transition function of pmed.log_loss (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_brier_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_brier_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_brier_transfn(pmed.metric_state, float8, boolean) IS
'transition function of pmed.brier (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_sum_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_sum_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_sum_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.rmse, pmed.log_loss and pmed.brier (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_rmse_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_rmse_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_rmse_final(pmed.metric_state) IS
'final function of pmed.rmse (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.metrics_mean_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_mean_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_mean_final(pmed.metric_state) IS
'final function of pmed.log_loss and pmed.brier (pmed.metric_state)';
CREATE OR REPLACE AGGREGATE pmed.rmse(predicted float8, actual float8) (
	SFUNC = pmed.metrics_rmse_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_rmse_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.rmse(float8, float8) IS
'root mean squared error sqrt(avg((predicted - actual)^2)); NULL rows skipped; non-finite input is ERROR 22023';
CREATE OR REPLACE AGGREGATE pmed.log_loss(p float8, positive boolean) (
	SFUNC = pmed.metrics_log_loss_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_mean_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.log_loss(float8, boolean) IS
'mean binary cross-entropy -avg(y ln p + (1 - y) ln(1 - p)) with p clipped to [1e-15, 1 - 1e-15] as scikit-learn; p outside [0, 1] is ERROR 22023; NULL rows skipped';
CREATE OR REPLACE AGGREGATE pmed.brier(p float8, positive boolean) (
	SFUNC = pmed.metrics_brier_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_mean_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.brier(float8, boolean) IS
'Brier score avg((p - y)^2) with y = 1 for positives; p outside [0, 1] is ERROR 22023; NULL rows skipped';
CREATE OR REPLACE FUNCTION pmed.jaccard(recommended bigint[], actual bigint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'jaccard'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.jaccard(bigint[], bigint[]) IS
'|R intersect A| / |R union A| of the two arrays as sets (duplicates and NULL elements ignored); NULL when both are empty';
CREATE OR REPLACE FUNCTION pmed.precision_at_k(recommended bigint[], actual bigint[], k int)
RETURNS float8 AS 'MODULE_PATHNAME', 'precision_at_k'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.precision_at_k(bigint[], bigint[], int) IS
'relevant items among the first k recommended, divided by k (also when fewer than k are recommended); a repeated item counts once; k <= 0 is ERROR 22023';
CREATE OR REPLACE FUNCTION pmed.recall_at_k(recommended bigint[], actual bigint[], k int)
RETURNS float8 AS 'MODULE_PATHNAME', 'recall_at_k'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recall_at_k(bigint[], bigint[], int) IS
'relevant items among the first k recommended, divided by the number of distinct relevant items; NULL when actual is empty; k <= 0 is ERROR 22023';
CREATE OR REPLACE FUNCTION pmed.ndcg_at_k(recommended bigint[], actual bigint[], k int)
RETURNS float8 AS 'MODULE_PATHNAME', 'ndcg_at_k'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.ndcg_at_k(bigint[], bigint[], int) IS
'binary-relevance NDCG@k: sum of 1/log2(rank + 1) over relevant items in the top k, over the same sum for min(k, |actual|) perfect hits; NULL when actual is empty; k <= 0 is ERROR 22023';
CREATE OR REPLACE FUNCTION pmed.eval_score_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_score_transfn(pmed.metric_state, float8, boolean) IS
'transition function of the evaluation aggregates (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_score_param_transfn(pmed.metric_state, float8, boolean, float8)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_score_param_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_score_param_transfn(pmed.metric_state, float8, boolean, float8) IS
'transition function of the evaluation aggregates (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_score_int_transfn(pmed.metric_state, float8, boolean, integer)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_score_int_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_score_int_transfn(pmed.metric_state, float8, boolean, integer) IS
'transition function of the evaluation aggregates (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_prob_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_prob_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_prob_transfn(pmed.metric_state, float8, boolean) IS
'transition function of the evaluation aggregates (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_prob_int_transfn(pmed.metric_state, float8, boolean, integer)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_prob_int_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_prob_int_transfn(pmed.metric_state, float8, boolean, integer) IS
'transition function of the evaluation aggregates (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_pair_transfn(pmed.metric_state, float8, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_pair_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_pair_transfn(pmed.metric_state, float8, float8, boolean) IS
'transition function of the evaluation aggregates (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'eval_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of the evaluation aggregates (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_auc_ci_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_auc_ci_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_auc_ci_final(pmed.metric_state) IS
'final function of pmed.auc_ci (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_auc_compare_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_auc_compare_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_auc_compare_final(pmed.metric_state) IS
'final function of pmed.auc_compare (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_calibration_curve_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_calibration_curve_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_calibration_curve_final(pmed.metric_state) IS
'final function of pmed.calibration_curve (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_calibration_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_calibration_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_calibration_final(pmed.metric_state) IS
'final function of pmed.calibration (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_pr_curve_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_pr_curve_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_pr_curve_final(pmed.metric_state) IS
'final function of pmed.pr_curve (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_roc_curve_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_roc_curve_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_roc_curve_final(pmed.metric_state) IS
'final function of pmed.roc_curve (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_threshold_for_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_threshold_for_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_threshold_for_final(pmed.metric_state) IS
'final function of pmed.threshold_for (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_threshold_for_specificity_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_threshold_for_specificity_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_threshold_for_specificity_final(pmed.metric_state) IS
'final function of pmed.threshold_for_specificity (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.eval_threshold_metrics_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'eval_threshold_metrics_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.eval_threshold_metrics_final(pmed.metric_state) IS
'final function of pmed.threshold_metrics (pmed.metric_state)';
CREATE OR REPLACE AGGREGATE pmed.auc_ci(score float8, positive boolean) (
	SFUNC = pmed.eval_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_auc_ci_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc_ci(float8, boolean) IS
'AUC with its DeLong standard error and confidence interval at level 0.95: {"auc", "se", "lower", "upper", "level", "n_pos", "n_neg"}; placement variances with n - 1 as R''s pROC; interval auc +- z se clipped to [0, 1]; NULL rows skipped; NULL without positives or negatives; se, lower and upper null with fewer than two of a class';
CREATE OR REPLACE AGGREGATE pmed.auc_ci(score float8, positive boolean, level float8) (
	SFUNC = pmed.eval_score_param_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_auc_ci_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc_ci(float8, boolean, float8) IS
'AUC with its DeLong standard error and confidence interval at the given level (0 < level < 1, the same in every row): {"auc", "se", "lower", "upper", "level", "n_pos", "n_neg"}; NULL rows skipped; NULL without positives or negatives';
CREATE OR REPLACE AGGREGATE pmed.auc_compare(score_a float8, score_b float8, positive boolean) (
	SFUNC = pmed.eval_pair_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_auc_compare_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc_compare(float8, float8, boolean) IS
'paired DeLong test of two scores on the same rows: {"auc_a", "auc_b", "difference", "se", "z", "p_value", "n_pos", "n_neg"}, two-sided normal p-value; rows with a NULL skipped; NULL without positives or negatives; se, z, p_value null when the variance is 0 or a class has fewer than two rows';
CREATE OR REPLACE AGGREGATE pmed.calibration(p float8, positive boolean) (
	SFUNC = pmed.eval_prob_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_calibration_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.calibration(float8, boolean) IS
'calibration of probabilities: {"slope", "intercept" (y ~ a + b logit(p)), "calibration_in_the_large" (y ~ a + offset(logit(p))), "ece" (ten equal-width bins), "brier", "brier_reliability", "brier_resolution", "brier_uncertainty", "n", "n_pos", "n_extreme"}; rows with p = 0 or 1 left out of the logistic fits; fits null when they do not exist; p outside [0, 1] is ERROR 22023';
CREATE OR REPLACE AGGREGATE pmed.threshold_metrics(score float8, positive boolean, threshold float8) (
	SFUNC = pmed.eval_score_param_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_threshold_metrics_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.threshold_metrics(float8, boolean, float8) IS
'metrics of the rule score >= threshold (the same in every row): {"sensitivity", "specificity", "ppv", "npv", "f1", "accuracy", "tp", "fp", "tn", "fn"}, a ratio null when its denominator is 0; NULL rows skipped';
CREATE OR REPLACE AGGREGATE pmed.threshold_for(score float8, positive boolean, target_sensitivity float8) (
	SFUNC = pmed.eval_score_param_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_threshold_for_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.threshold_for(float8, boolean, float8) IS
'the largest observed score t whose rule score >= t reaches the target sensitivity, with the threshold_metrics keys there plus "threshold"; NULL without positives; target outside [0, 1] is ERROR 22023';
CREATE OR REPLACE AGGREGATE pmed.threshold_for_specificity(score float8, positive boolean, target_specificity float8) (
	SFUNC = pmed.eval_score_param_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_threshold_for_specificity_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.threshold_for_specificity(float8, boolean, float8) IS
'the smallest observed score t whose rule score >= t reaches the target specificity, with the threshold_metrics keys there plus "threshold"; NULL without negatives or when no observed score reaches the target; target outside [0, 1] is ERROR 22023';
CREATE OR REPLACE AGGREGATE pmed.roc_curve(score float8, positive boolean) (
	SFUNC = pmed.eval_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_roc_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.roc_curve(float8, boolean) IS
'ROC curve as a jsonb array of {"threshold", "tpr", "fpr"}: a first point (threshold null, 0, 0), then one per distinct score in decreasing order, at most 1000 points (ends exact); unnest with pmed.roc_points; NULL without positives or negatives';
CREATE OR REPLACE AGGREGATE pmed.roc_curve(score float8, positive boolean, max_points int) (
	SFUNC = pmed.eval_score_int_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_roc_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.roc_curve(float8, boolean, integer) IS
'ROC curve as a jsonb array of {"threshold", "tpr", "fpr"} summarised to at most max_points points (>= 2), the first and last exact; unnest with pmed.roc_points; NULL without positives or negatives';
CREATE OR REPLACE AGGREGATE pmed.pr_curve(score float8, positive boolean) (
	SFUNC = pmed.eval_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_pr_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.pr_curve(float8, boolean) IS
'precision-recall curve as a jsonb array of {"threshold", "precision", "recall"}, one point per distinct score in decreasing order, at most 1000 points (ends exact); unnest with pmed.pr_points; NULL without positives';
CREATE OR REPLACE AGGREGATE pmed.pr_curve(score float8, positive boolean, max_points int) (
	SFUNC = pmed.eval_score_int_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_pr_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.pr_curve(float8, boolean, integer) IS
'precision-recall curve as a jsonb array of {"threshold", "precision", "recall"} summarised to at most max_points points (>= 2), the first and last exact; unnest with pmed.pr_points; NULL without positives';
CREATE OR REPLACE AGGREGATE pmed.calibration_curve(p float8, positive boolean) (
	SFUNC = pmed.eval_prob_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_calibration_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.calibration_curve(float8, boolean) IS
'reliability curve over ten equal-width bins of p: jsonb array of {"bin", "lower", "upper", "mean_predicted", "observed_rate", "count"} for the non-empty bins; unnest with pmed.calibration_points; p outside [0, 1] is ERROR 22023';
CREATE OR REPLACE AGGREGATE pmed.calibration_curve(p float8, positive boolean, bins int) (
	SFUNC = pmed.eval_prob_int_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.eval_calibration_curve_final,
	COMBINEFUNC = pmed.eval_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.calibration_curve(float8, boolean, integer) IS
'reliability curve over bins (1 to 1000) equal-width bins of p: jsonb array of {"bin", "lower", "upper", "mean_predicted", "observed_rate", "count"} for the non-empty bins; unnest with pmed.calibration_points';
CREATE OR REPLACE FUNCTION pmed.roc_points(curve jsonb)
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
CREATE OR REPLACE FUNCTION pmed.pr_points(curve jsonb)
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
CREATE OR REPLACE FUNCTION pmed.calibration_points(curve jsonb)
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
CREATE OR REPLACE FUNCTION pmed.recal_features_transfn(pmed.metric_state, bytea, float8[], boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_features_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_features_transfn(pmed.metric_state, bytea, float8[], boolean) IS
'transition function of pmed.recalibrate (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.recal_features_transfn(pmed.metric_state, bytea, float8[], boolean, jsonb)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_features_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_features_transfn(pmed.metric_state, bytea, float8[], boolean, jsonb) IS
'transition function of pmed.recalibrate (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.recal_score_transfn(pmed.metric_state, bytea, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_score_transfn(pmed.metric_state, bytea, float8, boolean) IS
'transition function of pmed.recalibrate (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.recal_score_transfn(pmed.metric_state, bytea, float8, boolean, jsonb)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_score_transfn(pmed.metric_state, bytea, float8, boolean, jsonb) IS
'transition function of pmed.recalibrate (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.recal_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.recalibrate (pmed.metric_state)';
CREATE OR REPLACE FUNCTION pmed.recal_final(pmed.metric_state)
RETURNS bytea AS 'MODULE_PATHNAME', 'recal_final'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_final(pmed.metric_state) IS
'final function of pmed.recalibrate (pmed.metric_state); VOLATILE like the training finals: the model records when it was recalibrated';
CREATE OR REPLACE AGGREGATE pmed.recalibrate(model bytea, features float8[], positive boolean) (
	SFUNC = pmed.recal_features_transfn, STYPE = pmed.metric_state, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8[], boolean) IS
'copy of a binary classifier (the same model in every row) with its probabilities recalibrated by Platt''s method on these rows'' features and outcomes';
CREATE OR REPLACE AGGREGATE pmed.recalibrate(model bytea, features float8[], positive boolean, options jsonb) (
	SFUNC = pmed.recal_features_transfn, STYPE = pmed.metric_state, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8[], boolean, jsonb) IS
'copy of a binary classifier with its probabilities recalibrated on these rows; options: method ("platt" | "isotonic"), max_steps (isotonic, default 1000)';
CREATE OR REPLACE AGGREGATE pmed.recalibrate(model bytea, score float8, positive boolean) (
	SFUNC = pmed.recal_score_transfn, STYPE = pmed.metric_state, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8, boolean) IS
'copy of a binary classifier recalibrated by Platt''s method from precomputed scores: the model''s own pmed.predict_proba of each row (the model must not be recalibrated already)';
CREATE OR REPLACE AGGREGATE pmed.recalibrate(model bytea, score float8, positive boolean, options jsonb) (
	SFUNC = pmed.recal_score_transfn, STYPE = pmed.metric_state, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8, boolean, jsonb) IS
'copy of a binary classifier recalibrated from precomputed scores (the model''s own probabilities); options: method ("platt" | "isotonic"), max_steps';
CREATE OR REPLACE FUNCTION pmed.remove_recalibration(model bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'remove_recalibration'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.remove_recalibration(bytea) IS
'the model without its recalibration section (byte for byte the model as trained); unchanged when it has none';
CREATE OR REPLACE FUNCTION pmed.svm_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.svm_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.svm_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.svm_train';
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.svm_train';
COMMENT ON FUNCTION pmed.svm_train_finalfn(pmed.train_state) IS
    'final function of pmed.svm_train: fits and encodes the SVM model';
CREATE OR REPLACE AGGREGATE pmed.svm_train(float8[], anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.svm_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(float8[], anyelement) IS
    'train an SVM classifier (RBF kernel, gamma "scale", C 1, standardized, with probabilities)';
COMMENT ON AGGREGATE pmed.svm_train(float8[], anyelement, jsonb) IS
    'train an SVM classifier with options: kernel (rbf | linear), C, gamma (number | "scale"), standardize, class_weight ("balanced"), tol, max_iter, probability, seed, feature_names, positive';
CREATE OR REPLACE AGGREGATE pmed.svm_train_partial(float8[], anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(float8[], anyelement) IS
    'partial svm_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.svm_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(float8[], anyelement, jsonb) IS
    'partial svm_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.svm_decision(model bytea, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'svm_decision' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_decision(bytea, float8[]) IS
    'SVM decision value of a row: binary models > 0 for the positive class; multi-class models: the first pair (first class against second, > 0 for the second); the value pmed.explain explains';
CREATE OR REPLACE FUNCTION pmed.forest_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.forest_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.forest_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.forest_train';
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.forest_train';
COMMENT ON FUNCTION pmed.forest_train_finalfn(pmed.train_state) IS
    'final function of pmed.forest_train: grows and encodes the forest';
CREATE OR REPLACE AGGREGATE pmed.forest_train(float8[], anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.forest_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(float8[], anyelement) IS
    'train a random forest: classification for boolean, integer and text labels, regression for float and numeric labels';
COMMENT ON AGGREGATE pmed.forest_train(float8[], anyelement, jsonb) IS
    'train a random forest with options (trees, max_depth, min_leaf, mtry, sample_fraction, replace, importance, seed, feature_names, positive, task)';
CREATE OR REPLACE AGGREGATE pmed.forest_train_partial(float8[], anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(float8[], anyelement) IS
    'partial forest_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.forest_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(float8[], anyelement, jsonb) IS
    'partial forest_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.forest_trees(model bytea,
    OUT tree int, OUT nodes int, OUT leaves int, OUT depth int)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION pmed.forest_trees(bytea) IS
    'one row per tree of a forest model: node count, leaf count and depth';
CREATE OR REPLACE FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint, float8) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint, float8, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.cf_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint, float8) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint, float8, jsonb) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_finalfn(pmed.train_state) IS
    'final function of pmed.cf_train: sorts the (patient, item, weight) rows, fits and encodes';
CREATE OR REPLACE AGGREGATE pmed.cf_train(patient bigint, item bigint) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.cf_train(patient bigint, item bigint, weight float8) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.cf_train(patient bigint, item bigint, weight float8, options jsonb) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint) IS
    'train an item_knn collaborative-filtering model from (patient, item) pairs';
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint, float8) IS
    'train an item_knn collaborative-filtering model from weighted (patient, item) pairs';
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint, float8, jsonb) IS
    'train a collaborative-filtering model (method item_knn or als) from weighted (patient, item) pairs';
CREATE OR REPLACE FUNCTION pmed.content_train_transfn(pmed.train_state, bigint, float8[]) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.content_train_transfn(pmed.train_state, bigint, float8[], jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.content_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.content_train_transfn(pmed.train_state, bigint, float8[]) IS
    'transition function of pmed.content_train';
COMMENT ON FUNCTION pmed.content_train_transfn(pmed.train_state, bigint, float8[], jsonb) IS
    'transition function of pmed.content_train';
COMMENT ON FUNCTION pmed.content_train_finalfn(pmed.train_state) IS
    'final function of pmed.content_train: builds the normalised item profiles';
CREATE OR REPLACE AGGREGATE pmed.content_train(item bigint, features float8[]) (
    SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.content_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.content_train(item bigint, features float8[], options jsonb) (
    SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.content_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.content_train(bigint, float8[]) IS
    'train a content-based recommender from item feature vectors';
COMMENT ON AGGREGATE pmed.content_train(bigint, float8[], jsonb) IS
    'train a content-based recommender from item feature vectors, with options (standardize, feature_names)';
CREATE OR REPLACE FUNCTION pmed.interactions_train_transfn(pmed.train_state, bigint, bigint) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.interactions_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.interactions_train_transfn(pmed.train_state, bigint, bigint) IS
    'transition function of pmed.interactions_train';
COMMENT ON FUNCTION pmed.interactions_train_finalfn(pmed.train_state) IS
    'final function of pmed.interactions_train: sorts and merges the symmetric pairs';
CREATE OR REPLACE AGGREGATE pmed.interactions_train(drug_a bigint, drug_b bigint) (
    SFUNC = pmed.interactions_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.interactions_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.interactions_train(bigint, bigint) IS
    'build a set of interacting drug pairs (symmetric; self pairs ignored, duplicates merged)';
CREATE OR REPLACE FUNCTION pmed.ddi_rate(drugs bigint[], interactions bytea) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.ddi_rate(bigint[], bytea) IS
    'share of interacting pairs among all unordered pairs of distinct drugs (0 under two drugs)';
CREATE OR REPLACE FUNCTION pmed.recommend(model bytea, patient bigint, k int DEFAULT 10,
    exclude bigint[] DEFAULT NULL, interactions bytea DEFAULT NULL)
    RETURNS TABLE(item bigint, score float8)
    AS 'MODULE_PATHNAME', 'recommend_patient' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION pmed.recommend(bytea, bigint, int, bigint[], bytea) IS
    'top-k items for a patient the model was trained on (unknown patient: most popular items)';
CREATE OR REPLACE FUNCTION pmed.recommend(model bytea, history bigint[], k int DEFAULT 10,
    exclude bigint[] DEFAULT NULL, interactions bytea DEFAULT NULL)
    RETURNS TABLE(item bigint, score float8)
    AS 'MODULE_PATHNAME', 'recommend_history' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION pmed.recommend(bytea, bigint[], int, bigint[], bytea) IS
    'top-k items for a patient given by current drugs (fold-in; cf or content model)';
CREATE OR REPLACE FUNCTION pmed.train_merge_transfn(pmed.train_state, bytea) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_merge_transfn(pmed.train_state, bytea) IS
    'transition function of pmed.train_from_partials(state): validates and merges one partial state';
CREATE OR REPLACE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint, weight float8) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint, weight float8, options jsonb) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint, float8) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint, float8, jsonb) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';
CREATE OR REPLACE AGGREGATE pmed.content_train_partial(item bigint, features float8[]) (
    SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.content_train_partial(item bigint, features float8[], options jsonb) (
    SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.content_train_partial(bigint, float8[]) IS
    'partial content_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.content_train_partial(bigint, float8[], jsonb) IS
    'partial content_train state of these rows, as bytea, for pmed.recommender_from_partials';
CREATE OR REPLACE AGGREGATE pmed.interactions_train_partial(drug_a bigint, drug_b bigint) (
    SFUNC = pmed.interactions_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.interactions_train_partial(bigint, bigint) IS
    'partial interactions_train state of these rows, as bytea, for pmed.recommender_from_partials';
CREATE OR REPLACE AGGREGATE pmed.train_from_partials(partial bytea) (
    SFUNC = pmed.train_merge_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_merge_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_from_partials(bytea) IS
    'merge partial training states of one model family (from any pmed.<family>_train_partial, on any server) and train the model of all their rows';
CREATE OR REPLACE AGGREGATE pmed.recommender_from_partials(state bytea) (
    SFUNC = pmed.train_merge_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_merge_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recommender_from_partials(bytea) IS
    'the same as pmed.train_from_partials(state), under the name it had for cf / content / interactions states';
CREATE OR REPLACE FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[]) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[], float8[]) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[], float8[], jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION pmed.cf_hist_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[]) IS
    'transition function of pmed.cf_train(items): adds one history to the item and pair statistics';
COMMENT ON FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[], float8[]) IS
    'transition function of pmed.cf_train(items, weights): adds one history to the item and pair statistics';
COMMENT ON FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[], float8[], jsonb) IS
    'transition function of pmed.cf_train(items, weights, options): adds one history to the item and pair statistics';
COMMENT ON FUNCTION pmed.cf_hist_train_finalfn(pmed.train_state) IS
    'final function of pmed.cf_train(items, ...): the item_knn model of the item and pair statistics';
CREATE OR REPLACE AGGREGATE pmed.cf_train(items bigint[]) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_hist_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.cf_train(items bigint[], weights float8[]) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_hist_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.cf_train(items bigint[], weights float8[], options jsonb) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_hist_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train(bigint[]) IS
    'train an item_knn model from patient histories (one row = one patient''s complete item list); the state holds item and pair statistics, no patient ids';
COMMENT ON AGGREGATE pmed.cf_train(bigint[], float8[]) IS
    'train an item_knn model from weighted patient histories (one row = one patient''s complete history); the state holds item and pair statistics, no patient ids';
COMMENT ON AGGREGATE pmed.cf_train(bigint[], float8[], jsonb) IS
    'train an item_knn model from weighted patient histories with options (neighbors, shrinkage, min_support, seed; store_patients must be false)';
CREATE OR REPLACE AGGREGATE pmed.cf_train_partial(items bigint[]) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.cf_train_partial(items bigint[], weights float8[]) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE pmed.cf_train_partial(items bigint[], weights float8[], options jsonb) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint[]) IS
    'partial cf_train(items) state: item and pair statistics of these histories, as bytea, for pmed.train_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint[], float8[]) IS
    'partial cf_train(items, weights) state: item and pair statistics of these histories, as bytea, for pmed.train_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint[], float8[], jsonb) IS
    'partial cf_train(items, weights, options) state: item and pair statistics of these histories, as bytea, for pmed.train_from_partials';
CREATE OR REPLACE FUNCTION pmed.baseline_train_transfn(pmed.train_state, jsonb, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, jsonb, anyelement) IS
    'transition function of pmed.baseline_train';
CREATE OR REPLACE FUNCTION pmed.baseline_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) IS
    'transition function of pmed.baseline_train';
CREATE OR REPLACE AGGREGATE pmed.baseline_train(jsonb, anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(jsonb, anyelement) IS
    'train a baseline model on a jsonb object of named values: class priors (classification) or the mean (regression); the features are named values';
CREATE OR REPLACE AGGREGATE pmed.baseline_train_partial(jsonb, anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(jsonb, anyelement) IS
    'partial baseline_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.baseline_train(jsonb, anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(jsonb, anyelement, jsonb) IS
    'train a baseline model on a jsonb object of named values with options (min_category_count and the float8[] forms): class priors (classification) or the mean (regression); the features are named values';
CREATE OR REPLACE AGGREGATE pmed.baseline_train_partial(jsonb, anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(jsonb, anyelement, jsonb) IS
    'partial baseline_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.svm_train_transfn(pmed.train_state, jsonb, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, jsonb, anyelement) IS
    'transition function of pmed.svm_train';
CREATE OR REPLACE FUNCTION pmed.svm_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) IS
    'transition function of pmed.svm_train';
CREATE OR REPLACE AGGREGATE pmed.svm_train(jsonb, anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(jsonb, anyelement) IS
    'train a support vector machine on a jsonb object of named values: categories one-hot and standardized with the rest';
CREATE OR REPLACE AGGREGATE pmed.svm_train_partial(jsonb, anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(jsonb, anyelement) IS
    'partial svm_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.svm_train(jsonb, anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(jsonb, anyelement, jsonb) IS
    'train a support vector machine on a jsonb object of named values with options (min_category_count and the float8[] forms): categories one-hot and standardized with the rest';
CREATE OR REPLACE AGGREGATE pmed.svm_train_partial(jsonb, anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(jsonb, anyelement, jsonb) IS
    'partial svm_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.forest_train_transfn(pmed.train_state, jsonb, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, jsonb, anyelement) IS
    'transition function of pmed.forest_train';
CREATE OR REPLACE FUNCTION pmed.forest_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) IS
    'transition function of pmed.forest_train';
CREATE OR REPLACE AGGREGATE pmed.forest_train(jsonb, anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(jsonb, anyelement) IS
    'train a random forest on a jsonb object of named values: categories one-hot, NULLs routed by learned default directions';
CREATE OR REPLACE AGGREGATE pmed.forest_train_partial(jsonb, anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(jsonb, anyelement) IS
    'partial forest_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.forest_train(jsonb, anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(jsonb, anyelement, jsonb) IS
    'train a random forest on a jsonb object of named values with options (min_category_count and the float8[] forms): categories one-hot, NULLs routed by learned default directions';
CREATE OR REPLACE AGGREGATE pmed.forest_train_partial(jsonb, anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(jsonb, anyelement, jsonb) IS
    'partial forest_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.train_partial_transfn(pmed.train_state, jsonb, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, jsonb, anyelement) IS
    'transition function of pmed.train_partial';
CREATE OR REPLACE AGGREGATE pmed.train_partial(jsonb, anyelement) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(jsonb, anyelement) IS
    'the partial training state of these rows (a jsonb object of named values), as bytes to merge with pmed.train_from_partials';
CREATE OR REPLACE FUNCTION pmed.train_partial_transfn(pmed.train_state, jsonb, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, jsonb, anyelement, jsonb) IS
    'transition function of pmed.train_partial';
CREATE OR REPLACE AGGREGATE pmed.train_partial(jsonb, anyelement, jsonb) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(jsonb, anyelement, jsonb) IS
    'the partial training state of these rows (a jsonb object of named values), as bytes to merge with pmed.train_from_partials';
CREATE OR REPLACE FUNCTION pmed.predict(model bytea, features jsonb) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict(bytea, jsonb) IS
    'predicted value or class as a number, from a jsonb object of named values encoded as the model learned';
CREATE OR REPLACE FUNCTION pmed.predict_label(model bytea, features jsonb) RETURNS text
    AS 'MODULE_PATHNAME', 'predict_label_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_label(bytea, jsonb) IS
    'predicted class label as text, from a jsonb object of named values';
CREATE OR REPLACE FUNCTION pmed.predict_proba(model bytea, features jsonb) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, jsonb) IS
    'probability of the positive class (binary classifiers), from a jsonb object of named values';
CREATE OR REPLACE FUNCTION pmed.predict_proba(model bytea, features jsonb, label text) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_label_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, jsonb, text) IS
    'probability of the given class, from a jsonb object of named values';
CREATE OR REPLACE FUNCTION pmed.explain(model bytea, features jsonb,
    OUT feature int, OUT name text, OUT value text, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'explain_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 31;
COMMENT ON FUNCTION pmed.explain(bytea, jsonb) IS
    'per-input-column contributions to one prediction from a jsonb object of named values (one-hot and multi-hot parts summed); row 0 (base_value) is the expected output';
CREATE OR REPLACE FUNCTION pmed.baseline_train_transfn(pmed.train_state, record, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, record, anyelement) IS
    'transition function of pmed.baseline_train';
CREATE OR REPLACE FUNCTION pmed.baseline_train_transfn(pmed.train_state, record, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, record, anyelement, jsonb) IS
    'transition function of pmed.baseline_train';
CREATE OR REPLACE AGGREGATE pmed.baseline_train(record, anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(record, anyelement) IS
    'train a baseline model on a composite row of named values: class priors (classification) or the mean (regression); the features are named values';
CREATE OR REPLACE AGGREGATE pmed.baseline_train_partial(record, anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(record, anyelement) IS
    'partial baseline_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.baseline_train(record, anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(record, anyelement, jsonb) IS
    'train a baseline model on a composite row of named values with options (min_category_count and the float8[] forms): class priors (classification) or the mean (regression); the features are named values';
CREATE OR REPLACE AGGREGATE pmed.baseline_train_partial(record, anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(record, anyelement, jsonb) IS
    'partial baseline_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.svm_train_transfn(pmed.train_state, record, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, record, anyelement) IS
    'transition function of pmed.svm_train';
CREATE OR REPLACE FUNCTION pmed.svm_train_transfn(pmed.train_state, record, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, record, anyelement, jsonb) IS
    'transition function of pmed.svm_train';
CREATE OR REPLACE AGGREGATE pmed.svm_train(record, anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(record, anyelement) IS
    'train a support vector machine on a composite row of named values: categories one-hot and standardized with the rest';
CREATE OR REPLACE AGGREGATE pmed.svm_train_partial(record, anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(record, anyelement) IS
    'partial svm_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.svm_train(record, anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(record, anyelement, jsonb) IS
    'train a support vector machine on a composite row of named values with options (min_category_count and the float8[] forms): categories one-hot and standardized with the rest';
CREATE OR REPLACE AGGREGATE pmed.svm_train_partial(record, anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(record, anyelement, jsonb) IS
    'partial svm_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.forest_train_transfn(pmed.train_state, record, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, record, anyelement) IS
    'transition function of pmed.forest_train';
CREATE OR REPLACE FUNCTION pmed.forest_train_transfn(pmed.train_state, record, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, record, anyelement, jsonb) IS
    'transition function of pmed.forest_train';
CREATE OR REPLACE AGGREGATE pmed.forest_train(record, anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(record, anyelement) IS
    'train a random forest on a composite row of named values: categories one-hot, NULLs routed by learned default directions';
CREATE OR REPLACE AGGREGATE pmed.forest_train_partial(record, anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(record, anyelement) IS
    'partial forest_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.forest_train(record, anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(record, anyelement, jsonb) IS
    'train a random forest on a composite row of named values with options (min_category_count and the float8[] forms): categories one-hot, NULLs routed by learned default directions';
CREATE OR REPLACE AGGREGATE pmed.forest_train_partial(record, anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(record, anyelement, jsonb) IS
    'partial forest_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.train_partial_transfn(pmed.train_state, record, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, record, anyelement) IS
    'transition function of pmed.train_partial';
CREATE OR REPLACE AGGREGATE pmed.train_partial(record, anyelement) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(record, anyelement) IS
    'the partial training state of these rows (a composite row of named values), as bytes to merge with pmed.train_from_partials';
CREATE OR REPLACE FUNCTION pmed.train_partial_transfn(pmed.train_state, record, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, record, anyelement, jsonb) IS
    'transition function of pmed.train_partial';
CREATE OR REPLACE AGGREGATE pmed.train_partial(record, anyelement, jsonb) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(record, anyelement, jsonb) IS
    'the partial training state of these rows (a composite row of named values), as bytes to merge with pmed.train_from_partials';
CREATE OR REPLACE FUNCTION pmed.predict(model bytea, features record) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict(bytea, record) IS
    'predicted value or class as a number, from a composite row of named values encoded as the model learned';
CREATE OR REPLACE FUNCTION pmed.predict_label(model bytea, features record) RETURNS text
    AS 'MODULE_PATHNAME', 'predict_label_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_label(bytea, record) IS
    'predicted class label as text, from a composite row of named values';
CREATE OR REPLACE FUNCTION pmed.predict_proba(model bytea, features record) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, record) IS
    'probability of the positive class (binary classifiers), from a composite row of named values';
CREATE OR REPLACE FUNCTION pmed.predict_proba(model bytea, features record, label text) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_label_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, record, text) IS
    'probability of the given class, from a composite row of named values';
CREATE OR REPLACE FUNCTION pmed.explain(model bytea, features record,
    OUT feature int, OUT name text, OUT value text, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'explain_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 31;
COMMENT ON FUNCTION pmed.explain(bytea, record) IS
    'per-input-column contributions to one prediction from a composite row of named values (one-hot and multi-hot parts summed); row 0 (base_value) is the expected output';
CREATE OR REPLACE FUNCTION pmed.svm_decision(model bytea, features jsonb) RETURNS float8
    AS 'MODULE_PATHNAME', 'svm_decision_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_decision(bytea, jsonb) IS
    'SVM decision value (what explain decomposes), from a jsonb object of named values';
CREATE OR REPLACE FUNCTION pmed.svm_decision(model bytea, features record) RETURNS float8
    AS 'MODULE_PATHNAME', 'svm_decision_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_decision(bytea, record) IS
    'SVM decision value (what explain decomposes), from a composite row of named values';
CREATE OR REPLACE FUNCTION pmed.unseen_columns(model bytea, features jsonb) RETURNS text[]
    AS 'MODULE_PATHNAME', 'unseen_columns_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.unseen_columns(bytea, jsonb) IS
    'input columns of this jsonb row the model did not know: a category level or code scored as "other" (pooled at training or never seen) by its column name, a key the model ignores as ''+'' and its name; empty when the model knew every value';
CREATE OR REPLACE FUNCTION pmed.unseen_columns(model bytea, features record) RETURNS text[]
    AS 'MODULE_PATHNAME', 'unseen_columns_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.unseen_columns(bytea, record) IS
    'input columns of this composite row the model did not know: a category level or code scored as "other" (pooled at training or never seen) by its column name, a column the model ignores as ''+'' and its name; empty when the model knew every value';
CREATE OR REPLACE FUNCTION pmed.cnn_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.cnn_train';
CREATE OR REPLACE FUNCTION pmed.cnn_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.cnn_train';
CREATE OR REPLACE FUNCTION pmed.cnn_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_finalfn(pmed.train_state) IS
    'final function of pmed.cnn_train: trains and encodes the network';
CREATE OR REPLACE AGGREGATE pmed.cnn_train(float8[], anyelement) (
    SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.cnn_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train(float8[], anyelement) IS
    'train a 1-D convolutional network on signals (float8[] one channel, or float8[][] channels x samples; NULL = missing sample); classification for boolean, integer and text labels, regression for float and numeric labels';
CREATE OR REPLACE AGGREGATE pmed.cnn_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.cnn_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train(float8[], anyelement, jsonb) IS
    'train a 1-D convolutional network on signals (float8[] one channel, or float8[][] channels x samples; NULL = missing sample) with options (filters, kernel_sizes, pooling, pool_type, head, dense, dropout, epochs, batch_size, learning_rate, weight_decay, class_weight, validation_fraction, patience, standardize, seed, feature_names, positive, task)';
CREATE OR REPLACE AGGREGATE pmed.cnn_train_partial(float8[], anyelement) (
    SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train_partial(float8[], anyelement) IS
    'partial cnn_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.cnn_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train_partial(float8[], anyelement, jsonb) IS
    'partial cnn_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.rnn_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.rnn_train';
CREATE OR REPLACE FUNCTION pmed.rnn_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.rnn_train';
CREATE OR REPLACE FUNCTION pmed.rnn_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_finalfn(pmed.train_state) IS
    'final function of pmed.rnn_train: trains and encodes the network';
CREATE OR REPLACE AGGREGATE pmed.rnn_train(float8[], anyelement) (
    SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.rnn_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train(float8[], anyelement) IS
    'train a GRU network on sequences (float8[][] steps x features, any number of steps per row; NULL = missing value); classification for boolean, integer and text labels, regression for float and numeric labels';
CREATE OR REPLACE AGGREGATE pmed.rnn_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.rnn_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train(float8[], anyelement, jsonb) IS
    'train a GRU network on sequences (float8[][] steps x features, any number of steps per row; NULL = missing value) with options (hidden_size, layers, bidirectional, dense, dropout, epochs, batch_size, learning_rate, weight_decay, class_weight, validation_fraction, patience, standardize, seed, feature_names, positive, task)';
CREATE OR REPLACE AGGREGATE pmed.rnn_train_partial(float8[], anyelement) (
    SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train_partial(float8[], anyelement) IS
    'partial rnn_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.rnn_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train_partial(float8[], anyelement, jsonb) IS
    'partial rnn_train state of these rows, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.explain_steps(model bytea, input float8[],
    OUT step int, OUT feature int, OUT name text, OUT value float8, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION pmed.explain_steps(bytea, float8[]) IS
    'per-step attributions of a cnn or rnn prediction (integrated gradients): one row per step and feature; they sum to the per-feature contributions of pmed.explain';
CREATE OR REPLACE FUNCTION pmed.cnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement) IS
    'transition function of pmed.cnn_train with static values';
CREATE OR REPLACE FUNCTION pmed.cnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement, jsonb) IS
    'transition function of pmed.cnn_train with static values';
CREATE OR REPLACE FUNCTION pmed.cnn_train_statics_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_statics_finalfn(pmed.train_state) IS
    'final function of pmed.cnn_train with static values: trains and encodes the network';
CREATE OR REPLACE AGGREGATE pmed.cnn_train(float8[], float8[], anyelement) (
    SFUNC = pmed.cnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.cnn_train_statics_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train(float8[], float8[], anyelement) IS
    'train a 1-D convolutional network on signals with per-row static values (float8[] of a fixed length, NULL = missing) joined after the convolution layers';
CREATE OR REPLACE AGGREGATE pmed.cnn_train_partial(float8[], float8[], anyelement) (
    SFUNC = pmed.cnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train_partial(float8[], float8[], anyelement) IS
    'partial cnn_train state of these rows with static values, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.cnn_train(float8[], float8[], anyelement, jsonb) (
    SFUNC = pmed.cnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.cnn_train_statics_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train(float8[], float8[], anyelement, jsonb) IS
    'train a 1-D convolutional network on signals with per-row static values (float8[] of a fixed length, NULL = missing) joined after the convolution layers with options (as pmed.cnn_train, plus static_names)';
CREATE OR REPLACE AGGREGATE pmed.cnn_train_partial(float8[], float8[], anyelement, jsonb) (
    SFUNC = pmed.cnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train_partial(float8[], float8[], anyelement, jsonb) IS
    'partial cnn_train state of these rows with static values, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.rnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement) IS
    'transition function of pmed.rnn_train with static values';
CREATE OR REPLACE FUNCTION pmed.rnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement, jsonb) IS
    'transition function of pmed.rnn_train with static values';
CREATE OR REPLACE FUNCTION pmed.rnn_train_statics_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_statics_finalfn(pmed.train_state) IS
    'final function of pmed.rnn_train with static values: trains and encodes the network';
CREATE OR REPLACE AGGREGATE pmed.rnn_train(float8[], float8[], anyelement) (
    SFUNC = pmed.rnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.rnn_train_statics_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train(float8[], float8[], anyelement) IS
    'train a GRU network on sequences with per-row static values (float8[] of a fixed length, NULL = missing) joined after the GRU layers';
CREATE OR REPLACE AGGREGATE pmed.rnn_train_partial(float8[], float8[], anyelement) (
    SFUNC = pmed.rnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train_partial(float8[], float8[], anyelement) IS
    'partial rnn_train state of these rows with static values, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE AGGREGATE pmed.rnn_train(float8[], float8[], anyelement, jsonb) (
    SFUNC = pmed.rnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.rnn_train_statics_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train(float8[], float8[], anyelement, jsonb) IS
    'train a GRU network on sequences with per-row static values (float8[] of a fixed length, NULL = missing) joined after the GRU layers with options (as pmed.rnn_train, plus static_names)';
CREATE OR REPLACE AGGREGATE pmed.rnn_train_partial(float8[], float8[], anyelement, jsonb) (
    SFUNC = pmed.rnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train_partial(float8[], float8[], anyelement, jsonb) IS
    'partial rnn_train state of these rows with static values, as bytea, for pmed.train_from_partials(state)';
CREATE OR REPLACE FUNCTION pmed.predict(model bytea, input float8[], statics float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict(bytea, float8[], float8[]) IS
    'prediction of a cnn or rnn model trained with static values: input (signal or sequence) and the static values of the row';
CREATE OR REPLACE FUNCTION pmed.predict_label(model bytea, input float8[], statics float8[]) RETURNS text
    AS 'MODULE_PATHNAME', 'predict_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_label(bytea, float8[], float8[]) IS
    'predicted class label of a cnn or rnn model trained with static values';
CREATE OR REPLACE FUNCTION pmed.predict_proba(model bytea, input float8[], statics float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, float8[], float8[]) IS
    'probability of the positive class of a binary cnn or rnn model trained with static values';
CREATE OR REPLACE FUNCTION pmed.predict_proba(model bytea, input float8[], statics float8[], label text) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, float8[], float8[], text) IS
    'probability of the given class of a cnn or rnn model trained with static values';
CREATE OR REPLACE FUNCTION pmed.explain(model bytea, input float8[], statics float8[],
    OUT feature int, OUT name text, OUT value float8, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 31;
COMMENT ON FUNCTION pmed.explain(bytea, float8[], float8[]) IS
    'per-feature contributions (integrated gradients) to a prediction of a cnn or rnn model trained with static values: the features, then one row per static value (baseline: its training mean)';
CREATE OR REPLACE FUNCTION pmed.explain_steps(model bytea, input float8[], statics float8[],
    OUT step int, OUT feature int, OUT name text, OUT value float8, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'explain_steps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION pmed.explain_steps(bytea, float8[], float8[]) IS
    'per-step attributions of a cnn or rnn prediction with static values (the statics'' own attributions are in pmed.explain)';
DO $$
DECLARE
    label text;
    f record;
    a record;
BEGIN
    FOREACH label IN ARRAY ARRAY['boolean', 'smallint', 'integer', 'bigint', 'numeric', 'real',
                                 'double precision', 'text'] LOOP
        -- the transition functions
        FOR f IN
            SELECT DISTINCT p.oid, p.proname, p.probin, p.prosrc, p.provolatile, p.proisstrict,
                   p.proparallel
            FROM pg_aggregate g
            JOIN pg_proc ap ON ap.oid = g.aggfnoid
            JOIN pg_proc p ON p.oid = g.aggtransfn
            WHERE ap.pronamespace = 'pmed'::regnamespace
              AND g.aggtranstype = 'pmed.train_state'::regtype
              AND 'anyelement'::regtype = ANY (ap.proargtypes::regtype[])
              AND NOT 'record'::regtype = ANY (ap.proargtypes::regtype[])
            ORDER BY p.proname, p.oid
        LOOP
            EXECUTE format('CREATE OR REPLACE FUNCTION pmed.%I(%s) RETURNS pmed.train_state AS %L, %L LANGUAGE C %s %s PARALLEL %s',
                f.proname,
                (SELECT string_agg(CASE WHEN t = 'anyelement'::regtype THEN label ELSE format_type(t, NULL) END,
                                   ', ' ORDER BY i)
                 FROM unnest((SELECT proargtypes::oid[] FROM pg_proc WHERE oid = f.oid)) WITH ORDINALITY u(t, i)),
                f.probin, f.prosrc,
                CASE f.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                CASE WHEN f.proisstrict THEN 'STRICT' ELSE 'CALLED ON NULL INPUT' END,
                CASE f.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END);
            EXECUTE format('COMMENT ON FUNCTION pmed.%I(%s) IS %L', f.proname,
                (SELECT string_agg(CASE WHEN t = 'anyelement'::regtype THEN label ELSE format_type(t, NULL) END,
                                   ', ' ORDER BY i)
                 FROM unnest((SELECT proargtypes::oid[] FROM pg_proc WHERE oid = f.oid)) WITH ORDINALITY u(t, i)),
                obj_description(f.oid, 'pg_proc'));
        END LOOP;
        -- the aggregates
        FOR a IN
            SELECT ap.oid, ap.proname, ap.proargtypes::oid[] AS args, tp.proargtypes::oid[] AS targs,
                   tp.proname AS transfn, fp.proname AS finalfn, cp.proname AS combinefn,
                   g.aggfinalmodify, ap.proparallel
            FROM pg_aggregate g
            JOIN pg_proc ap ON ap.oid = g.aggfnoid
            JOIN pg_proc tp ON tp.oid = g.aggtransfn
            JOIN pg_proc fp ON fp.oid = g.aggfinalfn
            JOIN pg_proc cp ON cp.oid = g.aggcombinefn
            WHERE ap.pronamespace = 'pmed'::regnamespace
              AND g.aggtranstype = 'pmed.train_state'::regtype
              AND 'anyelement'::regtype = ANY (ap.proargtypes::regtype[])
              AND NOT 'record'::regtype = ANY (ap.proargtypes::regtype[])
            ORDER BY ap.proname, ap.oid
        LOOP
            EXECUTE format('CREATE OR REPLACE AGGREGATE pmed.%I(%s) (SFUNC = pmed.%I, STYPE = pmed.train_state, FINALFUNC = pmed.%I, FINALFUNC_MODIFY = %s, COMBINEFUNC = pmed.%I, PARALLEL = %s)',
                a.proname,
                (SELECT string_agg(CASE WHEN t = 'anyelement'::regtype THEN label ELSE format_type(t, NULL) END,
                                   ', ' ORDER BY i) FROM unnest(a.args) WITH ORDINALITY u(t, i)),
                a.transfn, a.finalfn,
                CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END,
                a.combinefn,
                CASE a.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END);
            EXECUTE format('COMMENT ON AGGREGATE pmed.%I(%s) IS %L', a.proname,
                (SELECT string_agg(CASE WHEN t = 'anyelement'::regtype THEN label ELSE format_type(t, NULL) END,
                                   ', ' ORDER BY i) FROM unnest(a.args) WITH ORDINALITY u(t, i)),
                obj_description(a.oid, 'pg_proc'));
        END LOOP;
    END LOOP;
END
$$;
DROP FUNCTION pmed.baseline_train_finalfn(internal);
DROP FUNCTION pmed.baseline_train_transfn(internal, float8[], anyelement);
DROP FUNCTION pmed.baseline_train_transfn(internal, float8[], anyelement, jsonb);
DROP FUNCTION pmed.baseline_train_transfn(internal, jsonb, anyelement);
DROP FUNCTION pmed.baseline_train_transfn(internal, jsonb, anyelement, jsonb);
DROP FUNCTION pmed.baseline_train_transfn(internal, record, anyelement);
DROP FUNCTION pmed.baseline_train_transfn(internal, record, anyelement, jsonb);
DROP FUNCTION pmed.cf_train_finalfn(internal);
DROP FUNCTION pmed.cf_train_transfn(internal, bigint, bigint);
DROP FUNCTION pmed.cf_train_transfn(internal, bigint, bigint, float8);
DROP FUNCTION pmed.cf_train_transfn(internal, bigint, bigint, float8, jsonb);
DROP FUNCTION pmed.cnn_train_finalfn(internal);
DROP FUNCTION pmed.cnn_train_statics_finalfn(internal);
DROP FUNCTION pmed.cnn_train_statics_transfn(internal, float8[], float8[], anyelement);
DROP FUNCTION pmed.cnn_train_statics_transfn(internal, float8[], float8[], anyelement, jsonb);
DROP FUNCTION pmed.cnn_train_transfn(internal, float8[], anyelement);
DROP FUNCTION pmed.cnn_train_transfn(internal, float8[], anyelement, jsonb);
DROP FUNCTION pmed.content_train_finalfn(internal);
DROP FUNCTION pmed.content_train_transfn(internal, bigint, float8[]);
DROP FUNCTION pmed.content_train_transfn(internal, bigint, float8[], jsonb);
DROP FUNCTION pmed.eval_auc_ci_final(internal);
DROP FUNCTION pmed.eval_auc_compare_final(internal);
DROP FUNCTION pmed.eval_calibration_curve_final(internal);
DROP FUNCTION pmed.eval_calibration_final(internal);
DROP FUNCTION pmed.eval_combine(internal, internal);
DROP FUNCTION pmed.eval_deserialize(bytea, internal);
DROP FUNCTION pmed.eval_pair_transfn(internal, float8, float8, boolean);
DROP FUNCTION pmed.eval_pr_curve_final(internal);
DROP FUNCTION pmed.eval_prob_int_transfn(internal, float8, boolean, integer);
DROP FUNCTION pmed.eval_prob_transfn(internal, float8, boolean);
DROP FUNCTION pmed.eval_roc_curve_final(internal);
DROP FUNCTION pmed.eval_score_int_transfn(internal, float8, boolean, integer);
DROP FUNCTION pmed.eval_score_param_transfn(internal, float8, boolean, float8);
DROP FUNCTION pmed.eval_score_transfn(internal, float8, boolean);
DROP FUNCTION pmed.eval_serialize(internal);
DROP FUNCTION pmed.eval_threshold_for_final(internal);
DROP FUNCTION pmed.eval_threshold_for_specificity_final(internal);
DROP FUNCTION pmed.eval_threshold_metrics_final(internal);
DROP FUNCTION pmed.forest_train_finalfn(internal);
DROP FUNCTION pmed.forest_train_transfn(internal, float8[], anyelement);
DROP FUNCTION pmed.forest_train_transfn(internal, float8[], anyelement, jsonb);
DROP FUNCTION pmed.forest_train_transfn(internal, jsonb, anyelement);
DROP FUNCTION pmed.forest_train_transfn(internal, jsonb, anyelement, jsonb);
DROP FUNCTION pmed.forest_train_transfn(internal, record, anyelement);
DROP FUNCTION pmed.forest_train_transfn(internal, record, anyelement, jsonb);
DROP FUNCTION pmed.interactions_train_finalfn(internal);
DROP FUNCTION pmed.interactions_train_transfn(internal, bigint, bigint);
DROP FUNCTION pmed.metrics_accuracy_combine(internal, internal);
DROP FUNCTION pmed.metrics_accuracy_deserialize(bytea, internal);
DROP FUNCTION pmed.metrics_accuracy_final(internal);
DROP FUNCTION pmed.metrics_accuracy_serialize(internal);
DROP FUNCTION pmed.metrics_accuracy_transfn(internal, text, text);
DROP FUNCTION pmed.metrics_auc_final(internal);
DROP FUNCTION pmed.metrics_brier_transfn(internal, float8, boolean);
DROP FUNCTION pmed.metrics_confusion_combine(internal, internal);
DROP FUNCTION pmed.metrics_confusion_deserialize(bytea, internal);
DROP FUNCTION pmed.metrics_confusion_final(internal);
DROP FUNCTION pmed.metrics_confusion_serialize(internal);
DROP FUNCTION pmed.metrics_confusion_transfn(internal, text, text);
DROP FUNCTION pmed.metrics_log_loss_transfn(internal, float8, boolean);
DROP FUNCTION pmed.metrics_mean_final(internal);
DROP FUNCTION pmed.metrics_pr_auc_final(internal);
DROP FUNCTION pmed.metrics_rmse_final(internal);
DROP FUNCTION pmed.metrics_rmse_transfn(internal, float8, float8);
DROP FUNCTION pmed.metrics_score_combine(internal, internal);
DROP FUNCTION pmed.metrics_score_deserialize(bytea, internal);
DROP FUNCTION pmed.metrics_score_serialize(internal);
DROP FUNCTION pmed.metrics_score_transfn(internal, float8, boolean);
DROP FUNCTION pmed.metrics_sum_combine(internal, internal);
DROP FUNCTION pmed.metrics_sum_deserialize(bytea, internal);
DROP FUNCTION pmed.metrics_sum_serialize(internal);
DROP FUNCTION pmed.recal_combine(internal, internal);
DROP FUNCTION pmed.recal_deserialize(bytea, internal);
DROP FUNCTION pmed.recal_features_transfn(internal, bytea, float8[], boolean);
DROP FUNCTION pmed.recal_features_transfn(internal, bytea, float8[], boolean, jsonb);
DROP FUNCTION pmed.recal_final(internal);
DROP FUNCTION pmed.recal_score_transfn(internal, bytea, float8, boolean);
DROP FUNCTION pmed.recal_score_transfn(internal, bytea, float8, boolean, jsonb);
DROP FUNCTION pmed.recal_serialize(internal);
DROP FUNCTION pmed.rnn_train_finalfn(internal);
DROP FUNCTION pmed.rnn_train_statics_finalfn(internal);
DROP FUNCTION pmed.rnn_train_statics_transfn(internal, float8[], float8[], anyelement);
DROP FUNCTION pmed.rnn_train_statics_transfn(internal, float8[], float8[], anyelement, jsonb);
DROP FUNCTION pmed.rnn_train_transfn(internal, float8[], anyelement);
DROP FUNCTION pmed.rnn_train_transfn(internal, float8[], anyelement, jsonb);
DROP FUNCTION pmed.svm_train_finalfn(internal);
DROP FUNCTION pmed.svm_train_transfn(internal, float8[], anyelement);
DROP FUNCTION pmed.svm_train_transfn(internal, float8[], anyelement, jsonb);
DROP FUNCTION pmed.svm_train_transfn(internal, jsonb, anyelement);
DROP FUNCTION pmed.svm_train_transfn(internal, jsonb, anyelement, jsonb);
DROP FUNCTION pmed.svm_train_transfn(internal, record, anyelement);
DROP FUNCTION pmed.svm_train_transfn(internal, record, anyelement, jsonb);
DROP FUNCTION pmed.train_combinefn(internal, internal);
DROP FUNCTION pmed.train_deserialfn(bytea, internal);
DROP FUNCTION pmed.train_merge_finalfn(internal);
DROP FUNCTION pmed.train_merge_transfn(internal, bytea);
DROP FUNCTION pmed.train_merge_transfn(internal, bytea, text);
DROP FUNCTION pmed.train_partial_finalfn(internal);
DROP FUNCTION pmed.train_partial_transfn(internal, float8[], anyelement);
DROP FUNCTION pmed.train_partial_transfn(internal, float8[], anyelement, jsonb);
DROP FUNCTION pmed.train_partial_transfn(internal, jsonb, anyelement);
DROP FUNCTION pmed.train_partial_transfn(internal, jsonb, anyelement, jsonb);
DROP FUNCTION pmed.train_partial_transfn(internal, record, anyelement);
DROP FUNCTION pmed.train_partial_transfn(internal, record, anyelement, jsonb);
DROP FUNCTION pmed.train_serialfn(internal);
