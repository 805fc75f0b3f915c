#!/usr/bin/env bash
# Every core for the SVM fit (README "Every core for the fit"): the same
# multi-class pmed.svm_train with pmed.fit_workers = 0 (serial) and 1 (the
# backend and one parallel worker solve the one-vs-one class pairs: 2
# processes for 2 cores), interleaved runs, on generated 4-class data (6
# pairs).  Prints a table: wall clock of the statement, CPU of the backend
# for the whole statement (/proc), CPU of the pairs solved by the backend
# and by the worker (the fit's DEBUG1 messages), and whether the models are
# the same bytes.  Not a test: timings depend on the machine's load, which
# it prints.
#
# Needs a running server with pmed installed (PGHOST/PGPORT/PGUSER, as
# test/bench/run sets), run as a user who can read the server's /proc
# entries (root or the server's user).  Sizes: SW_ROWS (6000), SW_FEATURES
# (20), SW_LIN_ROWS (200000), SW_RUNS (3).
#   test/bench/run svm_workers
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${SW_ROWS:-16000}
FEATURES=${SW_FEATURES:-20}
LIN_ROWS=${SW_LIN_ROWS:-200000}
RUNS=${SW_RUNS:-3}
DB=pmed_sw_bench
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $DB >/dev/null <<SQL
CREATE EXTENSION pmed;
SELECT setseed(0.5);
CREATE TABLE gen WITH (autovacuum_enabled = off) AS
SELECT i AS id, f,
       CASE WHEN f[1] + f[2] * f[3] + 0.3 * random() > 0.4 THEN 'a' WHEN f[4] - f[5] > 0.2 THEN 'b'
            WHEN f[1] * f[6] + 0.3 * random() > 0 THEN 'c' ELSE 'd' END AS y
FROM (SELECT i, ARRAY(SELECT random() * 2 - 1 FROM generate_series(1, $FEATURES) WHERE i > 0) AS f
      FROM generate_series(1, $LIN_ROWS) i) s;
VACUUM ANALYZE gen;
SQL

# run NAME WORKERS QUERY: one timed run in a fresh session; appends
# "name workers wall_ms backend_cpu pairs_backend_cpu pairs_workers_cpu launched pairs_by_backend md5"
run() {
	local name=$1 w=$2 q=$3
	psql -X -q -At -d $DB >"$OUT/one" 2>"$OUT/err" <<SQL
SET max_parallel_workers_per_gather = 0;
SET pmed.fit_workers = $w;
SET client_min_messages = debug1;
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\! echo "cpu0 \$(awk '{print \$14 + \$15}' /proc/\$BPID/stat)"
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
-- the model is not stored: md5 of its bytes but the training time and checksum
SELECT 'md5', md5(substring(model FROM 1 FOR 16) || substring(model FROM 21 FOR s) || substring(model FROM 29 + s))
FROM ($q) m, LATERAL (SELECT get_byte(model, 24) + get_byte(model, 25) * 256 + get_byte(model, 26) * 65536
                             + get_byte(model, 27) * 16777216 AS s) q;
SELECT 'wall', round((extract(epoch FROM clock_timestamp()) - :t0) * 1000);
\! echo "cpu1 \$(awk '{print \$14 + \$15}' /proc/\$BPID/stat)"
SQL
	local hz wall md5 c0 c1 bcpu launched leader lcpu tw
	hz=$(getconf CLK_TCK)
	wall=$(awk -F'|' '$1 == "wall" {print $2}' "$OUT/one")
	md5=$(awk -F'|' '$1 == "md5" {print $2}' "$OUT/one")
	c0=$(grep '^cpu0' "$OUT/one")
	c1=$(grep '^cpu1' "$OUT/one")
	bcpu=$(echo "$c0 $c1" | awk -v hz="$hz" '{printf "%.2f", ($4 - $2) / hz}')
	tw=$(grep -oE "parallel worker [0-9]+ solved [0-9]+ class pairs in [0-9.]+ s of CPU" "$OUT/err" | awk '{s += $(NF-3)} END {printf "%.3f", s}' || true)
	launched=$(grep -o "and [0-9]* parallel workers" "$OUT/err" | awk '{print $2}' | tail -1 || true)
	leader=$(grep -o "the leader solved [0-9]*" "$OUT/err" | awk '{print $4}' | tail -1 || true)
	lcpu=$(grep -oE "the leader solved [0-9]+ in [0-9.]+ s" "$OUT/err" | awk '{print $6}' | tail -1 || true)
	echo "$name $w $wall $bcpu ${lcpu:--} ${tw:--} ${launched:-0} ${leader:--} $md5" >>"$OUT/runs"
}

