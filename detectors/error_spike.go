package detectors

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// ErrorSpike looks for minutes in which service errors rose far above
// their own baseline: log records at ERROR and above per service (app,
// compose and server logs; duplicates counted once), journald entries with
// PRIORITY <= 3 per unit, and HTTP 5xx from the access log. Client errors
// (4xx) and warnings do not count.
//
// Threshold: per series, the baseline is the median and MAD of the
// per-minute counts over the whole case (minutes without errors count as
// zero); a minute is abnormal above max(λ + 3√λ + 2, median + 4·MAD) with
// λ = max(median, 0.2). Abnormal minutes of all series less than 3 minutes
// apart merge into one episode; episodes with fewer than 5 errors are
// dropped.
//
// Evidence: the first record of each of the templates that are new in the
// episode or grew most against their baseline rate, and the first 5xx.
// Severity follows the user impact measured from the access log over the
// episode (DESIGN.md rules); without an access log it is P3.
type ErrorSpike struct{}

var _ Detector = ErrorSpike{}

// Name implements Detector.
func (ErrorSpike) Name() string { return "error_spike" }

type seriesCount struct {
	key    string
	minute time.Time
	n      float64
}

// Detect implements Detector.
func (ErrorSpike) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	lo, hi := c.bounds()
	var parts []string
	if c.Has(ctx, "logs") {
		parts = append(parts, `SELECT 'logs ' || coalesce(service, '?') AS k, `+minuteSQL("ts")+` AS m, count(*) AS n
			FROM logs WHERE dup_of IS NULL AND level IN ('ERROR', 'CRITICAL') AND ts >= $1 AND ts < $2 GROUP BY 1, 2`)
	}
	if c.Has(ctx, "http_requests") {
		parts = append(parts, `SELECT 'http 5xx', `+minuteSQL("ts")+`, count(*)
			FROM http_requests WHERE dup_of IS NULL AND status >= 500 AND ts >= $1 AND ts < $2 GROUP BY 1, 2`)
	}
	if c.Has(ctx, "journal") {
		parts = append(parts, `SELECT 'journal ' || coalesce(unit, identifier, '?'), `+minuteSQL("ts")+`, count(*)
			FROM journal WHERE dup_of IS NULL AND priority <= 3 AND ts >= $1 AND ts < $2 GROUP BY 1, 2`)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	rows, err := c.DB.QueryContext(ctx, strings.Join(parts, " UNION ALL "), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("error counts: %w", err)
	}
	counts := map[string]map[time.Time]float64{}
	var first, last time.Time
	for rows.Next() {
		var sc seriesCount
		var us int64
		if err := rows.Scan(&sc.key, &us, &sc.n); err != nil {
			rows.Close()
			return nil, err
		}
		sc.minute = time.UnixMicro(us).UTC()
		if counts[sc.key] == nil {
			counts[sc.key] = map[time.Time]float64{}
		}
		counts[sc.key][sc.minute] = sc.n
	}
	rows.Close()
	spanLo, spanHi, err := c.Span(ctx)
	if err != nil {
		return nil, err
	}
	first, last = spanLo.Truncate(time.Minute), spanHi.Truncate(time.Minute)
	if !c.Window.Since.IsZero() && c.Window.Since.After(first) {
		first = c.Window.Since.Truncate(time.Minute)
	}
	if !c.Window.Until.IsZero() && c.Window.Until.Before(last) {
		last = c.Window.Until.Truncate(time.Minute)
	}
	if last.Before(first) || len(counts) == 0 {
		return nil, nil
	}
	nMin := int(last.Sub(first)/time.Minute) + 1
	abnormal := map[time.Time]bool{}
	type base struct{ med, sd, thr float64 }
	bases := map[string]base{}
	for key, byMin := range counts {
		xs := make([]float64, nMin)
		for m, n := range byMin {
			if i := int(m.Sub(first) / time.Minute); i >= 0 && i < nMin {
				xs[i] = n
			}
		}
		med := median(xs)
		sd := mad(xs, med)
		thr := countThreshold(med, sd)
		bases[key] = base{med, sd, thr}
		for i, x := range xs {
			if x > thr {
				abnormal[first.Add(time.Duration(i)*time.Minute)] = true
			}
		}
	}
	var mins []time.Time
	for m := range abnormal {
		mins = append(mins, m)
	}
	sort.Slice(mins, func(i, j int) bool { return mins[i].Before(mins[j]) })
	var out []forensics.Finding
	for _, ep := range episodes(mins, 3*time.Minute) {
		f, ok, err := spikeFinding(ctx, c, ep, counts, func(k string) (float64, float64) { b := bases[k]; return b.med, b.thr }, nMin)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

func spikeFinding(ctx context.Context, c *Case, ep episode, counts map[string]map[time.Time]float64,
	base func(string) (float64, float64), nMin int) (forensics.Finding, bool, error) {
	// errors per series in the episode
	type sv struct {
		key       string
		total     float64
		peak      float64
		peakAt    time.Time
		medBefore float64
	}
	var per []sv
	var total float64
	for key, byMin := range counts {
		s := sv{key: key}
		s.medBefore, _ = base(key)
		for m, n := range byMin {
			if !m.Before(ep.From) && m.Before(ep.To) {
				s.total += n
				if n > s.peak {
					s.peak, s.peakAt = n, m
				}
			}
		}
		if s.total > 0 {
			per = append(per, s)
			total += s.total
		}
	}
	if total < 5 {
		return forensics.Finding{}, false, nil
	}
	sort.Slice(per, func(i, j int) bool {
		if per[i].total != per[j].total {
			return per[i].total > per[j].total
		}
		return per[i].key < per[j].key // ties in a fixed order, not the map's
	})
	epMinutes := ep.To.Sub(ep.From).Minutes()
	f := forensics.Finding{Kind: forensics.KindErrorSpike, Start: ep.From, End: ep.To, Confidence: 0.7, Details: map[string]any{}}
	var desc []string
	for _, s := range per {
		desc = append(desc, fmt.Sprintf("%s: %.0f in %.0f min (peak %.0f/min, baseline %.1f/min)", s.key, s.total, epMinutes, s.peak, s.medBefore))
		if strings.HasPrefix(s.key, "logs ") {
			f.Services = appendUnique(f.Services, strings.TrimPrefix(s.key, "logs "))
		}
		if strings.HasPrefix(s.key, "journal ") {
			f.Services = appendUnique(f.Services, strings.TrimPrefix(s.key, "journal "))
		}
	}
	f.Details["series"] = desc
	// the templates that are new or grew most
	var ev []forensics.Evidence
	var newTemplates []string
	if c.Has(ctx, "logs") {
		rows, err := c.DB.QueryContext(ctx, `
WITH e AS (SELECT * FROM logs WHERE dup_of IS NULL AND level IN ('ERROR', 'CRITICAL') AND ts IS NOT NULL),
ep AS (SELECT coalesce(template_id, hash(message) % 1000000007) AS t, count(*) AS n, min(ts) AS first_ts, arg_min(id, ts) AS first_id FROM e WHERE ts >= $1 AND ts < $2 GROUP BY 1),
bl AS (SELECT coalesce(template_id, hash(message) % 1000000007) AS t, count(*) AS n FROM e WHERE ts < $1 OR ts >= $2 GROUP BY 1)
SELECT ep.first_id, ep.n, coalesce(bl.n, 0), ep.n - coalesce(bl.n, 0) * $3 AS growth
FROM ep LEFT JOIN bl USING (t) ORDER BY coalesce(bl.n, 0) = 0 DESC, growth DESC, ep.first_ts LIMIT 5`,
			ep.From, ep.To, epMinutes/math.Max(float64(nMin)-epMinutes, 1))
		if err != nil {
			return f, false, fmt.Errorf("spike templates: %w", err)
		}
		var ids []string
		var growth []string
		for rows.Next() {
			var id int64
			var n, bn int64
			var g float64
			if err := rows.Scan(&id, &n, &bn, &g); err != nil {
				rows.Close()
				return f, false, err
			}
			ids = append(ids, fmt.Sprint(id))
			growth = append(growth, fmt.Sprintf("%d in the episode, %d elsewhere", n, bn))
			if bn == 0 {
				newTemplates = append(newTemplates, fmt.Sprint(id))
			}
		}
		rows.Close()
		if len(ids) > 0 {
			e, err := evidenceRows(ctx, c.DB, "logs", `SELECT ts, 'logs:' || id, `+logText+` FROM logs WHERE id IN (`+strings.Join(ids, ",")+`)`)
			if err != nil {
				return f, false, err
			}
			byRef := map[string]string{}
			for i, id := range ids {
				byRef["logs:"+id] = growth[i]
			}
			for i := range e {
				e[i].Link = "template (" + byRef[e[i].Ref] + ")"
			}
			ev = append(ev, e...)
		}
	}
	if c.Has(ctx, "http_requests") {
		e, err := evidenceRows(ctx, c.DB, "http_requests", `SELECT ts, 'http_requests:' || id, method || ' ' || path || ' → ' || status
			FROM http_requests WHERE dup_of IS NULL AND status >= 500 AND ts >= ? AND ts < ? ORDER BY ts LIMIT 1`, ep.From, ep.To)
		if err != nil {
			return f, false, err
		}
		for i := range e {
			e[i].Link = "first 5xx"
		}
		ev = append(ev, e...)
	}
	sortEvidence(ev)
	f.Evidence = ev
	if s, _ := firstLast(ev); !s.IsZero() && s.After(f.Start) && s.Before(f.End) {
		f.Start = s
	}
	im, err := c.Impact(ctx, ep.From, ep.To)
	if err != nil {
		return f, false, err
	}
	f.Severity = im.Severity
	f.Details["impact"] = im.Reason
	top := per[0]
	f.Title = fmt.Sprintf("Error spike: %.0f errors in %.0f minutes, mostly %s (peak %.0f/min against a baseline of %.1f/min)",
		total, epMinutes, top.key, top.peak, top.medBefore)
	f.RootCause = "errors rose far above their baseline"
	if len(ev) > 0 {
		f.RootCause = "errors rose far above their baseline, led by: " + oneLine(ev[0].Text, 160)
	}
	f.EvidenceSQL = fmt.Sprintf(`SELECT ts, 'logs:' || id AS ref, service, level, message, exception FROM logs
WHERE dup_of IS NULL AND level IN ('ERROR', 'CRITICAL') AND ts >= %s AND ts < %s ORDER BY ts`, sqlTime(ep.From), sqlTime(ep.To))
	_ = newTemplates
	return f, true, nil
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// oneLine cuts s to its first line and at most n characters.
func oneLine(s string, n int) string { return forensics.FirstLine(s, n) }
