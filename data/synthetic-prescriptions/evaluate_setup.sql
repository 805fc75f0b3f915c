-- Set-up of the held-out evaluation (temp tables ev_*) of the drug recommenders on the
-- SYNTHETIC prescriptions.  Needs data/synthetic-prescriptions/load.sql first.  Run from
-- the repo root: psql -f data/synthetic-prescriptions/evaluate.sql (which includes both)
-- One admission in five (pmed.fold(hadm_id, 5) = 0) is held out; each held-out
-- admission's drugs are split in a deterministic pseudo-random half: the
-- recommender sees the first half and is scored on predicting the second.
-- Settings were chosen on held-out folds 1-4 (tune.sql), never on fold 0; weights
-- are 1.0 per admission-drug pair (the generated n_orders carry no signal).
CREATE TEMP TABLE ev_split AS
SELECT hadm_id, drug_id, n_orders, pmed.fold(hadm_id, 5) = 0 AS held_out FROM rx;

CREATE TEMP TABLE ev_cases AS
WITH ranked AS (
    SELECT hadm_id, drug_id,
           row_number() OVER (PARTITION BY hadm_id
                              ORDER BY pmed.fold(hadm_id * 100000 + drug_id, 1000003, 7), drug_id) AS r,
           count(*) OVER (PARTITION BY hadm_id) AS n
    FROM ev_split WHERE held_out)
SELECT hadm_id,
       array_agg(drug_id ORDER BY drug_id) FILTER (WHERE r <= n / 2) AS given,
       array_agg(drug_id ORDER BY drug_id) FILTER (WHERE r > n / 2) AS target
FROM ranked GROUP BY hadm_id HAVING count(*) >= 2;

CREATE TEMP TABLE ev_models AS
SELECT 'item_knn' AS method,
       pmed.cf_train(hadm_id, drug_id, 1.0,
                     '{"method": "item_knn", "neighbors": 50, "shrinkage": 10}') AS model
FROM ev_split WHERE NOT held_out
UNION ALL
SELECT 'als', pmed.cf_train(hadm_id, drug_id, 1.0,
                            '{"method": "als", "factors": 16, "iterations": 15, "regularization": 20, "alpha": 1, "seed": 1}')
FROM ev_split WHERE NOT held_out
UNION ALL
SELECT 'content', pmed.content_train(drug_id, features) FROM rx_drugs;

CREATE TEMP TABLE ev_ddi AS SELECT pmed.interactions_train(drug_a, drug_b) AS model FROM rx_ddi;

CREATE TEMP TABLE ev_recs AS
SELECT m.method, c.hadm_id, c.given, c.target,
       ARRAY(SELECT r.item FROM pmed.recommend(m.model, c.given, 10) r
             ORDER BY r.score DESC, r.item) AS rec
FROM ev_models m CROSS JOIN ev_cases c
UNION ALL
SELECT 'item_knn + ddi filter', c.hadm_id, c.given, c.target,
       ARRAY(SELECT r.item FROM pmed.recommend(m.model, c.given, 10,
                                               interactions => (SELECT model FROM ev_ddi)) r
             ORDER BY r.score DESC, r.item)
FROM ev_models m CROSS JOIN ev_cases c WHERE m.method = 'item_knn'
UNION ALL
-- popularity: the cold-start path (an unknown patient id), leaving out the given drugs
SELECT 'popularity', c.hadm_id, c.given, c.target,
       ARRAY(SELECT r.item FROM pmed.recommend(m.model, -1::bigint, 10, exclude => c.given) r
             ORDER BY r.score DESC, r.item)
FROM ev_models m CROSS JOIN ev_cases c WHERE m.method = 'item_knn';

