package ingest

import (
	"bytes"
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

var (
	updateJournal = flag.Bool("update-journal", false, "rewrite testdata/journal from the corpus")
	benchOut      = flag.String("journal-bench-out", "", "TestWriteJournalBench writes an export stream of -journal-bench-entries entries here")
	benchEntries  = flag.Int("journal-bench-entries", 200000, "entries for -journal-bench-out")
)

// bin writes a binary export field.
func bin(name, value string) string {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(value)))
	return name + "\n" + string(n[:]) + value + "\n"
}

func rows(m *memSink) []*forensics.JournalEntry {
	var out []*forensics.JournalEntry
	for _, r := range m.rows {
		out = append(out, r.(*forensics.JournalEntry))
	}
	return out
}

func jfield(e *forensics.JournalEntry, name string) []forensics.JournalField {
	var out []forensics.JournalField
	for _, f := range e.Fields {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

type journalCase struct {
	name    string
	in      string
	rows    int
	rejects []string // substrings of the reject reasons, in order
	check   func(t *testing.T, rs []*forensics.JournalEntry)
}

func runJournalCases(t *testing.T, rd Reader, cases []journalCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			m, st := readString(t, rd, tt.in)
			if st.Lines != countLines(tt.in) {
				t.Errorf("lines %d, input has %d", st.Lines, countLines(tt.in))
			}
			rs := rows(m)
			if len(rs) != tt.rows {
				t.Errorf("%d rows, want %d: %+v", len(rs), tt.rows, rs)
			}
			if len(m.rejects) != len(tt.rejects) {
				t.Fatalf("rejects %q, want %q", m.rejects, tt.rejects)
			}
			for i, want := range tt.rejects {
				if !strings.Contains(m.rejects[i], want) {
					t.Errorf("reject %d: %q does not say %q", i, m.rejects[i], want)
				}
			}
			if tt.check != nil && len(rs) == tt.rows {
				tt.check(t, rs)
			}
		})
	}
}

