#!/usr/bin/env bash
# Per-row backend CPU of the metric / evaluation aggregates, serial plan:
# backend user + system CPU from log_executor_stats (less sensitive to a
# loaded machine than wall clock), minimum of RUNS runs, minus a baseline
# query that reads the same columns (sum(s), bool_or(y); octet_length for
# text).  Prints one table row per aggregate: nanoseconds per row above the
# baseline.  Runs against the cluster of the PG* environment variables with
# pmed installed.  Not part of test/run.
#
#   ROWS=1000000 RUNS=3 test/bench/metric_state.sh
#
# Before/after in the same minutes: BEFORE_SRC=<a built pmed source tree>
# (e.g. `git archive main | tar -x -C /tmp/old && make -C /tmp/old`) adds a
# second database where that build's install script is run as plain SQL
# against a copy of its library (pmed_before.so, put in the server's pkglibdir),
# and every query alternates between the two builds, so both columns see the
# same machine load.
set -euo pipefail
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
DB=${DB:-pmed_bench_ms}
BEFORE_SRC=${BEFORE_SRC:-}

make_db() {		# db, how to install pmed
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null 2>&1
	if [ "$2" = extension ]; then
		psql -X -q -d "$1" -c "CREATE EXTENSION pmed" >/dev/null
	else
		local lib
		lib=$(pg_config --pkglibdir)
		cp "$BEFORE_SRC/pmed.so" "$lib/pmed_before.so"
		{ echo "CREATE SCHEMA pmed;"; sed -e "s|MODULE_PATHNAME|\$libdir/pmed_before|g" -e "/^\\\\echo/d" -e "/^\\\\quit/d" "$BEFORE_SRC"/src/pmed--*.sql; } |
			psql -X -q -d "$1" -v ON_ERROR_STOP=1 >/dev/null
	fi
	psql -X -q -d "$1" -v ON_ERROR_STOP=1 <<SQL >/dev/null
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
}

# backend CPU seconds (user + system) of one statement in one database
cpu_once() {
	psql -X -q -d "$1" -c "SET max_parallel_workers_per_gather = 0" -c "SET client_min_messages = log" \
		-c "SET log_executor_stats = on" -c "$2" 2>&1 >/dev/null |
		sed -n 's/^!\s*\([0-9.]*\) s user, \([0-9.]*\) s system.*/\1 \2/p' | head -1 |
		awk '{printf "%.3f", $1 + $2}'
}

dbs="$DB"
make_db "$DB" extension
if [ -n "$BEFORE_SRC" ]; then
	make_db "${DB}_before" sql
	dbs="${DB}_before $DB"
fi

# min over RUNS of each database's CPU, the databases alternating
declare -A best
measure() {		# key, query
	for d in $dbs; do best["$1/$d"]=""; done
	for _ in $(seq "$RUNS"); do
		for d in $dbs; do
			local t
			t=$(cpu_once "$d" "$2")
			if [ -z "${best["$1/$d"]}" ] || awk "BEGIN {exit !($t < ${best["$1/$d"]})}"; then
				best["$1/$d"]=$t
			fi
		done
	done
}

measure base2 "SELECT sum(s), bool_or(y) FROM bm"
measure base3 "SELECT sum(s), sum(s2), bool_or(y) FROM bm"
measure baset "SELECT sum(octet_length(lp) + octet_length(la)) FROM bm"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $ROWS rows; min of $RUNS runs; databases: $dbs"
header="| aggregate | ns/row extra ($(echo "$dbs" | sed 's/ / | ns\/row extra (/g;s/$/)/') |"
echo "$header"
echo "|---|$(for d in $dbs; do printf -- '---|'; done)"
while IFS='|' read -r name query base; do
	measure q "SELECT $query FROM bm"
	line="| $name |"
	for d in $dbs; do
		line="$line $(awk "BEGIN {printf \"%.0f\", (${best["q/$d"]} - ${best["$base/$d"]}) * 1e9 / $ROWS}") |"
	done
	echo "$line"
done <<EOF2
auc(s, y), 1001 distinct|pmed.auc(s, y)|base2
auc(s2, y), all distinct|pmed.auc(s2, y)|base2
pr_auc(s, y)|pmed.pr_auc(s, y)|base2
accuracy(lp, la)|pmed.accuracy(lp, la)|baset
confusion_matrix(lp, la)|pmed.confusion_matrix(lp, la)|baset
rmse(pred, act)|pmed.rmse(pred, act)|base2
log_loss(p, y)|pmed.log_loss(p, y)|base2
brier(p, y)|pmed.brier(p, y)|base2
auc_ci(s, y)|pmed.auc_ci(s, y)|base2
roc_curve(s2, y)|pmed.roc_curve(s2, y)|base2
calibration(p, y)|pmed.calibration(p, y)|base2
auc_compare(s, s2, y)|pmed.auc_compare(s, s2, y)|base3
EOF2
for d in $dbs; do
	echo "baselines in $d (CPU s): sum(s), bool_or(y) ${best["base2/$d"]}; + sum(s2) ${best["base3/$d"]}; octet_length ${best["baset/$d"]}"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
