
-- ---------------------------------------------------------------------------
-- Drug recommendation: collaborative filtering (item_knn, ALS), content
-- profiles, drug-drug interaction sets, and pmed.recommend.
-- ---------------------------------------------------------------------------

-- cf_train(patient, item [, weight [, options]])
CREATE FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint, float8) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint, float8, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.cf_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint, float8) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_transfn(pmed.train_state, bigint, bigint, float8, jsonb) IS
    'transition function of pmed.cf_train';
COMMENT ON FUNCTION pmed.cf_train_finalfn(pmed.train_state) IS
    'final function of pmed.cf_train: sorts the (patient, item, weight) rows, fits and encodes';

CREATE AGGREGATE pmed.cf_train(patient bigint, item bigint) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train(patient bigint, item bigint, weight float8) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train(patient bigint, item bigint, weight float8, options jsonb) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.cf_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint) IS
    'train an item_knn collaborative-filtering model from (patient, item) pairs';
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint, float8) IS
    'train an item_knn collaborative-filtering model from weighted (patient, item) pairs';
COMMENT ON AGGREGATE pmed.cf_train(bigint, bigint, float8, jsonb) IS
    'train a collaborative-filtering model (method item_knn or als) from weighted (patient, item) pairs';

-- content_train(item, features [, options])
CREATE FUNCTION pmed.content_train_transfn(pmed.train_state, bigint, float8[]) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.content_train_transfn(pmed.train_state, bigint, float8[], jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.content_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.content_train_transfn(pmed.train_state, bigint, float8[]) IS
    'transition function of pmed.content_train';
COMMENT ON FUNCTION pmed.content_train_transfn(pmed.train_state, bigint, float8[], jsonb) IS
    'transition function of pmed.content_train';
COMMENT ON FUNCTION pmed.content_train_finalfn(pmed.train_state) IS
    'final function of pmed.content_train: builds the normalised item profiles';

CREATE AGGREGATE pmed.content_train(item bigint, features float8[]) (
    SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.content_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.content_train(item bigint, features float8[], options jsonb) (
    SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.content_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.content_train(bigint, float8[]) IS
    'train a content-based recommender from item feature vectors';
COMMENT ON AGGREGATE pmed.content_train(bigint, float8[], jsonb) IS
    'train a content-based recommender from item feature vectors, with options (standardize, feature_names)';

-- interactions_train(drug_a, drug_b)
CREATE FUNCTION pmed.interactions_train_transfn(pmed.train_state, bigint, bigint) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.interactions_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.interactions_train_transfn(pmed.train_state, bigint, bigint) IS
    'transition function of pmed.interactions_train';
COMMENT ON FUNCTION pmed.interactions_train_finalfn(pmed.train_state) IS
    'final function of pmed.interactions_train: sorts and merges the symmetric pairs';

CREATE AGGREGATE pmed.interactions_train(drug_a bigint, drug_b bigint) (
    SFUNC = pmed.interactions_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.interactions_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
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
CREATE FUNCTION pmed.train_merge_transfn(pmed.train_state, bytea) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_merge_transfn(pmed.train_state, bytea) IS
    'transition function of pmed.train_from_partials(state): validates and merges one partial state';

CREATE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint, weight float8) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.cf_train_partial(patient bigint, item bigint, weight float8, options jsonb) (
    SFUNC = pmed.cf_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint, float8) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.cf_train_partial(bigint, bigint, float8, jsonb) IS
    'partial cf_train state of these rows, as bytea, for pmed.recommender_from_partials';

CREATE AGGREGATE pmed.content_train_partial(item bigint, features float8[]) (
    SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
CREATE AGGREGATE pmed.content_train_partial(item bigint, features float8[], options jsonb) (
    SFUNC = pmed.content_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.content_train_partial(bigint, float8[]) IS
    'partial content_train state of these rows, as bytea, for pmed.recommender_from_partials';
COMMENT ON AGGREGATE pmed.content_train_partial(bigint, float8[], jsonb) IS
    'partial content_train state of these rows, as bytea, for pmed.recommender_from_partials';

CREATE AGGREGATE pmed.interactions_train_partial(drug_a bigint, drug_b bigint) (
    SFUNC = pmed.interactions_train_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.interactions_train_partial(bigint, bigint) IS
    'partial interactions_train state of these rows, as bytea, for pmed.recommender_from_partials';

CREATE AGGREGATE pmed.train_from_partials(partial bytea) (
    SFUNC = pmed.train_merge_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_merge_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_from_partials(bytea) IS
    'merge partial training states of one model family (from any pmed.<family>_train_partial, on any server) and train the model of all their rows';
CREATE AGGREGATE pmed.recommender_from_partials(state bytea) (
    SFUNC = pmed.train_merge_transfn, STYPE = pmed.train_state, FINALFUNC = pmed.train_merge_finalfn,
    COMBINEFUNC = pmed.train_combinefn, PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.recommender_from_partials(bytea) IS
    'the same as pmed.train_from_partials(state), under the name it had for cf / content / interactions states';

