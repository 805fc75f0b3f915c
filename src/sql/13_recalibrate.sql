-- ---------------------------------------------------------------------------
-- Recalibration without retraining (src/recalibrate.c, src/core/recalibrate.c):
-- pmed.recalibrate(model, features | score, positive [, options]) returns a
-- copy of a binary classifier whose probabilities go through a Platt or
-- isotonic map fitted on these rows (an optional model section, reported by
-- pmed.model_info under "recalibration").  Rows with a NULL argument are
-- skipped.  Transition type pmed.metric_state (the model once, counts per
-- distinct probability); parallel safe, and every plan fits the same map.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.recal_features_transfn(pmed.metric_state, bytea, float8[], boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_features_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_features_transfn(pmed.metric_state, bytea, float8[], boolean) IS
'transition function of pmed.recalibrate (pmed.metric_state)';

CREATE FUNCTION pmed.recal_features_transfn(pmed.metric_state, bytea, float8[], boolean, jsonb)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_features_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_features_transfn(pmed.metric_state, bytea, float8[], boolean, jsonb) IS
'transition function of pmed.recalibrate (pmed.metric_state)';

CREATE FUNCTION pmed.recal_score_transfn(pmed.metric_state, bytea, float8, boolean)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_score_transfn(pmed.metric_state, bytea, float8, boolean) IS
'transition function of pmed.recalibrate (pmed.metric_state)';

CREATE FUNCTION pmed.recal_score_transfn(pmed.metric_state, bytea, float8, boolean, jsonb)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_score_transfn(pmed.metric_state, bytea, float8, boolean, jsonb) IS
'transition function of pmed.recalibrate (pmed.metric_state)';

CREATE FUNCTION pmed.recal_combine(pmed.metric_state, pmed.metric_state)
RETURNS pmed.metric_state AS 'MODULE_PATHNAME', 'recal_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_combine(pmed.metric_state, pmed.metric_state) IS
'combine function of pmed.recalibrate (pmed.metric_state)';

CREATE FUNCTION pmed.recal_final(pmed.metric_state)
RETURNS bytea AS 'MODULE_PATHNAME', 'recal_final'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_final(pmed.metric_state) IS
'final function of pmed.recalibrate (pmed.metric_state); VOLATILE like the training finals: the model records when it was recalibrated';

CREATE AGGREGATE pmed.recalibrate(model bytea, features float8[], positive boolean) (
	SFUNC = pmed.recal_features_transfn, STYPE = pmed.metric_state, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8[], boolean) IS
'copy of a binary classifier (the same model in every row) with its probabilities recalibrated by Platt''s method on these rows'' features and outcomes';

CREATE AGGREGATE pmed.recalibrate(model bytea, features float8[], positive boolean, options jsonb) (
	SFUNC = pmed.recal_features_transfn, STYPE = pmed.metric_state, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8[], boolean, jsonb) IS
'copy of a binary classifier with its probabilities recalibrated on these rows; options: method ("platt" | "isotonic"), max_steps (isotonic, default 1000)';

CREATE AGGREGATE pmed.recalibrate(model bytea, score float8, positive boolean) (
	SFUNC = pmed.recal_score_transfn, STYPE = pmed.metric_state, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8, boolean) IS
'copy of a binary classifier recalibrated by Platt''s method from precomputed scores: the model''s own pmed.predict_proba of each row (the model must not be recalibrated already)';

CREATE AGGREGATE pmed.recalibrate(model bytea, score float8, positive boolean, options jsonb) (
	SFUNC = pmed.recal_score_transfn, STYPE = pmed.metric_state, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8, boolean, jsonb) IS
'copy of a binary classifier recalibrated from precomputed scores (the model''s own probabilities); options: method ("platt" | "isotonic"), max_steps';

CREATE FUNCTION pmed.remove_recalibration(model bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'remove_recalibration'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.remove_recalibration(bytea) IS
'the model without its recalibration section (byte for byte the model as trained); unchanged when it has none';
