package query

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// BenchmarkWriteLogs measures the bulk write path alone: b.N log rows of
// app-log shape through one file transaction, committed.
func BenchmarkWriteLogs(b *testing.B) {
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
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	recs := make([]forensics.LogRecord, 1000)
	for i := range recs {
		recs[i] = forensics.LogRecord{Lines: 1, Service: "vid-bench", Level: "INFO", Logger: "vid_bench.runner",
			Message: fmt.Sprintf("Run %06x step %d/50: latency=5.535s, gpu_mem=23.0 GiB", i*7919, i%50), Layout: "bracket", TemplateID: uint32(i%50 + 1)}
	}
	b.ResetTimer()
	tx, err := w.BeginFile(ctx, forensics.SourceFile{})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		r := recs[i%len(recs)]
		r.TS = base.Add(time.Duration(i) * time.Millisecond)
		r.LineNo = int64(i + 1)
		if err := tx.Log(&r); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(forensics.SourceFile{Kind: "applog", Path: "x"}, forensics.Pass{ToLine: int64(b.N), Rows: int64(b.N)}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
