#!/usr/bin/env bash
# Every core for the forest fit (README "Every core for the fit"): the same
# pmed.forest_train with pmed.fit_workers = 0 (serial) and 1 (the backend and
# one parallel worker grow the trees: 2 processes for 2 cores), interleaved
# runs, on a generated table and on WDBC.  Prints a table: wall clock of the
# query, the fit alone (model_info training_seconds: canonical row order,
# binning, trees, out-of-bag error), CPU of the backend (the critical path
# when each process has a core) and of the fit workers, and whether the
# models are the same bytes.  Not a test: timings depend on the machine's
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

# run NAME WORKERS QUERY: one timed run in a fresh session; appends
# "name workers wall_ms fit_s leader_cpu_s worker_cpu_s launched leader_trees md5" to $OUT/runs
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
-- the model is stored uncompressed: pglz over a 90 MB forest would add seconds of CPU
CREATE TEMP TABLE m (model bytea);
ALTER TABLE m ALTER model SET STORAGE EXTERNAL;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
INSERT INTO m $q;
SELECT 'wall', round((extract(epoch FROM clock_timestamp()) - :t0) * 1000);
\! echo "cpu1 \$(awk '{print \$14 + \$15}' /proc/\$BPID/stat)"
SELECT 'fit', pmed.model_info(model)->>'training_seconds',
       md5(substring(model FROM 1 FOR 16) || substring(model FROM 21 FOR s) || substring(model FROM 29 + s))
FROM m, LATERAL (SELECT get_byte(model, 24) + get_byte(model, 25) * 256 + get_byte(model, 26) * 65536
                        + get_byte(model, 27) * 16777216 AS s) q;
SQL
	local hz wall fit md5 c0 c1 lcpu wcpu launched leader tl tw
	hz=$(getconf CLK_TCK)
	wall=$(awk -F'|' '$1 == "wall" {print $2}' "$OUT/one")
	fit=$(awk -F'|' '$1 == "fit" {print $2}' "$OUT/one")
	md5=$(awk -F'|' '$1 == "fit" {print $3}' "$OUT/one")
	c0=$(grep '^cpu0' "$OUT/one")
	c1=$(grep '^cpu1' "$OUT/one")
	lcpu=$(echo "$c0 $c1" | awk -v hz="$hz" '{printf "%.2f", ($4 - $2) / hz}')
	# CPU of growing the trees, as the processes report it (DEBUG1)
	tl=$(grep -oE "(the leader grew [0-9]+|grown serially) in [0-9.]+ s of CPU" "$OUT/err" | awk '{print $(NF-3)}' | tail -1 || true)
	tw=$(grep -oE "parallel worker [0-9]+ grew [0-9]+ trees in [0-9.]+ s of CPU" "$OUT/err" | awk '{s += $(NF-3)} END {printf "%.2f", s}' || true)
	launched=$(grep -o "and [0-9]* parallel workers" "$OUT/err" | awk '{print $2}' | tail -1 || true)
	leader=$(grep -o "the leader grew [0-9]*" "$OUT/err" | awk '{print $4}' | tail -1 || true)
	echo "$name $w $wall $fit $lcpu ${tl:--} $tw ${launched:-0} ${leader:--} $md5" >>"$OUT/runs"
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
echo "| data | fit_workers | run | wall (ms) | fit (s) | backend CPU, whole query (s) | backend CPU, trees (s) | workers' CPU, trees (s) | workers launched | trees by the backend | model md5 (sans time) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
awk '{n[$1" "$2]++; printf "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, n[$1" "$2], $3, $4, $5, $6, $7, $8, $9, substr($10, 1, 12)}' "$OUT/runs"
echo
echo "| data | median wall w=0 / w=1 | median fit w=0 / w=1 | backend CPU w=0 / 2-core estimate w=1 | models identical |"
echo "|---|---|---|---|---|"
for d in gen wdbc wdbc-forced; do
	base=$d
	[ "$d" = wdbc-forced ] && base=wdbc	# its serial runs are the wdbc w=0 runs
	med() {
		local dd=$d
		[ "$1" = 0 ] && dd=$base
		awk -v d="$dd" -v w="$1" -v c="$2" '$1 == d && $2 == w {print $c}' "$OUT/runs" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
	}
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
	# With a core per process the trees split evenly: the statement's serial
	# CPU (backend CPU minus its trees) plus half the trees' CPU of all processes.
	est=$(awk -v d="$d" '$1 == d && $2 == 1 && $6 != "-" {print $5 - $6 + ($6 + $7) / 2}' "$OUT/runs" | sort -g | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)]}')
	same=$(awk -v d="$d" -v b="$base" '$1 == d || $1 == b {print $10}' "$OUT/runs" | sort -u | wc -l)
	echo "| $d | $(med 0 3) / $(med 1 3) = $(ratio "$(med 0 3)" "$(med 1 3)") | $(med 0 4) / $(med 1 4) = $(ratio "$(med 0 4)" "$(med 1 4)") | $(med 0 5) / $est = $(ratio "$(med 0 5)" "$est") | $([ "$same" = 1 ] && echo yes || echo "NO ($same different)") |"
done
echo
awk '$1 == "gen-1-tree" {printf "# serial part: with one tree the statement takes %s s of backend CPU (reading rows, canonical order, binning, one tree) and the fit %s s\n", $5, $4}' "$OUT/runs"
awk '$1 == "gen" && $2 == 0 && $6 != "-" {printf "# gen, serial run %d: the trees take %s of %s s of backend CPU (%.0f%%)\n", ++i, $6, $5, 100 * $6 / $5}' "$OUT/runs"
psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null
