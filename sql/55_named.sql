-- Training, predicting and explaining from named values (a jsonb object or
-- a composite row): the SQL surface, the encoding rules as the model
-- applies them, and every bad input with its SQLSTATE.
\set VERBOSITY terse
CREATE FUNCTION nf_err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TYPE nf_ward AS ENUM ('icu', 'medicine', 'surgery', 'oncology', 'rare');
CREATE TABLE nf_patients (
    id int, age int, creatinine numeric, sex text, ward nf_ward, smoker boolean,
    admitted date, dx text[], died boolean
);
-- 400 rows; ward 'rare' in 3 rows (pooled into "other" at min_category_count 10),
-- code Z99 in 4 rows (pooled), creatinine NULL in every 6th row.
INSERT INTO nf_patients
SELECT i, 30 + i % 60,
       CASE WHEN i % 6 = 0 THEN NULL ELSE round(0.5 + (i % 17) * 0.1, 1) END,
       CASE WHEN i % 3 = 0 THEN 'F' ELSE 'M' END,
       CASE WHEN i IN (5, 50, 150) THEN 'rare' ELSE (ARRAY['icu', 'medicine', 'surgery', 'oncology'])[1 + i % 4] END::nf_ward,
       i % 5 = 0,
       date '2020-01-01' + i,
       CASE WHEN i % 7 = 0 THEN NULL ELSE
           ARRAY[CASE WHEN i % 2 = 0 THEN 'I10' ELSE 'E11' END]
           || CASE WHEN i % 3 = 0 THEN ARRAY['N18'] ELSE '{}' END
           || CASE WHEN i IN (1, 2, 3, 4) THEN ARRAY['Z99'] ELSE '{}' END END,
       (30 + i % 60 > 60) OR (i % 4 = 0 AND i % 3 = 0)
FROM generate_series(1, 400) i;

-- Train from jsonb and from a composite row (a LATERAL subquery names the columns).
CREATE TABLE nf_models AS
SELECT (SELECT pmed.forest_train(to_jsonb(p) - '{id,died}'::text[], died, '{"seed": 7, "trees": 20}') FROM nf_patients p) AS forest_jsonb,
       (SELECT pmed.forest_train(x, p.died, '{"seed": 7, "trees": 20}') FROM nf_patients p,
               LATERAL (SELECT p.age, p.creatinine, p.sex, p.ward, p.smoker, p.admitted, p.dx) x) AS forest_row,
       (SELECT pmed.svm_train(to_jsonb(p) - '{id,died}'::text[], died, '{"probability": true, "seed": 7}') FROM nf_patients p) AS svm,
       (SELECT pmed.baseline_train(to_jsonb(p) - '{id,died}'::text[], died) FROM nf_patients p) AS baseline;

-- The same rows as jsonb and as a row give the same model parameters.
SELECT pmed.model_info(forest_jsonb)->>'parameters_crc32c' = pmed.model_info(forest_row)->>'parameters_crc32c' AS same_forest
FROM nf_models;

-- The input schema: every column, its kind, levels, pooled levels, missing rows.
SELECT c->>'name' AS name, c->>'kind' AS kind, c->>'encoded_width' AS width,
       c->>'missing_rows' AS missing, c->>'levels_kept' AS kept, c->>'levels_pooled' AS pooled,
       c->>'other_rows' AS other_rows, c->'levels' AS levels
FROM nf_models, jsonb_array_elements(pmed.model_info(svm)->'input_schema'->'columns') c;
SELECT i - 'columns'::text AS rules FROM nf_models, LATERAL (SELECT pmed.model_info(forest_jsonb)->'input_schema' AS i) s;
SELECT pmed.model_info(svm)->'input_schema'->>'missing_values' AS svm_missing,
       pmed.model_info(forest_jsonb)->'n_features' AS encoded_features,
       pmed.model_info(forest_jsonb)->'feature_names' AS encoded_names
FROM nf_models;

