package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// TestDetectorsUsePrometheus makes Prometheus blocks with promtool from an
// OpenMetrics file (pg_up going to 0, a filesystem filling up, GPU
// framebuffer at capacity) beside an app log with CUDA OOM errors, and
// checks the detectors read those signals with refs to samples rows.
func TestDetectorsUsePrometheus(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; .ci/run installs it)")
	}
	dir := t.TempDir()
	c := filepath.Join(dir, "case")
	os.MkdirAll(filepath.Join(c, "logs"), 0o755)
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	var om strings.Builder
	series := []struct {
		name, labels string
		value        func(i int) float64
	}{
		{"pg_up", `instance="pg:9187",job="postgres"`, func(i int) float64 {
			if i >= 40 && i < 52 { // down 14:10:00 to 14:13:00
				return 0
			}
			return 1
		}},
		{"node_filesystem_avail_bytes", `instance="host:9100",job="node",mountpoint="/data"`, func(i int) float64 {
			return float64(max(100-2*i, 1)) * (1 << 30) // 1 GiB left from 14:12:15
		}},
		{"node_filesystem_size_bytes", `instance="host:9100",job="node",mountpoint="/data"`, func(i int) float64 { return 200 * (1 << 30) }},
		{"DCGM_FI_DEV_FB_USED", `gpu="0",instance="gpu:9400",job="dcgm"`, func(i int) float64 {
			if i >= 6 {
				return 80000
			}
			return 40000
		}},
		{"DCGM_FI_DEV_FB_FREE", `gpu="0",instance="gpu:9400",job="dcgm"`, func(i int) float64 {
			if i >= 6 {
				return 1559
			}
			return 41559
		}},
	}
	for _, s := range series {
		fmt.Fprintf(&om, "# TYPE %s gauge\n", s.name)
		for i := 0; i < 120; i++ { // every 15 s for 30 min
			fmt.Fprintf(&om, "%s{%s} %g %d\n", s.name, s.labels, s.value(i), t0.Add(time.Duration(i)*15*time.Second).Unix())
		}
	}
	om.WriteString("# EOF\n")
	omPath := filepath.Join(dir, "in.om")
	os.WriteFile(omPath, []byte(om.String()), 0o644)
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", omPath, filepath.Join(c, "prometheus")).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	var app strings.Builder
	for i := 0; i < 5; i++ {
		ts := t0.Add(2*time.Minute + time.Duration(i)*20*time.Second)
		fmt.Fprintf(&app, "%s ERROR [vid_bench.runner] Benchmark run %06x failed on model svd-xt\ntorch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n",
			ts.Format("2006-01-02 15:04:05,000"), i)
	}
	os.WriteFile(filepath.Join(c, "logs", "benchmark.log"), []byte(app.String()), 0o644)

	must(t, dir, "ingest", "--no-progress", "case", "--db", "c.duckdb")
	var fs []forensics.Finding
	if err := json.Unmarshal([]byte(must(t, dir, "detect", "--db", "c.duckdb", "--format", "json")), &fs); err != nil {
		t.Fatal(err)
	}
	byKind := map[string]forensics.Finding{}
	for _, f := range fs {
		if _, ok := byKind[f.Kind]; !ok {
			byKind[f.Kind] = f
		}
	}
	dep, ok := byKind[forensics.KindDependencyDown]
	if !ok || len(dep.Services) == 0 || dep.Services[0] != "postgres" || !dep.Start.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("dependency_down from pg_up: %+v", dep)
	}
	disk, ok := byKind[forensics.KindDiskFull]
	if !ok || disk.Start.Before(t0.Add(12*time.Minute)) || disk.Start.After(t0.Add(13*time.Minute)) {
		t.Errorf("disk_full from node_filesystem_avail_bytes: %+v", disk)
	}
	oom, ok := byKind[forensics.KindGPUOOM]
	found := false
	for _, e := range oom.Evidence {
		if e.Link == "memory_near_capacity" && strings.HasPrefix(e.Ref, "samples:") {
			found = true
		}
	}
	if !ok || !found {
		t.Errorf("gpu_oom without the DCGM memory link: %+v", oom)
	}
	// refs name one samples row each
	for _, f := range []forensics.Finding{dep, disk, oom} {
		for _, e := range f.Evidence {
			if tbl, id, ok := strings.Cut(e.Ref, ":"); ok && tbl == "samples" {
				if n := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM samples WHERE id = "+id); n != 1 {
					t.Errorf("%s resolves to %d rows", e.Ref, n)
				}
			}
		}
	}
}
