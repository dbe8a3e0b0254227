package ingest

import (
	"strings"
	"testing"
)

func TestAccessLayouts(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		ok     bool
		client string
		user   string
		method string
		path   string
		status int
		bytes  int64
		ua     string
		rt     float64
		ts     string
	}{
		{"combined with response_time", `10.0.3.7 - alice [20/Nov/2026:14:02:11 +0000] "POST /api/v1/benchmarks HTTP/1.1" 200 512 "-" "python-requests/2.31.0" response_time=0.231`,
			true, "10.0.3.7", "alice", "POST", "/api/v1/benchmarks", 200, 512, "python-requests/2.31.0", 0.231, "2026-11-20T14:02:11Z"},
		{"anonymous, offset zone, bare request time", `10.0.3.8 - - [20/Nov/2026:15:02:11 +0100] "GET /health HTTP/1.1" 503 0 "-" "docker-healthcheck" 5.002`,
			true, "10.0.3.8", "", "GET", "/health", 503, 0, "docker-healthcheck", 5.002, "2026-11-20T14:02:11Z"},
		{"bytes dash, no response time", `::1 - bob [20/Nov/2026:14:02:11 +0000] "GET /api/v1/models?x=1 HTTP/2.0" 304 - "https://x/" "Mozilla/5.0 (X11; \"quoted\")"`,
			true, "::1", "bob", "GET", "/api/v1/models?x=1", 304, 0, `Mozilla/5.0 (X11; \"quoted\")`, -1, "2026-11-20T14:02:11Z"},
		{"junk request line", `10.0.0.9 - - [20/Nov/2026:14:02:11 +0000] "\x16\x03\x01" 400 157 "-" "-"`,
			true, "10.0.0.9", "", "", `\x16\x03\x01`, 400, 157, "-", -1, "2026-11-20T14:02:11Z"},
		{"json", `{"ts": "2026-11-20T14:02:11.231Z", "remote_addr": "10.0.3.7", "user": "alice", "method": "POST", "path": "/api/v1/benchmarks", "status": 200, "bytes": 512, "response_time": 0.231, "user_agent": "python-requests/2.31.0"}`,
			true, "10.0.3.7", "alice", "POST", "/api/v1/benchmarks", 200, 512, "python-requests/2.31.0", 0.231, "2026-11-20T14:02:11.231Z"},
		{"json anonymous", `{"time": "2026-11-20T14:02:11Z", "client": "10.0.3.7", "user": "-", "request": "GET /health HTTP/1.1", "status": "502", "request_time": "1.5"}`,
			true, "10.0.3.7", "", "GET", "/health", 502, 0, "", 1.5, "2026-11-20T14:02:11Z"},
		{"garbage", `hello world`, false, "", "", "", "", 0, 0, "", 0, ""},
		{"bad status", `10.0.3.7 - alice [20/Nov/2026:14:02:11 +0000] "GET / HTTP/1.1" OK 512`, false, "", "", "", "", 0, 0, "", 0, ""},
		{"bad time", `10.0.3.7 - alice [20/Nov/2026 14:02:11] "GET / HTTP/1.1" 200 512`, false, "", "", "", "", 0, 0, "", 0, ""},
		{"json without status", `{"ts": "2026-11-20T14:02:11Z", "path": "/"}`, false, "", "", "", "", 0, 0, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, st := readString(t, Access{}, tt.line+"\n")
			if !tt.ok {
				if len(m.http) != 0 || st.Rejects != 1 {
					t.Fatalf("want a reject, got %d rows", len(m.http))
				}
				return
			}
			if len(m.http) != 1 {
				t.Fatalf("rejected: %v", m.rejects)
			}
			r := m.http[0]
			if r.Client != tt.client || r.User != tt.user || r.Method != tt.method || r.Path != tt.path || r.Status != tt.status ||
				r.Bytes != tt.bytes || r.UserAgent != tt.ua || r.ResponseTime != tt.rt || !r.TS.Equal(ts(tt.ts)) {
				t.Errorf("got %+v", r)
			}
			if tt.rt > 0 {
				if d := r.TS.Sub(r.StartedAt()).Seconds(); d < tt.rt-1e-6 || d > tt.rt+1e-6 {
					t.Errorf("started_at %v is not ts - %v", r.StartedAt(), tt.rt)
				}
			}
		})
	}
}

