package promtest

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"
)

// Traffic is the API's traffic at a scrape: requests per second, the share
// of them answered 5xx, and the latency of a request in seconds.
type Traffic func(t time.Time) (rps, errRatio, latency float64)

// Requests says what WriteRequests generates.
type Requests struct {
	Start, End time.Time
	Classic    bool // http_request_duration_seconds as a classic histogram (_bucket{le}, _sum, _count)
	Native     bool // http_request_duration_seconds as a native histogram
	Totals     bool // http_requests_total{code} counters
	Health     bool // a busy /health handler too (8/s, always fast and ok), which the API's figures must leave out
	Traffic    Traffic
}

// ClassicBuckets returns the upper bounds of the classic histogram
// WriteRequests writes (and +Inf).
func ClassicBuckets() []float64 { return []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60} }

// WriteRequests creates a TSDB at dir with the API's request metrics,
// scraped every Step from r.Start to r.End, as a service instrumented with
// the Prometheus client writes them: per handler, counters that only grow.
// Each scrape interval adds rps x 15 s requests; the slow tenth of them
// take three times the latency, the others half of it. Blocks are cut
// every 30 minutes and compacted, the newest data stays in the WAL.
func WriteRequests(dir string, r Requests) error {
	opts := tsdb.DefaultOptions()
	opts.RetentionDuration = 0
	opts.MinBlockDuration = int64(30 * time.Minute / time.Millisecond)
	opts.MaxBlockDuration = opts.MinBlockDuration
	db, err := tsdb.Open(dir, slog.New(slog.DiscardHandler), nil, opts, nil)
	if err != nil {
		return fmt.Errorf("open tsdb %s: %w", dir, err)
	}
	db.DisableCompactions()
	type handler struct {
		name    string
		traffic Traffic
	}
	hs := []handler{{"/api/v1/benchmarks", r.Traffic}}
	if r.Health {
		hs = append(hs, handler{"/health", func(time.Time) (float64, float64, float64) { return 8, 0, 0.002 }})
	}
	type state struct {
		ok, fail, sum float64
		buckets       []float64 // cumulative counts per ClassicBuckets, then +Inf
		native        map[int]float64
		zero          float64
	}
	bounds := ClassicBuckets()
	st := make([]state, len(hs))
	for i := range st {
		st[i].buckets = make([]float64, len(bounds)+1)
		st[i].native = map[int]float64{}
	}
	ctx := context.Background()
	app := db.Appender(ctx)
	n := 0
	for ts := r.Start; !ts.After(r.End); ts = ts.Add(Step) {
		t := ts.UnixMilli()
		for i, h := range hs {
			s := &st[i]
			rps, errRatio, lat := h.traffic(ts)
			reqs := math.Round(rps * Step.Seconds())
			fails := math.Round(reqs * errRatio)
			s.ok += reqs - fails
			s.fail += fails
			for _, o := range []struct{ n, v float64 }{{math.Round(reqs * 0.9), lat / 2}, {reqs - math.Round(reqs*0.9), lat * 3}} {
				s.sum += o.n * o.v
				for b, le := range bounds {
					if o.v <= le {
						s.buckets[b] += o.n
					}
				}
				s.buckets[len(bounds)] += o.n
				if o.v <= 0.001 {
					s.zero += o.n
				} else {
					s.native[int(math.Ceil(math.Log2(o.v)))] += o.n // schema 0: (2^(i-1), 2^i]
				}
			}
			base := []string{"job", "vid-bench", "instance", "api:8000", "handler", h.name}
			add := func(v float64, kv ...string) error {
				_, err := app.Append(0, labels.FromStrings(append(append([]string{}, base...), kv...)...), t, v)
				return err
			}
			if r.Totals {
				if err := add(s.ok, "__name__", "http_requests_total", "code", "200", "method", "POST"); err != nil {
					return err
				}
				if err := add(s.fail, "__name__", "http_requests_total", "code", "503", "method", "POST"); err != nil {
					return err
				}
			}
			if r.Classic {
				for b, le := range bounds {
					if err := add(s.buckets[b], "__name__", "http_request_duration_seconds_bucket", "le", fmt.Sprint(le)); err != nil {
						return err
					}
				}
				count := s.buckets[len(bounds)]
				if err := add(count, "__name__", "http_request_duration_seconds_bucket", "le", "+Inf"); err != nil {
					return err
				}
				if err := add(count, "__name__", "http_request_duration_seconds_count"); err != nil {
					return err
				}
				if err := add(s.sum, "__name__", "http_request_duration_seconds_sum"); err != nil {
					return err
				}
			}
			if r.Native {
				fh := &histogram.FloatHistogram{Schema: 0, ZeroThreshold: 0.001, ZeroCount: s.zero, Sum: s.sum, Count: s.zero}
				lo, hi := math.MaxInt, math.MinInt
				for k := range s.native {
					lo, hi = min(lo, k), max(hi, k)
				}
				if lo <= hi {
					fh.PositiveSpans = []histogram.Span{{Offset: int32(lo), Length: uint32(hi - lo + 1)}}
					for k := lo; k <= hi; k++ {
						fh.PositiveBuckets = append(fh.PositiveBuckets, s.native[k])
						fh.Count += s.native[k]
					}
				}
				ls := labels.FromStrings(append(append([]string{}, base...), "__name__", "http_request_duration_seconds")...)
				if _, err := app.AppendHistogram(0, ls, t, nil, fh); err != nil {
					return err
				}
			}
		}
		if n++; n%500 == 0 {
			if err := app.Commit(); err != nil {
				return err
			}
			app = db.Appender(ctx)
		}
	}
	if err := app.Commit(); err != nil {
		return err
	}
	if err := db.Compact(ctx); err != nil {
		return fmt.Errorf("compact %s: %w", dir, err)
	}
	return db.Close()
}
