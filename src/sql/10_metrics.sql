-- ---------------------------------------------------------------------------
-- Evaluation metrics and splitting (src/metrics.c, src/fold.c)
--
-- Every metric aggregate skips rows with a NULL input and returns NULL when
-- no row is left.  The transition type of every metric, evaluation, curve,
-- threshold and recalibration aggregate is pmed.metric_state (defined
-- here): a non-pseudo type, so Citus can run them as worker partial
-- aggregates plus a coordinator combine.  Its states hold statistics, not
-- rows, wherever that is exact (README, "Metric aggregates").  Support
-- functions are IMMUTABLE PARALLEL SAFE; transition and combine functions
-- are not STRICT (they create the state and skip NULL rows).
-- ---------------------------------------------------------------------------

-- ---- pmed.metric_state (src/metric_state.c) --------------------------------

CREATE TYPE pmed.metric_state;

CREATE FUNCTION pmed.metric_state_in(cstring)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metric_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_in(cstring) IS
'input function of pmed.metric_state: canonical base64 of the flat state; validates every byte (22P02 for bad text, XX001 for a damaged state)';

CREATE FUNCTION pmed.metric_state_out(pmed.metric_state)
RETURNS cstring AS 'MODULE_PATHNAME', 'metric_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_out(pmed.metric_state) IS
'output function of pmed.metric_state: canonical base64 of the flat state (what Citus ships from a worker)';

CREATE FUNCTION pmed.metric_state_recv(internal)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metric_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_recv(internal) IS
'binary input function of pmed.metric_state: validates every byte';

CREATE FUNCTION pmed.metric_state_send(pmed.metric_state)
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