func TestComposeReader(t *testing.T) {
	in := "benchmark_1  | 2026-11-20T14:02:11.532123456Z 2026-11-20 14:02:11,532 ERROR [vid_bench.runner] Benchmark run 8f3a21 failed\n" +
		"postgres_1   | 2026-11-20T14:02:12.001000000Z 2026-11-20 14:02:12.001 UTC [311] FATAL:  sorry, too many clients already\n" +
		"benchmark_1  | 2026-11-20T14:02:11.532200000Z Traceback (most recent call last):\n" +
		"benchmark_1  | 2026-11-20T14:02:11.532300000Z   File \"/app/r.py\", line 3, in run\n" +
		"benchmark_1  | 2026-11-20T14:02:11.532400000Z torch.cuda.OutOfMemoryError: CUDA out of memory.\n" +
		"redis-1      | 2026-11-20T14:02:12.001000000Z 1:M 20 Nov 2026 14:02:12.001 * Background saving started by pid 19\n" +
		"benchmark-1  | INFO:     10.0.3.7:5123 - \"GET /health HTTP/1.1\" 200 OK\n" +
		"not a compose line\n" +
		"benchmark_1 exited with code 137\n"
	m, st := readString(t, Compose{}, in)
	if len(m.logs) != 5 || st.Rejects != 1 || st.Continuations != 3 {
		t.Fatalf("rows %d rejects %d conts %d: %+v", len(m.logs), st.Rejects, st.Continuations, m.logs)
	}
	byService := map[string]int{}
	for _, l := range m.logs {
		byService[l.Service]++
		switch l.Service {
		case "benchmark":
			if l.Layout == "bracket" && (l.Exception != "torch.cuda.OutOfMemoryError: CUDA out of memory." || !l.TS.Equal(ts("2026-11-20T14:02:11.532Z")) || l.Lines != 4) {
				t.Errorf("benchmark record: %+v", l)
			}
		case "postgres":
			if l.Level != "CRITICAL" || l.Message != "sorry, too many clients already" || l.Layout != "pg" {
				t.Errorf("postgres record: %+v", l)
			}
		case "redis":
			if l.Layout != "redis" || l.Message != "Background saving started by pid 19" {
				t.Errorf("redis record: %+v", l)
			}
		}
	}
	if byService["benchmark"] != 3 || byService["postgres"] != 1 || byService["redis"] != 1 {
		t.Errorf("services: %v", byService)
	}
}

