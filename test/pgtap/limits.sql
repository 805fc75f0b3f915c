-- Limits a clinical server needs (issue 12): the memory budget of training
-- (pmed.max_training_memory) and the 1 GB limit of a serialized partial state.
BEGIN;
SELECT plan(14);

-- SQLSTATE, message, detail and hint of a query's error ('completed' if none).
CREATE FUNCTION pg_temp.error_of(query text, OUT state text, OUT message text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    state := 'completed';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END $$;

CREATE TEMP TABLE lim_rows AS
SELECT ARRAY[sin(i * 0.7), cos(i * 1.3), sin(i * 0.11) * cos(i * 0.05)]::float8[] AS f,
       (sin(i * 0.7) + cos(i * 1.3) > 0.2) AS y
FROM generate_series(1, 30000) i;

-- a training loads the module (and so defines the setting)
SELECT isnt(pmed.baseline_train(f, y), NULL, 'a training with the default budget works') FROM lim_rows;

-- ---- the setting is documented ----
SELECT is((SELECT concat_ws(' ', unit, context, vartype, boot_val, min_val) FROM pg_settings WHERE name = 'pmed.max_training_memory'),
          'kB user integer 4194304 0',
          'pmed.max_training_memory: kB, settable by any user, default 4 GB, 0 = no limit');
SELECT ok((SELECT short_desc <> '' AND extra_desc <> '' FROM pg_settings WHERE name = 'pmed.max_training_memory'),
          'pmed.max_training_memory is described in pg_settings');
SELECT is(current_setting('pmed.max_training_memory'), '4GB', 'SHOW pmed.max_training_memory: 4GB');

-- ---- past the budget as rows arrive: 53200 with how much and how to go on ----
SET LOCAL pmed.max_training_memory = '1MB';
CREATE TEMP TABLE e1 AS
SELECT * FROM pg_temp.error_of($$SELECT pmed.forest_train(f, y, '{"trees": 5}') FROM lim_rows$$);
SELECT is(state, '53200', 'a training past pmed.max_training_memory: 53200 (out_of_memory)') FROM e1;
SELECT is(message, 'pmed training needs more memory than pmed.max_training_memory allows', 'the message names the setting') FROM e1;
SELECT matches(detail, '^The training held [0-9.]+ [kMG]B and needed [0-9.]+ [kMG]B more for the next block of rows; the limit is 1 MB\.$',
               'the detail says how much the training held and needed while rows arrived') FROM e1;
SELECT matches(hint, 'SET pmed\.max_training_memory = ''[0-9]+MB''.*sample of the rows',
               'the hint says how to raise the limit or sample the rows') FROM e1;

-- ---- past the budget inside the fit (the SVM kernel cache grows) ----
SET LOCAL pmed.max_training_memory = '2MB';
CREATE TEMP TABLE e2 AS
SELECT * FROM pg_temp.error_of($$SELECT pmed.svm_train(f, y, '{"C": 100, "probability": false}') FROM (SELECT * FROM lim_rows LIMIT 4000) s$$);
SELECT is(state, '53200', 'an SVM whose kernel cache outgrows the budget: 53200') FROM e2;
SELECT matches(detail, 'more for the model''s working memory; the limit is 2 MB\.$', 'the detail names the fit''s memory') FROM e2;

-- ---- under the budget: the same model as without a limit ----
SET LOCAL pmed.max_training_memory = '64MB';
CREATE TEMP TABLE m_limited AS SELECT pmed.svm_train(f, y, '{"C": 100, "probability": false}') AS m FROM (SELECT * FROM lim_rows LIMIT 4000) s;
SET LOCAL pmed.max_training_memory = 0;
SELECT is((SELECT m FROM m_limited) IS NOT NULL, true, 'the same training under a 64 MB budget works');
SELECT is((SELECT pmed.model_info(m) ->> 'parameters_crc32c' FROM m_limited),
          (SELECT pmed.model_info(pmed.svm_train(f, y, '{"C": 100, "probability": false}')) ->> 'parameters_crc32c'
           FROM (SELECT * FROM lim_rows LIMIT 4000) s),
          'a budget does not change the model (0 = no limit gives the same parameters)');
RESET pmed.max_training_memory;

-- ---- a partial state past 1 GB: 54000 before serializing ----
-- 1,400 rows of 100,000 features = 1.12 GB of rows (held once, never serialized)
CREATE TEMP TABLE e3 AS
SELECT * FROM pg_temp.error_of($$SELECT length(pmed.svm_train_partial(a.f, i % 2 = 0))
                                 FROM (SELECT array_fill(0.5::float8, ARRAY[100000]) AS f) a, generate_series(1, 1400) i$$);
SELECT is(state, '54000', 'a partial state over 1 GB: 54000 (program_limit_exceeded)') FROM e3;
SELECT matches(message || ' / ' || hint, '^partial training state too large to ship: 1068 MB / .*GROUP BY.*max_parallel_workers_per_gather = 0',
               'it says the state is too large to ship, and how to split it or train without parallel aggregation') FROM e3;

SELECT * FROM finish();
ROLLBACK;
