
-- ---------------------------------------------------------------------------
-- Treatment support: neural networks over signals (1-D CNN) and sequences
-- (GRU), NULL elements = missing values, integrated-gradient explanations.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pmed.cnn_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.cnn_train';

CREATE FUNCTION pmed.cnn_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.cnn_train';

CREATE FUNCTION pmed.cnn_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_finalfn(pmed.train_state) IS
    'final function of pmed.cnn_train: trains and encodes the network';

CREATE AGGREGATE pmed.cnn_train(float8[], anyelement) (
    SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.cnn_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train(float8[], anyelement) IS
    'train a 1-D convolutional network on signals (float8[] one channel, or float8[][] channels x samples; NULL = missing sample); classification for boolean, integer and text labels, regression for float and numeric labels';

CREATE AGGREGATE pmed.cnn_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.cnn_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train(float8[], anyelement, jsonb) IS
    'train a 1-D convolutional network on signals (float8[] one channel, or float8[][] channels x samples; NULL = missing sample) with options (filters, kernel_sizes, pooling, pool_type, head, dense, dropout, epochs, batch_size, learning_rate, weight_decay, class_weight, validation_fraction, patience, standardize, seed, feature_names, positive, task)';

CREATE AGGREGATE pmed.cnn_train_partial(float8[], anyelement) (
    SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train_partial(float8[], anyelement) IS
    'partial cnn_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE AGGREGATE pmed.cnn_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.cnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train_partial(float8[], anyelement, jsonb) IS
    'partial cnn_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.rnn_train_transfn(pmed.train_state, float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_transfn(pmed.train_state, float8[], anyelement) IS
    'transition function of pmed.rnn_train';

CREATE FUNCTION pmed.rnn_train_transfn(pmed.train_state, float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_transfn(pmed.train_state, float8[], anyelement, jsonb) IS
    'transition function of pmed.rnn_train';

CREATE FUNCTION pmed.rnn_train_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_finalfn(pmed.train_state) IS
    'final function of pmed.rnn_train: trains and encodes the network';

CREATE AGGREGATE pmed.rnn_train(float8[], anyelement) (
    SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.rnn_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train(float8[], anyelement) IS
    'train a GRU network on sequences (float8[][] steps x features, any number of steps per row; NULL = missing value); classification for boolean, integer and text labels, regression for float and numeric labels';

CREATE AGGREGATE pmed.rnn_train(float8[], anyelement, jsonb) (
    SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.rnn_train_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train(float8[], anyelement, jsonb) IS
    'train a GRU network on sequences (float8[][] steps x features, any number of steps per row; NULL = missing value) with options (hidden_size, layers, bidirectional, dense, dropout, epochs, batch_size, learning_rate, weight_decay, class_weight, validation_fraction, patience, standardize, seed, feature_names, positive, task)';

CREATE AGGREGATE pmed.rnn_train_partial(float8[], anyelement) (
    SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train_partial(float8[], anyelement) IS
    'partial rnn_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE AGGREGATE pmed.rnn_train_partial(float8[], anyelement, jsonb) (
    SFUNC = pmed.rnn_train_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train_partial(float8[], anyelement, jsonb) IS
    'partial rnn_train state of these rows, as bytea, for pmed.train_from_partials(state)';

CREATE FUNCTION pmed.explain_steps(model bytea, input float8[],
    OUT step int, OUT feature int, OUT name text, OUT value float8, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION pmed.explain_steps(bytea, float8[]) IS
    'per-step attributions of a cnn or rnn prediction (integrated gradients): one row per step and feature; they sum to the per-feature contributions of pmed.explain';

-- cnn_train with per-row static values (RR intervals, age...) joined after the
-- convolution layers
CREATE FUNCTION pmed.cnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement) IS
    'transition function of pmed.cnn_train with static values';

CREATE FUNCTION pmed.cnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement, jsonb) IS
    'transition function of pmed.cnn_train with static values';

CREATE FUNCTION pmed.cnn_train_statics_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.cnn_train_statics_finalfn(pmed.train_state) IS
    'final function of pmed.cnn_train with static values: trains and encodes the network';

CREATE AGGREGATE pmed.cnn_train(float8[], float8[], anyelement) (
    SFUNC = pmed.cnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.cnn_train_statics_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train(float8[], float8[], anyelement) IS
    'train a 1-D convolutional network on signals with per-row static values (float8[] of a fixed length, NULL = missing) joined after the convolution layers';

CREATE AGGREGATE pmed.cnn_train_partial(float8[], float8[], anyelement) (
    SFUNC = pmed.cnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train_partial(float8[], float8[], anyelement) IS
    'partial cnn_train state of these rows with static values, as bytea, for pmed.train_from_partials(state)';

CREATE AGGREGATE pmed.cnn_train(float8[], float8[], anyelement, jsonb) (
    SFUNC = pmed.cnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.cnn_train_statics_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train(float8[], float8[], anyelement, jsonb) IS
    'train a 1-D convolutional network on signals with per-row static values (float8[] of a fixed length, NULL = missing) joined after the convolution layers with options (as pmed.cnn_train, plus static_names)';

CREATE AGGREGATE pmed.cnn_train_partial(float8[], float8[], anyelement, jsonb) (
    SFUNC = pmed.cnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.cnn_train_partial(float8[], float8[], anyelement, jsonb) IS
    'partial cnn_train state of these rows with static values, as bytea, for pmed.train_from_partials(state)';

-- rnn_train with per-row static values (RR intervals, age...) joined after the
-- GRU layers
CREATE FUNCTION pmed.rnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement) IS
    'transition function of pmed.rnn_train with static values';

CREATE FUNCTION pmed.rnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement, jsonb) RETURNS pmed.train_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_statics_transfn(pmed.train_state, float8[], float8[], anyelement, jsonb) IS
    'transition function of pmed.rnn_train with static values';

CREATE FUNCTION pmed.rnn_train_statics_finalfn(pmed.train_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pmed.rnn_train_statics_finalfn(pmed.train_state) IS
    'final function of pmed.rnn_train with static values: trains and encodes the network';

CREATE AGGREGATE pmed.rnn_train(float8[], float8[], anyelement) (
    SFUNC = pmed.rnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.rnn_train_statics_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train(float8[], float8[], anyelement) IS
    'train a GRU network on sequences with per-row static values (float8[] of a fixed length, NULL = missing) joined after the GRU layers';

CREATE AGGREGATE pmed.rnn_train_partial(float8[], float8[], anyelement) (
    SFUNC = pmed.rnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train_partial(float8[], float8[], anyelement) IS
    'partial rnn_train state of these rows with static values, as bytea, for pmed.train_from_partials(state)';

CREATE AGGREGATE pmed.rnn_train(float8[], float8[], anyelement, jsonb) (
    SFUNC = pmed.rnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.rnn_train_statics_finalfn,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train(float8[], float8[], anyelement, jsonb) IS
    'train a GRU network on sequences with per-row static values (float8[] of a fixed length, NULL = missing) joined after the GRU layers with options (as pmed.rnn_train, plus static_names)';

CREATE AGGREGATE pmed.rnn_train_partial(float8[], float8[], anyelement, jsonb) (
    SFUNC = pmed.rnn_train_statics_transfn, STYPE = pmed.train_state,
    FINALFUNC = pmed.train_partial_finalfn, FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = pmed.train_combinefn,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE pmed.rnn_train_partial(float8[], float8[], anyelement, jsonb) IS
    'partial rnn_train state of these rows with static values, as bytea, for pmed.train_from_partials(state)';

-- scoring a cnn or rnn model trained with static values
CREATE FUNCTION pmed.predict(model bytea, input float8[], statics float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict(bytea, float8[], float8[]) IS
    'prediction of a cnn or rnn model trained with static values: input (signal or sequence) and the static values of the row';

CREATE FUNCTION pmed.predict_label(model bytea, input float8[], statics float8[]) RETURNS text
    AS 'MODULE_PATHNAME', 'predict_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_label(bytea, float8[], float8[]) IS
    'predicted class label of a cnn or rnn model trained with static values';

CREATE FUNCTION pmed.predict_proba(model bytea, input float8[], statics float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, float8[], float8[]) IS
    'probability of the positive class of a binary cnn or rnn model trained with static values';

CREATE FUNCTION pmed.predict_proba(model bytea, input float8[], statics float8[], label text) RETURNS float8
    AS 'MODULE_PATHNAME', 'predict_proba_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pmed.predict_proba(bytea, float8[], float8[], text) IS
    'probability of the given class of a cnn or rnn model trained with static values';

CREATE FUNCTION pmed.explain(model bytea, input float8[], statics float8[],
    OUT feature int, OUT name text, OUT value float8, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 31;
COMMENT ON FUNCTION pmed.explain(bytea, float8[], float8[]) IS
    'per-feature contributions (integrated gradients) to a prediction of a cnn or rnn model trained with static values: the features, then one row per static value (baseline: its training mean)';

CREATE FUNCTION pmed.explain_steps(model bytea, input float8[], statics float8[],
    OUT step int, OUT feature int, OUT name text, OUT value float8, OUT contribution float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'explain_steps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION pmed.explain_steps(bytea, float8[], float8[]) IS
    'per-step attributions of a cnn or rnn prediction with static values (the statics'' own attributions are in pmed.explain)';
