-- Training aggregates as window functions: a model per frame.  As plain
-- aggregates their final function takes the rows out of the state; as
-- window functions it must keep them for the next frame.
\i data/wdbc/load.sql
SET client_min_messages = warning;

-- Growing frame (the same state, finalised after every row; one row ahead so
-- that every frame holds both classes).
SELECT id, (pmed.model_info(m) ->> 'rows_used')::int AS rows_used,
       round(pmed.predict_proba(m, (SELECT features FROM wdbc WHERE id = 1))::numeric, 6) AS p_row1
FROM (SELECT id, pmed.baseline_train(features, id % 2 = 0) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS m
      FROM wdbc WHERE id <= 5) t ORDER BY id;

-- Sliding frame of (up to) seven rows, for the forest and the SVM too.
SELECT id,
       (pmed.model_info(b) ->> 'rows_used')::int AS baseline_rows,
       (pmed.model_info(f) ->> 'rows_used')::int AS forest_rows,
       (pmed.model_info(s) ->> 'rows_used')::int AS svm_rows
FROM (SELECT id,
             pmed.baseline_train(features, id % 2 = 0) OVER w AS b,
             pmed.forest_train(features, id % 2 = 0, '{"trees": 3}') OVER w AS f,
             pmed.svm_train(features, id % 2 = 0, '{"kernel": "linear", "probability": false}') OVER w AS s
      FROM wdbc WHERE id BETWEEN 1 AND 8
      WINDOW w AS (ORDER BY id ROWS BETWEEN 3 PRECEDING AND 3 FOLLOWING)) t ORDER BY id;

-- A window model equals the plain aggregate over the same rows.
SELECT (SELECT pmed.model_info(pmed.forest_train(features, id % 2 = 0, '{"trees": 5, "seed": 3}')) ->> 'parameters_crc32c'
        FROM wdbc WHERE id <= 40)
     = (SELECT pmed.model_info(m) ->> 'parameters_crc32c'
        FROM (SELECT id, pmed.forest_train(features, id % 2 = 0, '{"trees": 5, "seed": 3}')
                         OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS m
              FROM wdbc WHERE id <= 40) t WHERE id = 39) AS window_equals_aggregate;

-- The same aggregate twice in one query (the planner may share one state):
-- both calls give the model of all the rows.
SELECT pmed.model_info(a) ->> 'parameters_crc32c' = pmed.model_info(b) ->> 'parameters_crc32c' AS same,
       (pmed.model_info(a) ->> 'rows_used')::int AS rows_a, (pmed.model_info(b) ->> 'rows_used')::int AS rows_b
FROM (SELECT pmed.forest_train(features, diagnosis, '{"trees": 5}') AS a,
             pmed.forest_train(features, diagnosis, '{"trees": 5}') AS b FROM wdbc) t;

-- A model and the partial state of the same rows in one query.
WITH t AS (SELECT pmed.forest_train(features, diagnosis, '{"trees": 5}') AS m,
                  pmed.forest_train_partial(features, diagnosis, '{"trees": 5}') AS p FROM wdbc)
SELECT (pmed.model_info(m) ->> 'rows_used')::int AS rows_used,
       (SELECT pmed.model_info(pmed.train_from_partials(p)) ->> 'rows_used' FROM t)::int AS rows_from_partial,
       pmed.model_info(m) ->> 'parameters_crc32c'
         = (SELECT pmed.model_info(pmed.train_from_partials(p)) ->> 'parameters_crc32c' FROM t) AS same_model
FROM t;
