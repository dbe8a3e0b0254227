package detectors

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// User impact without an access log: the API's own request metrics in the
// Prometheus data. http_requests_total{handler,status} gives requests and
// 5xx per minute (health checks and /metrics left out), the
// http_request_duration_seconds histogram the p95 latency per minute (as
// histogram_quantile does: linear within the bucket). Counter resets (a
// restarted process) are handled by the counter_deltas view.

// usePromTraffic makes the case's per-minute HTTP figures (Case.HTTP) come
// from Prometheus when the case has no access log.
func usePromTraffic(ctx context.Context, c *Case) error {
	ms, err := c.HTTP(ctx)
	if err != nil || len(ms) > 0 || !c.Has(ctx, "metrics") {
		return err
	}
	ms, err = promHTTPMinutes(ctx, c)
	if err != nil {
		return err
	}
	c.http = ms
	return nil
}

// promHTTPMinutes returns the per-minute figures from the request metrics.
func promHTTPMinutes(ctx context.Context, c *Case) ([]HTTPMinute, error) {
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `
WITH d AS (SELECT date_trunc('minute', ts) AS m, metric, labels->>'handler' AS handler, labels->>'status' AS status,
                  labels->>'le' AS le, increase
           FROM counter_deltas
           WHERE metric IN ('http_requests_total', 'http_request_duration_seconds_bucket') AND ts >= ? AND ts < ?)
SELECT m, 'req' AS k, coalesce(handler, '') LIKE '/health%' OR coalesce(handler, '') LIKE '/ready%' OR coalesce(handler, '') LIKE '/live%' AS health,
       coalesce(status, '') LIKE '5%' AS err, NULL::DOUBLE AS le, sum(increase)
FROM d WHERE metric = 'http_requests_total' AND coalesce(handler, '') <> '/metrics' GROUP BY ALL
UNION ALL
SELECT m, 'bucket', false, false, CASE WHEN le = '+Inf' THEN 'Infinity'::DOUBLE ELSE TRY_CAST(le AS DOUBLE) END, sum(increase)
FROM d WHERE metric = 'http_request_duration_seconds_bucket' AND coalesce(handler, '') NOT LIKE '/health%' AND coalesce(handler, '') <> '/metrics'
GROUP BY ALL ORDER BY 1, 2, 5`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("request metrics: %w", err)
	}
	defer rows.Close()
	type bucket struct{ le, n float64 }
	byMinute := map[time.Time]*HTTPMinute{}
	buckets := map[time.Time][]bucket{}
	for rows.Next() {
		var m time.Time
		var kind string
		var health, isErr bool
		var le *float64
		var n float64
		if err := rows.Scan(&m, &kind, &health, &isErr, &le, &n); err != nil {
			return nil, err
		}
		m = m.UTC()
		if byMinute[m] == nil {
			byMinute[m] = &HTTPMinute{Minute: m, P95: math.NaN()}
		}
		hm := byMinute[m]
		k := int64(math.Round(n))
		switch {
		case kind == "bucket":
			if le != nil {
				buckets[m] = append(buckets[m], bucket{*le, n})
			}
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []HTTPMinute
	for m, hm := range byMinute {
		if bs := buckets[m]; len(bs) > 0 {
			les := make([]float64, len(bs))
			ns := make([]float64, len(bs))
			for i, b := range bs {
				les[i], ns[i] = b.le, b.n
			}
			hm.P95 = bucketQuantile(0.95, les, ns)
		}
		out = append(out, *hm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Minute.Before(out[j].Minute) })
	// zero-fill, as Case.HTTP does
	var filled []HTTPMinute
	for i, m := range out {
		if i > 0 {
			for t := out[i-1].Minute.Add(time.Minute); t.Before(m.Minute); t = t.Add(time.Minute) {
				filled = append(filled, HTTPMinute{Minute: t, P95: math.NaN()})
			}
		}
		filled = append(filled, m)
	}
	return filled, nil
}

// bucketQuantile is histogram_quantile over cumulative bucket counts ns
// with upper bounds les in ascending order (the last +Inf): NaN without
// observations; within a bucket, linear from its lower bound; in the +Inf
// bucket, the highest finite bound.
func bucketQuantile(q float64, les, ns []float64) float64 {
	n := len(ns)
	if n == 0 || ns[n-1] <= 0 {
		return math.NaN()
	}
	rank := q * ns[n-1]
	for i := range ns {
		if ns[i] < rank {
			continue
		}
		if math.IsInf(les[i], 1) {
			if i == 0 {
				return math.NaN()
			}
			return les[i-1]
		}
		lower, below := 0.0, 0.0
		if i > 0 {
			lower, below = les[i-1], ns[i-1]
		}
		if ns[i] == below {
			return les[i]
		}
		return lower + (les[i]-lower)*(rank-below)/(ns[i]-below)
	}
	return les[n-1]
}
