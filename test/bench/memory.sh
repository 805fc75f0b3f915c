#!/usr/bin/env bash
# Peak memory of one training backend: a linear SVM on ROWS x FEATURES float8
# features (default 5,000,000 x 30 = 1.2 GB of raw feature bytes), serial
# plan, in a throwaway cluster.  Reports the backend's VmHWM (peak resident
# set, from /proc/<pid>/status) before and after the training query, and the
# ratio of the peak to the raw feature bytes.  Not part of test/run.
#
#   test/bench/memory.sh                       # 5M x 30
#   ROWS=200000 test/bench/memory.sh           # a quick look
#   PMED_PG_ROOT=/tmp/pgroot-x test/bench/memory.sh
#   BUDGET=1GB test/bench/memory.sh            # the budget run (default 1GB; none = skip)
#
# Then, in a new session, the same training under SET pmed.max_training_memory
# = BUDGET (below the peak): it must stop with SQLSTATE 53200 before the
# backend holds more than the budget; its VmHWM and time to the error are
# reported.
#
# Rows are generated with generate_series into an UNLOGGED table.  Needs a
# few GB of RAM (the training backend alone held more than 5 GB before the
# pipeline redesign of issue 8).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

ROWS=${ROWS:-5000000}
FEATURES=${FEATURES:-30}
BUDGET=${BUDGET:-1GB}
OPTIONS=${OPTIONS:-'{"kernel": "linear", "probability": false, "tol": 0.1, "max_iter": 3}'}

install_packages
build_and_install
start_cluster
psql -X -q -c "CREATE EXTENSION pmed" >/dev/null

echo "generating $ROWS x $FEATURES rows ..." >&2
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
CREATE UNLOGGED TABLE mem_rows AS
SELECT f, (f[1] - f[2] + 0.5 * f[3] > 0) AS y
FROM (SELECT ARRAY(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, $FEATURES)) AS f
      FROM generate_series(1, $ROWS) i) s;
SQL
echo "generated in $(( $(date +%s) - t0 )) s" >&2

# One session: its backend's high-water mark before and after training.
out=$(psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
SET max_parallel_workers_per_gather = 0;
SELECT pg_backend_pid() AS pid \gset
\setenv PMED_BACKEND :pid
\! grep VmHWM /proc/\$PMED_BACKEND/status
\timing on
SELECT length(pmed.svm_train(f, y, '$OPTIONS')) FROM mem_rows;
\timing off
\! grep VmHWM /proc/\$PMED_BACKEND/status
SQL
)
echo "$out" >&2
before=$(echo "$out" | grep VmHWM | head -1 | awk '{print $2}')
after=$(echo "$out" | grep VmHWM | tail -1 | awk '{print $2}')
ms=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
raw=$((ROWS * FEATURES * 8 / 1024))
echo
echo "| rows x features | raw feature bytes | backend peak before | backend peak after training | peak / raw | training time |"
echo "|---|---|---|---|---|---|"
awk -v r="$ROWS" -v p="$FEATURES" -v raw="$raw" -v b="$before" -v a="$after" -v ms="$ms" 'BEGIN {
	printf "| %d x %d | %.2f GiB | %.2f GiB | %.2f GiB | %.2f | %.1f s |\n",
		r, p, raw / 1048576, b / 1048576, a / 1048576, a / raw, ms / 1000 }'

[ "$BUDGET" = none ] && exit 0
echo
echo "same training with SET pmed.max_training_memory = '$BUDGET' ..." >&2
t_start=$(date +%s%3N)
out=$(psql -X -q -At <<SQL 2>&1
SET max_parallel_workers_per_gather = 0;
SET pmed.max_training_memory = '$BUDGET';
\set VERBOSITY verbose
SELECT pg_backend_pid() AS pid \gset
\setenv PMED_BACKEND :pid
\timing on
SELECT length(pmed.svm_train(f, y, '$OPTIONS')) FROM mem_rows;
\timing off
\! grep VmHWM /proc/\$PMED_BACKEND/status
SQL
)
echo "$out" >&2
peak=$(echo "$out" | grep VmHWM | tail -1 | awk '{print $2}')
ms=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
[ -n "$ms" ] || ms=$(( $(date +%s%3N) - t_start ))   # psql prints no time for an error
state=$(echo "$out" | grep -oE "ERROR:  [0-9A-Z]{5}" | head -1 | awk '{print $2}')
echo
echo "| budget | result | backend peak | time to the result |"
echo "|---|---|---|---|"
awk -v b="$BUDGET" -v s="${state:-completed}" -v p="$peak" -v ms="${ms:-0}" 'BEGIN {
	printf "| %s | %s | %.2f GB | %.1f s |\n", b, s, p / 1048576, ms / 1000 }'
