-- Partial states that carry statistics, not rows (train_stats.h): the
-- baseline (class counts, or n and an exact sum), item-kNN from patient
-- histories (item and co-occurrence pair statistics), interaction sets
-- (distinct pairs).  The models equal the row path's whatever the plan or
-- the merge order; the states do not grow with the rows; damaged
-- statistics are rejected.
BEGIN;
SELECT plan(44);

\i data/wdbc/load.sql
\i data/synthetic-prescriptions/load.sql
\i test/pgtap/lib/helpers.sql

-- model_info without the two members that change from run to run
CREATE FUNCTION pg_temp.info(model bytea) RETURNS jsonb LANGUAGE sql AS
$$ SELECT pmed.model_info(model) - 'training_seconds' - 'crc32c' $$;

-- CRC32C (Castagnoli, reflected) as the state's last 4 bytes hold it
CREATE FUNCTION pg_temp.crc32c(data bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    crc bigint := 4294967295;
BEGIN
    FOR i IN 0 .. length(data) - 1 LOOP
        crc := crc # get_byte(data, i);
        FOR k IN 1 .. 8 LOOP
            crc := CASE WHEN crc & 1 = 1 THEN (crc >> 1) # 2197175160 ELSE crc >> 1 END;
        END LOOP;
    END LOOP;
    RETURN crc # 4294967295;
END $$;

-- n little-endian bytes of x
CREATE FUNCTION pg_temp.le(x bigint, n int) RETURNS bytea LANGUAGE sql AS
$$ SELECT decode(string_agg(lpad(to_hex(get_byte(int8send(x), 7 - i)), 2, '0'), '' ORDER BY i), 'hex')
   FROM generate_series(0, n - 1) i $$;

-- state with bytes at [length - from_end, ...) replaced, and a valid CRC again:
-- only the field checks can catch it
CREATE FUNCTION pg_temp.patch(state bytea, from_end int, bytes bytea) RETURNS bytea LANGUAGE sql AS $$
    SELECT body || pg_temp.le(pg_temp.crc32c(body), 4)
    FROM (SELECT overlay(substr(state, 1, length(state) - 4) PLACING bytes
                         FROM length(state) - from_end + 1) AS body) b $$;

SELECT is((SELECT pg_temp.le(pg_temp.crc32c(substr(s, 1, length(s) - 4)), 4) = substr(s, length(s) - 3)
           FROM (SELECT pmed.baseline_train_partial(features, diagnosis) AS s FROM wdbc) x), true,
          'the SQL CRC32C matches the state''s (the damage tests below keep the CRC valid)');

-- ---- baseline: classification (text labels) ----
CREATE TEMP TABLE b_serial AS
SELECT pmed.baseline_train(features, diagnosis) AS model,
       pmed.baseline_train_partial(features, diagnosis) AS state FROM wdbc;

SELECT is((SELECT pg_temp.info(model) FROM b_serial),
          (SELECT pg_temp.info(pmed.train_from_partials(s, 'baseline'))
           FROM (SELECT pmed.train_partial(features, diagnosis) AS s FROM wdbc) x),
          'baseline classification: statistics give the model the rows give');
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(s ORDER BY k)) FROM
            (SELECT id % 5 AS k, pmed.baseline_train_partial(features, diagnosis) AS s FROM wdbc GROUP BY 1) x),
          (SELECT pg_temp.info(model) FROM b_serial),
          'baseline classification: 5 merged partial states = one aggregate');
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(s ORDER BY k DESC)) FROM
            (SELECT id % 5 AS k, pmed.baseline_train_partial(features, diagnosis) AS s FROM wdbc GROUP BY 1) x),
          (SELECT pg_temp.info(model) FROM b_serial),
          '... merged in the reverse order');

-- ---- baseline: regression on a float label with decimals (exact sum) ----
CREATE TEMP TABLE r_serial AS
SELECT pmed.baseline_train(features[2:30], features[1]) AS model,
       pmed.baseline_train_partial(features[2:30], features[1]) AS state FROM wdbc;

