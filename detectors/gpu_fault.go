package detectors

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// GPUFault looks for a GPU lost to a hardware fault: NVIDIA Xid errors and
// "GPU has fallen off the bus" in the kernel log, the kernel's fatal PCIe
// error on an nvidia device, uncorrectable ECC errors, and nvidia-smi
// captures that cannot reach a GPU (captures kind gpu, status lost). One
// record is enough; records less than 30 minutes apart form one fault.
//
// A lost GPU is a low-rate fault: the device stays gone, and the service
// keeps failing on it (runs failing with CUDA errors, the device
// quarantined, GPU probes failing) until someone takes it out of service.
// The fault lasts as long as that impact does, records less than 30
// minutes apart, and as long as a firing GPU alert (the alerts view) that
// started with it: the finding ends at the last of these. Records of the
// device's state alone (dcgm-exporter's "GPU is lost", the kernel
// repeating "fallen off the bus" after a failed reset) keep a later fault
// record of the same device in the same finding (same fault, not a new
// one) but do not extend it: the GPU stays lost until a reboot while the
// service has recovered without it.
//
// Severity: the user impact over the fault, at least P2 (one GPU lost
// while the others work). Evidence: the first, a middle and the last fault
// record, the first and last impact record, lost-GPU captures, the alert.
type GPUFault struct{}

var _ Detector = GPUFault{}

// Name implements Detector.
func (GPUFault) Name() string { return "gpu_fault" }

var reGPUBus = regexp.MustCompile(`(?i)(?:PCI:?\s*)?[0-9a-f]{4,8}:([0-9a-f]{2}):[0-9a-f]{2}`)

// gpuDevice is the PCI bus of the GPU a record names ("3b"), or "".
func gpuDevice(text string) string {
	m := reGPUBus.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return strings.ToLower(m[1])
}

// Detect implements Detector.
func (GPUFault) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	core, err := c.matches(ctx, patXid)
	if err != nil {
		return nil, fmt.Errorf("gpu_fault: %w", err)
	}
	caps, err := gpuLostCaptures(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("gpu_fault: %w", err)
	}
	core = union(core, caps)
	sortEvidence(core)
	if len(core) == 0 {
		return nil, nil
	}
	gone, err := c.matches(ctx, patGPUGone)
	if err != nil {
		return nil, fmt.Errorf("gpu_fault: %w", err)
	}
	impact, err := c.matches(ctx, patGPUImpact)
	if err != nil {
		return nil, fmt.Errorf("gpu_fault: %w", err)
	}
	alerts, err := gpuAlerts(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("gpu_fault: %w", err)
	}
	const gap = 30 * time.Minute
	cls := clusters(core, gap)
	var out []forensics.Finding
	for i := 0; i < len(cls); i++ {
		cl := cls[i]
		first, last := cl[0], cl[len(cl)-1]
		dev := ""
		for _, e := range cl {
			if d := gpuDevice(e.Text); d != "" {
				dev = d
				break
			}
		}
		// the impact: records of the service failing on the GPU, chained
		// from the fault with gaps under 30 minutes
		end := last.TS
		var imp []forensics.Evidence
		for _, e := range impact {
			if e.TS.Before(first.TS.Add(-time.Minute)) {
				continue
			}
			if e.TS.Sub(end) > gap {
				break
			}
			imp = append(imp, e)
			if e.TS.After(end) {
				end = e.TS
			}
		}
		var alertEv []forensics.Evidence
		for _, a := range alerts {
			if a.from.Before(first.TS.Add(-5*time.Minute)) || a.from.After(end.Add(gap)) {
				continue
			}
			alertEv = append(alertEv, forensics.Evidence{TS: a.from, Source: "samples", Ref: a.ref, Text: "alert " + a.name + " firing until " + a.until.Format("15:04:05"), Link: "alert"})
			if a.until.After(end) {
				end = a.until
			}
		}
		// the device's state: it stays lost; a later fault record of the
		// same device within that stretch is the same fault
		reach := end
		for _, e := range gone {
			if e.TS.Before(first.TS) {
				continue
			}
			if e.TS.Sub(reach) > gap {
				break
			}
			if e.TS.After(reach) {
				reach = e.TS
			}
		}
		var repeats []forensics.Evidence
		for i+1 < len(cls) {
			nx := cls[i+1]
			nd := ""
			for _, e := range nx {
				if d := gpuDevice(e.Text); d != "" {
					nd = d
					break
				}
			}
			if nx[0].TS.Sub(reach) > gap || (dev != "" && nd != "" && nd != dev) {
				break
			}
			repeats = append(repeats, nx...)
			i++
		}
		f := forensics.Finding{Kind: forensics.KindGPUFault, Start: first.TS, End: end, Confidence: 0.8,
			Details: map[string]any{"matches": len(cl), "impact_records": len(imp), "repeats": len(repeats)}}
		if dev != "" {
			f.Details["pci_bus"] = dev
		}
		im, err := c.Impact(ctx, first.TS, end.Add(time.Minute))
		if err != nil {
			return nil, err
		}
		f.Severity = im.Severity
		if forensics.P2.Rank() < f.Severity.Rank() {
			f.Severity = forensics.P2
		}
		f.Details["impact"] = im.Reason
		ev := withLink([]forensics.Evidence{first}, "first")
		if len(cl) > 2 {
			ev = append(ev, withLink(cl[len(cl)/2:len(cl)/2+1], "example")...)
		}
		if len(cl) > 1 {
			ev = append(ev, withLink([]forensics.Evidence{last}, "last")...)
		}
		if len(imp) > 0 {
			ev = append(ev, withLink(imp[:1], "impact")...)
			if len(imp) > 1 {
				ev = append(ev, withLink(imp[len(imp)-1:], "last impact")...)
			}
		}
		ev = append(ev, alertEv...)
		if len(repeats) > 0 {
			ev = append(ev, withLink(repeats[:1], "repeat")...)
		}
		sortEvidence(ev)
		f.Evidence = ev
		what := "GPU fault (NVIDIA Xid)"
		if dev != "" {
			what += " on PCI bus " + dev
		}
		f.Title = fmt.Sprintf("%s: %d records from %s, service failing on it until %s", what, len(cl)+len(repeats), first.TS.Format("15:04:05"), end.Format("15:04:05"))
		f.RootCause = "a GPU reported a hardware fault: " + oneLine(first.Text, 200)
		f.EvidenceSQL = matchSQL([]string{patXid, patGPUImpact}, first.TS, end)
		out = append(out, f)
	}
	return out, nil
}

