-- pgTAP: cross-validated hyperparameter search inside training ("search",
-- "cv", "metric").  The searched model beats the defaults on held-out rows
-- by margins measured when this was written: the RBF SVM on diabetes (AUC)
-- and implicit ALS on the synthetic prescriptions (precision@10); the
-- search is deterministic; model_info keeps every trial; the best is the
-- first best mean in grid order and is the setting refit on all rows; the
-- options inside "search" are validated like top-level options.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pmed;
RESET client_min_messages;
SELECT plan(29);

\set QUIET on
\i data/diabetes/load.sql
\i data/synthetic-prescriptions/load.sql
\i data/synthetic-prescriptions/evaluate_setup.sql
\set QUIET off

-- SVM on diabetes ("progression > 140"), folds 1-4 train, fold 0 held out
CREATE TEMP TABLE sr_svm AS
SELECT 'default' AS setting, pmed.svm_train(features, progression > 140) AS model
FROM diabetes WHERE pmed.fold(id, 5) <> 0
UNION ALL
SELECT 'searched', pmed.svm_train(features, progression > 140,
                                  '{"search": {"C": [0.1, 1, 10], "gamma": [0.01, 0.1]}, "metric": "auc"}')
FROM diabetes WHERE pmed.fold(id, 5) <> 0
UNION ALL
SELECT 'again', pmed.svm_train(features, progression > 140,
                               '{"search": {"C": [0.1, 1, 10], "gamma": [0.01, 0.1]}, "metric": "auc"}')
FROM diabetes WHERE pmed.fold(id, 5) <> 0;
CREATE TEMP TABLE sr_svm_auc AS
SELECT setting, pmed.auc(pmed.predict_proba(model, features), progression > 140) AS auc
FROM sr_svm, diabetes WHERE pmed.fold(id, 5) = 0 GROUP BY setting;
-- measured: default 0.7854, searched 0.8403
SELECT ok((SELECT auc FROM sr_svm_auc WHERE setting = 'searched') >=
          (SELECT auc FROM sr_svm_auc WHERE setting = 'default') + 0.04,
          'svm: the searched model''s held-out AUC beats the default by at least 0.04');
SELECT is(pmed.model_info(a.model)->>'parameters_crc32c', pmed.model_info(s.model)->>'parameters_crc32c',
          'svm search is deterministic: same parameters_crc32c twice')
FROM sr_svm a, sr_svm s WHERE a.setting = 'again' AND s.setting = 'searched';

CREATE TEMP TABLE sr_info AS SELECT pmed.model_info(model) AS i FROM sr_svm WHERE setting = 'searched';
SELECT is((i->'search') - 'trials' - 'best_trial' - 'best_parameters' - 'best_mean' - 'best_sd',
          '{"cv": 5, "metric": "auc", "folds": "stratified by class"}', 'search: cv, metric, folds') FROM sr_info;
SELECT is(jsonb_array_length(i->'search'->'trials'), 6, 'six trials') FROM sr_info;
SELECT is((SELECT array_agg(t->'parameters' ORDER BY n) FROM jsonb_array_elements(i->'search'->'trials') WITH ORDINALITY a(t, n))::text,
          '{"{\"C\": 0.1, \"gamma\": 0.01}","{\"C\": 0.1, \"gamma\": 0.1}","{\"C\": 1, \"gamma\": 0.01}","{\"C\": 1, \"gamma\": 0.1}","{\"C\": 10, \"gamma\": 0.01}","{\"C\": 10, \"gamma\": 0.1}"}',
          'grid order: keys in jsonb order, the last varying fastest') FROM sr_info;
SELECT ok((SELECT bool_and((t->>'mean')::float8 BETWEEN 0.5 AND 1 AND (t->>'sd')::float8 BETWEEN 0 AND 0.2)
           FROM jsonb_array_elements(i->'search'->'trials') t), 'every trial has a mean AUC and its standard deviation') FROM sr_info;
