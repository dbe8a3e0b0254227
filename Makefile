# forensics — build, test, demo, benchmarks.
# The duckdb_arrow build tag enables DuckDB's Arrow interface (bulk writes).
GO      ?= go
TAGS    := duckdb_arrow
GOFLAGS := -tags=$(TAGS) -buildvcs=false
BIN     := bin/forensics
CASE    := fixtures/cases/gpu-oom
BENCH_LINES ?= 1000000

export CGO_ENABLED = 1

.PHONY: all build test demo fixtures template bench fuzz vet clean

all: build

build: $(BIN)

$(BIN): $(shell find . -name '*.go' -not -path './bench-data/*') $(shell find query/migrations -name '*.sql') query/template/case.duckdb.gz go.mod go.sum
	$(GO) build $(GOFLAGS) -o $(BIN) ./cmd/forensics

# Every test: unit, golden, end to end through the built binary.
test: build
	FORENSICS_BIN=$(CURDIR)/$(BIN) $(GO) test $(GOFLAGS) -count=1 ./...

vet:
	$(GO) vet $(GOFLAGS) ./...

# The main job on the bundled case, with the default case file (./gpu-oom.duckdb).
demo: build
	rm -f gpu-oom.duckdb gpu-oom.duckdb.wal
	./$(BIN) investigate $(CASE)

# Regenerate every fixture case (deterministic, seeded): each folder is
# removed and written again, so no stale file survives.
fixtures:
	$(GO) build -o bin/gen ./fixtures/gen
	set -e; for c in $$(bin/gen -list); do rm -rf fixtures/cases/$$c; bin/gen -case $$c -out fixtures/cases/$$c > /dev/null; echo "fixtures/cases/$$c"; done

# The empty case file new case files are made from (query/template.go):
# run after changing a migration; TestCaseTemplate fails until then.
template:
	$(GO) test $(GOFLAGS) -count=1 ./query -run TestCaseTemplate -update-template
	$(GO) test $(GOFLAGS) -count=1 ./query -run TestCaseTemplate

# Benchmarks: parsers and templates in-process, then whole-file ingest
# against lnav and DuckDB's read_csv (see docs/PERFORMANCE.md).
bench: build
	$(GO) test $(GOFLAGS) -run '^$$' -bench . -benchmem ./ingest/ ./templates/
	$(GO) test $(GOFLAGS) -run '^$$' -bench DetectTimeline -benchtime 3x ./detectors/
	bash scripts/bench.sh $(BENCH_LINES)

# Run every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin gpu-oom.duckdb gpu-oom.duckdb.wal
