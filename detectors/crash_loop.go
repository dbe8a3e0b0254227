package detectors

import (
	"context"
	"fmt"
	"time"

	"github.com/vidbench/forensics"
)

// CrashLoop looks for a service that keeps dying and coming back. It
// follows the process's lifetimes (start → exit) through the lifecycle
// lines of every text source: starts (systemd "Scheduled restart job" and
// "Started", the API's start banner, uvicorn's "Started server process"),
// unplanned exits (a crash, a kill, a non-zero status, a failed startup:
// "Startup failed", uvicorn's "Application startup failed. Exiting.",
// "Failed to start") and planned stops. The several lines one exit
// leaves (systemd's "killed by the OOM killer", "Main process exited" and
// "Failed with result 'oom-kill'"; the app's CRITICAL and uvicorn's
// "Exiting") count once: an exit is the first unplanned-exit line after a
// start, and a restart is the first start after an unplanned exit.
//
// A crash loop is three or more unplanned exits less than 15 minutes
// apart, at least two of them followed by a restart; or two, when a
// container listing (docker compose ps / docker ps captures) shows the
// service Restarting meanwhile. Severity: the user impact over the loop,
// at least P1 (the main service exiting unplanned and restarting).
// Evidence: the exits, the restarts and the Restarting captures.
type CrashLoop struct{}

var _ Detector = CrashLoop{}

// Name implements Detector.
func (CrashLoop) Name() string { return "crash_loop" }

type lifeEvent struct {
	ev   forensics.Evidence
	kind int // lifeStart, lifeCrash, lifeStop
}

const (
	lifeStart = iota
	lifeCrash
	lifeStop
)

// lifetimes returns the unplanned exits (one per lifetime) and the
// restarts (one per start after an unplanned exit) of a time-ordered
// list of lifecycle lines.
func lifetimes(evs []lifeEvent) (exits, restarts []forensics.Evidence) {
	const (
		unknown = iota
		running
		crashed
		stopped
	)
	state := unknown
	for _, e := range evs {
		switch e.kind {
		case lifeCrash:
			if state != crashed {
				exits = append(exits, e.ev)
				state = crashed
			}
		case lifeStop:
			if state == running || state == unknown {
				state = stopped
			}
		case lifeStart:
			if state == crashed {
				restarts = append(restarts, e.ev)
			}
			state = running
		}
	}
	return exits, restarts
}

