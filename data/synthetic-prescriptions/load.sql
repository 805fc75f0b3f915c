-- SYNTHETIC prescriptions: generate (deterministically, no randomness outside
-- md5 of fixed keys) 2,000 made-up hospital admissions with diagnosis-driven
-- drug regimens.  No real patient is behind any row; see SOURCE.md.
-- Run from the repository root: \i data/synthetic-prescriptions/load.sql
-- Creates (as temporary tables):
--   rx_drugs(drug_id, drug, drug_class, area, route, features float8[])
--   rx_admissions(hadm_id, diagnoses text[])
--   rx(hadm_id, drug_id, n_orders)
--   ddi_pairs(drug_a, drug_b, concern)           (data/ddi, generic names)
--   rx_ddi(drug_a, drug_b, concern)              (those pairs as rx_drugs ids)
SET client_min_messages = warning;
DROP TABLE IF EXISTS pg_temp.rx_formulary, pg_temp.rx_drugs, pg_temp.rx_diagnoses, pg_temp.rx_regimens,
    pg_temp.rx_admission_dx, pg_temp.rx_admissions, pg_temp.rx, pg_temp.rx_ddi;

-- u(key): a uniform number in [0, 1) from the md5 of a text key: the same
-- key gives the same number on every server, in every plan.
CREATE OR REPLACE FUNCTION pg_temp.rx_u(key text) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ('x' || substr(md5(key), 1, 12))::bit(48)::bigint / 281474976710656.0 $$;

