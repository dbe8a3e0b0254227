#!/usr/bin/env bash
# PostgreSQL snapshot benchmark (docs/PERFORMANCE.md): 100 snapshots x 2,000
# pg_stat_statements rows as psql's aligned \watch output, ingested into a
# new case file ROUNDS times (median), then the pg_statement_deltas view
# queried ROUNDS times (median). Two captures: SELECT * (PostgreSQL 15's 43
# columns) and a focused SELECT of 10 columns.
# Usage: scripts/pg-bench.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
DATA=bench-data/pg
BIN=bin/forensics
export GOFLAGS="${GOFLAGS:--buildvcs=false} -tags=duckdb_arrow"
mkdir -p "$DATA"
go build -o "$BIN" ./cmd/forensics
for cols in all top; do
	[ -s "$DATA/statements-$cols.txt" ] || go run ./internal/pgtest/cmd/pgbench-gen -columns "$cols" > "$DATA/statements-$cols.txt"
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for cols in all top; do
	f="$DATA/statements-$cols.txt"
	db="$DATA/$cols.duckdb"
	ing="" cpu="" q=""
	for r in $(seq 1 "$ROUNDS"); do
		rm -f "$db" "$db.wal"
		out=$( { /usr/bin/time -f "%e %U %S" "$BIN" ingest --no-progress "$f" --db "$db" >/dev/null; } 2>&1 | tail -1)
		read -r wall user sys <<<"$out"
		ing+="$wall "
		cpu+="$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') "
	done
	for r in $(seq 1 "$ROUNDS"); do
		out=$( { /usr/bin/time -f "%e" "$BIN" query --db "$db" --format csv \
			"SELECT count(*), sum(calls), max(mean_exec_time_ms), count(*) FILTER (WHERE stats_reset) FROM pg_statement_deltas" >/dev/null; } 2>&1 | tail -1)
		q+="$out "
	done
	rows=$("$BIN" query --db "$db" --format csv "SELECT count(*) FROM pg_statements" | tail -1)
	printf '%-4s %10d bytes %6d rows  ingest median %ss (cpu %ss; runs: %s)  pg_statement_deltas median %ss (runs: %s)\n' \
		"$cols" "$(stat -c %s "$f")" "$rows" "$(echo $ing | median)" "$(echo $cpu | median)" "$ing" "$(echo $q | median)" "$q"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
