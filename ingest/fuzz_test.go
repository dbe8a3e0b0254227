package ingest

import (
	"context"
	"os"
	"path/filepath"
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
		"2027/03/09 09:52:17 [error] 1123#1123: *884214 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.3.7\n2027/03/09 09:52:18 [crit] 1#1: x\n2027/03/09 09:52:19.5 [warn] 1#: *\n",
		"plain\nlines\n")
}

func FuzzNote(f *testing.F) {
	fuzzReader(f, Note{}, "# Notes\ntext\n", "")
}

func FuzzHistory(f *testing.F) {
	fuzzReader(f, History{},
		"#1795183541\nnvidia-smi\n#1795183600\nfor i in 1 2; do\n  echo $i\ndone\n",
		": 1795183541:0;docker compose ps\n: 1795183600:12;for g in 0 1; do\\\n  nvidia-smi\\\ndone\n",
		"ls\n#17951835x1\n\x00\x01junk\n#1795183541\n#1795183542\necho \"open quote\n",
		"cat <<EOF\nbody\nEOF\n: 1795\xff83541:0;x\n")
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"sudo docker-compose -f x.yml restart benchmark && vid-bench config set max_batch_size 1",
		`psql -c "SELECT pg_terminate_backend(pid)"`, "bash -c 'ssh h \"docker exec c rm -rf /cache/*\"'", "echo $(( ( 1 ) ))` ` \\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Classify(s)
		if m.Action == "" {
			t.Fatalf("no action for %q", s)
		}
	})
}

func FuzzCapture(f *testing.F) {
	for _, name := range []string{"nvidia-smi-550.txt", "nvidia-smi-525.txt", "nvidia-smi-cut.txt", "nvidia-smi-query.csv",
		"nvidia-smi-lost-gpu.txt", "nvidia-smi-no-driver.txt",
		"state-1408.txt", "compose-ps-v1.txt", "compose-ps-v2.txt", "docker-stats.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "responders", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	fuzzReader(f, Capture{}, "Every 1.0s: nvidia-smi    h: Fri Nov 20 14:06:02 2026\n\n| NVIDIA-SMI 1\n|=\n|  0 x | y |\n")
}

func FuzzScript(f *testing.F) {
	fuzzReader(f, Script{},
		"Script started on 2026-11-20 14:05:11+00:00 [TERM=\"xterm\"]\r\n\x1b[?2004hdave@h:~$ nvidia-smi\r\n\x1b[?2004l\rFri Nov 20 14:06:02 2026\r\n+-----------------------------------------+\r\n| NVIDIA-SMI 550\r\n",
		"Script started on Fri 20 Nov 2026 02:05:11 PM UTC\n[root@h ~]# df -h\nFilesystem Size Used Avail Use% Mounted on\n/dev/x 1G 1G 0 100% /\nScript done on x\n",
		"Script started on 2027-02-16 10:12:25+01:00 [TERM=\"xterm\"]\n[10:15:02] f@h:~$ sudo -u postgres psql vid_bench\nvid_bench=# SELECT now();\n              now\n-------------------------------\n 2027-02-16 10:21:12.804311+01\n(1 row)\n\nvid_bench=# CREATE INDEX\nvid_bench-# x ON y (z);\nvid_bench=*# \\q\n[2027-02-16 10:19:40] f@h:~$ date; exit\n")
}