SELECT is((i->'search'->>'best_trial')::int,
          (SELECT n::int FROM jsonb_array_elements(i->'search'->'trials') WITH ORDINALITY a(t, n)
           ORDER BY (t->>'mean')::float8 DESC, n LIMIT 1), 'best_trial: the first highest mean') FROM sr_info;
SELECT is(i->'search'->'best_parameters', i->'search'->'trials'->((i->'search'->>'best_trial')::int - 1)->'parameters',
          'best_parameters are the best trial''s') FROM sr_info;
SELECT is(jsonb_build_object('C', i->'C', 'gamma', i->'gamma'), i->'search'->'best_parameters',
          'the model is refit with the best parameters') FROM sr_info;
SELECT is(pmed.model_info(pmed.svm_train(features, progression > 140, i->'search'->'best_parameters'))->>'parameters_crc32c',
          i->>'parameters_crc32c', 'the refit equals training with the best parameters directly')
FROM sr_info, diabetes WHERE pmed.fold(id, 5) <> 0 GROUP BY i;

-- ties: the first in grid order; cv alone cross-validates the given options
SELECT is(pmed.model_info(pmed.svm_train(features, progression > 140, '{"search": {"C": [1, 1]}, "cv": 3}'))->'search'->>'best_trial',
          '1', 'equal means: the first trial wins') FROM diabetes;
SELECT is(jsonb_array_length(pmed.model_info(pmed.forest_train(features, progression > 140, '{"cv": 4, "trees": 10, "seed": 3}'))->'search'->'trials'),
          1, 'cv without search: one trial, the given options') FROM diabetes;
SELECT ok(abs((pmed.model_info(pmed.baseline_train(features, progression > 140, '{"cv": 4}'))->'search'->>'best_mean')::float8 - 0.5) < 0.01,
          'baseline with cv: accuracy of the prior about 0.5 on balanced folds') FROM diabetes;
-- regression: rmse, lower is better
CREATE TEMP TABLE sr_reg AS
SELECT pmed.model_info(pmed.forest_train(features, progression, '{"search": {"max_depth": [1, 6]}, "cv": 3, "trees": 20, "seed": 1}'))->'search' AS s
FROM diabetes;
SELECT is(s->>'metric', 'rmse', 'regression: default metric rmse') FROM sr_reg;
SELECT is((s->>'best_trial')::int, CASE WHEN (s->'trials'->0->>'mean')::float8 <= (s->'trials'->1->>'mean')::float8 THEN 1 ELSE 2 END,
          'regression: the lowest rmse wins') FROM sr_reg;

-- implicit ALS on the synthetic prescriptions: held-out precision@10
CREATE TEMP TABLE sr_cf AS
SELECT 'default' AS setting, pmed.cf_train(hadm_id, drug_id, 1.0, '{"method": "als", "seed": 1}') AS model
FROM ev_split WHERE NOT held_out
UNION ALL
SELECT 'searched', pmed.cf_train(hadm_id, drug_id, 1.0,
  '{"method": "als", "seed": 1, "search": {"alpha": [1, 40], "regularization": [0.1, 20]}, "cv": 3}')
FROM ev_split WHERE NOT held_out;
CREATE TEMP TABLE sr_cf_p AS
SELECT setting, avg(pmed.precision_at_k(ARRAY(SELECT r.item FROM pmed.recommend(m.model, c.given, 10) r
                                              ORDER BY r.score DESC, r.item), c.target, 10)) AS p10
FROM sr_cf m CROSS JOIN ev_cases c GROUP BY setting;
-- measured: default 0.1165, searched 0.1872
SELECT ok((SELECT p10 FROM sr_cf_p WHERE setting = 'searched') >= (SELECT p10 FROM sr_cf_p WHERE setting = 'default') + 0.05,
          'als: the searched model''s held-out precision@10 beats the default by at least 0.05');
