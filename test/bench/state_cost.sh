#!/usr/bin/env bash
# Per-row cost of the training transition state, before and after the
# pmed.train_state type (issue 13): "before" is the 0.2.0 design (STYPE
# internal, serial/deserial functions) built from BEFORE_REV (default
# f516d7b, main before the change), "after" is this checkout.  Each is
# installed into its own private PostgreSQL root and run in its own
# throwaway cluster, on the same generated ROWS x 30 float8 table (values
# are a deterministic function of the row number), serial plan.
#
# Reported per query and run: backend CPU (user + system, log_executor_stats)
# and elapsed time; then the bytes per row of a state's serialized form and
# (after) of its text form.  The queries:
#   scan      SELECT sum(array_length(f, 1)) FROM t    reads and detoasts every array
#   rows      SELECT length(pmed.train_partial(f, y)) FROM t
#             a row-store state (what svm, forest, cnn, rnn keep): every
#             transition, then the state's flat bytes (the same code path
#             before and after, but for the state type)
#   baseline  SELECT length(pmed.baseline_train(f, y)) FROM t
#             before: rows + the final function (dense copy, canonical sort,
#             priors); after: label counts (statistics state), then priors
# Per-row transition cost ~ (rows - scan) / ROWS, the flattening included.
# Not part of test/run.
#
#   test/bench/state_cost.sh
#   ROWS=200000 RUNS=1 test/bench/state_cost.sh            # a quick look
#   PMED_PG_ROOT=/tmp/pgroot-x PMED_BEFORE_ROOT=/tmp/pgroot-x-before test/bench/state_cost.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BEFORE_REV=${BEFORE_REV:-f516d7b}
BEFORE_ROOT=${PMED_BEFORE_ROOT:-${PMED_PG_ROOT:-/tmp/pmed-pgroot}-before}
AFTER_PGBIN=$PGBIN

install_packages
build_and_install >/dev/null

# "before": the old revision, built and installed into its own root
rev=$(git rev-parse "$BEFORE_REV")
if [ "$(cat "$BEFORE_ROOT/.pmed-rev" 2>/dev/null)" != "$rev" ]; then
	src=$(mktemp -d /tmp/pmed-before-src.XXXXXX)
	git archive "$rev" | tar -x -C "$src"
	(
		cd "$src"
		PMED_PG_ROOT=$BEFORE_ROOT
		. test/lib.sh
		stage_postgres
		make -s -j2 PG_CONFIG="$PGBIN/pg_config" >/dev/null 2>&1
		as_root make -s install PG_CONFIG="$PGBIN/pg_config" >/dev/null
	)
	rm -rf "$src"
	echo "$rev" >"$BEFORE_ROOT/.pmed-rev"
fi
BEFORE_PGBIN=$BEFORE_ROOT/usr/lib/postgresql/$PG_MAJOR/bin

array=$(seq 1 30 | sed 's/.*/round(sin(g * &.0)::numeric, 3)::float8/' | paste -sd, -)

# cpu_of QUERY: "user+system elapsed" seconds of the backend for one run
cpu_of() {
	psql -X -q -d bench -c "SET max_parallel_workers_per_gather = 0" -c "SET client_min_messages = log" \
		-c "SET log_executor_stats = on" -c "$1" 2>&1 >/dev/null |
		grep -m1 -E "s user, .* s system" |
		sed -E 's/.*[!]\s*([0-9.]+) s user, ([0-9.]+) s system, ([0-9.]+) s elapsed.*/\1 \2 \3/' |
		awk '{printf "%.2f %.2f\n", $1 + $2, $3}'
}

bench() {	# name pgbin
	local name=$1 bin=$2 dir run="sh -c"
	dir=$(mktemp -d /tmp/pmed-statecost.XXXXXX)
	if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; run="su postgres -s /bin/sh -c"; fi
	local port=$((55000 + RANDOM % 5000))
	$run "$bin/initdb -D '$dir/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1"
	$run "$bin/pg_ctl -D '$dir/data' -l '$dir/log' -w -o \"-p $port -k '$dir' -c listen_addresses='' -c shared_buffers=512MB\" start >/dev/null"
	export PGHOST=$dir PGPORT=$port PGUSER=postgres
	psql -X -q -d postgres -c "CREATE DATABASE bench"
	psql -X -q -d bench -v ON_ERROR_STOP=1 >/dev/null <<-SQL
		CREATE EXTENSION pmed;
		CREATE TABLE t AS SELECT g, ARRAY[$array] AS f, (g % 3 = 0) AS y FROM generate_series(1, $ROWS) g;
		VACUUM ANALYZE t;
	SQL
	for q in scan rows baseline; do
		local sql
		case $q in
			scan) sql="SELECT sum(array_length(f, 1)) FROM t" ;;
			rows) sql="SELECT length(pmed.train_partial(f, y)) FROM t" ;;
			baseline) sql="SELECT length(pmed.baseline_train(f, y)) FROM t" ;;
		esac
		cpu_of "$sql" >/dev/null	# warm the cache
		for r in $(seq 1 "$RUNS"); do
			echo "$name $q $r $(cpu_of "$sql") $(cut -d' ' -f1 /proc/loadavg)"
		done
	done
	echo "$name bytes_per_row $(psql -X -At -d bench -c "SELECT round(length(pmed.train_partial(f, y)) / count(*)::numeric, 1) FROM t WHERE g <= 100000")"
	if [ "$name" = after ]; then
		echo "$name text_bytes_per_row $(psql -X -At -d bench -c "SELECT round(length((pmed.train_partial(f, y)::pmed.train_state)::text) / count(*)::numeric, 1) FROM t WHERE g <= 100000")"
	fi
	$run "$bin/pg_ctl -D '$dir/data' -m fast stop >/dev/null"
	rm -rf "$dir"
}

out=$(mktemp)
bench before "$BEFORE_PGBIN" | tee -a "$out" >&2
bench after "$AFTER_PGBIN" | tee -a "$out" >&2

echo
echo "Per-row cost of the training state: $ROWS rows x 30 float8, serial plan, backend CPU (user+system) / elapsed, s"
echo
echo "| query | state | $(seq -s ' | ' 1 "$RUNS" | sed 's/[0-9]\+/run &/g') | load |"
echo "|---|---|$(for r in $(seq 1 "$RUNS"); do printf -- '---|'; done)---|"
for q in scan rows baseline; do
	for v in before after; do
		row=$(awk -v v=$v -v q=$q '$1 == v && $2 == q {printf "%s / %s | ", $4, $5; load = load (load ? ", " : "") $6} END {printf "%s", load}' "$out")
		label=$([ $v = before ] && echo "internal ($BEFORE_REV)" || echo "pmed.train_state")
		echo "| $q | $label | $row |"
	done
done
echo
awk '$2 ~ /bytes_per_row/ {print "- " $1 " " $2 ": " $3}' "$out"
rm -f "$out"
