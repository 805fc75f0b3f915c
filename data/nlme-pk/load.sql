-- Load the bundled pharmacokinetic series of the R package nlme (see SOURCE.md)
-- into remifentanil, quinidine and phenobarb, typed, one row per time point
-- (a dose given, a concentration measured, or both; NULL where not).
-- Run from the repository root: \i data/nlme-pk/load.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS remifentanil, quinidine, phenobarb;

-- 65 patients, intravenous remifentanil infusions (Minto et al. 1997)
CREATE TABLE remifentanil (
    id int NOT NULL,             -- patient
    subject text NOT NULL,       -- R's subject label (the id as text)
    time float8 NOT NULL,        -- minutes from the beginning of the infusion
    conc float8,                 -- remifentanil concentration (ng/mL); NULL = not measured
    rate float8 NOT NULL,        -- infusion rate (ug/min)
    amt float8 NOT NULL,         -- amount given in the current time interval (ug)
    age float8 NOT NULL,         -- years
    sex text NOT NULL,           -- 'Female' or 'Male'
    ht float8 NOT NULL,          -- height (cm)
    wt float8 NOT NULL,          -- weight (kg)
    bsa float8 NOT NULL,         -- body surface area (m2, DuBois and DuBois)
    lbm float8 NOT NULL          -- lean body mass (kg, James)
);
\copy remifentanil FROM 'data/nlme-pk/remifentanil.csv' WITH (FORMAT csv, HEADER true)

-- 136 patients on oral quinidine for arrhythmia, routine clinical data (Verme et al. 1992)
CREATE TABLE quinidine (
    subject int NOT NULL,        -- patient
    time float8 NOT NULL,        -- hours since the patient entered the study
    conc float8,                 -- serum quinidine (mg/L); NULL = no sample at this time
    dose float8,                 -- dose given (mg of quinidine base); NULL = no dose at this time
    "interval" float8,           -- dosing interval (h) when at steady state; NULL otherwise
    age int NOT NULL,            -- years
    height int NOT NULL,         -- inches
    weight int NOT NULL,         -- kg
    race text NOT NULL,          -- 'Caucasian', 'Latin', 'Black'
    smoke boolean NOT NULL,      -- smoker at the time
    ethanol text NOT NULL,       -- alcohol abuse: 'none', 'current', 'former'
    heart text NOT NULL,         -- congestive heart failure: 'No/Mild', 'Moderate', 'Severe'
    creatinine text NOT NULL,    -- creatinine clearance (mL/min): '< 50' or '>= 50'
    glyco float8 NOT NULL        -- alpha-1 acid glycoprotein (mg/dL)
);
CREATE TEMP TABLE quinidine_csv (subject int, time float8, conc float8, dose float8, "interval" float8,
                                 age int, height int, weight int, race text, smoke text, ethanol text,
                                 heart text, creatinine text, glyco float8);
\copy quinidine_csv FROM 'data/nlme-pk/quinidine.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO quinidine
SELECT subject, time, conc, dose, "interval", age, height, weight, race,
       CASE smoke WHEN 'yes' THEN true WHEN 'no' THEN false END, ethanol, heart, creatinine, glyco
FROM quinidine_csv;
DROP TABLE quinidine_csv;

-- 59 preterm infants given phenobarbital (Grasela and Donn 1985)
CREATE TABLE phenobarb (
    subject int NOT NULL,        -- infant
    wt float8 NOT NULL,          -- birth weight (kg)
    apgar int NOT NULL,          -- 5-minute Apgar score (1-10)
    apgar_ind text NOT NULL,     -- '< 5' or '>= 5'
    time float8 NOT NULL,        -- hours
    dose float8,                 -- dose given (ug/kg); NULL = no dose at this time
    conc float8                  -- serum phenobarbital (ug/L); NULL = no sample at this time
);
\copy phenobarb FROM 'data/nlme-pk/phenobarb.csv' WITH (FORMAT csv, HEADER true)
ANALYZE remifentanil;
ANALYZE quinidine;
ANALYZE phenobarb;
RESET client_min_messages;
