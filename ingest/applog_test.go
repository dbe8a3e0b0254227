package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAppLogLayouts(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		rows    int
		rejects int
		first   forensics.LogRecord // fields compared: TS, Level, Logger, Message, Exception, Lines, Layout
		lastExc string
	}{
		{
			name: "bracket",
			in:   "2026-11-20 14:02:11,532 ERROR [vid_bench.runner] Benchmark run 8f3a21 failed on model svd-xt\n",
			rows: 1,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:11.532Z"), Level: "ERROR", Logger: "vid_bench.runner",
				Message: "Benchmark run 8f3a21 failed on model svd-xt", Lines: 1, Layout: "bracket"},
		},
		{
			name: "dash",
			in:   "2026-11-20 14:02:11,532 - vid_bench.runner - WARNING - queue depth 42\n",
			rows: 1,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:11.532Z"), Level: "WARNING", Logger: "vid_bench.runner",
				Message: "queue depth 42", Lines: 1, Layout: "dash"},
		},
		{
			name: "json with exc_info",
			in:   `{"timestamp": "2026-11-20T14:02:11.532Z", "level": "error", "logger": "vid_bench.runner", "message": "Benchmark run 8f3a21 failed", "run_id": "8f3a21", "exc_info": "Traceback (most recent call last):\n  File \"a.py\", line 1\nRuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"}` + "\n",
			rows: 1,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:11.532Z"), Level: "ERROR", Logger: "vid_bench.runner",
				Message: "Benchmark run 8f3a21 failed", Lines: 1, Layout: "json",
				Exception: "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"},
		},
		{
			name: "json alternative keys and offset",
			in:   `{"@timestamp": "2026-11-20T15:02:11.5+01:00", "levelname": "CRITICAL", "name": "vid_bench.api", "msg": "shutting down"}` + "\n",
			rows: 1,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:11.5Z"), Level: "CRITICAL", Logger: "vid_bench.api",
				Message: "shutting down", Lines: 1, Layout: "json"},
		},
		{
			name: "traceback at end of file without newline",
			in: "2026-11-20 14:02:11,532 ERROR [vid_bench.runner] run failed\nTraceback (most recent call last):\n  File \"/app/r.py\", line 3, in run\n    m(x)\n" +
				"torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.05 GiB is free.",
			rows: 1,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:11.532Z"), Level: "ERROR", Logger: "vid_bench.runner",
				Message: "run failed", Lines: 5, Layout: "bracket",
				Exception: "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.05 GiB is free."},
		},
		{
			name:  "CRLF line endings",
			in:    "2026-11-20 14:02:11,532 INFO [a] one\r\n2026-11-20 14:02:12,532 WARN [a] two\r\n",
			rows:  2,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:11.532Z"), Level: "INFO", Logger: "a", Message: "one", Lines: 1, Layout: "bracket"},
		},
		{
			name:    "continuation lines before the first record",
			in:      "  File \"x.py\", line 2\nValueError: bad\n2026-11-20 14:02:11,532 INFO [a] one\n",
			rows:    1,
			rejects: 2,
			first:   forensics.LogRecord{TS: ts("2026-11-20T14:02:11.532Z"), Level: "INFO", Logger: "a", Message: "one", Lines: 1, Layout: "bracket"},
		},
		{
			name: "invalid UTF-8 and NUL bytes",
			in:   "2026-11-20 14:02:11,532 ERROR [a] bad \xff\xfe bytes \x00 here\n",
			rows: 1,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:11.532Z"), Level: "ERROR", Logger: "a",
				Message: "bad \uFFFD bytes \x00 here", Lines: 1, Layout: "bracket"},
		},
		{
			name:  "out-of-order times are kept as they are",
			in:    "2026-11-20 14:02:12,000 INFO [a] later\n2026-11-20 14:02:11,000 INFO [a] earlier\n",
			rows:  2,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:12Z"), Level: "INFO", Logger: "a", Message: "later", Lines: 1, Layout: "bracket"},
		},
		{
			name: "chained exceptions keep the last",
			in: "2026-11-20 14:02:11,532 ERROR [db] query failed\nTraceback (most recent call last):\n  File \"a\", line 1\n" +
				"psycopg2.OperationalError: connection refused\n\nDuring handling of the above exception, another exception occurred:\n\n" +
				"Traceback (most recent call last):\n  File \"b\", line 2\nvid_bench.errors.DependencyError: database unavailable\n",
			rows: 1,
			first: forensics.LogRecord{TS: ts("2026-11-20T14:02:11.532Z"), Level: "ERROR", Logger: "db", Message: "query failed", Lines: 10, Layout: "bracket",
				Exception: "vid_bench.errors.DependencyError: database unavailable"},
		},
		{name: "empty file", in: "", rows: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, st := readString(t, AppLog{}, tt.in)
			if len(m.logs) != tt.rows || len(m.rejects) != tt.rejects {
				t.Fatalf("rows %d rejects %d (%v), want %d and %d", len(m.logs), len(m.rejects), m.rejects, tt.rows, tt.rejects)
			}
			if st.Lines != countLines(tt.in) {
				t.Errorf("lines %d, want %d", st.Lines, countLines(tt.in))
			}
			if tt.rows == 0 {
				return
			}
			g := m.logs[0]
			w := tt.first
			if !g.TS.Equal(w.TS) || g.Level != w.Level || g.Logger != w.Logger || g.Message != w.Message ||
				g.Exception != w.Exception || g.Lines != w.Lines || g.Layout != w.Layout {
				t.Errorf("got  %+v\nwant %+v", g, w)
			}
		})
	}
}