-- The formulary: drug (generic name), class (substitutes: one drug per class
-- and admission), therapeutic area and route; weight = share within its class.
CREATE TEMP TABLE rx_formulary (drug text, drug_class text, area text, route text, weight float8);
INSERT INTO rx_formulary VALUES
  ('lisinopril', 'ras blocker', 'cardiovascular', 'oral', 0.45),
  ('enalapril', 'ras blocker', 'cardiovascular', 'oral', 0.15),
  ('ramipril', 'ras blocker', 'cardiovascular', 'oral', 0.10),
  ('losartan', 'ras blocker', 'cardiovascular', 'oral', 0.20),
  ('valsartan', 'ras blocker', 'cardiovascular', 'oral', 0.10),
  ('amlodipine', 'dihydropyridine ccb', 'cardiovascular', 'oral', 1),
  ('hydrochlorothiazide', 'thiazide', 'cardiovascular', 'oral', 0.7),
  ('chlorthalidone', 'thiazide', 'cardiovascular', 'oral', 0.3),
  ('metoprolol', 'beta blocker', 'cardiovascular', 'oral', 0.6),
  ('carvedilol', 'beta blocker', 'cardiovascular', 'oral', 0.25),
  ('atenolol', 'beta blocker', 'cardiovascular', 'oral', 0.15),
  ('furosemide', 'loop diuretic', 'cardiovascular', 'iv', 0.8),
  ('torsemide', 'loop diuretic', 'cardiovascular', 'oral', 0.2),
  ('spironolactone', 'mineralocorticoid antagonist', 'cardiovascular', 'oral', 1),
  ('atorvastatin', 'statin', 'cardiovascular', 'oral', 0.6),
  ('simvastatin', 'statin', 'cardiovascular', 'oral', 0.3),
  ('rosuvastatin', 'statin', 'cardiovascular', 'oral', 0.1),
  ('aspirin', 'antiplatelet', 'haematology', 'oral', 1),
  ('clopidogrel', 'p2y12 inhibitor', 'haematology', 'oral', 1),
  ('warfarin', 'oral anticoagulant', 'haematology', 'oral', 0.45),
  ('apixaban', 'oral anticoagulant', 'haematology', 'oral', 0.4),
  ('rivaroxaban', 'oral anticoagulant', 'haematology', 'oral', 0.15),
  ('heparin', 'vte prophylaxis', 'haematology', 'subcutaneous', 0.6),
  ('enoxaparin', 'vte prophylaxis', 'haematology', 'subcutaneous', 0.4),
  ('diltiazem', 'rate control', 'cardiovascular', 'oral', 0.65),
  ('digoxin', 'rate control', 'cardiovascular', 'oral', 0.35),
  ('amiodarone', 'antiarrhythmic', 'cardiovascular', 'oral', 1),
  ('nitroglycerin', 'nitrate', 'cardiovascular', 'sublingual', 1),
  ('metformin', 'biguanide', 'endocrine', 'oral', 1),
  ('insulin glargine', 'basal insulin', 'endocrine', 'subcutaneous', 1),
  ('insulin lispro', 'prandial insulin', 'endocrine', 'subcutaneous', 1),
  ('empagliflozin', 'sglt2 inhibitor', 'endocrine', 'oral', 1),
  ('sitagliptin', 'dpp4 inhibitor', 'endocrine', 'oral', 1),
  ('glipizide', 'sulfonylurea', 'endocrine', 'oral', 1),
  ('albuterol', 'short-acting bronchodilator', 'respiratory', 'inhaled', 1),
  ('ipratropium', 'antimuscarinic bronchodilator', 'respiratory', 'inhaled', 0.6),
  ('tiotropium', 'antimuscarinic bronchodilator', 'respiratory', 'inhaled', 0.4),
  ('fluticasone', 'inhaled corticosteroid', 'respiratory', 'inhaled', 1),
  ('prednisone', 'systemic corticosteroid', 'respiratory', 'oral', 0.6),
  ('methylprednisolone', 'systemic corticosteroid', 'respiratory', 'iv', 0.4),
  ('azithromycin', 'macrolide', 'anti-infective', 'oral', 0.7),
  ('clarithromycin', 'macrolide', 'anti-infective', 'oral', 0.3),
  ('ceftriaxone', 'cephalosporin', 'anti-infective', 'iv', 1),
  ('levofloxacin', 'fluoroquinolone', 'anti-infective', 'oral', 0.6),
  ('ciprofloxacin', 'fluoroquinolone', 'anti-infective', 'oral', 0.4),
  ('piperacillin-tazobactam', 'antipseudomonal beta-lactam', 'anti-infective', 'iv', 1),
  ('vancomycin', 'glycopeptide', 'anti-infective', 'iv', 1),
  ('nitrofurantoin', 'urinary antibiotic', 'anti-infective', 'oral', 0.5),
  ('trimethoprim-sulfamethoxazole', 'urinary antibiotic', 'anti-infective', 'oral', 0.5),
  ('metronidazole', 'nitroimidazole', 'anti-infective', 'iv', 1),
  ('sertraline', 'ssri', 'cns', 'oral', 0.5),
  ('citalopram', 'ssri', 'cns', 'oral', 0.35),
  ('escitalopram', 'ssri', 'cns', 'oral', 0.15),
  ('trazodone', 'sedating antidepressant', 'cns', 'oral', 1),
  ('lorazepam', 'benzodiazepine', 'cns', 'oral', 1),
  ('haloperidol', 'antipsychotic', 'cns', 'iv', 1),
  ('oxycodone', 'opioid', 'analgesic', 'oral', 0.45),
  ('morphine', 'opioid', 'analgesic', 'iv', 0.3),
  ('hydromorphone', 'opioid', 'analgesic', 'iv', 0.25),
  ('tramadol', 'weak opioid', 'analgesic', 'oral', 1),
  ('acetaminophen', 'simple analgesic', 'analgesic', 'oral', 1),
  ('ketorolac', 'nsaid', 'analgesic', 'iv', 1),
  ('ondansetron', 'antiemetic', 'gastrointestinal', 'iv', 1),
  ('pantoprazole', 'proton pump inhibitor', 'gastrointestinal', 'oral', 0.6),
  ('omeprazole', 'proton pump inhibitor', 'gastrointestinal', 'oral', 0.4),
  ('docusate', 'stool softener', 'gastrointestinal', 'oral', 1),
  ('senna', 'stimulant laxative', 'gastrointestinal', 'oral', 1),
  ('potassium chloride', 'potassium supplement', 'electrolytes', 'oral', 1),
  ('magnesium sulfate', 'magnesium supplement', 'electrolytes', 'iv', 1);

-- drug ids 1..N in byte order of the names; content features: one-hot
-- therapeutic area (8) and route (5)
CREATE TEMP TABLE rx_drugs AS
SELECT row_number() OVER (ORDER BY f.drug COLLATE "C")::bigint AS drug_id, f.drug, f.drug_class, f.area, f.route,
       ARRAY(SELECT (a = f.area)::int::float8 FROM unnest(ARRAY['cardiovascular', 'haematology', 'endocrine', 'respiratory',
                                                              'anti-infective', 'cns', 'analgesic', 'gastrointestinal']) a)
       || ARRAY(SELECT (r = CASE WHEN f.route IN ('oral', 'sublingual') THEN 'oral'
                                 WHEN f.area = 'electrolytes' THEN 'other' ELSE f.route END)::int::float8
                FROM unnest(ARRAY['oral', 'iv', 'subcutaneous', 'inhaled', 'other']) r) AS features
FROM rx_formulary f;
ALTER TABLE rx_drugs ADD PRIMARY KEY (drug_id);

