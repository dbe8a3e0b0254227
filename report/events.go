package report

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

var exitWords = regexp.MustCompile(`(?i)(shutting down|shutdown|stopping|stopped|exiting|exited|finished server process|received (SIGTERM|SIGINT|signal))`)

// maxEvents bounds the timeline; near-duplicates are collapsed first.
const maxEvents = 150

// collapsedEvents reads the case's events view between lo and hi,
// collapsed by source, kind and text shape (the log template, else the
// text with its numbers masked): the same template 500 times is one event
// with a count, the time of the first and of the last.
func collapsedEvents(ctx context.Context, q Querier, has map[string]bool, lo, hi time.Time) ([]Event, error) {
	if !has["events"] {
		return nil, nil
	}
	// a log template seen in the 3 hours before the window (or since the log
	// begins), and not at more than twice that rate (plus one an hour) in it, is routine
	// there; an HTTP line keeps its status in the key, so that
	// "→ 502 x2" never hides a 504
	rows, err := q.QueryContext(ctx, `
WITH w AS (SELECT *, CASE WHEN source = 'logs' THEN TRY_CAST(split_part(ref, ':', 2) AS BIGINT) END AS lid
           FROM events WHERE ts >= ? AND ts <= ?),
e AS (SELECT w.*, l.template_id FROM w LEFT JOIN logs l ON l.id = w.lid),
g AS (SELECT min(ts) AS ts, max(ts) AS last, count(*) AS n, arg_min(ref, ts) AS ref, arg_min(text, ts) AS text, source, kind,
             arg_min(severity, ts) AS severity, any_value(template_id) AS template_id
      FROM e
      GROUP BY source, kind, coalesce('t' || template_id::VARCHAR,
               regexp_replace(regexp_replace(text, '[0-9a-fA-F]{6,}', '#', 'g'), '[0-9]+(\.[0-9]+)?', '#', 'g')
               || CASE WHEN source = 'http_requests' THEN coalesce(regexp_extract(text, '→ ([0-9]{3})', 1), '') ELSE '' END)),
before AS (SELECT template_id, count(*) AS nb FROM logs WHERE dup_of IS NULL AND ts >= ? AND ts < ?
           AND template_id IN (SELECT template_id FROM g WHERE template_id IS NOT NULL) GROUP BY 1)
SELECT ts, last, n, ref, text, source, kind, severity,
       coalesce(n / ? <= 2 * (SELECT nb FROM before b WHERE b.template_id = g.template_id)
                / greatest((epoch(?::TIMESTAMPTZ) - epoch(greatest(?::TIMESTAMPTZ, (SELECT min(ts) FROM logs)))) / 3600.0, 1.0 / 60) + 1, false) FROM g
ORDER BY 1, 4, 5`, lo, hi, lo.Add(-3*time.Hour), lo, math.Max(hi.Sub(lo).Hours(), 1.0/60), lo, lo.Add(-3*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("timeline events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var seen sql.NullBool
		if err := rows.Scan(&e.TS, &e.Last, &e.Count, &e.Ref, &e.Text, &e.Source, &e.Kind, &e.Severity, &seen); err != nil {
			return nil, fmt.Errorf("timeline events: %w", err)
		}
		e.TS, e.Last = e.TS.UTC(), e.Last.UTC()
		e.routine = seen.Valid && seen.Bool
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timeline events: %w", err)
	}
	return foldKernelLines(out), nil
}

// kernelContinuation matches the lines the kernel prints after an OOM
// kill, a panic or a warning: the stack trace, the CPU and hardware lines,
// the registers, the memory report.
var kernelContinuation = regexp.MustCompile(`^\s*(\? )?[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+|^\s*</?(TASK|IRQ)>|^\s*Call Trace:|^CPU: \d+ (UID: \d+ )?PID: \d+|^Hardware name:|^(RIP|RSP|RAX|RDX|RBP|R\d+|FS|CS|CR2|Code):|^Mem-Info:|^\s*\[\s*pid\s*\]|^Tasks state|^oom-kill:constraint|^(active|inactive)_(anon|file):|^Node \d+ |^\s*\[\s*\d+\]\s+\d+\s+\d+|^\d+ total pagecache pages|^\d+ pages (RAM|reserved)|^Free swap|^Total swap|^Swap cache stats`)

// foldKernelLines leaves out the kernel's continuation lines (each stack
// frame is not an event of its own) that follow a kernel event of the
// same source within 5 seconds: they belong to that event.
func foldKernelLines(evs []Event) []Event {
	var out []Event
	anchor := map[string]time.Time{}
	for _, e := range evs {
		if e.Source == "journal" && kernelContinuation.MatchString(e.Text) {
			if t, ok := anchor[e.Source]; ok && !e.TS.Before(t) && e.TS.Sub(t) <= 5*time.Second {
				continue
			}
		} else {
			anchor[e.Source] = e.TS
		}
		out = append(out, e)
	}
	return out
}

// events builds the timeline's event list: milestones, findings, human
// actions, and the case's events (collapsed: collapsedEvents) with their
// phase.
func events(inc *Incident, related []forensics.Finding, actions []action, collapsed []Event) []Event {
	hi := inc.Window[1]
	var out []Event
	start := *inc.Start
	mitigated := hi.Add(time.Hour)
	if inc.Mitigated != nil {
		mitigated = *inc.Mitigated
	}
	root := related[0]
	rootRefs := map[string]bool{}
	for _, e := range root.Evidence {
		rootRefs[e.Ref] = true
	}
	// milestones
	out = append(out, Event{TS: start, Phase: PhaseTrigger, Source: "finding", Kind: "milestone_start", Count: 1,
		Text: "Incident starts: " + root.Title, Ref: firstRef(root), Severity: string(root.Severity)})
	if inc.Detected != nil {
		out = append(out, Event{TS: *inc.Detected, Phase: PhaseDetection, Source: "alerts", Kind: "milestone_detected", Count: 1, Text: "Detected: first firing alert"})
	}
	if inc.Resolved != nil {
		txt := "Resolved: errors, health checks and latency back to baseline"
		if inc.ResolvedBy != "" {
			txt = "Resolved: runs complete again: " + strings.TrimSpace(forensics.FirstLine(inc.ResolvedBy, 200))
		}
		if !inc.ResolvedHeld {
			txt += " (the evidence ends less than 10 minutes later)"
		}
		out = append(out, Event{TS: *inc.Resolved, Phase: PhaseRecovery, Source: "finding", Kind: "milestone_resolved", Count: 1, Text: txt, Ref: inc.ResolvedRef})
	}
	for _, f := range related {
		if f.ID == root.ID {
			continue
		}
		out = append(out, Event{TS: f.Start, Phase: PhaseImpact, Source: "finding", Kind: f.Kind, Count: 1, Severity: string(f.Severity),
			Text: fmt.Sprintf("%s %s: %s", f.ID, f.Kind, f.Title), Ref: firstRef(f)})
	}
	for _, e := range root.Evidence {
		if e.Link == "" {
			continue
		}
		ph := PhaseTrigger
		if e.TS.After(start.Add(time.Minute)) {
			ph = PhaseImpact
		}
		if e.Link == "restart" {
			ph = PhaseRecovery
		}
		out = append(out, Event{TS: e.TS, Phase: ph, Source: e.Source, Kind: "evidence_" + e.Link, Count: 1, Text: e.Text, Ref: e.Ref})
	}
	for i, a := range actions {
		// the same line logged again and again within a minute (the
		// server's "terminating connection due to administrator command"
		// for each backend one pg_terminate_backend ended) is one event
		// with a count, unless it marks a milestone
		if n := len(out); n > 0 && i > 0 && a.Source == "logs" && out[n-1].Source == "logs" && out[n-1].Kind == a.Kind &&
			out[n-1].Text == a.Text && a.TS.Sub(out[n-1].TS) <= time.Minute && !a.TS.Before(out[n-1].TS) &&
			(inc.Mitigated == nil || !a.TS.Equal(*inc.Mitigated)) && (inc.Responded == nil || !a.TS.Equal(*inc.Responded)) {
			out[n-1].Count++
			out[n-1].Last = a.TS
			continue
		}
		ev := a.Event
		ev.Phase = PhaseResponse
		if a.TS.Before(start) || a.planned {
			// planned work begun before the fault: its trigger, not a response
			ev.Phase = PhaseTrigger
		}
		if inc.Mitigated != nil && a.TS.Equal(*inc.Mitigated) {
			ev.Kind = "milestone_mitigated"
			ev.Text = "Mitigated: " + ev.Text
		} else if inc.Responded != nil && a.TS.Equal(*inc.Responded) {
			ev.Text = "Responded: " + ev.Text
		}
		out = append(out, ev)
	}
	// the case's events, collapsed
	for _, e := range collapsed {
		if rootRefs[e.Ref] {
			continue
		}
		stopping := exitWords.MatchString(e.Text)
		switch {
		case e.TS.Before(start) && e.routine && (e.Severity == "warning" || e.Severity == "info"):
			// a routine warning seen before the window: not a trigger
			continue
		case e.TS.Before(start):
			e.Phase = PhaseTrigger
		case e.Kind == "log_lifecycle" && stopping:
			e.Phase = PhaseImpact
		case e.Kind == "log_lifecycle" && e.Severity == "info":
			e.Phase = PhaseRecovery
		case !e.TS.Before(mitigated) && e.Severity == "info":
			e.Phase = PhaseRecovery
		default:
			e.Phase = PhaseImpact
		}
		out = append(out, e)
	}
	out = dedupeRefs(out)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].TS.Equal(out[j].TS) {
			return out[i].TS.Before(out[j].TS)
		}
		if pi, pj := phaseRank(out[i].Phase), phaseRank(out[j].Phase); pi != pj {
			return pi < pj
		}
		// a fixed order for events at the same second, whatever order
		// DuckDB's parallel scans returned them in
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		if out[i].Ref != out[j].Ref {
			return out[i].Ref < out[j].Ref
		}
		return out[i].Text < out[j].Text
	})
	if len(out) > maxEvents {
		out = trimEvents(out, maxEvents)
	}
	return out
}

