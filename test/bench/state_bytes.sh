#!/usr/bin/env bash
# Bytes a partial training state moves (what a parallel worker or a Citus
# worker ships to the leader / coordinator), per family, for 10k and 100k
# input rows: the row store before, the statistics state after (train_stats.h).
#
#   test/bench/state_bytes.sh    # uses PGHOST/PGPORT/PGUSER (default /tmp, 5435, postgres)
#   ROWS="10000 100000 1000000" test/bench/state_bytes.sh
#
# Needs the extension installed.  Creates and drops the database
# pmed_bench_state.  Deterministic data (no random()), so the numbers repeat.
# Not part of test/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGHOST=${PGHOST:-/tmp} PGPORT=${PGPORT:-5435} PGUSER=${PGUSER:-postgres}
DB=pmed_bench_state
ROWS=${ROWS:-10000 100000}
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -d $DB "$@"; }
q -c "CREATE EXTENSION pmed" >/dev/null

printf '%-14s %-34s %9s %14s %14s\n' family "state" rows "before (rows)" "after (stats)"
for n in $ROWS; do
	# supervised rows: 10 features, a boolean and a float label
	# prescriptions: 10 drugs per patient (duplicates possible) from 300, weights 1..5 / 4
	# items: one row per item, 16 features; drug pairs: a quarter distinct
	q -c "DROP TABLE IF EXISTS sup, rx, items, ddi" \
	  -c "CREATE TABLE sup AS SELECT i, ARRAY(SELECT ((i * 7919 + j * 104729) % 1000) / 10.0 FROM generate_series(1, 10) j)::float8[] AS x,
	             (i * 2654435761 % 7) < 3 AS yb, ((i * 40503) % 10007) / 100.0 AS yf FROM generate_series(1, $n::bigint) i" \
	  -c "CREATE TABLE rx AS SELECT i / 10 AS patient, (abs(hashint8(i)) % 300)::bigint AS item, (1 + i % 5) / 4.0 AS w
	             FROM generate_series(1, $n::bigint) i" \
	  -c "CREATE TABLE items AS SELECT i::bigint AS item, ARRAY(SELECT ((i * 31 + j * 17) % 101) / 7.0 FROM generate_series(1, 16) j)::float8[] AS f
	             FROM generate_series(1, $n::bigint) i" \
	  -c "CREATE TABLE ddi AS SELECT (i % ($n / 4 + 1))::bigint AS a, (i % ($n / 4 + 1) + 1 + i % 3)::bigint AS b FROM generate_series(1, $n::bigint) i" \
	  -c "ANALYZE" >/dev/null
	SET="SET max_parallel_workers_per_gather = 0;"
	row() { printf '%-14s %-34s %9s %14s %14s\n' "$@"; }
	before=$(q -c "$SET SELECT length(pmed.train_partial(x, yb)) FROM sup")
	after=$(q -c "$SET SELECT length(pmed.baseline_train_partial(x, yb)) FROM sup")
	row baseline "classification (bool label)" "$n" "$before" "$after"
	before=$(q -c "$SET SELECT length(pmed.train_partial(x, yf)) FROM sup")
	after=$(q -c "$SET SELECT length(pmed.baseline_train_partial(x, yf)) FROM sup")
	row baseline "regression (float label)" "$n" "$before" "$after"
	before=$(q -c "$SET SELECT length(pmed.cf_train_partial(patient, item, w)) FROM rx")
	after=$(q -c "$SET SELECT length(pmed.cf_train_partial(items, ws)) FROM
	              (SELECT patient, array_agg(item) AS items, array_agg(w) AS ws FROM rx GROUP BY patient) h")
	pairs=$(q -c "$SET SELECT count(DISTINCT (a.item, b.item)) FROM rx a JOIN rx b USING (patient) WHERE a.item < b.item")
	row cf "triples -> histories ($pairs pairs)" "$n" "$before" "$after"
	after=$(q -c "$SET SELECT length(pmed.content_train_partial(item, f)) FROM items")
	row content "item rows (16 features)" "$n" "$after" "$after"
	# before: the row store held 16 bytes (two bigints) per row plus the header
	header=$(q -c "$SET SELECT length(pmed.interactions_train_partial(a, b)) - 16 FROM (VALUES (1::bigint, 2::bigint)) v(a, b)")
	after=$(q -c "$SET SELECT length(pmed.interactions_train_partial(a, b)) FROM ddi")
	distinct=$(q -c "SELECT count(DISTINCT (least(a, b), greatest(a, b))) FROM ddi")
	row interactions "pairs ($distinct distinct)" "$n" "$((header + 16 * n))*" "$after"
done
echo "* interactions before: computed, 16 bytes per row + the same header (the row store is gone)."
