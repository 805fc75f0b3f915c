#!/usr/bin/env bash
# Every core for the forest fit (README "Every core for the fit"): the same
# pmed.forest_train with pmed.fit_workers = 0 (serial) and 1 (the backend and
# one parallel worker grow the trees: 2 processes for 2 cores), interleaved
# runs, on a generated table and on WDBC.  Prints a table: wall clock of the
# statement, CPU of the backend (whole statement; and, from the fit's DEBUG1
# messages, binning, growing trees, the rest of the fit), CPU of the fit
# workers' trees, a 2-core estimate from these CPU times (the backend's CPU
# outside the trees plus the longer of the two processes' trees: the wall
# clock when each process has a core), and whether the models are the same
# bytes.  Not a test: timings depend on the machine's
# load, which it prints.
#
# Needs a running server with pmed installed (PGHOST/PGPORT/PGUSER, as
# test/bench/run sets), run as a user who can read the server's /proc
# entries (root or the server's user).  Sizes: FW_ROWS (200000), FW_FEATURES
# (30), FW_TREES (100), FW_RUNS (3).  WDBC (569 rows x 30, 500 trees) is
# below pmed.fit_workers_min_work, so its w=1 runs stay serial (the guard);
# "wdbc-forced" launches a worker anyway (min_work 0) and is compared with
# the serial wdbc runs.
#   test/bench/run forest_workers
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${FW_ROWS:-200000}
FEATURES=${FW_FEATURES:-30}
TREES=${FW_TREES:-100}
RUNS=${FW_RUNS:-3}
DB=pmed_fw_bench
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $DB >/dev/null <<SQL
CREATE EXTENSION pmed;
SELECT setseed(0.5);
CREATE TABLE gen WITH (autovacuum_enabled = off) AS
SELECT i AS id, f, (f[1] + f[2] * f[3] - 0.5 * f[4] + 0.3 * random() > 0.1) AS y
FROM (SELECT i, ARRAY(SELECT random() * 2 - 1 FROM generate_series(1, $FEATURES) WHERE i > 0) AS f
      FROM generate_series(1, $ROWS) i) s;
\i data/wdbc/load.sql
ALTER TABLE wdbc SET (autovacuum_enabled = off);
VACUUM ANALYZE gen;
VACUUM ANALYZE wdbc;
SQL

# run NAME WORKERS QUERY [MIN_WORK]: one timed run in a fresh session; appends
# "name workers wall_ms backend_cpu binning trees_backend rest trees_workers launched
#  trees_by_backend md5" to $OUT/runs (CPU in s: the backend's for the whole
# statement from /proc, the rest from the fit's DEBUG1 messages)
run() {
	local name=$1 w=$2 q=$3 min_work=${4:-1000000}
	psql -X -q -At -d $DB >"$OUT/one" 2>"$OUT/err" <<SQL
SET max_parallel_workers_per_gather = 0;
SET pmed.fit_workers = $w;
SET pmed.fit_workers_min_work = $min_work;
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
	local hz wall md5 c0 c1 bcpu split launched leader tw
	hz=$(getconf CLK_TCK)
	wall=$(awk -F'|' '$1 == "wall" {print $2}' "$OUT/one")
	md5=$(awk -F'|' '$1 == "md5" {print $2}' "$OUT/one")
	c0=$(grep '^cpu0' "$OUT/one")
	c1=$(grep '^cpu1' "$OUT/one")
	bcpu=$(echo "$c0 $c1" | awk -v hz="$hz" '{printf "%.2f", ($4 - $2) / hz}')
	split=$(grep -oE "backend CPU: binning [0-9.]+ s, trees [0-9.]+ s, the rest of the fit [0-9.]+ s" "$OUT/err" | tail -1 | awk '{print $4, $7, $14}' || true)
	tw=$(grep -oE "parallel worker [0-9]+ grew [0-9]+ trees in [0-9.]+ s of CPU" "$OUT/err" | awk '{s += $(NF-3)} END {printf "%.3f", s}' || true)
	launched=$(grep -o "and [0-9]* parallel workers" "$OUT/err" | awk '{print $2}' | tail -1 || true)
	leader=$(grep -o "the leader grew [0-9]*" "$OUT/err" | awk '{print $4}' | tail -1 || true)
	[ -n "$split" ] || split="- - -"
	echo "$name $w $wall $bcpu $split $tw ${launched:-0} ${leader:--} $md5" >>"$OUT/runs"
}

