-- Helpers shared by the pgTAP files: \i test/pgtap/lib/helpers.sql
-- (inside the test's transaction; they live in pg_temp and go with it).

-- The EXPLAIN output of a query as one text; options as for EXPLAIN.
CREATE FUNCTION pg_temp.plan_of(query text, options text DEFAULT 'COSTS OFF') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    line text;
    result text := '';
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (%s) %s', options, query) LOOP
        result := result || line || E'\n';
    END LOOP;
    RETURN result;
END $$;

-- 'completed', or the SQLSTATE of a cancel.  throws_ok cannot test a
-- cancel: PL/pgSQL's WHEN OTHERS does not catch query_canceled.
CREATE FUNCTION pg_temp.sqlstate_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'completed';
EXCEPTION WHEN query_canceled THEN
    RETURN SQLSTATE;
END $$;

-- How many variants of data make statement fail with one of sqlstates.
-- how = 'cut': every truncation (lengths 0 .. n-1); 'flip': every single-bit
-- flip, or every step-th bit.  statement is a format() string whose %1$L is
-- the variant.  Any other error is raised: it would be a bug.
CREATE FUNCTION pg_temp.rejected_variants(data bytea, how text, statement text,
                                          sqlstates text[], step int DEFAULT 1) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    n int := 0;
    variant bytea;
    total int := CASE how WHEN 'flip' THEN length(data) * 8 ELSE length(data) END;
BEGIN
    FOR i IN 0 .. total - 1 LOOP
        CONTINUE WHEN how = 'flip' AND i % step <> 0;
        variant := CASE how WHEN 'flip' THEN set_bit(data, i, 1 - get_bit(data, i))
                            ELSE substr(data, 1, i) END;
        BEGIN
            EXECUTE format(statement, variant);
        EXCEPTION WHEN OTHERS THEN
            IF SQLSTATE = ANY (sqlstates) THEN
                n := n + 1;
            ELSE
                RAISE;
            END IF;
        END;
    END LOOP;
    RETURN n;
END $$;
