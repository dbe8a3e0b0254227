//go:build cgo

package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

const journalRemote = "/lib/systemd/systemd-journal-remote"

// needJournalTools skips the test when systemd's tools or libsystemd are
// missing, and fails it under CI, whose .ci/run installs them.
func needJournalTools(t testing.TB) {
	t.Helper()
	why := ""
	if _, err := os.Stat(journalRemote); err != nil {
		why = "systemd-journal-remote is not installed (apt-get install systemd-journal-remote)"
	} else if _, err := exec.LookPath("journalctl"); err != nil {
		why = "journalctl is not installed"
	} else if _, err := loadSD(""); err != nil {
		why = "libsystemd cannot be loaded: " + err.Error()
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// makeJournal turns an export stream into journal files with
// systemd-journal-remote, in dir, named name*.journal (it rotates into more
// files when the header limits are reached). It returns their paths.
func makeJournal(t testing.TB, dir, name string, export []byte) []string {
	t.Helper()
	cmd := exec.Command(journalRemote, "-o", filepath.Join(dir, name+".journal"), "-")
	cmd.Stdin = bytes.NewReader(export)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, name+"*.journal"))
	if len(files) == 0 {
		t.Fatalf("systemd-journal-remote wrote no %s*.journal in %s", name, dir)
	}
	sort.Strings(files)
	return files
}

