-- pmed 0.1.0 -> 0.2.0.  ALTER EXTENSION pmed UPDATE runs this against a
-- database whose pmed objects were made by src/sql-history/pmed--0.1.0.sql.
-- After it, the catalog must equal a fresh 0.2.0 install (test/upgrade.sh
-- diffs the two and prints what is missing): every function, aggregate and
-- comment added or changed in src/sql/ since 0.1.0 goes here as well.

\echo Use "ALTER EXTENSION pmed UPDATE TO '0.2.0'" to load this file. \quit
