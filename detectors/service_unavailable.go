package detectors

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/vidbench/forensics"
)

// ServiceUnavailable looks for stretches in which the API was down for
// users. From the access log: runs of failed /health checks (any health
// checker: curl, docker-healthcheck, kube-probe) with no success in
// between, and minutes in which 90 % or more of requests failed with 5xx;
// runs less than 2 minutes apart merge; a run needs 3 failed checks or a
// full failing minute. From Prometheus, with or without an access log:
// stretches in which every scrape target of the service was down (up == 0
// for the job that serves the API's own metrics) or a blackbox probe failed
// (probe_success == 0), two failed scrapes or more (see
// service_unavailable_prom.go).
//
// Severity: P0 when health checks failed (or the targets were down) for 2
// minutes or more (or 90 % of requests failed that long), else the user
// impact over the stretch (DESIGN.md rules), at least P2 unless the
// stretch lasted under a minute (a restart's blip). Evidence: the first and last
// failed health check, the first 5xx, the first and last up == 0 sample.
// Its causes (disk_full, crash_loop, dependency_down, an OOM) are separate
// findings linked by caused_by.
type ServiceUnavailable struct{}

var _ Detector = ServiceUnavailable{}

// Name implements Detector.
func (ServiceUnavailable) Name() string { return "service_unavailable" }

type downRun struct {
	from, to time.Time
	checks   int
}

// Detect implements Detector.
func (ServiceUnavailable) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	fs, err := accessLogOutages(ctx, c)
	if err != nil {
		return nil, err
	}
	prom, err := promOutages(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, p := range prom {
		merged := false
		for i := range fs {
			f := &fs[i]
			if p.Start.After(f.End.Add(2*time.Minute)) || p.End.Before(f.Start.Add(-2*time.Minute)) {
				continue
			}
			// the same outage seen by the health checks and by Prometheus
			f.Evidence = append(f.Evidence, p.Evidence...)
			sortEvidence(f.Evidence)
			f.Severity = f.Severity.Worse(p.Severity)
			if p.Start.Before(f.Start) {
				f.Start = p.Start
			}
			if p.End.After(f.End) {
				f.End = p.End
			}
			merged = true
			break
		}
		if !merged {
			fs = append(fs, p)
		}
	}
	return fs, nil
}

// accessLogOutages finds the outages the access log shows.
func accessLogOutages(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	if !c.Has(ctx, "http_requests") {
		return nil, nil
	}
	checks, err := c.healthChecks(ctx)
	if err != nil {
		return nil, err
	}
	var runs []downRun
	var cur *downRun
	for _, hc := range checks {
		ts := hc.ts
		if !hc.failed {
			if cur != nil {
				runs = append(runs, *cur)
				cur = nil
			}
			continue
		}
		if cur == nil {
			cur = &downRun{from: ts}
		}
		cur.to = ts
		cur.checks++
	}
	if cur != nil {
		runs = append(runs, *cur)
	}
	// minutes in which requests failed almost entirely
	ms, err := c.HTTP(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Total >= 3 && float64(m.Err5xx) >= 0.9*float64(m.Total) {
			runs = append(runs, downRun{from: m.Minute, to: m.Minute.Add(time.Minute - time.Second), checks: 3})
		}
	}
	// merge
	sortRuns(runs)
	var merged []downRun
	for _, r := range runs {
		if n := len(merged); n > 0 && r.from.Sub(merged[n-1].to) < 2*time.Minute {
			if r.to.After(merged[n-1].to) {
				merged[n-1].to = r.to
			}
			merged[n-1].checks += r.checks
			continue
		}
		merged = append(merged, r)
	}
	var out []forensics.Finding
	for _, r := range merged {
		if r.checks < 3 && r.to.Sub(r.from) < time.Minute {
			continue
		}
		im, err := c.Impact(ctx, r.from, r.to.Add(time.Second))
		if err != nil {
			return nil, err
		}
		f := forensics.Finding{Kind: forensics.KindServiceUnavailable, Start: r.from, End: r.to, Confidence: 0.9,
			Severity: im.Severity, Services: []string{"vid-bench"}, Details: map[string]any{"impact": im.Reason, "failed_checks": r.checks}}
		span := r.to.Sub(r.from).Round(time.Second)
		// failed health checks are at least partial impact, except a blip:
		// under a minute with no more user impact than that (a deploy's
		// restart) is minor
		if im.Severity.Rank() > forensics.P2.Rank() && span >= time.Minute {
			f.Severity = forensics.P2
		}
		if im.Outage > 0 && im.Outage < span-30*time.Second {
			f.Title = fmt.Sprintf("Service unavailable on and off for %s (longest stretch down %s): %d failed health checks, %d failed requests",
				span, im.Outage.Round(time.Second), r.checks, im.Fails)
		} else {
			f.Title = fmt.Sprintf("Service unavailable for %s: %d failed health checks, %d failed requests", span, r.checks, im.Fails)
		}
		f.Details["longest_down_s"] = im.Outage.Seconds()
		f.RootCause = "the API did not answer its health checks"
		ev, err := evidenceRows(ctx, c.DB, "http_requests", `
(SELECT ts, 'http_requests:' || id, method || ' ' || path || ' → ' || status || ' (' || coalesce(user_agent, '') || ')' FROM http_requests
 WHERE dup_of IS NULL AND `+healthSQL+` AND status >= 500 AND ts >= $1 AND ts <= $2 ORDER BY ts LIMIT 1)
UNION ALL
(SELECT ts, 'http_requests:' || id, method || ' ' || path || ' → ' || status || ' (' || coalesce(user_agent, '') || ')' FROM http_requests
 WHERE dup_of IS NULL AND `+healthSQL+` AND status >= 500 AND ts >= $1 AND ts <= $2 ORDER BY ts DESC LIMIT 1)
UNION ALL
(SELECT ts, 'http_requests:' || id, method || ' ' || path || ' → ' || status FROM http_requests
 WHERE dup_of IS NULL AND NOT `+healthSQL+` AND status >= 500 AND ts >= $1 AND ts <= $2 ORDER BY ts LIMIT 1)`, r.from, r.to)
		if err != nil {
			return nil, err
		}
		links := []string{"first_failed_check", "last_failed_check", "first_5xx"}
		for i := range ev {
			if i < len(links) {
				ev[i].Link = links[i]
			}
		}
		sortEvidence(ev)
		f.Evidence = dedupeEvidence(ev)
		f.EvidenceSQL = fmt.Sprintf(`SELECT ts, 'http_requests:' || id AS ref, method, path, status, user_agent, response_time_s FROM http_requests
WHERE dup_of IS NULL AND status >= 500 AND ts >= %s AND ts <= %s ORDER BY ts`, sqlTime(r.from), sqlTime(r.to))
		out = append(out, f)
	}
	return out, nil
}

func sortRuns(rs []downRun) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].from.Before(rs[j].from) })
}

func dedupeEvidence(ev []forensics.Evidence) []forensics.Evidence {
	seen := map[string]bool{}
	var out []forensics.Evidence
	for _, e := range ev {
		if seen[e.Ref] {
			continue
		}
		seen[e.Ref] = true
		out = append(out, e)
	}
	return out
}
