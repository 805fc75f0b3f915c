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
-- functions take internal and are not callable from SQL).
SELECT p.oid::regprocedure AS volatile_or_unsafe
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pmed' AND (p.provolatile = 'v' OR p.proparallel <> 's')
  AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[]);

-- Scalar and set-returning functions are strict (NULL in, NULL out).
SELECT p.oid::regprocedure AS not_strict
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pmed' AND p.prokind = 'f' AND NOT p.proisstrict
  AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[]);