func TestAppLogZoneLessUsesTZ(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	var h head
	if !parseAppHead([]byte("2026-11-20 15:02:11,532 INFO [a] x"), loc, &h) {
		t.Fatal("not parsed")
	}
	if want := ts("2026-11-20T14:02:11.532Z"); !h.ts.Equal(want) {
		t.Errorf("got %v want %v", h.ts, want)
	}
}

func TestAppLogHugeLine(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	in := "2026-11-20 14:02:11,532 INFO [a] " + big + "\n2026-11-20 14:02:12,532 INFO [a] next\n"
	m, _ := readString(t, AppLog{}, in)
	if len(m.logs) != 2 || len(m.logs[0].Message) != len(big) || m.logs[1].Message != "next" {
		t.Fatalf("got %d rows, first message %d bytes", len(m.logs), len(m.logs[0].Message))
	}
}

func TestSniffPicksReader(t *testing.T) {
	tests := []struct {
		path, text, kind string
	}{
		{"a.log", "2026-11-20 14:02:11,532 ERROR [vid_bench.runner] x\n2026-11-20 14:02:11,532 INFO [vid_bench.runner] y\n", "applog"},
		{"weird-name.txt", "2026-11-20 14:02:11,532 - a - INFO - y\n", "applog"},
		{"x.log", `10.0.3.7 - alice [20/Nov/2026:14:02:11 +0000] "POST /api/v1/benchmarks HTTP/1.1" 200 512 "-" "python-requests/2.31.0" response_time=0.231` + "\n", "access"},
		{"x.json", `{"ts": "2026-11-20T14:02:11.231Z", "remote_addr": "10.0.3.7", "user": "alice", "method": "POST", "path": "/api/v1/benchmarks", "status": 200, "bytes": 512, "response_time": 0.231, "user_agent": "python-requests/2.31.0"}` + "\n", "access"},
		{"compose.txt", "benchmark_1  | 2026-11-20T14:02:11.532123456Z 2026-11-20 14:02:11,532 ERROR [a] x\npostgres_1   | 2026-11-20T14:02:12.001000000Z 2026-11-20 14:02:12.001 UTC [311] LOG:  checkpoint starting: time\n", "compose"},
		{"notes.md", "# What we did\nRestarted the benchmark container.\n", "note"},
		{"syslog", "Nov 20 14:02:11 gpu-host-1 kernel: Out of memory: Killed process 48211 (python3)\n", "text"},
		// PostgreSQL snapshots: the columns decide, not the name
		{"x.log", "snapshot_ts,pid,state,wait_event_type,query\n2026-11-20 14:05:00+00,20916,active,Lock,\"UPDATE jobs\"\n", "pg-csv"},
		{"a.csv", "snapshot_ts,locktype,database,relation,pid,mode,granted\n2026-11-20 14:05:00+00,relation,16384,16412,20916,AccessShareLock,f\n", "pg-csv"},
		{"a.json", `{"snapshot_ts":"2026-11-20T14:05:00+00:00","pid":20916,"state":"active","query":"UPDATE jobs","backend_type":"client backend"}` + "\n", "pg-json"},
		{"locks.txt", " locktype | pid  |      mode       | granted \n----------+------+-----------------+---------\n relation | 4242 | AccessShareLock | f\n(1 row)\n\n", "pg-psql"},
		{"watch.out", "   Fri Nov 20 14:05:00 2026 (every 5s)\n\n query | calls | mean_time \n-------+-------+-----------\n x     |     1 |       1.5\n(1 row)\n\n", "pg-psql"},
		{"unaligned.txt", "pid|state|query\n1|idle|SELECT 1\n(1 row)\n", "pg-csv"},
		{"counts.txt", " count \n-------\n    42\n(1 row)\n", "text"},
		// responders' evidence (history, script, capture)
		{"history/dave@gpu-host-1.bash_history", "#1795183541\nnvidia-smi\n#1795183600\nvid-bench config set max_batch_size 1\n", "history"},
		{"anything.txt", ": 1795183541:0;docker compose ps\n: 1795183600:3;nvidia-smi\n", "history"},
		{"history/frank@host.bash_history", "nvidia-smi\ndf -h\nsudo docker-compose restart benchmark\n", "history"},
		{"cmds.txt", "cd /srv/vid-bench\ndocker-compose ps\nnvidia-smi\ndocker-compose logs --tail=100\n", "history"},
		{"typescript", "Script started on 2026-11-20 14:05:11+00:00 [TERM=\"xterm\"]\ndave@gpu-host-1:~$ nvidia-smi\n", "script"},
		{"nvidia-smi-20261120T140512Z.txt", "Fri Nov 20 14:05:12 2026       \n+-----------------------------------------------------------------------------+\n| NVIDIA-SMI 525.85.12    Driver Version: 525.85.12    CUDA Version: 12.0     |\n|-------------------------------+----------------------+----------------------+\n|===============================+======================+======================|\n|   0  NVIDIA A100-SXM...  On   | 00000000:07:00.0 Off |                    0 |\n| N/A   34C    P0    62W / 400W |  80912MiB / 81920MiB |     99%      Default |\n+-------------------------------+----------------------+----------------------+\n", "capture"},
		{"gpu.csv", "timestamp, index, memory.used [MiB], memory.total [MiB], utilization.gpu [%]\n2026/11/20 14:05:12.345, 0, 79012 MiB, 81559 MiB, 100 %\n", "capture"},
		{"df.txt", "Filesystem      Size  Used Avail Use% Mounted on\n/dev/nvme0n1p2  1.8T  1.7T   42G  98% /\n", "capture"},
		{"free.txt", "               total        used        free      shared  buff/cache   available\nMem:           503Gi        71Gi       4.1Gi        12Mi       428Gi       429Gi\nSwap:          8.0Gi       1.2Gi       6.8Gi\n", "capture"},
		{"ps.txt", "NAME                    IMAGE             COMMAND                  SERVICE     CREATED       STATUS          PORTS\nvid-bench-benchmark-1   vid-bench:2.4.1   \"python -m vid_bench…\"   benchmark   3 hours ago   Up 24 seconds   0.0.0.0:8000->8000/tcp\n", "capture"},
		{"stats.txt", "CONTAINER ID   NAME                    CPU %     MEM USAGE / LIMIT    MEM %    NET I/O         BLOCK I/O        PIDS\n3f1c2a9b8d7e   vid-bench-benchmark-1   312.45%   61.2GiB / 503.8GiB   12.15%   1.2GB / 845MB   2.1GB / 12.3MB   87\n", "capture"},
		// a log that mentions commands is still a log
		{"b.log", "2026-11-20 14:11:20,204 WARNING [vid_bench.admin] maintenance mode enabled by dave\n2026-11-20 14:12:05,871 INFO [vid_bench.config] Config updated by dave: max_batch_size set to 1 (was 8)\n", "applog"},
		{"notes.md", "# Notes\n- 14:11 `vid-bench maintenance-mode enable`\n- 14:12 `vid-bench config set max_batch_size 1`\n", "note"},
	}
	for _, tt := range tests {
		s := newSample(tt.path, []byte(tt.text), true)
		r, why := pick(Readers(), s)
		if r == nil {
			t.Errorf("%s: no reader: %s", tt.path, why)
			continue
		}
		if r.Kind() != tt.kind {
			t.Errorf("%s: picked %s, want %s", tt.path, r.Kind(), tt.kind)
		}
	}
	if r, _ := pick(Readers(), newSample("x.bin", []byte("\x00\x01\x02\x03\x04\x05\x06\x07binary\x00\x00\x00"), true)); r != nil {
		t.Errorf("binary picked by %s", r.Kind())
	}
}

func TestRegistryHasNoDuplicates(t *testing.T) {
	if err := checkRegistry(Readers()); err != nil {
		t.Fatal(err)
	}
	if err := checkRegistry([]Reader{AppLog{}, AppLog{}}); err == nil {
		t.Fatal("duplicate not reported")
	}
}
