-- Sets the psql variable pmed_shared to the folder of the data that may not be
-- in the repository: $PMED_SHARED_DATA, or else ../shared/data (relative to the
-- repository root, where the scripts run).  Included with \ir by the scripts
-- that read it (test/mimic/, test/nn/shared_load.sql).
\getenv pmed_shared PMED_SHARED_DATA
\if :{?pmed_shared}
\else
\set pmed_shared ../shared/data
\endif