SELECT is((SELECT pg_temp.info(model) FROM r_serial),
          (SELECT pg_temp.info(pmed.train_from_partials(s, 'baseline'))
           FROM (SELECT pmed.train_partial(features[2:30], features[1]) AS s FROM wdbc) x),
          'baseline regression: statistics give the model the rows give');
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(s ORDER BY k)) FROM
            (SELECT id % 7 AS k, pmed.baseline_train_partial(features[2:30], features[1]) AS s FROM wdbc GROUP BY 1) x),
          (SELECT pg_temp.info(model) FROM r_serial),
          'baseline regression: 7 merged partial states = one aggregate');
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(s ORDER BY k DESC)) FROM
            (SELECT id % 7 AS k, pmed.baseline_train_partial(features[2:30], features[1]) AS s FROM wdbc GROUP BY 1) x),
          (SELECT pg_temp.info(model) FROM r_serial),
          '... merged in the reverse order');
-- ---- forced parallel plans: the states merged from workers ----
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of($$SELECT pmed.baseline_train(features, diagnosis) FROM wdbc$$),
               'Partial Aggregate', 'EXPLAIN shows a Partial Aggregate for baseline_train');
SELECT is((SELECT pg_temp.info(pmed.baseline_train(features, diagnosis)) FROM wdbc),
          (SELECT pg_temp.info(model) FROM b_serial), 'baseline classification: parallel plan = serial');
SELECT is((SELECT pmed.baseline_train_partial(features, diagnosis) FROM wdbc),
          (SELECT state FROM b_serial), '... and the very same state bytes');
SELECT is((SELECT pg_temp.info(pmed.baseline_train(features[2:30], features[1])) FROM wdbc),
          (SELECT pg_temp.info(model) FROM r_serial), 'baseline regression: parallel plan = serial');
SELECT is((SELECT pmed.baseline_train_partial(features[2:30], features[1]) FROM wdbc),
          (SELECT state FROM r_serial), '... and the very same state bytes');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- ---- state size does not grow with the rows ----
SELECT is((SELECT length(pmed.baseline_train_partial(features, diagnosis))
           FROM (SELECT * FROM wdbc UNION ALL SELECT * FROM wdbc) x),
          (SELECT length(state) FROM b_serial), 'baseline classification: twice the rows, the same state size');
SELECT cmp_ok((SELECT length(pmed.baseline_train_partial(features[2:30], features[1]))
               FROM (SELECT * FROM wdbc UNION ALL SELECT * FROM wdbc UNION ALL SELECT * FROM wdbc) x),
              '<=', (SELECT length(state) + 8 FROM r_serial),
              'baseline regression: three times the rows, the state grows by at most one limb of its sum');

-- ---- item-kNN: patient histories = (patient, item, weight) rows ----
-- weights n_orders / 3: not exact in binary, so the sums must be exact to agree
CREATE TEMP TABLE rx_hist AS
SELECT hadm_id, array_agg(drug_id ORDER BY drug_id DESC) AS items,
       array_agg(n_orders / 3.0::float8 ORDER BY drug_id DESC) AS weights
FROM rx GROUP BY hadm_id;
CREATE TEMP TABLE cf_models AS
SELECT 'triples' AS form, pmed.cf_train(hadm_id, drug_id, n_orders / 3.0::float8, '{"store_patients": false}') AS model FROM rx
UNION ALL
SELECT 'histories', pmed.cf_train(items, weights, '{"store_patients": false}') FROM rx_hist
UNION ALL
SELECT 'triples ms', pmed.cf_train(hadm_id, drug_id, n_orders / 3.0::float8,
                                   '{"store_patients": false, "min_support": 20, "neighbors": 8}') FROM rx
