package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/internal/promtest"
)

// TestLockContentionLatencyFromPrometheus: the db-lock case's PostgreSQL
// snapshots without its logs (so no access log), beside Prometheus data
// written by the tsdb package in which the API's p95 latency rises from
// ~0.3 s to ~45 s while the blocker holds its lock (09:35-09:47). The
// lock_contention finding must take API latency from the histogram through
// the case PromQL engine: its source, a high correlation with the waiting
// sessions at a lag of at most two minutes, the peak, and the severity it
// gives (p95 at 5x its baseline for 5 minutes or more: P1). Classic and
// native histograms, with and without request counters and a /health
// handler.
func TestLockContentionLatencyFromPrometheus(t *testing.T) {
	root := repoRoot(t)
	day := time.Date(2026, 10, 13, 0, 0, 0, 0, time.UTC)
	lockFrom, lockTo := day.Add(9*time.Hour+35*time.Minute), day.Add(9*time.Hour+47*time.Minute+30*time.Second)
	traffic := func(ts time.Time) (float64, float64, float64) {
		if !ts.Before(lockFrom) && ts.Before(lockTo) {
			return 4, 0.2, 15
		}
		return 4, 0, 0.1
	}
	for _, tc := range []struct {
		name string
		req  promtest.Requests
		want string // in the finding's api_source
	}{
		{"classic histogram", promtest.Requests{Classic: true}, "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket"},
		{"native histogram", promtest.Requests{Native: true}, "histogram_quantile(0.95, sum(rate(http_request_duration_seconds{"},
		{"classic with counters and health checks", promtest.Requests{Classic: true, Totals: true, Health: true}, "requests and 5xx: increases of http_requests_total"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			c := filepath.Join(dir, "case")
			if err := os.MkdirAll(filepath.Join(c, "pg"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"pg_locks.csv", "pg_stat_activity.csv", "pg_stat_statements.csv"} {
				b, err := os.ReadFile(filepath.Join(root, "fixtures/cases/db-lock/pg", f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(c, "pg", f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			req := tc.req
			req.Start, req.End, req.Traffic = day.Add(9*time.Hour), day.Add(10*time.Hour+15*time.Minute), traffic
			if err := promtest.WriteRequests(filepath.Join(c, "prometheus"), req); err != nil {
				t.Fatal(err)
			}
			blocks, _ := filepath.Glob(filepath.Join(c, "prometheus", "01*", "meta.json"))
			if len(blocks) == 0 {
				t.Fatal("no persisted block in the Prometheus data")
			}
			must(t, dir, "ingest", "--no-progress", "case", "--db", "c.duckdb")
			if n := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM http_requests"); n != 0 {
				t.Fatalf("%d access-log rows: the case must have none", n)
			}
			var fs []forensics.Finding
			if err := json.Unmarshal([]byte(must(t, dir, "detect", "--db", "c.duckdb", "--format", "json")), &fs); err != nil {
				t.Fatal(err)
			}
			var lock *forensics.Finding
			for i := range fs {
				if fs[i].Kind == forensics.KindLockContention && lock == nil {
					lock = &fs[i]
				}
			}
			if lock == nil {
				t.Fatalf("no lock_contention finding in %d findings", len(fs))
			}
			d := lock.Details
			t.Logf("%s %s: %v", lock.Severity, lock.Title, d)
			if src, _ := d["api_source"].(string); !strings.Contains(src, tc.want) {
				t.Errorf("api_source %q, want it to contain %q", src, tc.want)
			}
			if r, ok := d["api_latency_correlation"].(float64); !ok || r < 0.7 {
				t.Errorf("api_latency_correlation %v, want >= 0.7 (details %v)", d["api_latency_correlation"], d)
			}
			if lag, ok := d["api_latency_lag_s"].(float64); !ok || lag < -120 || lag > 120 {
				t.Errorf("api_latency_lag_s %v, want within 2 minutes", d["api_latency_lag_s"])
			}
			if peak, ok := d["api_p95_peak_s"].(float64); !ok || peak < 10 || peak > 60 {
				t.Errorf("api_p95_peak_s %v, want the ~45 s of the histogram", d["api_p95_peak_s"])
			}
			if base, ok := d["api_p95_baseline_s"].(float64); !ok || base < 0.2 || base > 0.5 {
				t.Errorf("api_p95_baseline_s %v, want the ~0.3 s of the API's requests (health checks left out)", d["api_p95_baseline_s"])
			}
			if lock.Severity != forensics.P1 {
				t.Errorf("severity %s, want P1 (%v)", lock.Severity, d["impact"])
			}
			if req.Totals {
				if r, ok := d["api_5xx_correlation"].(float64); !ok || r < 0.7 {
					t.Errorf("api_5xx_correlation %v, want >= 0.7", d["api_5xx_correlation"])
				}
			}
			if fs[0].ID != lock.ID {
				t.Errorf("root cause %s %s, want the lock contention", fs[0].ID, fs[0].Kind)
			}
		})
	}
}

// TestDBLockNoAccessLatencyFromHistogram: the bundled db-lock case without
// its access log (its Prometheus data carries the API's histogram) reports
// the lock contention's latency correlation from the histogram.
func TestDBLockNoAccessLatencyFromHistogram(t *testing.T) {
	root := repoRoot(t)
	db := filepath.Join(t.TempDir(), "c.duckdb")
	must(t, root, "ingest", "--no-progress", "fixtures/cases/db-lock-no-access", "--db", db)
	if n := scalar(t, root, db, "SELECT count(*) FROM http_requests"); n != 0 {
		t.Fatalf("%d access-log rows: the case must have none", n)
	}
	var fs []forensics.Finding
	if err := json.Unmarshal([]byte(must(t, root, "detect", "--db", db, "--format", "json")), &fs); err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 || fs[0].Kind != forensics.KindLockContention {
		t.Fatalf("root finding: %+v", fs)
	}
	d := fs[0].Details
	if src, _ := d["api_source"].(string); !strings.Contains(src, "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket") {
		t.Errorf("api_source %q", src)
	}
	if r, ok := d["api_latency_correlation"].(float64); !ok || r < 0.7 {
		t.Errorf("api_latency_correlation %v, want >= 0.7", d["api_latency_correlation"])
	}
	if lag, ok := d["api_latency_lag_s"].(float64); !ok || lag < -120 || lag > 120 {
		t.Errorf("api_latency_lag_s %v, want within 2 minutes", d["api_latency_lag_s"])
	}
}
