-- Load the MIMIC-III Clinical Database Demo admissions from the shared data
-- folder (never from the repository: see SOURCE.md there) as a table of mixed
-- types for the named-features tests:
--   mimic_adm(hadm_id, age, sex, admission_type, insurance, dx text[], died)
-- age in years at admission (ages over 89 are shifted in MIMIC: capped at 90),
-- dx the ICD-9 diagnosis codes of the admission, died the in-hospital death.
-- Run from the repository root.  The folder is $PMED_SHARED_DATA/mimic-iii-demo,
-- with PMED_SHARED_DATA defaulting to ../shared/data.  Sets the psql variable
-- mimic_present (true/false); when absent it creates nothing.
\ir ../shared_data.sql
\set mimic_dir :pmed_shared '/mimic-iii-demo'
\set mimic_adm_file :mimic_dir '/ADMISSIONS.csv'
\set mimic_pat_file :mimic_dir '/PATIENTS.csv'
\set mimic_dx_file :mimic_dir '/DIAGNOSES_ICD.csv'
\set mimic_present `test -r :'mimic_adm_file' && test -r :'mimic_pat_file' && test -r :'mimic_dx_file' && echo true || echo false`
\if :mimic_present
SET client_min_messages = warning;
CREATE TEMP TABLE mimic_raw_adm (
    row_id int, subject_id bigint, hadm_id bigint, admittime timestamp, dischtime timestamp,
    deathtime timestamp, admission_type text, admission_location text, discharge_location text,
    insurance text, language text, religion text, marital_status text, ethnicity text,
    edregtime timestamp, edouttime timestamp, diagnosis text, hospital_expire_flag int,
    has_chartevents_data int);
CREATE TEMP TABLE mimic_raw_pat (
    row_id int, subject_id bigint, gender text, dob timestamp, dod timestamp, dod_hosp timestamp,
    dod_ssn timestamp, expire_flag int);
CREATE TEMP TABLE mimic_raw_dx (row_id int, subject_id bigint, hadm_id bigint, seq_num int, icd9_code text);
\set mimic_copy '\\copy mimic_raw_adm FROM ' :'mimic_adm_file' ' WITH (FORMAT csv, HEADER true)'
:mimic_copy
\set mimic_copy '\\copy mimic_raw_pat FROM ' :'mimic_pat_file' ' WITH (FORMAT csv, HEADER true)'
:mimic_copy
\set mimic_copy '\\copy mimic_raw_dx FROM ' :'mimic_dx_file' ' WITH (FORMAT csv, HEADER true)'
:mimic_copy
CREATE TEMP TABLE mimic_adm AS
SELECT a.hadm_id,
       least(extract(year FROM age(a.admittime, p.dob))::int, 90) AS age,
       p.gender AS sex, a.admission_type, a.insurance,
       (SELECT array_agg(d.icd9_code ORDER BY d.seq_num) FROM mimic_raw_dx d
        WHERE d.hadm_id = a.hadm_id AND d.icd9_code IS NOT NULL) AS dx,
       a.hospital_expire_flag = 1 AS died
FROM mimic_raw_adm a JOIN mimic_raw_pat p USING (subject_id);
DROP TABLE mimic_raw_adm, mimic_raw_pat, mimic_raw_dx;
RESET client_min_messages;
\endif
