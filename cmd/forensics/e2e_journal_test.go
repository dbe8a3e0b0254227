package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// End-to-end tests of journald ingest through the binary, on journal files
// that systemd-journal-remote makes from the corpus export streams in
// ingest/testdata/journal, checked against what journalctl prints.

const journalRemote = "/lib/systemd/systemd-journal-remote"

// needJournalTools skips without systemd's tools, and fails under CI,
// whose .ci/run installs them.
func needJournalTools(t *testing.T) {
	t.Helper()
	why := ""
	if _, err := os.Stat(journalRemote); err != nil {
		why = "systemd-journal-remote is not installed (apt-get install systemd-journal-remote)"
	} else if _, err := exec.LookPath("journalctl"); err != nil {
		why = "journalctl is not installed"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// makeJournalFile runs systemd-journal-remote on an export stream.
func makeJournalFile(t *testing.T, out, exportFile string) {
	t.Helper()
	in, err := os.Open(exportFile)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd := exec.Command(journalRemote, "-o", out, "-")
	cmd.Stdin = in
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v\n%s", err, b)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("systemd-journal-remote rotated or wrote nothing: %v", err)
	}
}

func journalctlOut(t *testing.T, file string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("journalctl", append([]string{"--all", "--no-pager", "--file", file}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("journalctl: %v %s", err, stderr.String())
	}
	return b
}

// runBinWithin runs forensics with a time bound: a hang is a failure.
func runBinWithin(t *testing.T, d time.Duration, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "FORENSICS_DB="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("forensics %v did not finish in %s", args, d)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// entryValues is an entry as field -> values (bytes; nil for a null).
type entryValues map[string][]*string

func jsonEntryValues(t *testing.T, v any) []*string {
	switch x := v.(type) {
	case nil:
		return []*string{nil}
	case string:
		return []*string{&x}
	case []any:
		if len(x) > 0 {
			if _, ok := x[0].(float64); ok {
				var b []byte
				for _, n := range x {
					b = append(b, byte(n.(float64)))
				}
				s := string(b)
				return []*string{&s}
			}
		}
		if len(x) == 0 {
			s := ""
			return []*string{&s}
		}
		var out []*string
		for _, e := range x {
			out = append(out, jsonEntryValues(t, e)...)
		}
		return out
	}
	t.Fatalf("unexpected JSON value %T", v)
	return nil
}

func (e entryValues) String() string {
	var keys []string
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=", k)
		for _, v := range e[k] {
			if v == nil {
				b.WriteString("null ")
			} else {
				fmt.Fprintf(&b, "%q ", *v)
			}
		}
	}
	return b.String()
}

// storedEntries rebuilds, from the case database, every entry of the
// source whose path ends in suffix, in the file's order.
func storedEntries(t *testing.T, dir, db, suffix string) []entryValues {
	t.Helper()
	out := must(t, dir, "query", "--db", db, "--format", "json", `
SELECT epoch_us(j.ts)::VARCHAR AS ts, j.monotonic_us::VARCHAR AS mono, j.host, j.identifier, j.pid::VARCHAR AS pid,
       j.priority::VARCHAR AS prio, j.message, j.transport, j.boot_id, j.cursor, j.fields::VARCHAR AS fields
FROM journal j JOIN sources s ON s.id = j.source_id
WHERE s.path LIKE '%`+suffix+`' ORDER BY j.line_no`)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("query output: %v\n%s", err, out)
	}
	var all []entryValues
	for _, r := range rows {
		e := entryValues{}
		m, _ := r["fields"].(map[string]any) // the JSON column, as an object
		if f, ok := r["fields"].(string); ok {
			if err := json.Unmarshal([]byte(f), &m); err != nil {
				t.Fatalf("fields: %v: %s", err, f)
			}
		}
		for k, v := range m {
			e[k] = jsonEntryValues(t, v)
		}
		for col, name := range map[string]string{"ts": "__REALTIME_TIMESTAMP", "mono": "__MONOTONIC_TIMESTAMP", "host": "_HOSTNAME",
			"identifier": "SYSLOG_IDENTIFIER", "pid": "_PID", "prio": "PRIORITY", "message": "MESSAGE", "transport": "_TRANSPORT",
			"boot_id": "_BOOT_ID", "cursor": "__CURSOR"} {
			if s, ok := r[col].(string); ok && e[name] == nil {
				e[name] = []*string{&s}
			}
		}
		all = append(all, e)
	}
	return all
}

func journalctlEntries(t *testing.T, file string) []entryValues {
	t.Helper()
	var all []entryValues
	for _, line := range bytes.Split(bytes.TrimSpace(journalctlOut(t, file, "-o", "json")), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		e := entryValues{}
		for k, v := range m {
			e[k] = jsonEntryValues(t, v)
		}
		all = append(all, e)
	}
	return all
}

// journalCase lays out a case folder with a journal directory (two boots,
// one file each, as systemd-journal-remote makes them), journalctl dumps of
// the first boot, damaged copies, and an app log.
func journalCase(t *testing.T, dir string) (caseDir, bootA, bootB string) {
	t.Helper()
	c := filepath.Join(dir, "case")
	jd := filepath.Join(c, "journal", "0f9e8d7c6b5a49382716059483726150")
	for _, d := range []string{jd, filepath.Join(c, "dumps"), filepath.Join(c, "damaged"), filepath.Join(c, "logs", "vid-bench")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bootA = filepath.Join(jd, "system@4f1c2a9d8e7b4c6a9f0e1d2c3b4a5968-0000000000000001-0006612e5bfd9800.journal")
	bootB = filepath.Join(jd, "system.journal")
	makeJournalFile(t, bootA, "../../ingest/testdata/journal/boot-a.export")
	makeJournalFile(t, bootB, "../../ingest/testdata/journal/boot-b.export")
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(c, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dumps/vid-bench.json", journalctlOut(t, bootA, "-o", "json"))
	export := journalctlOut(t, bootA, "-o", "export")
	write("dumps/boot-a.export", export)

	data, err := os.ReadFile(bootA)
	if err != nil {
		t.Fatal(err)
	}
	mid := bytes.Index(data, []byte("Benchmark run 8f3a05"))
	write("damaged/cut.journal", data[:mid+100])
	over := append([]byte(nil), data...)
	for i := mid - 200; i < mid+300; i++ {
		over[i] = byte(i*7 + 13)
	}
	write("damaged/overwritten.journal", over)
	write("damaged/header.journal", append(append([]byte("LPKSHHRH"), bytes.Repeat([]byte{0xA5}, 200)...), data[208:4096]...))
	write("damaged/empty.journal", nil)
	// an export dump cut in the middle of a binary field (the traceback)
	tb := bytes.Index(export, []byte("Traceback (most recent"))
	write("damaged/cut.export", export[:tb+20])
	write("damaged/mixed.json", []byte("[1,2]\n\"text\"\n"+strings.SplitN(string(journalctlOut(t, bootA, "-o", "json")), "\n", 2)[0]+"\n{\"MESSAGE\": \"cut\n"))
	write("logs/vid-bench/benchmark.log", []byte("2026-11-26 14:00:05,120 INFO [vid_bench.api] Starting vid-bench API v2.4.1\n"))
	return c, bootA, bootB
}

func TestJournalEndToEnd(t *testing.T) {
	needJournalTools(t)
	dir := t.TempDir()
	c, bootA, bootB := journalCase(t, dir)
	before := manifest(t, c)
	r := runBinWithin(t, 2*time.Minute, dir, nil, "ingest", "case", "--db", "case.duckdb")
	if after := manifest(t, c); after != before {
		t.Fatalf("evidence changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// header.journal yields nothing: exit 3, and every damaged file is named with its reason
	if r.code != 3 {
		t.Errorf("exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"damaged/header.journal: open journal file: protocol not supported",
		"damaged/cut.journal: read stopped",
		"the file is truncated",
		"damaged/overwritten.journal: read stopped",
		"libsystemd could read only 35 of the 36 entries",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "empty file") {
		t.Errorf("the empty journal is not listed as skipped:\n%s", r.stdout)
	}
	nA, nB := len(journalctlEntries(t, bootA)), len(journalctlEntries(t, bootB))
	checks := []struct {
		sql  string
		want int64
	}{
		// every entry of both boots, once
		{"SELECT count(*) FROM journal WHERE dup_of IS NULL", int64(nA + nB)},
		{"SELECT count(*) FROM journal j JOIN sources s ON s.id = j.source_id WHERE s.kind = 'journal' AND s.path LIKE '%/journal/%'", int64(nA + nB)},
		// the dumps and the damaged copies are duplicates of the binary files' entries
		{"SELECT count(*) FROM journal j JOIN sources s ON s.id = j.source_id WHERE s.path LIKE '%/dumps/%' AND j.dup_of IS NULL", 0},
		{"SELECT count(*) FROM journal j JOIN sources s ON s.id = j.source_id WHERE s.path LIKE '%/dumps/%'", int64(2 * nA)},
		{"SELECT count(*) FROM journal j JOIN sources s ON s.id = j.source_id WHERE s.path LIKE '%/damaged/%' AND j.dup_of IS NULL", 0},
		{"SELECT count(*) FROM journal j JOIN journal o ON o.id = j.dup_of JOIN sources s ON s.id = o.source_id WHERE s.kind <> 'journal' OR s.path NOT LIKE '%/journal/%'", 0},
		{"SELECT count(*) FROM journal j JOIN journal o ON o.id = j.dup_of WHERE o.cursor <> j.cursor", 0},
		// the export dump cut inside the traceback: the entry is rejected, line by line
		{"SELECT (count(*) > 0)::INT FROM rejects r JOIN sources s ON s.id = r.source_id WHERE s.path LIKE '%cut.export' AND r.reason LIKE '%ends inside binary field MESSAGE%'", 1},
		{"SELECT count(*) FROM rejects r JOIN sources s ON s.id = r.source_id WHERE s.path LIKE '%cut.export' AND r.reason NOT LIKE '%ends inside binary field MESSAGE%'", 0},
		{"SELECT count(*) FROM rejects r JOIN sources s ON s.id = r.source_id WHERE s.path LIKE '%mixed.json' AND r.reason LIKE '%not a JSON object%'", 2},
		{"SELECT count(*) FROM rejects r JOIN sources s ON s.id = r.source_id WHERE s.path LIKE '%mixed.json' AND r.reason LIKE '%not closed%'", 1},
		{"SELECT count(*) FROM sources WHERE lines <> rows + continuations + rejects + filtered", 0},
		{"SELECT count(*) FROM sources WHERE kind IN ('journal-json', 'journal-export') AND path LIKE '%/dumps/%' AND lines <> (SELECT count(*) FROM journal WHERE source_id = sources.id) + continuations", 0},
		{"SELECT count(*) FROM sources WHERE path LIKE '%cut.journal' AND status = 'partial'", 1},
		{"SELECT count(*) FROM logs", 1},
		// the super-timeline, each entry once
		{"SELECT count(*) FROM events WHERE source = 'journal' AND kind = 'host_oom'", 5},
		{"SELECT count(*) FROM events WHERE source = 'journal' AND kind = 'host_oom' AND severity = 'critical'", 3},
		{"SELECT count(*) FROM events WHERE source = 'journal' AND kind = 'gpu_fault' AND severity = 'critical' AND service = 'kernel'", 1},
		{"SELECT count(*) FROM events WHERE source = 'journal' AND kind = 'unit_failed' AND service = 'vid-bench'", 1},
		{"SELECT count(*) FROM events WHERE source = 'journal' AND kind = 'unit_restart' AND severity = 'warning'", 1},
		{"SELECT count(*) FROM events WHERE source = 'journal' AND kind = 'unit_lifecycle'", 5},
		{"SELECT count(*) FROM events WHERE source = 'journal' AND kind = 'journal_error' AND service = 'postgresql@15-main'", 1},
		{"SELECT count(*) FROM events WHERE source = 'journal' AND text LIKE '%Consumed%'", 0},
		{"SELECT count(*) FROM events e WHERE source = 'journal' AND NOT EXISTS (SELECT 1 FROM journal j WHERE 'journal:' || j.id = e.ref AND j.dup_of IS NULL)", 0},
		// the fields column answers questions
		{"SELECT count(*) FROM journal WHERE dup_of IS NULL AND (fields->>'_COMM') = 'systemd'", 10},
		{"SELECT count(*) FROM journal WHERE dup_of IS NULL AND json_array_length(fields->'TAG') = 3", 1},
		{"SELECT count(*) FROM journal WHERE dup_of IS NULL AND unit = 'vid-bench.service' AND identifier = 'systemd'", 10},
	}
	for _, c := range checks {
		if got := scalar(t, dir, "case.duckdb", c.sql); got != c.want {
			t.Errorf("%s = %d, want %d", c.sql, got, c.want)
		}
	}

	// Every entry and field stored is what journalctl prints for the file.
	for _, f := range []string{bootA, bootB} {
		want := journalctlEntries(t, f)
		got := storedEntries(t, dir, "case.duckdb", "/journal/0f9e8d7c6b5a49382716059483726150/"+filepath.Base(f))
		if len(got) != len(want) {
			t.Fatalf("%s: %d entries stored, journalctl prints %d", f, len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%s entry %d:\nstored     %v\njournalctl %v", filepath.Base(f), i+1, got[i], want[i])
			}
		}
	}
	// and the dumps' rows are identical to the binary file's
	for _, suffix := range []string{"dumps/vid-bench.json", "dumps/boot-a.export"} {
		if got, want := storedEntries(t, dir, "case.duckdb", suffix), storedEntries(t, dir, "case.duckdb", filepath.Base(bootA)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s rows differ from the binary file's", suffix)
		}
	}

	schema := must(t, dir, "schema", "--db", "case.duckdb")
	for _, want := range []string{"table journal — one row per journald entry", "fields JSON", "view events_journal", "unit VARCHAR"} {
		if !strings.Contains(schema, want) {
			t.Errorf("schema does not show %q", want)
		}
	}

	// A second ingest adds nothing.
	rows := scalar(t, dir, "case.duckdb", "SELECT count(*) FROM journal")
	r = runBinWithin(t, 2*time.Minute, dir, nil, "ingest", "case", "--db", "case.duckdb")
	if got := scalar(t, dir, "case.duckdb", "SELECT count(*) FROM journal"); got != rows || r.code != 3 {
		t.Errorf("second ingest: %d rows (was %d), exit %d", got, rows, r.code)
	}
	if got := scalar(t, dir, "case.duckdb", "SELECT count(*) FROM journal WHERE dup_of IS NULL"); got != int64(nA+nB) {
		t.Errorf("after a second ingest %d originals", got)
	}
}

// TestJournalWithoutLibsystemd runs forensics where libsystemd.so.0 cannot
// be loaded (a private mount namespace hides it): binary journals are
// reported as skipped with the reason, and everything else is ingested.
func TestJournalWithoutLibsystemd(t *testing.T) {
	needJournalTools(t)
	lib := ""
	for _, p := range []string{"/lib/x86_64-linux-gnu/libsystemd.so.0", "/usr/lib/x86_64-linux-gnu/libsystemd.so.0", "/lib/aarch64-linux-gnu/libsystemd.so.0", "/usr/lib/aarch64-linux-gnu/libsystemd.so.0", "/usr/lib64/libsystemd.so.0"} {
		if _, err := os.Stat(p); err == nil {
			lib = p
			break
		}
	}
	unshare, err := exec.LookPath("unshare")
	if lib == "" || err != nil || os.Geteuid() != 0 {
		t.Skip("needs root, unshare and libsystemd.so.0 in a known place")
	}
	dir := t.TempDir()
	c, _, _ := journalCase(t, dir)
	os.RemoveAll(filepath.Join(c, "damaged"))
	script := fmt.Sprintf("mount --bind /dev/null %s && exec %s ingest case --db case.duckdb", lib, binary)
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FORENSICS_DB=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if strings.Contains(errb.String(), "mount") && strings.Contains(errb.String(), "ermission") {
		t.Skipf("cannot hide libsystemd here: %s", errb.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("exit %v\n%s\n%s", err, out.String(), errb.String())
	}
	if n := strings.Count(errb.String(), "libsystemd cannot be loaded"); n != 2 || !strings.Contains(errb.String(), "apt-get install libsystemd0") {
		t.Errorf("the two journal files are not reported as skipped with the reason (%d):\n%s", n, errb.String())
	}
	// the dumps were read: boot a's entries, once
	a := int64(bytes.Count(mustRead(t, filepath.Join(c, "dumps", "vid-bench.json")), []byte("\n")))
	for sql, want := range map[string]int64{
		"SELECT count(*) FROM journal j JOIN sources s ON s.id = j.source_id WHERE s.kind = 'journal'": 0,
		"SELECT count(*) FROM journal WHERE dup_of IS NULL":                                            a,
		"SELECT count(*) FROM logs": 1,
		"SELECT count(*) FROM ingest_issues WHERE severity = 'skipped' AND problem LIKE '%libsystemd%'": 2,
	} {
		if got := scalar(t, dir, "case.duckdb", sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
