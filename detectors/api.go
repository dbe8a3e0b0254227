package detectors

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	prom "github.com/prometheus/prometheus/promql"

	"github.com/vidbench/forensics/promql"
)

// APISeries is what users of the API saw, minute by minute: requests,
// 5xx and p95 latency, from the access log when the case has one, else
// from Prometheus' request metrics through the case's PromQL engine.
type APISeries struct {
	// Source says where the figures come from: "access log", or the
	// PromQL expressions used.
	Source  string
	Minutes []HTTPMinute
}

// API returns the case's per-minute API figures, computed once: the access
// log's when the case has one; else, from Prometheus' request metrics:
//
//   - requests and 5xx per minute: the increases of http_requests_total
//     (its code or status label) between consecutive samples, reset-
//     corrected (the counter_deltas view), in the minute of the later
//     sample; without that counter, of http_request_duration_seconds_count
//     (or, for a native histogram only, histogram_count over 1 minute
//     rates). Handlers /health..., /ready..., /live... are health checks,
//     /metrics is left out;
//   - p95 latency per minute: histogram_quantile(0.95, sum by (le)
//     (rate(http_request_duration_seconds_bucket[1m]))) over a classic
//     histogram, else the same over the native histogram
//     http_request_duration_seconds, through the case's PromQL engine,
//     health checks and scrapes left out. The value at time T (the minute
//     before T) is the p95 of the minute starting at T - 1m. Where samples
//     are too sparse for a 1 minute rate (scraped every 30 s or more), the
//     rate is taken over 5 minutes.
//
// Counts come from the counters' own increases rather than from rate():
// with one minute windows at one minute steps, rate() loses what a
// counter gained between the last sample of one window and the first of
// the next, and a handful of failed requests can round away (4 failed
// requests in outage-disk-full-no-access became 1). Without either source
// the series is empty.
func (c *Case) API(ctx context.Context) (APISeries, error) {
	return c.api.get(func() (APISeries, error) {
		ms, err := c.accessLogMinutes(ctx)
		if err != nil || len(ms) > 0 {
			return APISeries{Source: "access log", Minutes: ms}, err
		}
		return c.promAPI(ctx)
	})
}

// notHealth leaves out health checks and scrapes (a series without a
// handler label is kept).
const notHealth = `handler!~"/(health|healthz|ready|readyz|live|livez|metrics)([/?].*)?"`

// requestMetrics lists the Prometheus metrics API reads.
const requestMetrics = `('http_request_duration_seconds_bucket', 'http_request_duration_seconds', 'http_request_duration_seconds_count', 'http_requests_total')`

func (c *Case) promAPI(ctx context.Context) (APISeries, error) {
	db, ok := c.DB.(*sql.DB)
	if !ok || !c.Has(ctx, "series") {
		return APISeries{}, nil
	}
	have := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT metric FROM series WHERE metric IN `+requestMetrics)
	if err != nil {
		return APISeries{}, fmt.Errorf("prometheus request metrics: %w", err)
	}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return APISeries{}, fmt.Errorf("prometheus request metrics: %w", err)
		}
		have[m] = true
	}
	rows.Close()
	if len(have) == 0 {
		return APISeries{}, nil
	}
	byMinute := map[time.Time]*HTTPMinute{}
	minute := func(t time.Time) *HTTPMinute {
		if byMinute[t] == nil {
			byMinute[t] = &HTTPMinute{Minute: t, P95: math.NaN()}
		}
		return byMinute[t]
	}
	var src []string
	counter := ""
	switch {
	case have["http_requests_total"]:
		counter = "http_requests_total"
	case have["http_request_duration_seconds_count"]:
		counter = "http_request_duration_seconds_count"
	}
	if counter != "" {
		if err := c.requestCounts(ctx, counter, minute); err != nil {
			return APISeries{}, err
		}
		src = append(src, "requests and 5xx: increases of "+counter)
	}
	p95, p95Expr, err := c.promPerMinute(ctx, db,
		`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{`+notHealth+`}[%[1]s])))`,
		`histogram_quantile(0.95, sum(rate(http_request_duration_seconds{`+notHealth+`}[%[1]s])))`)
	if err != nil {
		return APISeries{}, err
	}
	if p95Expr != "" {
		src = append(src, "p95: "+p95Expr)
	}
	for t, v := range p95 {
		if !math.IsInf(v, 0) {
			minute(t).P95 = v
		}
	}
	if counter == "" {
		total, expr, err := c.promPerMinute(ctx, db, `histogram_count(sum(rate(http_request_duration_seconds{`+notHealth+`}[%[1]s]))) * 60`)
		if err != nil {
			return APISeries{}, err
		}
		if expr != "" {
			src = append(src, "requests: "+expr)
		}
		for t, v := range total {
			minute(t).Total = int64(math.Round(v))
		}
	}
	if len(byMinute) == 0 {
		return APISeries{}, nil
	}
	out := make([]HTTPMinute, 0, len(byMinute))
	for _, m := range byMinute {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Minute.Before(out[j].Minute) })
	// zero-fill, as for the access log
	var filled []HTTPMinute
	for i, m := range out {
		if i > 0 {
			for t := out[i-1].Minute.Add(time.Minute); t.Before(m.Minute); t = t.Add(time.Minute) {
				filled = append(filled, HTTPMinute{Minute: t, P95: math.NaN()})
			}
		}
		filled = append(filled, m)
	}
	return APISeries{Source: "prometheus: " + strings.Join(src, "; "), Minutes: filled}, nil
}

// requestCounts adds the per-minute increases of the request counter
// metric to the minutes: health checks apart, 5xx by the code or status
// label, /metrics left out.
func (c *Case) requestCounts(ctx context.Context, metric string, minute func(time.Time) *HTTPMinute) error {
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `
WITH d AS (SELECT `+minuteSQL("ts")+` AS m, coalesce(labels->>'handler', '') AS handler,
                  coalesce(labels->>'code', labels->>'status', '') AS status, increase
           FROM counter_deltas WHERE metric = ? AND ts >= ? AND ts < ?)
