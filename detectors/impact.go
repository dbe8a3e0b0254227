package detectors

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/vidbench/forensics"
)

// Impact is what users saw during an interval, measured from the access
// log (or Prometheus' request metrics), and the severity it gives by
// DESIGN.md's rules.
type Impact struct {
	Severity        forensics.Severity
	Reason          string
	OutageFrom      time.Time     // first failed health check of the longest failing run
	OutageTo        time.Time     // last failed health check of that run
	Outage          time.Duration // how long health checks failed without a success in between
	ErrorMinutes    int           // longest run of minutes with >= 5 % 5xx
	LatencyMinutes  int           // longest run of minutes with p95 >= 5 x baseline
	MaxErrorRatio   float64
	BaselineP95     float64
	Requests, Fails int64
	HasHTTP         bool
}

// Impact measures user impact between from and to, from the access log,
// or without one from Prometheus' request metrics (API).
func (c *Case) Impact(ctx context.Context, from, to time.Time) (Impact, error) {
	var im Impact
	api, err := c.API(ctx)
	ms := api.Minutes
	if err != nil || len(ms) == 0 {
		im.Severity = forensics.P3
		im.Reason = "no access log in the case: user impact unknown"
		if err == nil {
			err = c.logImpact(ctx, from, to, &im)
		}
		return im, err
	}
	im.HasHTTP = true
	var p95s []float64
	for _, m := range ms {
		if !math.IsNaN(m.P95) && m.Total >= 3 {
			p95s = append(p95s, m.P95)
		}
	}
	im.BaselineP95 = median(p95s)
	runErr, runLat, curErr, curLat := 0, 0, 0, 0
	var failFirst, failLast time.Time // first and last minute with a 5xx
	gapErr, gapLat := 0, 0
	for _, m := range ms {
		if m.Minute.Before(from.Truncate(time.Minute)) || !m.Minute.Before(to) {
			continue
		}
		im.Requests += m.Total
		im.Fails += m.Err5xx
		if m.Err5xx > 0 {
			if failFirst.IsZero() {
				failFirst = m.Minute
			}
			failLast = m.Minute
		}
		ratio := 0.0
		if m.Total > 0 {
			ratio = float64(m.Err5xx) / float64(m.Total)
		}
		im.MaxErrorRatio = math.Max(im.MaxErrorRatio, ratio)
		// runs tolerate one quiet minute in between
		if ratio >= 0.05 && m.Err5xx >= 2 {
			curErr += 1 + gapErr
			gapErr = 0
		} else if curErr > 0 && gapErr == 0 {
			gapErr = 1
		} else {
			curErr, gapErr = 0, 0
		}
		runErr = max(runErr, curErr)
		if !math.IsNaN(m.P95) && !math.IsNaN(im.BaselineP95) && m.Total >= 3 && m.P95 >= 5*im.BaselineP95 && m.P95 >= 0.5 {
			curLat += 1 + gapLat
			gapLat = 0
		} else if curLat > 0 && gapLat == 0 {
			gapLat = 1
		} else {
			curLat, gapLat = 0, 0
		}
		runLat = max(runLat, curLat)
	}
	im.ErrorMinutes, im.LatencyMinutes = runErr, runLat
	if err := c.outage(ctx, from, to, &im); err != nil {
		return im, err
	}
	switch {
	case im.Outage >= 2*time.Minute:
		im.Severity = forensics.P0
		im.Reason = fmt.Sprintf("health checks failed for %s without a success", im.Outage.Round(time.Second))
	case im.ErrorMinutes >= 5:
		im.Severity = forensics.P1
		im.Reason = fmt.Sprintf("%d minutes with 5 %% or more of requests failing (peak %.0f %%)", im.ErrorMinutes, 100*im.MaxErrorRatio)
	case im.LatencyMinutes >= 5:
		im.Severity = forensics.P1
		im.Reason = fmt.Sprintf("%d minutes with p95 latency at 5x its baseline (%.3f s) or more", im.LatencyMinutes, im.BaselineP95)
	case im.Outage < time.Minute && !failFirst.IsZero() && failLast.Sub(failFirst) <= time.Minute:
		// a blip: every failure within a minute or two of the clock and
		// health checks back within a minute (a restart): minor, P3
		im.Severity = forensics.P3
		im.Reason = fmt.Sprintf("a blip: %d failed requests within %s", im.Fails, failLast.Sub(failFirst)+time.Minute)
		if im.Outage >= time.Second {
			im.Reason += fmt.Sprintf("; health checks failed for %s", im.Outage.Round(time.Second))
		}
	case im.Outage > 0 || im.Fails >= 3:
		im.Severity = forensics.P2
		im.Reason = fmt.Sprintf("%d failed requests", im.Fails)
		if im.Outage >= time.Second {
			im.Reason += fmt.Sprintf("; health checks failed for %s", im.Outage.Round(time.Second))
		} else if im.Outage > 0 {
			im.Reason += "; a health check failed"
		}
	default:
		im.Severity = forensics.P3
		im.Reason = "no measurable user impact in the access log"
		if api.Source != "access log" {
			im.Reason = "no measurable user impact in Prometheus' request metrics"
		}
	}
	return im, nil
}

