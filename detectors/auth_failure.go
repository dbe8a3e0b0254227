package detectors

import (
	"context"
	"fmt"
	"time"

	"github.com/vidbench/forensics"
)

// AuthFailure looks for a burst of failed authentications against the
// baseline: HTTP 401/403 responses per minute, and log records such as
// "authentication failed" or "invalid token". One client hammering with a
// bad key is noise, not an incident: a finding needs at least 5 distinct
// users or clients failing within the burst. Threshold per minute as for
// error_spike (λ + 3√λ + 2 over the median). Severity: P1 when 10 or more
// distinct users fail (authentication failing for many users), else P3.
// Evidence: the first failures of distinct users.
type AuthFailure struct{}

var _ Detector = AuthFailure{}

// Name implements Detector.
func (AuthFailure) Name() string { return "auth_failure" }

// Detect implements Detector.
func (AuthFailure) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	if !c.Has(ctx, "http_requests") {
		return nil, nil
	}
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `SELECT `+minuteSQL("ts")+`, count(*), count(DISTINCT coalesce("user", client))
		FROM http_requests WHERE dup_of IS NULL AND status IN (401, 403) AND ts >= ? AND ts < ? GROUP BY 1 ORDER BY 1`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("auth failures: %w", err)
	}
	type am struct {
		m     time.Time
		n, du float64
	}
	var ams []am
	for rows.Next() {
		var a am
		var us int64
		if err := rows.Scan(&us, &a.n, &a.du); err != nil {
			rows.Close()
			return nil, err
		}
		a.m = time.UnixMicro(us)
		ams = append(ams, a)
	}
	rows.Close()
	ms, err := c.HTTP(ctx)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	xs := make([]float64, len(ms))
	idx := map[time.Time]int{}
	for i, m := range ms {
		idx[m.Minute] = i
	}
	for _, a := range ams {
		if i, ok := idx[a.m.UTC()]; ok {
			xs[i] = a.n
		}
	}
	med := median(xs)
	thr := countThreshold(med, mad(xs, med))
	var bad []time.Time
	for i, x := range xs {
		if x > thr {
			bad = append(bad, ms[i].Minute)
		}
	}
	var out []forensics.Finding
	for _, ep := range episodes(bad, 3*time.Minute) {
		var users int
		var fails int64
		if err := c.DB.QueryRowContext(ctx, `SELECT count(DISTINCT coalesce("user", client)), count(*) FROM http_requests
			WHERE dup_of IS NULL AND status IN (401, 403) AND ts >= ? AND ts < ?`, ep.From, ep.To).Scan(&users, &fails); err != nil {
			return nil, err
		}
		if users < 5 {
			continue
		}
		f := forensics.Finding{Kind: forensics.KindAuthFailure, Start: ep.From, End: ep.To, Confidence: 0.7, Severity: forensics.P3,
			Details: map[string]any{"users_failing": users, "failures": fails}}
		if users >= 10 {
			f.Severity = forensics.P1
		}
		ev, err := evidenceRows(ctx, c.DB, "http_requests", `SELECT min(ts), 'http_requests:' || arg_min(id, ts), coalesce("user", client) || ': ' || arg_min(method || ' ' || path || ' → ' || status, ts)
			FROM http_requests WHERE dup_of IS NULL AND status IN (401, 403) AND ts >= ? AND ts < ? GROUP BY coalesce("user", client) ORDER BY 1 LIMIT 5`, ep.From, ep.To)
		if err != nil {
			return nil, err
		}
		f.Evidence = ev
		f.Title = fmt.Sprintf("Authentication failures: %d failed requests from %d users or clients", fails, users)
		f.RootCause = "authentication failed for many users at once"
		f.EvidenceSQL = fmt.Sprintf(`SELECT ts, 'http_requests:' || id AS ref, "user", client, method, path, status FROM http_requests
WHERE dup_of IS NULL AND status IN (401, 403) AND ts >= %s AND ts < %s ORDER BY ts`, sqlTime(ep.From), sqlTime(ep.To))
		out = append(out, f)
	}
	return out, nil
}
