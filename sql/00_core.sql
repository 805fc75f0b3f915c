-- The foundation: baseline training end to end, model_info, the golden
-- model, bad input.  Volatile fields (training time, checksums of models
-- that contain it) are left out of the output.
\i data/wdbc/load.sql
SELECT count(*), count(*) FILTER (WHERE diagnosis = 'malignant') AS malignant FROM wdbc;

-- Classification: priors, majority class, positive class = greatest label.
CREATE TABLE m AS SELECT pmed.baseline_train(features, diagnosis) AS model FROM wdbc;
SELECT pmed.model_info(model) - 'training_seconds' - 'crc32c' FROM m;
SELECT DISTINCT pmed.predict_label(model, features), round(pmed.predict_proba(model, features)::numeric, 6),
       round(pmed.predict_proba(model, features, 'benign')::numeric, 6), pmed.predict(model, features)
FROM m, wdbc;

-- Boolean and integer labels; "positive" option.
SELECT pmed.predict(pmed.baseline_train(features, diagnosis = 'malignant'), ARRAY[1,2,3]::float8[]) AS bool_class,
       pmed.predict(pmed.baseline_train(features, diagnosis <> 'malignant'), ARRAY[1,2,3]::float8[]) AS bool_true,
       pmed.predict_label(pmed.baseline_train(features, diagnosis <> 'malignant'), ARRAY[1,2,3]::float8[]) AS bool_label,
       pmed.predict(pmed.baseline_train(features, (diagnosis = 'malignant')::int * 7), ARRAY[1,2,3]::float8[]) AS int_class,
       round(pmed.predict_proba(pmed.baseline_train(features, diagnosis, '{"positive": "benign"}'), ARRAY[1,2,3]::float8[])::numeric, 6) AS p_benign
FROM (VALUES (ARRAY[1,2,3]::float8[], 'malignant'), (ARRAY[4,5,6]::float8[], 'benign'),
             (ARRAY[7,8,9]::float8[], 'benign')) AS t(features, diagnosis);

-- Regression: the mean; NULL rows are skipped and counted.
SELECT pmed.predict(model, ARRAY[0, 0]::float8[]) AS mean,
       pmed.model_info(model) -> 'rows_used' AS used, pmed.model_info(model) -> 'rows_skipped' AS skipped,
       pmed.model_info(model) ->> 'task' AS task
FROM (SELECT pmed.baseline_train(f, y) AS model
      FROM (VALUES (ARRAY[1, NULL]::float8[], 1.5::float8), (ARRAY[2, 3]::float8[], 2.5),
                   (NULL, 100), (ARRAY[4, 5]::float8[], NULL), (ARRAY[6, 7]::float8[], 5.0)) AS t(f, y)) s;

-- explain: base_value plus contributions equals the output.
SELECT feature, name, value, round(contribution::numeric, 6) AS contribution
FROM m, pmed.explain(model, (SELECT features FROM wdbc WHERE id = 1)) WHERE feature <= 2;
SELECT count(*), sum(importance) FROM m, pmed.feature_importance(model);

-- One model per group, with WHERE and FILTER.
SELECT id % 2 AS half, round(pmed.predict_proba(pmed.baseline_train(features, diagnosis), ARRAY[0]::float8[] || array_fill(0::float8, ARRAY[29]))::numeric, 4)
FROM wdbc WHERE id <= 100 GROUP BY 1 ORDER BY 1;
SELECT pmed.model_info(pmed.baseline_train(features, diagnosis) FILTER (WHERE id < 30)) -> 'classes' FROM wdbc;

-- No rows: NULL, as for avg().
SELECT pmed.baseline_train(features, diagnosis) IS NULL AS no_model FROM wdbc WHERE false;

-- The committed golden model (format version 1) decodes unchanged.
\set golden `cat test/golden/baseline_wdbc_v1.hex`
SELECT pmed.model_info(:'golden'::bytea) - 'training_seconds' - 'feature_names';
SELECT pmed.model_info(:'golden'::bytea) -> 'feature_names' -> 29;
SELECT round(pmed.predict_proba(:'golden'::bytea, features)::numeric, 6) FROM wdbc WHERE id = 1;

