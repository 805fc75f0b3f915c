-- ---------------------------------------------------------------------------
-- SVM: RBF kernel (SMO with WSS2, shrinking, kernel cache) or linear kernel
-- (dual coordinate descent with an intercept); one-vs-one for k > 2
-- classes; Platt probabilities; NULL features imputed by the training mean.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.svm_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.svm_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION pmed.svm_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.svm_train';
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.svm_train';
COMMENT ON FUNCTION pmed.svm_train_finalfn(pmed.train_state) IS
    'final function of pmed.svm_train: fits and encodes the SVM model';

CREATE AGGREGATE pmed.svm_train(float8[], anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
CREATE AGGREGATE pmed.svm_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(float8[], anyelement) IS
    'train an SVM classifier (RBF kernel, gamma "scale", C 1, standardized, with probabilities)';
COMMENT ON AGGREGATE pmed.svm_train(float8[], anyelement, jsonb) IS
    'train an SVM classifier with options: kernel (rbf | linear), C, gamma (number | "scale"), standardize, class_weight ("balanced"), tol, max_iter, probability, seed, feature_names, positive';

CREATE AGGREGATE pmed.svm_train_partial(float8[], anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(float8[], anyelement) IS
    'partial svm_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE AGGREGATE pmed.svm_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(float8[], anyelement, jsonb) IS
    'partial svm_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.svm_decision(model bytea, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'svm_decision' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_decision(bytea, float8[]) IS
    'SVM decision value of a row: binary models > 0 for the positive class; multi-class models: the first pair (first class against second, > 0 for the second); the value pmed.explain explains';
