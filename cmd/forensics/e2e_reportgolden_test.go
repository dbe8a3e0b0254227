package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestReportGoldenPerCase renders the Markdown report of every bundled
// fixture case and compares it with testdata/report-<case>.golden
// (refresh with -update after checking the difference). It pins what a
// reviewer would paste into the incident document, case by case; the
// hand-written answers of TestScenarios check the facts independently.
func TestReportGoldenPerCase(t *testing.T) {
	root := repoRoot(t)
	cases, err := os.ReadDir(filepath.Join(root, "fixtures/cases"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		n++
		t.Run(c.Name(), func(t *testing.T) {
			tmp := t.TempDir()
			db := filepath.Join(tmp, "c.duckdb")
			args := []string{"ingest", "--no-progress", filepath.Join("fixtures/cases", c.Name()), "--db", db}
			if tz := caseTZ(t, root, c.Name()); tz != "" {
				args = append(args, "--tz", tz)
			}
			if r := runBin(t, root, nil, args...); r.code != 0 {
				t.Fatalf("ingest: exit %d\n%s", r.code, r.stderr)
			}
			golden(t, "report-"+c.Name(), must(t, root, "report", "--db", db))
		})
	}
	if n < 8 {
		t.Errorf("%d fixture cases, want at least the 8 bundled ones", n)
	}
}

// caseTZ is the zone a case's zone-less times are in, from its expected
// answer (fixtures/expected/<case>.json, field tz), or "" for UTC.
func caseTZ(t *testing.T, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "fixtures/expected", name+".json"))
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		TZ string `json:"tz"`
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatalf("%s.json: %v", name, err)
	}
	return exp.TZ
}
