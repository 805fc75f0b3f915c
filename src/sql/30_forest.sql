
-- ---------------------------------------------------------------------------
-- Random forests: classification (Gini) and regression (variance), NULL
-- features routed by learned default directions, TreeSHAP explanations.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.forest_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.forest_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.forest_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.forest_train';
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.forest_train';
COMMENT ON FUNCTION pmed.forest_train_finalfn(pmed.train_state) IS
    'final function of pmed.forest_train: grows and encodes the forest';

CREATE AGGREGATE pmed.forest_train(float8[], anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
CREATE AGGREGATE pmed.forest_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(float8[], anyelement) IS
    'train a random forest: classification for boolean, integer and text labels, regression for float and numeric labels';
COMMENT ON AGGREGATE pmed.forest_train(float8[], anyelement, jsonb) IS
    'train a random forest with options (trees, max_depth, min_leaf, mtry, sample_fraction, replace, importance, seed, feature_names, positive, task)';

CREATE AGGREGATE pmed.forest_train_partial(float8[], anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(float8[], anyelement) IS
    'partial forest_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE AGGREGATE pmed.forest_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(float8[], anyelement, jsonb) IS
    'partial forest_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.forest_trees(model bytea,
    OUT tree int, OUT nodes int, OUT leaves int, OUT depth int)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION pmed.forest_trees(bytea) IS
    'one row per tree of a forest model: node count, leaf count and depth';
