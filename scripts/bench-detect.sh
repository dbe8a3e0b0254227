#!/usr/bin/env bash
# Detectors + timeline benchmark (docs/PERFORMANCE.md, issue 6).
#
# Builds, once, a mixed case per scale S (bench-data/detect/xS/case.duckdb):
#   - S x 1,000,000 app-log lines and S x 1,000,000 access-log lines
#     (go run ./fixtures/gen -bench -lines N);
#   - S x 1,000,000 Prometheus samples: 200 series x S x 5,000 samples every
#     15 s (bin/promgen), made into blocks by promtool;
#   - S x 200 pg_stat_statements snapshots of 2,000 statements each, psql
#     aligned \watch output (internal/pgtest/cmd/pgbench-gen -columns top).
# Then times `forensics timeline --db CASE` (which runs every detector and
# builds the timeline) and `forensics detect --db CASE`, ROUNDS runs each,
# alternating scales, and prints medians of wall time and of CPU time
# (user + sys), the 4x / 1x ratio and the load average.
#
# Usage: scripts/bench-detect.sh [ROUNDS] [SCALES]   (defaults 5 and "1 4")
# Env:   BIN (default bin/forensics, rebuilt unless NOBUILD=1);
#        BASE, another binary to time in the same rounds (e.g. one built
#        from main), reported as timeline-base / detect-base; a run that
#        fails (exit status not 0) is counted as "fail".
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
SCALES=${2:-1 4}
BIN=${BIN:-bin/forensics}
export GOFLAGS="${GOFLAGS:--buildvcs=false} -tags=duckdb_arrow"
if [ "${NOBUILD:-0}" != 1 ]; then
	go build -o "$BIN" ./cmd/forensics
fi
go build -o bin/promgen ./scripts/promgen

build_case() { # scale
	local s=$1 dir=bench-data/detect/x$1
	[ -s "$dir/case.duckdb" ] && return 0
	mkdir -p "$dir/in"
	go run ./fixtures/gen -bench -lines $((s * 1000000)) -out "$dir/in" >/dev/null
	bin/promgen "$dir/p.om" 200 $((s * 5000))
	rm -rf "$dir/in/prometheus"
	promtool tsdb create-blocks-from openmetrics "$dir/p.om" "$dir/in/prometheus" >/dev/null
	mkdir -p "$dir/in/prometheus/wal"
	rm -f "$dir/p.om"
	go run ./internal/pgtest/cmd/pgbench-gen -snapshots $((s * 200)) -statements 2000 -columns top >"$dir/in/pg-statements.txt"
	rm -f "$dir/case.duckdb" "$dir/case.duckdb.wal"
	"$BIN" ingest --no-progress "$dir/in" --db "$dir/case.duckdb" >/dev/null
	rm -rf "$dir/in"
	"$BIN" query --db "$dir/case.duckdb" --format csv "SELECT
		(SELECT count(*) FROM logs) AS logs, (SELECT count(*) FROM http_requests) AS http_requests,
		(SELECT count(*) FROM samples) AS samples, (SELECT count(DISTINCT snapshot_ts) FROM pg_statements) AS pg_snapshots,
		(SELECT count(*) FROM pg_statements) AS pg_statement_rows" >"$dir/sizes.csv"
}
for s in $SCALES; do
	build_case "$s"
	echo "x$s: $(tail -1 bench-data/detect/x$s/sizes.csv) (logs, http_requests, samples, pg snapshots, pg_statements rows)"
done

declare -A W C
run() { # key cmd...
	local key=$1 tf wall user sys
	shift
	tf=$(mktemp)
	if ! /usr/bin/time -o "$tf" -f "%e %U %S" "$@" >/dev/null 2>&1; then
		W[$key]+="fail "
		C[$key]+="fail "
		rm -f "$tf"
		return
	fi
	read -r wall user sys < <(tail -1 "$tf")
	rm -f "$tf"
	W[$key]+="$wall "
	C[$key]+="$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') "
}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$ROUNDS"); do
	for s in $SCALES; do
		db=bench-data/detect/x$s/case.duckdb
		run "timeline-x$s" "$BIN" timeline --db "$db"
		run "detect-x$s" "$BIN" detect --db "$db"
		if [ -n "${BASE:-}" ]; then
			run "timeline-base-x$s" "$BASE" timeline --db "$db"
			run "detect-base-x$s" "$BASE" detect --db "$db"
		fi
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
# the median of the runs; "fail" when any run failed
median() { tr ' ' '\n' | grep . | sort -g | awk '/fail/ {f = 1} {a[NR]=$1} END {if (f) print "fail"; else print a[int((NR+1)/2)]}'; }
printf '%-18s %8s %8s   %s\n' run wall_s cpu_s "runs (wall)"
cmds="timeline detect"
[ -n "${BASE:-}" ] && cmds+=" timeline-base detect-base"
for cmd in $cmds; do
	for s in $SCALES; do
		k=$cmd-x$s
		printf '%-18s %8s %8s   %s\n' "$k" "$(echo "${W[$k]}" | median)" "$(echo "${C[$k]}" | median)" "${W[$k]}"
	done
done
set -- $SCALES
if [ $# -ge 2 ]; then
	for cmd in $cmds; do
		a=$(echo "${W[$cmd-x$1]}" | median) b=$(echo "${W[$cmd-x$2]}" | median)
		if [ "$a" = fail ] || [ "$b" = fail ]; then
			echo "$cmd x$2 / x$1: a run failed"
			continue
		fi
		ca=$(echo "${C[$cmd-x$1]}" | median) cb=$(echo "${C[$cmd-x$2]}" | median)
		echo "$cmd x$2 / x$1: wall $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b/a}'), cpu $(awk -v a="$ca" -v b="$cb" 'BEGIN {printf "%.2f", b/a}')"
	done
fi
echo "load average: before $load0, after $load1"
