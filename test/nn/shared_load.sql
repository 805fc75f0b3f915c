-- The real data sets of issue 10, read from $PMED_SHARED_DATA (default
-- ../shared/data relative to the repository root) at test or benchmark time
-- and never stored in the repository (see their SOURCE.md).  Sets
-- beats_present / icu_present; when present, creates the temp tables
--   nn_beats(id, record, aami, label, rr_prev, rr_next, rr_local, signal float8[180])
--   nn_icu(stay_id, death, hours float8[48][37])   (NULL = not measured; stays
--   with no measurement at all are left out)
\ir ../shared_data.sql
\set beats_file :pmed_shared '/mitbih-beats/beats.csv'
\set icu_hourly :pmed_shared '/physionet2012/hourly.csv'
\set icu_stays :pmed_shared '/physionet2012/stays.csv'
\set beats_present `test -r :'beats_file' && echo true || echo false`
\set icu_present `test -r :'icu_hourly' && test -r :'icu_stays' && echo true || echo false`
\if :beats_present
CREATE TEMP TABLE nn_beats (id bigint, record int, sample int, symbol text, label int, aami text,
                            rr_prev float8, rr_next float8, rr_local float8, signal float8[]);
\set beats_copy '\\copy nn_beats FROM ' :'beats_file' ' WITH (FORMAT csv, HEADER true)'
:beats_copy
\endif
\if :icu_present
CREATE TEMP TABLE nn_icu_hourly (stay_id int, hour int, alp float8, alt float8, ast float8, albumin float8,
    bun float8, bilirubin float8, cholesterol float8, creatinine float8, diasabp float8, fio2 float8,
    gcs float8, glucose float8, hco3 float8, hct float8, hr float8, k float8, lactate float8, map float8,
    mechvent float8, mg float8, nidiasabp float8, nimap float8, nisysabp float8, na float8, paco2 float8,
    pao2 float8, platelets float8, resprate float8, sao2 float8, sysabp float8, temp float8,
    troponini float8, troponint float8, urine float8, wbc float8, weight float8, ph float8);
\set icu_copy '\\copy nn_icu_hourly FROM ' :'icu_hourly' ' WITH (FORMAT csv, HEADER true)'
:icu_copy
CREATE TEMP TABLE nn_icu_stays (stay_id int, age float8, gender float8, height float8, weight float8,
    icu_type int, saps_i float8, sofa float8, length_of_stay float8, survival float8, in_hospital_death int);
\set icu_copy2 '\\copy nn_icu_stays FROM ' :'icu_stays' ' WITH (FORMAT csv, HEADER true)'
:icu_copy2
-- one sequence per stay: 48 hourly steps x 37 measurements, NULL = not measured
CREATE TEMP TABLE nn_icu AS
SELECT s.stay_id, s.in_hospital_death = 1 AS death,
       array_agg(ARRAY[alp, alt, ast, albumin, bun, bilirubin, cholesterol, creatinine, diasabp, fio2,
                       gcs, glucose, hco3, hct, hr, k, lactate, map, mechvent, mg, nidiasabp, nimap,
                       nisysabp, na, paco2, pao2, platelets, resprate, sao2, sysabp, temp, troponini,
                       troponint, urine, wbc, h.weight, ph] ORDER BY h.hour) AS hours
FROM nn_icu_stays s JOIN nn_icu_hourly h USING (stay_id)
GROUP BY s.stay_id, s.in_hospital_death
-- a few stays have no measurement at all in 48 hours: a sequence without values is an error
HAVING count(coalesce(alp, alt, ast, albumin, bun, bilirubin, cholesterol, creatinine, diasabp, fio2,
                      gcs, glucose, hco3, hct, hr, k, lactate, map, mechvent, mg, nidiasabp, nimap,
                      nisysabp, na, paco2, pao2, platelets, resprate, sao2, sysabp, temp, troponini,
                      troponint, urine, wbc, h.weight, ph)) > 0;
\endif
