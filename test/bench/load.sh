#!/usr/bin/env bash
# Load test: 8 clients score a stored model with pgbench while another
# session retrains it and replaces it in its table N times.  Reports the
# scoring throughput and fails (exit 1) on any failed or aborted transaction,
# on a replacement that did not happen, or if scoring after the last
# replacement does not use the last model.  Not part of test/run.
#
#   test/bench/run load                   # throwaway cluster
#   PGHOST=... PGPORT=... test/bench/load.sh   # any server with pmed installed
# Settings: LOAD_CLIENTS (8), LOAD_SECONDS (30), LOAD_REPLACEMENTS (5).
set -euo pipefail
cd "$(dirname "$0")/../.."

clients=${LOAD_CLIENTS:-8}
seconds=${LOAD_SECONDS:-30}
replacements=${LOAD_REPLACEMENTS:-5}
PGBENCH=${PGBIN:-/usr/lib/postgresql/15/bin}/pgbench
db=pmed_load
tmp=$(mktemp -d /tmp/pmed-load.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod a+rx "$tmp"

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
psql -X -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
q -c "CREATE EXTENSION pmed" -f data/wdbc/load.sql >/dev/null
q >/dev/null <<'SQL'
CREATE TABLE live_model (name text PRIMARY KEY, version int NOT NULL, model bytea NOT NULL);
INSERT INTO live_model
SELECT 'malignancy', 0, pmed.forest_train(features, diagnosis, '{"trees": 50, "seed": 0}') FROM wdbc;
SQL

# One transaction = one patient scored with the current model.
cat >"$tmp/score.sql" <<'SQL'
\set patient random(1, 569)
SELECT pmed.predict_proba(m.model, w.features)
FROM live_model m JOIN wdbc w ON w.id = :patient
WHERE m.name = 'malignancy';
SQL

# The retraining session: a new forest (another seed) replaces the stored
# one every few seconds while the clients score.
(
	sleep 2
	for i in $(seq 1 "$replacements"); do
		q -c "UPDATE live_model SET version = $i,
		          model = (SELECT pmed.forest_train(features, diagnosis, '{\"trees\": 50, \"seed\": $i}') FROM wdbc)
		      WHERE name = 'malignancy'" || exit 1
		sleep $(((seconds - 4) / replacements))
	done
) >"$tmp/retrain.out" 2>&1 &
retrain=$!

echo "== $clients clients scoring for ${seconds}s while the model is replaced $replacements times"
status=0
"$PGBENCH" -n -c "$clients" -j 2 -T "$seconds" -f "$tmp/score.sql" $db >"$tmp/pgbench.out" 2>&1 || status=1
wait $retrain || { echo "retraining failed:"; cat "$tmp/retrain.out"; status=1; }
grep -E "number of (transactions actually processed|failed transactions)|latency average|^tps" "$tmp/pgbench.out"
grep -E "aborted|ERROR" "$tmp/pgbench.out" | head -5 && status=1

failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
version=$(q -c "SELECT version FROM live_model")
# The clients' per-backend model caches must not outlive a replacement: a
# new connection and a scoring query in a fresh session see the last model.
last_ok=$(q -c "SELECT pmed.predict_proba(m.model, w.features) = pmed.predict_proba(
                       (SELECT pmed.forest_train(features, diagnosis, '{\"trees\": 50, \"seed\": $replacements}') FROM wdbc), w.features)
                FROM live_model m, wdbc w WHERE w.id = 1")
echo "predictions/s: $(grep -E '^tps' "$tmp/pgbench.out" | sed 's/tps = \([0-9.]*\).*/\1/')," \
	"transactions: ${processed:-?}, failed: ${failed:-?}, model replacements: $version of $replacements"
[ "${failed:-1}" = 0 ] || status=1
[ "$version" = "$replacements" ] || status=1
[ "$last_ok" = t ] || { echo "scoring after the last replacement did not use the last model"; status=1; }
psql -X -q -c "DROP DATABASE $db" >/dev/null
if [ $status = 0 ]; then echo "load test: no failed transaction"; else echo "load test: FAILED"; fi
exit $status
