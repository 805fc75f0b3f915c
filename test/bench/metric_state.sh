#!/usr/bin/env bash
# Per-row backend CPU of the metric / evaluation aggregates, serial plan:
# backend user + system CPU from log_executor_stats (robust to a loaded
# machine, unlike wall clock), minimum of RUNS runs, minus a baseline query
# that reads the same columns (sum(s), bool_or(y); octet_length for text).  Prints one table
# row per aggregate: total CPU and nanoseconds per row above the baseline.
# Also the flat state size each aggregate would ship (pmed.metric_state_info
# where available).  Runs against the cluster of the PG* environment
# variables (pmed installed in its library directory), in database
# $DB (default pmed_bench_ms, recreated).  Not part of test/run.
#
#   ROWS=1000000 RUNS=3 LABEL=after test/bench/metric_state.sh
set -euo pipefail
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
LABEL=${LABEL:-this build}
DB=${DB:-pmed_bench_ms}

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
psql -X -q -d "$DB" -v ON_ERROR_STOP=1 <<SQL >/dev/null
CREATE EXTENSION pmed;
CREATE UNLOGGED TABLE bm AS
SELECT round(((i * 7919) % 10007) / 10007.0, 3)::float8 AS s,
       (((i * 7919) % 10007) / 10007.0 + ((i * 104729) % 7001) / 7001.0)::float8 AS s2,
       ((i * 7919) % 10007) + ((i * 104729) % 7001) > 8500 AS y,
       least(1, greatest(0, ((i * 7919) % 10007) / 9000.0 - 0.05))::float8 AS p,
       ((i * 7919) % 10007) / 100.0::float8 AS pred,
       ((i * 104729) % 7001) / 70.0::float8 AS act,
       'c' || ((i * 7919) % 10007) % 3 AS lp,
       'c' || (((i * 7919) % 10007) + ((i * 104729) % 7001)) % 4 % 3 AS la
FROM generate_series(1::bigint, $ROWS) i;
VACUUM ANALYZE bm;
SQL

# backend CPU seconds (user + system) of one statement, min of RUNS
cpu_of() {
	local best=""
	for _ in $(seq "$RUNS"); do
		local t
		t=$(psql -X -q -d "$DB" -c "SET max_parallel_workers_per_gather = 0" -c "SET client_min_messages = log" \
			-c "SET log_executor_stats = on" -c "$1" 2>&1 >/dev/null |
			sed -n 's/^!\s*\([0-9.]*\) s user, \([0-9.]*\) s system.*/\1 \2/p' | head -1 |
			awk '{printf "%.3f", $1 + $2}')
		if [ -z "$best" ] || awk "BEGIN {exit !($t < $best)}"; then best=$t; fi
	done
	echo "$best"
}

base2=$(cpu_of "SELECT sum(s), bool_or(y) FROM bm")
base3=$(cpu_of "SELECT sum(s), sum(s2), bool_or(y) FROM bm")
baset=$(cpu_of "SELECT sum(octet_length(lp) + octet_length(la)) FROM bm")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $ROWS rows; $LABEL"
printf '| %-32s | %8s | %12s |\n' "aggregate ($LABEL)" "CPU s" "ns/row extra"
printf '|%s|%s|%s|\n' "----------------------------------" "----------" "--------------"
while IFS='|' read -r name query base; do
	t=$(cpu_of "SELECT $query FROM bm")
	printf '| %-32s | %8s | %12.0f |\n' "$name" "$t" "$(awk "BEGIN {print ($t - $base) * 1e9 / $ROWS}")"
done <<EOF2
auc(s, y) 1001 distinct|pmed.auc(s, y)|$base2
auc(s2, y) ~all distinct|pmed.auc(s2, y)|$base2
pr_auc(s, y)|pmed.pr_auc(s, y)|$base2
accuracy(lp, la)|pmed.accuracy(lp, la)|$baset
confusion_matrix(lp, la)|pmed.confusion_matrix(lp, la)|$baset
rmse(pred, act)|pmed.rmse(pred, act)|$base2
log_loss(p, y)|pmed.log_loss(p, y)|$base2
brier(p, y)|pmed.brier(p, y)|$base2
auc_ci(s, y)|pmed.auc_ci(s, y)|$base2
roc_curve(s2, y)|pmed.roc_curve(s2, y)|$base2
calibration(p, y)|pmed.calibration(p, y)|$base2
auc_compare(s, s2, y)|pmed.auc_compare(s, s2, y)|$base3
EOF2
echo "baselines (CPU s): sum(s), bool_or(y) $base2; + sum(s2) $base3; sum(octet_length(lp) + octet_length(la)) $baset"
