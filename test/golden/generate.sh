#!/usr/bin/env bash
# Regenerate the golden SVM and forest models (format version 1) from WDBC
# with the code of this checkout.  Only for a deliberate format change: the
# committed files pin what today's decoder and predictor must reproduce
# (sql/25_golden.sql).  Usage: PMED_PG_ROOT=/tmp/pgroot-x test/golden/generate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh
build_and_install
start_cluster
psql -X -q -c "CREATE EXTENSION pmed" >/dev/null
psql -X -q -f data/wdbc/load.sql >/dev/null
gen() {
	psql -X -At -c "$2" > "test/golden/$1"
	echo "test/golden/$1: $(wc -c < "test/golden/$1") bytes"
}
# SVMs on one fold (114 rows) keep the files small.
gen svm_rbf_wdbc_v1.hex "SELECT pmed.svm_train(features, diagnosis, '{\"seed\": 1}') FROM wdbc WHERE pmed.fold(id, 5) = 0"
gen svm_linear_wdbc_v1.hex "SELECT pmed.svm_train(features, diagnosis, '{\"kernel\": \"linear\", \"seed\": 1}') FROM wdbc WHERE pmed.fold(id, 5) = 0"
gen forest_wdbc_v1.hex "SELECT pmed.forest_train(features, diagnosis, '{\"trees\": 10, \"max_depth\": 4, \"seed\": 1}') FROM wdbc"
gen forest_regression_wdbc_v1.hex "SELECT pmed.forest_train(features[2:30], features[1], '{\"trees\": 5, \"max_depth\": 4, \"seed\": 1}') FROM wdbc"