CREATE FUNCTION pmed.metric_state_info(state pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'metric_state_info'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metric_state_info(pmed.metric_state) IS
'what a partial metric state holds: {"kind", "bytes" (flat size), and its counts: "rows", or "labels" and "pairs", or "positives", "negatives" and "distinct_scores"}';

-- ---- fold -----------------------------------------------------------------

CREATE FUNCTION pmed.fold(key anyelement, folds int, seed int DEFAULT 0)
RETURNS int
AS 'MODULE_PATHNAME', 'fold'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.fold(anyelement, int, int) IS
'deterministic fold in [0, folds) from a portable hash of the key''s value (integers as int64, text as its bytes, other types as their binary send form); same key, folds and seed give the same fold on every platform';

-- ---- auc / pr_auc: the state counts positives and negatives per score ------

CREATE FUNCTION pmed.metrics_score_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_score_transfn(pmed.metric_state, float8, boolean) IS
'transition function of pmed.auc and pmed.pr_auc (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_score_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_score_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_score_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.auc and pmed.pr_auc (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_auc_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_auc_final(pmed.metric_state) IS
'final function of pmed.auc (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_pr_auc_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_pr_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_pr_auc_final(pmed.metric_state) IS
'final function of pmed.pr_auc (pmed.metric_state)';

CREATE AGGREGATE pmed.auc(score float8, positive boolean) (
	SFUNC = pmed.metrics_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_auc_final,
	COMBINEFUNC = pmed.metrics_score_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.auc(float8, boolean) IS
'ROC AUC: the Mann-Whitney probability that a positive scores above a negative, ties counting 1/2; NULL rows skipped; NULL without positives or without negatives; non-finite score is ERROR 22023';

CREATE AGGREGATE pmed.pr_auc(score float8, positive boolean) (
	SFUNC = pmed.metrics_score_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_pr_auc_final,
	COMBINEFUNC = pmed.metrics_score_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.pr_auc(float8, boolean) IS
'average precision as scikit-learn''s average_precision_score: sum over distinct score thresholds (descending) of (recall gain) * precision; NULL rows skipped; NULL without positives';

-- ---- accuracy -------------------------------------------------------------

CREATE FUNCTION pmed.metrics_accuracy_transfn(pmed.metric_state, text, text)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_accuracy_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_transfn(pmed.metric_state, text, text) IS
'transition function of pmed.accuracy (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_accuracy_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_accuracy_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.accuracy (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_accuracy_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_accuracy_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_accuracy_final(pmed.metric_state) IS
'final function of pmed.accuracy (pmed.metric_state)';

CREATE AGGREGATE pmed.accuracy(predicted text, actual text) (
	SFUNC = pmed.metrics_accuracy_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_accuracy_final,
	COMBINEFUNC = pmed.metrics_accuracy_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.accuracy(text, text) IS
'share of rows whose predicted label equals the actual label (byte-wise comparison); NULL rows skipped';

-- ---- confusion_matrix -----------------------------------------------------

CREATE FUNCTION pmed.metrics_confusion_transfn(pmed.metric_state, text, text)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_confusion_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_transfn(pmed.metric_state, text, text) IS
'transition function of pmed.confusion_matrix (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_confusion_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_confusion_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.confusion_matrix (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_confusion_final(pmed.metric_state)
RETURNS jsonb AS 'MODULE_PATHNAME', 'metrics_confusion_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_confusion_final(pmed.metric_state) IS
'final function of pmed.confusion_matrix (pmed.metric_state)';

CREATE AGGREGATE pmed.confusion_matrix(predicted text, actual text) (
	SFUNC = pmed.metrics_confusion_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_confusion_final,
	COMBINEFUNC = pmed.metrics_confusion_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.confusion_matrix(text, text) IS
'{"labels": [every label seen, sorted byte-wise], "matrix": [[count]]} with rows = actual label, columns = predicted label; NULL rows skipped; at most 1000 distinct labels';

-- ---- rmse / log_loss / brier: exact sums ----------------------------------

CREATE FUNCTION pmed.metrics_rmse_transfn(pmed.metric_state, float8, float8)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_rmse_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_rmse_transfn(pmed.metric_state, float8, float8) IS
'transition function of pmed.rmse (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_log_loss_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_log_loss_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_log_loss_transfn(pmed.metric_state, float8, boolean) IS
'transition function of pmed.log_loss (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_brier_transfn(pmed.metric_state, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_brier_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_brier_transfn(pmed.metric_state, float8, boolean) IS
'transition function of pmed.brier (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_sum_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'metrics_sum_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_sum_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.rmse, pmed.log_loss and pmed.brier (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_rmse_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_rmse_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_rmse_final(pmed.metric_state) IS
'final function of pmed.rmse (pmed.metric_state)';

CREATE FUNCTION pmed.metrics_mean_final(pmed.metric_state)
RETURNS float8 AS 'MODULE_PATHNAME', 'metrics_mean_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.metrics_mean_final(pmed.metric_state) IS
'final function of pmed.log_loss and pmed.brier (pmed.metric_state)';

CREATE AGGREGATE pmed.rmse(predicted float8, actual float8) (
	SFUNC = pmed.metrics_rmse_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_rmse_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.rmse(float8, float8) IS
'root mean squared error sqrt(avg((predicted - actual)^2)); NULL rows skipped; non-finite input is ERROR 22023';

CREATE AGGREGATE pmed.log_loss(p float8, positive boolean) (
	SFUNC = pmed.metrics_log_loss_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_mean_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE pmed.log_loss(float8, boolean) IS
'mean binary cross-entropy -avg(y ln p + (1 - y) ln(1 - p)) with p clipped to [1e-15, 1 - 1e-15] as scikit-learn; p outside [0, 1] is ERROR 22023; NULL rows skipped';

CREATE AGGREGATE pmed.brier(p float8, positive boolean) (
	SFUNC = pmed.metrics_brier_transfn,
	STYPE = pmed.metric_state,
	FINALFUNC = pmed.metrics_mean_final,
	COMBINEFUNC = pmed.metrics_sum_combine,
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
