#!/usr/bin/env bash
# Live reference check of the clinical evaluation aggregates: pmed scores the
# bundled WDBC and diabetes data (out-of-fold), exports scores and its own
# results, and test/reference/evaluate_reference.py recomputes every number
# with NumPy/SciPy.  Needs a running server (PG* variables) with pmed
# installed; run from the repository root.  Usage: evaluate_check.sh WORKDIR
set -euo pipefail
work=${1:-$(mktemp -d)}
db=pmed_eval_ref
PGOPTIONS="-c client_min_messages=warning" psql -q -X -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
psql -q -X -d postgres -c "CREATE DATABASE $db" >/dev/null
psql -q -X -d $db -c "CREATE EXTENSION pmed" >/dev/null
psql -q -X -d $db -v ON_ERROR_STOP=1 -v scores_csv="$work/eval_scores.csv" \
	-v pmed_csv="$work/eval_pmed.csv" -f test/reference/evaluate_scores.sql
/usr/bin/python3 test/reference/evaluate_reference.py "$work/eval_scores.csv" "$work/eval_pmed.csv"
