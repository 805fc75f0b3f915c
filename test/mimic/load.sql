-- Load the MIMIC-III Clinical Database Demo prescriptions from the shared data
-- folder (never from the repository: that data may not be redistributed from
-- here; see SOURCE.md there) and derive, in SQL, the admission x drug tables
-- the recommender evaluations use:
--   mimic_drugs(drug_id, drug, n_orders, features float8[16])
--   mimic_rx(hadm_id, subject_id, drug_id, n_orders)
--   mimic_ddi(drug_a, drug_b, concern)   (data/ddi pairs mapped to MIMIC names)
-- Run from the repository root.  The folder is $PMED_SHARED_DATA/mimic-iii-demo,
-- with PMED_SHARED_DATA defaulting to ../shared/data (relative to the repository
-- root).  Sets the psql variable mimic_present (true/false); when the data is
-- absent it prints "skipped: ... not found" and creates nothing.
\ir ../shared_data.sql
\set mimic_dir :pmed_shared '/mimic-iii-demo'
\set mimic_file :mimic_dir '/PRESCRIPTIONS.csv'
\set mimic_present `test -r :'mimic_file' && echo true || echo false`
\if :mimic_present
SET client_min_messages = warning;
DROP TABLE IF EXISTS pg_temp.mimic_rx, pg_temp.mimic_ddi, pg_temp.mimic_drugs;
CREATE TEMP TABLE mimic_raw_rx (
    row_id text, subject_id bigint, hadm_id bigint, icustay_id text, startdate text, enddate text,
    drug_type text, drug text, drug_name_poe text, drug_name_generic text, formulary_drug_cd text,
    gsn text, ndc text, prod_strength text, dose_val_rx text, dose_unit_rx text,
    form_val_disp text, form_unit_disp text, route text);
\set mimic_copy '\\copy mimic_raw_rx FROM ' :'mimic_file' ' WITH (FORMAT csv, HEADER true)'
:mimic_copy

-- Drug name = lower(trim(drug)); drug_id = 1..N in byte order of the names.
CREATE TEMP TABLE mimic_names AS
SELECT row_number() OVER (ORDER BY name COLLATE "C")::bigint AS drug_id, name AS drug
FROM (SELECT DISTINCT lower(btrim(drug, E' \t\r\n')) AS name FROM mimic_raw_rx) n
WHERE name <> '';

-- Per prescription row: the drug and its route, drug_type and dose-unit groups.
CREATE TEMP TABLE mimic_orders AS
SELECT r.hadm_id, r.subject_id, n.drug_id,
       CASE WHEN r.route IN ('IV', 'IV DRIP', 'IV BOLUS', 'IVPCA', 'PB', 'IVS', 'IV PUSH') THEN 1
            WHEN r.route IN ('PO', 'PO/NG', 'NG', 'ORAL', 'SL', 'OG', 'PO OR ENTERAL TUBE', 'J TUBE', 'G TUBE') THEN 2
            WHEN r.route IN ('SC', 'SUBCUT') THEN 3
            WHEN r.route = 'IM' THEN 4
            WHEN r.route IN ('IH', 'NEB', 'INHALATION') THEN 5
            WHEN r.route = 'PR' THEN 6
            ELSE 7 END AS route_group,
       array_position(ARRAY['MAIN', 'BASE', 'ADDITIVE'], r.drug_type) AS type_group,
       CASE WHEN r.dose_unit_rx IN ('mg', 'mcg', 'g', 'gm', 'mg PE', 'mcg/hr', 'mg/hr') THEN 1
            WHEN r.dose_unit_rx IN ('ml', 'mL') THEN 2
            WHEN r.dose_unit_rx IN ('mEq', 'mmol') THEN 3
            WHEN r.dose_unit_rx IN ('UNIT', 'UNITS', 'Units') THEN 4
            WHEN r.dose_unit_rx IN ('TAB', 'CAP', 'NEB', 'PUFF', 'VIAL', 'PKT', 'DROP', 'BAG', 'SYR',
                                    'PTCH', 'INH', 'AMP', 'Appl', 'SUPP', 'LOZ') THEN 5
            ELSE 6 END AS unit_group
FROM mimic_raw_rx r JOIN mimic_names n ON n.drug = lower(btrim(r.drug, E' \t\r\n'))
WHERE r.hadm_id IS NOT NULL;

-- features: shares of the drug's orders by route group (7), drug_type (3) and
-- dose-unit group (6); each group sums to 1 (or is all 0).
CREATE TEMP TABLE mimic_drugs (
    drug_id bigint PRIMARY KEY,
    drug text NOT NULL UNIQUE,
    n_orders int NOT NULL,
    features float8[] NOT NULL
);
INSERT INTO mimic_drugs
SELECT n.drug_id, n.drug, coalesce(o.n, 0),
       coalesce(ARRAY(SELECT coalesce(c.n::float8 / nullif(c.total, 0), 0)
                      FROM (SELECT g.part, g.k,
                                   count(*) FILTER (WHERE (g.part = 1 AND x.route_group = g.k)
                                                       OR (g.part = 2 AND x.type_group = g.k)
                                                       OR (g.part = 3 AND x.unit_group = g.k)) AS n,
                                   count(*) FILTER (WHERE g.part <> 2 OR x.type_group IS NOT NULL) AS total
                            FROM (SELECT 1 AS part, k FROM generate_series(1, 7) k
                                  UNION ALL SELECT 2, k FROM generate_series(1, 3) k
                                  UNION ALL SELECT 3, k FROM generate_series(1, 6) k) g
                            LEFT JOIN mimic_orders x ON x.drug_id = n.drug_id
                            GROUP BY g.part, g.k) c
                      ORDER BY c.part, c.k), '{}')
FROM mimic_names n
LEFT JOIN (SELECT drug_id, count(*) AS n FROM mimic_orders GROUP BY drug_id) o USING (drug_id);

CREATE TEMP TABLE mimic_rx (
    hadm_id bigint NOT NULL,
    subject_id bigint NOT NULL,
    drug_id bigint NOT NULL REFERENCES mimic_drugs,
    n_orders int NOT NULL,
    PRIMARY KEY (hadm_id, drug_id)
);
INSERT INTO mimic_rx
SELECT hadm_id, min(subject_id), drug_id, count(*) FROM mimic_orders GROUP BY hadm_id, drug_id;

-- The public-knowledge pairs of data/ddi use generic names; a MIMIC name matches
-- the generic name itself or the generic name followed by a salt or brand
-- ("amiodarone hcl", "metronidazole (flagyl)").
CREATE TEMP TABLE mimic_ddi_pairs (drug_a text, drug_b text, concern text);
\copy mimic_ddi_pairs FROM 'data/ddi/ddi_pairs.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE mimic_ddi AS
SELECT DISTINCT a.drug_id AS drug_a, b.drug_id AS drug_b, p.concern
FROM mimic_ddi_pairs p
JOIN mimic_drugs a ON a.drug = p.drug_a OR a.drug LIKE p.drug_a || ' %'
JOIN mimic_drugs b ON b.drug = p.drug_b OR b.drug LIKE p.drug_b || ' %';
DROP TABLE mimic_raw_rx, mimic_names, mimic_orders, mimic_ddi_pairs;
ANALYZE mimic_drugs;
ANALYZE mimic_rx;
RESET client_min_messages;
\else
\echo 'skipped: ../shared/data/mimic-iii-demo not found (set PMED_SHARED_DATA to the folder holding mimic-iii-demo/)'
\endif
