-- pmed: in-database machine learning for personalized medicine.
-- This script is assembled from src/sql/*.sql by the Makefile.

\echo Use "CREATE EXTENSION pmed" to load this file. \quit

-- ---------------------------------------------------------------------------
-- The shared training-aggregate state: the type pmed.train_state and its
-- combine function.  Every training, partial and recommender aggregate uses
-- them, so parallel query and Citus can ship partial states between
-- processes: a non-pseudo transition type is what Citus needs to push an
-- aggregate down to its workers (README, "Scaling").  In memory a state is
-- an expanded object (never copied per row); flat, the bytes of the state's
-- serializer (CRC32C last); as text, their canonical base64.  The input,
-- receive and bytea-cast functions validate every byte (22P02 for bad text,
-- XX001 for a damaged state).
-- ---------------------------------------------------------------------------

CREATE TYPE pmed.train_state;
CREATE FUNCTION pmed.train_state_in(cstring) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_in(cstring) IS
    'input function of pmed.train_state: canonical base64 of a training state, validated';
CREATE FUNCTION pmed.train_state_out(pmed.train_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_out(pmed.train_state) IS
    'output function of pmed.train_state: canonical base64 of the state''s bytes';
CREATE FUNCTION pmed.train_state_recv(internal) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_recv(internal) IS
    'binary input function of pmed.train_state: the state''s bytes, validated';
CREATE FUNCTION pmed.train_state_send(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_send(pmed.train_state) IS
    'binary output function of pmed.train_state: the state''s bytes';
CREATE TYPE pmed.train_state (
    INPUT = pmed.train_state_in, OUTPUT = pmed.train_state_out,
    RECEIVE = pmed.train_state_recv, SEND = pmed.train_state_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
COMMENT ON TYPE pmed.train_state IS
    'partial state of a pmed training, partial or recommender aggregate (rows or statistics, options); text form: canonical base64 of its bytes';

-- The bytes of a state are what pmed.*_train_partial return (bytea): casts
-- both ways, the bytea -> pmed.train_state one validated.
CREATE FUNCTION pmed.train_state_to_bytea(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_to_bytea(pmed.train_state) IS
    'the bytes of a training state (as pmed.*_train_partial return them)';
CREATE FUNCTION pmed.train_state_from_bytea(bytea) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_state_from_bytea(bytea) IS
    'a training state from its bytes (pmed.*_train_partial), validated (XX001 when damaged)';
CREATE CAST (pmed.train_state AS bytea) WITH FUNCTION pmed.train_state_to_bytea(pmed.train_state);
CREATE CAST (bytea AS pmed.train_state) WITH FUNCTION pmed.train_state_from_bytea(bytea);

-- Labels, the same for every family: transition, combine and the
-- partial-state final function are IMMUTABLE like PostgreSQL's own
-- (array_agg_transfn): their result depends only on their arguments.  Final
-- functions that train are VOLATILE because a model records its training
-- time (two calls give different bytes).  Used as a plain aggregate, a final
-- function takes the rows out of the state as it copies them, so the row
-- store and the dense training copy are never both whole in memory; used as
-- a window function it copies and keeps them (train_state.c, final_model),
-- so FINALFUNC_MODIFY stays READ_ONLY.  The combine function is not strict:
-- it turns a flat state (a parallel worker's, or one read by the input
-- function) into an object itself.
CREATE FUNCTION pmed.train_combinefn(pmed.train_state, pmed.train_state) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_combinefn(pmed.train_state, pmed.train_state) IS
    'combine two partial training states (the COMBINEFUNC of every training aggregate)';

-- ---------------------------------------------------------------------------
-- Baseline: class priors or the mean, the reference every model must beat.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.baseline_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.baseline_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.baseline_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.baseline_train';
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.baseline_train';
COMMENT ON FUNCTION pmed.baseline_train_finalfn(pmed.train_state) IS
    'final function of pmed.baseline_train: fits and encodes the model';

CREATE AGGREGATE pmed.baseline_train(float8[], anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
CREATE AGGREGATE pmed.baseline_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
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

CREATE FUNCTION pmed.train_partial_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.train_partial_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.train_partial_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.train_partial';
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.train_partial';
COMMENT ON FUNCTION pmed.train_partial_finalfn(pmed.train_state) IS
    'final function of pmed.train_partial and every pmed.<family>_train_partial: the serialized training state';

CREATE AGGREGATE pmed.train_partial(float8[], anyelement) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
CREATE AGGREGATE pmed.train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(float8[], anyelement) IS
    'the partial training state of these rows, as bytes to merge with pmed.train_from_partials';
COMMENT ON AGGREGATE pmed.train_partial(float8[], anyelement, jsonb) IS
    'the partial training state of these rows (with the training options), as bytes to merge with pmed.train_from_partials';

CREATE FUNCTION pmed.train_merge_transfn(pmed.train_state, bytea, text) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.train_merge_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_merge_transfn(pmed.train_state, bytea, text) IS
    'transition function of pmed.train_from_partials: validates and merges a partial state';
COMMENT ON FUNCTION pmed.train_merge_finalfn(pmed.train_state) IS
    'final function of pmed.train_from_partials: fits and encodes the model';

-- No COMBINEFUNC: the family argument is known to the transition function
-- only (it is not part of a state's bytes), so this merge runs in one
-- process; its inputs are partial states already.
CREATE AGGREGATE pmed.train_from_partials(partial bytea, family text) (
    SFUNC = pmed.train_merge_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_merge_finalfn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_from_partials(bytea, text) IS
    'merge partial training states (from pmed.train_partial, on any server) and train a baseline, svm or forest model';

CREATE AGGREGATE pmed.baseline_train_partial(float8[], anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(float8[], anyelement) IS
    'partial baseline_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE AGGREGATE pmed.baseline_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(float8[], anyelement, jsonb) IS
    'partial baseline_train state of these rows, as bytea, for pmed.train_from_partials(state)';
