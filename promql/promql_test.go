package promql

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	prom "github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/ingest"
	"github.com/vidbench/forensics/internal/promtest"
	"github.com/vidbench/forensics/query"
)

// storeAdapter lets a query.Writer serve as the ingest.Store.
type storeAdapter struct{ *query.Writer }

func (s storeAdapter) BeginFile(ctx context.Context, src forensics.SourceFile) (ingest.FileTx, error) {
	return s.Writer.BeginFile(ctx, src)
}

// ingestCase ingests paths into a new case file and opens it read-only.
func ingestCase(t testing.TB, paths ...string) *query.Store {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "case.duckdb")
	st, err := query.Open(ctx, db, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wr, err := st.NewWriter(ctx, "test", "UTC", forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ingest.Run(ctx, storeAdapter{wr}, paths, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial() {
		t.Fatalf("partial ingest: %v", res.Problems)
	}
	wr.Close()
	st.Close()
	ro, err := query.Open(ctx, db, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	return ro
}

// tsdbQueryable opens a copy of dir with tsdb.Open, as Prometheus
// itself does, and returns the DB as the storage.Queryable.
func tsdbQueryable(t testing.TB, dir string) storage.Queryable {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	opts := tsdb.DefaultOptions()
	opts.RetentionDuration = 0
	db, err := tsdb.Open(cp, nil, nil, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.DisableCompactions()
	t.Cleanup(func() { db.Close() })
	return db
}

type noClose struct{ storage.Querier }

func (noClose) Close() error { return nil }

// render prints a result point by point, exactly (float bits).
func render(v parser.Value) string {
	var lines []string
	switch x := v.(type) {
	case prom.Matrix:
		for _, s := range x {
			for _, p := range s.Floats {
				lines = append(lines, fmt.Sprintf("%s %d %x", s.Metric, p.T, math.Float64bits(p.F)))
			}
			for _, p := range s.Histograms {
				lines = append(lines, fmt.Sprintf("%s %d %s", s.Metric, p.T, p.H))
			}
		}
	case prom.Vector:
		for _, s := range x {
			lines = append(lines, fmt.Sprintf("%s %d %x %v", s.Metric, s.T, math.Float64bits(s.F), s.H))
		}
	default:
		lines = append(lines, v.String())
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestPromQLEqualsTSDB(t *testing.T) {
	dir := t.TempDir()
	facts, err := promtest.Write(dir, promtest.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	st := ingestCase(t, dir)
	caseQ := &Queryable{DB: st.DB}
	tsdbQ := tsdbQueryable(t, dir)
	eng := NewEngine(time.Minute)
	ctx := context.Background()
	start, end := facts.Start.Add(10*time.Minute), facts.End
	tests := []struct{ name, expr string }{
		{"rate", `rate(http_requests_total[5m])`},
		{"increase", `increase(http_requests_total{status="200"}[10m])`},
		{"histogram_quantile classic", `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))`},
		{"sum by", `sum by (status) (rate(http_requests_total[5m]))`},
		{"max_over_time", `max_over_time(DCGM_FI_DEV_FB_USED[15m])`},
		{"regex matcher", `{__name__=~".+_total", job=~"vid.*"}`},
		{"not equal", `up{job!="node"}`},
		{"staleness: up while down", `up`},
		{"ALERTS", `ALERTS`},
		{"native histogram quantile", `histogram_quantile(0.9, rate(vid_bench_inference_seconds[5m]))`},
		{"native histogram count", `histogram_count(vid_bench_inference_seconds)`},
		{"resets", `resets(http_requests_total[1h])`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := eng.Range(ctx, tsdbQ, tc.expr, start, end, time.Minute)
			if err != nil {
				t.Fatalf("tsdb: %v", err)
			}
			got, err := eng.Range(ctx, caseQ, tc.expr, start, end, time.Minute)
			if err != nil {
				t.Fatalf("case: %v", err)
			}
			g, w := render(got), render(want)
			if w == "" {
				t.Fatalf("the query selects nothing: a useless test")
			}
			if g != w {
				gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("%d vs %d points; first difference at %d:\ncase %s\ntsdb %s", len(gl), len(wl), i, gl[i], wl[i])
					}
				}
				t.Fatalf("%d vs %d points", len(gl), len(wl))
			}
		})
	}
	// an instant query at the time the target was down: no up for vid-bench
	v, err := eng.Instant(ctx, caseQ, `up{job="vid-bench"}`, facts.DownFrom.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if vec := v.(prom.Vector); len(vec) != 0 {
		t.Errorf("up while the target was down (stale): %v", vec)
	}
}

func TestViews(t *testing.T) {
	dir := t.TempDir()
	facts, err := promtest.Write(dir, promtest.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	st := ingestCase(t, dir)
	ctx := context.Background()
	var name, state, sev string
	var ts, firing, until time.Time
	if err := st.DB.QueryRowContext(ctx, `SELECT alertname, alertstate, severity, ts, firing_from, "until" FROM alerts`).Scan(&name, &state, &sev, &ts, &firing, &until); err != nil {
		t.Fatal(err)
	}
	if name != "HighErrorRate" || state != "firing" || sev != "critical" || !ts.Equal(facts.PendingFrom) || !firing.Equal(facts.FiringFrom) || !until.Equal(facts.ResolvedAt) {
		t.Errorf("alerts: %s %s %s %v %v %v; want pending %v firing %v resolved %v", name, state, sev, ts, firing, until, facts.PendingFrom, facts.FiringFrom, facts.ResolvedAt)
	}
	// the timeline's query
	var detected time.Time
	if err := st.DB.QueryRowContext(ctx, `SELECT min(coalesce(firing_from, ts)) FROM alerts WHERE alertstate = 'firing'`).Scan(&detected); err != nil || !detected.Equal(facts.FiringFrom) {
		t.Errorf("detected %v (%v), want %v", detected, err, facts.FiringFrom)
	}
	var resetTS time.Time
	var kind, ref string
	if err := st.DB.QueryRowContext(ctx, `SELECT ts, kind, ref FROM events WHERE source = 'samples' AND kind = 'counter_reset'`).Scan(&resetTS, &kind, &ref); err != nil {
		t.Fatal(err)
	}
	if !resetTS.Equal(facts.ResetAt) || !strings.HasPrefix(ref, "samples:") {
		t.Errorf("counter reset event at %v (%s), want %v", resetTS, ref, facts.ResetAt)
	}
	var n int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM metrics WHERE metric = 'node_filesystem_avail_bytes' AND mountpoint = '/data' AND job = 'node'`).Scan(&n); err != nil || n == 0 {
		t.Errorf("metrics view: %d rows (%v)", n, err)
	}
	var inc float64
	if err := st.DB.QueryRowContext(ctx, `SELECT min(increase) FROM counter_rate('http_requests_total', INTERVAL 1 MINUTE)`).Scan(&inc); err != nil || inc < 0 {
		t.Errorf("counter_rate: min increase %v (%v), a reset must not give a negative increase", inc, err)
	}
	var stale int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM samples WHERE stale`).Scan(&stale); err != nil || stale != 3 {
		t.Errorf("stale markers: %d (%v), want 3", stale, err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}
