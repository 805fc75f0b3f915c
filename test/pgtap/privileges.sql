-- Privileges: pmed is a trusted extension that a database owner without
-- superuser installs and updates; training aggregates read rows with the
-- caller's privileges (42501 on a table it cannot read) and through
-- row-level security; a table of models is protected by its own grants;
-- nothing is SECURITY DEFINER and no function can be redirected through
-- search_path.  Roles and the reinstall are rolled back with the transaction.
BEGIN;
SELECT plan(22);

-- Runs query as role r and returns the first value of a SELECT as text,
-- 'done' for any other statement, or 'ERROR <sqlstate>'.
CREATE FUNCTION pg_temp.as_role(r text, query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
        IF query ~* '^\s*select' THEN
            EXECUTE query INTO result;
        ELSE
            EXECUTE query;
            result := 'done';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        result := 'ERROR ' || SQLSTATE;
    END;
    RESET ROLE;
    RETURN result;
END $$;

-- ---- the extension is trusted, and nothing in it needs more ----
SELECT is((SELECT trusted FROM pg_available_extension_versions
           WHERE name = 'pmed' AND version = (SELECT default_version FROM pg_available_extensions WHERE name = 'pmed')),
          true, 'pmed.control: trusted = true');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'pmed'::regnamespace AND prosecdef), 0,
          'no pmed function is SECURITY DEFINER');
-- A function in SQL or PL/pgSQL resolves names through search_path at run
-- time: each one must pin it.  C functions look nothing up by name.
SELECT is((SELECT array_agg(p.oid::regprocedure::text)
           FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE p.pronamespace = 'pmed'::regnamespace AND l.lanname NOT IN ('c', 'internal')
             AND NOT coalesce(p.proconfig::text LIKE '%search_path=%', false)),
          NULL, 'every non-C pmed function sets its own search_path');

-- ---- roles: a database owner, a reader, an outsider; none superuser ----
CREATE ROLE pmed_tap_owner NOLOGIN;
CREATE ROLE pmed_tap_reader NOLOGIN;
CREATE ROLE pmed_tap_outsider NOLOGIN;
SELECT is((SELECT count(*)::int FROM pg_roles WHERE rolname LIKE 'pmed_tap_%' AND (rolsuper OR rolbypassrls)), 0,
          'the test roles are neither superuser nor BYPASSRLS');
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO pmed_tap_owner', current_database()); END $$;
-- A fresh database: no pmed, and no schema pmed (CREATE EXTENSION made it, but
-- it is not a member of the extension).
DROP EXTENSION pmed;
DROP SCHEMA pmed;

SELECT is(pg_temp.as_role('pmed_tap_outsider', 'CREATE EXTENSION pmed'), 'ERROR 42501',
          'a role without CREATE on the database cannot install pmed: 42501');
SELECT is(pg_temp.as_role('pmed_tap_owner', $q$CREATE EXTENSION pmed VERSION '0.1.0'$q$), 'done',
          'the database owner, not a superuser, installs pmed 0.1.0');
SELECT is(pg_temp.as_role('pmed_tap_owner', 'ALTER EXTENSION pmed UPDATE'), 'done',
          'and updates it');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'pmed'),
          (SELECT default_version FROM pg_available_extensions WHERE name = 'pmed'),
          'to the current version');
SELECT is((SELECT extowner::regrole::text FROM pg_extension WHERE extname = 'pmed'), 'pmed_tap_owner',
          'the extension belongs to the database owner');

-- ---- the owner's data: patients (readable by the reader, half of them
-- through a policy), and a table the reader was never granted ----
SELECT is(pg_temp.as_role('pmed_tap_owner', $q$
    CREATE TABLE public.tap_patients AS
    SELECT id, ARRAY[id % 7, id % 11, sqrt(id)]::float8[] AS features, id % 3 = 0 AS outcome,
           CASE WHEN id <= 60 THEN 'ward_a' ELSE 'ward_b' END AS ward
    FROM generate_series(1, 120) id$q$), 'done', 'the owner creates a table of 120 patients');
