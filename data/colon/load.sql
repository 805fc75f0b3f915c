-- Load the bundled colon cancer adjuvant therapy trial (colon, 929 patients,
-- two rows each; see SOURCE.md) into colon with typed columns: categories as
-- text with their meaning, flags as boolean, NULLs for missing values.
-- Run from the repository root: \i data/colon/load.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS colon_csv;
CREATE TEMP TABLE colon_csv (id int, study int, rx text, sex int, age int, obstruct int, perfor int, adhere int,
                             nodes int, status int, differ int, extent int, surg int, node4 int, time int, etype int);
\copy colon_csv FROM 'data/colon/colon.csv' WITH (FORMAT csv, HEADER true)
DROP TABLE IF EXISTS colon;
CREATE TABLE colon (
    id int NOT NULL,             -- patient
    study int NOT NULL,          -- 1 for every row (all patients are from the one trial)
    rx text NOT NULL,            -- treatment: 'Obs' (observation), 'Lev' (levamisole), 'Lev+5FU'
    sex text NOT NULL,           -- 'male' or 'female'
    age int NOT NULL,            -- years
    obstruct boolean NOT NULL,   -- obstruction of the colon by the tumour
    perfor boolean NOT NULL,     -- perforation of the colon
    adhere boolean NOT NULL,     -- adherence to nearby organs
    nodes int,                   -- number of lymph nodes with detectable cancer; NULL = missing
    status boolean NOT NULL,     -- the event of this row (etype) happened
    differ text,                 -- differentiation of the tumour: 'well', 'moderate', 'poor'; NULL = missing
    extent text NOT NULL,        -- local spread: 'submucosa', 'muscle', 'serosa', 'contiguous structures'
    surg text NOT NULL,          -- time from surgery to registration: 'short' or 'long'
    node4 boolean NOT NULL,      -- more than 4 positive lymph nodes
    time int NOT NULL,           -- days until the event or censoring
    etype text NOT NULL,         -- event type of this row: 'recurrence' or 'death'
    PRIMARY KEY (id, etype)
);
INSERT INTO colon
SELECT id, study, rx, CASE sex WHEN 1 THEN 'male' WHEN 0 THEN 'female' END, age,
       obstruct = 1, perfor = 1, adhere = 1, nodes, status = 1,
       (ARRAY['well', 'moderate', 'poor'])[differ],
       (ARRAY['submucosa', 'muscle', 'serosa', 'contiguous structures'])[extent],
       CASE surg WHEN 0 THEN 'short' WHEN 1 THEN 'long' END, node4 = 1, time,
       CASE etype WHEN 1 THEN 'recurrence' WHEN 2 THEN 'death' END
FROM colon_csv;
DROP TABLE colon_csv;
ANALYZE colon;
RESET client_min_messages;
