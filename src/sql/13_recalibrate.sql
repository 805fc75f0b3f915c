-- ---------------------------------------------------------------------------
-- Recalibration without retraining (src/recalibrate.c, src/core/recalibrate.c):
-- pmed.recalibrate(model, features | score, positive [, options]) returns a
-- copy of a binary classifier whose probabilities go through a Platt or
-- isotonic map fitted on these rows (an optional model section, reported by
-- pmed.model_info under "recalibration").  Rows with a NULL argument are
-- skipped.  Parallel safe; the final function sorts the rows first, so
-- serial and parallel plans fit the same map.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.recal_features_transfn(internal, bytea, float8[], boolean)
RETURNS internal AS 'MODULE_PATHNAME', 'recal_features_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_features_transfn(internal, bytea, float8[], boolean) IS
'transition function of pmed.recalibrate (internal)';

CREATE FUNCTION pmed.recal_features_transfn(internal, bytea, float8[], boolean, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recal_features_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_features_transfn(internal, bytea, float8[], boolean, jsonb) IS
'transition function of pmed.recalibrate (internal)';

CREATE FUNCTION pmed.recal_score_transfn(internal, bytea, float8, boolean)
RETURNS internal AS 'MODULE_PATHNAME', 'recal_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_score_transfn(internal, bytea, float8, boolean) IS
'transition function of pmed.recalibrate (internal)';

CREATE FUNCTION pmed.recal_score_transfn(internal, bytea, float8, boolean, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'recal_score_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_score_transfn(internal, bytea, float8, boolean, jsonb) IS
'transition function of pmed.recalibrate (internal)';

CREATE FUNCTION pmed.recal_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'recal_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_combine(internal, internal) IS
'combine function of pmed.recalibrate (internal)';

CREATE FUNCTION pmed.recal_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'recal_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_serialize(internal) IS
'serialize function of pmed.recalibrate (internal)';

CREATE FUNCTION pmed.recal_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'recal_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_deserialize(bytea, internal) IS
'deserialize function of pmed.recalibrate (internal)';

CREATE FUNCTION pmed.recal_final(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'recal_final'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.recal_final(internal) IS
'final function of pmed.recalibrate (internal); VOLATILE like the training finals: the model records when it was recalibrated';

CREATE AGGREGATE pmed.recalibrate(model bytea, features float8[], positive boolean) (
	SFUNC = pmed.recal_features_transfn, STYPE = internal, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	SERIALFUNC = pmed.recal_serialize, DESERIALFUNC = pmed.recal_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8[], boolean) IS
'copy of a binary classifier (the same model in every row) with its probabilities recalibrated by Platt''s method on these rows'' features and outcomes';

CREATE AGGREGATE pmed.recalibrate(model bytea, features float8[], positive boolean, options jsonb) (
	SFUNC = pmed.recal_features_transfn, STYPE = internal, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	SERIALFUNC = pmed.recal_serialize, DESERIALFUNC = pmed.recal_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8[], boolean, jsonb) IS
'copy of a binary classifier with its probabilities recalibrated on these rows; options: method ("platt" | "isotonic"), max_steps (isotonic, default 1000)';

CREATE AGGREGATE pmed.recalibrate(model bytea, score float8, positive boolean) (
	SFUNC = pmed.recal_score_transfn, STYPE = internal, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	SERIALFUNC = pmed.recal_serialize, DESERIALFUNC = pmed.recal_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8, boolean) IS
'copy of a binary classifier recalibrated by Platt''s method from precomputed scores: the model''s own pmed.predict_proba of each row (the model must not be recalibrated already)';

CREATE AGGREGATE pmed.recalibrate(model bytea, score float8, positive boolean, options jsonb) (
	SFUNC = pmed.recal_score_transfn, STYPE = internal, FINALFUNC = pmed.recal_final,
	COMBINEFUNC = pmed.recal_combine,
	SERIALFUNC = pmed.recal_serialize, DESERIALFUNC = pmed.recal_deserialize,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recalibrate(bytea, float8, boolean, jsonb) IS
'copy of a binary classifier recalibrated from precomputed scores (the model''s own probabilities); options: method ("platt" | "isotonic"), max_steps';

CREATE FUNCTION pmed.remove_recalibration(model bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'remove_recalibration'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.remove_recalibration(bytea) IS
'the model without its recalibration section (byte for byte the model as trained); unchanged when it has none';
