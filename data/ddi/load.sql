-- Load the illustrative drug-drug interaction pairs (see SOURCE.md) and map the
-- names to the MIMIC demo drug ids.  Needs data/mimic-iii-demo/load.sql first.
CREATE TABLE ddi_pairs (drug_a text NOT NULL, drug_b text NOT NULL, concern text NOT NULL);
\copy ddi_pairs FROM 'data/ddi/ddi_pairs.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE mimic_ddi AS
SELECT a.drug_id AS drug_a, b.drug_id AS drug_b, p.concern
FROM ddi_pairs p
JOIN mimic_drugs a ON a.drug = p.drug_a
JOIN mimic_drugs b ON b.drug = p.drug_b;