func firstRef(f forensics.Finding) string {
	for _, e := range f.Evidence {
		if e.Ref != "" {
			return e.Ref
		}
	}
	return ""
}

func phaseRank(p string) int {
	switch p {
	case PhaseTrigger:
		return 0
	case PhaseImpact:
		return 1
	case PhaseDetection:
		return 2
	case PhaseResponse:
		return 3
	}
	return 4
}

// dedupeRefs keeps one event per evidence ref (the first, which carries
// the more specific phase or milestone).
func dedupeRefs(evs []Event) []Event {
	seen := map[string]bool{}
	var out []Event
	for _, e := range evs {
		if e.Ref != "" && e.Source != "finding" {
			if seen[e.Ref] {
				continue
			}
			seen[e.Ref] = true
		}
		out = append(out, e)
	}
	return out
}

// trimEvents keeps milestones, findings and actions, and the most
// frequent and most severe of the other events, up to n.
func trimEvents(evs []Event, n int) []Event {
	keep := make([]bool, len(evs))
	left := n
	for i, e := range evs {
		if e.Source == "finding" || e.Source == "commands" || e.Phase == PhaseResponse || e.Phase == PhaseDetection {
			keep[i] = true
			left--
		}
	}
	idx := []int{}
	for i := range evs {
		if !keep[i] {
			idx = append(idx, i)
		}
	}
	sev := map[string]int{"critical": 0, "error": 1, "warning": 2, "info": 3}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := evs[idx[a]], evs[idx[b]]
		if sev[x.Severity] != sev[y.Severity] {
			return sev[x.Severity] < sev[y.Severity]
		}
		return x.Count > y.Count
	})
	for k, i := range idx {
		if k < left {
			keep[i] = true
		}
	}
	var out []Event
	for i, e := range evs {
		if keep[i] {
			out = append(out, e)
		}
	}
	return out
}
