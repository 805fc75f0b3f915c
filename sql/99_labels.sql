-- Concrete-label twins (src/sql/70_label_overloads.sql): for every training
-- support function or aggregate with an anyelement label over
-- pmed.train_state, its copies with the label boolean, smallint, integer,
-- bigint, numeric, real, double precision or text.  They are pinned below by
-- comparison with their anyelement original, not listed one by one.
CREATE TEMP VIEW label_twins AS
SELECT c.oid AS twin, g.oid AS generic, lab.t AS label
FROM pg_proc g
JOIN pg_namespace n ON n.oid = g.pronamespace AND n.nspname = 'pmed'
LEFT JOIN pg_aggregate ga ON ga.aggfnoid = g.oid
CROSS JOIN unnest(ARRAY['boolean', 'smallint', 'integer', 'bigint', 'numeric', 'real',
                        'double precision', 'text']::regtype[]) lab(t)
JOIN pg_proc c ON c.pronamespace = g.pronamespace AND c.proname = g.proname
  AND c.pronargs = g.pronargs
  AND c.proargtypes::text = (SELECT string_agg((CASE WHEN a = 'anyelement'::regtype THEN lab.t ELSE a END)::oid::text,
                                                ' ' ORDER BY i)
                              FROM unnest(g.proargtypes::regtype[]) WITH ORDINALITY u(a, i))
WHERE 'anyelement'::regtype = ANY (g.proargtypes::regtype[])
  AND ('pmed.train_state'::regtype = ANY (g.proargtypes::regtype[])
       OR ga.aggtranstype = 'pmed.train_state'::regtype);

-- Every function and aggregate of the extension with its labels, checked
-- against this fixed list: volatility (i immutable, s stable, v volatile),
-- strictness, parallel safety (s safe, r restricted, u unsafe), kind (f
-- function, a aggregate).  A change here must be deliberate.
SELECT p.oid::regprocedure AS function, p.prokind AS kind, p.provolatile AS volatility,
       p.proisstrict AS strict, p.proparallel AS parallel
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pmed' AND p.oid NOT IN (SELECT twin FROM label_twins)
ORDER BY p.oid::regprocedure::text;

-- Every anyelement training aggregate over pmed.train_state (but the
-- composite-row ones) and its transition function have all 8 twins, and each
-- twin has its original's labels, C function, comment and (aggregates)
-- final function, combine function, FINALFUNC_MODIFY and transition type,
-- with the twin transition function.
SELECT g.prokind AS kind, count(DISTINCT g.oid) AS originals, count(t.twin) AS twins,
       count(t.twin) FILTER (
         WHERE c.provolatile = g.provolatile AND c.proisstrict = g.proisstrict
           AND c.proparallel = g.proparallel AND c.prosrc = g.prosrc
           AND c.probin IS NOT DISTINCT FROM g.probin
           AND obj_description(c.oid, 'pg_proc') = obj_description(g.oid, 'pg_proc')
           AND (g.prokind = 'f' OR
                (ca.aggfinalfn = ga.aggfinalfn AND ca.aggcombinefn = ga.aggcombinefn
                 AND ca.aggfinalmodify = ga.aggfinalmodify AND ca.aggtranstype = ga.aggtranstype
                 AND ca.aggserialfn = 0 AND ca.aggkind = ga.aggkind
                 AND (ca.aggtransfn, ga.aggtransfn) IN (SELECT twin, generic FROM label_twins)))) AS identical
FROM pg_proc g
JOIN pg_namespace n ON n.oid = g.pronamespace AND n.nspname = 'pmed'
LEFT JOIN pg_aggregate ga ON ga.aggfnoid = g.oid
LEFT JOIN label_twins t ON t.generic = g.oid
LEFT JOIN pg_proc c ON c.oid = t.twin
LEFT JOIN pg_aggregate ca ON ca.aggfnoid = c.oid
WHERE 'anyelement'::regtype = ANY (g.proargtypes::regtype[])
  AND NOT 'record'::regtype = ANY (g.proargtypes::regtype[])
  AND ('pmed.train_state'::regtype = ANY (g.proargtypes::regtype[])
       OR ga.aggtranstype = 'pmed.train_state'::regtype)
GROUP BY 1 ORDER BY 1;

-- Every function and aggregate has a comment.
SELECT p.oid::regprocedure AS missing_comment
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pmed' AND obj_description(p.oid, 'pg_proc') IS NULL;

-- Nothing that users call is volatile or parallel unsafe (aggregate support
-- functions take internal and are not callable from SQL, or take a state
-- type such as pmed.metric_state and are support functions of aggregates).
SELECT p.oid::regprocedure AS volatile_or_unsafe
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pmed' AND (p.provolatile = 'v' OR p.proparallel <> 's')
  AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[])
  AND p.oid NOT IN (SELECT aggtransfn FROM pg_aggregate UNION ALL SELECT aggcombinefn FROM pg_aggregate
                    UNION ALL SELECT aggfinalfn FROM pg_aggregate);

-- Scalar and set-returning functions are strict (NULL in, NULL out);
-- aggregate support functions are exempt (they create states, skip rows).
SELECT p.oid::regprocedure AS not_strict
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pmed' AND p.prokind = 'f' AND NOT p.proisstrict
  AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[])
  AND p.oid NOT IN (SELECT aggtransfn FROM pg_aggregate UNION ALL SELECT aggcombinefn FROM pg_aggregate
                    UNION ALL SELECT aggfinalfn FROM pg_aggregate);

-- Training support functions of one role carry the same labels in every
-- family: transition, combine, serialize, deserialize and the partial-state
-- final IMMUTABLE (a function of their arguments, like array_agg_transfn);
-- model-making finals VOLATILE (a model records its training time).
SELECT CASE WHEN p.proname ~ 'transfn$' THEN 'transition'
            WHEN p.proname = 'train_partial_finalfn' THEN 'partial final'
            WHEN p.proname ~ 'finalfn$' THEN 'final'
            ELSE p.proname END AS role,
       string_agg(DISTINCT p.provolatile::text || CASE WHEN p.proisstrict THEN 's' ELSE '-' END
                  || p.proparallel::text, ', ') AS labels,
       count(*) AS functions
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pmed' AND p.prokind = 'f'
  AND (p.proname ~ '_train_(transfn|finalfn)$' OR p.proname ~ '^train_')
  AND p.oid NOT IN (SELECT twin FROM label_twins)
GROUP BY 1 ORDER BY 1;
