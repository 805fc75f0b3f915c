#!/usr/bin/env bash
# Live reference check of pmed.recalibrate: pmed recalibrates miscalibrated
# models on WDBC and diabetes, and test/reference/recalibrate_reference.py
# refits the maps with scikit-learn (IsotonicRegression, Platt's sigmoid)
# and NumPy.  Needs a running server (PG* variables) with pmed installed; run
# from the repository root.  Usage: recalibrate_check.sh WORKDIR
set -euo pipefail
work=${1:-$(mktemp -d)}
db=pmed_recal_ref
PGOPTIONS="-c client_min_messages=warning" psql -q -X -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
psql -q -X -d postgres -c "CREATE DATABASE $db" >/dev/null
psql -q -X -d $db -c "CREATE EXTENSION pmed" >/dev/null
psql -q -X -d $db -v ON_ERROR_STOP=1 -v rows_csv="$work/recal_rows.csv" -f test/reference/recalibrate_scores.sql
/usr/bin/python3 test/reference/recalibrate_reference.py "$work/recal_rows.csv"
