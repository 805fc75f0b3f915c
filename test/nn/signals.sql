-- Synthetic labelled signals for the neural-network tests and the demo
-- (issue 10): 600 signals of 64 samples in three rhythm-like classes,
-- generated deterministically (a sine hash of the row and sample numbers:
-- no random(), so any plan gives the same table):
--   slow  : a sine wave with 3 cycles per signal
--   fast  : a sine wave with 5 cycles
--   block : a square wave with 3 cycles (same rate as slow, other shape)
-- each with a random phase and amplitude 0.7-1.3, uniform noise of +-0.75,
-- and about 10% of the samples missing (NULL).  Row i has class i % 3.
-- Table nn_signals(i int, rhythm text, signal float8[]); run from the
-- repository root: \i test/nn/signals.sql
DROP TABLE IF EXISTS nn_signals;
CREATE TABLE nn_signals AS
WITH g AS (
    SELECT i, t, i % 3 AS c,
           sin(i * 12.9898 + t * 78.233) * 43758.5453 AS h_noise,
           sin(i * 39.3467 + t * 11.135) * 24634.6345 AS h_missing,
           sin(i * 7.1234 + 1000) * 9876.54321 AS h_phase,
           sin(i * 3.7719 + 2000) * 5432.12345 AS h_amp
    FROM generate_series(1, 600) i, generate_series(0, 63) t),
w AS (
    SELECT i, t, c, h_noise - floor(h_noise) AS noise, h_missing - floor(h_missing) AS missing,
           2 * pi() * (c % 2 * 2 + 3) * t / 64 + 2 * pi() * (h_phase - floor(h_phase)) AS angle,
           0.7 + 0.6 * (h_amp - floor(h_amp)) AS amp
    FROM g)
SELECT i, (ARRAY['slow', 'fast', 'block'])[c + 1] AS rhythm,
       array_agg(CASE WHEN missing < 0.1 THEN NULL
                 ELSE round((amp * CASE WHEN c = 2 THEN sign(sin(angle)) ELSE sin(angle) END
                             + 1.5 * (noise - 0.5))::numeric, 4)::float8 END ORDER BY t) AS signal
FROM w GROUP BY i, c;
