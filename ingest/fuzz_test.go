package ingest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// fuzzReader checks the invariants every reader keeps on any input: no
// panic, no error on in-memory input, and every line accounted for.
func fuzzReader(f *testing.F, rd Reader, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m := &memSink{}
		in := &Input{Path: "fuzz.log", R: strings.NewReader(text), TZ: time.UTC, Sink: m}
		if err := rd.Read(context.Background(), in); err != nil {
			t.Fatalf("read: %v", err)
		}
		if !in.Stats.Balanced() {
			t.Fatalf("unbalanced: %+v", in.Stats)
		}
		if rd.Kind() != "note" && in.Stats.Lines != countLines(text) {
			t.Fatalf("lines %d, want %d", in.Stats.Lines, countLines(text))
		}
		_ = rd.Sniff(newSample("fuzz.log", []byte(text), true))
	})
}

func FuzzAppLog(f *testing.F) {
	fuzzReader(f, AppLog{},
		"2026-11-20 14:02:11,532 ERROR [vid_bench.runner] x\nTraceback (most recent call last):\n  File \"a\"\nValueError: x\n",
		"2026-11-20 14:02:11,532 - a - INFO - y\r\n",
		`{"timestamp": "2026-11-20T14:02:11.532Z", "level": "error", "message": "m", "exc_info": "Traceback\nX: y"}`+"\n",
		"  orphan\n2026-11-20 14:02:11,532 INFO x\n")
}

func FuzzAccess(f *testing.F) {
	fuzzReader(f, Access{},
		`10.0.3.7 - alice [20/Nov/2026:14:02:11 +0000] "POST /api/v1/benchmarks HTTP/1.1" 200 512 "-" "python-requests/2.31.0" response_time=0.231`+"\n",
		`{"ts": "2026-11-20T14:02:11.231Z", "status": 200, "path": "/"}`+"\n",
		"garbage\n\n")
}

func FuzzCompose(f *testing.F) {
	fuzzReader(f, Compose{},
		"benchmark_1  | 2026-11-20T14:02:11.532123456Z 2026-11-20 14:02:11,532 ERROR [a] x\nbenchmark_1  | 2026-11-20T14:02:11.6Z   File \"x\"\n",
		"postgres-1 | 2026-11-20 14:02:12.001 UTC [311] LOG:  checkpoint starting: time\nredis_1 | 1:M 20 Nov 2026 14:02:12.001 * x\n")
}

func FuzzText(f *testing.F) {
	fuzzReader(f, Text{},
		"Nov 20 14:02:11 host kernel: Out of memory\n  more\n",
		"[20/Nov/2026:14:02:13 +0000] warn x\n1795183333 y\n",
		"plain\nlines\n")
}

func FuzzNote(f *testing.F) {
	fuzzReader(f, Note{}, "# Notes\ntext\n", "")
}