func TestJournalJSONReader(t *testing.T) {
	entry := `{"__CURSOR":"s=1;i=2;b=ab;m=3;t=4;x=5","__REALTIME_TIMESTAMP":"1795701731532000","__MONOTONIC_TIMESTAMP":"5000000","_BOOT_ID":"ab","PRIORITY":"3","_TRANSPORT":"kernel","SYSLOG_IDENTIFIER":"kernel","_HOSTNAME":"gpu-host-1","MESSAGE":"Out of memory: Killed process 48211 (python3)"}`
	runJournalCases(t, JournalJSON{}, []journalCase{
		{name: "one entry", in: entry + "\n", rows: 1, check: func(t *testing.T, rs []*forensics.JournalEntry) {
			e := rs[0]
			want := time.Date(2026, 11, 26, 14, 2, 11, 532000000, time.UTC)
			if !e.TS.Equal(want) || e.Monotonic != 5000000 || e.Priority != 3 || e.Transport != "kernel" || e.Identifier != "kernel" ||
				e.Host != "gpu-host-1" || e.BootID != "ab" || e.Cursor != "s=1;i=2;b=ab;m=3;t=4;x=5" || len(e.Fields) != 0 || e.LineNo != 1 {
				t.Errorf("%+v", e)
			}
		}},
		{name: "byte array, repeated field, null", in: `{"__REALTIME_TIMESTAMP":"1","MESSAGE":[104,105,255],"TAG":["a",[255,0],null,[]],"BIG":null,"E":""}` + "\n", rows: 1,
			check: func(t *testing.T, rs []*forensics.JournalEntry) {
				e := rs[0]
				if e.Message != "hi\uFFFD" || len(jfield(e, "MESSAGE")) != 1 || jfield(e, "MESSAGE")[0].Value != "hi\xff" {
					t.Errorf("message %q %+v", e.Message, e.Fields)
				}
				tag := jfield(e, "TAG")
				if len(tag) != 4 || tag[0].Value != "a" || tag[1].Value != "\xff\x00" || !tag[2].Null || tag[3].Value != "" || tag[3].Null {
					t.Errorf("TAG %+v", tag)
				}
				if b := jfield(e, "BIG"); len(b) != 1 || !b[0].Null {
					t.Errorf("BIG %+v", b)
				}
				if f := jfield(e, "E"); len(f) != 1 || f[0].Value != "" {
					t.Errorf("E %+v", f)
				}
			}},
		{name: "escapes", in: `{"MESSAGE":"a\u00e9\n\"\\\t\u0000\ud83c\udfa5\ud800x\/"}` + "\n", rows: 1, check: func(t *testing.T, rs []*forensics.JournalEntry) {
			if m := rs[0].Message; m != "aé\n\"\\\t\x00🎥\uFFFDx/" {
				t.Errorf("%q", m)
			}
		}},
		{name: "json-seq and BOM", in: "\xef\xbb\xbf\x1e" + entry + "\n\x1e" + entry + "\n", rows: 2},
		{name: "blank lines", in: "\n\n" + entry + "\n\n" + entry + "\n\n", rows: 2},
		{name: "only blank lines", in: "\n \n", rows: 0, rejects: []string{"blank line", "blank line"}},
		{name: "not objects", in: "[1,2]\n\"x\"\n42\nnull\n" + entry + "\n", rows: 1,
			rejects: []string{"not a JSON object", "not a JSON object", "not a JSON object", "not a JSON object"}},
		{name: "cut and garbage", in: `{"MESSAGE":"x"` + "\n" + `{"MESSAGE":"x"} trailing` + "\n" + `{"MESSAGE":"x",}` + "\n" + `{"MESSAGE":"x` + "\n", rows: 0,
			rejects: []string{"cut short", "after the object", "field name", "not closed"}},
		{name: "not a journal entry", in: "{}\n" + `{"level":"info","msg":"x"}` + "\n", rows: 0,
			rejects: []string{"not a journal entry", "not a journal entry"}},
		{name: "odd values kept as JSON text", in: `{"MESSAGE":"m","N":5,"B":true,"O":{"a":[1]}}` + "\n", rows: 1, check: func(t *testing.T, rs []*forensics.JournalEntry) {
			if n, o := jfield(rs[0], "N"), jfield(rs[0], "O"); len(n) != 1 || n[0].Value != "5" || len(o) != 1 || o[0].Value != `{"a":[1]}` {
				t.Errorf("%+v", rs[0].Fields)
			}
		}},
		{name: "bad byte arrays", in: `{"MESSAGE":[1,300]}` + "\n" + `{"MESSAGE":[1,"a"]}` + "\n", rows: 0,
			rejects: []string{"byte value", "byte value"}},
		{name: "bad column values stay in fields", in: `{"MESSAGE":"m","PRIORITY":"9","_PID":"0042","__REALTIME_TIMESTAMP":"soon"}` + "\n", rows: 1,
			check: func(t *testing.T, rs []*forensics.JournalEntry) {
				e := rs[0]
				if e.Priority != -1 || e.PID != 0 || !e.TS.IsZero() || len(e.Fields) != 3 {
					t.Errorf("%+v", e)
				}
			}},
	})
}

