-- Load the bundled serum free light chain cohort (flchain, 7,874 subjects; see
-- SOURCE.md) into flchain with typed columns and NULLs for missing values.
-- id is the row number in flchain.csv (the data has no identifier).
-- Run from the repository root: \i data/flchain/load.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS flchain_csv;
CREATE TEMP TABLE flchain_csv (age int, sex text, sample_yr int, kappa numeric, lambda numeric, flc_grp int,
                               creatinine numeric, mgus int, futime int, death int, chapter text);
\copy flchain_csv FROM 'data/flchain/flchain.csv' WITH (FORMAT csv, HEADER true)
DROP TABLE IF EXISTS flchain;
CREATE TABLE flchain (
    id int PRIMARY KEY,
    age int NOT NULL,            -- years (50 or more)
    sex text NOT NULL,           -- 'F' or 'M'
    sample_yr int NOT NULL,      -- year the serum sample was taken
    kappa numeric NOT NULL,      -- free light chain, kappa portion (mg/dL)
    lambda numeric NOT NULL,     -- free light chain, lambda portion (mg/dL)
    flc_grp int NOT NULL,        -- decile group of the total free light chain (1-10): an ordinal code
    creatinine numeric,          -- serum creatinine (mg/dL); NULL = not measured (1,350 rows)
    mgus boolean NOT NULL,       -- diagnosed with monoclonal gammopathy of undetermined significance
    futime int NOT NULL,         -- days from the sample to death or last contact
    death boolean NOT NULL,      -- died during follow-up
    chapter text                 -- ICD-9 chapter of the primary cause of death; NULL for the living
);
INSERT INTO flchain
SELECT row_number() OVER (), age, sex, sample_yr, kappa, lambda, flc_grp, creatinine,
       mgus = 1, futime, death = 1, chapter
FROM flchain_csv;
DROP TABLE flchain_csv;
ANALYZE flchain;
RESET client_min_messages;
