-- Drug recommendation: pmed.cf_train (item_knn, als), pmed.content_train,
-- pmed.interactions_train, pmed.ddi_rate, pmed.recommend.  Scores are
-- rounded so the output is stable across BLAS builds.
SET extra_float_digits = 0;

-- Four patients x four drugs (10..13); patient 4 has drug 10 twice, summed:
--   p1: 10 11   p2: 10 12   p3: 11 12 13   p4: 10(1+1) 11 12
-- item columns: 10 = (1,1,0,2), 11 = (1,0,1,1), 12 = (0,1,1,1), 13 = (0,0,1,0)
CREATE TABLE cf_rx (patient bigint, drug bigint, n float8);
INSERT INTO cf_rx VALUES (1, 10, 1), (1, 11, 1), (2, 10, 1), (2, 12, 1), (3, 11, 1), (3, 12, 1),
    (3, 13, 1), (4, 10, 1), (4, 10, 1), (4, 11, 1), (4, 12, 1),
    (NULL, 10, 1), (5, NULL, 1), (6, 10, NULL);   -- NULLs: skipped and counted

CREATE TABLE cf_models AS
SELECT 'knn' AS name, pmed.cf_train(patient, drug, n, '{"shrinkage": 0}') AS model FROM cf_rx
UNION ALL
SELECT 'knn2', pmed.cf_train(patient, drug, n, '{"shrinkage": 0, "min_support": 2}') FROM cf_rx
UNION ALL
SELECT 'als', pmed.cf_train(patient, drug, n, '{"method": "als", "factors": 2, "iterations": 10, "seed": 1}') FROM cf_rx
UNION ALL
SELECT 'private', pmed.cf_train(patient, drug, n, '{"store_patients": false}') FROM cf_rx;

-- model_info: method, patients, items, interactions, factors, smallest support used
SELECT name, i->>'kind' AS kind, i->>'method' AS method, i->>'patients' AS patients,
       i->>'items' AS items, i->>'interactions' AS pairs, i->>'factors' AS factors,
       i->>'min_support_used' AS min_support_used, i->>'rows_used' AS rows_used,
       i->>'rows_skipped' AS skipped, i->>'duplicate_rows_merged' AS merged,
       i->>'stores_training_rows' AS stores_rows
FROM (SELECT name, pmed.model_info(model) AS i FROM cf_models) s ORDER BY name;

-- patient 2 (10, 12): 11 = sim(10,11) + sim(12,11) = 3/sqrt(18) + 2/3 = 1.373773;
-- 13 = sim(12,13) = 1/sqrt(3) = 0.577350; 10 is never co-prescribed with 13
SELECT item, round(score::numeric, 6) AS score
FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), 2::bigint);
-- the same patient from a drug list (fold-in); NULL and repeated elements are ignored
SELECT item, round(score::numeric, 6) AS score
FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), ARRAY[12, 10, NULL, 12]::bigint[]);
-- min_support 2: the 13 pairs rest on one patient and are gone
SELECT item, round(score::numeric, 6) AS score
FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn2'), 2::bigint);
-- and its cold start does not reveal drug 13, which rests on one patient (count stored as 0)
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn2'), 999::bigint);
-- exclude, k
SELECT item FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), ARRAY[13]::bigint[], 1);
SELECT item FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), ARRAY[13]::bigint[],
                                exclude => ARRAY[11]::bigint[]);
-- cold start: an unknown patient, or a history of unknown drugs: most popular (patients per drug)
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), 999::bigint, 3);
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), ARRAY[77]::bigint[], 2);
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), 999::bigint, 3,
                             exclude => ARRAY[10]::bigint[]);
-- ALS: a known patient and its fold-in agree (binary data), history never returned
SELECT count(*) AS items, bool_and(item NOT IN (11, 12, 13)) AS no_history
FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'als'), 3::bigint);
SELECT (SELECT array_agg(item) FROM pmed.recommend(m.model, 1::bigint))
     = (SELECT array_agg(item) FROM pmed.recommend(m.model, ARRAY[10, 11]::bigint[])) AS same_items
FROM cf_models m WHERE name = 'als';
-- NULL model, patient or k: no rows
SELECT count(*) FROM pmed.recommend(NULL, 1::bigint);
SELECT count(*) FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), NULL::bigint);