// journalctl runs journalctl --all --file FILE with args and returns its output.
func journalctl(t testing.TB, file string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("journalctl", append([]string{"--all", "--no-pager", "--file", file}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("journalctl %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// jv is one value of a field; flat is an entry as field -> values.
type jv struct {
	V    string
	Null bool
}
type flat map[string][]jv

// flatJournalctl reads the entries `journalctl -o json` printed.
func flatJournalctl(t testing.TB, out []byte) []flat {
	t.Helper()
	var all []flat
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		var obj map[string]any
		if err := d.Decode(&obj); err != nil {
			t.Fatalf("journalctl json: %v: %s", err, line)
		}
		f := flat{}
		for k, v := range obj {
			f[k] = jsonValues(t, v)
		}
		all = append(all, f)
	}
	return all
}

func jsonValues(t testing.TB, v any) []jv {
	switch x := v.(type) {
	case nil:
		return []jv{{Null: true}}
	case string:
		return []jv{{V: x}}
	case []any:
		if len(x) == 0 {
			return []jv{{}}
		}
		if _, ok := x[0].(json.Number); ok {
			var b []byte
			for _, n := range x {
				i, err := strconv.Atoi(string(n.(json.Number)))
				if err != nil {
					t.Fatalf("byte %v", n)
				}
				b = append(b, byte(i))
			}
			return []jv{{V: string(b)}}
		}
		var out []jv
		for _, e := range x {
			out = append(out, jsonValues(t, e)...)
		}
		return out
	}
	t.Fatalf("unexpected JSON value %T %v", v, v)
	return nil
}

// flatEntry rebuilds an entry's fields from its columns and Fields.
func flatEntry(e *forensics.JournalEntry) flat {
	f := flat{}
	for _, x := range e.Fields {
		f[x.Name] = append(f[x.Name], jv{x.Value, x.Null})
	}
	col := func(name, v string) {
		if v != "" && f[name] == nil {
			f[name] = []jv{{V: v}}
		}
	}
	col("MESSAGE", e.Message)
	col("_HOSTNAME", e.Host)
	col("SYSLOG_IDENTIFIER", e.Identifier)
	col("_TRANSPORT", e.Transport)
	col("_BOOT_ID", e.BootID)
	col("__CURSOR", e.Cursor)
	if e.Priority >= 0 {
		col("PRIORITY", strconv.Itoa(int(e.Priority)))
	}
	if e.PID > 0 {
		col("_PID", strconv.FormatInt(e.PID, 10))
	}
	if !e.TS.IsZero() {
		col("__REALTIME_TIMESTAMP", strconv.FormatInt(e.TS.UnixMicro(), 10))
	}
	if e.Monotonic >= 0 {
		col("__MONOTONIC_TIMESTAMP", strconv.FormatInt(e.Monotonic, 10))
	}
	return f
}

func flatCorpus(e corpusEntry) flat {
	f := flat{}
	for _, x := range e {
		f[x.k] = append(f[x.k], jv{V: x.v})
	}
	return f
}

// readJournal runs a reader over a file and returns its rows.
func readJournal(t testing.TB, rd Reader, path string) ([]*forensics.JournalEntry, *memSink, Stats, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := &memSink{}
	in := &Input{Path: path, R: f, TZ: time.UTC, Sink: m}
	err = rd.Read(context.Background(), in)
	var rows []*forensics.JournalEntry
	for _, r := range m.rows {
		rows = append(rows, r.(*forensics.JournalEntry))
	}
	if !in.Stats.Balanced() {
		t.Errorf("%s on %s: unbalanced %+v", rd.Kind(), path, in.Stats)
	}
	return rows, m, in.Stats, err
}

func diffFlat(a, b flat) string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var d []string
	for _, k := range keys {
		if !reflect.DeepEqual(a[k], b[k]) {
			d = append(d, fmt.Sprintf("%s: %v != %v", k, a[k], b[k]))
		}
	}
	return strings.Join(d, "; ")
}

// TestJournalAgainstJournalctl makes journal files from the corpus with
// systemd-journal-remote and checks that every entry and field the readers
// give is what journalctl prints for the same file, and that the file, its
// json dump and its export dump give identical rows.
func TestJournalAgainstJournalctl(t *testing.T) {
	needJournalTools(t)
	dir := t.TempDir()
	for _, boot := range []string{"a", "b"} {
		t.Run("boot-"+boot, func(t *testing.T) {
			want := corpus(boot)
			var exp bytes.Buffer
			if err := writeExport(&exp, want); err != nil {
				t.Fatal(err)
			}
			files := makeJournal(t, dir, "boot-"+boot, exp.Bytes())
			if len(files) != 1 {
				t.Fatalf("expected one journal file, got %v", files)
			}
			file := files[0]
			rows, m, st, err := readJournal(t, Journal{}, file)
			if err != nil || len(m.rejects) > 0 {
				t.Fatalf("read %s: %v %v", file, err, m.rejects)
			}
			if st.Lines != int64(len(want)) || len(rows) != len(want) {
				t.Fatalf("%d rows (%d lines), corpus has %d entries", len(rows), st.Lines, len(want))
			}
			oracle := flatJournalctl(t, journalctl(t, file, "-o", "json"))
			if len(oracle) != len(rows) {
				t.Fatalf("journalctl prints %d entries, the reader gave %d", len(oracle), len(rows))
			}
			for i := range rows {
				if d := diffFlat(flatEntry(rows[i]), oracle[i]); d != "" {
					t.Errorf("entry %d differs from journalctl: %s", i+1, d)
				}
				// and journalctl prints what the corpus wrote, plus the cursor
				c := flatCorpus(want[i])
				c["__CURSOR"] = oracle[i]["__CURSOR"]
				if d := diffFlat(c, oracle[i]); d != "" {
					t.Errorf("entry %d: journal-remote changed the corpus: %s", i+1, d)
				}
			}

			// The same entries through the dump readers give identical rows.
			jsonDump := filepath.Join(dir, "boot-"+boot+".json")
			os.WriteFile(jsonDump, journalctl(t, file, "-o", "json"), 0o644)
			exportDump := filepath.Join(dir, "boot-"+boot+".export")
			os.WriteFile(exportDump, journalctl(t, file, "-o", "export"), 0o644)
			for _, c := range []struct {
				rd   Reader
				path string
			}{{JournalJSON{}, jsonDump}, {JournalExport{}, exportDump}} {
				got, m, _, err := readJournal(t, c.rd, c.path)
				if err != nil || len(m.rejects) > 0 {
					t.Fatalf("%s: %v %v", c.rd.Kind(), err, m.rejects)
				}
				if len(got) != len(rows) {
					t.Fatalf("%s: %d rows, binary file %d", c.rd.Kind(), len(got), len(rows))
				}
				for i := range got {
					a, b := *got[i], *rows[i]
					a.LineNo, b.LineNo = 0, 0
					if !reflect.DeepEqual(a, b) {
						t.Errorf("%s entry %d differs from the binary file's:\n%+v\n%+v", c.rd.Kind(), i+1, a, b)
					}
				}
			}
			// The hand-written stream itself, read as an export dump.
			streamFile := filepath.Join(dir, "stream-"+boot+".export")
			os.WriteFile(streamFile, exp.Bytes(), 0o644)
			got, m, _, err := readJournal(t, JournalExport{}, streamFile)
			if err != nil || len(m.rejects) > 0 || len(got) != len(want) {
				t.Fatalf("stream: %v %v %d rows", err, m.rejects, len(got))
			}
			for i := range got {
				if d := diffFlat(flatEntry(got[i]), flatCorpus(want[i])); d != "" {
					t.Errorf("stream entry %d: %s", i+1, d)
				}
			}
		})
	}
}

// TestJournalColumns checks what the columns hold for the corpus's
// awkward entries: unit derivation, the fallbacks to Fields.
func TestJournalColumns(t *testing.T) {
	needJournalTools(t)
	dir := t.TempDir()
	var exp bytes.Buffer
	writeExport(&exp, corpus("a"))
	rows, _, _, err := readJournal(t, Journal{}, makeJournal(t, dir, "a", exp.Bytes())[0])
	if err != nil {
		t.Fatal(err)
	}
	find := func(prefix string) *forensics.JournalEntry {
		for _, r := range rows {
			if strings.HasPrefix(r.Message, prefix) {
				return r
			}
		}
		t.Fatalf("no entry %q", prefix)
		return nil
	}
	has := func(e *forensics.JournalEntry, name string) int {
		n := 0
		for _, f := range e.Fields {
			if f.Name == name {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name   string
		e      *forensics.JournalEntry
		unit   string
		ident  string
		pid    int64
		prio   int8
		fields map[string]int // fields expected in Fields, with their count
	}{
		{"systemd about a unit", find("vid-bench.service: Failed with result"), "vid-bench.service", "systemd", 1, 4, map[string]int{"UNIT": 1, "_SYSTEMD_UNIT": 1, "MESSAGE": 0, "PRIORITY": 0}},
		{"app stdout", find("2026-11-20 14:00:05,120 INFO"), "vid-bench.service", "vid-bench", 4242, 6, map[string]int{"_SYSTEMD_UNIT": 1, "_PID": 0}},
		{"kernel", find("Out of memory: Killed process"), "", "kernel", 0, 3, map[string]int{"_SOURCE_MONOTONIC_TIMESTAMP": 1}},
		{"multi-line", find("2026-11-20 14:02:11,532 ERROR"), "vid-bench.service", "vid-bench", 4242, 3, map[string]int{"MESSAGE": 0}},
		{"not UTF-8", find("upload name"), "vid-bench.service", "vid-bench", 4242, 6, map[string]int{"MESSAGE": 1}},
		{"repeated and empty", find("2026-11-20 14:02:12,000"), "vid-bench.service", "vid-bench", 4242, 6, map[string]int{"TAG": 3, "EMPTY": 1}},
		{"two messages", find("first of two"), "vid-bench.service", "vid-bench", 4242, 6, map[string]int{"MESSAGE": 2}},
		{"syslog", find("Accepted publickey"), "", "sshd", 0, 6, map[string]int{"SYSLOG_PID": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.e
			if e.Unit != tt.unit || e.Identifier != tt.ident || e.PID != tt.pid || e.Priority != tt.prio || e.Host != host {
				t.Errorf("columns: unit %q ident %q pid %d prio %d host %q", e.Unit, e.Identifier, e.PID, e.Priority, e.Host)
			}
			if e.BootID != bootA || e.Cursor == "" || e.TS.IsZero() || e.Monotonic <= 0 {
				t.Errorf("address: boot %q cursor %q ts %v mono %d", e.BootID, e.Cursor, e.TS, e.Monotonic)
			}
			for name, n := range tt.fields {
				if got := has(e, name); got != n {
					t.Errorf("%s in Fields %d times, want %d (%+v)", name, got, n, e.Fields)
				}
			}
		})
	}
	if e := find("upload name"); !strings.Contains(e.Message, "\uFFFD") {
		t.Errorf("invalid bytes not replaced in the message column: %q", e.Message)
	}
	if e := find("2026-11-20 14:02:11,532 ERROR"); !strings.Contains(e.Message, "\nTraceback") {
		t.Errorf("multi-line message cut: %q", e.Message)
	}
	e := find("2026-11-20 14:02:13,000")
	for _, f := range e.Fields {
		if f.Name == "CONFIG_DUMP" && len(f.Value) != 700*len("max_batch_size=4;") {
			t.Errorf("long field cut to %d bytes", len(f.Value))
		}
	}
}

// TestJournalDirectory reads a journal directory: several files (one per
// boot, and journal-remote's rotation), a .journal~ copy, all by content.
func TestJournalDirectory(t *testing.T) {
	needJournalTools(t)
	dir := t.TempDir()
	var a, b bytes.Buffer
	writeExport(&a, corpus("a"))
	writeExport(&b, corpus("b"))
	makeJournal(t, dir, "system", a.Bytes())
	fb := makeJournal(t, dir, "system@b", b.Bytes())[0]
	tilde := filepath.Join(dir, "user-1000@0005f2a1b2c3d4e5-0123456789abcdef.journal~")
	data, _ := os.ReadFile(fb)
	os.WriteFile(tilde, data, 0o640)
	ents, _ := os.ReadDir(dir)
	total := 0
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		head, _ := os.ReadFile(p)
		rd, why := pick(Readers(), newSample(p, head[:min(len(head), sampleBytes)], len(head) <= sampleBytes))
		if rd == nil || rd.Kind() != "journal" {
			t.Fatalf("%s: picked %v (%s)", e.Name(), rd, why)
		}
		rows, _, _, err := readJournal(t, rd, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		total += len(rows)
	}
	if want := len(corpus("a")) + 2*len(corpus("b")); total != want {
		t.Errorf("%d rows from the directory, want %d", total, want)
	}
}

// TestJournalHostileFiles: damaged journal files yield the entries before
// the damage and a clear error, never a panic or a hang.
func TestJournalHostileFiles(t *testing.T) {
	needJournalTools(t)
	dir := t.TempDir()
	var exp bytes.Buffer
	writeExport(&exp, corpus("a"))
	good := makeJournal(t, dir, "good", exp.Bytes())[0]
	data, _ := os.ReadFile(good)
	full := len(corpus("a"))
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	// where the entries are: journal files are mostly preallocated space
	mid := bytes.Index(data, []byte("Benchmark run 8f3a05"))
	if mid < 0 {
		t.Fatal("corpus message not found in the journal file")
	}
	overwrite := func(at, n int) []byte {
		b := append([]byte(nil), data...)
		copy(b[at:], garbage(n))
		return b
	}
	tests := []struct {
		name    string
		data    []byte
		minRows int    // at least these entries still read
		err     string // the error says this ("" no error)
	}{
		{"cut after an entry's message", data[:mid+100], 5, "truncated"},
		{"cut in the preallocated space", data[:len(data)/2], full, ""},
		{"cut to the header", data[:300], 0, "truncated"},
		{"entry data overwritten", overwrite(mid-200, 500), 5, "could read only"},
		{"unused space overwritten", overwrite(len(data)-8192, 4096), full, ""},
		{"header overwritten after the signature", append(append([]byte("LPKSHHRH"), garbage(200)...), data[208:]...), 0, "open journal file"},
		{"everything after the header overwritten", append(append([]byte(nil), data[:256]...), garbage(len(data)-256)...), 0, "could read only 0 of the 36"},
		{"only the signature", []byte("LPKSHHRH"), 0, "open journal file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".journal")
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var rows []*forensics.JournalEntry
			var err error
			go func() {
				defer close(done)
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("panic: %v", p)
					}
				}()
				rows, _, _, err = readJournal(t, Journal{}, p)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("reading the damaged file did not finish in 30 s")
			}
			t.Logf("%d of %d entries, err: %v", len(rows), full, err)
			if err != nil && strings.HasPrefix(err.Error(), "panic") {
				t.Fatal(err)
			}
			if len(rows) > full || len(rows) < tt.minRows {
				t.Errorf("%d rows from a damaged copy of %d entries, want at least %d", len(rows), full, tt.minRows)
			}
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("error %v, want one saying %q", err, tt.err)
			}
			if err == nil && len(rows) < full {
				t.Errorf("%d of %d entries read and no error: entries were dropped silently", len(rows), full)
			}
		})
	}
}

