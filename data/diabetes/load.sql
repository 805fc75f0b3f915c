-- Load the bundled diabetes data (442 patients, 10 baseline variables, disease
-- progression one year later) into diabetes(id, features, progression).
-- Run from the repository root: \i data/diabetes/load.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS diabetes_csv;
CREATE TEMP TABLE diabetes_csv (id int, age float8, sex float8, bmi float8, bp float8, s1 float8, s2 float8, s3 float8, s4 float8, s5 float8, s6 float8, progression float8);
\copy diabetes_csv FROM 'data/diabetes/diabetes.csv' WITH (FORMAT csv, HEADER true)
DROP TABLE IF EXISTS diabetes;
CREATE TABLE diabetes AS SELECT id, ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]::float8[] AS features, progression FROM diabetes_csv ORDER BY id;
ALTER TABLE diabetes ADD PRIMARY KEY (id);
DROP TABLE diabetes_csv;
RESET client_min_messages;
