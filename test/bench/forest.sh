#!/usr/bin/env bash
# Random forest benchmark (not a test): pmed.forest_train against ranger,
# XGBoost RF mode (tree_method=hist) and scikit-learn, one thread each, on a
# generated dense set and on WDBC; then scoring against the scan floor.
# Needs a running server with pmed installed (PGHOST/PGPORT/PGUSER/PGDATABASE).
# Sizes: FOREST_BENCH_ROWS (100000), FOREST_BENCH_SCORE_ROWS (1000000),
# FOREST_BENCH_TREES (100).  Quick run: FOREST_BENCH_ROWS=10000 FOREST_BENCH_SCORE_ROWS=100000 test/bench/forest.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
psql -X -q -c "CREATE EXTENSION IF NOT EXISTS pmed" >/dev/null
# /usr/bin/python3 has numpy, scikit-learn and xgboost; single-threaded BLAS.
exec env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 test/bench/forest_bench.py