// TestJournalMissingLibsystemd: without libsystemd the file is skipped
// with the reason, not failed.
func TestJournalMissingLibsystemd(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.journal")
	os.WriteFile(p, []byte("LPKSHHRH"), 0o644)
	_, _, _, err := readJournal(t, Journal{Lib: "libsystemd-missing-for-test.so.0"}, p)
	var skip *SkipError
	if !errors.As(err, &skip) || !strings.Contains(skip.Reason, "libsystemd") || !strings.Contains(skip.Hint, "apt-get install libsystemd0") {
		t.Fatalf("got %v", err)
	}
}

// TestJournalCompressed reads a gzip-compressed journal file through a
// temporary copy.
func TestJournalCompressed(t *testing.T) {
	needJournalTools(t)
	dir := t.TempDir()
	var exp bytes.Buffer
	writeExport(&exp, corpus("b"))
	f := makeJournal(t, dir, "z", exp.Bytes())[0]
	if out, err := exec.Command("gzip", "-k", f).CombinedOutput(); err != nil {
		t.Skipf("gzip: %v %s", err, out)
	}
	rc, _, err := open(f + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	m := &memSink{}
	in := &Input{Path: f + ".gz", R: rc, TZ: time.UTC, Sink: m}
	if err := (Journal{}).Read(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(m.rows) != len(corpus("b")) {
		t.Errorf("%d rows", len(m.rows))
	}
}

func BenchmarkJournalFile(b *testing.B) {
	needJournalTools(b)
	dir := b.TempDir()
	var exp bytes.Buffer
	writeExport(&exp, benchCorpus(20000, 0))
	files := makeJournal(b, dir, "bench", exp.Bytes())
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			rows, _, _, err := readJournal(b, Journal{}, f)
			if err != nil {
				b.Fatal(err)
			}
			n += len(rows)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
}
