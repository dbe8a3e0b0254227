package detectors

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// OOMSequence looks for the two out-of-memory chains of the playbook.
//
// GPU (kind gpu_oom): CUDA out-of-memory errors (torch's
// OutOfMemoryError, the older "RuntimeError: CUDA out of memory", CUBLAS
// allocation failures), then failed or timed-out benchmark runs, then the
// service exiting and restarting (app log, compose, journald). OOM records
// less than 15 minutes apart form one chain.
//
// Host (kind host_oom): the kernel OOM killer ("Out of memory: Killed
// process", "invoked oom-killer"), the unit failing with oom-kill, restarts.
//
// Severity: the user impact over the chain (DESIGN.md rules); at least P1
// when the main service exited unplanned (a crash, a kill, a non-zero
// status) and restarted; at least P2 for three or more OOM errors; else P3.
// Evidence: each link of the chain with its time (first_oom, failed_run,
// exit, restart) plus the last OOM.
type OOMSequence struct{}

var _ Detector = OOMSequence{}

// Name implements Detector.
func (OOMSequence) Name() string { return "oom_sequence" }

// Detect implements Detector.
func (OOMSequence) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	var out []forensics.Finding
	for _, chain := range []struct {
		kind, pattern, what string
	}{
		{forensics.KindGPUOOM, patCUDAOOM, "CUDA out-of-memory"},
		{forensics.KindHostOOM, patHostOOM, "kernel OOM-killer"},
	} {
		ooms, err := c.matches(ctx, chain.pattern)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", chain.kind, err)
		}
		for _, cl := range clusters(ooms, 15*time.Minute) {
			f, err := oomFinding(ctx, c, chain.kind, chain.pattern, chain.what, cl)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
	}
	return out, nil
}

func oomFinding(ctx context.Context, c *Case, kind, pattern, what string, ooms []forensics.Evidence) (forensics.Finding, error) {
	first, last := ooms[0], ooms[len(ooms)-1]
	horizon := last.TS.Add(10 * time.Minute)
	f := forensics.Finding{Kind: kind, Start: first.TS, End: last.TS, Confidence: 0.8, Details: map[string]any{"oom_errors": len(ooms)}}
	ev := []forensics.Evidence{withLink([]forensics.Evidence{first}, "first_oom")[0]}

	fails, err := c.matches(ctx, patRunFail)
	if err != nil {
		return f, err
	}
	fails = between(fails, first.TS, horizon)
	if len(fails) > 0 {
		ev = append(ev, withLink(fails[:1], "failed_run")...)
		f.Details["failed_runs"] = len(fails)
		if fails[len(fails)-1].TS.After(f.End) {
			f.End = fails[len(fails)-1].TS
		}
	}
	crashes, err := c.matches(ctx, patCrash)
	if err != nil {
		return f, err
	}
	crashes = between(crashes, first.TS.Add(-time.Minute), horizon)
	unplanned := len(crashes) > 0
	var exitAt time.Time
	if unplanned {
		ev = append(ev, withLink(crashes[:1], "exit")...)
		exitAt = crashes[0].TS
	} else {
		exits, err := c.matches(ctx, patExit)
		if err != nil {
			return f, err
		}
		exits = between(exits, first.TS, horizon)
		if len(exits) > 0 {
			ev = append(ev, withLink(exits[:1], "exit")...)
			exitAt = exits[0].TS
		}
	}
	restarted := false
	if !exitAt.IsZero() {
		starts, err := c.matches(ctx, patStart)
		if err != nil {
			return f, err
		}
		starts = between(starts, exitAt, exitAt.Add(15*time.Minute))
		if len(starts) > 0 {
			ev = append(ev, withLink(starts[:1], "restart")...)
			restarted = true
			if starts[0].TS.After(f.End) {
				f.End = starts[0].TS
			}
		}
		if exitAt.After(f.End) {
			f.End = exitAt
		}
	}
	if len(ooms) > 1 {
		ev = append(ev, withLink([]forensics.Evidence{last}, "last_oom")...)
	}
	if pre, err := c.memoryNearCapacity(ctx, kind, first.TS.Add(-15*time.Minute), last.TS); err != nil {
		return f, err
	} else if pre != nil {
		ev = append(ev, *pre)
		if pre.TS.Before(f.Start) {
			f.Start = pre.TS
		}
	}
	sortEvidence(ev)
	f.Evidence = ev
	im, err := c.Impact(ctx, f.Start, f.End.Add(time.Minute))
	if err != nil {
		return f, err
	}
	sev := im.Severity
	reason := im.Reason
	switch {
	case unplanned && restarted:
		if forensics.P1.Rank() < sev.Rank() {
			sev, reason = forensics.P1, "the service exited unplanned and restarted"
		}
	case kind == forensics.KindGPUOOM && manyModelsFailing(fails) && forensics.P1.Rank() < sev.Rank():
		// the playbook's "model failures" (P1), not one model failing (P2):
		// runs of several models failed for ten minutes or more
		sev, reason = forensics.P1, fmt.Sprintf("benchmark runs of %d models failed for %s", len(modelsNamed(fails)), fails[len(fails)-1].TS.Sub(fails[0].TS).Round(time.Minute))
	case len(ooms) >= 3 && sev.Rank() > forensics.P2.Rank():
		sev = forensics.P2
	}
	f.Severity = sev
	f.Details["impact"] = reason
	f.Details["unplanned_exit"] = unplanned
	f.Details["restarted"] = restarted
	f.Title = fmt.Sprintf("%d %s errors from %s", len(ooms), what, first.TS.Format("15:04:05"))
	if len(fails) > 0 {
		f.Title += fmt.Sprintf(", %d failed or timed-out runs", len(fails))
	}
	if unplanned {
		f.Title += ", the service crashed"
		if restarted {
			f.Title += " and restarted"
		}
	}
	if kind == forensics.KindGPUOOM {
		f.RootCause = "GPU memory exhausted: " + oneLine(first.Text, 200)
	} else {
		f.RootCause = "host memory exhausted, the kernel OOM killer killed a process: " + oneLine(first.Text, 200)
		f.Confidence = 0.85
	}
	f.EvidenceSQL = matchSQL([]string{pattern}, first.TS, last.TS)
	return f, nil
}