-- ===================== interactions =====================
-- (11, 12) given twice and reversed: one pair; (13, 13) self pair: ignored and counted
CREATE TABLE cf_ddi AS
SELECT pmed.interactions_train(a, b) AS model
FROM (VALUES (11, 12), (12, 11), (10, 13), (13, 13), (NULL, 5)) v(a, b);
SELECT i->>'kind' AS kind, i->>'pairs' AS pairs, i->>'self_pairs_ignored' AS self_pairs,
       i->>'rows_skipped' AS skipped
FROM (SELECT pmed.model_info(model) AS i FROM cf_ddi) s;
-- {10, 11, 12, 13}: pairs (11,12) and (10,13) of 6 -> 0.333333
SELECT round(pmed.ddi_rate(ARRAY[10, 11, 12, 13]::bigint[], model)::numeric, 6) FROM cf_ddi;
SELECT pmed.ddi_rate(ARRAY[11, 11, 12]::bigint[], model) AS dup, pmed.ddi_rate(ARRAY[10]::bigint[], model) AS one,
       pmed.ddi_rate('{}'::bigint[], model) AS none FROM cf_ddi;
-- patient 2 without the filter gets 11, 13; 11 interacts with 12 (history), 13 with 10 (history)
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), 2::bigint,
                             interactions => (SELECT model FROM cf_ddi));
-- from {13}: 11 (0.577) and 12 (0.577); 12 interacts with 11 chosen first -> skipped
SELECT item, round(score::numeric, 6) AS score
FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), ARRAY[13]::bigint[],
                    interactions => (SELECT model FROM cf_ddi));

-- ===================== content =====================
CREATE TABLE cf_items (item bigint, f float8[]);
INSERT INTO cf_items VALUES (10, '{1,0,0}'), (11, '{1,1,0}'), (12, '{0,1,1}'), (13, '{0,0,2}'), (14, NULL);
CREATE TABLE cf_content AS SELECT pmed.content_train(item, f) AS model FROM cf_items;
SELECT i->>'kind' AS kind, i->>'items' AS items, i->>'n_features' AS n_features, i->>'rows_skipped' AS skipped
FROM (SELECT pmed.model_info(model) AS i FROM cf_content) s;
-- profile of {10}: (1,0,0); cosine to 11 = 1/sqrt(2), to 12 and 13 = 0 (ties by id)
SELECT item, round(score::numeric, 6) AS score
FROM pmed.recommend((SELECT model FROM cf_content), ARRAY[10]::bigint[], 3);
-- profile of {10, 13}: mean of (1,0,0) and (0,0,1) -> 11: 0.5, 12: 0.5
SELECT item, round(score::numeric, 6) AS score
FROM pmed.recommend((SELECT model FROM cf_content), ARRAY[10, 13]::bigint[]);
-- no known history item: no profile, no rows
SELECT count(*) FROM pmed.recommend((SELECT model FROM cf_content), ARRAY[99]::bigint[]);
-- hybrid: blend normalised CF and content scores in SQL
WITH cf AS (SELECT item, score / max(score) OVER () AS s
            FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), ARRAY[10]::bigint[], 100)),
     ct AS (SELECT item, score AS s FROM pmed.recommend((SELECT model FROM cf_content), ARRAY[10]::bigint[], 100))
SELECT item, round((0.7 * coalesce(cf.s, 0) + 0.3 * coalesce(ct.s, 0))::numeric, 6) AS score
FROM cf FULL JOIN ct USING (item) ORDER BY score DESC, item LIMIT 3;

