// Package promtest writes Prometheus TSDB data directories for tests and
// benchmarks with the prometheus module's own tsdb package (tsdb.Open,
// Appender, Compact), and writes OpenMetrics text for
// `promtool tsdb create-blocks-from openmetrics`.
package promtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/tsdb"
)

// Start is when the generated data begins.
var Start = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// Step is the scrape interval of the generated data.
const Step = 15 * time.Second

// Layout says what Write generates.
type Layout struct {
	Hours int // span of the data (default 10); the last ~3 h stay in the WAL/head only
}

// Facts are what a test can check the data against.
type Facts struct {
	Start, End   time.Time
	ResetAt      time.Time // http_requests_total of vid-bench restarts from 0 here
	DownFrom     time.Time // up{job="vid-bench"} goes stale here (target down) ...
	DownUntil    time.Time // ... and comes back here
	PendingFrom  time.Time // ALERTS{alertname="HighErrorRate"} pending from here,
	FiringFrom   time.Time // firing from here,
	ResolvedAt   time.Time // and resolved (stale) here
	BlockMaxTime time.Time // the newest persisted block ends here; later data is in the head only
}

// Write creates a TSDB at dir: counters (with a reset), gauges, a classic
// histogram, a native histogram series, a target that goes down (a
// staleness marker) and an alert that goes pending, fires and resolves.
// It compacts what can be compacted and leaves the rest in the WAL.
func Write(dir string, l Layout) (Facts, error) {
	if l.Hours == 0 {
		l.Hours = 10
	}
	opts := tsdb.DefaultOptions()
	opts.RetentionDuration = 0
	db, err := tsdb.Open(dir, slog.New(slog.DiscardHandler), nil, opts, nil)
	if err != nil {
		return Facts{}, err
	}
	db.DisableCompactions()
	f := Facts{Start: Start, End: Start.Add(time.Duration(l.Hours) * time.Hour)}
	f.ResetAt = Start.Add(time.Duration(l.Hours) * time.Hour * 6 / 10)
	f.DownFrom = Start.Add(time.Duration(l.Hours) * time.Hour * 3 / 10)
	f.DownUntil = f.DownFrom.Add(10 * time.Minute)
	f.PendingFrom = f.End.Add(-90 * time.Minute)
	f.FiringFrom = f.PendingFrom.Add(2 * time.Minute)
	f.ResolvedAt = f.FiringFrom.Add(20 * time.Minute)

	vid := func(kv ...string) labels.Labels {
		return labels.FromStrings(append([]string{"job", "vid-bench", "instance", "api:8000"}, kv...)...)
	}
	type counter struct {
		ls   labels.Labels
		rate float64
		v    float64
	}
	counters := []*counter{
		{ls: vid("__name__", "http_requests_total", "handler", "/api/v1/benchmarks", "method", "POST", "status", "200"), rate: 3.5},
		{ls: vid("__name__", "http_requests_total", "handler", "/api/v1/benchmarks", "method", "POST", "status", "500"), rate: 0.25},
		{ls: vid("__name__", "vid_bench_benchmark_runs_total", "status", "ok"), rate: 0.1},
	}
	buckets := []float64{0.1, 0.5, 1, 5, math.Inf(1)}
	share := []float64{0.5, 0.8, 0.9, 0.98, 1}
	var bucketC []*counter
	for i, le := range buckets {
		les := fmt.Sprint(le)
		if math.IsInf(le, 1) {
			les = "+Inf"
		}
		bucketC = append(bucketC, &counter{ls: vid("__name__", "http_request_duration_seconds_bucket", "handler", "/api/v1/benchmarks", "le", les), rate: 4 * share[i]})
	}
	sumC := &counter{ls: vid("__name__", "http_request_duration_seconds_sum", "handler", "/api/v1/benchmarks"), rate: 1.3}
	countC := &counter{ls: vid("__name__", "http_request_duration_seconds_count", "handler", "/api/v1/benchmarks"), rate: 4}
	counters = append(counters, bucketC...)
	counters = append(counters, sumC, countC)

	up := vid("__name__", "up")
	upNode := labels.FromStrings("__name__", "up", "job", "node", "instance", "host:9100")
	mem := labels.FromStrings("__name__", "node_memory_MemAvailable_bytes", "job", "node", "instance", "host:9100")
	fs := labels.FromStrings("__name__", "node_filesystem_avail_bytes", "job", "node", "instance", "host:9100", "mountpoint", "/data")
	gpu := labels.FromStrings("__name__", "DCGM_FI_DEV_FB_USED", "job", "dcgm", "instance", "gpu-host:9400", "gpu", "0", "UUID", "GPU-1234", "Hostname", "gpu-host")
	nh := labels.FromStrings("__name__", "vid_bench_inference_seconds", "job", "vid-bench", "instance", "api:8000")
	alert := func(state string) labels.Labels {
		return labels.FromStrings("__name__", "ALERTS", "alertname", "HighErrorRate", "alertstate", state, "severity", "critical", "job", "vid-bench")
	}

	ctx := context.Background()
	n := int64(l.Hours) * int64(time.Hour/Step)
	app := db.Appender(ctx)
	var nhCount uint64
	for i := int64(0); i < n; i++ {
		ts := Start.Add(time.Duration(i) * Step)
		t := ts.UnixMilli()
		if i > 0 && i%2000 == 0 {
			if err := app.Commit(); err != nil {
				return f, err
			}
			app = db.Appender(ctx)
		}
		for k, c := range counters {
			if k == 0 && ts.Equal(f.ResetAt) {
				c.v = 0 // the process restarted
			}
			c.v += c.rate * 15 * (1 + 0.3*math.Sin(float64(i+int64(k))/37))
			c.v = math.Round(c.v)
			if _, err := app.Append(0, c.ls, t, c.v); err != nil {
				return f, err
			}
		}
		down := !ts.Before(f.DownFrom) && ts.Before(f.DownUntil)
		switch {
		case ts.Equal(f.DownFrom):
			if _, err := app.Append(0, up, t, math.Float64frombits(value.StaleNaN)); err != nil {
				return f, err
			}
		case !down:
			if _, err := app.Append(0, up, t, 1); err != nil {
				return f, err
			}
		}
		gauges := []struct {
			ls labels.Labels
			v  float64
		}{
			{upNode, 1},
			{mem, 8e9 + 2e9*math.Sin(float64(i)/100)},
			{fs, 5e11 - float64(i)*1e6},
			{gpu, 40000 + 30000*math.Sin(float64(i)/500)},
		}
		for _, g := range gauges {
			if _, err := app.Append(0, g.ls, t, g.v); err != nil {
				return f, err
			}
		}
		nhCount += uint64(i%7 + 1)
		h := &histogram.Histogram{
			Schema: 0, Count: nhCount, Sum: float64(nhCount) * 0.7, ZeroThreshold: 0.001, ZeroCount: nhCount / 10,
			PositiveSpans:   []histogram.Span{{Offset: 0, Length: 3}},
			PositiveBuckets: []int64{int64(nhCount / 2), -int64(nhCount / 4), 0},
		}
		h.Count = h.ZeroCount + uint64(h.PositiveBuckets[0]) + 2*uint64(h.PositiveBuckets[0]+h.PositiveBuckets[1])
		if _, err := app.AppendHistogram(0, nh, t, h, nil); err != nil {
			return f, err
		}
		// the alert: pending, then firing, then resolved (staleness markers
		// as the rule manager writes them)
		stale := math.Float64frombits(value.StaleNaN)
		switch {
		case !ts.Before(f.PendingFrom) && ts.Before(f.FiringFrom):
			_, err = app.Append(0, alert("pending"), t, 1)
		case ts.Equal(f.FiringFrom):
			if _, err = app.Append(0, alert("pending"), t, stale); err == nil {
				_, err = app.Append(0, alert("firing"), t, 1)
			}
		case ts.After(f.FiringFrom) && ts.Before(f.ResolvedAt):
			_, err = app.Append(0, alert("firing"), t, 1)
		case ts.Equal(f.ResolvedAt):
			_, err = app.Append(0, alert("firing"), t, stale)
		}
		if err != nil {
			return f, err
		}
	}
	if err := app.Commit(); err != nil {
		return f, err
	}
	if err := db.Compact(ctx); err != nil {
		return f, err
	}
	for _, b := range db.Blocks() {
		if mt := time.UnixMilli(b.Meta().MaxTime).UTC(); mt.After(f.BlockMaxTime) {
			f.BlockMaxTime = mt
		}
	}
	return f, db.Close()
}

