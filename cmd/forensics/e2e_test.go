package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// binary is the forensics binary under test: $FORENSICS_BIN (make test
// sets it), or one built once for this test run.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	binary = os.Getenv("FORENSICS_BIN")
	cleanup := func() {}
	if binary == "" {
		dir, err := os.MkdirTemp("", "forensics-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cleanup = func() { os.RemoveAll(dir) }
		binary = filepath.Join(dir, "forensics")
		cmd := exec.Command("go", "build", "-tags=duckdb_arrow", "-o", binary, ".")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build forensics:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// forensics runs the binary in dir with args and extra environment.
func runBin(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FORENSICS_DB=")
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run %v: %v", args, err)
		}
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = -int(ws.Signal())
		}
	}
	return result{out.String(), errb.String(), code}
}

// must runs forensics and fails the test on a non-zero exit.
func must(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := runBin(t, dir, nil, args...)
	if r.code != 0 {
		t.Fatalf("forensics %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// scalar runs a query that returns one number.
func scalar(t *testing.T, dir, db, sql string) int64 {
	t.Helper()
	out := must(t, dir, "query", "--db", db, "--format", "csv", sql)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%s: %q", sql, out)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatalf("%s: %q", sql, out)
	}
	return n
}

// writeCase lays out a small case folder under dir/case.
func writeCase(t *testing.T, dir string) string {
	t.Helper()
	c := filepath.Join(dir, "case")
	files := map[string]string{
		"logs/vid-bench/benchmark.log": "2026-11-20 14:02:11,532 INFO [vid_bench.api] Starting vid-bench API v2.4.1\n" +
			"2026-11-20 14:02:12,532 ERROR [vid_bench.runner] Benchmark run 8f3a21 failed on model svd-xt\n" +
			"Traceback (most recent call last):\n  File \"/app/runner.py\", line 10, in run\n    x = model(y)\n" +
			"torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n" +
			"2026-11-20 14:03:13,532 - vid_bench.runner - WARNING - queue depth 42 above 40\n",
		"logs/vid-bench/access.log": `10.0.3.7 - alice [20/Nov/2026:14:02:11 +0000] "POST /api/v1/benchmarks HTTP/1.1" 200 512 "-" "python-requests/2.31.0" response_time=0.231` + "\n" +
			`10.0.3.7 - - [20/Nov/2026:14:02:13 +0000] "GET /health HTTP/1.1" 503 12 "-" "curl/7.88.1" response_time=5.001` + "\n" +
			"garbage line\n",
		"logs/docker-compose.log": "benchmark_1  | 2026-11-20T14:02:12.532123456Z 2026-11-20 14:02:12,532 ERROR [vid_bench.runner] Benchmark run 8f3a21 failed on model svd-xt\n" +
			"postgres_1   | 2026-11-20T14:02:12.001000000Z 2026-11-20 14:02:12.001 UTC [311] LOG:  checkpoint starting: time\n" +
			"benchmark_1  | 2026-11-20T14:02:12.532200000Z Traceback (most recent call last):\n" +
			"benchmark_1  | 2026-11-20T14:02:12.532300000Z torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n",
		"notes.md":        "# Notes\nWe restarted at 14:10.\n",
		"blob.bin":        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x00\x00\x00\x00\x00",
		"misc/syslog.txt": "Nov 20 14:02:11 gpu-host-1 kernel: Out of memory: Killed process 48211 (python3)\n",
	}
	for name, text := range files {
		p := filepath.Join(c, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// manifest lists every file under root with size, mtime and sha256.
func manifest(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v %d %d", p, info.Mode(), info.Size(), info.ModTime().UnixNano())
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			line += " " + hex.EncodeToString(h[:])
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestIngestSmallCaseEndToEnd(t *testing.T) {
	dir := t.TempDir()
	c := writeCase(t, dir)
	before := manifest(t, c)
	r := runBin(t, dir, nil, "ingest", "case", "--db", "case.duckdb")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	if after := manifest(t, c); after != before {
		t.Fatalf("evidence changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if !strings.Contains(r.stderr, "blob.bin") || !strings.Contains(r.stderr, "binary content") {
		t.Errorf("binary file not reported as skipped: %s", r.stderr)
	}
	for sql, want := range map[string]int64{
		"SELECT count(*) FROM logs":                                   6,
		"SELECT count(*) FROM logs WHERE dup_of IS NOT NULL":          1,
		"SELECT count(*) FROM http_requests":                          2,
		"SELECT count(*) FROM rejects":                                1,
		"SELECT count(*) FROM notes":                                  1,
		"SELECT count(*) FROM sources":                                5,
		"SELECT count(*) FROM ingest_issues WHERE severity='skipped'": 1,
		// the compose copy is the duplicate; the app's own file is the original
		"SELECT count(*) FROM logs l JOIN sources s ON s.id = l.source_id WHERE l.dup_of IS NOT NULL AND s.kind = 'compose'": 1,
		// accounting: every line is a row, part of a row, a reject or filtered
		"SELECT count(*) FROM sources WHERE kind <> 'note' AND lines <> rows + continuations + rejects + filtered": 0,
		"SELECT count(*) FROM events WHERE kind = 'http_5xx'":                                                      1,
		"SELECT sum(errors) FROM errors_per_minute WHERE source = 'logs'":                                          1,
	} {
		if got := scalar(t, dir, "case.duckdb", sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	// Lines of each text source equal the file's own line count.
	out := must(t, dir, "query", "--db", "case.duckdb", "--format", "csv", "SELECT path, lines FROM sources ORDER BY path")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Split(l, ",")
		b, err := os.ReadFile(filepath.Join(dir, f[0]))
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.Itoa(bytes.Count(b, []byte("\n"))); f[1] != want {
			t.Errorf("%s: lines %s, file has %s", f[0], f[1], want)
		}
	}
}

func TestIngestIsIdempotentAndAppends(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir)
	must(t, dir, "ingest", "case", "--db", "c.duckdb")
	rows := scalar(t, dir, "c.duckdb", "SELECT (SELECT count(*) FROM logs) + (SELECT count(*) FROM http_requests)")
	out := must(t, dir, "ingest", "case", "--db", "c.duckdb")
	if !strings.Contains(out, "Nothing new") {
		t.Errorf("second ingest did not say nothing new:\n%s", out)
	}
	if got := scalar(t, dir, "c.duckdb", "SELECT (SELECT count(*) FROM logs) + (SELECT count(*) FROM http_requests)"); got != rows {
		t.Fatalf("second ingest changed rows: %d -> %d", rows, got)
	}

	// The log grows: only the new part is added.
	log := filepath.Join(dir, "case/logs/vid-bench/benchmark.log")
	old, _ := os.ReadFile(log)
	grown := string(old) + "2026-11-20 14:05:00,000 INFO [vid_bench.api] maintenance mode enabled\n"
	os.WriteFile(log, []byte(grown), 0o644)
	out = must(t, dir, "ingest", "case", "--db", "c.duckdb")
	if !strings.Contains(out, "appended") {
		t.Errorf("grown file not appended:\n%s", out)
	}
	if got := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM logs WHERE message = 'maintenance mode enabled'"); got != 1 {
		t.Errorf("appended record count %d", got)
	}
	if got := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM logs"); got != 7 {
		t.Errorf("logs after append: %d, want 7", got)
	}
	if got := scalar(t, dir, "c.duckdb", "SELECT line_no FROM logs WHERE message = 'maintenance mode enabled'"); got != 8 {
		t.Errorf("appended record line_no %d, want 8", got)
	}

	// logrotate: benchmark.log -> benchmark.log.1 -> benchmark.log.2.gz; nothing new.
	os.Rename(log, log+".1")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(grown))
	zw.Close()
	os.WriteFile(log+".2.gz", gz.Bytes(), 0o644)
	os.Remove(log + ".1")
	out = must(t, dir, "ingest", "case", "--db", "c.duckdb")
	if !strings.Contains(out, "already ingested as") {
		t.Errorf("rotated and compressed file not recognised:\n%s", out)
	}
	if got := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM logs"); got != 7 {
		t.Errorf("logs after rotation: %d, want 7", got)
	}
}

func TestIngestWindowThenWider(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir)
	must(t, dir, "ingest", "case", "--db", "full.duckdb")
	must(t, dir, "ingest", "case", "--db", "w.duckdb", "--since", "2026-11-20 14:02:12", "--until", "2026-11-20T14:03:00Z")
	narrow := scalar(t, dir, "w.duckdb", "SELECT count(*) FROM logs")
	if narrow == 0 || narrow >= scalar(t, dir, "full.duckdb", "SELECT count(*) FROM logs") {
		t.Fatalf("window did not restrict: %d", narrow)
	}
	if got := scalar(t, dir, "w.duckdb", "SELECT count(*) FROM logs WHERE ts < '2026-11-20 14:02:12+00' OR ts >= '2026-11-20 14:03:00+00'"); got != 0 {
		t.Errorf("%d records outside the window", got)
	}
	must(t, dir, "ingest", "case", "--db", "w.duckdb")
	for _, tbl := range []string{"logs", "http_requests", "rejects"} {
		q := "SELECT count(*) FROM " + tbl
		if a, b := scalar(t, dir, "w.duckdb", q), scalar(t, dir, "full.duckdb", q); a != b {
			t.Errorf("%s: narrow then wide %d, full %d", tbl, a, b)
		}
	}
	// and the same again adds nothing
	out := must(t, dir, "ingest", "case", "--db", "w.duckdb")
	if !strings.Contains(out, "Nothing new") {
		t.Errorf("third ingest:\n%s", out)
	}
}

func TestKilledIngestRerunGivesSameCounts(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir)
	must(t, dir, "ingest", "case", "--db", "clean.duckdb")
	// Die after the first insert into the second file: the first file is
	// committed, the second is half-written and uncommitted.
	r := runBin(t, dir, []string{"FORENSICS_TEST_KILL_AFTER_ROWS=3"}, "ingest", "case", "--db", "k.duckdb")
	if r.code != -int(syscall.SIGKILL) {
		t.Fatalf("hook did not kill: exit %d %s", r.code, r.stderr)
	}
	must(t, dir, "ingest", "case", "--db", "k.duckdb")
	q := `SELECT (SELECT count(*) FROM logs) || '/' || (SELECT count(*) FROM http_requests) || '/' || (SELECT count(*) FROM rejects) || '/' ||
	  (SELECT count(*) FROM sources) || '/' || (SELECT count(*) FROM logs WHERE dup_of IS NOT NULL) || '/' || (SELECT sum(rows) FROM sources) AS c`
	a := must(t, dir, "query", "--db", "clean.duckdb", "--format", "csv", q)
	b := must(t, dir, "query", "--db", "k.duckdb", "--format", "csv", q)
	if a != b {
		t.Errorf("counts differ: clean %q, killed+rerun %q", a, b)
	}
}

func TestConcurrentIngestIsRefused(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir)
	hold := filepath.Join(dir, "hold")
	first := exec.Command(binary, "ingest", "case", "--db", "c.duckdb")
	first.Dir = dir
	first.Env = append(os.Environ(), "FORENSICS_TEST_HOLD="+hold)
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(hold + ".ready"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatal("first ingest never held the file")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := runBin(t, dir, nil, "ingest", "case", "--db", "c.duckdb")
	if r.code != 1 || !strings.Contains(r.stderr, "in use by another process") || !strings.Contains(r.stderr, "hint:") {
		t.Errorf("second ingest: exit %d, stderr %s", r.code, r.stderr)
	}
	os.WriteFile(hold+".go", nil, 0o644)
	if err := first.Wait(); err != nil {
		t.Fatalf("first ingest: %v\n%s", err, firstOut.String())
	}
	if got := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM logs"); got != 6 {
		t.Errorf("file after the refused ingest has %d log rows, want 7", got)
	}
}