-- Diagnosis groups: prevalence per admission (atrial fibrillation and
-- coronary disease are likelier with heart failure, see below).
CREATE TEMP TABLE rx_diagnoses (diagnosis text PRIMARY KEY, prevalence float8);
INSERT INTO rx_diagnoses VALUES
  ('hypertension', 0.45), ('type 2 diabetes', 0.28), ('heart failure', 0.15),
  ('atrial fibrillation', 0.12), ('coronary artery disease', 0.18), ('copd exacerbation', 0.12),
  ('pneumonia', 0.18), ('urinary tract infection', 0.12), ('depression', 0.12),
  ('surgery', 0.15), ('ward', 1);   -- ward: what every admission may get

-- Regimens: the probability that an admission with the diagnosis gets a drug
-- of the class (typical first-line and co-prescribed classes).
CREATE TEMP TABLE rx_regimens (diagnosis text, drug_class text, p float8);
INSERT INTO rx_regimens VALUES
  ('hypertension', 'ras blocker', 0.75), ('hypertension', 'dihydropyridine ccb', 0.4),
  ('hypertension', 'thiazide', 0.3), ('hypertension', 'beta blocker', 0.2),
  ('type 2 diabetes', 'biguanide', 0.7), ('type 2 diabetes', 'basal insulin', 0.35),
  ('type 2 diabetes', 'prandial insulin', 0.45), ('type 2 diabetes', 'sglt2 inhibitor', 0.15),
  ('type 2 diabetes', 'dpp4 inhibitor', 0.15), ('type 2 diabetes', 'sulfonylurea', 0.15),
  ('type 2 diabetes', 'statin', 0.5), ('type 2 diabetes', 'ras blocker', 0.3),
  ('heart failure', 'loop diuretic', 0.9), ('heart failure', 'beta blocker', 0.7),
  ('heart failure', 'ras blocker', 0.6), ('heart failure', 'mineralocorticoid antagonist', 0.4),
  ('heart failure', 'potassium supplement', 0.4), ('heart failure', 'magnesium supplement', 0.2),
  ('heart failure', 'sglt2 inhibitor', 0.15),
  ('atrial fibrillation', 'oral anticoagulant', 0.75), ('atrial fibrillation', 'beta blocker', 0.5),
  ('atrial fibrillation', 'rate control', 0.4), ('atrial fibrillation', 'antiarrhythmic', 0.15),
  ('coronary artery disease', 'antiplatelet', 0.9), ('coronary artery disease', 'statin', 0.85),
  ('coronary artery disease', 'beta blocker', 0.6), ('coronary artery disease', 'p2y12 inhibitor', 0.45),
  ('coronary artery disease', 'ras blocker', 0.35), ('coronary artery disease', 'nitrate', 0.3),
  ('copd exacerbation', 'short-acting bronchodilator', 0.9),
  ('copd exacerbation', 'antimuscarinic bronchodilator', 0.7),
  ('copd exacerbation', 'systemic corticosteroid', 0.7), ('copd exacerbation', 'inhaled corticosteroid', 0.4),
  ('copd exacerbation', 'macrolide', 0.4), ('copd exacerbation', 'fluoroquinolone', 0.15),
  ('pneumonia', 'cephalosporin', 0.7), ('pneumonia', 'macrolide', 0.7), ('pneumonia', 'fluoroquinolone', 0.2),
  ('pneumonia', 'antipseudomonal beta-lactam', 0.15), ('pneumonia', 'glycopeptide', 0.15),
  ('pneumonia', 'short-acting bronchodilator', 0.25),
  ('urinary tract infection', 'urinary antibiotic', 0.7), ('urinary tract infection', 'cephalosporin', 0.25),
  ('urinary tract infection', 'fluoroquinolone', 0.15),
  ('depression', 'ssri', 0.8), ('depression', 'sedating antidepressant', 0.3), ('depression', 'benzodiazepine', 0.15),
  ('surgery', 'opioid', 0.85), ('surgery', 'simple analgesic', 0.8), ('surgery', 'antiemetic', 0.6),
  ('surgery', 'nsaid', 0.3), ('surgery', 'stool softener', 0.5), ('surgery', 'stimulant laxative', 0.3),
  ('surgery', 'vte prophylaxis', 0.5), ('surgery', 'nitroimidazole', 0.2), ('surgery', 'cephalosporin', 0.3),
  ('ward', 'simple analgesic', 0.4), ('ward', 'vte prophylaxis', 0.4), ('ward', 'proton pump inhibitor', 0.3),
  ('ward', 'stool softener', 0.2), ('ward', 'antiemetic', 0.15), ('ward', 'benzodiazepine', 0.05),
  ('ward', 'antipsychotic', 0.03), ('ward', 'weak opioid', 0.05), ('ward', 'potassium supplement', 0.1);

