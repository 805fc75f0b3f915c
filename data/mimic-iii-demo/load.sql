-- Load the derived MIMIC-III demo admission x drug tables (ODbL; see SOURCE.md).
-- Run from the repository root:  psql -f data/mimic-iii-demo/load.sql
CREATE TABLE mimic_drugs (
    drug_id bigint PRIMARY KEY,
    drug text NOT NULL UNIQUE,
    n_orders int NOT NULL,
    features float8[] NOT NULL      -- 16 shares: route (7), drug_type (3), dose unit (6)
);
\copy mimic_drugs FROM 'data/mimic-iii-demo/drugs.csv' WITH (FORMAT csv, HEADER true)

CREATE TABLE mimic_rx (
    hadm_id bigint NOT NULL,
    subject_id bigint NOT NULL,
    drug_id bigint NOT NULL REFERENCES mimic_drugs,
    n_orders int NOT NULL,
    PRIMARY KEY (hadm_id, drug_id)
);
\copy mimic_rx FROM 'data/mimic-iii-demo/admission_drugs.csv' WITH (FORMAT csv, HEADER true)
ANALYZE mimic_drugs;
ANALYZE mimic_rx;
