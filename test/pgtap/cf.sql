-- Drug recommendation end to end: held-out evaluation on the bundled SYNTHETIC
-- prescriptions (item_knn and ALS beat popularity by a measured margin), the
-- interaction filter, serial vs forced-parallel training, SQLSTATEs of bad input,
-- corrupt models, cancellation.  The same evaluation on the real MIMIC-III demo
-- is test/pgtap/mimic.sql (it reads ../shared/data, skips when absent).
BEGIN;
SELECT plan(29);

\i data/synthetic-prescriptions/load.sql
\i data/synthetic-prescriptions/evaluate_setup.sql

CREATE TEMP TABLE ev_score AS
SELECT method, avg(pmed.precision_at_k(rec, target, 10)) AS p10,
       avg(pmed.recall_at_k(rec, target, 10)) AS r10,
       avg(pmed.ddi_rate(rec, (SELECT model FROM ev_ddi))) AS ddi
FROM ev_recs GROUP BY method;

-- the generator is deterministic (md5 of fixed keys): the same table everywhere
SELECT is((SELECT count(*) || ' rows, ' || count(DISTINCT hadm_id) || ' admissions, ' || count(DISTINCT drug_id) || ' drugs, md5 '
                  || md5(string_agg(hadm_id || ':' || drug_id || ':' || n_orders, ',' ORDER BY hadm_id, drug_id)) FROM rx),
          '14075 rows, 1998 admissions, 69 drugs, md5 e1b1f1d78ef0872e3b9feda5d0150ea0',
          'the synthetic generator makes the same table every time');
SELECT is((SELECT count(*) FROM ev_cases), 375::bigint, 'one admission in five held out: 375 cases');
-- measured on fold 0: precision@10 item_knn 0.191, ALS 0.185, popularity 0.151;
-- recall@10 item_knn 0.510, popularity 0.405
SELECT cmp_ok((SELECT p10 FROM ev_score WHERE method = 'item_knn'), '>',
              (SELECT p10 FROM ev_score WHERE method = 'popularity') + 0.03,
              'item_knn beats popularity on precision@10 by more than 0.03 (synthetic, held-out fold)');
SELECT cmp_ok((SELECT p10 FROM ev_score WHERE method = 'als'), '>',
              (SELECT p10 FROM ev_score WHERE method = 'popularity') + 0.02,
              'ALS beats popularity on precision@10 by more than 0.02 (synthetic, held-out fold)');
SELECT cmp_ok((SELECT r10 FROM ev_score WHERE method = 'item_knn'), '>',
              (SELECT r10 FROM ev_score WHERE method = 'popularity') + 0.07,
              'item_knn beats popularity on recall@10 by more than 0.07');
SELECT is((SELECT count(*) FROM ev_recs WHERE rec && given), 0::bigint,
          'no recommendation repeats a drug the admission already has');
SELECT is((SELECT count(*) FROM ev_recs WHERE cardinality(rec) <> 10 AND method <> 'content'), 0::bigint,
          'ten recommendations per case');
SELECT cmp_ok((SELECT ddi FROM ev_score WHERE method = 'item_knn'), '>', 0::float8,
              'without the filter some recommended drugs interact with each other');
SELECT is((SELECT ddi FROM ev_score WHERE method = 'item_knn + ddi filter'), 0::float8,
          'with the interaction filter the recommended drugs never interact with each other');
SELECT is((SELECT count(*) FROM ev_recs r, rx_ddi d
           WHERE r.method = 'item_knn + ddi filter'
             AND ((d.drug_a = ANY (r.rec) AND d.drug_b = ANY (r.given || r.rec))
               OR (d.drug_b = ANY (r.rec) AND d.drug_a = ANY (r.given || r.rec)))), 0::bigint,
          'nor with the drugs the admission already has');

SELECT is((SELECT pmed.model_info(model) ->> 'items' FROM ev_models WHERE method = 'item_knn'),
          (SELECT count(DISTINCT drug_id)::text FROM ev_split WHERE NOT held_out),
          'model_info counts the training drugs');

-- ---- serial and forced-parallel plans give models that recommend the same items ----
CREATE TABLE cf_big AS
SELECT p::bigint AS patient, pmed.fold(p * 1000 + j, 400, 3)::bigint AS drug, (1 + j % 3)::float8 AS w
FROM generate_series(1, 3000) p, generate_series(1, 15) j;
ANALYZE cf_big;

\i test/pgtap/lib/helpers.sql

CREATE TEMP TABLE cf_serial AS
SELECT 'knn' AS m, pmed.cf_train(patient, drug, w, '{"neighbors": 30}') AS model FROM cf_big
UNION ALL SELECT 'als', pmed.cf_train(patient, drug, w, '{"method": "als", "factors": 8, "iterations": 5}') FROM cf_big;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of($$SELECT pmed.cf_train(patient, drug, w, '{"neighbors": 30}') FROM cf_big$$),
               'Partial Aggregate', 'EXPLAIN shows a Partial Aggregate for cf_train');
CREATE TEMP TABLE cf_par AS
SELECT 'knn' AS m, (SELECT pmed.cf_train(patient, drug, w, '{"neighbors": 30}') FROM cf_big) AS model
UNION ALL SELECT 'als', (SELECT pmed.cf_train(patient, drug, w, '{"method": "als", "factors": 8, "iterations": 5}') FROM cf_big);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