-- Bad input: each a clear ERROR with its SQLSTATE.
\set VERBOSITY sqlstate
SELECT pmed.baseline_train(features, diagnosis, '{"bogus": 1}') FROM wdbc;
\set VERBOSITY default
SELECT pmed.baseline_train(features, diagnosis, '{"bogus": 1}') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '[1, 2]') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '{"task": "clustering"}') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '{"task": "regression"}') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '{"positive": "unknown"}') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '{"feature_names": ["a"]}') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '{"seed": "x"}') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '{"seed": 1.5}') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '{"feature_names": "radius"}') FROM wdbc;
SELECT pmed.baseline_train(features, diagnosis, '{"positive": 1}') FROM wdbc;
SELECT pmed.baseline_train(features, 'benign'::text) FROM wdbc;
SELECT pmed.baseline_train(f, 1) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1]::float8[])) t(f);
SELECT pmed.baseline_train(ARRAY[]::float8[], 1);
SELECT pmed.baseline_train(ARRAY[[1, 2], [3, 4]]::float8[], 1);
SELECT pmed.baseline_train(ARRAY[1, 'NaN']::float8[], 1);
SELECT pmed.baseline_train(ARRAY[1, 'Infinity']::float8[], 1);
SELECT pmed.baseline_train(ARRAY[NULL, NULL]::float8[], 1);
SELECT pmed.baseline_train(ARRAY[1]::float8[], 'NaN'::float8);
SELECT pmed.baseline_train(ARRAY[1]::float8[], y) FROM (VALUES (NULL::int), (NULL)) t(y);
SELECT pmed.predict(model, ARRAY[1, 2]::float8[]) FROM m;
SELECT pmed.predict(model, ARRAY[]::float8[]) FROM m;
SELECT pmed.predict(model, array_fill('NaN'::float8, ARRAY[30])) FROM m;
SELECT pmed.predict_proba(model, features, 'unknown') FROM m, wdbc WHERE id = 1;
SELECT pmed.predict_proba(pmed.baseline_train(ARRAY[1]::float8[], y), ARRAY[1]::float8[])
FROM (VALUES (1.5::float8), (2.5)) t(y);
SELECT pmed.predict_proba(pmed.baseline_train(ARRAY[1]::float8[], y), ARRAY[1]::float8[])
FROM (VALUES ('a'), ('b'), ('c')) t(y);
SELECT pmed.predict(pmed.baseline_train(ARRAY[1]::float8[], y), ARRAY[1]::float8[])
FROM (VALUES ('a'), ('b'), ('c')) t(y);

-- NULL in, NULL out (STRICT); other types are refused by the parser, and
-- integer arrays are accepted through the implicit cast.
SELECT pmed.predict(NULL, ARRAY[1, 2]::float8[]) IS NULL AS null_model,
       pmed.predict(model, NULL::float8[]) IS NULL AS null_features,
       pmed.predict_label(NULL, NULL::float8[]) IS NULL AS both_null,
       pmed.model_info(NULL) IS NULL AS null_info,
       (SELECT count(*) FROM pmed.explain(NULL, ARRAY[1]::float8[])) AS explain_rows
FROM m;
SELECT pmed.predict_label(model, array_fill(1, ARRAY[30])) AS int_array FROM m;
\set VERBOSITY sqlstate
SELECT pmed.predict(model, 'not an array'::text) FROM m;
SELECT pmed.model_info(42);
SELECT pmed.baseline_train(ARRAY['a']::text[], 1);
\set VERBOSITY default

-- Corrupt models: truncated, bad magic, a flipped version byte or payload
-- byte (checksum), trailing bytes.
SELECT pmed.model_info('\x'::bytea);
SELECT pmed.model_info(substr(model, 1, 30)) FROM m;
SELECT pmed.model_info('\x00' || substr(model, 2)) FROM m;
SELECT pmed.model_info(overlay(model placing '\x63'::bytea from 5 for 1)) FROM m;
SELECT pmed.model_info(overlay(model placing '\xff'::bytea from 100 for 1)) FROM m;
SELECT pmed.model_info(model || '\x00'::bytea) FROM m;
SELECT pmed.predict(overlay(model placing '\xff'::bytea from 100 for 1), features) FROM m, wdbc WHERE id = 1;
-- The server is still up and the data intact.
SELECT count(*) FROM wdbc;
DROP TABLE m;