// outage finds the longest run of failed health checks (no success in
// between) overlapping [from, to), and, failing that, the longest stretch of
// minutes in which 90 % or more of requests failed.
func (c *Case) outage(ctx context.Context, from, to time.Time, im *Impact) error {
	checks, err := c.healthChecks(ctx)
	if err != nil {
		return err
	}
	var runFrom, runTo time.Time
	for _, hc := range checks {
		if hc.ts.Before(from.Add(-30*time.Minute)) || hc.ts.After(to.Add(30*time.Minute)) {
			continue
		}
		ts := hc.ts
		if !hc.failed {
			runFrom = time.Time{}
			continue
		}
		if runFrom.IsZero() {
			runFrom = ts
		}
		runTo = ts
		if runTo.Before(from) || !runFrom.Before(to) {
			continue
		}
		if d := runTo.Sub(runFrom); d >= im.Outage && !(im.Outage == 0 && !im.OutageFrom.IsZero() && d == 0) {
			im.Outage, im.OutageFrom, im.OutageTo = d, runFrom, runTo
		}
	}
	// requests failing almost entirely, minute by minute
	api, _ := c.API(ctx)
	ms := api.Minutes
	var cur time.Duration
	var curFrom time.Time
	for _, m := range ms {
		if m.Minute.Before(from.Truncate(time.Minute)) || !m.Minute.Before(to) {
			continue
		}
		if m.Total >= 3 && float64(m.Err5xx) >= 0.9*float64(m.Total) {
			if cur == 0 {
				curFrom = m.Minute
			}
			cur += time.Minute
			if cur > im.Outage {
				im.Outage, im.OutageFrom, im.OutageTo = cur, curFrom, m.Minute.Add(time.Minute)
			}
		} else {
			cur = 0
		}
	}
	return nil
}

type healthCheck struct {
	ts     time.Time
	failed bool
}

// healthChecks returns the health checks of the case in time order, read
// once: every failed check, and of each stretch of successful checks only
// the first. What the callers compute from them (runs of failed checks with
// no success in between, within any time range) is the same as from every
// check: a stretch of successes between two failed checks lies wholly
// inside any range that holds both. A busy case has a check every few
// seconds; this keeps hundreds of thousands of rows out of Go.
func (c *Case) healthChecks(ctx context.Context) ([]healthCheck, error) {
	return c.health.get(func() ([]healthCheck, error) { return c.readHealthChecks(ctx) })
}

func (c *Case) readHealthChecks(ctx context.Context) ([]healthCheck, error) {
	if !c.Has(ctx, "http_requests") {
		return nil, nil
	}
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `
WITH h AS (SELECT ts, id, (status >= 500 OR status = 499) AS failed FROM http_requests
           WHERE dup_of IS NULL AND `+healthSQL+` AND ts >= ? AND ts < ?),
s AS (SELECT ts, id, failed, lag(failed) OVER (ORDER BY ts, id) AS prev FROM h)
SELECT ts, failed FROM s WHERE failed OR prev IS NULL OR prev ORDER BY ts, id`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("health checks: %w", err)
	}
	defer rows.Close()
	var out []healthCheck
	for rows.Next() {
		var h healthCheck
		if err := rows.Scan(&h.ts, &h.failed); err != nil {
			return nil, fmt.Errorf("health checks: %w", err)
		}
		h.ts = h.ts.UTC()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("health checks: %w", err)
	}
	return out, nil
}