SELECT is((SELECT count(*) FROM cf_serial s JOIN cf_par p USING (m)
           CROSS JOIN generate_series(1, 3000, 37) pt
           WHERE ARRAY(SELECT item FROM pmed.recommend(s.model, pt::bigint, 10))
              IS DISTINCT FROM ARRAY(SELECT item FROM pmed.recommend(p.model, pt::bigint, 10))), 0::bigint,
          'serial and parallel item_knn and ALS models recommend the same items');
SELECT is((SELECT count(*) FROM cf_serial s JOIN cf_par p USING (m)
           WHERE pmed.model_info(s.model) - 'training_seconds' - 'crc32c'
                 IS DISTINCT FROM pmed.model_info(p.model) - 'training_seconds' - 'crc32c'), 0::bigint,
          'and are the same model: equal parameters checksum and metadata (apart from the training time)');

-- ---- partial states across shards (servers): merged = trained on all rows ----
CREATE TEMP TABLE cf_shards AS
SELECT patient % 3 AS shard,
       pmed.cf_train_partial(patient, drug, w, '{"method": "als", "factors": 8, "iterations": 5}') AS state
FROM cf_big GROUP BY 1;
SELECT is((SELECT pmed.model_info(pmed.recommender_from_partials(state ORDER BY shard DESC)) ->> 'parameters_crc32c' FROM cf_shards),
          (SELECT pmed.model_info(model) ->> 'parameters_crc32c' FROM cf_serial WHERE m = 'als'),
          'ALS from three merged shard states (any order) = ALS trained on all rows');
SELECT throws_ok($$SELECT pmed.recommender_from_partials(s) FROM (
                     SELECT pmed.cf_train_partial(1, 2) AS s UNION ALL SELECT pmed.interactions_train_partial(1, 2)) x$$,
                 '22023', NULL, 'states of different model kinds do not merge: 22023');
CREATE TEMP TABLE cf_small_state AS
SELECT pmed.cf_train_partial(p, d, 1.0, '{"neighbors": 5}') AS state
FROM (VALUES (1, 10), (1, 11), (2, 10)) v(p, d);
SELECT is(pg_temp.rejected_variants(state, 'cut', 'SELECT pmed.recommender_from_partials(%L)', '{XX001}'), length(state),
          'every truncation of a partial state is rejected: XX001') FROM cf_small_state;
SELECT is(pg_temp.rejected_variants(state, 'flip', 'SELECT pmed.train_from_partials(%L)', '{XX001}'), length(state) * 8,
          'every single-bit flip of a partial state is rejected: XX001') FROM cf_small_state;

-- ---- bad input: SQLSTATEs ----
SELECT throws_ok($$SELECT pmed.cf_train(1, 2, -1.0)$$, '22023', NULL, 'negative weight: 22023');
SELECT throws_ok($$SELECT pmed.cf_train(1, 2, 'NaN')$$, '22023', NULL, 'NaN weight: 22023');
SELECT throws_ok($$SELECT pmed.cf_train(1, 2, 1.0, '{"method": "svd"}')$$, '22023', NULL, 'unknown method: 22023');
SELECT throws_ok($$SELECT * FROM pmed.recommend((SELECT model FROM ev_models WHERE method = 'item_knn'), 1::bigint, 0)$$,
                 '22023', NULL, 'k = 0: 22023');
SELECT throws_ok($$SELECT * FROM pmed.recommend((SELECT model FROM ev_models WHERE method = 'item_knn'), 1::bigint, 2000000000)$$,
                 '54000', NULL, 'absurd k: 54000');
SELECT throws_ok($$SELECT * FROM pmed.recommend((SELECT pmed.baseline_train(ARRAY[x], x > 1) FROM generate_series(1, 3) x), 1::bigint)$$,
                 '22023', NULL, 'a non-recommender model: 22023');
SELECT throws_ok($$SELECT * FROM pmed.recommend((SELECT pmed.cf_train(patient, drug, w, '{"store_patients": false}') FROM cf_big), 1::bigint)$$,
                 '22023', NULL, 'a patient-less model asked for a patient: 22023');
SELECT throws_ok($$SELECT pmed.content_train(1, '{1, NULL}'::float8[])$$, '22023', NULL, 'NULL content feature: 22023');

-- every truncation and every 8th bit flip of a small model is rejected (XX001)
CREATE TEMP TABLE cf_small AS
SELECT pmed.cf_train(p, d, 1.0, '{"method": "als", "factors": 2, "iterations": 2}') AS model
FROM (VALUES (1, 10), (1, 11), (2, 10), (2, 12), (3, 11)) v(p, d);
SELECT is(pg_temp.rejected_variants(model, 'cut', 'SELECT * FROM pmed.recommend(%L, ARRAY[10]::bigint[])', '{XX001}'), length(model), 'every truncation of a CF model: XX001') FROM cf_small;
SELECT is(pg_temp.rejected_variants(model, 'flip', 'SELECT * FROM pmed.recommend(%L, ARRAY[10]::bigint[])', '{XX001}', 8), length(model), 'a flipped bit in every byte of a CF model: XX001') FROM cf_small;

-- training is cancellable
SET LOCAL statement_timeout = '200ms';
SELECT is(pg_temp.sqlstate_of($$SELECT pmed.cf_train(patient, drug, w, '{"method": "als", "factors": 64, "iterations": 1000}') FROM cf_big$$),
          '57014', 'statement_timeout cancels ALS training: 57014');
RESET statement_timeout;

SELECT * FROM finish();
ROLLBACK;
