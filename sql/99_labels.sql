-- Every function and aggregate of the extension with its labels, checked
-- against this fixed list: volatility (i immutable, s stable, v volatile),
-- strictness, parallel safety (s safe, r restricted, u unsafe), kind (f
-- function, a aggregate).  A change here must be deliberate.
SELECT p.oid::regprocedure AS function, p.prokind AS kind, p.provolatile AS volatility,
       p.proisstrict AS strict, p.proparallel AS parallel
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pmed'
ORDER BY p.oid::regprocedure::text;

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
GROUP BY 1 ORDER BY 1;
