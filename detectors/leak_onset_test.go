package detectors

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
)

// TestLeakOnset: sessions of one application piling up idle in
// transaction move a connection exhaustion's start back to the oldest
// one's xact_start; a pool that always holds that many does not.
func TestLeakOnset(t *testing.T) {
	t0 := time.Date(2027, 4, 14, 12, 0, 0, 0, time.UTC)
	firstError := t0.Add(17 * time.Minute)
	for _, tc := range []struct {
		name    string
		leaking func(snap int) int // sessions idle in transaction at snapshot i (every 2 min)
		want    time.Time
	}{
		{"leak from 12:10", func(i int) int { return max(0, (i-5)*12) }, t0.Add(10*time.Minute + 9*time.Second)},
		{"steady pool", func(int) int { return 40 }, firstError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := query.Open(ctx, filepath.Join(t.TempDir(), "case.duckdb"), query.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var rows []string
			for i := 0; i <= 12; i++ {
				snap := t0.Add(time.Duration(i) * 2 * time.Minute)
				// the session taking the snapshot is always in it
				rows = append(rows, fmt.Sprintf("(%d, 1, 1, TIMESTAMPTZ '%s', 'json', 'psql', NULL, 'active', TIMESTAMPTZ '%s', 'client backend')",
					len(rows)+1, snap.Format(time.RFC3339), snap.Format(time.RFC3339)))
				for k := 0; k < tc.leaking(i); k++ {
					// the k-th leaked session began 5 s after the (k-1)-th; the
					// steady pool's sessions are renewed before each snapshot
					xs := t0.Add(10*time.Minute + 9*time.Second + time.Duration(k)*5*time.Second)
					if tc.name == "steady pool" {
						xs = snap.Add(-time.Second)
					}
					rows = append(rows, fmt.Sprintf("(%d, 1, 1, TIMESTAMPTZ '%s', 'json', 'vid-bench-export', '172.18.0.7', 'idle in transaction', TIMESTAMPTZ '%s', 'client backend')",
						len(rows)+1, snap.Format(time.RFC3339), xs.Format(time.RFC3339)))
				}
			}
			if _, err := st.DB.ExecContext(ctx, `INSERT INTO pg_activity (id, source_id, snapshot_no, snapshot_ts, form, application_name, client_addr, state, xact_start, backend_type) VALUES `+strings.Join(rows, ", ")); err != nil {
				t.Fatal(err)
			}
			c, err := NewCase(ctx, st.DB, forensics.TimeRange{})
			if err != nil {
				t.Fatal(err)
			}
			f := forensics.Finding{Kind: forensics.KindConnectionExhaustion, Start: firstError, End: firstError.Add(9 * time.Minute), Details: map[string]any{}}
			if err := leakOnset(ctx, c, &f); err != nil {
				t.Fatal(err)
			}
			if !f.Start.Equal(tc.want) {
				t.Errorf("start %s, want %s (details %v)", f.Start, tc.want, f.Details)
			}
		})
	}
}
