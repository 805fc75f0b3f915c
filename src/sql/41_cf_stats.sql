
-- cf_train(items bigint[] [, weights float8[] [, options]]): item_knn from
-- per-patient histories, one input row = one patient's complete history.
-- The state holds item and co-occurrence pair statistics, never patient ids
-- (train_stats.h, src/cf_hist.c); min_support is applied at the final step.
CREATE FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[]) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[], float8[]) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[], float8[], jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.cf_hist_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[]) IS
    'transition function of pmed.cf_train(items): adds one history to the item and pair statistics';
COMMENT ON FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[], float8[]) IS
    'transition function of pmed.cf_train(items, weights): adds one history to the item and pair statistics';
COMMENT ON FUNCTION pmed.cf_hist_train_transfn(pmed.train_state, bigint[], float8[], jsonb) IS
    'transition function of pmed.cf_train(items, weights, options): adds one history to the item and pair statistics';
COMMENT ON FUNCTION pmed.cf_hist_train_finalfn(pmed.train_state) IS
    'final function of pmed.cf_train(items, ...): the item_knn model of the item and pair statistics';

CREATE AGGREGATE pmed.cf_train(items bigint[]) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_hist_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train(items bigint[], weights float8[]) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_hist_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train(items bigint[], weights float8[], options jsonb) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_hist_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train(bigint[]) IS
    'train an item_knn model from patient histories (one row = one patient''s complete item list); the state holds item and pair statistics, no patient ids';
COMMENT ON AGGREGATE pmed.cf_train(bigint[], float8[]) IS
    'train an item_knn model from weighted patient histories (one row = one patient''s complete history); the state holds item and pair statistics, no patient ids';
COMMENT ON AGGREGATE pmed.cf_train(bigint[], float8[], jsonb) IS
    'train an item_knn model from weighted patient histories with options (neighbors, shrinkage, min_support, seed; store_patients must be false)';

CREATE AGGREGATE pmed.cf_train_partial(items bigint[]) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train_partial(items bigint[], weights float8[]) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train_partial(items bigint[], weights float8[], options jsonb) (
    SFUNC = pmed.cf_hist_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint[]) IS
    'partial cf_train(items) state: item and pair statistics of these histories, as bytea, for pmed.train_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint[], float8[]) IS
    'partial cf_train(items, weights) state: item and pair statistics of these histories, as bytea, for pmed.train_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint[], float8[], jsonb) IS
    'partial cf_train(items, weights, options) state: item and pair statistics of these histories, as bytea, for pmed.train_from_partials';
