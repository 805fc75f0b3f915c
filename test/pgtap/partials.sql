-- Distributed training: partial states made on separate "servers" (here:
-- disjoint shards of the rows, moved as bytea values) merge into the model
-- that training on all rows gives.  Partial states are untrusted bytes:
-- every truncation and bit flip is rejected (XX001 / 22023), never a crash.
BEGIN;
SELECT plan(15);

\i data/wdbc/load.sql
\i test/pgtap/lib/helpers.sql

CREATE TEMP TABLE shard_states AS
SELECT id % 3 AS shard, pmed.train_partial(features, diagnosis, '{"seed": 3, "trees": 20}') AS state
FROM wdbc GROUP BY id % 3;

SELECT is((SELECT count(*)::int FROM shard_states), 3, 'three shards, three partial states');

SELECT is((SELECT pmed.model_info(pmed.train_from_partials(state, 'forest')) ->> 'parameters_crc32c' FROM shard_states),
          (SELECT pmed.model_info(pmed.forest_train(features, diagnosis, '{"seed": 3, "trees": 20}')) ->> 'parameters_crc32c' FROM wdbc),
          'merged shards train the same forest as all rows at once');
SELECT is((SELECT pmed.model_info(pmed.train_from_partials(state, 'svm' ORDER BY shard DESC)) ->> 'parameters_crc32c'
           FROM (SELECT id % 4 AS shard, pmed.train_partial(features, diagnosis) AS state FROM wdbc GROUP BY 1) s),
          (SELECT pmed.model_info(pmed.svm_train(features, diagnosis)) ->> 'parameters_crc32c' FROM wdbc),
          'merged shards train the same SVM, in any merge order');
SELECT is((SELECT pmed.model_info(pmed.train_from_partials(state, 'forest')) -> 'rows_used' FROM shard_states),
          '569'::jsonb, 'every row is counted once');

SELECT throws_ok($$SELECT pmed.train_from_partials(state, 'kmeans') FROM shard_states$$,
                 '22023', 'unknown model family "kmeans"', 'an unknown family is refused');
SELECT throws_ok($$SELECT pmed.train_from_partials(state, 'svm') FROM shard_states$$,
                 '22023', 'unknown svm option "trees"', 'options are checked against the family when merging');

-- One API for every family: <family>_train_partial states carry their family.
SELECT is((SELECT pmed.model_info(pmed.train_from_partials(state ORDER BY shard DESC)) ->> 'parameters_crc32c'
           FROM (SELECT id % 3 AS shard, pmed.forest_train_partial(features, diagnosis, '{"seed": 5, "trees": 10}') AS state
                 FROM wdbc GROUP BY 1) s),
          (SELECT pmed.model_info(pmed.forest_train(features, diagnosis, '{"seed": 5, "trees": 10}')) ->> 'parameters_crc32c' FROM wdbc),
          'forest_train_partial shards merged by train_from_partials(state) = forest_train on all rows');
SELECT is((SELECT pmed.model_info(pmed.train_from_partials(state)) ->> 'parameters_crc32c'
           FROM (SELECT pmed.svm_train_partial(features, diagnosis, '{"kernel": "linear"}') AS state
                 FROM wdbc GROUP BY id % 2) s),
          (SELECT pmed.model_info(pmed.svm_train(features, diagnosis, '{"kernel": "linear"}')) ->> 'parameters_crc32c' FROM wdbc),
          'svm_train_partial shards merged = svm_train on all rows');
SELECT throws_ok($$SELECT pmed.train_from_partials(s) FROM (
                     SELECT pmed.baseline_train_partial(ARRAY[1.0], true) AS s
                     UNION ALL SELECT pmed.cf_train_partial(1, 2)) x$$,
                 '22023', 'cannot merge partial states of different model kinds', 'states of two families do not merge');
SELECT throws_ok($$SELECT pmed.train_from_partials(state) FROM shard_states$$,
                 '22023', 'this partial state is not for one model family', 'a train_partial state needs a family name');
SELECT throws_ok($$SELECT pmed.train_from_partials(s) FROM (
                     SELECT pmed.svm_train_partial(features, diagnosis, '{"C": 2}') AS s FROM wdbc WHERE id < 100
                     UNION ALL SELECT pmed.svm_train_partial(features, diagnosis, '{"C": 3}') FROM wdbc WHERE id >= 100) x$$,
                 '22023', 'training options must be the same for every row', 'states with different options do not merge');

-- Every truncation and every single-bit flip of a partial state is caught.
CREATE TEMP TABLE small_state AS
SELECT pmed.train_partial(features[1:2], diagnosis) AS state FROM wdbc WHERE id <= 3;

SELECT is(pg_temp.rejected_variants(state, 'cut', $$SELECT pmed.train_from_partials(%L, 'baseline')$$, '{XX001}'), length(state),
          'every truncation of a partial state is rejected')
FROM small_state;
SELECT is(pg_temp.rejected_variants(state, 'flip', $$SELECT pmed.train_from_partials(%L, 'baseline')$$, '{XX001}'), length(state) * 8,
          'every single-bit flip of a partial state is rejected: XX001 (the state carries a CRC32C)')
FROM small_state;
SELECT lives_ok($$SELECT pg_temp.rejected_variants(state, 'flip', 'SELECT pmed.train_from_partials(%L, ''baseline'')', '{XX001,22023,22021}') FROM small_state$$,
                'the server survives every flipped bit (the rest decode to other valid rows)');
SELECT is((SELECT count(*)::int FROM wdbc), 569, 'no data lost');

SELECT * FROM finish();
ROLLBACK;
