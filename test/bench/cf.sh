#!/usr/bin/env bash
# Drug-recommendation benchmark: training time of item_knn and ALS in
# PostgreSQL vs the same algorithms in NumPy (test/bench/cf_numpy.py), and
# pmed.recommend latency, on a generated MovieLens-100k-sized set
# (943 patients x 1,682 drugs, 100,000 rows, weights 1..5).
#
#   test/bench/cf.sh            # uses PGHOST/PGPORT/PGUSER (default /tmp, 5435, postgres)
#
# Needs the extension installed (make install) and pgbench.  Creates and drops
# the database pmed_bench_cf.  Not part of test/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGHOST=${PGHOST:-/tmp} PGPORT=${PGPORT:-5435} PGUSER=${PGUSER:-postgres}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1   # the backend is single-threaded too
PY=/usr/bin/python3
DB=pmed_bench_cf
W=$(mktemp -d)
trap 'rm -rf "$W"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT

$PY test/bench/cf_numpy.py gen "$W/rx.csv"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
q() { psql -X -q -At -d $DB "$@"; }
q -c "CREATE EXTENSION pmed" \
  -c "CREATE TABLE rx (patient bigint, drug bigint, w float8)" \
  -c "\\copy rx FROM '$W/rx.csv' WITH (FORMAT csv)" -c "ANALYZE rx" >/dev/null

KNN_OPTS='{"method": "item_knn", "neighbors": 50, "shrinkage": 10}'
ALS_OPTS='{"method": "als", "factors": 32, "iterations": 15, "regularization": 0.1, "alpha": 40}'

# best of 3 wall-clock times of one training statement, in seconds
train_time() {
	local opts=$1 best=
	for _ in 1 2 3; do
		t=$(q -c "\\timing on" -c "SELECT length(pmed.cf_train(patient, drug, w, '$opts')) FROM rx" |
			sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
		best=$(echo "$t ${best:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
	done
	echo "$best" | awk '{printf "%.3f", $1 / 1000}'
}
pg_knn=$(train_time "$KNN_OPTS")
pg_als=$(train_time "$ALS_OPTS")
q -c "CREATE TABLE models AS SELECT 'knn' AS method, pmed.cf_train(patient, drug, w, '$KNN_OPTS') AS model FROM rx
      UNION ALL SELECT 'als', pmed.cf_train(patient, drug, w, '$ALS_OPTS') FROM rx" >/dev/null
fit_knn=$(q -c "SELECT round((pmed.model_info(model)->>'training_seconds')::numeric, 3) FROM models WHERE method = 'knn'")
fit_als=$(q -c "SELECT round((pmed.model_info(model)->>'training_seconds')::numeric, 3) FROM models WHERE method = 'als'")
size_knn=$(q -c "SELECT pg_size_pretty(length(model)::bigint) FROM models WHERE method = 'knn'")
size_als=$(q -c "SELECT pg_size_pretty(length(model)::bigint) FROM models WHERE method = 'als'")

read -r np_knn np_als < <($PY test/bench/cf_numpy.py time "$W/rx.csv")

# recommend latency: 1,000 queries, one random patient each, through pgbench
# (client round trip included); per-transaction latencies from its log
q -c "CREATE TABLE hist AS SELECT patient, array_agg(drug) AS drugs FROM rx GROUP BY patient" >/dev/null
latency() {
	local name=$1 sql=$2
	printf '\\set pid random(1, 943)\n%s\n' "$sql" >"$W/$name.sql"
	(cd "$W" && pgbench -n -f "$W/$name.sql" -t 1000 -l --log-prefix="$W/log_$name" $DB >/dev/null 2>&1)
	cat "$W"/log_"$name".* | awk '{print $3}' | sort -n |
		awk '{a[NR] = $1} END {printf "%.3f %.3f\n", a[int(NR * 0.50)] / 1000, a[int(NR * 0.95)] / 1000}'
}
read -r knn_p50 knn_p95 < <(latency knn "SELECT * FROM pmed.recommend((SELECT model FROM models WHERE method = 'knn'), :pid::bigint, 10);")
read -r als_p50 als_p95 < <(latency als "SELECT * FROM pmed.recommend((SELECT model FROM models WHERE method = 'als'), :pid::bigint, 10);")
read -r fold_p50 fold_p95 < <(latency fold "SELECT r.* FROM hist h, pmed.recommend((SELECT model FROM models WHERE method = 'als'), h.drugs[1:20], 10) r WHERE h.patient = :pid;")
# all 943 patients in one query (model decoded once): mean cost per call
per_call() {
	q -c "\\timing on" -c "SELECT count(*) FROM models m, generate_series(1, 943) p, pmed.recommend(m.model, p::bigint, 10) WHERE m.method = '$1'" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{printf "%.3f", $1 / 943}'
}
knn_call=$(per_call knn)
als_call=$(per_call als)

echo
echo "pmed drug recommendation benchmark: 943 patients x 1,682 drugs, 100,000 rows (generated, MovieLens-100k sized)"
echo "machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); OpenBLAS serial; numpy $($PY -c 'import numpy; print(numpy.__version__)')"
echo
printf "| %-34s | %12s | %12s | %9s |\n" "training, best of 3 (wall clock)" "pmed (SQL)" "NumPy" "NumPy/pmed"
printf "|%s|%s|%s|%s|\n" "------------------------------------" "--------------" "--------------" "-----------"
printf "| %-34s | %10s s | %10s s | %8.1fx |\n" "item_knn (50 neighbours)" "$pg_knn" "$np_knn" "$(echo "$np_knn $pg_knn" | awk '{print $1 / $2}')"
printf "| %-34s | %10s s | %10s s | %8.1fx |\n" "ALS (32 factors, 15 iterations)" "$pg_als" "$np_als" "$(echo "$np_als $pg_als" | awk '{print $1 / $2}')"
echo
echo "pmed fit alone (model_info training_seconds): item_knn $fit_knn s, ALS $fit_als s; model sizes: item_knn $size_knn, ALS $size_als"
echo
printf "| %-52s | %9s | %9s |\n" "pmed.recommend latency, 1,000 queries (pgbench)" "p50" "p95"
printf "|%s|%s|%s|\n" "------------------------------------------------------" "-----------" "-----------"
printf "| %-52s | %6s ms | %6s ms |\n" "item_knn, known patient, k = 10" "$knn_p50" "$knn_p95"
printf "| %-52s | %6s ms | %6s ms |\n" "ALS, known patient, k = 10" "$als_p50" "$als_p95"
printf "| %-52s | %6s ms | %6s ms |\n" "ALS fold-in from 20 drugs, k = 10" "$fold_p50" "$fold_p95"
echo
echo "one query over all 943 patients: $knn_call ms per call (item_knn), $als_call ms per call (ALS)"
