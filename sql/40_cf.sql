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
