package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// expected is a hand-written answer for a scenario case
// (fixtures/expected/<case>.json), written from the story before any
// detector existed: it is not a golden file refreshed from the output.
type expected struct {
	Case          string     `json:"case"`
	TZ            string     `json:"tz"`
	RootCauseKind *string    `json:"root_cause_kind"`
	Severity      string     `json:"severity"`
	MaxSeverity   string     `json:"max_severity"`
	Start         *time.Time `json:"start"`
	Detected      *time.Time `json:"detected"`
	Mitigated     *time.Time `json:"mitigated"`
	Resolved      *time.Time `json:"resolved"`
	ToleranceS    float64    `json:"tolerance_s"`
}

type scenarioResult struct {
	Findings []forensics.Finding
	Incident struct {
		Severity  string     `json:"severity"`
		Start     *time.Time `json:"start"`
		Detected  *time.Time `json:"detected"`
		Mitigated *time.Time `json:"mitigated"`
		Resolved  *time.Time `json:"resolved"`
		Root      string     `json:"root_finding"`
	}
}

// TestScenarios checks the detectors and the timeline against every
// hand-written answer: root-cause kind, severity, and start, detected,
// mitigated and resolved within the tolerance; quiet days give no P0/P1.
// Cases that are not committed (the variants with ten times the traffic)
// are generated into a temporary folder with the fixture generator first.
func TestScenarios(t *testing.T) {
	root := repoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "fixtures/expected/*.json"))
	if len(files) == 0 {
		t.Fatal("no expected answers in fixtures/expected")
	}
	cases := &onDemandCases{root: root, dir: t.TempDir()}
	for _, f := range files {
		var exp expected
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &exp); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		t.Run(exp.Case, func(t *testing.T) {
			t.Parallel()
			got := runScenario(t, root, cases.dirOf(t, exp.Case), exp)
			for _, problem := range compareScenario(exp, got) {
				t.Error(problem)
			}
		})
	}
}

// onDemandCases finds a case folder: the committed one, or one the
// generator writes (built once) into dir.
type onDemandCases struct {
	root, dir string
	once      sync.Once
	gen       string
	err       error
}

func (o *onDemandCases) dirOf(t *testing.T, name string) string {
	t.Helper()
	committed := filepath.Join(o.root, "fixtures", "cases", name)
	if _, err := os.Stat(committed); err == nil {
		return committed
	}
	o.once.Do(func() {
		o.gen = filepath.Join(o.dir, "gen")
		cmd := exec.Command("go", "build", "-o", o.gen, "./fixtures/gen")
		cmd.Dir = o.root
		if out, err := cmd.CombinedOutput(); err != nil {
			o.err = fmt.Errorf("build the fixture generator: %v\n%s", err, out)
		}
	})
	if o.err != nil {
		t.Fatal(o.err)
	}
	out := filepath.Join(t.TempDir(), name)
	if b, err := exec.Command(o.gen, "-case", name, "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("gen -case %s: %v\n%s", name, err, b)
	}
	return out
}

func runScenario(t *testing.T, root, caseDir string, exp expected) scenarioResult {
	db := filepath.Join(t.TempDir(), exp.Case+".duckdb")
	tz := exp.TZ
	if tz == "" {
		tz = "UTC"
	}
	must(t, root, "ingest", "--no-progress", "--tz", tz, caseDir, "--db", db)
	var res scenarioResult
	if err := json.Unmarshal([]byte(must(t, root, "detect", "--db", db, "--format", "json")), &res.Findings); err != nil {
		t.Fatal(err)
	}
	var tl struct {
		Incident json.RawMessage `json:"incident"`
	}
	if err := json.Unmarshal([]byte(must(t, root, "timeline", "--db", db, "--format", "json")), &tl); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(tl.Incident, &res.Incident); err != nil {
		t.Fatal(err)
	}
	return res
}

func compareScenario(exp expected, got scenarioResult) []string {
	var out []string
	tol := time.Duration(exp.ToleranceS * float64(time.Second))
	if tol == 0 {
		tol = time.Minute
	}
	if exp.RootCauseKind == nil {
		limit := forensics.Severity(exp.MaxSeverity)
		if limit == "" {
			limit = forensics.P2
		}
		for _, f := range got.Findings {
			if f.Severity.Rank() < limit.Rank() {
				out = append(out, fmt.Sprintf("quiet case has %s finding %s %s: %s", f.Severity, f.ID, f.Kind, f.Title))
			}
		}
		return out
	}
	if len(got.Findings) == 0 {
		return []string{"no findings"}
	}
	r := got.Findings[0]
	if r.Kind != *exp.RootCauseKind {
		var kinds []string
		for _, f := range got.Findings {
			kinds = append(kinds, fmt.Sprintf("%s:%s:%s", f.ID, f.Kind, f.Severity))
		}
		out = append(out, fmt.Sprintf("root cause %s, want %s (findings %s)", r.Kind, *exp.RootCauseKind, strings.Join(kinds, " ")))
	}
	if got.Incident.Severity != exp.Severity {
		out = append(out, fmt.Sprintf("severity %s, want %s", got.Incident.Severity, exp.Severity))
	}
	check := func(name string, want, have *time.Time) {
		switch {
		case want == nil && have == nil:
		case want == nil:
			out = append(out, fmt.Sprintf("%s %v, want null", name, have.UTC()))
		case have == nil:
			out = append(out, fmt.Sprintf("%s null, want %v", name, want.UTC()))
		default:
			if d := have.Sub(*want); d > tol || d < -tol {
				out = append(out, fmt.Sprintf("%s %v, want %v (off by %s)", name, have.UTC(), want.UTC(), d.Round(time.Second)))
			}
		}
	}
	check("start", exp.Start, got.Incident.Start)
	check("detected", exp.Detected, got.Incident.Detected)
	check("mitigated", exp.Mitigated, got.Incident.Mitigated)
	check("resolved", exp.Resolved, got.Incident.Resolved)
	return out
}