-- ===================== golden models (format version 1) =====================
-- Encoded once from the rows at the top (knn: shrinkage 0; als: 2 factors,
-- 10 iterations, seed 1; content: the cf_items vectors; interactions: (11,12),
-- (10,13)).  Later versions must keep decoding them to the same answers.
\set golden_knn '\\x504d45440100040000000000980200003a1e0f895343484d2700000003000000000000000000ffffffff000b0000000000000000000000000000000000006036abe83e4d4554410e0100007b226f7074696f6e73223a207b22736872696e6b616765223a20307d2c20226d6574686f64223a20226974656d5f6b6e6e222c202270617469656e7473223a20342c20226974656d73223a20342c2022696e746572616374696f6e73223a2031302c20226475706c69636174655f726f77735f6d6572676564223a20312c202273746f7265735f747261696e696e675f726f7773223a20747275652c2022666163746f7273223a206e756c6c2c20226e65696768626f7273223a2035302c2022736872696e6b616765223a20302c20226d696e5f737570706f7274223a20312c20226d696e5f737570706f72745f75736564223a20312c20226e65696768626f75725f7061697273223a2031307d414c474f4b0100000100010a00000000000000040000000a000000000000000b000000000000000c000000000000000d00000000000000000000000000084000000000000008400000000000000840000000000000f03f0400000001000000000000000200000000000000030000000000000004000000000000000a000000020000000200000003000000030000000000000001000000000000000200000001000000020000000300000000000000010000000200000032000000000000000000000001000000010000000200000003000000030000000200000001000000cd3b7f669ea0e63f02000000cd3b7f669ea0e63f00000000cd3b7f669ea0e63f02000000565555555555e53f030000001d339045a779e23f00000000cd3b7f669ea0e63f01000000565555555555e53f030000001d339045a779e23f010000001d339045a779e23f020000001d339045a779e23f'
\set golden_als '\\x504d45440100040000000000d8020000df688bd05343484d2700000003000000000000000000ffffffff000b0000000000000000000000000000000000808299f64a3f4d4554414a0100007b226f7074696f6e73223a207b2273656564223a20312c20226d6574686f64223a2022616c73222c2022666163746f7273223a20322c2022697465726174696f6e73223a2031307d2c20226d6574686f64223a2022616c73222c202270617469656e7473223a20342c20226974656d73223a20342c2022696e746572616374696f6e73223a2031302c20226475706c69636174655f726f77735f6d6572676564223a20312c202273746f7265735f747261696e696e675f726f7773223a20747275652c2022666163746f7273223a20322c2022697465726174696f6e73223a2031302c2022726567756c6172697a6174696f6e223a20302e312c2022616c706861223a2034302c2022666565646261636b223a2022696d706c69636974222c20226d696e5f737570706f72745f75736564223a20312c20226c6f7373223a2031312e333236383938387d414c474f4f0100000200010a00000000000000040000000a000000000000000b000000000000000c000000000000000d00000000000000000000000000084000000000000008400000000000000840000000000000f03f0400000001000000000000000200000000000000030000000000000004000000000000000a0000000200000002000000030000000300000000000000010000000000000002000000010000000200000003000000000000000100000002000000020000000a0000009a9999999999b93f0000000000004440aff06d485fa72640634b96bac9bdf73ff33a538d564912c01c39b4ac0459f93f9ce8983f3d5712c05fb3de74ede50640acb50461840d08c0d4c6db6827ca09400bee6c745702f8bff6bc9edccd2cc8bf81df3ff40901d2bfc7ba4af821c3c53fb46a9c5e309bc4bf2be3362ce6afce3fc1f3f69ecae1bfbfc23d9acee35fc53fc952d0b80300c5bf'
\set golden_content '\\x504d454401000500000000002d010000b73ad49a5343484d2700000003000300000000000000ffffffff00040000000000000000000000000000000000000003a1c83e4d455441650000007b226f7074696f6e73223a207b7d2c20226d6574686f64223a2022636f6e74656e74222c20226974656d73223a20342c20227374616e64617264697a65223a2066616c73652c202273746f7265735f747261696e696e675f726f7773223a2066616c73657d414c474f890000000400000003000000000a000000000000000b000000000000000c000000000000000d00000000000000000000000000f03f00000000000000000000000000000000cc3b7f669ea0e63fcc3b7f669ea0e63f00000000000000000000000000000000cc3b7f669ea0e63fcc3b7f669ea0e63f00000000000000000000000000000000000000000000f03f'
\set golden_ddi '\\x504d45440100060000000000d70000000096a45e5343484d2700000003000000000000000000ffffffff000200000000000000000000000000000000000080796cbf3e4d455441600000007b227061697273223a20322c202273656c665f70616972735f69676e6f726564223a20302c20226475706c69636174655f726f77735f6d6572676564223a20302c202273746f7265735f747261696e696e675f726f7773223a2066616c73657d414c474f380000000200000000000000000000000000000000000000000000000a000000000000000d000000000000000b000000000000000c00000000000000'
SELECT i->>'kind' AS kind, i->>'method' AS method, i->>'format_version' AS version, i->>'items' AS items,
       i->>'patients' AS patients, i->>'factors' AS factors
