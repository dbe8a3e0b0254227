package detectors

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
)

// promSeries is one Prometheus series of a test case: its labels and its
// value at scrape i (every 15 s); NaN-free, no staleness markers.
type promSeries struct {
	labels map[string]string // __name__ included
	value  func(i int) float64
}

// promStore makes a case database holding only the given series, scraped
// every 15 s for n scrapes from t0.
func promStore(t *testing.T, t0 time.Time, n int, ss []promSeries) *Case {
	t.Helper()
	ctx := context.Background()
	st, err := query.Open(ctx, filepath.Join(t.TempDir(), "case.duckdb"), query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id := int64(0)
	for k, s := range ss {
		rest := map[string]string{}
		for l, v := range s.labels {
			if l != "__name__" {
				rest[l] = v
			}
		}
		lbls, _ := json.Marshal(rest)
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO series (id, source_id, metric, labels) VALUES (?, 1, ?, ?)`, k+1, s.labels["__name__"], string(lbls)); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			id++
			ts := t0.Add(time.Duration(i)*15*time.Second + time.Duration(k)*time.Second)
			if _, err := st.DB.ExecContext(ctx, `INSERT INTO samples (id, source_id, series_id, ts, value, stale) VALUES (?, 1, ?, ?, ?, false)`, id, k+1, ts, s.value(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := NewCase(ctx, st.DB, forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// downBetween is 0 for scrapes from <= i < to, else 1.
func downBetween(from, to int) func(int) float64 {
	return func(i int) float64 {
		if i >= from && i < to {
			return 0
		}
		return 1
	}
}

func up(job, instance string, v func(int) float64) promSeries {
	return promSeries{map[string]string{"__name__": "up", "job": job, "instance": instance}, v}
}

func always(v float64) func(int) float64 { return func(int) float64 { return v } }

// TestServiceUnavailableFromPrometheus checks the outage a case without
// access log shows in its Prometheus data: every target of the service's
// job down (up == 0) or a blackbox probe failing.
func TestServiceUnavailableFromPrometheus(t *testing.T) {
	t0 := time.Date(2026, 10, 8, 2, 30, 0, 0, time.UTC)
	apiMetrics := promSeries{map[string]string{"__name__": "http_requests_total", "job": "vid-bench", "instance": "api:8000", "status": "200"}, func(i int) float64 { return float64(10 * i) }}
	for _, tc := range []struct {
		name     string
		series   []promSeries
		want     forensics.Severity // "" for no finding
		from, to int                // the first and last failed scrape
	}{
		{"api down 10 minutes", []promSeries{apiMetrics, up("vid-bench", "api:8000", downBetween(40, 80)), up("node", "host:9100", always(1))},
			forensics.P0, 40, 79},
		{"api down 75 s: not a complete outage", []promSeries{apiMetrics, up("vid-bench", "api:8000", downBetween(40, 45))},
			forensics.P2, 40, 44},
		{"one failed scrape is noise", []promSeries{apiMetrics, up("vid-bench", "api:8000", downBetween(40, 41))}, "", 0, 0},
		{"one of two replicas down: still served", []promSeries{apiMetrics, up("vid-bench", "api:8000", downBetween(40, 80)), up("vid-bench", "api-2:8000", always(1))},
			"", 0, 0},
		{"both replicas down, overlapping", []promSeries{apiMetrics, up("vid-bench", "api:8000", downBetween(40, 80)), up("vid-bench", "api-2:8000", downBetween(50, 90))},
			forensics.P0, 50, 79},
		{"an exporter down is not the service", []promSeries{apiMetrics, up("vid-bench", "api:8000", always(1)), up("node", "host:9100", downBetween(10, 100)), up("postgres", "pg:9187", downBetween(10, 100))},
			"", 0, 0},
		{"without the API's metrics, a job that is no exporter", []promSeries{up("api", "api:8000", downBetween(20, 40)), up("node", "host:9100", always(1))},
			forensics.P0, 20, 39},
		{"blackbox probe of /health failing", []promSeries{apiMetrics, up("vid-bench", "api:8000", always(1)),
			{map[string]string{"__name__": "probe_success", "job": "blackbox", "instance": "http://api:8000/health"}, downBetween(60, 75)}},
			forensics.P0, 60, 74},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := promStore(t, t0, 120, tc.series)
			fs, err := ServiceUnavailable{}.Detect(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(fs) != 0 {
					t.Fatalf("want no finding, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("want one finding, got %d: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Kind != forensics.KindServiceUnavailable || f.Severity != tc.want {
				t.Errorf("%s %s, want service_unavailable %s", f.Kind, f.Severity, tc.want)
			}
			// the finding spans the failed scrapes (each series' scrape is
			// offset by its index in seconds)
			near := func(what string, got time.Time, i int) {
				want := t0.Add(time.Duration(i) * 15 * time.Second)
				if d := got.Sub(want); d < 0 || d > 5*time.Second {
					t.Errorf("%s %s, want scrape %d at %s", what, got, i, want)
				}
			}
			near("start", f.Start, tc.from)
			near("end", f.End, tc.to)
			if len(f.Evidence) == 0 || f.Evidence[0].Link != "first_target_down" || f.EvidenceSQL == "" {
				t.Errorf("evidence %+v, sql %q", f.Evidence, f.EvidenceSQL)
			}
			for _, e := range f.Evidence {
				var n int
				if err := c.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM samples WHERE 'samples:' || id = ?`, e.Ref).Scan(&n); err != nil || n != 1 {
					t.Errorf("evidence %s resolves to %d rows (%v)", e.Ref, n, err)
				}
			}
		})
	}
}