// memoryNearCapacity returns the first sample between from and to where
// GPU framebuffer use (gpu_oom: used >= 95 % of used+free, or of the total)
// or host available memory (host_oom: under 256 MiB) was near capacity —
// from Prometheus (DCGM, node exporter) or, failing that, the responders'
// captures (nvidia-smi, free), whichever the case has.
func (c *Case) memoryNearCapacity(ctx context.Context, kind string, from, to time.Time) (*forensics.Evidence, error) {
	if e, err := c.promMemoryNearCapacity(ctx, kind, from, to); err != nil || e != nil {
		return e, err
	}
	if !c.Has(ctx, "capture_metrics") {
		return nil, nil
	}
	var q string
	if kind == forensics.KindGPUOOM {
		q = `WITH u AS (SELECT ts, ref, gpu, value FROM capture_metrics WHERE metric = 'DCGM_FI_DEV_FB_USED' AND ts >= ? AND ts <= ?),
		cap AS (SELECT ts, gpu, max(value) FILTER (WHERE metric = 'DCGM_FI_DEV_FB_TOTAL') AS total, max(value) FILTER (WHERE metric = 'DCGM_FI_DEV_FB_FREE') AS free
		        FROM capture_metrics WHERE metric IN ('DCGM_FI_DEV_FB_TOTAL', 'DCGM_FI_DEV_FB_FREE') GROUP BY ts, gpu)
		SELECT u.ts, u.ref, 'GPU ' || coalesce(u.gpu::VARCHAR, '?') || ' framebuffer ' || round(u.value)::BIGINT || ' MiB used of ' || round(coalesce(cap.total, u.value + cap.free))::BIGINT || ' MiB'
		FROM u JOIN cap ON cap.ts = u.ts AND cap.gpu IS NOT DISTINCT FROM u.gpu
		WHERE u.value >= 0.95 * coalesce(cap.total, u.value + cap.free) ORDER BY u.ts LIMIT 1`
	} else {
		q = `SELECT ts, ref, 'available memory ' || round(value / 1048576) || ' MiB'
		FROM capture_metrics WHERE metric = 'node_memory_MemAvailable_bytes' AND value < 268435456 AND ts >= ? AND ts <= ? ORDER BY ts LIMIT 1`
	}
	ev, err := evidenceRows(ctx, c.DB, "", q, from, to)
	if err != nil {
		return nil, fmt.Errorf("memory near capacity: %w", err)
	}
	if len(ev) == 0 {
		return nil, nil
	}
	ev[0].Link = "memory_near_capacity"
	return &ev[0], nil
}

// reModelNamed finds the model a record names: "model=mochi-1",
// "on model cogvideox-5b", "'model': 'svd-xt'".
var reModelNamed = regexp.MustCompile(`(?i)\bmodel['"]?\s*[=:]?\s*['"]?([a-z0-9][a-z0-9._/-]*[a-z0-9])`)

// modelsNamed is the set of models the records name.
func modelsNamed(ev []forensics.Evidence) map[string]bool {
	out := map[string]bool{}
	for _, e := range ev {
		if m := reModelNamed.FindStringSubmatch(e.Text); m != nil {
			out[strings.ToLower(m[1])] = true
		}
	}
	return out
}

// manyModelsFailing: ten or more failed runs over ten minutes or more,
// naming two models or more.
func manyModelsFailing(fails []forensics.Evidence) bool {
	if len(fails) < 10 || fails[len(fails)-1].TS.Sub(fails[0].TS) < 10*time.Minute {
		return false
	}
	return len(modelsNamed(fails)) >= 2
}
