-- test/upgrade.sh: a canonical listing of everything extension pmed owns, one
-- line per object and property, sorted; an upgraded database and a fresh
-- install must print the same lines.  OIDs never appear, only names.
WITH members AS (
    SELECT d.classid, d.objid
    FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid AND d.refclassid = 'pg_extension'::regclass
    WHERE e.extname = 'pmed' AND d.deptype = 'e'
)
SELECT line FROM (
    -- every member object with its comment
    SELECT format('object %s | comment %s', pg_describe_object(m.classid, m.objid, 0),
                  coalesce(obj_description(m.objid, (SELECT relname FROM pg_class WHERE oid = m.classid)), '-')) AS line
    FROM members m
    UNION ALL
    -- functions and aggregates: signature, result, labels, C symbol, settings, ACL
    SELECT format('function %s(%s) | returns %s | kind %s | volatile %s | strict %s | parallel %s | security_definer %s | leakproof %s | cost %s | rows %s | symbol %s | library %s | config %s | acl %s',
                  p.oid::regproc, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                  p.prokind, p.provolatile, p.proisstrict, p.proparallel, p.prosecdef, p.proleakproof,
                  p.procost, p.prorows, CASE WHEN p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') THEN p.prosrc ELSE md5(p.prosrc) END,
                  p.probin, p.proconfig, p.proacl)
    FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
    UNION ALL
    SELECT format('aggregate %s(%s) | transfn %s | finalfn %s | combinefn %s | serialfn %s | deserialfn %s | transtype %s | finalmodify %s | finalextra %s | kind %s | transspace %s | initval %s | mtransfn %s | sortop %s',
                  a.aggfnoid::regproc, pg_get_function_identity_arguments(a.aggfnoid),
                  a.aggtransfn::regprocedure, a.aggfinalfn::regprocedure, a.aggcombinefn::regprocedure,
                  a.aggserialfn::regprocedure, a.aggdeserialfn::regprocedure, a.aggtranstype::regtype,
                  a.aggfinalmodify, a.aggfinalextra, a.aggkind, a.aggtransspace, a.agginitval,
                  a.aggmtransfn::regprocedure, a.aggsortop::regoperator)
    FROM members m JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid
    UNION ALL
    SELECT format('type %s | typtype %s | len %s | byval %s | align %s | storage %s | input %s | output %s | receive %s | send %s | typmod_in %s | typmod_out %s | analyze %s | subscript %s | category %s',
                  t.oid::regtype, t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage,
                  t.typinput::regprocedure, t.typoutput::regprocedure, t.typreceive::regprocedure, t.typsend::regprocedure,
                  t.typmodin::regprocedure, t.typmodout::regprocedure, t.typanalyze::regprocedure,
                  t.typsubscript::regprocedure, t.typcategory)
    FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    SELECT format('operator %s | function %s | commutator %s | negator %s | restrict %s | join %s',
                  o.oid::regoperator, o.oprcode::regprocedure, o.oprcom::regoperator, o.oprnegate::regoperator,
                  o.oprrest::regprocedure, o.oprjoin::regprocedure)
    FROM members m JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid
    UNION ALL
    SELECT format('cast %s | function %s | context %s | method %s',
                  pg_describe_object(m.classid, m.objid, 0), c.castfunc::regprocedure, c.castcontext, c.castmethod)
    FROM members m JOIN pg_cast c ON m.classid = 'pg_cast'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT format('relation %s | kind %s | columns %s', r.oid::regclass, r.relkind,
                  (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
                   FROM pg_attribute WHERE attrelid = r.oid AND attnum > 0 AND NOT attisdropped))
    FROM members m JOIN pg_class r ON m.classid = 'pg_class'::regclass AND r.oid = m.objid
    UNION ALL
    SELECT format('schema %s | owner is the installing role %s | acl %s', n.nspname,
                  n.nspowner = (SELECT extowner FROM pg_extension WHERE extname = 'pmed'), n.nspacl)
    FROM pg_namespace n WHERE n.nspname = 'pmed'
) x
ORDER BY line COLLATE "C";
