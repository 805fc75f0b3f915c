#!/usr/bin/env bash
# SVM benchmark: pmed against libsvm (svm-train), scikit-learn SVC and
# liblinear, same data, hyperparameters and tolerance, in one run.
# Prints a table.  Not part of test/run (no timing assertions anywhere).
#
#   PGHOST=/tmp PGPORT=5433 PGUSER=postgres test/bench/svm.sh
#
# Needs: a server with pmed installed, svm-train/svm-predict,
# liblinear-train/liblinear-predict, /usr/bin/python3 with numpy + sklearn.
# Env: SCORE_ROWS (default 1000000), RBF_SCORE_ROWS (default 100000).
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=${PGDATABASE:-svm_bench}
SCORE_ROWS=${SCORE_ROWS:-1000000}
RBF_SCORE_ROWS=${RBF_SCORE_ROWS:-100000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
q() { psql -X -q -At -d "$DB" "$@"; }
# Milliseconds of one statement, as psql's \timing reports it, in a backend that
# has already loaded pmed (and BLAS): library loading is a once-per-connection cost.
timed() { psql -X -q -d "$DB" -c 'SELECT pmed.fold(1, 2)' -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1; }

echo "preparing data ..." >&2
q -c "CREATE EXTENSION pmed" >/dev/null
q -f test/bench/svm_data.sql >/dev/null
q -c "\i data/wdbc/load.sql" >/dev/null 2>&1
q <<'SQL' >/dev/null
CREATE TABLE b20k AS SELECT * FROM svm_gen(20000, 0.1);
CREATE TABLE b20k_test AS SELECT * FROM svm_gen(5000, 0.2);
CREATE TABLE wdbc_train AS SELECT id, features AS f, (diagnosis = 'malignant')::int AS y FROM wdbc WHERE pmed.fold(id, 5) <> 0;
CREATE TABLE wdbc_test AS SELECT id, features AS f, (diagnosis = 'malignant')::int AS y FROM wdbc WHERE pmed.fold(id, 5) = 0;
SELECT setseed(0.3);
CREATE TABLE lin200k AS
SELECT i AS id, f, (f[1] - 2 * f[2] + 0.5 * f[3] + f[7] - f[11] + 1.5 * (random() - 0.5) > 0.2)::int AS y
FROM (SELECT i, ARRAY(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 30)) AS f
      FROM generate_series(1, 250000) i) s;
CREATE TABLE lin200k_test AS SELECT * FROM lin200k WHERE id > 200000;
DELETE FROM lin200k WHERE id > 200000;
VACUUM ANALYZE;
SQL
for t in b20k b20k_test wdbc_train wdbc_test lin200k lin200k_test; do
	q -c "\copy (SELECT y, f FROM $t ORDER BY id) TO '$TMP/$t.txt'"
done

G=0.0333333333333333   # 1/30: libsvm's default, and gamma "scale" on standardized data
rows=()
row() { rows+=("$(printf '%-36s %-15s %8s %9s %9s' "$@")"); }

# ---- RBF training ----
rbf_case() {
	local name=$1 train=$2 test=$3
	echo "rbf: $name ..." >&2
	local ms acc nsv
	ms=$(timed "CREATE TABLE m_$train AS SELECT pmed.svm_train(f, y, '{\"probability\": false, \"C\": 1, \"gamma\": $G, \"tol\": 0.001}') AS m FROM $train")
	acc=$(q -c "SELECT round(avg((pmed.predict(m, f) = y)::int), 4) FROM m_$train, $test")
	nsv=$(q -c "SELECT pmed.model_info(m) ->> 'support_vectors' FROM m_$train")
	row "rbf train $name" pmed "$(printf %.3f "$(echo "$ms / 1000" | bc -l)")" "$acc" "$nsv"
	pmed_s=$(echo "$ms / 1000" | bc -l)
	while read -r tool s a n; do
		row "rbf train $name" "$tool" "$s" "$a" "$n"
		[ "$tool" = libsvm ] && ratios+=("rbf $name: pmed / libsvm time = $(printf %.2f "$(echo "$pmed_s / $s" | bc -l)")")
		[ "$tool" = sklearn ] && ratios+=("rbf $name: pmed / sklearn time = $(printf %.2f "$(echo "$pmed_s / $s" | bc -l)")")
	done < <($PY test/bench/svm_ref.py rbf "$TMP/$train.txt" "$TMP/$test.txt" 1 $G 0.001)
}
ratios=()
rbf_case "20000 x 30" b20k b20k_test
rbf_case "WDBC (464 x 30)" wdbc_train wdbc_test