SELECT is(pmed.model_info(model)->'search'->'best_parameters', '{"alpha": 1, "regularization": 20}',
          'als: the search picks alpha 1, regularization 20') FROM sr_cf WHERE setting = 'searched';
SELECT is(pmed.model_info(model)->'search'->>'metric', 'precision_at_k', 'cf: metric precision_at_k, k 10')
FROM sr_cf WHERE setting = 'searched';

-- partial states: the search runs in the merge's final function, with the same result
SELECT is((WITH parts AS (SELECT pmed.svm_train_partial(features, progression > 140,
                                   '{"search": {"C": [0.1, 1, 10], "gamma": [0.01, 0.1]}, "metric": "auc"}') AS s
                          FROM diabetes WHERE pmed.fold(id, 5) <> 0 GROUP BY id % 3)
           SELECT pmed.model_info(pmed.train_from_partials(s))->>'parameters_crc32c' FROM parts),
          (SELECT pmed.model_info(model)->>'parameters_crc32c' FROM sr_svm WHERE setting = 'searched'),
          'svm_train_partial + train_from_partials: the same searched model');
SELECT is((WITH parts AS (SELECT pmed.train_partial(features, progression > 140,
                                   '{"search": {"C": [0.1, 1, 10], "gamma": [0.01, 0.1]}, "metric": "auc"}') AS s
                          FROM diabetes WHERE pmed.fold(id, 5) <> 0 GROUP BY id % 3)
           SELECT pmed.model_info(pmed.train_from_partials(s, 'svm'))->>'parameters_crc32c' FROM parts),
          (SELECT pmed.model_info(model)->>'parameters_crc32c' FROM sr_svm WHERE setting = 'searched'),
          'train_partial + train_from_partials(state, ''svm''): the same searched model');

-- validation
SELECT throws_ok($$SELECT pmed.forest_train(features, (progression / 100)::int::text, '{"metric": "auc", "trees": 5}') FROM diabetes$$,
                 '22023', 'invalid value for option "metric"', 'auc with four classes: 22023');
SELECT throws_ok($$SELECT pmed.svm_train(features, progression > 140, '{"search": {"C": [1, -1]}}') FROM diabetes$$,
                 '22023', 'invalid value for option "C"', 'a bad candidate: 22023 naming the option');
SELECT throws_ok($$SELECT pmed.svm_train(features, progression > 140, '{"search": {"trees": [1, 2]}}') FROM diabetes$$,
                 '22023', 'invalid value for option "search"', 'an option the family does not have: 22023');
SELECT throws_ok($$SELECT pmed.svm_train(features, progression > 140, '{"search": {"seed": [1, 2]}}') FROM diabetes$$,
                 '22023', 'invalid value for option "search"', 'seed cannot be searched: 22023');
SELECT throws_ok($$SELECT pmed.svm_train(features, progression > 140, '{"search": {"C": []}}') FROM diabetes$$,
                 '22023', 'invalid value for option "search"', 'an empty candidate list: 22023');
SELECT throws_ok($$SELECT pmed.svm_train(features, progression > 140, '{"search": {"C": [1,2,3,4,5,6,7,8,9,10,11], "gamma": [1,2,3,4,5,6,7,8,9,10]}}') FROM diabetes$$,
                 '54000', 'search grid has more than 100 trials', '110 trials: 54000');
SELECT throws_ok($$SELECT pmed.forest_train(features, progression, '{"metric": "auc"}') FROM diabetes$$,
                 '22023', 'invalid value for option "metric"', 'auc for a regression: 22023');
SELECT throws_ok($$SELECT pmed.svm_train(features, progression > 140, '{"cv": 1}') FROM diabetes$$,
                 '22023', 'invalid value for option "cv"', 'cv 1: 22023');
SELECT throws_ok($$SELECT pmed.content_train(drug_id, features, '{"cv": 3}') FROM rx_drugs$$,
                 '22023', NULL, 'content models have no search: 22023');

SELECT * FROM finish();
ROLLBACK;
