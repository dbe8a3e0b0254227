package detectors

import (
	"context"
	"fmt"
	"time"

	"github.com/vidbench/forensics"
)

// CrashLoop looks for a service that keeps dying and coming back: three or
// more (re)starts (systemd "Scheduled restart job", the API's start lines,
// uvicorn's "Started server process") within 15 minutes, at least two of
// them after an unplanned exit (a crash, a kill, a non-zero status).
// Severity: the user impact over the loop, at least P1 (the main service
// exiting unplanned and restarting). Evidence: each exit and start.
type CrashLoop struct{}

var _ Detector = CrashLoop{}

// Name implements Detector.
func (CrashLoop) Name() string { return "crash_loop" }

// Detect implements Detector.
func (CrashLoop) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	starts, err := c.matches(ctx, patStart)
	if err != nil {
		return nil, err
	}
	crashes, err := c.matches(ctx, patCrash)
	if err != nil {
		return nil, err
	}
	// one start per restart: starts less than 20 s apart are one restart
	var restarts []forensics.Evidence
	for _, s := range starts {
		if n := len(restarts); n > 0 && s.TS.Sub(restarts[n-1].TS) < 20*time.Second {
			continue
		}
		restarts = append(restarts, s)
	}
	var out []forensics.Finding
	for _, cl := range clusters(restarts, 15*time.Minute) {
		if len(cl) < 3 {
			continue
		}
		from, to := cl[0].TS.Add(-5*time.Minute), cl[len(cl)-1].TS
		cr := between(crashes, from, to)
		if len(cr) < 2 {
			continue
		}
		f := forensics.Finding{Kind: forensics.KindCrashLoop, Start: cr[0].TS, End: to, Confidence: 0.8,
			Details: map[string]any{"restarts": len(cl), "crashes": len(cr)}}
		im, err := c.Impact(ctx, f.Start, f.End.Add(time.Minute))
		if err != nil {
			return nil, err
		}
		f.Severity = im.Severity.Worse(forensics.P1)
		f.Details["impact"] = im.Reason
		ev := append(withLink(cr, "exit"), withLink(cl, "start")...)
		sortEvidence(ev)
		if len(ev) > 12 {
			ev = append(ev[:6], ev[len(ev)-6:]...)
		}
		f.Evidence = ev
		f.Title = fmt.Sprintf("Crash loop: %d restarts after %d unplanned exits between %s and %s", len(cl), len(cr), f.Start.Format("15:04:05"), to.Format("15:04:05"))
		f.RootCause = "the service kept exiting and restarting: " + oneLine(cr[0].Text, 160)
		f.EvidenceSQL = matchSQL([]string{patCrash, patStart}, f.Start, f.End)
		out = append(out, f)
	}
	return out, nil
}