func TestJournalExportReader(t *testing.T) {
	head := "__CURSOR=s=1;i=2\n__REALTIME_TIMESTAMP=1795701731532000\n__MONOTONIC_TIMESTAMP=5000000\n_BOOT_ID=ab\n"
	entry := head + "PRIORITY=6\nMESSAGE=hello\n\n"
	runJournalCases(t, JournalExport{}, []journalCase{
		{name: "entries", in: entry + entry, rows: 2, check: func(t *testing.T, rs []*forensics.JournalEntry) {
			if e := rs[1]; e.Message != "hello" || e.Priority != 6 || e.LineNo != 8 || e.Cursor != "s=1;i=2" || len(e.Fields) != 0 {
				t.Errorf("%+v", e)
			}
		}},
		{name: "no final blank line or newline", in: entry + head + "MESSAGE=last", rows: 2},
		{name: "blank lines around", in: "\n\n" + entry + "\n\n" + entry + "\n", rows: 2},
		{name: "binary fields", in: head + bin("MESSAGE", "line 1\nline 2\n") + bin("RAW", "\xff\x00\n\n") + "AFTER=x\n\n" + entry, rows: 2,
			check: func(t *testing.T, rs []*forensics.JournalEntry) {
				e := rs[0]
				if e.Message != "line 1\nline 2\n" || len(jfield(e, "RAW")) != 1 || jfield(e, "RAW")[0].Value != "\xff\x00\n\n" || len(jfield(e, "AFTER")) != 1 {
					t.Errorf("%+v", e)
				}
			}},
		{name: "length with a newline byte", in: head + bin("MESSAGE", "0123456789") + "\n" + entry, rows: 2},
		{name: "repeated and empty values", in: head + "MESSAGE=m\nTAG=a\nTAG=b\nEMPTY=\nEQ=a=b\n\n", rows: 1, check: func(t *testing.T, rs []*forensics.JournalEntry) {
			if tag, eq := jfield(rs[0], "TAG"), jfield(rs[0], "EQ"); len(tag) != 2 || tag[1].Value != "b" || len(jfield(rs[0], "EMPTY")) != 1 || eq[0].Value != "a=b" {
				t.Errorf("%+v", rs[0].Fields)
			}
		}},
		{name: "cut inside a binary field", in: entry + head + "MESSAGE\n\x00\x10\x00\x00\x00\x00\x00\x00only part", rows: 1,
			rejects: []string{"ends inside binary field MESSAGE (9 of 4096 bytes)", "", "", "", "", ""}},
		{name: "cut inside the length", in: entry + "MESSAGE\n\x05\x00", rows: 1, rejects: []string{"inside the length", "inside the length"}},
		{name: "cut after a name", in: entry + "__REALTIME_TIMESTAMP=1\nMESSAGE", rows: 1, rejects: []string{"after the name", "after the name"}},
		{name: "bad lines in an entry", in: head + "hello world\n=x\nMESSAGE=kept\n\n", rows: 1,
			rejects: []string{"neither KEY=value", "no name"}, check: func(t *testing.T, rs []*forensics.JournalEntry) {
				if rs[0].Message != "kept" {
					t.Errorf("%+v", rs[0])
				}
			}},
		{name: "wrong length, then the next entry", in: head + "MESSAGE\n\x02\x00\x00\x00\x00\x00\x00\x00abc\nX=1\n\n" + entry, rows: 1,
			rejects: []string{"no newline after", "", "", "", "", "", "", ""}},
		{name: "not a journal entry", in: "FOO=bar\n\n" + entry, rows: 1, rejects: []string{"not a journal entry", ""}},
		{name: "only garbage", in: "hello\nworld", rows: 0, rejects: []string{"no journal field", "no journal field"}},
	})
}

func TestJournalSniff(t *testing.T) {
	var exp bytes.Buffer
	writeExport(&exp, corpus("a")[:5])
	tests := []struct {
		name, content, kind string
	}{
		{"journal file", "LPKSHHRH\x02\x00\x00\x00\x00\x00\x00\x00" + strings.Repeat("\x00", 200), "journal"},
		{"json dump", `{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1","MESSAGE":"x"}` + "\n", "journal-json"},
		{"json dump, other key order", `{"MESSAGE":"x","_BOOT_ID":"a","__REALTIME_TIMESTAMP":"1"}` + "\n", "journal-json"},
		{"export dump", "__CURSOR=s=1\n__REALTIME_TIMESTAMP=1\nMESSAGE=x\n\n", "journal-export"},
		{"hand-made export stream", exp.String(), "journal-export"},
		{"binary-heavy export", "__REALTIME_TIMESTAMP=1\n" + strings.Repeat(bin("MESSAGE", "\x00\x01\x02\x03\x04\x05")+"\n", 50), "journal-export"},
		{"env file is not a journal", "PATH=/usr/bin\nHOME=/root\n", "text"},
		{"app json log is not a journal", `{"timestamp": "2026-11-20T14:02:11.532Z", "level": "error", "logger": "x", "message": "m"}` + "\n", "applog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, why := pick(Readers(), newSample("x", []byte(tt.content), true))
			if rd == nil || rd.Kind() != tt.kind {
				t.Errorf("picked %v (%s), want %s", rd, why, tt.kind)
			}
		})
	}
}