UNION ALL
SELECT 'histories ms', pmed.cf_train(items, weights, '{"store_patients": false, "min_support": 20, "neighbors": 8}') FROM rx_hist;

SELECT is((SELECT pg_temp.info(model) FROM cf_models WHERE form = 'histories'),
          (SELECT pg_temp.info(model) FROM cf_models WHERE form = 'triples'),
          'cf_train(items, weights) = cf_train(patient, item, weight): the same model (parameters_crc32c, counts)');
SELECT is((SELECT pg_temp.info(model) FROM cf_models WHERE form = 'histories ms'),
          (SELECT pg_temp.info(model) FROM cf_models WHERE form = 'triples ms'),
          '... with min_support 20 and 8 neighbours (applied at the final step)');
SELECT is((SELECT (pmed.model_info(model) ->> 'min_support_used')::int >= 20 FROM cf_models WHERE form = 'histories ms'),
          true, 'min_support holds in the histories model');
SELECT is((SELECT count(*) FROM rx_hist h, cf_models t, cf_models s,
                  LATERAL (SELECT array_agg(r.item ORDER BY r.score DESC, r.item) AS a
                           FROM pmed.recommend(t.model, h.items[1:2], 5) r) rt,
                  LATERAL (SELECT array_agg(r.item ORDER BY r.score DESC, r.item) AS a
                           FROM pmed.recommend(s.model, h.items[1:2], 5) r) rs
           WHERE t.form = 'triples' AND s.form = 'histories' AND rt.a IS DISTINCT FROM rs.a),
          0::bigint, 'every history''s top-5 recommendations agree');
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(s ORDER BY k DESC)) FROM
            (SELECT hadm_id % 4 AS k, pmed.cf_train_partial(items, weights, '{"store_patients": false}') AS s
             FROM rx_hist GROUP BY 1) x),
          (SELECT pg_temp.info(model) FROM cf_models WHERE form = 'triples'),
          'cf histories: 4 merged partial states (reverse order) = the triples model');
SELECT is((SELECT pmed.model_info(pmed.cf_train(items)) ->> 'parameters_crc32c' FROM rx_hist),
          (SELECT pmed.model_info(pmed.cf_train(hadm_id, drug_id, 1.0, '{"store_patients": false}')) ->> 'parameters_crc32c' FROM rx),
          'cf_train(items) without weights: unit weights, the same model payload as the rows');
SELECT isnt((SELECT pmed.model_info(pmed.cf_train(items, weights, '{"store_patients": false}')) ->> 'parameters_crc32c'
             FROM (SELECT hadm_id, array_agg(drug_id) AS items, array_agg(n_orders / 3.0::float8) AS weights
                   FROM rx GROUP BY hadm_id, drug_id % 2) split),
            (SELECT pmed.model_info(model) ->> 'parameters_crc32c' FROM cf_models WHERE form = 'triples'),
            'a history split over two rows is not one patient: another model (the documented usage matters)');

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL parallel_leader_participation = off;
CREATE TABLE rx_hist_t AS SELECT * FROM rx_hist;
ANALYZE rx_hist_t;
SELECT matches(pg_temp.plan_of($$SELECT pmed.cf_train(items, weights) FROM rx_hist_t$$),
               'Partial Aggregate', 'EXPLAIN shows a Partial Aggregate for cf_train(items, weights)');
SELECT is((SELECT pg_temp.info(pmed.cf_train(items, weights, '{"store_patients": false}')) FROM rx_hist_t),
          (SELECT pg_temp.info(model) FROM cf_models WHERE form = 'triples'),
          'cf histories: parallel plan = the triples model');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

SELECT cmp_ok((SELECT length(pmed.cf_train_partial(items, weights))
               FROM (SELECT * FROM rx_hist UNION ALL SELECT * FROM rx_hist) x)::numeric,
              '<', (SELECT 1.1 * length(pmed.cf_train_partial(items, weights)) FROM rx_hist),
              'cf histories: twice the histories, about the same state (items + pairs)');
