#!/usr/bin/env bash
# Whole-file ingest benchmark: forensics against lnav 0.11 and DuckDB's own
# read_csv + regexp_extract, side by side, alternating, medians of ROUNDS.
# Usage: scripts/bench.sh [LINES] [ROUNDS]   (defaults 1000000 and 5)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
ROUNDS=${2:-5}
DATA=bench-data/$LINES
BIN=bin/forensics
mkdir -p "$DATA"
if [ ! -s "$DATA/app.log" ]; then
	go run ./fixtures/gen -bench -lines "$LINES" -out "$DATA" >/dev/null
fi
go build -o bin/duckbase ./scripts/duckbase
# lnav needs a format for the app layout
mkdir -p "$HOME/.lnav/formats/installed"
cp scripts/lnav-vidbench.json "$HOME/.lnav/formats/installed/vidbench_log.json"

measure() { # cmd... ; prints "seconds maxrss_kb"
	local tf
	tf=$(mktemp)
	/usr/bin/time -o "$tf" -f "%e %M" "$@" >/dev/null 2>&1 || true
	tail -1 "$tf"
	rm -f "$tf"
}
declare -A T M
for r in $(seq 1 "$ROUNDS"); do
	for kind in app access; do
		rm -f "$DATA/f.duckdb" "$DATA/f.duckdb.wal" "$DATA/d.duckdb" "$DATA/d.duckdb.wal"
		read -r t m < <(measure "$BIN" ingest --no-progress "$DATA/$kind.log" --db "$DATA/f.duckdb")
		T[forensics-$kind]+="$t "; M[forensics-$kind]+="$m "
		if [ "$kind" = app ]; then
			q=';SELECT log_level, count(*) FROM all_logs GROUP BY log_level'
		else
			q=';SELECT sc_status, count(*) FROM access_log GROUP BY sc_status'
		fi
		read -r t m < <(measure lnav -n -c "$q" "$DATA/$kind.log")
		T[lnav-$kind]+="$t "; M[lnav-$kind]+="$m "
		read -r t m < <(measure bin/duckbase "$kind" "$DATA/$kind.log" "$DATA/d.duckdb")
		T[duckdb-$kind]+="$t "; M[duckdb-$kind]+="$m "
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-18s %10s %12s   (%d lines, median of %d)\n" tool seconds peak_rss_mb "$LINES" "$ROUNDS"
for k in forensics-app lnav-app duckdb-app forensics-access lnav-access duckdb-access; do
	t=$(echo "${T[$k]}" | median); m=$(echo "${M[$k]}" | median)
	printf "%-18s %10s %12d\n" "$k" "$t" $((m / 1024))
done
for kind in app access; do
	f=$(echo "${T[forensics-$kind]}" | median); l=$(echo "${T[lnav-$kind]}" | median)
	echo "$kind: forensics / lnav = $(awk -v a="$f" -v b="$l" 'BEGIN {printf "%.2f", a/b}')"
done