// Detect implements Detector.
func (CrashLoop) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	text, err := c.classify(ctx)
	if err != nil {
		return nil, err
	}
	bit := func(p string) uint64 {
		for i, tp := range textPatterns {
			if tp == p {
				return 1 << i
			}
		}
		return 0
	}
	crashBits := bit(patCrash) | bit(patStartFail)
	startBit, exitBit := bit(patStart), bit(patExit)
	var evs []lifeEvent
	for _, r := range text {
		switch {
		case r.flags&crashBits != 0:
			evs = append(evs, lifeEvent{r.ev, lifeCrash})
		case r.flags&startBit != 0:
			evs = append(evs, lifeEvent{r.ev, lifeStart})
		case r.flags&exitBit != 0:
			evs = append(evs, lifeEvent{r.ev, lifeStop})
		}
	}
	exits, restarts := lifetimes(evs)
	restarting, err := restartingCaptures(ctx, c)
	if err != nil {
		return nil, err
	}
	promRs, err := promRestarts(ctx, c)
	if err != nil {
		return nil, err
	}
	// without any exit line, a restart counter rising three times or more
	// within 15 minutes is a crash loop of its own
	if len(exits) == 0 {
		for _, cl := range clusters(promRs, 15*time.Minute) {
			if len(cl) >= 3 {
				exits = append(exits, cl...)
			}
		}
	}
	var out []forensics.Finding
	for _, cl := range clusters(exits, 15*time.Minute) {
		first, last := cl[0].TS, cl[len(cl)-1].TS
		rs := between(restarts, first, last.Add(15*time.Minute))
		caps := between(restarting, first.Add(-5*time.Minute), last.Add(15*time.Minute))
		prs := between(promRs, first.Add(-time.Minute), last.Add(15*time.Minute))
		if len(rs) == 0 && len(prs) > 0 && cl[0].Source == "samples" {
			rs = prs
		}
		caps = append(caps, withLink(firstN(prs, 3), "restart_counter")...)
		loop := len(cl) >= 3 && len(rs) >= 2 || len(cl) >= 2 && (len(caps) > 0 || len(prs) >= 2)
		if !loop {
			continue
		}
		end := last
		if len(rs) > 0 && rs[len(rs)-1].TS.After(end) {
			end = rs[len(rs)-1].TS
		}
		f := forensics.Finding{Kind: forensics.KindCrashLoop, Start: first, End: end, Confidence: 0.8,
			Details: map[string]any{"restarts": len(rs), "crashes": len(cl), "restarting_captures": len(caps) - min(len(prs), 3), "restart_counter_increases": len(prs)}}
		im, err := c.Impact(ctx, f.Start, f.End.Add(time.Minute))
		if err != nil {
			return nil, err
		}
		f.Severity = im.Severity.Worse(forensics.P1)
		f.Details["impact"] = im.Reason
		ev := append(withLink(cl, "exit"), withLink(rs, "start")...)
		sortEvidence(ev)
		if len(ev) > 12 {
			ev = append(ev[:6], ev[len(ev)-6:]...)
		}
		for _, e := range caps {
			if e.Link == "" {
				e.Link = "restarting"
			}
			ev = append(ev, e)
		}
		sortEvidence(ev)
		f.Evidence = ev
		f.Title = fmt.Sprintf("Crash loop: %d restarts after %d unplanned exits between %s and %s", len(rs), len(cl), f.Start.Format("15:04:05"), end.Format("15:04:05"))
		f.RootCause = "the service kept exiting and restarting: " + oneLine(cl[0].Text, 160)
		f.EvidenceSQL = matchSQL([]string{patCrash, patStartFail, patStart}, f.Start, f.End)
		out = append(out, f)
	}
	return out, nil
}

// restartingCaptures lists container listings (docker compose ps, docker
// ps) that show a container restarting.
func restartingCaptures(ctx context.Context, c *Case) ([]forensics.Evidence, error) {
	if !c.Has(ctx, "captures") || !c.hasColumn(ctx, "captures", "state") {
		return nil, nil
	}
	lo, hi := c.bounds()
	return evidenceRows(ctx, c.DB, "captures", `SELECT ts, 'captures:' || id,
		'container ' || coalesce(subject, '?') || ' ' || coalesce(state, '') || coalesce(' (exit code ' || json_extract_string(attrs, '$.exit_code') || ')', '')
		FROM captures WHERE kind = 'container' AND ts IS NOT NULL AND lower(coalesce(state, '')) LIKE 'restarting%' AND ts >= ? AND ts < ? ORDER BY ts`, lo, hi)
}

func firstN(ev []forensics.Evidence, n int) []forensics.Evidence {
	if len(ev) > n {
		return ev[:n]
	}
	return ev
}

// promRestarts lists the increases of restart counters in Prometheus
// (kube_pod_container_status_restarts_total, container restart counts:
// metric names with "restart" ending _total or _count), one evidence per
// increase.
func promRestarts(ctx context.Context, c *Case) ([]forensics.Evidence, error) {
	if !c.Has(ctx, "samples") || !c.tables["counter_deltas"] {
		return nil, nil
	}
	lo, hi := c.bounds()
	return evidenceRows(ctx, c.DB, "samples", `SELECT ts, 'samples:' || sample_id,
		metric || ' +' || CAST(increase AS BIGINT) || coalesce(' (' || (labels->>'container') || ')', coalesce(' (' || (labels->>'job') || ')', ''))
		FROM counter_deltas WHERE regexp_matches(metric, '(?i)restart[a-z_]*_(total|count)$') AND NOT reset AND increase > 0 AND ts >= ? AND ts < ? ORDER BY ts`, lo, hi)
}