SELECT m, handler LIKE '/health%' OR handler LIKE '/ready%' OR handler LIKE '/live%' AS health,
       status LIKE '5%' AS err, sum(increase)
FROM d WHERE handler <> '/metrics' GROUP BY ALL ORDER BY 1`, metric, lo, hi)
	if err != nil {
		return fmt.Errorf("request counts from %s: %w", metric, err)
	}
	defer rows.Close()
	for rows.Next() {
		var us int64
		var health, isErr bool
		var n float64
		if err := rows.Scan(&us, &health, &isErr, &n); err != nil {
			return fmt.Errorf("request counts from %s: %w", metric, err)
		}
		hm := minute(time.UnixMicro(us).UTC())
		k := int64(math.Round(n))
		switch {
		case health:
			hm.Health += k
			if isErr {
				hm.HealthFail += k
			}
		default:
			hm.Total += k
			if isErr {
				hm.Err5xx += k
			}
		}
	}
	return rows.Err()
}

// promPerMinute evaluates the first of exprs (each with its range as
// %[1]s) that gives points, with a 1 minute range, else a 5 minute one,
// every minute over the span of the request metrics, and returns its
// values by the minute they describe (the minute before each point) and
// the expression used ("" when none gave points).
func (c *Case) promPerMinute(ctx context.Context, db *sql.DB, exprs ...string) (map[time.Time]float64, string, error) {
	var lo, hi sql.NullTime
	if err := db.QueryRowContext(ctx, `SELECT min(p.ts), max(p.ts) FROM (
		SELECT ts, series_id FROM samples UNION ALL SELECT ts, series_id FROM histogram_samples) p
		JOIN series s ON s.id = p.series_id WHERE s.metric IN `+requestMetrics).Scan(&lo, &hi); err != nil {
		return nil, "", fmt.Errorf("prometheus request metrics: %w", err)
	}
	if !lo.Valid {
		return nil, "", nil
	}
	since, until := c.bounds()
	start := lo.Time.UTC().Truncate(time.Minute).Add(time.Minute)
	end := hi.Time.UTC().Truncate(time.Minute).Add(time.Minute)
	if s := since.Truncate(time.Minute).Add(time.Minute); s.After(start) {
		start = s
	}
	if u := until.Truncate(time.Minute); u.Before(end) {
		end = u
	}
	if end.Before(start) {
		return nil, "", nil
	}
	q := &promql.Queryable{DB: db}
	eng := promql.NewEngine(2 * time.Minute)
	for _, w := range []string{"1m", "5m"} {
		for _, e := range exprs {
			expr := fmt.Sprintf(e, w)
			v, err := eng.Range(ctx, q, expr, start, end, time.Minute)
			if err != nil {
				return nil, "", fmt.Errorf("promql %s: %w", expr, err)
			}
			out := map[time.Time]float64{}
			if m, ok := v.(prom.Matrix); ok {
				for _, s := range m {
					for _, p := range s.Floats {
						if !math.IsNaN(p.F) {
							out[time.UnixMilli(p.T).UTC().Add(-time.Minute)] = p.F
						}
					}
				}
			}
			if len(out) > 0 {
				return out, expr, nil
			}
		}
	}
	return nil, "", nil
}