SELECT cmp_ok((SELECT length(pmed.cf_train_partial(hadm_id, drug_id, n_orders / 3.0::float8))
               FROM (SELECT * FROM rx UNION ALL SELECT * FROM rx) x)::numeric,
              '>', (SELECT 1.9 * length(pmed.cf_train_partial(hadm_id, drug_id, n_orders / 3.0::float8)) FROM rx),
              '(while a triples state doubles with the rows)');

SELECT throws_ok($$SELECT pmed.cf_train(ARRAY[1, 2]::bigint[], ARRAY[1.0]::float8[])$$, '22023',
                 'items and weights must have the same length', 'items and weights of different lengths: 22023');
SELECT throws_ok($$SELECT pmed.cf_train(ARRAY[1, 2]::bigint[], ARRAY[1.0, -1]::float8[])$$, '22023',
                 NULL, 'a negative weight: 22023');
SELECT throws_ok($$SELECT pmed.cf_train(ARRAY[1, 2]::bigint[], ARRAY[1.0, 2]::float8[], '{"store_patients": true}')$$,
                 '22023', NULL, 'store_patients true is refused for histories');
SELECT throws_ok($$SELECT pmed.cf_train(ARRAY[1, 2]::bigint[], ARRAY[1.0, 2]::float8[], '{"method": "als"}')$$,
                 '22023', NULL, 'als is refused for histories');
SELECT throws_ok($$SELECT pmed.train_from_partials(s) FROM (
                     SELECT pmed.cf_train_partial(ARRAY[1, 2]::bigint[]) AS s
                     UNION ALL SELECT pmed.cf_train_partial(1::bigint, 2::bigint)) x$$,
                 '22023', 'cannot merge a statistics state with a rows state', 'histories and triples states do not merge');

-- ---- interaction sets: distinct pairs ----
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(s ORDER BY k DESC))
           FROM (SELECT drug_a % 3 AS k, pmed.interactions_train_partial(drug_a, drug_b) AS s FROM rx_ddi GROUP BY 1) x),
          (SELECT pg_temp.info(pmed.interactions_train(drug_a, drug_b)) FROM rx_ddi),
          'interactions: merged partial states = one aggregate');
SELECT is((SELECT length(pmed.interactions_train_partial(b, a))
           FROM (SELECT drug_a AS a, drug_b AS b FROM rx_ddi UNION ALL SELECT drug_b, drug_a FROM rx_ddi) x),
          (SELECT length(pmed.interactions_train_partial(drug_a, drug_b)) FROM rx_ddi),
          'interactions: every pair twice (both ways), the same state size');

-- ---- content profiles: keyed by item ----
SELECT is((SELECT pg_temp.info(pmed.train_from_partials(s ORDER BY k DESC))
           FROM (SELECT drug_id % 3 AS k, pmed.content_train_partial(drug_id, features) AS s FROM rx_drugs GROUP BY 1) x),
          (SELECT pg_temp.info(pmed.content_train(drug_id, features)) FROM rx_drugs),
          'content: merged partial states = one aggregate');
SELECT is((SELECT pmed.content_train_partial(drug_id, features ORDER BY drug_id DESC) FROM rx_drugs),
          (SELECT pmed.content_train_partial(drug_id, features ORDER BY drug_id) FROM rx_drugs),
          'content: the state is sorted by item (the same bytes in any row order)');
SELECT throws_ok($$SELECT pmed.train_from_partials(s) FROM (
                     SELECT pmed.content_train_partial(drug_id, features) AS s FROM rx_drugs WHERE drug_id <= 10
                     UNION ALL SELECT pmed.content_train_partial(drug_id, features) FROM rx_drugs WHERE drug_id = 10) x$$,
                 '22023', 'item 10 appears more than once', 'content: an item in two states is an error when they merge');

