-- Features as a row of named values: SQL values (jsonb objects, composite
-- rows) through the whole encoding path.  pmed_encoding_debug is a C entry
-- point for tests only (not part of the extension): it learns an encoding
-- from its first array and encodes its second array for scoring.
\set VERBOSITY terse
CREATE FUNCTION enc_debug(anyarray, anyarray, int, bool) RETURNS jsonb
    AS '$libdir/pmed', 'pmed_encoding_debug' LANGUAGE C STRICT;
CREATE FUNCTION enc_err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TYPE enc_admission AS ENUM ('emergency', 'elective', 'urgent', 'newborn');
CREATE DOMAIN enc_score AS numeric CHECK (VALUE >= 0);
CREATE TABLE enc_patients (
    id int, age int, weight float8, creatinine numeric, score enc_score,
    sex text, admission enc_admission, ward varchar(10), smoker boolean,
    admitted date, seen timestamptz, dx text[], drugs bigint[]
);
-- 40 rows; newborn only in 2 rows and dx Z99 in one row: pooled at the default min count 10.
INSERT INTO enc_patients
SELECT i, 20 + i, 60.5 + i, CASE WHEN i % 5 = 0 THEN NULL ELSE 0.5 + 0.1 * i END, i % 7,
       CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
       CASE WHEN i IN (3, 7) THEN 'newborn' ELSE (ARRAY['emergency', 'elective', 'urgent'])[i % 3 + 1] END::enc_admission,
       'w' || (i % 2), i % 3 = 0,
       date '2020-01-01' + i, timestamptz '2020-01-01 12:00:00+00' + i * interval '1 day',
       ARRAY[CASE WHEN i % 2 = 0 THEN 'I10' ELSE 'E11' END]
           || CASE WHEN i % 3 = 0 THEN ARRAY['N18'] ELSE '{}' END
           || CASE WHEN i = 5 THEN ARRAY['Z99'] ELSE '{}' END,
       ARRAY[1000 + i % 2, NULL]
FROM generate_series(0, 39) i;

-- From composite rows: every SQL type maps to its kind; columns in name order.
CREATE VIEW enc_view AS
SELECT age, weight, creatinine, score, sex, admission, ward, smoker, admitted, seen, dx, drugs
FROM enc_patients;
CREATE TABLE enc_rows AS
SELECT enc_debug(array_agg(v ORDER BY age), ARRAY(SELECT v FROM enc_view v WHERE age IN (23, 25) ORDER BY age), 10, false) AS d
FROM enc_view v;
SELECT c->>'name' AS name, c->>'kind' AS kind, c->>'missing_rows' AS missing,
       c->>'encoded_from' AS from, c->>'encoded_width' AS width, c->'levels' AS levels,
       c->>'levels_pooled' AS pooled, c->>'other_rows' AS other_rows
FROM enc_rows, jsonb_array_elements(d->'schema'->'columns') c;
SELECT d->'schema'->>'encoded_features' AS encoded, d->'schema'->>'min_category_count' AS min_count,
       d->'schema'->>'unseen_levels' AS unseen
FROM enc_rows;
-- Row 3 (newborn: other) and row 5 (creatinine NULL, dx with a pooled code) for scoring:
-- dates are days since 1970-01-01 UTC (2020-01-04 is day 18265; 12:00 adds 0.5).
SELECT d->'score'->0 AS row3, d->'score'->1 AS row5 FROM enc_rows;
SELECT d->'status' AS status, d->'stats' AS stats, d->'values'->0 AS row3_values FROM enc_rows;
-- The training rows encode as scoring does.
SELECT d->'train'->3 = d->'score'->0 AND d->'train'->5 = d->'score'->1 AS same FROM enc_rows;

-- The same rows as jsonb (to_jsonb turns dates into ISO text: recognised as dates).
CREATE TABLE enc_json AS
SELECT enc_debug(array_agg(to_jsonb(p) - 'id' ORDER BY id),
                 ARRAY['{"age": 61, "sex": "X", "admission": "transfer", "dx": ["I10", "C50"], "unknown": 1, "admitted": "2020-01-11", "smoker": null}'::jsonb],
                 10, false) AS d
FROM enc_patients p;
SELECT c->>'name' AS name, c->>'kind' AS kind, c->>'encoded_width' AS width, c->'levels' AS levels
FROM enc_json, jsonb_array_elements(d->'schema'->'columns') c;
SELECT d->'score'->0 AS scored, d->'status'->0 AS status, d->'stats' AS stats FROM enc_json;
-- jsonb and composite rows give the same encoding of the same table.
SELECT (SELECT d->'train' FROM enc_json) = (SELECT d->'train' FROM enc_rows) AS same_dense_rows;

-- Native categories (forests): one column holding the level index; other = number of levels.
SELECT d->'schema'->>'categories' AS categories, d->'schema'->>'encoded_features' AS encoded,
       d->'score'->0->0 AS admission_of_row3
FROM (SELECT enc_debug(array_agg(p), ARRAY(SELECT q FROM (SELECT admission FROM enc_patients WHERE id = 3) q), 10, true) AS d
      FROM (SELECT admission FROM enc_patients) p) s;