RBF_Q="SELECT pmed.svm_train(f, y, '{\"seed\": 1, \"C\": 10, \"probability\": false}') AS model FROM (SELECT * FROM gen ORDER BY id LIMIT $ROWS) s"
PLATT_Q="SELECT pmed.svm_train(f, y, '{\"seed\": 1, \"C\": 10}') AS model FROM (SELECT * FROM gen ORDER BY id LIMIT $((ROWS / 2))) s"
LIN_Q="SELECT pmed.svm_train(f, y, '{\"kernel\": \"linear\", \"seed\": 1, \"probability\": false}') AS model FROM gen"
echo "# $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# 4 classes (6 one-vs-one pairs), $FEATURES features: rbf on $ROWS rows, rbf + Platt on $((ROWS / 2)) rows, linear on $LIN_ROWS rows"
for r in $(seq 1 "$RUNS"); do
	for w in 0 1; do
		run rbf "$w" "$RBF_Q"
		run rbf+platt "$w" "$PLATT_Q"
		run linear "$w" "$LIN_Q"
	done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| data | fit_workers | run | wall (ms) | backend CPU, statement (s) | pairs, backend (s) | pairs, worker (s) | workers launched | pairs by the backend | model md5 (sans time) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
awk '{n[$1" "$2]++; printf "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, n[$1" "$2], $3, $4, $5, $6, $7, $8, substr($9, 1, 12)}' "$OUT/runs"
echo
echo "| data | wall w=0 / w=1, per run pair (median) | backend CPU w=0 / 2-core estimate w=1 (median) | models identical |"
echo "|---|---|---|---|"
# 2-core estimate of a w=1 run: the backend's CPU outside its pairs plus the
# longer of its pairs and the worker's pairs (the wall clock when each
# process has a core).
for d in rbf rbf+platt linear; do
	same=$(awk -v d="$d" '$1 == d {print $9}' "$OUT/runs" | sort -u | wc -l)
	awk -v d="$d" '
		$1 == d && $2 == 0 {i0++; w0[i0] = $3; s0[i0] = $4}
		$1 == d && $2 == 1 && $5 != "-" {i1++; tb = $5 > $6 ? $5 : $6
			w1[i1] = $3; s1[i1] = $4 - $5 + tb}
		function med(a, n,   i, j, t, c) { for (i = 1; i <= n; i++) c[i] = a[i]
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (c[j] < c[i]) {t = c[i]; c[i] = c[j]; c[j] = t}
			return c[int((n + 1) / 2)] }
		END { n = i0 < i1 ? i0 : i1
			for (i = 1; i <= n; i++) {rw[i] = w0[i] / w1[i]; rs[i] = s0[i] / s1[i]
				lw = lw sprintf("%s%.2f", i > 1 ? ", " : "", rw[i]); ls = ls sprintf("%s%.2f", i > 1 ? ", " : "", rs[i])}
			printf "| %s | %s (%.2fx) | %s (%.2fx) | ", d, lw, med(rw, n), ls, med(rs, n) }' "$OUT/runs"
	echo "$([ "$same" = 1 ] && echo yes || echo "NO ($same different)") |"
done
psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null
