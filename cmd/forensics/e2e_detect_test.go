package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// TestDetectAndTimelineOnGPUOOM runs the detectors and the timeline through
// the binary on the bundled gpu-oom case and checks the answer a reviewer
// would give, and that every evidence ref names exactly one row.
func TestDetectAndTimelineOnGPUOOM(t *testing.T) {
	root := repoRoot(t)
	db := filepath.Join(t.TempDir(), "g.duckdb")
	must(t, root, "ingest", "--no-progress", "fixtures/cases/gpu-oom", "--db", db)

	var fs []forensics.Finding
	out := must(t, root, "detect", "--db", db, "--format", "json")
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("detect json: %v\n%s", err, out)
	}
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	r := fs[0]
	if r.Kind != forensics.KindGPUOOM || r.ID != "f1" {
		t.Errorf("root finding %s %s, want gpu_oom first", r.ID, r.Kind)
	}
	if r.Severity != forensics.P1 {
		t.Errorf("severity %s, want P1 (the service exited unplanned and restarted)", r.Severity)
	}
	firstOOM := time.Date(2026, 11, 20, 14, 2, 11, 532e6, time.UTC)
	if d := r.Start.Sub(firstOOM); d < -time.Minute || d > time.Minute {
		t.Errorf("root start %v, want within 60 s of %v", r.Start, firstOOM)
	}
	links := map[string]bool{}
	for _, e := range r.Evidence {
		links[e.Link] = true
	}
	for _, l := range []string{"first_oom", "failed_run", "exit", "restart"} {
		if !links[l] {
			t.Errorf("gpu_oom evidence lacks the %s link: %+v", l, r.Evidence)
		}
	}
	// every ref resolves to one row; caused_by names existing findings
	ids := map[string]bool{}
	for _, f := range fs {
		ids[f.ID] = true
	}
	var checks []string
	for _, f := range fs {
		if f.EvidenceSQL == "" || f.Title == "" || f.Severity == "" {
			t.Errorf("%s: incomplete finding %+v", f.ID, f)
		}
		for _, c := range f.CausedBy {
			if !ids[c] {
				t.Errorf("%s caused_by unknown %s", f.ID, c)
			}
		}
		for _, e := range f.Evidence {
			tbl, id, ok := strings.Cut(e.Ref, ":")
			if !ok {
				t.Errorf("%s: bad ref %q", f.ID, e.Ref)
				continue
			}
			checks = append(checks, fmt.Sprintf("(SELECT count(*) FROM %s WHERE id = %s)", tbl, id))
		}
	}
	if len(checks) > 0 {
		q := "SELECT " + strings.Join(checks, " * ") + " AS n"
		if n := scalar(t, root, db, q); n != 1 {
			t.Errorf("some evidence ref does not resolve to exactly one row (product %d)", n)
		}
	}
	// the evidence SQL of each finding runs
	for _, f := range fs {
		if r := runBin(t, root, nil, "query", "--db", db, "--format", "csv", f.EvidenceSQL); r.code != 0 {
			t.Errorf("%s evidence_sql fails: %s", f.ID, r.stderr)
		}
	}

	var tl struct {
		Incident struct {
			Severity    string     `json:"severity"`
			Start       *time.Time `json:"start"`
			Detected    *time.Time `json:"detected"`
			Mitigated   *time.Time `json:"mitigated"`
			Resolved    *time.Time `json:"resolved"`
			RootFinding string     `json:"root_finding"`
			TTMs        *int64     `json:"ttm_s"`
			Avail       *float64   `json:"availability_pct"`
			Services    []string   `json:"services"`
		} `json:"incident"`
		Events []struct {
			TS    time.Time `json:"ts"`
			Phase string    `json:"phase"`
			Ref   string    `json:"ref"`
			Count int       `json:"count"`
		} `json:"events"`
	}
	out = must(t, root, "timeline", "--db", db, "--format", "json")
	if err := json.Unmarshal([]byte(out), &tl); err != nil {
		t.Fatalf("timeline json: %v", err)
	}
	inc := tl.Incident
	if inc.RootFinding != "f1" || inc.Severity != "P1" || inc.Start == nil || inc.Detected != nil {
		t.Errorf("incident: %+v", inc)
	}
	// maintenance mode was enabled at 14:11:20, the first action that reduced impact
	mit := time.Date(2026, 11, 20, 14, 11, 20, 0, time.UTC)
	if inc.Mitigated == nil || inc.Mitigated.Sub(mit) > time.Minute || mit.Sub(*inc.Mitigated) > time.Minute {
		t.Errorf("mitigated %v, want about %v", inc.Mitigated, mit)
	}
	if inc.Resolved == nil || !inc.Resolved.After(*inc.Mitigated) {
		t.Errorf("resolved %v", inc.Resolved)
	}
	if inc.Avail == nil || *inc.Avail <= 0 || *inc.Avail >= 100 {
		t.Errorf("availability %v", inc.Avail)
	}
	phases := map[string]int{}
	for i, e := range tl.Events {
		phases[e.Phase]++
		if i > 0 && e.TS.Before(tl.Events[i-1].TS) {
			t.Errorf("events out of order at %d", i)
		}
	}
	for _, p := range []string{"trigger", "impact", "response", "recovery"} {
		if phases[p] == 0 {
			t.Errorf("no %s event: %v", p, phases)
		}
	}
	for _, f := range []string{"table", "markdown", "jsonl", "csv"} {
		if r := runBin(t, root, nil, "timeline", "--db", db, "--format", f); r.code != 0 || len(r.stdout) < 100 {
			t.Errorf("timeline --format %s: exit %d %s", f, r.code, r.stderr)
		}
	}
	md := must(t, root, "timeline", "--db", db, "--format", "markdown")
	if !strings.Contains(md, "| Time | Action |") {
		t.Errorf("markdown lacks the report table")
	}
}