-- Scoring from jsonb and from rows: identical; an unknown key is ignored;
-- a key left out is a missing value like JSON null.
SELECT count(*) AS rows,
       count(*) FILTER (WHERE pmed.predict_proba(forest_jsonb, to_jsonb(p) - 'id'::text)
                           = pmed.predict_proba(forest_jsonb, x)) AS row_form_same,
       count(*) FILTER (WHERE pmed.predict_proba(forest_jsonb, to_jsonb(p) || '{"unknown_key": "x"}')
                           = pmed.predict_proba(forest_jsonb, to_jsonb(p))) AS unknown_ignored,
       count(*) FILTER (WHERE pmed.predict_proba(svm, to_jsonb(p) - 'creatinine'::text)
                           = pmed.predict_proba(svm, jsonb_set(to_jsonb(p), '{creatinine}', 'null'))) AS absent_is_null,
       count(*) FILTER (WHERE pmed.predict_label(forest_jsonb, to_jsonb(p)) = died::text) > 300 AS forest_fits,
       count(*) FILTER (WHERE pmed.predict(svm, x) = died::int) > 300 AS svm_fits,
       count(*) FILTER (WHERE abs(pmed.predict_proba(svm, x, 'true') - pmed.predict_proba(svm, x)) < 1e-15) AS proba_label_same
FROM nf_models, nf_patients p,
     LATERAL (SELECT p.age, p.creatinine, p.sex, p.ward, p.smoker, p.admitted, p.dx) x;

-- An unseen level and an unseen code count as "other"; dates may come as text.
SELECT pmed.predict_proba(forest_jsonb, '{"ward": "never seen", "dx": ["X00"], "age": 70}'::jsonb)
     = pmed.predict_proba(forest_jsonb, '{"ward": "rare", "dx": ["Z99"], "age": 70}'::jsonb) AS unseen_is_other,
       pmed.predict_proba(svm, '{"admitted": "2020-06-01", "age": 70}'::jsonb)
     = pmed.predict_proba(svm, jsonb_build_object('admitted', date '2020-06-01', 'age', 70)) AS date_text
FROM nf_models;

-- unseen_columns: the columns whose value the model did not know ("other":
-- pooled or never seen), then the keys it ignores ('+' name); NULL and
-- absent values are missing, not unseen.  Counted with plain SQL.
SELECT pmed.unseen_columns(forest_jsonb, '{"ward": "never seen", "dx": ["X00", "I10"], "age": 70, "zz": 1, "aa": null}'::jsonb) AS jsonb_form,
       pmed.unseen_columns(forest_jsonb, '{"ward": "rare", "sex": null}'::jsonb) AS pooled_level,
       pmed.unseen_columns(svm, '{"ward": "icu", "dx": [], "age": 70}'::jsonb) AS all_known,
       pmed.unseen_columns(svm, '{}'::jsonb) AS empty_row,
       pmed.unseen_columns(svm, x) AS row_form
FROM nf_models, LATERAL (SELECT 'oncology'::nf_ward AS ward, '{Q1}'::text[] AS dx, 3 AS extra) x;
SELECT count(*) AS patients,
       count(*) FILTER (WHERE cardinality(pmed.unseen_columns(forest_jsonb, to_jsonb(p) - '{id,died}'::text[])) > 0) AS with_other,
       count(*) FILTER (WHERE 'ward' = ANY (pmed.unseen_columns(forest_jsonb, to_jsonb(p) - '{id,died}'::text[]))) AS ward_other,
       count(*) FILTER (WHERE 'dx' = ANY (pmed.unseen_columns(forest_jsonb, to_jsonb(p) - '{id,died}'::text[]))) AS dx_other,
       count(*) FILTER (WHERE pmed.unseen_columns(forest_jsonb, to_jsonb(p) - 'died'::text) = '{+id}') AS only_id,
       count(*) FILTER (WHERE pmed.unseen_columns(forest_jsonb, to_jsonb(p) - '{id,died}'::text[])
                            = pmed.unseen_columns(forest_jsonb, x)) AS row_form_same
FROM nf_models, nf_patients p,
     LATERAL (SELECT p.age, p.creatinine, p.sex, p.ward, p.smoker, p.admitted, p.dx) x;
SELECT nf_err($$SELECT pmed.unseen_columns(forest_jsonb, '{"age": "old"}'::jsonb) FROM nf_models$$) AS wrong_type,
       nf_err($$SELECT pmed.unseen_columns(pmed.forest_train(ARRAY[x], x > 2, '{"trees": 1}'), '{}'::jsonb) FROM generate_series(1, 5) x$$) AS float8_model;

