#!/usr/bin/env bash
# Compares what two forensics binaries find: `detect --format json` and
# `timeline --format json` on every fixture case (ingested once with the
# first binary, with the zone of fixtures/expected/<case>.json) and on any
# extra case files given. Prints the differences; exit 1 when there are any.
# A check that a change meant to be faster did not change a result.
# Usage: scripts/detect-diff.sh OLD_BIN NEW_BIN [CASE.duckdb...]
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
shift 2
dir=bench-data/detect-diff
mkdir -p "$dir"
dbs=()
for c in fixtures/cases/*/; do
	c=$(basename "$c")
	db=$dir/$c.duckdb
	if [ ! -s "$db" ]; then
		tz=$(sed -n 's/.*"tz": *"\([^"]*\)".*/\1/p' "fixtures/expected/$c.json" 2>/dev/null | head -1)
		"$old" ingest --no-progress --tz "${tz:-UTC}" "fixtures/cases/$c" --db "$db" >/dev/null || true
	fi
	dbs+=("$db")
done
dbs+=("$@")
status=0
for db in "${dbs[@]}"; do
	for cmd in detect timeline; do
		a=$(mktemp) b=$(mktemp)
		"$old" "$cmd" --db "$db" --format json >"$a" 2>&1 || true
		"$new" "$cmd" --db "$db" --format json >"$b" 2>&1 || true
		if cmp -s "$a" "$b"; then
			echo "same       $cmd $db"
		else
			echo "DIFFERENT  $cmd $db"
			diff "$a" "$b" | head -${DIFF_LINES:-40} || true
			status=1
		fi
		rm -f "$a" "$b"
	done
done
exit $status
