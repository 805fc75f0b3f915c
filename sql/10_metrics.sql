-- Evaluation metrics and splitting: pmed.auc, pr_auc, accuracy,
-- confusion_matrix, rmse, log_loss, brier, jaccard, precision_at_k,
-- recall_at_k, ndcg_at_k, fold.
-- Expected numbers are worked by hand in the comments; the random-data
-- section compares with scikit-learn 1.2.1.
SET extra_float_digits = 0;

-- ===================== pmed.auc =====================
-- positives {0.35, 0.8}, negatives {0.1, 0.4}: of the 4 (pos, neg) pairs,
-- 0.35>0.1, 0.8>0.1, 0.8>0.4 rank correctly, 0.35<0.4 does not: 3/4 = 0.75
SELECT pmed.auc(s, y) FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, y);
-- ties count 1/2 (Mann-Whitney): positives {0.5, 0.7}, negatives {0.2, 0.5, 0.7}
-- 0.5: vs 0.2 -> 1, vs 0.5 -> 1/2, vs 0.7 -> 0; 0.7: 1 + 1 + 1/2; total 4 of 6 = 0.666666666666667
SELECT pmed.auc(s, y) FROM (VALUES (0.5, true), (0.7, true), (0.2, false), (0.5, false), (0.7, false)) v(s, y);
-- every score equal: every pair is a tie -> 1/2
SELECT pmed.auc(1.0, y) FROM (VALUES (true), (false), (false), (true), (true)) v(y);
-- perfect ranking -> 1, reversed ranking -> 0
SELECT pmed.auc(s, s > 2) AS perfect, pmed.auc(-s, s > 2) AS reversed FROM generate_series(1, 5) s;
-- NULL score or NULL label rows are skipped: same 0.75 as the first query
SELECT pmed.auc(s, y) FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true),
                                   (NULL, true), (0.0, NULL), (NULL, NULL)) v(s, y);
-- no positives, no negatives, no rows: AUC undefined -> NULL
SELECT pmed.auc(s, false) IS NULL AS no_pos, pmed.auc(s, true) IS NULL AS no_neg FROM generate_series(1, 3) s;
SELECT pmed.auc(s, true) IS NULL AS no_rows FROM generate_series(1, 0) s;
SELECT pmed.auc(NULL, true) IS NULL AS only_null_rows;
-- infinite scores are rejected as well as NaN
SELECT pmed.auc(s, true) FROM (VALUES ('NaN'::float8)) v(s);
SELECT pmed.auc(s, false) FROM (VALUES ('-Infinity'::float8)) v(s);
-- one AUC per group; cohort a: pos {3}, neg {1, 2} -> 1; cohort b: pos {1}, neg {2, 3} -> 0
SELECT g, pmed.auc(s, y) FROM (VALUES ('a', 1, false), ('a', 2, false), ('a', 3, true),
                                      ('b', 1, true), ('b', 2, false), ('b', 3, false)) v(g, s, y)
GROUP BY g ORDER BY g;
-- FILTER and window frames work: the running AUC after each row (ordered by id)
-- rows 1-2 have only negatives -> NULL; row 3 adds pos 0.35: pairs vs {0.1, 0.4} -> 1/2;
-- row 4 adds pos 0.8 -> 3/4
SELECT id, pmed.auc(s, y) OVER (ORDER BY id) FROM (VALUES (1, 0.1, false), (2, 0.4, false),
       (3, 0.35, true), (4, 0.8, true)) v(id, s, y) ORDER BY id;
SELECT pmed.auc(s, y) FILTER (WHERE s <> 0.4) FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, y);