-- explain: one row per input column, the value as text, one-hot and
-- multi-hot parts summed; base + contributions = the prediction exactly
-- (forest TreeSHAP) and to rounding (linear SVM decision).
SELECT feature, name, value, round(contribution::numeric, 6) AS contribution
FROM nf_models, nf_patients p, pmed.explain(forest_jsonb, to_jsonb(p)) e
WHERE p.id = 150 ORDER BY feature;
SELECT count(*) AS patients,
       count(*) FILTER (WHERE abs(s - pmed.predict_proba(m.forest_jsonb, to_jsonb(p))) < 1e-12) AS sums_exactly
FROM nf_models m, nf_patients p,
     LATERAL (SELECT sum(contribution) AS s FROM pmed.explain(m.forest_jsonb, to_jsonb(p))) e;
SELECT count(*) AS rows, count(DISTINCT name) AS columns
FROM nf_models, nf_patients p,
     LATERAL (SELECT p.age, p.creatinine, p.sex, p.ward, p.smoker, p.admitted, p.dx) x,
     pmed.explain(svm, x) e
WHERE p.id <= 3;

-- a linear SVM's explanation sums to its decision value (svm_decision, also from named values)
SELECT count(*) AS patients,
       count(*) FILTER (WHERE abs(s - pmed.svm_decision(l.m, to_jsonb(p))) < 1e-9
                          AND pmed.svm_decision(l.m, to_jsonb(p)) = pmed.svm_decision(l.m, x)) AS linear_svm_sums_to_decision
FROM (SELECT pmed.svm_train(to_jsonb(p) - '{id,died}'::text[], died, '{"kernel": "linear"}') AS m FROM nf_patients p) l,
     nf_patients p, LATERAL (SELECT p.age, p.creatinine, p.sex, p.ward, p.smoker, p.admitted, p.dx) x,
     LATERAL (SELECT sum(contribution) AS s FROM pmed.explain(l.m, to_jsonb(p))) e;

-- feature_importance per input column.
SELECT feature, name, importance > 0 AS used FROM nf_models, pmed.feature_importance(forest_jsonb) ORDER BY feature;

-- min_category_count: 1 keeps every level (ward 'rare', code Z99).
SELECT c->>'name' AS name, c->>'levels_kept' AS kept, c->>'levels_pooled' AS pooled
FROM (SELECT pmed.model_info(pmed.forest_train(to_jsonb(p) - '{id,died}'::text[], died,
                                               '{"trees": 2, "min_category_count": 1}')) AS i
      FROM nf_patients p) s, jsonb_array_elements(i->'input_schema'->'columns') c
WHERE c->>'kind' IN ('category', 'codes');

-- Partial states of named rows merge into the same model, in any grouping,
-- and so does a plan with parallel workers.
SELECT pmed.model_info(pmed.train_from_partials(s))->>'parameters_crc32c'
     = (SELECT pmed.model_info(forest_jsonb)->>'parameters_crc32c' FROM nf_models) AS partials_same
FROM (SELECT pmed.forest_train_partial(to_jsonb(p) - '{id,died}'::text[], died, '{"seed": 7, "trees": 20}') AS s
      FROM nf_patients p GROUP BY id % 3) t;
SELECT pmed.model_info(pmed.train_from_partials(s, 'forest'))->>'parameters_crc32c'
     = (SELECT pmed.model_info(forest_jsonb)->>'parameters_crc32c' FROM nf_models) AS train_partial_same
FROM (SELECT pmed.train_partial(x, p.died, '{"seed": 7, "trees": 20}') AS s
      FROM nf_patients p, LATERAL (SELECT p.age, p.creatinine, p.sex, p.ward, p.smoker, p.admitted, p.dx) x
      GROUP BY id % 4) t;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT pmed.model_info(pmed.forest_train(to_jsonb(p) - '{id,died}'::text[], died, '{"seed": 7, "trees": 20}'))->>'parameters_crc32c'
     = (SELECT pmed.model_info(forest_jsonb)->>'parameters_crc32c' FROM nf_models) AS parallel_same