GEN_Q="SELECT pmed.forest_train(f, y, '{\"trees\": $TREES, \"seed\": 1}') AS model FROM gen"
WDBC_Q="SELECT pmed.forest_train(features, diagnosis, '{\"trees\": 500, \"seed\": 1}') AS model FROM wdbc"
echo "# $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# generated: $ROWS rows x $FEATURES features, $TREES trees; WDBC: 569 rows x 30, 500 trees"
# the fixed part of the fit: one tree
run "gen-1-tree" 0 "SELECT pmed.forest_train(f, y, '{\"trees\": 1, \"seed\": 1}') AS model FROM gen"
for r in $(seq 1 "$RUNS"); do
	for w in 0 1; do
		run gen "$w" "$GEN_Q"
	done
	for w in 0 1; do
		run wdbc "$w" "$WDBC_Q"
	done
	# below pmed.fit_workers_min_work (569 x 500): launched anyway
	run wdbc-forced 1 "$WDBC_Q" 0
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| data | fit_workers | run | wall (ms) | backend CPU, statement (s) | binning (s) | trees, backend (s) | rest of the fit (s) | trees, workers (s) | workers launched | trees by the backend | model md5 (sans time) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
awk '{n[$1" "$2]++; printf "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, n[$1" "$2], $3, $4, $5, $6, $7, $8, $9, $10, substr($11, 1, 12)}' "$OUT/runs"
echo
echo "| data | wall w=0 / w=1, per run pair (median) | statement CPU w=0 / 2-core estimate w=1 (median) | fit CPU w=0 / 2-core estimate w=1 (median) | models identical |"
echo "|---|---|---|---|---|"
# Pairs: the i-th serial run and the i-th w=1 run (interleaved, so under the
# same load).  2-core estimate: with a core per process the wall clock is
# the backend's CPU outside the trees plus the longer of its trees and the
# workers' trees (as they were split in the run).
for d in gen wdbc wdbc-forced; do
	base=$d
	[ "$d" = wdbc-forced ] && base=wdbc	# its serial runs are the wdbc w=0 runs
	same=$(awk -v d="$d" -v b="$base" '$1 == d || $1 == b {print $11}' "$OUT/runs" | sort -u | wc -l)
	awk -v d="$d" -v b="$base" '
		$1 == b && $2 == 0 {i0++; w0[i0] = $3; s0[i0] = $4; f0[i0] = $5 + $6 + $7}
		$1 == d && $2 == 1 && $6 != "-" {i1++; tb = $6 > $8 ? $6 : $8
			w1[i1] = $3; s1[i1] = $4 - $6 + tb; f1[i1] = $5 + $7 + tb}
		function med(a, n,   i, j, t, c) { for (i = 1; i <= n; i++) c[i] = a[i]
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (c[j] < c[i]) {t = c[i]; c[i] = c[j]; c[j] = t}
			return c[int((n + 1) / 2)] }
		END { n = i0 < i1 ? i0 : i1
			for (i = 1; i <= n; i++) {rw[i] = w0[i] / w1[i]; rs[i] = s0[i] / s1[i]; rf[i] = f0[i] / f1[i]
				lw = lw sprintf("%s%.2f", i > 1 ? ", " : "", rw[i]); ls = ls sprintf("%s%.2f", i > 1 ? ", " : "", rs[i])
				lf = lf sprintf("%s%.2f", i > 1 ? ", " : "", rf[i])}
			printf "| %s | %s (%.2fx) | %s (%.2fx) | %s (%.2fx) | ", d, lw, med(rw, n), ls, med(rs, n), lf, med(rf, n) }' "$OUT/runs"
	echo "$([ "$same" = 1 ] && echo yes || echo "NO ($same different)") |"
done
echo
awk '$1 == "gen-1-tree" {printf "# serial part: with one tree the statement takes %s s of backend CPU (reading rows, canonical order, binning %s s, the tree, the rest)\n", $4, $5}' "$OUT/runs"
awk '$1 == "gen" && $2 == 0 && $6 != "-" {printf "# gen, serial run %d: trees %s s of %s s of backend CPU for the statement (%.0f%%)\n", ++i, $6, $4, 100 * $6 / $4}' "$OUT/runs"
psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null
