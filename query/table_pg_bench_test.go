package query

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// BenchmarkWritePGStatements measures the write path alone for
// pg_stat_statements rows (PostgreSQL 15 columns): b.N rows through one
// file transaction, committed.
func BenchmarkWritePGStatements(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "b.duckdb"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	w, err := st.NewWriter(ctx, "bench", "UTC", forensics.TimeRange{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	spec := pgView(forensics.PGStatements)
	T := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	queries := make([]string, 2000)
	for i := range queries {
		queries[i] = fmt.Sprintf("SELECT id, state, payload FROM jobs WHERE created_at > $1 AND model = $2 ORDER BY id LIMIT $3 -- %d %0*d", i, i%300, 0)
	}
	b.ResetTimer()
	tx, err := w.BeginFile(ctx, forensics.SourceFile{})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		row := &forensics.PGRow{View: forensics.PGStatements, SnapshotTS: T.Add(time.Duration(i/2000) * 5 * time.Second),
			TSSource: "title", SnapshotNo: i/2000 + 1, Form: "psql", LineNo: int64(i), Lines: 1, Layout: "13-16",
			Vals: make([]forensics.PGValue, len(spec.Columns))}
		for j, c := range spec.Columns {
			v := &row.Vals[j]
			switch c.Type {
			case forensics.PGInt:
				v.N, v.OK = int64(i*j), j < 36
			case forensics.PGFloat:
				v.F, v.OK = float64(i)*1.37+float64(j), j < 36
			case forensics.PGBool:
				v.N, v.OK = 1, true
			case forensics.PGText:
				v.S, v.OK = queries[i%2000], true
			}
		}
		if err := tx.Emit(row); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(forensics.SourceFile{Kind: "pg-psql", Path: "x"}, forensics.Pass{ToLine: int64(b.N), Rows: int64(b.N)}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