FROM nf_patients p;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Bad input: each a clear error with its SQLSTATE.
SELECT nf_err($$SELECT pmed.forest_train('[1, 2]'::jsonb, true)$$) AS not_an_object;
SELECT nf_err($$SELECT pmed.forest_train('{"a": {"b": 1}}'::jsonb, true)$$) AS nested_object;
SELECT nf_err($$SELECT pmed.svm_train('{"a": ["x", 1]}'::jsonb, true)$$) AS mixed_array;
SELECT nf_err($$SELECT pmed.forest_train(x, true) FROM (VALUES ('NaN'::float8)) v(a), LATERAL (SELECT a) x$$) AS nan_row;
SELECT nf_err($$SELECT pmed.forest_train(x, true) FROM (VALUES ('-Infinity'::numeric)) v(a), LATERAL (SELECT a) x$$) AS infinity_row;
SELECT nf_err($$SELECT pmed.forest_train(j, i > 1) FROM (VALUES ('{"a": 1}'::jsonb, 1), ('{"a": "x"}', 2)) v(j, i)$$) AS type_change;
SELECT nf_err($$SELECT pmed.forest_train(jsonb_build_object('a', repeat('x', 1000000)), true)$$) AS level_of_1mb;
SELECT nf_err($$SELECT pmed.svm_train(jsonb_build_object('c', jsonb_build_array('c' || i, 'd' || i)), i % 2 = 0,
                                     '{"min_category_count": 1}') FROM generate_series(1, 50001) i$$) AS too_many_columns;
SELECT nf_err($$SELECT pmed.forest_train(jsonb_build_object('a', i), i > 5, '{"min_category_count": 0}') FROM generate_series(1, 10) i$$) AS bad_min_count;
SELECT nf_err($$SELECT pmed.forest_train(ARRAY[i]::float8[], i > 5, '{"min_category_count": 3}') FROM generate_series(1, 10) i$$) AS min_count_float8;
SELECT nf_err($$SELECT pmed.forest_train(jsonb_build_object('a', i), i > 5, '{"feature_names": ["a"]}') FROM generate_series(1, 10) i$$) AS names_given;
SELECT nf_err($$SELECT pmed.predict_proba(forest_jsonb, '{"age": "old"}'::jsonb) FROM nf_models$$) AS wrong_type_at_prediction;
SELECT nf_err($$SELECT pmed.predict(svm, '{"dx": "I10"}'::jsonb) FROM nf_models$$) AS string_for_codes;
SELECT nf_err($$SELECT pmed.predict(svm, '{"age": "NaN"}'::jsonb) FROM nf_models$$) AS nan_text_for_number;
SELECT nf_err($$SELECT pmed.predict(svm, '{"sex": ["F"]}'::jsonb) FROM nf_models$$) AS list_for_category;
SELECT nf_err($$SELECT pmed.predict_proba(forest_jsonb, ARRAY[1, 2]::float8[]) FROM nf_models$$) AS float8_for_named;
SELECT nf_err($$SELECT * FROM nf_models, pmed.explain(forest_jsonb, ARRAY[1, 2]::float8[])$$) AS explain_float8_for_named;
SELECT nf_err($$SELECT pmed.predict_proba(pmed.forest_train(ARRAY[i]::float8[], i > 5), '{"a": 1}'::jsonb) FROM generate_series(1, 10) i$$) AS named_for_float8;
SELECT nf_err($$SELECT pmed.train_from_partials(s, 'forest') FROM (
    SELECT pmed.train_partial('{"a": 1}'::jsonb, true) AS s UNION ALL
    SELECT pmed.train_partial(ARRAY[1]::float8[], false)) t$$) AS mixed_partials;
SELECT nf_err($$SELECT pmed.forest_train(j, i > 1) FROM (VALUES ('{}'::jsonb, 1), ('{}', 2)) v(j, i)$$) AS no_values;

-- A damaged ENCD section is refused like any damaged model (XX001): a
-- flipped byte inside it, and the model cut inside it.
SELECT nf_err(format($$SELECT pmed.model_info(%L::bytea)$$,
                     set_byte(forest_jsonb, position('\x454e4344'::bytea IN forest_jsonb) + 12,
                              get_byte(forest_jsonb, position('\x454e4344'::bytea IN forest_jsonb) + 12) # 16)))
       AS flipped_in_encd,
       nf_err(format($$SELECT pmed.predict(%L::bytea, '{"age": 1}'::jsonb)$$,
                     substr(forest_jsonb, 1, position('\x454e4344'::bytea IN forest_jsonb) + 20)))
       AS cut_in_encd
FROM nf_models;

DROP TABLE nf_models;
DROP TABLE nf_patients;
DROP TYPE nf_ward;
DROP FUNCTION nf_err(text);