func TestReadOnlyCommandsAndErrors(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir)
	r := runBin(t, dir, nil, "query", "--db", "none.duckdb", "SELECT 1")
	if r.code != 1 || !strings.Contains(r.stderr, "forensics ingest") {
		t.Errorf("missing db: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.duckdb")); err == nil {
		t.Error("a read-only command created the case file")
	}
	must(t, dir, "ingest", "case", "--db", "c.duckdb")
	r = runBin(t, dir, nil, "query", "--db", "c.duckdb", "DELETE FROM logs")
	if r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "read-only") {
		t.Errorf("write through query: exit %d %s", r.code, r.stderr)
	}
	r = runBin(t, dir, nil, "query", "--db", "c.duckdb", "--format", "yaml", "SELECT 1")
	if r.code != 2 {
		t.Errorf("bad format: exit %d", r.code)
	}
	r = runBin(t, dir, nil, "ingest")
	if r.code != 2 {
		t.Errorf("no args: exit %d", r.code)
	}
	r = runBin(t, dir, []string{"FORENSICS_DB=c.duckdb"}, "query", "--format", "json", "SELECT count(*) AS n FROM logs")
	var js []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || len(js) != 1 || js[0]["n"] != float64(6) {
		t.Errorf("FORENSICS_DB + json: %v %q", err, r.stdout)
	}
	// the case file must not land inside the evidence
	r = runBin(t, dir, nil, "ingest", "case", "--db", "case/x.duckdb")
	if r.code != 2 {
		t.Errorf("db inside evidence: exit %d %s", r.code, r.stderr)
	}
	// stdin and -f
	cmd := exec.Command(binary, "query", "--db", "c.duckdb", "--format", "csv", "-")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("SELECT 41 + 1 AS x")
	b, err := cmd.Output()
	if err != nil || string(b) != "x\n42\n" {
		t.Errorf("stdin query: %v %q", err, b)
	}
}

