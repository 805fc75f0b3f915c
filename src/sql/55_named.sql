
-- ---------------------------------------------------------------------------
-- Features as a row of named values (a jsonb object or a composite row):
-- the model learns and stores the encoding (numbers, booleans, categories,
-- code lists, dates; rare levels pooled into "other"), so scoring takes the
-- same kind of row and cannot drift from training.  The transition
-- functions are those of the float8[] aggregates: they tell the forms apart
-- by the argument type.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.baseline_train_transfn(pmed.train_state, jsonb, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, jsonb, anyelement) IS
    'transition function of pmed.baseline_train';
CREATE FUNCTION pmed.baseline_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) IS
    'transition function of pmed.baseline_train';
CREATE AGGREGATE pmed.baseline_train(jsonb, anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(jsonb, anyelement) IS
    'train a baseline model on a jsonb object of named values: class priors (classification) or the mean (regression); the features are named values';
CREATE AGGREGATE pmed.baseline_train_partial(jsonb, anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(jsonb, anyelement) IS
    'partial baseline_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE AGGREGATE pmed.baseline_train(jsonb, anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(jsonb, anyelement, jsonb) IS
    'train a baseline model on a jsonb object of named values with options (min_category_count and the float8[] forms): class priors (classification) or the mean (regression); the features are named values';
CREATE AGGREGATE pmed.baseline_train_partial(jsonb, anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(jsonb, anyelement, jsonb) IS
    'partial baseline_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.svm_train_transfn(pmed.train_state, jsonb, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, jsonb, anyelement) IS
    'transition function of pmed.svm_train';
CREATE FUNCTION pmed.svm_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) IS
    'transition function of pmed.svm_train';
CREATE AGGREGATE pmed.svm_train(jsonb, anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(jsonb, anyelement) IS
    'train a support vector machine on a jsonb object of named values: categories one-hot and standardized with the rest';
CREATE AGGREGATE pmed.svm_train_partial(jsonb, anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(jsonb, anyelement) IS
    'partial svm_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE AGGREGATE pmed.svm_train(jsonb, anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(jsonb, anyelement, jsonb) IS
    'train a support vector machine on a jsonb object of named values with options (min_category_count and the float8[] forms): categories one-hot and standardized with the rest';
CREATE AGGREGATE pmed.svm_train_partial(jsonb, anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(jsonb, anyelement, jsonb) IS
    'partial svm_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.forest_train_transfn(pmed.train_state, jsonb, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, jsonb, anyelement) IS
    'transition function of pmed.forest_train';
CREATE FUNCTION pmed.forest_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, jsonb, anyelement, jsonb) IS
    'transition function of pmed.forest_train';
CREATE AGGREGATE pmed.forest_train(jsonb, anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(jsonb, anyelement) IS
    'train a random forest on a jsonb object of named values: categories one-hot, NULLs routed by learned default directions';
CREATE AGGREGATE pmed.forest_train_partial(jsonb, anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(jsonb, anyelement) IS
    'partial forest_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';
CREATE AGGREGATE pmed.forest_train(jsonb, anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(jsonb, anyelement, jsonb) IS
    'train a random forest on a jsonb object of named values with options (min_category_count and the float8[] forms): categories one-hot, NULLs routed by learned default directions';
CREATE AGGREGATE pmed.forest_train_partial(jsonb, anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(jsonb, anyelement, jsonb) IS
    'partial forest_train state of these rows (a jsonb object of named values), as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.train_partial_transfn(pmed.train_state, jsonb, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, jsonb, anyelement) IS
    'transition function of pmed.train_partial';
CREATE AGGREGATE pmed.train_partial(jsonb, anyelement) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(jsonb, anyelement) IS
    'the partial training state of these rows (a jsonb object of named values), as bytes to merge with pmed.train_from_partials';
CREATE FUNCTION pmed.train_partial_transfn(pmed.train_state, jsonb, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, jsonb, anyelement, jsonb) IS
    'transition function of pmed.train_partial';
CREATE AGGREGATE pmed.train_partial(jsonb, anyelement, jsonb) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(jsonb, anyelement, jsonb) IS
    'the partial training state of these rows (a jsonb object of named values), as bytes to merge with pmed.train_from_partials';

CREATE FUNCTION pmed.predict(model bytea, features jsonb) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict(bytea, jsonb) IS
    'predicted value or class as a number, from a jsonb object of named values encoded as the model learned';
CREATE FUNCTION pmed.predict_label(model bytea, features jsonb) RETURNS text
    AS 'MODULE_PATHNAME', 'predict_label_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_label(bytea, jsonb) IS
    'predicted class label as text, from a jsonb object of named values';
CREATE FUNCTION pmed.predict_proba(model bytea, features jsonb) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, jsonb) IS
    'probability of the positive class (binary classifiers), from a jsonb object of named values';
CREATE FUNCTION pmed.predict_proba(model bytea, features jsonb, label text) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_label_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, jsonb, text) IS
    'probability of the given class, from a jsonb object of named values';
CREATE FUNCTION pmed.explain(model bytea, features jsonb,
    OUT feature int, OUT name text, OUT value text, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'explain_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 31;
COMMENT ON FUNCTION pmed.explain(bytea, jsonb) IS
    'per-input-column contributions to one prediction from a jsonb object of named values (one-hot and multi-hot parts summed); row 0 (base_value) is the expected output';

CREATE FUNCTION pmed.baseline_train_transfn(pmed.train_state, record, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, record, anyelement) IS
    'transition function of pmed.baseline_train';
CREATE FUNCTION pmed.baseline_train_transfn(pmed.train_state, record, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.baseline_train_transfn(pmed.train_state, record, anyelement, jsonb) IS
    'transition function of pmed.baseline_train';
CREATE AGGREGATE pmed.baseline_train(record, anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(record, anyelement) IS
    'train a baseline model on a composite row of named values: class priors (classification) or the mean (regression); the features are named values';
CREATE AGGREGATE pmed.baseline_train_partial(record, anyelement) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(record, anyelement) IS
    'partial baseline_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE AGGREGATE pmed.baseline_train(record, anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.baseline_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train(record, anyelement, jsonb) IS
    'train a baseline model on a composite row of named values with options (min_category_count and the float8[] forms): class priors (classification) or the mean (regression); the features are named values';
CREATE AGGREGATE pmed.baseline_train_partial(record, anyelement, jsonb) (
    SFUNC = pmed.baseline_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.baseline_train_partial(record, anyelement, jsonb) IS
    'partial baseline_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.svm_train_transfn(pmed.train_state, record, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, record, anyelement) IS
    'transition function of pmed.svm_train';
CREATE FUNCTION pmed.svm_train_transfn(pmed.train_state, record, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_train_transfn(pmed.train_state, record, anyelement, jsonb) IS
    'transition function of pmed.svm_train';
CREATE AGGREGATE pmed.svm_train(record, anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(record, anyelement) IS
    'train a support vector machine on a composite row of named values: categories one-hot and standardized with the rest';
CREATE AGGREGATE pmed.svm_train_partial(record, anyelement) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(record, anyelement) IS
    'partial svm_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE AGGREGATE pmed.svm_train(record, anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.svm_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train(record, anyelement, jsonb) IS
    'train a support vector machine on a composite row of named values with options (min_category_count and the float8[] forms): categories one-hot and standardized with the rest';
CREATE AGGREGATE pmed.svm_train_partial(record, anyelement, jsonb) (
    SFUNC = pmed.svm_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.svm_train_partial(record, anyelement, jsonb) IS
    'partial svm_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.forest_train_transfn(pmed.train_state, record, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, record, anyelement) IS
    'transition function of pmed.forest_train';
CREATE FUNCTION pmed.forest_train_transfn(pmed.train_state, record, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.forest_train_transfn(pmed.train_state, record, anyelement, jsonb) IS
    'transition function of pmed.forest_train';
CREATE AGGREGATE pmed.forest_train(record, anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(record, anyelement) IS
    'train a random forest on a composite row of named values: categories one-hot, NULLs routed by learned default directions';
CREATE AGGREGATE pmed.forest_train_partial(record, anyelement) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(record, anyelement) IS
    'partial forest_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';
CREATE AGGREGATE pmed.forest_train(record, anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.forest_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train(record, anyelement, jsonb) IS
    'train a random forest on a composite row of named values with options (min_category_count and the float8[] forms): categories one-hot, NULLs routed by learned default directions';
CREATE AGGREGATE pmed.forest_train_partial(record, anyelement, jsonb) (
    SFUNC = pmed.forest_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.forest_train_partial(record, anyelement, jsonb) IS
    'partial forest_train state of these rows (a composite row of named values), as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.train_partial_transfn(pmed.train_state, record, anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, record, anyelement) IS
    'transition function of pmed.train_partial';
CREATE AGGREGATE pmed.train_partial(record, anyelement) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(record, anyelement) IS
    'the partial training state of these rows (a composite row of named values), as bytes to merge with pmed.train_from_partials';
CREATE FUNCTION pmed.train_partial_transfn(pmed.train_state, record, anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.train_partial_transfn(pmed.train_state, record, anyelement, jsonb) IS
    'transition function of pmed.train_partial';
CREATE AGGREGATE pmed.train_partial(record, anyelement, jsonb) (
    SFUNC = pmed.train_partial_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.train_partial(record, anyelement, jsonb) IS
    'the partial training state of these rows (a composite row of named values), as bytes to merge with pmed.train_from_partials';

CREATE FUNCTION pmed.predict(model bytea, features record) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict(bytea, record) IS
    'predicted value or class as a number, from a composite row of named values encoded as the model learned';
CREATE FUNCTION pmed.predict_label(model bytea, features record) RETURNS text
    AS 'MODULE_PATHNAME', 'predict_label_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_label(bytea, record) IS
    'predicted class label as text, from a composite row of named values';
CREATE FUNCTION pmed.predict_proba(model bytea, features record) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, record) IS
    'probability of the positive class (binary classifiers), from a composite row of named values';
CREATE FUNCTION pmed.predict_proba(model bytea, features record, label text) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_label_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, record, text) IS
    'probability of the given class, from a composite row of named values';
CREATE FUNCTION pmed.explain(model bytea, features record,
    OUT feature int, OUT name text, OUT value text, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'explain_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 31;
COMMENT ON FUNCTION pmed.explain(bytea, record) IS
    'per-input-column contributions to one prediction from a composite row of named values (one-hot and multi-hot parts summed); row 0 (base_value) is the expected output';

CREATE FUNCTION pmed.svm_decision(model bytea, features jsonb) RETURNS float8
    AS 'MODULE_PATHNAME', 'svm_decision_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_decision(bytea, jsonb) IS
    'SVM decision value (what explain decomposes), from a jsonb object of named values';
CREATE FUNCTION pmed.svm_decision(model bytea, features record) RETURNS float8
    AS 'MODULE_PATHNAME', 'svm_decision_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.svm_decision(bytea, record) IS
    'SVM decision value (what explain decomposes), from a composite row of named values';

CREATE FUNCTION pmed.unseen_columns(model bytea, features jsonb) RETURNS text[]
    AS 'MODULE_PATHNAME', 'unseen_columns_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.unseen_columns(bytea, jsonb) IS
    'input columns of this jsonb row the model did not know: a category level or code scored as "other" (pooled at training or never seen) by its column name, a key the model ignores as ''+'' and its name; empty when the model knew every value';
CREATE FUNCTION pmed.unseen_columns(model bytea, features record) RETURNS text[]
    AS 'MODULE_PATHNAME', 'unseen_columns_named' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.unseen_columns(bytea, record) IS
    'input columns of this composite row the model did not know: a category level or code scored as "other" (pooled at training or never seen) by its column name, a column the model ignores as ''+'' and its name; empty when the model knew every value';
