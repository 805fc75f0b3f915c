-- The bundled data sets load with the documented shapes, types and missing
-- values (counts from each SOURCE.md), and the synthetic generator is
-- labelled and complete.
BEGIN;
SELECT plan(12);

\i data/flchain/load.sql
\i data/colon/load.sql
\i data/nlme-pk/load.sql

SELECT is((SELECT count(*) || ' rows, ' || count(creatinine) || ' creatinine, ' || count(chapter) || ' chapter, '
                  || count(*) FILTER (WHERE death) || ' deaths, ' || count(*) FILTER (WHERE mgus) || ' mgus' FROM flchain),
          '7874 rows, 6524 creatinine, 2169 chapter, 2169 deaths, 115 mgus', 'flchain: 7,874 subjects, NULLs where missing');
SELECT is((SELECT count(*) FROM flchain WHERE (chapter IS NULL) <> (NOT death)), 0::bigint,
          'flchain: a cause of death exactly for the dead');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
           FROM pg_attribute WHERE attrelid = 'flchain'::regclass AND attnum > 0),
          'id integer, age integer, sex text, sample_yr integer, kappa numeric, lambda numeric, flc_grp integer, creatinine numeric, mgus boolean, futime integer, death boolean, chapter text',
          'flchain: typed columns');
SELECT is((SELECT count(*) || ' rows, ' || count(DISTINCT id) || ' patients, ' || count(nodes) || ' nodes, ' || count(differ) || ' differ'
           FROM colon), '1858 rows, 929 patients, 1822 nodes, 1812 differ', 'colon: 929 patients, two rows each, NULLs where missing');
SELECT is((SELECT string_agg(rx || ' ' || n, ', ' ORDER BY rx) FROM (SELECT rx, count(*) / 2 AS n FROM colon GROUP BY rx) s),
          'Lev 310, Lev+5FU 304, Obs 315', 'colon: the three arms');
SELECT is((SELECT count(*) FROM colon WHERE extent IS NULL OR surg IS NULL OR sex IS NULL OR etype IS NULL), 0::bigint,
          'colon: every code is mapped to its label');
SELECT is((SELECT count(*) || ' rows, ' || count(DISTINCT id) || ' patients, ' || count(conc) || ' concentrations' FROM remifentanil),
          '2107 rows, 65 patients, 1992 concentrations', 'remifentanil: 65 patients');
SELECT is((SELECT count(*) || ' rows, ' || count(DISTINCT subject) || ' patients, ' || count(conc) || ' concentrations, ' || count(dose) || ' doses'
           FROM quinidine), '1471 rows, 136 patients, 361 concentrations, 1028 doses', 'quinidine: 136 patients');
SELECT is((SELECT count(*) || ' rows, ' || count(DISTINCT subject) || ' infants, ' || count(conc) || ' concentrations, ' || count(dose) || ' doses'
           FROM phenobarb), '744 rows, 59 infants, 155 concentrations, 589 doses', 'phenobarb: 59 infants');
SELECT is((SELECT count(*) FROM phenobarb WHERE dose IS NULL AND conc IS NULL), 0::bigint,
          'phenobarb: every row is a dose, a measurement or both');

\i data/synthetic-prescriptions/load.sql
SELECT is((SELECT count(*) FROM rx_admissions a WHERE NOT EXISTS (SELECT 1 FROM rx WHERE rx.hadm_id = a.hadm_id)), 2::bigint,
          'synthetic: 2 of the 2,000 admissions drew no drug');
SELECT is((SELECT count(*) FROM ddi_pairs p WHERE NOT EXISTS (SELECT 1 FROM rx_drugs WHERE drug = p.drug_a)
                                              OR NOT EXISTS (SELECT 1 FROM rx_drugs WHERE drug = p.drug_b)), 7::bigint,
          'synthetic: 37 of the 44 DDI pairs are in the formulary (7 name drugs it does not have)');

SELECT * FROM finish();
ROLLBACK;
