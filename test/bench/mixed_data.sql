-- Benchmark data for features given as named values (issue 9): 100,000
-- rows x 30 mixed columns, in three forms of the same features:
--   bench_mixed          the table as a clinician has it (typed columns)
--   bench_mixed.features to_jsonb of those columns (the jsonb path)
--   bench_mixed.x        the same features hand-encoded as float8[]
--                        (booleans 0/1, dates as days since 1970-01-01,
--                        categories one-hot, codes multi-hot), the path
--                        jsonb training is compared against.
-- Columns: 20 numbers (lab values, some NULL), 2 booleans, 5 categories with
-- 5, 10, 20, 35 and 50 levels (skewed), 1 date, 1 code list (ICD-like codes
-- from a vocabulary of 300, Zipf-like, 0-5 per row), 1 integer (age).
-- The label depends on numbers, categories and codes, so held-out AUC is
-- meaningful.  Deterministic: setseed fixes random().
--
-- Usage: psql -f test/bench/mixed_data.sql   (about 30 s; ~150 MB)
--        rows: SELECT count(*) FROM bench_mixed;  -- 100000
--        held out: pmed.fold(id, 5) = 0
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_mixed;
DROP TABLE IF EXISTS bench_mixed_raw;
DROP TABLE IF EXISTS bench_mixed_vocab;
RESET client_min_messages;

SELECT setseed(0.42);

CREATE TABLE bench_mixed_raw AS
SELECT i AS id,
       (40 + 50 * random())::int AS age,
       -- 20 lab values; every fourth one is NULL in ~10% of rows
       CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 4 - 2)::numeric, 3) END AS lab01,
       round((random() * 4 - 2)::numeric, 3) AS lab02,
       round((random() * 4 - 2)::numeric, 3) AS lab03,
       round((random() * 4 - 2)::numeric, 3) AS lab04,
       CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 4 - 2)::numeric, 3) END AS lab05,
       round((random() * 4 - 2)::numeric, 3) AS lab06,
       round((random() * 4 - 2)::numeric, 3) AS lab07,
       round((random() * 4 - 2)::numeric, 3) AS lab08,
       CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 4 - 2)::numeric, 3) END AS lab09,
       round((random() * 4 - 2)::numeric, 3) AS lab10,
       round((random() * 4 - 2)::numeric, 3) AS lab11,
       round((random() * 4 - 2)::numeric, 3) AS lab12,
       CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 4 - 2)::numeric, 3) END AS lab13,
       round((random() * 4 - 2)::numeric, 3) AS lab14,
       round((random() * 4 - 2)::numeric, 3) AS lab15,
       round((random() * 4 - 2)::numeric, 3) AS lab16,
       CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 4 - 2)::numeric, 3) END AS lab17,
       round((random() * 4 - 2)::numeric, 3) AS lab18,
       round((random() * 4 - 2)::numeric, 3) AS lab19,
       round((random() * 4 - 2)::numeric, 3) AS lab20,
       random() < 0.3 AS smoker,
       random() < 0.5 AS female,
       -- categories: level k with probability ~ 1/(k+1) (skewed), as text
       'adm' || floor(6 ^ random() - 1)::int AS admission,      -- 5 levels
       'ins' || floor(11 ^ random() - 1)::int AS insurance,           -- 10 levels
       'eth' || floor(21 ^ random() - 1)::int AS ethnicity,           -- 20 levels
       'unit' || floor(36 ^ random() - 1)::int AS care_unit,          -- 35 levels
       'srv' || floor(51 ^ random() - 1)::int AS service,             -- 50 levels
       date '2015-01-01' + (random() * 2000)::int AS admitted,
       ARRAY(SELECT DISTINCT 'D' || lpad(floor(300 ^ random())::int::text, 3, '0')
             FROM generate_series(1, (random() * 5)::int + 0 * i)) AS dx
FROM generate_series(1, 100000) i;

-- The label: a logistic model of some of the columns.
ALTER TABLE bench_mixed_raw ADD COLUMN died boolean;
UPDATE bench_mixed_raw SET died = random() < 1 / (1 + exp(-(
      -2.0 + 0.04 * (age - 65) + 0.8 * coalesce(lab01, 0) - 0.6 * lab02 + 0.5 * lab03 * lab04
    + CASE admission WHEN 'adm0' THEN 0.8 WHEN 'adm3' THEN -0.7 ELSE 0 END
    + CASE WHEN service IN ('srv1', 'srv7', 'srv20') THEN 1.0 ELSE 0 END
    + CASE WHEN 'D001' = ANY (dx) THEN 1.2 ELSE 0 END
    + CASE WHEN 'D005' = ANY (dx) THEN -0.8 ELSE 0 END
    + CASE WHEN smoker THEN 0.5 ELSE 0 END)));

-- Vocabularies of the hand encoding: every level and code seen in >= 10 rows
-- (the jsonb path's default min_category_count), in bytewise order.
CREATE TABLE bench_mixed_vocab AS
SELECT col, level, row_number() OVER (ORDER BY col, level COLLATE "C") AS pos
FROM (SELECT col, level FROM (
          SELECT 'admission' AS col, admission AS level FROM bench_mixed_raw
          UNION ALL SELECT 'insurance', insurance FROM bench_mixed_raw
          UNION ALL SELECT 'ethnicity', ethnicity FROM bench_mixed_raw
          UNION ALL SELECT 'care_unit', care_unit FROM bench_mixed_raw
          UNION ALL SELECT 'service', service FROM bench_mixed_raw
          UNION ALL SELECT 'dx', unnest(dx) FROM bench_mixed_raw) l
      GROUP BY col, level HAVING count(*) >= 10) v;

CREATE TABLE bench_mixed AS
SELECT r.*,
       to_jsonb(r) - '{id,died}'::text[] AS features,
       ARRAY[age, lab01, lab02, lab03, lab04, lab05, lab06, lab07, lab08, lab09, lab10,
             lab11, lab12, lab13, lab14, lab15, lab16, lab17, lab18, lab19, lab20]::float8[]
       || ARRAY[smoker::int, female::int, admitted - date '1970-01-01']::float8[]
       || ARRAY(SELECT CASE
                    WHEN v.col = 'admission' THEN (r.admission = v.level)::int
                    WHEN v.col = 'insurance' THEN (r.insurance = v.level)::int
                    WHEN v.col = 'ethnicity' THEN (r.ethnicity = v.level)::int
                    WHEN v.col = 'care_unit' THEN (r.care_unit = v.level)::int
                    WHEN v.col = 'service' THEN (r.service = v.level)::int
                    ELSE (v.level = ANY (r.dx))::int END::float8
                FROM bench_mixed_vocab v ORDER BY v.pos) AS x
FROM bench_mixed_raw r;
DROP TABLE bench_mixed_raw;
ANALYZE bench_mixed;

SELECT count(*) AS rows, avg(died::int)::numeric(4, 3) AS died_rate,
       (SELECT count(*) FROM jsonb_object_keys((SELECT features FROM bench_mixed LIMIT 1))) AS input_columns,
       (SELECT array_length(x, 1) FROM bench_mixed LIMIT 1) AS encoded_columns,
       (SELECT count(DISTINCT d) FROM bench_mixed, unnest(dx) d) AS distinct_codes
FROM bench_mixed;