-- 2,000 admissions (hadm_id 1..2000), each with its diagnoses; an admission
-- that drew none gets one, picked uniformly among the ten.
CREATE TEMP TABLE rx_admission_dx AS
SELECT h AS hadm_id, d.diagnosis
FROM generate_series(1, 2000) h, rx_diagnoses d
WHERE d.diagnosis <> 'ward'
  AND pg_temp.rx_u('dx:' || h || ':' || d.diagnosis) <
      d.prevalence + CASE WHEN d.diagnosis IN ('atrial fibrillation', 'coronary artery disease')
                           AND pg_temp.rx_u('dx:' || h || ':heart failure') < 0.15 THEN 0.25 ELSE 0 END;
INSERT INTO rx_admission_dx
SELECT h, (SELECT diagnosis FROM rx_diagnoses WHERE diagnosis <> 'ward' ORDER BY diagnosis
           OFFSET floor(pg_temp.rx_u('dx1:' || h) * 10)::int LIMIT 1)
FROM generate_series(1, 2000) h WHERE h NOT IN (SELECT hadm_id FROM rx_admission_dx);
CREATE TEMP TABLE rx_admissions AS
SELECT hadm_id::bigint, array_agg(diagnosis ORDER BY diagnosis) AS diagnoses
FROM rx_admission_dx GROUP BY hadm_id;
ALTER TABLE rx_admissions ADD PRIMARY KEY (hadm_id);

-- Drug classes drawn from the regimens (every admission also has 'ward'),
-- one drug per class and admission by the class's weights at the admission's
-- hospital: three sites (site = floor(3 u)), each of which prefers one drug of
-- every class (the 1st, 2nd or 3rd by drug_id: weight x 4; a formulary
-- effect), plus noise: each
-- admission has two chances in five of each of two drugs drawn uniformly.
CREATE TEMP TABLE rx AS
WITH classes AS (
    SELECT DISTINCT a.hadm_id, r.drug_class
    FROM (SELECT hadm_id, diagnosis FROM rx_admission_dx
          UNION ALL SELECT h, 'ward' FROM generate_series(1, 2000) h) a
    JOIN rx_regimens r USING (diagnosis)
    WHERE pg_temp.rx_u('class:' || a.hadm_id || ':' || a.diagnosis || ':' || r.drug_class) < r.p),
weighted AS (
    SELECT s.site, d.drug_id, d.drug_class,
           f.weight * CASE WHEN (row_number() OVER (PARTITION BY s.site, d.drug_class ORDER BY d.drug_id) - 1) % 3 = s.site
                           THEN 4 ELSE 1 END AS weight
    FROM rx_drugs d JOIN rx_formulary f USING (drug), generate_series(0, 2) s(site)),
cumulative AS (
    SELECT site, drug_id, drug_class,
           sum(weight) OVER w - weight AS lo, sum(weight) OVER w AS hi, sum(weight) OVER (PARTITION BY site, drug_class) AS total
    FROM weighted
    WINDOW w AS (PARTITION BY site, drug_class ORDER BY drug_id)),
picked AS (
    SELECT c.hadm_id, k.drug_id
    FROM classes c JOIN cumulative k
      ON k.drug_class = c.drug_class AND k.site = floor(pg_temp.rx_u('site:' || c.hadm_id) * 3)
    WHERE pg_temp.rx_u('pick:' || c.hadm_id || ':' || c.drug_class) * k.total >= k.lo
      AND pg_temp.rx_u('pick:' || c.hadm_id || ':' || c.drug_class) * k.total < k.hi
    UNION
    SELECT h, 1 + floor(pg_temp.rx_u('noise:' || h || ':' || s || ':drug') * (SELECT count(*) FROM rx_drugs))::bigint
    FROM generate_series(1, 2000) h, generate_series(1, 2) s
    WHERE pg_temp.rx_u('noise:' || h || ':' || s) < 0.4)
SELECT hadm_id::bigint, drug_id, 1 + floor(pg_temp.rx_u('orders:' || hadm_id || ':' || drug_id) * 6)::int AS n_orders
FROM picked ORDER BY hadm_id, drug_id;
ALTER TABLE rx ADD PRIMARY KEY (hadm_id, drug_id);

\i data/ddi/load.sql
CREATE TEMP TABLE rx_ddi AS
SELECT a.drug_id AS drug_a, b.drug_id AS drug_b, p.concern
FROM ddi_pairs p JOIN rx_drugs a ON a.drug = p.drug_a JOIN rx_drugs b ON b.drug = p.drug_b;
DROP TABLE rx_admission_dx, rx_formulary;
ANALYZE rx_drugs;
ANALYZE rx;
RESET client_min_messages;