// gpuLostCaptures lists nvidia-smi captures of a GPU that could not be
// reached (captures kind gpu, attrs status lost).
func gpuLostCaptures(ctx context.Context, c *Case) ([]forensics.Evidence, error) {
	if !c.Has(ctx, "captures") || !c.hasColumn(ctx, "captures", "attrs") {
		return nil, nil
	}
	lo, hi := c.bounds()
	return evidenceRows(ctx, c.DB, "captures", `SELECT ts, 'captures:' || id,
		'nvidia-smi: GPU ' || coalesce(json_extract_string(attrs, '$.bus_id'), '?') || ' lost: ' || coalesce(json_extract_string(attrs, '$.error'), '')
		FROM captures WHERE kind = 'gpu' AND ts IS NOT NULL AND json_extract_string(attrs, '$.status') = 'lost' AND ts >= ? AND ts < ? ORDER BY ts`, lo, hi)
}

type alertSpan struct {
	name, ref   string
	from, until time.Time
}

// gpuAlerts lists the firing intervals of GPU alerts (name or labels about
// a GPU or Xid errors; not info alerts).
func gpuAlerts(ctx context.Context, c *Case) ([]alertSpan, error) {
	if !c.tables["alerts"] {
		return nil, nil
	}
	rows, err := c.DB.QueryContext(ctx, `SELECT alertname, coalesce(ref, ''), coalesce(firing_from, ts), coalesce(until, firing_from, ts) FROM alerts
		WHERE alertstate = 'firing' AND lower(coalesce(severity, '')) NOT IN ('info', 'none')
		AND (alertname ILIKE '%gpu%' OR alertname ILIKE '%xid%' OR alertname ILIKE '%dcgm%') ORDER BY 3`)
	if err != nil {
		// an alerts view of another shape: no alert evidence
		return nil, nil
	}
	defer rows.Close()
	var out []alertSpan
	for rows.Next() {
		var a alertSpan
		if rows.Scan(&a.name, &a.ref, &a.from, &a.until) == nil {
			a.from, a.until = a.from.UTC(), a.until.UTC()
			out = append(out, a)
		}
	}
	return out, nil
}
