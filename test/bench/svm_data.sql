-- Generated dense two-class data for the SVM benchmark (deterministic).
-- svm_gen(n, seed): n rows, 30 standard-normal features, a nonlinear noisy label.
CREATE OR REPLACE FUNCTION svm_gen(n int, seed float8) RETURNS TABLE(id int, f float8[], y int)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM setseed(seed);
    RETURN QUERY
    SELECT g.i, x.f,
           (x.f[1] + x.f[2] - x.f[3] + 0.8 * x.f[4] * x.f[5] + 0.5 * x.f[6] ^ 2
            + 0.7 * (random() * 2 - 1) * 2 > 0.5)::int
    FROM generate_series(1, n) AS g(i),
         LATERAL (SELECT ARRAY(SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
                               FROM generate_series(1, 30) WHERE g.i > 0) AS f) AS x;
END $$;