-- ===================== pmed.pr_auc =====================
-- average precision as scikit-learn's average_precision_score:
--   AP = sum over distinct thresholds t (descending) of (R(t) - R(t_prev)) * P(t)
-- positives {0.35, 0.8}, negatives {0.1, 0.4}:
--   t = 0.8: tp 1 fp 0, P = 1, R = 1/2 -> 1/2 * 1
--   t = 0.4: fp 1, recall unchanged -> 0
--   t = 0.35: tp 2 fp 1, P = 2/3, R = 1 -> 1/2 * 2/3
--   AP = 1/2 + 1/3 = 5/6 = 0.833333333333333
SELECT pmed.pr_auc(s, y) FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, y);
-- tied thresholds are taken together: positives {0.5, 0.7}, negatives {0.2, 0.5, 0.7}
--   t = 0.7: tp 1 fp 1, P = 1/2, R = 1/2 -> 1/4; t = 0.5: tp 2 fp 2, P = 1/2, R = 1 -> 1/4; AP = 0.5
SELECT pmed.pr_auc(s, y) FROM (VALUES (0.5, true), (0.7, true), (0.2, false), (0.5, false), (0.7, false)) v(s, y);
-- no negatives: every precision is 1 -> 1; no positives: undefined -> NULL
SELECT pmed.pr_auc(s, true) AS no_neg, pmed.pr_auc(s, false) IS NULL AS no_pos FROM generate_series(1, 3) s;
-- auc and pr_auc over the same input in one query (they may share one state)
SELECT pmed.auc(s, y), pmed.pr_auc(s, y) FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, y);

-- ===================== pmed.accuracy =====================
-- rows (predicted, actual): a=a yes, b/a no, b=b yes, NULL skipped, c/b no -> 2/4
SELECT pmed.accuracy(p, a) FROM (VALUES ('a', 'a'), ('b', 'a'), ('b', 'b'), (NULL, 'c'), ('c', 'b')) v(p, a);
-- labels are compared byte-wise: 'A' <> 'a', 'x ' <> 'x' -> 1/3
SELECT pmed.accuracy(p, a) FROM (VALUES ('A', 'a'), ('x ', 'x'), ('ok', 'ok')) v(p, a);
-- predicted labels from any type: cast to text
SELECT pmed.accuracy((s > 2)::text, (s >= 2)::text) FROM generate_series(1, 4) s;  -- s=2 differs -> 3/4
SELECT pmed.accuracy(p, a) IS NULL AS no_rows FROM (VALUES ('a', NULL::text)) v(p, a);

-- ===================== pmed.confusion_matrix =====================
-- labels: every label seen in either column, sorted byte-wise; rows = actual, columns = predicted
-- actual a: predicted a 1, b 1; actual b: predicted b 1, c 1; actual c only as a (skipped) row -> absent;
-- c is a label because it was predicted once
SELECT pmed.confusion_matrix(p, a) FROM (VALUES ('a', 'a'), ('b', 'a'), ('b', 'b'), (NULL, 'c'), ('c', 'b')) v(p, a);
-- binary, as text: actual true: 2 predicted true, 1 false; actual false: 1 true, 0 false
SELECT pmed.confusion_matrix(p::text, a::text) FROM (VALUES (true, true), (true, true), (false, true), (true, false)) v(p, a);
-- JSON escaping and the diagonal
SELECT m->'labels' AS labels, m->'matrix' AS matrix FROM (SELECT pmed.confusion_matrix(p, a) m
  FROM (VALUES ('say "hi"', 'say "hi"'), ('é', 'é'), ('é', 'é')) v(p, a)) t;
SELECT pmed.confusion_matrix(p, a) IS NULL AS no_rows FROM (VALUES (NULL::text, 'a')) v(p, a);

-- ===================== pmed.rmse =====================
-- errors 1 and 0: sqrt((1 + 0) / 2) = 0.707106781186548
SELECT pmed.rmse(p, a) FROM (VALUES (1.0, 2.0), (3.0, 3.0)) v(p, a);
-- errors 3, -4: sqrt((9 + 16) / 2) = sqrt(12.5) = 3.53553390593274; the NULL row is skipped
SELECT pmed.rmse(p, a) FROM (VALUES (2.0, -1.0), (0.0, 4.0), (NULL, 1.0)) v(p, a);
SELECT pmed.rmse(p, 'Infinity') FROM (VALUES (1.0)) v(p);
SELECT pmed.rmse(p, 0) FROM (VALUES (1e200)) v(p);  -- the square overflows

