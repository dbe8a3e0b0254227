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

// TestAuthFailureSeverity tells an authentication outage (the case's own
// users cannot log in: P1) from credential stuffing (many clients never
// seen succeeding fail while the users still get in: P2).
func TestAuthFailureSeverity(t *testing.T) {
	t0 := time.Date(2027, 6, 3, 1, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		attackers  int // distinct unknown clients failing per minute in the burst
		usersFail  bool
		want       forensics.Severity
		wantTitled string
	}{
		{"credential stuffing", 30, false, forensics.P2, "Credential stuffing"},
		{"users locked out", 0, true, forensics.P1, "Authentication failures"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := query.Open(ctx, filepath.Join(t.TempDir(), "case.duckdb"), query.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var rows []string
			add := func(ts time.Time, client string, status int) {
				id := len(rows) + 1
				rows = append(rows, fmt.Sprintf("(%d, 1, %d, TIMESTAMPTZ '%s', '%s', 'POST', '/api/v1/login', %d, 10)",
					id, id, ts.Format(time.RFC3339Nano), client, status))
			}
			// 90 minutes: 20 office users log in and work; a burst from
			// minute 60 to 75
			for m := 0; m < 90; m++ {
				mt := t0.Add(time.Duration(m) * time.Minute)
				burst := m >= 60 && m < 75
				for u := 0; u < 20; u++ {
					status := 200
					if burst && tc.usersFail {
						status = 401
					}
					add(mt.Add(time.Duration(u)*time.Second), fmt.Sprintf("10.0.0.%d", u+1), status)
				}
				if burst {
					for a := 0; a < tc.attackers; a++ {
						for k := 0; k < 10; k++ {
							add(mt.Add(time.Duration(20+k)*time.Second), fmt.Sprintf("185.220.%d.%d", m, a), 401)
						}
					}
				}
			}
			if _, err := st.DB.ExecContext(ctx, `INSERT INTO http_requests (id, source_id, line_no, ts, client, method, path, status, bytes) VALUES `+
				strings.Join(rows, ", ")); err != nil {
				t.Fatal(err)
			}
			c, err := NewCase(ctx, st.DB, forensics.TimeRange{})
			if err != nil {
				t.Fatal(err)
			}
			fs, err := AuthFailure{}.Detect(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 {
				t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Severity != tc.want || f.Title[:len(tc.wantTitled)] != tc.wantTitled {
				t.Errorf("severity %s title %q, want %s %q...; details %v", f.Severity, f.Title, tc.want, tc.wantTitled, f.Details)
			}
			if !f.Start.Equal(t0.Add(60 * time.Minute)) {
				t.Errorf("start %s, want minute 60", f.Start)
			}
		})
	}
}
