package ingest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestComposeTime checks which time a docker-compose line gets. The lines
// are from fixtures/blind/crashloop-nyc (host in New York, ingested with
// --tz America/New_York; the app logs local time, redis and postgres UTC)
// and made-up variants: with --timestamps docker's time decides, and the
// container's own time is used only when it is the same instant (the
// app's own stamp, kept so that the copy in the app's own log file is
// found as a duplicate); without --timestamps the own time is read in --tz.
func TestComposeTime(t *testing.T) {
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database")
	}
	tests := []struct {
		name     string
		tz       *time.Location
		line     string
		ts       string // the record's ts
		ownTS    string // attrs.own_ts when docker's time won; "" when the own time is the ts
		dockerTS string // attrs.docker_ts; "" without --timestamps
	}{
		{"app line, local time agrees with docker", nyc,
			"benchmark-1  | 2027-01-14T14:09:32.027000131Z 2027-01-14 09:09:32,027 INFO [vid_bench.app] Starting vid-bench 2027.1.3 (python 3.11.9, torch 2.5.1+cu124)",
			"2027-01-14T14:09:32.027Z", "", "2027-01-14T14:09:32.027000131Z"},
		{"redis logs UTC on a New York host: docker wins", nyc,
			"redis-1      | 2027-01-14T12:33:21.900000131Z 1:M 14 Jan 2027 12:33:21.900 * 100 changes in 300 seconds. Saving...",
			"2027-01-14T12:33:21.900000131Z", "2027-01-14T17:33:21.9Z", "2027-01-14T12:33:21.900000131Z"},
		{"redis in UTC ingested in UTC: the own time agrees", time.UTC,
			"redis-1      | 2027-01-14T12:33:21.900000131Z 1:M 14 Jan 2027 12:33:21.900 * 100 changes in 300 seconds. Saving...",
			"2027-01-14T12:33:21.9Z", "", "2027-01-14T12:33:21.900000131Z"},
		{"app line ingested without --tz: docker wins", time.UTC,
			"benchmark-1  | 2027-01-14T14:09:32.027000131Z 2027-01-14 09:09:32,027 INFO [vid_bench.app] Starting vid-bench 2027.1.3 (python 3.11.9, torch 2.5.1+cu124)",
			"2027-01-14T14:09:32.027000131Z", "2027-01-14T09:09:32.027Z", "2027-01-14T14:09:32.027000131Z"},
		{"postgres logs with its zone", nyc,
			"postgres-1   | 2027-01-14T12:31:17.300000131Z 2027-01-14 12:31:17.300 UTC [28] LOG:  checkpoint starting: time",
			"2027-01-14T12:31:17.3Z", "", "2027-01-14T12:31:17.300000131Z"},
		{"a line that waited in a buffered stdout", nyc,
			"benchmark-1  | 2027-01-14T14:12:40.000000131Z 2027-01-14 09:09:39,102 INFO [vid_bench.db] Connected to PostgreSQL postgres:5432/vid_bench (pool min=2 max=10)",
			"2027-01-14T14:09:39.102Z", "", "2027-01-14T14:12:40.000000131Z"},
		{"own time after docker's: not the same instant", nyc,
			"benchmark-1  | 2027-01-14T14:09:32.027000131Z 2027-01-14 09:10:32,027 INFO [vid_bench.app] Starting vid-bench",
			"2027-01-14T14:09:32.027000131Z", "2027-01-14T14:10:32.027Z", "2027-01-14T14:09:32.027000131Z"},
		{"no own time: docker's", nyc,
			"benchmark-1  | 2027-01-14T14:09:31.627000131Z INFO:     Started server process [1]",
			"2027-01-14T14:09:31.627000131Z", "", ""},
		{"without --timestamps: the own time in --tz", nyc,
			"benchmark-1  | 2027-01-14 09:09:32,027 INFO [vid_bench.app] Starting vid-bench 2027.1.3 (python 3.11.9, torch 2.5.1+cu124)",
			"2027-01-14T14:09:32.027Z", "", ""},
		{"redis without --timestamps: in --tz, nothing better to go by", nyc,
			"redis-1      | 1:M 14 Jan 2027 12:33:21.900 * 100 changes in 300 seconds. Saving...",
			"2027-01-14T17:33:21.9Z", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &memSink{}
			in := &Input{Path: "logs/docker-compose.log", R: strings.NewReader(tt.line + "\n"), TZ: tt.tz, Sink: m}
			if err := (Compose{}).Read(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if len(m.logs) != 1 || in.Stats.Rejects != 0 {
				t.Fatalf("%d records, rejects %q", len(m.logs), m.rejects)
			}
			r := m.logs[0]
			if !r.TS.Equal(ts(tt.ts)) {
				t.Errorf("ts %s, want %s", r.TS.Format(time.RFC3339Nano), tt.ts)
			}
			own, _ := r.Attrs["own_ts"].(string)
			docker, _ := r.Attrs["docker_ts"].(string)
			if own != tt.ownTS || docker != tt.dockerTS {
				t.Errorf("own_ts %q docker_ts %q, want %q %q", own, docker, tt.ownTS, tt.dockerTS)
			}
			if src, _ := r.Attrs["ts_source"].(string); (src == "docker") != (tt.ownTS != "") {
				t.Errorf("ts_source %q", src)
			}
		})
	}
}

// TestComposeTracebackKeepsRecordTime: the lines of a traceback fold into
// the record they follow, whichever time that record got.
func TestComposeTracebackKeepsRecordTime(t *testing.T) {
	in := "redis-1      | 2027-01-14T12:33:21.900000131Z 1:M 14 Jan 2027 12:33:21.900 # Error accepting a client connection\n" +
		"benchmark-1  | 2027-01-14T14:00:40.799390861Z 2027-01-14 09:00:40,799 CRITICAL [vid_bench.app] Startup failed: cannot lock the model cache\n" +
		"benchmark-1  | 2027-01-14T14:00:40.799391868Z Traceback (most recent call last):\n" +
		"benchmark-1  | 2027-01-14T14:00:40.799392875Z   File \"/usr/local/lib/python3.11/site-packages/starlette/routing.py\", line 693, in lifespan\n" +
		"benchmark-1  | 2027-01-14T14:00:40.799402945Z PermissionError: [Errno 13] Permission denied: '/data/models/cache/.lock'\n"
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database")
	}
	m := &memSink{}
	input := &Input{Path: "docker-compose.log", R: strings.NewReader(in), TZ: nyc, Sink: m}
	if err := (Compose{}).Read(context.Background(), input); err != nil {
		t.Fatal(err)
	}
	if len(m.logs) != 2 || input.Stats.Continuations != 3 || !input.Stats.Balanced() {
		t.Fatalf("%d records, stats %+v", len(m.logs), input.Stats)
	}
	for _, r := range m.logs {
		switch r.Service {
		case "benchmark":
			if !r.TS.Equal(ts("2027-01-14T14:00:40.799Z")) || r.Exception != "PermissionError: [Errno 13] Permission denied: '/data/models/cache/.lock'" || r.Lines != 4 {
				t.Errorf("benchmark: %+v", r)
			}
		case "redis":
			if !r.TS.Equal(ts("2027-01-14T12:33:21.900000131Z")) || r.Level != "WARNING" {
				t.Errorf("redis: %+v", r)
			}
		}
	}
}
