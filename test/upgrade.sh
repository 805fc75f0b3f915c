#!/usr/bin/env bash
# test/upgrade.sh - for every released version whose install script is kept in
# src/sql-history/: install it, store models of every kind and all they answer,
# ALTER EXTENSION pmed UPDATE, and check that every model still decodes and
# answers exactly the same, and that the upgraded catalog equals a fresh
# install of the current version.  Runs against the server in PGHOST/PGPORT
# (test/run starts one) with pmed installed; prints "ok" / "not ok" lines.
set -uo pipefail
cd "$(dirname "$0")/.."

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" pmed.control)
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
tmp=$(mktemp -d /tmp/pmed-upgrade.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fresh=pmed_upgrade_fresh
psql -X -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $fresh" -c "CREATE DATABASE $fresh" >/dev/null
if ! q -d $fresh -c "CREATE EXTENSION pmed" 2>"$tmp/err"; then
	echo "not ok - a fresh CREATE EXTENSION pmed ($current) failed: $(cat "$tmp/err")"
	exit 1
fi
q -d $fresh -f test/upgrade/catalog.sql >"$tmp/fresh.txt"

for script in src/sql-history/pmed--*.sql; do
	old=$(basename "$script" .sql)
	old=${old#pmed--}
	case "$old" in *--*) continue ;; esac   # an upgrade script, not an install script
	[ "$old" = "$current" ] && continue
	db=pmed_upgrade_from_${old//./_}
	psql -X -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
	if ! q -d $db -c "CREATE EXTENSION pmed VERSION '$old'" 2>"$tmp/err"; then
		echo "not ok - install pmed $old with today's library: $(cat "$tmp/err")"
		echo "#   The $old install script calls C functions pmed.so must keep exporting."
		continue
	fi
	echo "ok - pmed $old installs with today's library"
	if ! q -d $db -f test/upgrade/store.sql >"$tmp/store.out" 2>&1 ||
		! q -d $db -v out=outputs_before -f test/upgrade/outputs.sql >>"$tmp/store.out" 2>&1; then
		echo "not ok - storing models under pmed $old failed:"
		tail -5 "$tmp/store.out"
		continue
	fi
	if ! q -d $db -c "ALTER EXTENSION pmed UPDATE" 2>"$tmp/err"; then
		echo "not ok - ALTER EXTENSION pmed UPDATE from $old: $(cat "$tmp/err")"
		echo "#   Needs src/sql-history/pmed--$old--$current.sql (or a chain of upgrade scripts)."
		continue
	fi
	v=$(q -d $db -c "SELECT extversion FROM pg_extension WHERE extname = 'pmed'")
	if [ "$v" = "$current" ]; then
		echo "ok - ALTER EXTENSION pmed UPDATE from $old reaches $current"
	else
		echo "not ok - ALTER EXTENSION pmed UPDATE from $old reaches $v, not $current"
	fi

	# Every stored model still decodes to the same description ...
	q -d $db -F ' ' -c "SELECT kind, CASE WHEN pmed.model_info(model) = info THEN 'same' ELSE 'differs' END
	                    FROM stored_models ORDER BY kind" >"$tmp/info.txt" 2>&1 ||
		{ echo "not ok - model_info after the update from $old failed:"; cat "$tmp/info.txt"; }
	n_kinds=$(q -d $db -c "SELECT count(*) FROM stored_models")
	[ "$n_kinds" = 10 ] || echo "not ok - expected 10 stored models, found $n_kinds"
	while read -r kind verdict; do
		[ -z "$kind" ] && continue
		if [ "$verdict" = same ]; then
			echo "ok - $old -> $current: stored $kind model decodes, model_info unchanged"
		else
			echo "not ok - $old -> $current: model_info of the stored $kind model changed"
		fi
	done <"$tmp/info.txt"

	# ... and answers exactly as before.
	if q -d $db -v out=outputs_after -f test/upgrade/outputs.sql >"$tmp/after.out" 2>&1; then
		q -d $db -F ' ' -c "
			SELECT kind, count(*), count(*) FILTER (WHERE a.value IS NOT DISTINCT FROM b.value AND a.kind IS NOT NULL AND b.kind IS NOT NULL)
			FROM outputs_before b FULL JOIN outputs_after a USING (kind, fn, id)
			GROUP BY kind ORDER BY kind" >"$tmp/cmp.txt"
		while read -r kind n same; do
			if [ "$n" -gt 0 ] && [ "$n" = "$same" ]; then
				echo "ok - $old -> $current: $kind: all $n outputs identical after the update"
			else
				echo "not ok - $old -> $current: $kind: $((n - same)) of $n outputs differ after the update"
				q -d $db -c "SELECT fn, id, b.value AS before, a.value AS after
				             FROM outputs_before b FULL JOIN outputs_after a USING (kind, fn, id)
				             WHERE kind = '$kind' AND a.value IS DISTINCT FROM b.value LIMIT 5" | sed 's/^/#   /'
			fi
		done <"$tmp/cmp.txt"
		[ "$(wc -l <"$tmp/cmp.txt")" = 10 ] || echo "not ok - outputs cover $(wc -l <"$tmp/cmp.txt") kinds, not 10"
	else
		echo "not ok - $old -> $current: scoring the stored models after the update failed:"
		tail -5 "$tmp/after.out"
	fi

	# The upgraded catalog equals a fresh install.
	q -d $db -f test/upgrade/catalog.sql >"$tmp/upgraded.txt"
	if diff -q "$tmp/fresh.txt" "$tmp/upgraded.txt" >/dev/null; then
		echo "ok - $old -> $current: upgraded catalog equals a fresh $current install ($(wc -l <"$tmp/fresh.txt") lines)"
	else
		echo "not ok - $old -> $current: upgraded catalog differs from a fresh $current install;"
		echo "#   '+' lines: only in a fresh install (src/sql-history/pmed--$old--$current.sql must create them),"
		echo "#   '-' lines: only after the upgrade (the upgrade script must drop or change them):"
		diff "$tmp/upgraded.txt" "$tmp/fresh.txt" | grep -E '^[<>]' | sed 's/^</-/; s/^>/+/; s/^/#   /'
	fi
	psql -X -q -c "DROP DATABASE $db" >/dev/null
done
psql -X -q -c "DROP DATABASE $fresh" >/dev/null
