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
// error_spike (λ + 3√λ + 2 over the median). Severity: P1 when the case's
// own users fail (10 or more principals that had a successful request
// before the burst, or at least 5 and half of those active): authentication
// failing for many users. P2 when instead 10 or more clients never seen
// succeeding fail while the known users still get in: credential stuffing
// or brute force, an attack to respond to without user impact. Else P3.
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
		// Who failed: principals (user, else client address) that made a
		// successful request before the burst are the case's own users;
		// the others were never seen getting in.
		var users, known, knownActive int
		var fails, oks int64
		if err := c.DB.QueryRowContext(ctx, `
WITH f AS (SELECT DISTINCT coalesce("user", client) AS p FROM http_requests
           WHERE dup_of IS NULL AND status IN (401, 403) AND ts >= ? AND ts < ?),
good AS (SELECT DISTINCT coalesce("user", client) AS p FROM http_requests
         WHERE dup_of IS NULL AND status < 400 AND ts < ? AND coalesce("user", client) IS NOT NULL),
active AS (SELECT DISTINCT coalesce("user", client) AS p FROM http_requests
           WHERE dup_of IS NULL AND ts >= ? AND ts < ?)
SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM f WHERE p IN (SELECT p FROM good)),
       (SELECT count(*) FROM active WHERE p IN (SELECT p FROM good)),
       (SELECT count(*) FROM http_requests WHERE dup_of IS NULL AND status IN (401, 403) AND ts >= ? AND ts < ?),
       (SELECT count(*) FROM http_requests WHERE dup_of IS NULL AND status < 400 AND ts >= ? AND ts < ?)`,
			ep.From, ep.To, ep.From, ep.From, ep.To, ep.From, ep.To, ep.From, ep.To).Scan(&users, &known, &knownActive, &fails, &oks); err != nil {
			return nil, err
		}
		if users < 5 {
			continue
		}
		unknown := users - known
		f := forensics.Finding{Kind: forensics.KindAuthFailure, Start: ep.From, End: ep.To, Confidence: 0.7, Severity: forensics.P3,
			Details: map[string]any{"users_failing": users, "failures": fails, "known_users_failing": known,
				"known_users_active": knownActive, "unknown_clients_failing": unknown, "successful_requests": oks}}
		attack := false
		switch {
		case known >= 10 || (known >= 5 && 2*known >= knownActive):
			// the case's own users cannot get in
			f.Severity = forensics.P1
		case unknown >= 10:
			// many clients never seen succeeding, while the users who had
			// been getting in still do: an attack on the login, not an
			// authentication outage (a breach would show as an attacker's
			// success, which this does not claim)
			f.Severity, attack = forensics.P2, true
		}
		ev, err := evidenceRows(ctx, c.DB, "http_requests", `SELECT min(ts), 'http_requests:' || arg_min(id, ts), coalesce("user", client) || ': ' || arg_min(method || ' ' || path || ' → ' || status, ts)
			FROM http_requests WHERE dup_of IS NULL AND status IN (401, 403) AND ts >= ? AND ts < ? GROUP BY coalesce("user", client) ORDER BY 1 LIMIT 5`, ep.From, ep.To)
		if err != nil {
			return nil, err
		}
		f.Evidence = ev
		f.Title = fmt.Sprintf("Authentication failures: %d failed requests from %d users or clients", fails, users)
		f.RootCause = "authentication failed for many users at once"
		if attack {
			f.Title = fmt.Sprintf("Credential stuffing or brute force: %d failed logins from %d clients never seen succeeding", fails, unknown)
			f.RootCause = fmt.Sprintf("an attack on authentication: %d clients that never got in before failed %d times; %d of the case's own users failed", unknown, fails, known)
		}
		f.EvidenceSQL = fmt.Sprintf(`SELECT ts, 'http_requests:' || id AS ref, "user", client, method, path, status FROM http_requests
WHERE dup_of IS NULL AND status IN (401, 403) AND ts >= %s AND ts < %s ORDER BY ts`, sqlTime(ep.From), sqlTime(ep.To))
		out = append(out, f)
	}
	return out, nil
}
