package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportParquet(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir)
	must(t, dir, "ingest", "--no-progress", "case", "--db", "c.duckdb")
	out := must(t, dir, "export", "--db", "c.duckdb", "--parquet", "pq", "--table", "logs", "--table", "events")
	if !strings.Contains(out, "Exported 2 tables") {
		t.Errorf("export said %q", out)
	}
	for _, f := range []string{"logs.parquet", "events.parquet"} {
		if fi, err := os.Stat(filepath.Join(dir, "pq", f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// the Parquet file holds the same rows as the table
	n := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM read_parquet('pq/logs.parquet')")
	if want := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM logs"); n != want || n == 0 {
		t.Errorf("logs.parquet has %d rows, table %d", n, want)
	}
	must(t, dir, "export", "--db", "c.duckdb", "--parquet", "all")
	if _, err := os.Stat(filepath.Join(dir, "all", "sources.parquet")); err != nil {
		t.Errorf("full export lacks sources: %v", err)
	}
	if r := runBin(t, dir, nil, "export", "--db", "c.duckdb", "--parquet", "x", "--table", "nope"); r.code != 2 {
		t.Errorf("unknown table: exit %d", r.code)
	}
	if r := runBin(t, dir, nil, "export", "--db", "c.duckdb"); r.code != 2 {
		t.Errorf("no --parquet: exit %d", r.code)
	}
}