func TestTextReader(t *testing.T) {
	t.Run("timed lines with continuations", func(t *testing.T) {
		in := "Nov 20 14:02:11 gpu-host-1 kernel: Out of memory: Killed process 48211 (python3)\n" +
			"   continuation of it\n" +
			"2026-11-20 14:02:12.001 UTC [311] ERROR:  canceling statement due to statement timeout\n" +
			"[20/Nov/2026:14:02:13 +0000] something warn happened\n" +
			"1795183333 epoch line ERROR\n"
		m, st := readString(t, Text{}, in)
		if len(m.logs) != 4 || st.Continuations != 1 {
			t.Fatalf("rows %d conts %d", len(m.logs), st.Continuations)
		}
		k := m.logs[0]
		if k.Logger != "kernel" || !k.TS.Equal(ts("2026-11-20T14:02:11Z")) || k.Message != "Out of memory: Killed process 48211 (python3)" {
			t.Errorf("syslog: %+v", k)
		}
		if m.logs[1].Level != "ERROR" || m.logs[1].Layout != "pg" {
			t.Errorf("pg: %+v", m.logs[1])
		}
		if m.logs[2].Level != "WARNING" {
			t.Errorf("apache-time line level: %+v", m.logs[2])
		}
		if m.logs[3].Level != "ERROR" || !m.logs[3].TS.Equal(ts("2026-11-20T14:02:13Z")) {
			t.Errorf("epoch: %+v", m.logs[3])
		}
	})
	t.Run("nginx error log", func(t *testing.T) {
		// the first line as in fixtures/blind/host-oom-gunicorn/logs/nginx/error.log
		tests := []struct {
			line, ts, level, msg, conn string
		}{
			{`2027/03/09 09:52:17 [error] 1123#1123: *884214 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.3.7, server: vid-bench.internal, request: "POST /api/v1/benchmarks HTTP/1.1", upstream: "http://127.0.0.1:8000/api/v1/benchmarks", host: "vid-bench.internal"`,
				"2027-03-09T09:52:17Z", "ERROR", `connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.3.7, server: vid-bench.internal, request: "POST /api/v1/benchmarks HTTP/1.1", upstream: "http://127.0.0.1:8000/api/v1/benchmarks", host: "vid-bench.internal"`, "884214"},
			{`2027/03/09 09:58:42 [warn] 1123#1123: *884390 an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, client: 10.0.3.7`,
				"2027-03-09T09:58:42Z", "WARNING", "an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, client: 10.0.3.7", "884390"},
			{`2027/03/09 10:00:01.250 [crit] 1123#1123: *1 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 10.0.9.9`,
				"2027-03-09T10:00:01.25Z", "CRITICAL", "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 10.0.9.9", "1"},
			{`2027/03/09 10:00:02 [alert] 1122#1122: worker process 1123 exited on signal 9`, "2027-03-09T10:00:02Z", "CRITICAL", "worker process 1123 exited on signal 9", ""},
			{`2027/03/09 10:00:03 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)`, "2027-03-09T10:00:03Z", "CRITICAL", "bind() to 0.0.0.0:80 failed (98: Address already in use)", ""},
			{`2027/03/09 10:00:04 [notice] 1#1: signal process started`, "2027-03-09T10:00:04Z", "INFO", "signal process started", ""},
			{`2027/03/09 10:00:05 [info] 1123#1123: *884500 client closed connection while waiting for request, client: 10.0.3.7, server: 0.0.0.0:80`, "2027-03-09T10:00:05Z", "INFO", "client closed connection while waiting for request, client: 10.0.3.7, server: 0.0.0.0:80", "884500"},
			{`2027/03/09 10:00:06 [debug] 1123#1123: *884501 http keepalive handler`, "2027-03-09T10:00:06Z", "DEBUG", "http keepalive handler", "884501"},
		}
		var text strings.Builder
		for _, tt := range tests {
			text.WriteString(tt.line + "\n")
		}
		m, st := readString(t, Text{}, text.String())
		if len(m.logs) != len(tests) || st.Rejects != 0 || st.Continuations != 0 {
			t.Fatalf("rows %d rejects %d conts %d", len(m.logs), st.Rejects, st.Continuations)
		}
		for i, tt := range tests {
			r := m.logs[i]
			if !r.TS.Equal(ts(tt.ts)) || string(r.Level) != tt.level || r.Message != tt.msg || r.Logger != "nginx" || r.Layout != "nginx" {
				t.Errorf("line %d: got %v %s %q %q %q", i+1, r.TS, r.Level, r.Message, r.Logger, r.Layout)
			}
			if got, _ := r.Attrs["connection"].(string); got != tt.conn {
				t.Errorf("line %d: connection %q, want %q", i+1, got, tt.conn)
			}
			if r.Attrs["pid"] == nil || r.Attrs["tid"] == nil {
				t.Errorf("line %d: attrs %v", i+1, r.Attrs)
			}
		}
	})
	t.Run("nginx-like lines that are not nginx's", func(t *testing.T) {
		// a bracket word that is no nginx level, and no pid#tid: the
		// time is still read, the rest stays the message
		m, _ := readString(t, Text{}, "2027/03/09 09:52:17 [upstream] something failed\n2027/03/09 09:52:18 [error] no worker id here\n")
		if len(m.logs) != 2 || m.logs[0].Layout != "text" || m.logs[1].Layout != "text" || m.logs[1].Level != "ERROR" || !m.logs[1].TS.Equal(ts("2027-03-09T09:52:18Z")) {
			t.Errorf("%+v", m.logs)
		}
	})
	t.Run("no times: a record per line", func(t *testing.T) {
		in := "first line\nsecond ERROR line\n\nfourth\n"
		m, st := readString(t, Text{}, in)
		if len(m.logs) != 4 || st.Lines != 4 {
			t.Fatalf("rows %d lines %d", len(m.logs), st.Lines)
		}
		if !m.logs[0].TS.IsZero() || m.logs[1].Level != "ERROR" {
			t.Errorf("%+v", m.logs)
		}
	})
	t.Run("syslog year from file time", func(t *testing.T) {
		// Ref is 2026-11-21: a December stamp must be the year before.
		m, _ := readString(t, Text{}, "Dec 31 23:59:59 h p: x\n")
		if m.logs[0].TS.Year() != 2025 {
			t.Errorf("year %d", m.logs[0].TS.Year())
		}
	})
}

