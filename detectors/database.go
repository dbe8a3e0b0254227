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
// Each is correlated with API impact, from the access log or, without one,
// Prometheus' request metrics (Case.API): the p95 latency and 5xx over the
// stretch against their baseline (ratio reported in details), and the
// correlation of API p95 and 5xx per minute with the problem per minute
// at the lag where it is highest (api_latency_correlation,
// api_latency_lag_s, api_5xx_correlation, api_5xx_lag_s).
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
		recs, err := c.matches(ctx, r.patterns...)
		if err != nil {
			return nil, err
		}
		for i := range fs {
			if err := correlateLatency(ctx, c, &fs[i], recordSignal(between(recs, fs[i].Start, fs[i].End))); err != nil {
				return nil, err
			}
			fs[i].Services = []string{"postgres"}
			if r.kind == forensics.KindConnectionExhaustion {
				if err := leakOnset(ctx, c, &fs[i]); err != nil {
					return nil, err
				}
			}
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

// sigPoint is one observation of a database problem (a log record, the
// sessions waiting on a blocker in a snapshot, a slow interval's extra
// time) with its weight.
type sigPoint struct {
	t time.Time
	v float64
}

// recordSignal weighs each record 1.
func recordSignal(ev []forensics.Evidence) []sigPoint {
	out := make([]sigPoint, len(ev))
	for i, e := range ev {
		out[i] = sigPoint{e.TS, 1}
	}
	return out
}

// correlateLatency records how the API moved during the finding, from
// the access log or Prometheus (Case.API): p95 against its baseline, 5xx;
// and how closely API p95 and 5xx followed the database problem sig, per
// minute (lagCorrelation): api_latency_correlation and api_latency_lag_s
// (positive: the API followed), api_5xx_correlation and api_5xx_lag_s.
func correlateLatency(ctx context.Context, c *Case, f *forensics.Finding, sig []sigPoint) error {
	api, err := c.API(ctx)
	ms := api.Minutes
	if err != nil || len(ms) == 0 {
		f.Details["api_impact"] = "no access log or Prometheus request metrics: API impact unknown"
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
	f.Details["api_source"] = api.Source
	corr := ""
	if r, lag, ok := lagCorrelation(ms, sig, f.Start, f.End, func(m HTTPMinute) (float64, bool) {
		return m.P95, !math.IsNaN(m.P95) && m.Total >= 3
	}); ok {
		f.Details["api_latency_correlation"] = r
		f.Details["api_latency_lag_s"] = lag
		corr = fmt.Sprintf("; p95 follows it with r = %.2f at a lag of %+d s", r, lag)
	}
	if r, lag, ok := lagCorrelation(ms, sig, f.Start, f.End, func(m HTTPMinute) (float64, bool) {
		return float64(m.Err5xx), m.Total > 0
	}); ok {
		f.Details["api_5xx_correlation"] = r
		f.Details["api_5xx_lag_s"] = lag
		corr += fmt.Sprintf("; 5xx with r = %.2f at %+d s", r, lag)
	}
	b, d := median(base), 0.0
	for _, x := range during {
		d = math.Max(d, x)
	}
	if len(during) == 0 || math.IsNaN(b) || b <= 0 {
		f.Details["api_impact"] = "no API traffic during the stretch" + corr
		return nil
	}
	f.Details["api_p95_baseline_s"] = b
	f.Details["api_p95_peak_s"] = d
	f.Details["api_latency_ratio"] = d / b
	f.Details["api_5xx"] = fails
	f.Details["api_impact"] = fmt.Sprintf("API p95 peaked at %.2f s, %.1fx its baseline of %.3f s; %d 5xx", d, d/b, b, fails) + corr
	return nil
}

// maxLag bounds the lag lagCorrelation tries, in minutes either way.
const maxLag = 10

// lagCorrelation is the Pearson correlation between a database problem
// (sig, summed per minute; zero in minutes without it) and an API figure
// per minute (val; minutes where it is not ok are left out), over the
// finding's stretch from..to and 30 minutes either side, with the API
// shifted by each lag from -10 to +10 minutes: the highest correlation,
// rounded to 3 places, and its lag in seconds (the smaller lag on a tie).
// ok is false with fewer than 5 minutes to compare or a flat series.
func lagCorrelation(ms []HTTPMinute, sig []sigPoint, from, to time.Time, val func(HTTPMinute) (float64, bool)) (float64, int, bool) {
	if len(ms) == 0 || len(sig) == 0 {
		return 0, 0, false
	}
	first := ms[0].Minute
	idx := func(t time.Time) int { return int(t.Truncate(time.Minute).Sub(first) / time.Minute) }
	lo, hi := max(idx(from)-30, 0), min(idx(to)+30, len(ms)-1)
	if hi < lo {
		return 0, 0, false
	}
	s := make([]float64, hi-lo+1)
	for _, p := range sig {
		if i := idx(p.t); i >= lo && i <= hi {
			s[i-lo] += p.v
		}
	}
	best, bestLag, found := 0.0, 0, false
	for k := 0; k <= 2*maxLag; k++ {
		lag := (k + 1) / 2 // 0, 1, -1, 2, -2, ...
		if k%2 == 0 {
			lag = -lag
		}
		var xs, ys []float64
		for i := lo; i <= hi; i++ {
			j := i + lag
			if j < 0 || j >= len(ms) {
				continue
			}
			if y, ok := val(ms[j]); ok {
				xs = append(xs, s[i-lo])
				ys = append(ys, y)
			}
		}
		r, ok := pearson(xs, ys)
		if ok && (!found || r > best) {
			best, bestLag, found = r, lag, true
		}
	}
	return math.Round(best*1000) / 1000, bestLag * 60, found
}

// pearson is the correlation coefficient of xs and ys (at least 5 pairs,
// neither constant).
func pearson(xs, ys []float64) (float64, bool) {
	n := float64(len(xs))
	if len(xs) < 5 || flat(xs) || flat(ys) {
		return 0, false
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, false
	}
	return sxy / math.Sqrt(sxx*syy), true
}

// flat reports whether every value is the same (the sums of squares can
// come out a rounding error above zero).
func flat(xs []float64) bool {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return false
		}
	}
	return true
}

func overlapsAny(f forensics.Finding, fs []forensics.Finding) bool {
	for _, g := range fs {
		if !f.Start.After(g.End.Add(5*time.Minute)) && !f.End.Before(g.Start.Add(-5*time.Minute)) {
			return true
		}
	}
	return false
}
