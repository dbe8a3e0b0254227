#!/usr/bin/env bash
# Binary journal ingest benchmark: forensics against journalctl -o json on
# the same journal files, side by side, alternating, medians of ROUNDS.
# The files are made once from a generated export stream with
# systemd-journal-remote (which rotates into several files).
# Usage: scripts/bench-journal.sh [ENTRIES] [ROUNDS]   (defaults 200000 and 5)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
ROUNDS=${2:-5}
DATA=bench-data/journal-$N
BIN=bin/forensics
if ! ls "$DATA"/journal/*.journal >/dev/null 2>&1; then
	mkdir -p "$DATA/journal"
	go test -tags=duckdb_arrow ./ingest -run '^TestWriteJournalBench$' -count=1 \
		-args -journal-bench-out "$PWD/$DATA/bench.export" -journal-bench-entries "$N" >/dev/null
	/lib/systemd/systemd-journal-remote -o "$DATA/journal/system.journal" - <"$DATA/bench.export" 2>/dev/null
	rm -f "$DATA/bench.export"
fi
ENTRIES=$(journalctl --file "$DATA/journal/*.journal" -o json | wc -l)
FILES=$(ls "$DATA"/journal/*.journal | wc -l)
MB=$(du -cm "$DATA"/journal/*.journal | tail -1 | cut -f1)

measure() { # cmd... ; prints "seconds maxrss_kb"
	/usr/bin/time -o "$DATA/time.out" -f "%e %M" "$@" >/dev/null 2>&1
	tail -1 "$DATA/time.out"
}
declare -A T M
for r in $(seq 1 "$ROUNDS"); do
	rm -f "$DATA/f.duckdb" "$DATA/f.duckdb.wal"
	read -r t m < <(measure "$BIN" ingest --no-progress "$DATA/journal" --db "$DATA/f.duckdb")
	T[forensics]+="$t "; M[forensics]+="$m "
	read -r t m < <(measure journalctl --file "$DATA/journal/*.journal" -o json)
	T[journalctl]+="$t "; M[journalctl]+="$m "
done
rows=$("$BIN" query --db "$DATA/f.duckdb" --format csv "SELECT count(*) FROM journal" | tail -1)
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-12s %10s %12s   (%d entries in %d files, %d MB, median of %d; forensics stored %s rows)\n" \
	tool seconds peak_rss_mb "$ENTRIES" "$FILES" "$MB" "$ROUNDS" "$rows"
for k in forensics journalctl; do
	t=$(echo "${T[$k]}" | median); m=$(echo "${M[$k]}" | median)
	printf "%-12s %10s %12d   runs: %s\n" "$k" "$t" $((m / 1024)) "${T[$k]}"
done
f=$(echo "${T[forensics]}" | median); j=$(echo "${T[journalctl]}" | median)
echo "forensics / journalctl = $(awk -v a="$f" -v b="$j" 'BEGIN {printf "%.2f", a/b}') (target: at most 0.50)"