-- ===================== pmed.log_loss =====================
-- -(ln 0.9 + ln(1 - 0.2)) / 2 = (0.105360515657826 + 0.22314355131421) / 2 = 0.164252033486018
SELECT pmed.log_loss(p, y) FROM (VALUES (0.9, true), (0.2, false)) v(p, y);
-- p = 0 for a positive is clipped to 1e-15: -ln(1e-15) = 34.5387763949107
SELECT pmed.log_loss(0.0, true);
-- p = 1 for a positive: -ln(1 - 1e-15) ~ 1.1e-15 (1 - 1e-15 rounds to 1 - 1.11e-15 in binary)
SELECT pmed.log_loss(1.0, true) < 2e-15 AS near_zero;
SELECT pmed.log_loss(p, true) FROM (VALUES (1.5)) v(p);
SELECT pmed.log_loss(p, true) FROM (VALUES ('NaN'::float8)) v(p);

-- ===================== pmed.brier =====================
-- ((0.9 - 1)^2 + (0.2 - 0)^2) / 2 = (0.01 + 0.04) / 2 = 0.025
SELECT pmed.brier(p, y) FROM (VALUES (0.9, true), (0.2, false), (NULL, true)) v(p, y);
SELECT pmed.brier(p, false) FROM (VALUES (-0.1)) v(p);

-- ===================== ranking metrics =====================
-- recommended {1,2,3,4}, actual {2,4,9}
-- k = 3: top 3 = {1,2,3}, hit 2 at rank 2: precision 1/3, recall 1/3,
--   DCG = 1/log2(3) = 0.6309297535714575, IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.1309297535714578,
--   NDCG = 0.2960819109658652
SELECT pmed.precision_at_k('{1,2,3,4}', '{2,4,9}', 3) AS p3, pmed.recall_at_k('{1,2,3,4}', '{2,4,9}', 3) AS r3,
       pmed.ndcg_at_k('{1,2,3,4}', '{2,4,9}', 3) AS ndcg3;
-- k = 4: hits 2 (rank 2) and 4 (rank 4): precision 2/4, recall 2/3,
--   DCG = 1/log2(3) + 1/log2(5) = 0.6309297535714575 + 0.4306765580733931 = 1.0616063116448506,
--   IDCG = 2.1309297535714578 (3 relevant items), NDCG = 0.4981892574664129
SELECT pmed.precision_at_k('{1,2,3,4}', '{2,4,9}', 4) AS p4, pmed.recall_at_k('{1,2,3,4}', '{2,4,9}', 4) AS r4,
       pmed.ndcg_at_k('{1,2,3,4}', '{2,4,9}', 4) AS ndcg4;
-- k larger than the list: precision still divides by k (1/5); recall 1/2;
--   NDCG = 1 / (1 + 1/log2(3)) = 1 / 1.6309297535714575 = 0.6131471927654584 (IDCG of 2 relevant items)
SELECT pmed.precision_at_k('{2}', '{2,5}', 5) AS p, pmed.recall_at_k('{2}', '{2,5}', 5) AS r,
       pmed.ndcg_at_k('{2}', '{2,5}', 5) AS ndcg;
-- duplicates in recommended: a repeat holds its rank but scores nothing: 1 hit in 3 slots
--   precision 1/3, recall 1/2, NDCG = 1 / (1 + 1/log2(3)) = 0.6131471927654584
SELECT pmed.precision_at_k('{2,2,2}', '{2,3}', 3) AS p, pmed.recall_at_k('{2,2,2}', '{2,3}', 3) AS r,
       pmed.ndcg_at_k('{2,2,2}', '{2,3}', 3) AS ndcg;
