#!/usr/bin/env bash
# Named-features benchmark (not a test): training and scoring from a jsonb
# object of 30 mixed columns against the same model on the same features
# pre-encoded as float8[] (test/bench/mixed_data.sql: 100,000 rows; 21
# numbers with NULLs, 2 booleans, 5 categories of 5-50 levels, a date, a code
# list of 0-5 codes from 300; 443 hand-encoded columns).  Forest and linear
# SVM.  Needs a running server with pmed installed (PGHOST/PGPORT/PGUSER);
# uses its own database (ENCODING_BENCH_DB, default encoding_bench).
# Sizes: ENCODING_BENCH_TREES (20), ENCODING_BENCH_SVM_ITER (20: the linear
# SVM's max_iter; its solver, not the encoding, dominates at 100,000 rows x
# 443 columns: both forms take ~2 min per 10,000 rows at the default).
# ENCODING_BENCH_KEEP=1 reuses the generated data.  Also run by
# test/bench/run encoding.
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=${ENCODING_BENCH_DB:-encoding_bench}
TREES=${ENCODING_BENCH_TREES:-20}
SVM_ITER=${ENCODING_BENCH_SVM_ITER:-20}
KEEP=${ENCODING_BENCH_KEEP:-0}
if [ "$KEEP" != 1 ]; then
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
fi
q() { psql -X -q -At -d "$DB" "$@"; }
# One statement's time in ms (the last \timing line).
timed() { psql -X -q -d "$DB" -c 'SELECT pmed.fold(1, 2)' -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1; }
if [ "$KEEP" != 1 ]; then
	q -c "CREATE EXTENSION pmed" >/dev/null
	echo "generating 100,000 rows x 30 columns (test/bench/mixed_data.sql) ..."
	psql -X -q -d "$DB" -f test/bench/mixed_data.sql >/dev/null
	q -c "VACUUM ANALYZE bench_mixed" >/dev/null
fi
q -c "DROP TABLE IF EXISTS m_forest_jsonb, m_forest_x, m_svm_jsonb, m_svm_x" >/dev/null
ROWS=$(q -c "SELECT count(*) FROM bench_mixed")
WIDTH=$(q -c "SELECT cardinality(x) FROM bench_mixed LIMIT 1")

FOREST_OPT="{\"seed\": 1, \"trees\": $TREES}"
SVM_OPT="{\"kernel\": \"linear\", \"max_iter\": $SVM_ITER}"
declare -A T
for fam in forest svm; do
	opt=$FOREST_OPT
	[ $fam = svm ] && opt=$SVM_OPT
	T[$fam.train.jsonb]=$(timed "CREATE TABLE m_${fam}_jsonb AS SELECT pmed.${fam}_train(features, died, '$opt') AS m FROM bench_mixed")
	T[$fam.train.x]=$(timed "CREATE TABLE m_${fam}_x AS SELECT pmed.${fam}_train(x, died, '$opt') AS m FROM bench_mixed")
	# warm the model cache and the table, then time scoring every row
	q -c "SELECT pmed.predict_proba(m, features) FROM m_${fam}_jsonb, bench_mixed LIMIT 1" >/dev/null
	T[$fam.score.jsonb]=$(timed "SELECT sum(pmed.predict_proba(m.m, b.features)) FROM m_${fam}_jsonb m, bench_mixed b")
	T[$fam.score.x]=$(timed "SELECT sum(pmed.predict_proba(m.m, b.x)) FROM m_${fam}_x m, bench_mixed b")
	T[$fam.auc.jsonb]=$(q -c "SELECT round(pmed.auc(pmed.predict_proba(m.m, b.features), died)::numeric, 3) FROM m_${fam}_jsonb m, bench_mixed b")
	T[$fam.auc.x]=$(q -c "SELECT round(pmed.auc(pmed.predict_proba(m.m, b.x), died)::numeric, 3) FROM m_${fam}_x m, bench_mixed b")
done
T[scan.jsonb]=$(timed "SELECT count(features) FROM bench_mixed")
T[scan.x]=$(timed "SELECT count(x) FROM bench_mixed")

echo
echo "$ROWS rows x 30 mixed input columns ($WIDTH hand-encoded float8[] columns); forest $TREES trees, linear SVM max_iter $SVM_ITER;"
echo "times in seconds (training) and microseconds per row (predict_proba over every row, scan included);"
echo "AUC in-sample (a sanity check that both forms learn the same)."
echo
printf '| %-12s | %-16s | %-16s | %-6s | %-5s | %-12s |\n' "model" "step" "from jsonb" "float8[]" "ratio" "goal"
printf '|%s|%s|%s|%s|%s|%s|\n' "--------------" "------------------" "------------------" "--------" "-------" "--------------"
for fam in forest svm; do
	name=$fam
	[ $fam = svm ] && name="linear SVM"
	awk -v n="$name" -v a="${T[$fam.train.jsonb]}" -v b="${T[$fam.train.x]}" 'BEGIN {
		printf "| %-12s | %-16s | %13.1f s  | %5.1f s | %4.2fx | <= 1.5x       |\n", n, "training", a / 1000, b / 1000, a / b }'
	awk -v n="$name" -v a="${T[$fam.score.jsonb]}" -v b="${T[$fam.score.x]}" -v r="$ROWS" 'BEGIN {
		printf "| %-12s | %-16s | %11.1f us  | %4.1f us | %4.2fx | <= 3x         |\n", n, "predict_proba/row", a * 1000 / r, b * 1000 / r, a / b }'
	printf '| %-12s | %-16s | %16s | %8s | %5s | %-12s |\n' "$name" "AUC (in-sample)" "${T[$fam.auc.jsonb]}" "${T[$fam.auc.x]}" "" ""
done
awk -v a="${T[scan.jsonb]}" -v b="${T[scan.x]}" -v r="$ROWS" 'BEGIN {
	printf "| %-12s | %-16s | %11.1f us  | %4.1f us |       |              |\n", "(scan only)", "count(column)/row", a * 1000 / r, b * 1000 / r }'
