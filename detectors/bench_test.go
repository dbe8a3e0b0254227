package detectors

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
	"github.com/vidbench/forensics/report"
)

// BenchmarkDetectTimeline runs every detector and builds the timeline, as
// `forensics timeline` does, on each fixture case (ingested once, outside
// the timing), and on the case file FORENSICS_BENCH_DB names when set
// (scripts/bench-detect.sh builds the 1M-line one:
// FORENSICS_BENCH_DB=bench-data/detect/x1/case.duckdb).
func BenchmarkDetectTimeline(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, db *sql.DB) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := NewCase(ctx, db, forensics.TimeRange{})
			if err != nil {
				b.Fatal(err)
			}
			fs, err := Run(ctx, c, All())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := report.BuildTimeline(ctx, db, fs); err != nil {
				b.Fatal(err)
			}
		}
	}
	if p := os.Getenv("FORENSICS_BENCH_DB"); p != "" {
		b.Run("case="+p, func(b *testing.B) {
			st, err := query.Open(ctx, p, query.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			run(b, st.DB)
		})
	}
	for _, name := range fixtureCases(b) {
		b.Run(name, func(b *testing.B) {
			run(b, fixtureDB(b, name))
		})
	}
}