SELECT is(pg_temp.as_role('pmed_tap_owner', $q$
    CREATE TABLE public.tap_secret AS SELECT * FROM public.tap_patients$q$), 'done',
          'and a table nobody else may read');
SELECT is(pg_temp.as_role('pmed_tap_owner', $q$
    DO $d$ BEGIN
        GRANT USAGE ON SCHEMA pmed TO pmed_tap_reader;
        GRANT SELECT ON public.tap_patients TO pmed_tap_reader;
        ALTER TABLE public.tap_patients ENABLE ROW LEVEL SECURITY;
        CREATE POLICY ward_a_only ON public.tap_patients FOR SELECT TO pmed_tap_reader USING (ward = 'ward_a');
    END $d$$q$),
          'done', 'the owner grants the reader pmed and ward A of the patients');

SELECT is(pg_temp.as_role('pmed_tap_reader', $q$
    SELECT pmed.model_info(pmed.forest_train(features, outcome, '{"trees": 5, "seed": 1}'))->>'rows_used'
    FROM public.tap_patients$q$), '60',
          'row-level security: the reader''s forest sees only the 60 rows of ward A');
SELECT is(pg_temp.as_role('pmed_tap_reader', $q$
    SELECT pmed.model_info(pmed.svm_train(features, outcome, '{"kernel": "linear"}'))->>'rows_used'
    FROM public.tap_patients$q$), '60',
          'row-level security: so does a linear SVM');
SELECT is(pg_temp.as_role('pmed_tap_owner', $q$
    SELECT pmed.model_info(pmed.baseline_train(features, outcome))->>'rows_used' FROM public.tap_patients$q$), '120',
          'the table owner, whom the policy does not bind, trains on all 120 rows');
SELECT is(pg_temp.as_role('pmed_tap_reader', $q$
    SELECT pmed.baseline_train(features, outcome) FROM public.tap_secret$q$), 'ERROR 42501',
          'training on a table the reader cannot read: 42501');
SELECT is(pg_temp.as_role('pmed_tap_outsider', $q$
    SELECT pmed.model_info(pmed.baseline_train(ARRAY[1.0]::float8[], true))->>'rows_used'$q$), 'ERROR 42501',
          'a role without USAGE on schema pmed cannot call it: 42501');

-- ---- a table of models protected by its own grants ----
SELECT is(pg_temp.as_role('pmed_tap_owner', $q$
    CREATE TABLE public.tap_models AS
    SELECT 'readmission'::text AS name, pmed.forest_train(features, outcome, '{"trees": 5, "seed": 1}') AS model
    FROM public.tap_patients$q$), 'done', 'the owner stores a model in a table of its own');
SELECT is(pg_temp.as_role('pmed_tap_reader', $q$
    SELECT pmed.predict_proba(m.model, ARRAY[1, 2, 3]::float8[])::text FROM public.tap_models m$q$), 'ERROR 42501',
          'a role without SELECT on the model table cannot score with its models: 42501');
SELECT is(pg_temp.as_role('pmed_tap_owner', 'GRANT SELECT ON public.tap_models TO pmed_tap_reader'), 'done',
          'the owner grants the model table');
SELECT is(pg_temp.as_role('pmed_tap_reader', $q$
    SELECT (pmed.predict_proba(m.model, ARRAY[1, 2, 3]::float8[]) BETWEEN 0 AND 1)::text FROM public.tap_models m$q$), 'true',
          'with the grant, the reader scores with the stored model');
SELECT is(pg_temp.as_role('pmed_tap_reader', 'UPDATE public.tap_models SET model = NULL'), 'ERROR 42501',
          'but cannot replace it: 42501');

SELECT * FROM finish();
ROLLBACK;