-- duplicates in actual count once: actual {5,5} is the set {5}; hit at rank 1 -> recall 1, NDCG 1
SELECT pmed.recall_at_k('{5,6}', '{5,5}', 2) AS r, pmed.ndcg_at_k('{5,6}', '{5,5}', 2) AS ndcg;
-- NULL elements: in recommended they hold a rank and never hit; in actual they are ignored
--   hit 2 at rank 2: precision 1/2, recall 1, NDCG = (1/log2(3)) / 1 = 0.6309297535714575
SELECT pmed.precision_at_k('{NULL,2}', '{2,NULL}', 2) AS p, pmed.recall_at_k('{NULL,2}', '{2,NULL}', 2) AS r,
       pmed.ndcg_at_k('{NULL,2}', '{2,NULL}', 2) AS ndcg;
-- empty actual: precision 0, recall and NDCG undefined -> NULL
SELECT pmed.precision_at_k('{1,2}', '{}', 2) AS p, pmed.recall_at_k('{1,2}', '{}', 2) IS NULL AS r_null,
       pmed.ndcg_at_k('{1,2}', '{}', 2) IS NULL AS ndcg_null;
-- empty recommended: all 0
SELECT pmed.precision_at_k('{}', '{1}', 2) AS p, pmed.recall_at_k('{}', '{1}', 2) AS r, pmed.ndcg_at_k('{}', '{1}', 2) AS ndcg;
-- perfect top 2 of actual {7,8,9} at k = 2: NDCG 1
SELECT pmed.ndcg_at_k('{8,7,1}', '{7,8,9}', 2);
-- jaccard over sets: {1,2,2} vs {2,3}: intersection {2}, union {1,2,3} -> 1/3
SELECT pmed.jaccard('{1,2,2}', '{2,3}') AS j, pmed.jaccard('{1}', '{1}') AS same, pmed.jaccard('{1}', '{2}') AS disjoint,
       pmed.jaccard('{}', '{}') IS NULL AS both_empty, pmed.jaccard('{}', '{4}') AS one_empty;
-- STRICT: a NULL array gives NULL; bad k and multidimensional arrays are errors
SELECT pmed.precision_at_k(NULL, '{1}', 1) IS NULL AS null_in;
SELECT pmed.precision_at_k('{1}', '{1}', 0);
SELECT pmed.ndcg_at_k('{1}', '{1}', -1);
SELECT pmed.jaccard('{{1,2},{3,4}}', '{1}');

-- ===================== pmed.fold =====================
-- folds are pinned: these numbers must never change across versions or platforms
SELECT pmed.fold(42, 5) AS int4, pmed.fold(42::bigint, 5) AS int8, pmed.fold(42::smallint, 5) AS int2,
       pmed.fold(42, 5, 1) AS seed1, pmed.fold(-1, 10) AS neg;
SELECT pmed.fold('patient-1'::text, 10) AS t, pmed.fold('patient-1'::varchar, 10) AS vc,
       pmed.fold('patient-1'::char(12), 10) AS bpchar, pmed.fold('patient-1'::name, 10) AS nm;