-- ---- damaged statistics (the CRC made valid again): XX001 ----
-- baseline (B, M): the last class count is the 8 bytes before the 9-byte trailer
SELECT throws_ok(format('SELECT pmed.train_from_partials(%L::bytea)',
                        pg_temp.patch(state, 17, pg_temp.le(100000, 8))),
                 'XX001', NULL, 'baseline: a class count larger than the rows is rejected')
FROM b_serial;
SELECT throws_ok(format('SELECT pmed.train_from_partials(%L::bytea)',
                        pg_temp.patch(state, 17, pg_temp.le(0, 8))),
                 'XX001', NULL, 'baseline: a zero class count is rejected')
FROM b_serial;
-- regression on integer labels: the exact sum is one double (u8 tag, f64) before the trailer
SELECT throws_ok(format('SELECT pmed.train_from_partials(%L::bytea)',
                        pg_temp.patch(s, 18, '\x00000000000000f87f'::bytea)),
                 'XX001', NULL, 'baseline: a NaN sum is rejected')
FROM (SELECT pmed.baseline_train_partial(features, id::float8) AS s FROM wdbc) x;
SELECT lives_ok(format('SELECT pmed.train_from_partials(%L::bytea)',
                        pg_temp.patch(s, 18, '\x000000000000005940'::bytea)),
                'baseline: ... while another finite sum (100) is a valid state (the offset is right)')
FROM (SELECT pmed.baseline_train_partial(features, id::float8) AS s FROM wdbc) x;
-- cf histories: the last pair's count is before its 9-byte exact sum
SELECT throws_ok(format('SELECT pmed.train_from_partials(%L::bytea)',
                        pg_temp.patch(s, 26, pg_temp.le(5, 8))),
                 'XX001', NULL, 'cf: a pair count above its items'' patients is rejected')
FROM (SELECT pmed.cf_train_partial(items) AS s FROM (VALUES (ARRAY[1, 2, 3]::bigint[]), (ARRAY[2, 3]::bigint[])) v(items)) x;
SELECT throws_ok(format('SELECT pmed.train_from_partials(%L::bytea)',
                        pg_temp.patch(s, 18, '\x00000000000000f0bf'::bytea)),
                 'XX001', NULL, 'cf: a negative co-occurrence sum is rejected')
FROM (SELECT pmed.cf_train_partial(items) AS s FROM (VALUES (ARRAY[1, 2, 3]::bigint[]), (ARRAY[2, 3]::bigint[])) v(items)) x;
-- interactions: the last pair (a, b) swapped
SELECT throws_ok(format('SELECT pmed.train_from_partials(%L::bytea)',
                        pg_temp.patch(s, 25, pg_temp.le(9, 8) || pg_temp.le(7, 8))),
                 'XX001', NULL, 'interactions: a pair with a > b is rejected')
FROM (SELECT pmed.interactions_train_partial(a, b) AS s FROM (VALUES (1::bigint, 5::bigint), (7, 9)) v(a, b)) x;
-- content: the last item (id, 2 features) given the id of the one before
SELECT throws_ok(format('SELECT pmed.train_from_partials(%L::bytea)',
                        pg_temp.patch(s, 33, pg_temp.le(1, 8))),
                 'XX001', NULL, 'content: a repeated item in a state is rejected')
FROM (SELECT pmed.content_train_partial(i, f) AS s FROM (VALUES (1::bigint, ARRAY[1.0, 2]), (2, ARRAY[3.0, 4])) v(i, f)) x;
SELECT is(pg_temp.rejected_variants(s, 'cut', $$SELECT pmed.train_from_partials(%L::bytea)$$, '{XX001}'), length(s),
          'every truncation of a cf statistics state is rejected')
FROM (SELECT pmed.cf_train_partial(items) AS s FROM (VALUES (ARRAY[1, 2, 3]::bigint[]), (ARRAY[2, 3]::bigint[])) v(items)) x;

SELECT * FROM finish();
ROLLBACK;
