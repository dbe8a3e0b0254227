package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics/internal/promtest"
)

// promCase writes a case folder with a Prometheus data directory made by
// the tsdb package.
func promCase(t *testing.T) (string, string, promtest.Facts) {
	t.Helper()
	dir := t.TempDir()
	c := filepath.Join(dir, "case")
	facts, err := promtest.Write(filepath.Join(c, "prometheus"), promtest.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, c, facts
}

func TestPrometheusIngestEndToEnd(t *testing.T) {
	dir, c, facts := promCase(t)
	before := manifest(t, c)
	db := filepath.Join(dir, "case.duckdb")
	out := must(t, dir, "ingest", c, "--db", db, "--no-progress")
	if after := manifest(t, c); after != before {
		t.Fatalf("the evidence changed during ingest")
	}
	if !strings.Contains(out, "prometheus") {
		t.Errorf("summary does not name the prometheus source:\n%s", out)
	}
	if n := scalar(t, dir, db, `SELECT count(*) FROM sources WHERE kind = 'prometheus'`); n != 1 {
		t.Errorf("%d prometheus sources, want 1 (the directory claimed whole)", n)
	}
	if n := scalar(t, dir, db, `SELECT count(*) FROM sources WHERE kind <> 'prometheus'`); n != 0 {
		t.Errorf("%d files of the data directory offered to other readers", n)
	}
	// idempotent: the same directory again adds nothing
	must(t, dir, "ingest", c, "--db", db, "--no-progress")
	if n := scalar(t, dir, db, `SELECT count(*) FROM series`); n != scalar(t, dir, db, `SELECT count(DISTINCT labels::VARCHAR || coalesce(metric, '')) FROM series`) {
		t.Errorf("series stored twice after a second ingest")
	}
	// PromQL through the binary
	js := must(t, dir, "promql", "--db", db, "--format", "json", "--time", facts.FiringFrom.Add(time.Minute).Format(time.RFC3339), `ALERTS{alertstate="firing"}`)
	var res struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(js), &res); err != nil || res.ResultType != "vector" || len(res.Result) != 1 || res.Result[0].Metric["alertname"] != "HighErrorRate" {
		t.Errorf("promql json: %v %s", err, js)
	}
	csv := must(t, dir, "promql", "--db", db, "--format", "csv", "--step", "1m", `sum(rate(http_requests_total[5m]))`)
	if lines := strings.Count(csv, "\n"); lines < 500 {
		t.Errorf("promql csv: %d lines", lines)
	}
	if r := runBin(t, dir, nil, "promql", "--db", db, `rate(`); r.code != 1 || !strings.Contains(r.stderr, "hint:") {
		t.Errorf("bad expression: exit %d, %s", r.code, r.stderr)
	}
	// the timeline's read of the alerts view
	if n := scalar(t, dir, db, `SELECT count(*) FROM alerts WHERE alertstate = 'firing' AND firing_from IS NOT NULL AND ts IS NOT NULL AND alertname = 'HighErrorRate' AND severity = 'critical'`); n != 1 {
		t.Errorf("alerts: %d firing rows", n)
	}
}

func TestPrometheusBadBlockExitsPartial(t *testing.T) {
	dir, c, _ := promCase(t)
	data := filepath.Join(c, "prometheus")
	ents, _ := os.ReadDir(data)
	var blocks []string
	for _, e := range ents {
		if e.IsDir() && len(e.Name()) == 26 {
			blocks = append(blocks, e.Name())
		}
	}
	sort.Strings(blocks)
	if len(blocks) < 2 {
		t.Fatalf("want 2+ blocks, have %v", blocks)
	}
	if err := os.WriteFile(filepath.Join(data, blocks[0], "meta.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := manifest(t, c)
	db := filepath.Join(dir, "case.duckdb")
	r := runBin(t, dir, nil, "ingest", c, "--db", db, "--no-progress")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (partial)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout+r.stderr, blocks[0]) {
		t.Errorf("the bad block %s is not named:\n%s\n%s", blocks[0], r.stdout, r.stderr)
	}
	if manifest(t, c) != before {
		t.Error("the evidence changed")
	}
	if n := scalar(t, dir, db, `SELECT count(*) FROM samples`); n == 0 {
		t.Error("nothing ingested from the good blocks and the WAL")
	}
}

func TestPromtoolBlocks(t *testing.T) {
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	dir := t.TempDir()
	om := filepath.Join(dir, "in.om")
	if err := promtest.WriteOpenMetricsFile(om, 4, 1000, time.Minute); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "case", "prom")
	if out, err := exec.Command("promtool", "tsdb", "create-blocks-from", "openmetrics", om, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "case.duckdb")
	must(t, dir, "ingest", filepath.Join(dir, "case"), "--db", db, "--no-progress")
	if n := scalar(t, dir, db, `SELECT count(*) FROM samples`); n != 4000 {
		t.Errorf("%d samples, want 4000", n)
	}
	if n := scalar(t, dir, db, `SELECT count(*) FROM series`); n != 4 {
		t.Errorf("%d series, want 4", n)
	}
}
