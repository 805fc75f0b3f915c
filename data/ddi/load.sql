-- Load the illustrative drug-drug interaction pairs (generic drug names; see
-- SOURCE.md) into ddi_pairs(drug_a, drug_b, concern).  Map the names to the
-- drug ids of a prescription table with a join, e.g. for the synthetic data:
--   SELECT a.drug_id, b.drug_id FROM ddi_pairs p
--   JOIN rx_drugs a ON a.drug = p.drug_a JOIN rx_drugs b ON b.drug = p.drug_b;
-- Run from the repository root: \i data/ddi/load.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS pg_temp.ddi_pairs;
CREATE TEMP TABLE ddi_pairs (drug_a text NOT NULL, drug_b text NOT NULL, concern text NOT NULL);
\copy ddi_pairs FROM 'data/ddi/ddi_pairs.csv' WITH (FORMAT csv, HEADER true)
RESET client_min_messages;
