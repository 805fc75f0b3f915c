
-- ---------------------------------------------------------------------------
-- Concrete label types for Citus.  Citus checks, on each worker, that the
-- argument types of a pushed-down aggregate equal the declared ones
-- (pg_proc.proargtypes) OID for OID, so an anyelement label cannot be
-- distributed.  Every training and partial aggregate with an anyelement
-- label and float8[] or jsonb features gets one twin per label type below,
-- with the same transition C function (its SQL declaration made concrete
-- too), final function, combine function, labels and comment.  The
-- anyelement versions stay for other label types; PostgreSQL picks the
-- exact twin first.  The composite-row forms (record) get no twins: a whole
-- row's type is the table's row type, never record, so Citus could not
-- check them anyway.
-- ---------------------------------------------------------------------------

DO $$
DECLARE
    label text;
    f record;
    a record;
BEGIN
    FOREACH label IN ARRAY ARRAY['boolean', 'smallint', 'integer', 'bigint', 'numeric', 'real',
                                 'double precision', 'text'] LOOP
        -- the transition functions
        FOR f IN
            SELECT DISTINCT p.oid, p.proname, p.probin, p.prosrc, p.provolatile, p.proisstrict,
                   p.proparallel
            FROM pg_aggregate g
            JOIN pg_proc ap ON ap.oid = g.aggfnoid
            JOIN pg_proc p ON p.oid = g.aggtransfn
            WHERE ap.pronamespace = 'pmed'::regnamespace
              AND g.aggtranstype = 'pmed.train_state'::regtype
              AND 'anyelement'::regtype = ANY (ap.proargtypes::regtype[])
              AND NOT 'record'::regtype = ANY (ap.proargtypes::regtype[])
            ORDER BY p.proname, p.oid
        LOOP
            EXECUTE format('CREATE OR REPLACE FUNCTION pmed.%I(%s) RETURNS pmed.train_state AS %L, %L LANGUAGE C %s %s PARALLEL %s',
                f.proname,
                (SELECT string_agg(CASE WHEN t = 'anyelement'::regtype THEN label ELSE format_type(t, NULL) END,
                                   ', ' ORDER BY i)
                 FROM unnest((SELECT proargtypes::oid[] FROM pg_proc WHERE oid = f.oid)) WITH ORDINALITY u(t, i)),
                f.probin, f.prosrc,
                CASE f.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                CASE WHEN f.proisstrict THEN 'STRICT' ELSE 'CALLED ON NULL INPUT' END,
                CASE f.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END);
            EXECUTE format('COMMENT ON FUNCTION pmed.%I(%s) IS %L', f.proname,
                (SELECT string_agg(CASE WHEN t = 'anyelement'::regtype THEN label ELSE format_type(t, NULL) END,
                                   ', ' ORDER BY i)
                 FROM unnest((SELECT proargtypes::oid[] FROM pg_proc WHERE oid = f.oid)) WITH ORDINALITY u(t, i)),
                obj_description(f.oid, 'pg_proc'));
        END LOOP;
        -- the aggregates
        FOR a IN
            SELECT ap.oid, ap.proname, ap.proargtypes::oid[] AS args, tp.proargtypes::oid[] AS targs,
                   tp.proname AS transfn, fp.proname AS finalfn, cp.proname AS combinefn,
                   g.aggfinalmodify, ap.proparallel
            FROM pg_aggregate g
            JOIN pg_proc ap ON ap.oid = g.aggfnoid
            JOIN pg_proc tp ON tp.oid = g.aggtransfn
            JOIN pg_proc fp ON fp.oid = g.aggfinalfn
            JOIN pg_proc cp ON cp.oid = g.aggcombinefn
            WHERE ap.pronamespace = 'pmed'::regnamespace
              AND g.aggtranstype = 'pmed.train_state'::regtype
              AND 'anyelement'::regtype = ANY (ap.proargtypes::regtype[])
              AND NOT 'record'::regtype = ANY (ap.proargtypes::regtype[])
            ORDER BY ap.proname, ap.oid
        LOOP
            EXECUTE format('CREATE OR REPLACE AGGREGATE pmed.%I(%s) (SFUNC = pmed.%I, STYPE = pmed.train_state, FINALFUNC = pmed.%I, FINALFUNC_MODIFY = %s, COMBINEFUNC = pmed.%I, PARALLEL = %s)',
                a.proname,
                (SELECT string_agg(CASE WHEN t = 'anyelement'::regtype THEN label ELSE format_type(t, NULL) END,
                                   ', ' ORDER BY i) FROM unnest(a.args) WITH ORDINALITY u(t, i)),
                a.transfn, a.finalfn,
                CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END,
                a.combinefn,
                CASE a.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END);
            EXECUTE format('COMMENT ON AGGREGATE pmed.%I(%s) IS %L', a.proname,
                (SELECT string_agg(CASE WHEN t = 'anyelement'::regtype THEN label ELSE format_type(t, NULL) END,
                                   ', ' ORDER BY i) FROM unnest(a.args) WITH ORDINALITY u(t, i)),
                obj_description(a.oid, 'pg_proc'));
        END LOOP;
    END LOOP;
END
$$;