SELECT pmed.fold('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 7) AS uuid, pmed.fold(date '2024-02-29', 7) AS date,
       pmed.fold(1.5::float8, 7) AS float8, pmed.fold(true, 7) AS bool, pmed.fold(12.50::numeric, 7) AS num;
-- an enum hashes its label text (same fold as the text patient-1: 6); a domain hashes as
-- its base type (same fold as 42: 3)
CREATE TYPE fold_mood AS ENUM ('calm', 'patient-1');
CREATE DOMAIN fold_id AS bigint;
SELECT pmed.fold('patient-1'::fold_mood, 10) AS enum, pmed.fold(42::fold_id, 5) AS domain;
-- jsonb hashes its normalized text: key order and spacing do not matter
SELECT pmed.fold('{"b": 1, "a": [1, 2]}'::jsonb, 1000) = pmed.fold('{"a":[1,2],"b":1}'::jsonb, 1000) AS jsonb_same;
DROP DOMAIN fold_id;
DROP TYPE fold_mood;
-- every fold in [0, folds)
SELECT min(pmed.fold(x, 3)), max(pmed.fold(x, 3)) FROM generate_series(1, 1000) x;
-- balance over 10000 keys: each of 5 folds holds 2000 +- 6% (the binomial standard deviation
-- is 40 = 2%, so +- 3 sd), for integer and text keys and 3 seeds
SELECT kind, seed, bool_and(abs(n - 2000) < 120) AS balanced, min(n), max(n)
FROM (SELECT 'int' AS kind, s AS seed, pmed.fold(x, 5, s) AS f, count(*) AS n
      FROM generate_series(1, 10000) x, generate_series(0, 2) s GROUP BY 1, 2, 3
      UNION ALL
      SELECT 'text', s, pmed.fold('patient-' || x, 5, s), count(*)
      FROM generate_series(1, 10000) x, generate_series(0, 2) s GROUP BY 1, 2, 3) t
GROUP BY kind, seed ORDER BY kind, seed;
-- two folds: 5000 +- 2% (sd 50 = 1%)
SELECT bool_and(abs(n - 5000) < 100) AS balanced FROM
  (SELECT pmed.fold(x, 2), count(*) n FROM generate_series(1, 10000) x GROUP BY 1) t;
-- uniformity: Pearson's chi-square of the 5 fold counts over 10000 keys follows chi2(4)
-- (mean 4, sd 2.83) when folds are uniform and independent of the key; its mean over
-- 100 seeds has sd 0.28, so it must land in 4 +- 0.9
SELECT avg(chi) BETWEEN 3.1 AND 4.9 AS uniform FROM
  (SELECT s, sum((n - 2000.0)^2 / 2000.0) AS chi FROM
    (SELECT s, pmed.fold(x, 5, s), count(*) AS n FROM generate_series(1, 10000) x, generate_series(0, 99) s GROUP BY 1, 2) t
   GROUP BY s) u;
-- a seed reshuffles: the share of keys that keep their fold is about 1/5
SELECT abs(count(*) FILTER (WHERE pmed.fold(x, 5, 0) = pmed.fold(x, 5, 1)) - 2000) < 150 AS independent
FROM generate_series(1, 10000) x;
-- train/test split: fold 0 of 5 is the test set, the rest trains; the two parts partition the keys
SELECT count(*) FILTER (WHERE pmed.fold(x, 5) = 0) + count(*) FILTER (WHERE pmed.fold(x, 5) <> 0) AS total
FROM generate_series(1, 10000) x;
SELECT pmed.fold(NULL::int, 5) IS NULL AS null_key;
SELECT pmed.fold(1, 1);
SELECT pmed.fold('x'::text, 0, 3);
-- an untyped literal has no type: cast it
SELECT pmed.fold('abc', 5);

-- ===================== against scikit-learn 1.2.1 =====================
-- Data made by integer arithmetic that Python reproduces exactly (IEEE division):
--   i = 1..2000, a = i*7919 mod 10007, b = i*104729 mod 7001
--   score = a / 10007, tie score = floor(a / 100), positive = a + b > 8500 (1005 positives),
--   p = a / 10006 (includes exactly 0 and 1), regression predicted = a / 100, actual = b / 70,
--   labels predicted 'c' || a mod 3, actual 'c' || (a + b) mod 4 mod 3.
-- Reference values: /usr/bin/python3, sklearn 1.2.1:
--   roc_auc_score(pos, score) = 0.9183069576739418, roc_auc_score(pos, tie) = 0.9182254556363909
--   average_precision_score(pos, score) = 0.9234009925613478, (pos, tie) = 0.9215386826216218
--   log_loss(pos, p, eps=1e-15) = 0.3932777732891883, brier_score_loss(pos, p) = 0.1241834302376799
--   mean_squared_error(actual, predicted, squared=False) = 40.77353635401576
--   accuracy_score = 0.332, confusion_matrix(labels=[c0,c1,c2]) = [[322,320,322],[173,171,173],[173,175,171]]
CREATE TEMP TABLE sk AS
SELECT i, a, b, a / 10007.0::float8 AS score, floor(a / 100)::float8 AS tie, a + b > 8500 AS pos,
       a / 10006.0::float8 AS p, a / 100.0::float8 AS pred, b / 70.0::float8 AS act,
       'c' || (a % 3) AS lp, 'c' || ((a + b) % 4 % 3) AS la
FROM (SELECT i, (i * 7919) % 10007 AS a, (i * 104729) % 7001 AS b FROM generate_series(1, 2000) i) t;
SELECT count(*) FILTER (WHERE pos) AS positives FROM sk;
SELECT abs(pmed.auc(score, pos) - 0.9183069576739418) < 1e-12 AS auc,
       abs(pmed.auc(tie, pos) - 0.9182254556363909) < 1e-12 AS auc_ties,
       abs(pmed.pr_auc(score, pos) - 0.9234009925613478) < 1e-12 AS ap,
       abs(pmed.pr_auc(tie, pos) - 0.9215386826216218) < 1e-12 AS ap_ties,
       abs(pmed.log_loss(p, pos) - 0.3932777732891883) < 1e-12 AS log_loss,
       abs(pmed.brier(p, pos) - 0.1241834302376799) < 1e-12 AS brier,
       abs(pmed.rmse(pred, act) - 40.77353635401576) < 1e-12 AS rmse,
       abs(pmed.accuracy(lp, la) - 0.332) < 1e-12 AS accuracy,
       pmed.confusion_matrix(lp, la) = '{"labels": ["c0", "c1", "c2"], "matrix": [[322, 320, 322], [173, 171, 173], [173, 175, 171]]}' AS confusion
FROM sk;
-- input order does not matter
SELECT pmed.auc(score, pos) = (SELECT pmed.auc(score, pos) FROM (SELECT * FROM sk ORDER BY b) s) AS order_free FROM sk;

-- ===================== real data: WDBC (569 patients, 212 malignant) =====================
-- One feature as the score.  Reference: sklearn 1.2.1 on data/wdbc/wdbc.csv (/usr/bin/python3):
--   feature (array index)       roc_auc_score        average_precision_score  distinct values
--   mean_radius (1)             0.9375165160403784   0.9229245946968343       456
--   mean_texture (2)            0.7758244807356903   0.5970165323771017       479
--   worst_area (24)             0.9698284974367105   0.9607921860537136       544
--   worst_concave_points (28)   0.9667036625971144   0.9573118477347361       492
\set ECHO none
\i data/wdbc/load.sql
\set ECHO all
SELECT f, abs(pmed.auc(features[f], diagnosis = 'malignant') - auc) < 1e-12 AS auc_ok,
       abs(pmed.pr_auc(features[f], diagnosis = 'malignant') - ap) < 1e-12 AS ap_ok,
       round(pmed.auc(features[f], diagnosis = 'malignant')::numeric, 6) AS auc
FROM wdbc, (VALUES (1, 0.9375165160403784, 0.9229245946968343), (2, 0.7758244807356903, 0.5970165323771017),
                   (24, 0.9698284974367105, 0.9607921860537136), (28, 0.9667036625971144, 0.9573118477347361)) ref(f, auc, ap)
GROUP BY f, auc, ap ORDER BY f;
-- 5-fold cross-validation of the worst_area score: one AUC per held-out fold, the folds partition the patients.
-- Reproduced outside the database with a Python port of the fold hash + sklearn roc_auc_score:
--   fold 0: 105 patients 0.9752, 1: 108 0.9637, 2: 130 0.9775, 3: 106 0.9788, 4: 120 0.9499
SELECT pmed.fold(id, 5) AS fold, count(*) AS patients,
       round(pmed.auc(features[24], diagnosis = 'malignant')::numeric, 4) AS auc
FROM wdbc GROUP BY 1 ORDER BY 1;
