package detectors

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/vidbench/forensics"
)

// Database looks for the database side of an incident, from PostgreSQL's
// own server log (compose or journald lines) and the app's errors:
//
//   - lock_contention: "process N still waiting for ShareLock ... after
//     1000.123 ms", "deadlock detected", lock timeouts, together with the
//     statement timeouts they cause ("canceling statement due to statement
//     timeout"): at least 3 records less than 10 minutes apart;
//   - connection_exhaustion: "sorry, too many clients already", reserved
//     connection slots, pool exhaustion: at least 2 records;
//   - slow_query: "duration: N ms statement: ..." lines of 1 s or more: at
//     least 3 records.
//
// With PostgreSQL statistics snapshots in the case it also follows
// blocking chains in pg_blocking to their root blocker, finds statements
// whose mean time rose far above their own baseline in pg_statement_deltas,
// and compares connections in pg_activity with max_connections (see
// database_pg.go).
//
// Each is correlated with API impact: the p95 latency and 5xx over the
// stretch against the access log's baseline (ratio reported in details).
// Severity is that impact (DESIGN.md rules); a database problem that did
// not move API latency or errors is P3 and is not taken as the incident's
// root cause. Evidence: first, middle and last record.
type Database struct{}

var _ Detector = Database{}

// Name implements Detector.
func (Database) Name() string { return "database" }

// Detect implements Detector.
func (Database) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	rules := []textRule{
		{kind: forensics.KindLockContention, patterns: []string{patLockWait, patStmtTO}, gap: 10 * time.Minute, min: 3,
			what: "Lock contention", rootCause: "queries waited on locks held by another transaction"},
		{kind: forensics.KindConnectionExhaustion, patterns: []string{patTooMany}, gap: 10 * time.Minute, min: 2,
			what: "Database connections exhausted", rootCause: "the database ran out of connection slots"},
		{kind: forensics.KindSlowQuery, patterns: []string{patSlowStmt}, gap: 10 * time.Minute, min: 3,
			what: "Slow queries", rootCause: "queries ran far slower than usual"},
	}
	var out []forensics.Finding
	snap, err := blockerFindings(ctx, c)
	if err != nil {
		return nil, err
	}
	out = append(out, snap...)
	for _, more := range []func(context.Context, *Case) ([]forensics.Finding, error){slowStatementFindings, connectionFindings} {
		fs, err := more(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	for _, r := range rules {
		fs, err := r.detect(ctx, c)
		if err != nil {
			return nil, err
		}
		for i := range fs {
			if err := correlateLatency(ctx, c, &fs[i]); err != nil {
				return nil, err
			}
			fs[i].Services = []string{"postgres"}
		}
		if r.kind == forensics.KindLockContention {
			// statement timeouts alone are not lock contention; and where the
			// snapshots already show the blocking chain, that finding stands
			var keep []forensics.Finding
			for _, f := range fs {
				locks, _ := c.matches(ctx, patLockWait)
				if len(between(locks, f.Start, f.End)) == 0 || overlapsAny(f, snap) {
					continue
				}
				keep = append(keep, f)
			}
			fs = keep
		}
		out = append(out, fs...)
	}
	return out, nil
}

// correlateLatency records how API latency moved during the finding.
func correlateLatency(ctx context.Context, c *Case, f *forensics.Finding) error {
	ms, err := c.HTTP(ctx)
	if err != nil || len(ms) == 0 {
		f.Details["api_impact"] = "no access log: API impact unknown"
		return err
	}
	var base, during []float64
	var fails int64
	for _, m := range ms {
		if math.IsNaN(m.P95) || m.Total < 3 {
			continue
		}
		if !m.Minute.Before(f.Start.Truncate(time.Minute)) && !m.Minute.After(f.End) {
			during = append(during, m.P95)
			fails += m.Err5xx
		} else {
			base = append(base, m.P95)
		}
	}
	b, d := median(base), 0.0
	for _, x := range during {
		d = math.Max(d, x)
	}
	if len(during) == 0 || math.IsNaN(b) || b <= 0 {
		f.Details["api_impact"] = "no API traffic during the stretch"
		return nil
	}
	f.Details["api_p95_baseline_s"] = b
	f.Details["api_p95_peak_s"] = d
	f.Details["api_latency_ratio"] = d / b
	f.Details["api_5xx"] = fails
	f.Details["api_impact"] = fmt.Sprintf("API p95 peaked at %.2f s, %.1fx its baseline of %.3f s; %d 5xx", d, d/b, b, fails)
	return nil
}

func overlapsAny(f forensics.Finding, fs []forensics.Finding) bool {
	for _, g := range fs {
		if !f.Start.After(g.End.Add(5*time.Minute)) && !f.End.Before(g.Start.Add(-5*time.Minute)) {
			return true
		}
	}
	return false
}
