package report

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/ingest"
	"github.com/vidbench/forensics/internal/promtest"
	"github.com/vidbench/forensics/query"
)

type storeAdapter struct{ *query.Writer }

func (s storeAdapter) BeginFile(ctx context.Context, src forensics.SourceFile) (ingest.FileTx, error) {
	return s.Writer.BeginFile(ctx, src)
}

// TestFirstAlert: detected is the first firing (not pending) sample of an
// alert in the range, read from the alerts view over Prometheus' ALERTS.
func TestFirstAlert(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	facts, err := promtest.Write(filepath.Join(dir, "prometheus"), promtest.Layout{Hours: 4})
	if err != nil {
		t.Fatal(err)
	}
	st, err := query.Open(ctx, filepath.Join(dir, "case.duckdb"), query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wr, err := st.NewWriter(ctx, "test", "UTC", forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, storeAdapter{wr}, []string{filepath.Join(dir, "prometheus")}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	has := tablesOf(ctx, st.DB)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     *time.Time
	}{
		{"around the alert", facts.PendingFrom.Add(-time.Hour), facts.End, &facts.FiringFrom},
		{"while it is only pending", facts.PendingFrom, facts.FiringFrom.Add(-time.Second), nil},
		{"before it", facts.Start, facts.PendingFrom.Add(-time.Minute), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := firstAlert(ctx, st.DB, has, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == nil && got != nil:
				t.Errorf("detected %s, want none", got)
			case tc.want != nil && (got == nil || !got.Equal(*tc.want)):
				t.Errorf("detected %v, want %s", got, tc.want)
			}
		})
	}
}