func TestRotationOrder(t *testing.T) {
	fs := []file{{path: "l/x.log"}, {path: "l/x.log.1"}, {path: "l/x.log.2.gz"}, {path: "l/a.log"}, {path: "l/x.log.10.gz"}}
	sortRotated(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.path)
	}
	want := []string{"l/a.log", "l/x.log.10.gz", "l/x.log.2.gz", "l/x.log.1", "l/x.log"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
}

func TestParseISO(t *testing.T) {
	tests := []struct {
		in   string
		want string
		n    int
	}{
		{"2026-11-20 14:02:11,532 x", "2026-11-20T14:02:11.532Z", 23},
		{"2026-11-20T14:02:11.532123456Z x", "2026-11-20T14:02:11.532123456Z", 30},
		{"2026-11-20T16:02:11+02:00", "2026-11-20T14:02:11Z", 25},
		{"2026-11-20T13:02:11-0100", "2026-11-20T14:02:11Z", 24},
		{"2026-11-20 14:02:12.001 UTC [311]", "2026-11-20T14:02:12.001Z", 27},
	}
	for _, tt := range tests {
		got, n, _, ok := parseISO([]byte(tt.in), nil0())
		if !ok || !got.Equal(ts(tt.want)) || n != tt.n {
			t.Errorf("%q: %v %d %v, want %s %d", tt.in, got, n, ok, tt.want, tt.n)
		}
	}
	for _, bad := range []string{"2026-13-20 14:02:11", "2026-11-20", "20261120T140211", "2026-11-20 25:02:11", ""} {
		if _, _, _, ok := parseISO([]byte(bad), nil0()); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestComposeStatusLines: the lines compose prints itself are records, at
// the last time a line gave, not rejects.
func TestComposeStatusLines(t *testing.T) {
	in := "Attaching to vidbench_nginx_1, vidbench_benchmark_1\n" +
		"benchmark_1  | 2026-11-20T14:02:11.532123456Z 2026-11-20 14:02:11,532 INFO [vid_bench.api] up\n" +
		"Gracefully stopping... (press Ctrl+C again to force)\n" +
		"Stopping vidbench_benchmark_1 ... done\n" +
		"vidbench_benchmark_1 exited with code 137\n" +
		"Container vidbench-redis-1  Started\n" +
		"redis_1 exited with code 0\n" +
		"some stray line\n"
	m, st := readString(t, Compose{}, in)
	if st.Rejects != 1 || len(m.logs) != 7 {
		t.Fatalf("rows %d rejects %d: %+v", len(m.logs), st.Rejects, m.logs)
	}
	for _, l := range m.logs {
		if l.Layout != "compose-status" {
			continue
		}
		switch {
		case strings.HasPrefix(l.Message, "Attaching"):
			if !l.TS.IsZero() || l.Attrs["ts_source"] != "none" {
				t.Errorf("before any time: %+v", l)
			}
		case strings.Contains(l.Message, "code 137"):
			if l.Level != "WARNING" || l.Service != "benchmark" || !l.TS.Equal(ts("2026-11-20T14:02:11.532123456Z")) {
				t.Errorf("exit 137: %+v", l)
			}
		case strings.Contains(l.Message, "code 0"):
			if l.Level != "INFO" || l.Service != "redis" {
				t.Errorf("exit 0: %+v", l)
			}
		}
	}
}
