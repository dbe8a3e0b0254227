package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the module root, where fixtures/ lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// golden compares got with testdata/NAME.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./cmd/forensics -run %s -update' to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from %s (run with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", name, path, got, want)
	}
}

func TestFixtureGolden(t *testing.T) {
	root := repoRoot(t)
	caseDir := "fixtures/cases/gpu-oom"
	before := manifest(t, filepath.Join(root, caseDir))
	tmp := t.TempDir()
	db := filepath.Join(tmp, "gpu-oom.duckdb")
	out := filepath.Join(tmp, "out")
	r := runBin(t, root, nil, "investigate", caseDir, "--db", db, "--out", out)
	if r.code != 0 {
		t.Fatalf("investigate: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if after := manifest(t, filepath.Join(root, caseDir)); after != before {
		t.Fatal("investigate changed the evidence folder")
	}
	for _, want := range []string{"Worst minute:", "New error templates", "torch.cuda.OutOfMemoryError"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("investigate summary lacks %q:\n%s", want, r.stdout)
		}
	}
	mdPath := filepath.Join(out, "report.md")
	if !strings.Contains(r.stdout, "Report: "+mdPath) {
		t.Errorf("investigate does not print the report's path %s:\n%s", mdPath, r.stdout)
	}
	written, err := os.ReadFile(mdPath)
	if err != nil {
		t.Fatal(err)
	}
	md := must(t, root, "report", "--db", db)
	if again := must(t, root, "report", "--db", db); again != md {
		t.Error("two runs of report differ")
	}
	if string(written) != md {
		t.Error("investigate's report.md differs from 'forensics report'")
	}
	for _, want := range []string{"# Incident Report: ", "## Summary\n", "- **Severity**: P1", "## Timeline\n| Time | Action |\n|------|--------|\n",
		"## Root Cause\n", "ref logs:", "## Impact Assessment\n", "## Response Evaluation\n", "no alert fired",
		"## Action Items\n| Item | Owner | Due Date | Status |\n", "GPU memory headroom", "## Lessons Learned\n", "Times are in UTC.", "benchmark.log.2.gz"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	golden(t, "report", md)
	golden(t, "sources", must(t, root, "sources", "--db", db))
	golden(t, "errors_per_minute", must(t, root, "query", "--db", db, "--format", "markdown",
		`SELECT minute, source, service, errors, total FROM errors_per_minute
		 WHERE minute BETWEEN '2026-11-20 14:00:00+00' AND '2026-11-20 14:16:00+00' ORDER BY ALL`))
	golden(t, "events", must(t, root, "query", "--db", db, "--format", "csv",
		`SELECT ts, source, kind, severity, service, text, ref FROM events
		 WHERE ts BETWEEN '2026-11-20 14:08:30+00' AND '2026-11-20 14:13:00+00' AND source = 'logs' ORDER BY ts, ref`))
}