func TestUnreadableFileExitsPartial(t *testing.T) {
	dir := t.TempDir()
	c := writeCase(t, dir)
	// a truncated gzip member yields nothing readable at all
	os.WriteFile(filepath.Join(c, "logs/old.log.3.gz"), []byte{0x1f, 0x8b, 0x08, 0x00, 0x00}, 0o644)
	r := runBin(t, dir, nil, "ingest", "case", "--db", "c.duckdb")
	if r.code != 3 || !strings.Contains(r.stderr, "old.log.3.gz") {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	if got := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM logs"); got != 6 {
		t.Errorf("rest of the case not ingested: %d logs", got)
	}
}

func TestTruncatedGzipKeepsWhatItCan(t *testing.T) {
	dir := t.TempDir()
	c := filepath.Join(dir, "case")
	os.MkdirAll(c, 0o755)
	var text strings.Builder
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&text, "2026-11-20 14:%02d:%02d,000 INFO [a] line %d with some padding to make it longer\n", i/60%60, i%60, i)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, text.String())
	zw.Close()
	b := gz.Bytes()
	os.WriteFile(filepath.Join(c, "app.log.1.gz"), b[:len(b)/2], 0o644)
	r := runBin(t, dir, nil, "ingest", "case", "--db", "c.duckdb")
	if r.code != 0 || !strings.Contains(r.stderr, "app.log.1.gz") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	n := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM logs")
	if n == 0 || n >= 20000 {
		t.Errorf("rows from truncated gzip: %d", n)
	}
	if got := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM sources WHERE status = 'partial'"); got != 1 {
		t.Errorf("source not marked partial")
	}
}