// TestJournalTestdata keeps testdata/journal (the corpus as export
// streams, which the end-to-end tests feed to systemd-journal-remote) in
// step with the corpus: go test ./ingest -run TestJournalTestdata -update-journal.
func TestJournalTestdata(t *testing.T) {
	for _, boot := range []string{"a", "b"} {
		var b bytes.Buffer
		if err := writeExport(&b, corpus(boot)); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join("testdata", "journal", "boot-"+boot+".export")
		if *updateJournal {
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		have, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(have, b.Bytes()) {
			t.Errorf("%s is not the corpus (%v): run go test ./ingest -run TestJournalTestdata -update-journal", p, err)
		}
	}
}

// TestWriteJournalBench writes the benchmark's export stream when asked
// (scripts/bench-journal.sh): go test ./ingest -run TestWriteJournalBench
// -args -journal-bench-out FILE -journal-bench-entries N.
func TestWriteJournalBench(t *testing.T) {
	if *benchOut == "" {
		t.Skip("no -journal-bench-out")
	}
	f, err := os.Create(*benchOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for n := 0; n < *benchEntries; n += 10000 {
		if err := writeExport(f, benchCorpus(min(10000, *benchEntries-n), int64(n))); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzJournalJSON(f *testing.F) {
	fuzzReader(f, JournalJSON{},
		`{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1795701731532000","MESSAGE":"x","PRIORITY":"3"}`+"\n",
		`{"MESSAGE":[104,105,255],"TAG":["a",[255],null],"BIG":null}`+"\n\n",
		`{"MESSAGE":"\ud83c\udfa5\u0000\n"}`+"\n[1]\n{}\n",
		"\xef\xbb\xbf\x1e{\"MESSAGE\":\"m\",\"N\":{\"a\":[1,{\"b\":null}]}}")
}

func FuzzJournalExport(f *testing.F) {
	var exp bytes.Buffer
	writeExport(&exp, corpus("a")[:8])
	fuzzReader(f, JournalExport{},
		"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1\nMESSAGE=x\n\n",
		"__REALTIME_TIMESTAMP=1\n"+bin("MESSAGE", "a\nb")+"X=1\n\n\n",
		"MESSAGE\n\x05\x00\x00\x00\x00\x00\x00\x00ab",
		"hello\n=x\nMESSAGE\n",
		exp.String())
}

func BenchmarkJournalExport(b *testing.B) {
	var exp bytes.Buffer
	writeExport(&exp, benchCorpus(20000, 0))
	benchJournalDump(b, JournalExport{}, exp.String())
}

func BenchmarkJournalJSON(b *testing.B) {
	// what journalctl -o json would print for the corpus
	var sb strings.Builder
	for _, e := range benchCorpus(20000, 0) {
		sb.WriteByte('{')
		for i, f := range e {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.Write(appendJSONTest(nil, f.k))
			sb.WriteByte(':')
			sb.Write(appendJSONTest(nil, f.v))
		}
		sb.WriteString("}\n")
	}
	benchJournalDump(b, JournalJSON{}, sb.String())
}

func appendJSONTest(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r < 0x20:
			dst = append(dst, []byte(`\u00`+string("0123456789abcdef"[r>>4])+string("0123456789abcdef"[r&15]))...)
		default:
			dst = append(dst, string(r)...)
		}
	}
	return append(dst, '"')
}

func benchJournalDump(b *testing.B, rd Reader, text string) {
	b.SetBytes(int64(len(text)))
	n := 0
	for i := 0; i < b.N; i++ {
		m, _ := readString(b, rd, text)
		n += len(m.rows)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
}
