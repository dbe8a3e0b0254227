#!/usr/bin/env bash
# Run every fuzz target of the project for FUZZTIME each (default 30s).
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-30s}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
		echo "== $pkg $f ($T)"
		go test -tags=duckdb_arrow "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$T"
	done
done
