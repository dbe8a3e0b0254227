package detectors

import (
	"context"
	"database/sql"
	"fmt"
	"math"
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
// log's (HTTP) when the case has one; else, from Prometheus,
//
//   - p95 latency: histogram_quantile(0.95, sum by (le)
//     (rate(http_request_duration_seconds_bucket[1m]))) over classic
//     histograms, or the same over the native histogram
//     http_request_duration_seconds;
//   - requests: sum(rate(http_requests_total[1m])) x 60, else the
//     histogram's count (_count, histogram_count, the +Inf bucket);
//   - 5xx: sum(rate(http_requests_total{code=~"5.."}[1m])) x 60 (or the
//     label status).
//
// Health checks and scrapes (handler /health..., /ready..., /live...,
// /metrics) are left out, as they are from the access log's figures. The
// value at time T (the minute before T) is the figure of the minute
// starting at T - 1m. Where samples are too sparse for a 1 minute rate
// (scraped every 30 s or more), the rates are taken over 5 minutes.
// Without either source the series is empty.
func (c *Case) API(ctx context.Context) (APISeries, error) {
	return c.api.get(func() (APISeries, error) {
		ms, err := c.HTTP(ctx)
		if err != nil || len(ms) > 0 {
			return APISeries{Source: "access log", Minutes: ms}, err
		}
		return c.promAPI(ctx)
	})
}

// notHealth leaves out health checks and scrapes (a series without a
// handler label is kept).
const notHealth = `handler!~"/(health|healthz|ready|readyz|live|livez|metrics)([/?].*)?"`

func (c *Case) promAPI(ctx context.Context) (APISeries, error) {
	db, ok := c.DB.(*sql.DB)
	if !ok || !c.Has(ctx, "series") {
		return APISeries{}, nil
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM series WHERE metric IN
		('http_request_duration_seconds_bucket', 'http_request_duration_seconds', 'http_requests_total')`).Scan(&n); err != nil || n == 0 {
		return APISeries{}, nil
	}
	var lo, hi sql.NullTime
	if err := db.QueryRowContext(ctx, `SELECT min(p.ts), max(p.ts) FROM (
		SELECT ts, series_id FROM samples UNION ALL SELECT ts, series_id FROM histogram_samples) p
		JOIN series s ON s.id = p.series_id
		WHERE s.metric IN ('http_request_duration_seconds_bucket', 'http_request_duration_seconds', 'http_requests_total')`).Scan(&lo, &hi); err != nil {
		return APISeries{}, fmt.Errorf("prometheus request metrics: %w", err)
	}
	if !lo.Valid {
		return APISeries{}, nil
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
		return APISeries{}, nil
	}
	q := &promql.Queryable{DB: db}
	eng := promql.NewEngine(2 * time.Minute)
	eval := func(expr string) (map[int64]float64, error) {
		v, err := eng.Range(ctx, q, expr, start, end, time.Minute)
		if err != nil {
			return nil, fmt.Errorf("promql %s: %w", expr, err)
		}
		out := map[int64]float64{}
		if m, ok := v.(prom.Matrix); ok {
			for _, s := range m {
				for _, p := range s.Floats {
					if !math.IsNaN(p.F) {
						out[p.T] = p.F
					}
				}
			}
		}
		return out, nil
	}
	// the first of exprs (each with the range %[1]s) that gives points,
	// with a 1 minute range, else a 5 minute one
	first := func(exprs ...string) (map[int64]float64, string, error) {
		for _, w := range []string{"1m", "5m"} {
			for _, e := range exprs {
				e = fmt.Sprintf(e, w)
				pts, err := eval(e)
				if err != nil {
					return nil, "", err
				}
				if len(pts) > 0 {
					return pts, e, nil
				}
			}
		}
		return nil, "", nil
	}
	p95, p95Expr, err := first(
		`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{`+notHealth+`}[%[1]s])))`,
		`histogram_quantile(0.95, sum(rate(http_request_duration_seconds{`+notHealth+`}[%[1]s])))`)
	if err != nil {
		return APISeries{}, err
	}
	total, totalExpr, err := first(
		`sum(rate(http_requests_total{`+notHealth+`}[%[1]s])) * 60`,
		`sum(rate(http_request_duration_seconds_count{`+notHealth+`}[%[1]s])) * 60`,
		`histogram_count(sum(rate(http_request_duration_seconds{`+notHealth+`}[%[1]s]))) * 60`,
		`sum(rate(http_request_duration_seconds_bucket{le="+Inf",`+notHealth+`}[%[1]s])) * 60`)
	if err != nil {
		return APISeries{}, err
	}
	var errs map[int64]float64
	errExpr := ""
	if totalExpr != "" {
		errs, errExpr, err = first(
			`sum(rate(http_requests_total{code=~"5..",`+notHealth+`}[%[1]s])) * 60`,
			`sum(rate(http_requests_total{status=~"5..",`+notHealth+`}[%[1]s])) * 60`)
		if err != nil {
			return APISeries{}, err
		}
	}
	if len(p95) == 0 && len(total) == 0 {
		return APISeries{}, nil
	}
	src := "prometheus:"
	for _, e := range []string{p95Expr, totalExpr, errExpr} {
		if e != "" {
			src += " " + e + ";"
		}
	}
	var out []HTTPMinute
	for t := start; !t.After(end); t = t.Add(time.Minute) {
		ms := t.UnixMilli()
		m := HTTPMinute{Minute: t.Add(-time.Minute), P95: math.NaN()}
		if v, ok := p95[ms]; ok && !math.IsInf(v, 0) {
			m.P95 = v
		}
		m.Total = int64(math.Round(total[ms]))
		m.Err5xx = int64(math.Round(errs[ms]))
		out = append(out, m)
	}
	return APISeries{Source: src[:len(src)-1], Minutes: out}, nil
}
