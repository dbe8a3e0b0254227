package query

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOpenMemoryLimit: a small buffer pool when writing (ingest memory
// stays flat), room for the detectors' window functions when reading, and
// FORENSICS_DUCKDB_MEMORY over both.
func TestOpenMemoryLimit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "case.duckdb")
	rw, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rw.Close()
	for _, tc := range []struct {
		name     string
		readOnly bool
		env      string
		min, max float64 // MiB
	}{
		{"writing", false, "", 40, 56},
		{"reading", true, "", 200, 300},
		{"reading, from the environment", true, "1GB", 900, 1100},
		{"writing, from the environment", false, "200MB", 150, 250},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("FORENSICS_DUCKDB_MEMORY", tc.env)
			st, err := Open(ctx, path, Options{ReadOnly: tc.readOnly})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var s string
			if err := st.DB.QueryRowContext(ctx, `SELECT current_setting('memory_limit')`).Scan(&s); err != nil {
				t.Fatal(err)
			}
			mib := parseMiB(t, s)
			if mib < tc.min || mib > tc.max {
				t.Errorf("memory_limit %s, want %.0f to %.0f MiB", s, tc.min, tc.max)
			}
		})
	}
}

// parseMiB reads DuckDB's "953.6 MiB" / "1.9 GiB".
func parseMiB(t *testing.T, s string) float64 {
	t.Helper()
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		t.Fatalf("memory_limit %q: %v", s, err)
	}
	switch unit {
	case "KiB":
		return v / 1024
	case "MiB":
		return v
	case "GiB":
		return v * 1024
	}
	t.Fatalf("memory_limit %q: unit %q", s, unit)
	return 0
}