# ---- linear training ----
for tol in 0.1 0.001; do
	echo "linear: tol $tol ..." >&2
	q -c "DROP TABLE IF EXISTS m_lin" >/dev/null
	ms=$(timed "CREATE TABLE m_lin AS SELECT pmed.svm_train(f, y, '{\"kernel\": \"linear\", \"probability\": false, \"C\": 1, \"tol\": $tol}') AS m FROM lin200k")
	acc=$(q -c "SELECT round(avg((pmed.predict(m, f) = y)::int), 4) FROM m_lin, lin200k_test")
	pmed_s=$(echo "$ms / 1000" | bc -l)
	it=$(q -c "SELECT pmed.model_info(m) ->> 'iterations' FROM m_lin")
	row "linear train 200000 x 30, tol $tol" pmed "$(printf %.3f "$pmed_s")" "$acc" "it=$it"
	read -r tool s a n < <($PY test/bench/svm_ref.py linear "$TMP/lin200k.txt" "$TMP/lin200k_test.txt" 1 0 $tol)
	row "linear train 200000 x 30, tol $tol" "$tool -s 3" "$s" "$a" "$n"
	ratios+=("linear tol $tol: pmed / liblinear time = $(printf %.2f "$(echo "$pmed_s / $s" | bc -l)")")
done

# ---- scoring ----
echo "scoring: $SCORE_ROWS rows ..." >&2
q <<SQL >/dev/null
SELECT setseed(0.4);
CREATE TABLE score AS SELECT i AS id, ARRAY(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 30)) AS f
FROM generate_series(1, $SCORE_ROWS) i;
CREATE TABLE score_rbf AS SELECT * FROM score WHERE id <= $RBF_SCORE_ROWS;
CREATE TABLE m_base AS SELECT pmed.baseline_train(f, y) AS m FROM lin200k;
VACUUM ANALYZE score;
VACUUM ANALYZE score_rbf;
SET max_parallel_workers_per_gather = 0;
SQL
q -c "SELECT sum(f[1]) FROM score" >/dev/null   # warm the cache
best() { local b=""; for _ in 1 2 3; do local t; t=$(timed "SET max_parallel_workers_per_gather = 0; $1"); if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi; done; echo "$b"; }
floor=$(best "SELECT sum(f[1]) FROM score")
lin=$(best "SELECT sum(pmed.predict((SELECT m FROM m_lin), f)) FROM score")
base=$(best "SELECT sum(pmed.predict((SELECT m FROM m_base), f)) FROM score")
row "scan floor sum(f[1]), $SCORE_ROWS rows" postgres "$(printf %.3f "$(echo "$floor / 1000" | bc -l)")" "-" "-"
row "linear predict, $SCORE_ROWS rows" pmed "$(printf %.3f "$(echo "$lin / 1000" | bc -l)")" "-" "-"
row "baseline predict (no-op model)" pmed "$(printf %.3f "$(echo "$base / 1000" | bc -l)")" "-" "-"
ratios+=("baseline (no-op) scoring: predict / scan floor = $(printf %.2f "$(echo "$base / $floor" | bc -l)") (the per-call cost of the shared predict path)")
ratios+=("linear scoring: predict / scan floor = $(printf %.2f "$(echo "$lin / $floor" | bc -l)")")
small=$(best "SELECT sum(pmed.predict((SELECT m FROM m_wdbc_train), f)) FROM score")
snsv=$(q -c "SELECT pmed.model_info(m) ->> 'support_vectors' FROM m_wdbc_train")
row "rbf predict ($snsv SVs), $SCORE_ROWS rows" pmed "$(printf %.3f "$(echo "$small / 1000" | bc -l)")" "-" "$snsv"
ratios+=("rbf scoring ($snsv SVs, WDBC model): $(printf %.0f "$(echo "$SCORE_ROWS / ($small / 1000)" | bc -l)") rows/s, predict / scan floor = $(printf %.2f "$(echo "$small / $floor" | bc -l)")")
rfloor=$(best "SELECT sum(f[1]) FROM score_rbf")
rbf=$(timed "SET max_parallel_workers_per_gather = 0; SELECT sum(pmed.predict((SELECT m FROM m_b20k), f)) FROM score_rbf")
nsv=$(q -c "SELECT pmed.model_info(m) ->> 'support_vectors' FROM m_b20k")
row "scan floor, $RBF_SCORE_ROWS rows" postgres "$(printf %.3f "$(echo "$rfloor / 1000" | bc -l)")" "-" "-"
row "rbf predict ($nsv SVs), $RBF_SCORE_ROWS rows" pmed "$(printf %.3f "$(echo "$rbf / 1000" | bc -l)")" "-" "$nsv"
ratios+=("rbf scoring ($nsv SVs): $(printf %.0f "$(echo "$RBF_SCORE_ROWS / ($rbf / 1000)" | bc -l)") rows/s, predict / scan floor = $(printf %.1f "$(echo "$rbf / $rfloor" | bc -l)")")

echo
printf '%-36s %-15s %8s %9s %9s\n' "case" "tool" "seconds" "accuracy" "SVs/iter"
printf '%s\n' "-------------------------------------------------------------------------------"
printf '%s\n' "${rows[@]}"
echo
printf '%s\n' "${ratios[@]}"
echo "(pmed: the whole SQL statement incl. reading the table; libsvm/liblinear: the"
echo " training process on a prepared file; sklearn: SVC.fit on in-memory arrays;"
echo " C=1, gamma=1/30, tolerance as shown, kernel cache 200 MB for all three.)"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null