-- min_category_count 1 keeps every level.
SELECT d->'schema'->'columns'->0->'levels' AS levels
FROM (SELECT enc_debug(array_agg(p), ARRAY[]::record[], 1, false) AS d
      FROM (SELECT admission FROM enc_patients) p) s;

-- Bad input: clear errors with the right SQLSTATE.
SELECT enc_err($$SELECT enc_debug(ARRAY['[1, 2]'::jsonb], '{}'::jsonb[], 10, false)$$) AS non_object;
SELECT enc_err($$SELECT enc_debug(ARRAY['3'::jsonb], '{}'::jsonb[], 10, false)$$) AS scalar;
SELECT enc_err($$SELECT enc_debug(ARRAY['{"a": {"b": 1}}'::jsonb], '{}'::jsonb[], 10, false)$$) AS nested_object;
SELECT enc_err($$SELECT enc_debug(ARRAY['{"a": ["x", 1]}'::jsonb], '{}'::jsonb[], 10, false)$$) AS mixed_array;
SELECT enc_err($$SELECT enc_debug(ARRAY['{"a": [["x"]]}'::jsonb], '{}'::jsonb[], 10, false)$$) AS nested_array;
SELECT enc_err($$SELECT enc_debug(ARRAY['{"a": [true]}'::jsonb], '{}'::jsonb[], 10, false)$$) AS boolean_array;
SELECT enc_err($$SELECT enc_debug(ARRAY['{"a": [1.5]}'::jsonb], '{}'::jsonb[], 10, false)$$) AS fractional_code;
SELECT enc_err($$SELECT enc_debug(ARRAY['{"a": 1}'::jsonb, '{"a": "one"}'], '{}'::jsonb[], 10, false)$$) AS kind_change;
SELECT enc_err($$SELECT enc_debug(ARRAY[jsonb_build_object('note', repeat('x', 1048576))], '{}'::jsonb[], 10, false)$$) AS one_mb_level;
SELECT enc_err($$SELECT enc_debug(ARRAY[jsonb_build_object('dx', ARRAY[repeat('x', 2000)])], '{}'::jsonb[], 10, false)$$) AS long_code;
SELECT enc_err($$SELECT enc_debug(ARRAY['{"age": 1}'::jsonb], ARRAY['{"age": "old"}'::jsonb], 10, false)$$) AS wrong_kind_at_scoring;
SELECT enc_err($$SELECT enc_debug(ARRAY['{"d": "2020-01-01"}'::jsonb], ARRAY['{"d": "soon"}'::jsonb], 10, false)$$) AS not_a_date;
SELECT enc_err($$SELECT enc_debug(array_agg(p), array_agg(p), 10, false) FROM (SELECT 'NaN'::float8 AS x) p$$) AS nan;
SELECT enc_err($$SELECT enc_debug(array_agg(p), array_agg(p), 10, false) FROM (SELECT 'Infinity'::numeric AS x) p$$) AS infinite_numeric;
SELECT enc_err($$SELECT enc_debug(array_agg(p), array_agg(p), 10, false) FROM (SELECT 'infinity'::date AS d) p$$) AS infinite_date;
SELECT enc_err($$SELECT enc_debug(array_agg(p), array_agg(p), 10, false) FROM (SELECT point(1, 2) AS where_) p$$) AS unsupported_type;
SELECT enc_err($$SELECT enc_debug(array_agg(p), array_agg(p), 10, false) FROM (SELECT interval '1 day' AS stay) p$$) AS interval_type;
SELECT enc_err($$SELECT enc_debug(array_agg(p), array_agg(p), 10, false) FROM (SELECT 1 AS a, 2 AS a) p$$) AS duplicate_name;
-- A code list over 100,000 codes; more than 100,000 encoded columns.
SELECT enc_err($$SELECT enc_debug(ARRAY[jsonb_build_object('dx', (SELECT jsonb_agg(i::text) FROM generate_series(1, 100001) i))], '{}'::jsonb[], 1, false)$$) AS long_code_list;
SELECT enc_err($$SELECT enc_debug(ARRAY[jsonb_build_object('dx', (SELECT jsonb_agg(i::text) FROM generate_series(1, 60000) i)),
                                        jsonb_build_object('dx', (SELECT jsonb_agg(i::text) FROM generate_series(60001, 120000) i))],
                                  '{}'::jsonb[], 1, false)$$) AS too_many_columns;
-- The same codes pooled at min_category_count 2 fit: only the "other" column is left.
SELECT d->'schema'->'encoded_features' AS encoded, d->'schema'->'columns'->0->'levels_pooled' AS pooled
FROM (SELECT enc_debug(ARRAY[jsonb_build_object('dx', (SELECT jsonb_agg(i::text) FROM generate_series(1, 60000) i)),
                             jsonb_build_object('dx', (SELECT jsonb_agg(i::text) FROM generate_series(60001, 120000) i))],
                       '{}'::jsonb[], 2, false) AS d) s;

DROP FUNCTION enc_debug(anyarray, anyarray, int, bool);
DROP FUNCTION enc_err(text);
DROP TABLE enc_rows, enc_json;
DROP VIEW enc_view;
DROP TABLE enc_patients;
DROP DOMAIN enc_score;
DROP TYPE enc_admission;