// WriteOpenMetrics writes series counters and gauges (half each) of
// samples points every step, starting at Start, as OpenMetrics text that
// `promtool tsdb create-blocks-from openmetrics` takes (a # TYPE line per
// metric family, seconds timestamps, # EOF). Counters are named
// bench_<i>_total, gauges bench_gauge_<i>.
func WriteOpenMetrics(w io.Writer, series, samples int, step time.Duration) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for s := 0; s < series; s++ {
		counter := s%2 == 0
		name := fmt.Sprintf("bench_gauge_%d", s)
		typ := "gauge"
		if counter {
			name, typ = fmt.Sprintf("bench_%d", s), "counter"
		}
		fmt.Fprintf(bw, "# TYPE %s %s\n", name, typ)
		if counter {
			name += "_total"
		}
		v := 0.0
		for i := 0; i < samples; i++ {
			t := Start.Add(time.Duration(i) * step).Unix()
			if counter {
				v += float64((i*7+s)%13 + 1)
			} else {
				v = float64((i*31+s*17)%1000) / 10
			}
			fmt.Fprintf(bw, "%s{job=\"bench\",instance=\"host-%d:9100\"} %g %d\n", name, s, v, t)
		}
	}
	fmt.Fprintln(bw, "# EOF")
	return bw.Flush()
}

// WriteOpenMetricsFile writes WriteOpenMetrics' output to path.
func WriteOpenMetricsFile(path string, series, samples int, step time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteOpenMetrics(f, series, samples, step); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
