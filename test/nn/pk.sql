-- Remifentanil (data/nlme-pk, load it first) as a sequence task for the GRU
-- (issue 10): for each measured concentration, the patient's history up to
-- that time, one step per recorded time point, 4 features per step:
--   [minutes before the predicted time, infusion rate (ug/min),
--    amount given in the interval (ug), concentration measured (ng/mL)]
-- where the concentration of the predicted time itself is NULL (unknown),
-- as are the time points without a measurement.  The label is the
-- concentration; last_conc is the last one measured before (the naive
-- forecast; NULL for a patient's first measurement).  1,992 sequences of
-- 1 to 54 steps (mean 19.5).  Held out: patients with id % 5 = 0 (392).
-- Table nn_pk(id, time, target, history float8[][], last_conc).
DROP TABLE IF EXISTS nn_pk;
CREATE TABLE nn_pk AS
SELECT r.id, r.time, r.conc AS target,
       (SELECT array_agg(ARRAY[r.time - h.time, h.rate, h.amt,
                               CASE WHEN h.time < r.time THEN h.conc END] ORDER BY h.time)
          FROM remifentanil h WHERE h.id = r.id AND h.time <= r.time) AS history,
       (SELECT h.conc FROM remifentanil h
         WHERE h.id = r.id AND h.time < r.time AND h.conc IS NOT NULL
         ORDER BY h.time DESC LIMIT 1) AS last_conc
FROM remifentanil r WHERE r.conc IS NOT NULL;
