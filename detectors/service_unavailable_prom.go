package detectors

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// The service_unavailable detector's view of Prometheus data: the service
// is down when Prometheus could scrape none of its targets (up == 0 for
// every instance of the service's job), or when a blackbox probe of it
// failed (probe_success == 0). The service's job is the one whose targets
// export the API's own metrics (http_* or vid_bench_* series); without
// such series, any job that is not a known exporter (node, postgres,
// redis, DCGM, blackbox, Prometheus itself, ...). This works with no access
// log at all: a case made of app logs, the journal and the Prometheus data
// directory still shows its outage.

// exporterJobs matches the job names of exporters and infrastructure, whose
// targets being down is not the service being down.
const exporterJobs = `(?i)(node|postgres|pg|mysql|redis|dcgm|gpu|nvidia|blackbox|prometheus|alertmanager|pushgateway|cadvisor|exporter|grafana|loki|kube|etcd)`

// upSample is one sample of up or probe_success.
type upSample struct {
	ev     forensics.Evidence
	target string // metric and job/instance: one series
	up     bool
}

// serviceUpSamples returns the samples of the service's up series and of
// blackbox probes, grouped by series, each in time order.
func serviceUpSamples(ctx context.Context, c *Case) (map[string][]upSample, error) {
	if !c.Has(ctx, "metrics") {
		return nil, nil
	}
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `
WITH w AS (SELECT * FROM metrics WHERE ts >= ? AND ts < ?),
svc AS (SELECT DISTINCT job FROM w WHERE job IS NOT NULL AND metric <> 'up'
        AND (starts_with(metric, 'http_') OR starts_with(metric, 'vid_bench_'))
        AND NOT regexp_matches(job, `+sqlString(exporterJobs)+`))
SELECT ts, 'samples:' || sample_id, metric, coalesce(job, '') || ' ' || coalesce(instance, ''), value
FROM w
WHERE (metric = 'up' AND job IS NOT NULL AND (job IN (SELECT job FROM svc)
        OR (NOT EXISTS (SELECT 1 FROM svc) AND NOT regexp_matches(job, `+sqlString(exporterJobs)+`))))
   OR metric = 'probe_success'
ORDER BY 3, 4, 1`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("service targets: %w", err)
	}
	defer rows.Close()
	out := map[string][]upSample{}
	for rows.Next() {
		var s upSample
		var metric, target string
		var v float64
		if err := rows.Scan(&s.ev.TS, &s.ev.Ref, &metric, &target, &v); err != nil {
			return nil, err
		}
		s.ev.TS = s.ev.TS.UTC()
		s.ev.Source = "samples"
		s.up = v > 0
		s.target = metric + " " + target
		s.ev.Text = fmt.Sprintf("%s{%s} = %g", metric, strings.TrimSpace(target), v)
		out[s.target] = append(out[s.target], s)
	}
	return out, rows.Err()
}

// downSpan is a stretch in which a target (or the whole service) was down:
// from the first failed scrape to the first successful one after it (or
// the last failed one when none followed).
type downSpan struct {
	from, to    time.Time
	first, last forensics.Evidence // the first and last failed sample
	failed      int
}

// spansOf returns the down stretches of one series.
func spansOf(ss []upSample) []downSpan {
	var out []downSpan
	var cur *downSpan
	for _, s := range ss {
		if s.up {
			if cur != nil {
				cur.to = s.ev.TS
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		if cur == nil {
			cur = &downSpan{from: s.ev.TS, first: s.ev}
		}
		cur.last, cur.to = s.ev, s.ev.TS
		cur.failed++
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// intersect keeps the parts of a that overlap a span of b: the service is
// down only while all its instances are.
func intersect(a, b []downSpan) []downSpan {
	var out []downSpan
	for _, x := range a {
		for _, y := range b {
			from, to := x.from, x.to
			if y.from.After(from) {
				from = y.from
			}
			if y.to.Before(to) {
				to = y.to
			}
			if to.Before(from) {
				continue
			}
			d := x
			d.from, d.to = from, to
			if y.first.TS.After(d.first.TS) {
				d.first = y.first
			}
			if y.last.TS.Before(d.last.TS) && !y.last.TS.Before(from) {
				d.last = y.last
			}
			d.failed = min(x.failed, y.failed)
			out = append(out, d)
		}
	}
	return out
}

// promOutages finds the stretches in which the service was down by its
// Prometheus targets or probes.
func promOutages(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	series, err := serviceUpSamples(ctx, c)
	if err != nil || len(series) == 0 {
		return nil, err
	}
	keys := make([]string, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var spans []downSpan
	var ups []downSpan
	firstUp := true
	for _, k := range keys {
		s := spansOf(series[k])
		if strings.HasPrefix(k, "probe_success ") {
			spans = append(spans, s...)
			continue
		}
		if firstUp {
			ups, firstUp = s, false
			continue
		}
		ups = intersect(ups, s)
	}
	spans = append(spans, ups...)
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
	// one outage: spans less than 2 minutes apart
	var merged []downSpan
	for _, s := range spans {
		if n := len(merged); n > 0 && s.from.Sub(merged[n-1].to) < 2*time.Minute {
			m := &merged[n-1]
			if s.to.After(m.to) {
				m.to = s.to
			}
			if s.last.TS.After(m.last.TS) {
				m.last = s.last
			}
			m.failed += s.failed
			continue
		}
		merged = append(merged, s)
	}
	var out []forensics.Finding
	for _, m := range merged {
		if m.failed < 2 {
			continue // one failed scrape is not an outage
		}
		down := m.to.Sub(m.from)
		f := forensics.Finding{Kind: forensics.KindServiceUnavailable, Start: m.first.TS, End: m.last.TS, Confidence: 0.85,
			Services: []string{"vid-bench"}, Details: map[string]any{"failed_scrapes": m.failed, "down_s": down.Seconds()}}
		im, err := c.Impact(ctx, m.from, m.to)
		if err != nil {
			return nil, err
		}
		f.Severity = im.Severity
		f.Details["impact"] = im.Reason
		switch {
		case down >= 2*time.Minute:
			f.Severity = forensics.P0
			f.Details["impact"] = fmt.Sprintf("the service's targets were down for %s (up == 0)", down.Round(time.Second))
		case f.Severity.Rank() > forensics.P2.Rank() && down >= time.Minute:
			// targets down are at least partial impact, except a blip
			// under a minute with no more user impact (a restart)
			f.Severity = forensics.P2
		}
		f.Title = fmt.Sprintf("Service unavailable for %s: Prometheus could not scrape it (%d failed scrapes or probes)", down.Round(time.Second), m.failed)
		f.RootCause = "the API was down: Prometheus saw its targets down"
		f.Evidence = []forensics.Evidence{withLink([]forensics.Evidence{m.first}, "first_target_down")[0]}
		if m.last.Ref != m.first.Ref {
			f.Evidence = append(f.Evidence, withLink([]forensics.Evidence{m.last}, "last_target_down")[0])
		}
		f.EvidenceSQL = fmt.Sprintf(`SELECT ts, metric, job, instance, value, 'samples:' || sample_id AS ref FROM metrics
WHERE metric IN ('up', 'probe_success') AND value = 0 AND ts >= %s AND ts <= %s ORDER BY ts`, sqlTime(m.from), sqlTime(m.to))
		out = append(out, f)
	}
	return out, nil
}