FROM (VALUES (pmed.model_info(:'golden_knn')), (pmed.model_info(:'golden_als')),
             (pmed.model_info(:'golden_content')), (pmed.model_info(:'golden_ddi'))) v(i);
SELECT item, round(score::numeric, 6) AS score FROM pmed.recommend(:'golden_knn', 2::bigint);
SELECT item, round(score::numeric, 6) AS score FROM pmed.recommend(:'golden_als', 1::bigint, 2);
SELECT item, round(score::numeric, 6) AS score FROM pmed.recommend(:'golden_als', ARRAY[10, 11]::bigint[], 2);
SELECT item, round(score::numeric, 6) AS score FROM pmed.recommend(:'golden_content', ARRAY[10]::bigint[], 1);
SELECT item FROM pmed.recommend(:'golden_knn', 2::bigint, interactions => :'golden_ddi');

-- ===================== bad input =====================
SELECT pmed.cf_train(1, 2, -1.0) FROM cf_rx LIMIT 1;
SELECT pmed.cf_train(1, 2, 'NaN'::float8) FROM cf_rx;
SELECT pmed.cf_train(1, 2, 'Infinity'::float8) FROM cf_rx;
SELECT pmed.cf_train(patient, drug, n, '{"method": "svd"}') FROM cf_rx;
SELECT pmed.cf_train(patient, drug, n, '{"neighbours": 5}') FROM cf_rx;
SELECT pmed.cf_train(patient, drug, n, '{"factors": 8}') FROM cf_rx;
SELECT pmed.cf_train(patient, drug, n, '{"method": "als", "factors": 0}') FROM cf_rx;
SELECT pmed.cf_train(patient, drug, n, '{"method": "als", "alpha": -1}') FROM cf_rx;
SELECT pmed.cf_train(patient, drug) FROM cf_rx WHERE patient IS NULL;    -- only skipped rows
SELECT pmed.cf_train(patient, drug) IS NULL AS no_rows FROM cf_rx WHERE false;
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), 2::bigint, 0);
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), 2::bigint, 2000000000);
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'private'), 2::bigint);
SELECT count(*) FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'private'), ARRAY[10]::bigint[]);
SELECT * FROM pmed.recommend((SELECT model FROM cf_content), 2::bigint);
SELECT * FROM pmed.recommend((SELECT pmed.baseline_train(ARRAY[x], x > 1) FROM generate_series(1, 3) x), 1::bigint);
SELECT * FROM pmed.recommend((SELECT pmed.svm_train(ARRAY[x], x > 2) FROM generate_series(1, 4) x), ARRAY[1]::bigint[]);
SELECT * FROM pmed.recommend((SELECT model FROM cf_models WHERE name = 'knn'), 2::bigint,
                             interactions => (SELECT model FROM cf_content));
SELECT pmed.ddi_rate(ARRAY[1, 2]::bigint[], (SELECT model FROM cf_content));
SELECT pmed.content_train(item, f) FROM (VALUES (1, '{1,NULL}'::float8[])) v(item, f);
SELECT pmed.content_train(item, f) FROM (VALUES (1, '{1,2}'::float8[]), (1, '{3,4}')) v(item, f);
SELECT pmed.content_train(item, f) FROM (VALUES (1, '{1,2}'::float8[]), (2, '{3}')) v(item, f);
SELECT pmed.content_train(item, f, '{"standardise": true}') FROM cf_items;
-- a corrupt or truncated model
SELECT * FROM pmed.recommend((SELECT set_byte(model, 30, get_byte(model, 30) # 1) FROM cf_models WHERE name = 'knn'), 2::bigint);
SELECT * FROM pmed.recommend((SELECT substr(model, 1, length(model) - 1) FROM cf_models WHERE name = 'knn'), 2::bigint);
