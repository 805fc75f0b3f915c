-- test/upgrade.sh: everything the stored models answer, as text (float8 text
-- is exact in PostgreSQL 15), into the table named by :out.  Run once before
-- and once after ALTER EXTENSION pmed UPDATE; the two must be equal.
\set ON_ERROR_STOP 1
CREATE TABLE :out (kind text, fn text, id bigint, value text);
-- classifiers
INSERT INTO :out
SELECT m.kind, f.fn, d.id, f.value
FROM stored_models m, wdbc d,
LATERAL (VALUES ('predict', pmed.predict(m.model, d.features)::text),
                ('predict_label', pmed.predict_label(m.model, d.features)),
                ('predict_proba', pmed.predict_proba(m.model, d.features)::text),
                ('predict_proba_benign', pmed.predict_proba(m.model, d.features, 'benign')::text)) f(fn, value)
WHERE m.kind IN ('baseline', 'svm_rbf', 'svm_linear', 'forest');
INSERT INTO :out
SELECT m.kind, 'svm_decision', d.id, pmed.svm_decision(m.model, d.features)::text
FROM stored_models m, wdbc d WHERE m.kind IN ('svm_rbf', 'svm_linear');
-- regressors
INSERT INTO :out
SELECT m.kind, 'predict', d.id, pmed.predict(m.model, d.features)::text
FROM stored_models m, diabetes d WHERE m.kind IN ('baseline_regression', 'forest_regression');
-- explanations: every row of explain() on 20 patients, and feature importance
INSERT INTO :out
SELECT m.kind, 'explain', d.id,
       (SELECT string_agg(format('%s:%s:%s:%s', e.feature, e.name, e.value, e.contribution), ' ' ORDER BY e.feature)
        FROM pmed.explain(m.model, d.features) e)
FROM stored_models m, wdbc d WHERE m.kind IN ('forest', 'svm_linear') AND d.id IN (SELECT id FROM wdbc ORDER BY id LIMIT 20);
INSERT INTO :out
SELECT m.kind, 'feature_importance', 0,
       (SELECT string_agg(format('%s:%s:%s', i.feature, i.name, i.importance), ' ' ORDER BY i.feature)
        FROM pmed.feature_importance(m.model) i)
FROM stored_models m WHERE m.kind IN ('forest', 'forest_regression');
-- recommenders: known patients, a drug list, with the interaction model
INSERT INTO :out
SELECT m.kind, 'recommend_patient', p,
       (SELECT string_agg(r.item || ':' || r.score, ' ' ORDER BY r.score DESC, r.item)
        FROM pmed.recommend(m.model, p::bigint, 5) r)
FROM stored_models m, generate_series(1, 200, 7) p WHERE m.kind IN ('cf_item_knn', 'cf_als');
INSERT INTO :out
SELECT m.kind, 'recommend_history', h,
       (SELECT string_agg(r.item || ':' || r.score, ' ' ORDER BY r.score DESC, r.item)
        FROM pmed.recommend(m.model, ARRAY[h, h + 1, (h * 3) % 40 + 1]::bigint[], 5) r)
FROM stored_models m, generate_series(1, 38) h WHERE m.kind IN ('cf_item_knn', 'cf_als', 'content');
INSERT INTO :out
SELECT 'interactions', 'recommend_with_interactions', p,
       (SELECT string_agg(r.item || ':' || r.score, ' ' ORDER BY r.score DESC, r.item)
        FROM pmed.recommend(m.model, p::bigint, 5, NULL, i.model) r)
FROM stored_models m, stored_models i, generate_series(1, 200, 7) p
WHERE m.kind = 'cf_item_knn' AND i.kind = 'interactions';
INSERT INTO :out
SELECT 'interactions', 'ddi_rate', h, pmed.ddi_rate(ARRAY[h, h + 3, h + 4, h + 7]::bigint[], i.model)::text
FROM stored_models i, generate_series(1, 36) h WHERE i.kind = 'interactions';
