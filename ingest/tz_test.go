package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// firstTime returns the time of the first row a sink received, whatever
// its table.
func firstTime(m *memSink) (time.Time, bool) {
	switch {
	case len(m.logs) > 0:
		return m.logs[0].TS, true
	case len(m.http) > 0:
		return m.http[0].TS, true
	}
	for _, r := range m.rows {
		switch x := r.(type) {
		case *forensics.Command:
			return x.TS, true
		case *forensics.Capture:
			return x.TS, true
		case *forensics.PGRow:
			return x.SnapshotTS, true
		}
	}
	return time.Time{}, false
}

// TestZoneLessTimesUseTZ reads a zone-less time with every reader that
// reads times, in a case ingested with --tz America/New_York (the host
// zone of fixtures/blind/crashloop-nyc) or Europe/Berlin: a time without a
// zone is the host's local time and is read in --tz; a time with Z, an
// offset or a zone name is read as given.
func TestZoneLessTimesUseTZ(t *testing.T) {
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database")
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		name string
		rd   Reader
		path string
		tz   *time.Location
		text string
		want string
	}{
		// access log, JSON: nginx's $time_iso8601 without its offset
		{"access json zone-less", Access{}, "logs/nginx/access.json.log", nyc,
			`{"ts": "2027-01-14T08:30:00.008", "remote_addr": "10.0.6.3", "user": "grace", "method": "GET", "path": "/api/v1/leaderboard?model=opensora-1.2", "status": 200, "bytes": 4329, "response_time": 0.055, "user_agent": "Mozilla/5.0"}`,
			"2027-01-14T13:30:00.008Z"},
		{"access json zone-less, space", Access{}, "access.json.log", berlin,
			`{"time": "2027-02-16 09:00:01.250", "status": 200, "path": "/health"}`, "2027-02-16T08:00:01.25Z"},
		{"access json Z", Access{}, "access.json.log", nyc,
			`{"ts": "2027-01-14T13:30:00.008Z", "status": 200, "path": "/"}`, "2027-01-14T13:30:00.008Z"},
		{"access json offset", Access{}, "access.json.log", berlin,
			`{"ts": "2027-01-14T08:30:00.008-05:00", "status": 200, "path": "/"}`, "2027-01-14T13:30:00.008Z"},
		{"access json time_local", Access{}, "access.json.log", berlin,
			`{"time_local": "14/Jan/2027:08:30:00 -0500", "status": 200, "path": "/"}`, "2027-01-14T13:30:00Z"},
		{"access json epoch", Access{}, "access.json.log", nyc,
			`{"ts": 1799933400008, "status": 200, "path": "/"}`, "2027-01-14T13:30:00.008Z"},
		{"access combined carries its offset", Access{}, "logs/vid-bench/access.log", nyc,
			`10.0.3.7 - alice [16/Feb/2027:09:00:01 +0100] "POST /api/v1/auth/token HTTP/1.1" 200 656 "-" "python-requests/2.31.0" response_time=0.058`,
			"2027-02-16T08:00:01Z"},
		// app log
		{"applog zone-less", AppLog{}, "logs/vid-bench/benchmark.log", berlin,
			"2027-02-16 08:30:02,435 INFO [vid_bench.api] Queued benchmark run ee8da0a4 model=opensora-1.2 user=carol", "2027-02-16T07:30:02.435Z"},
		// compose without --timestamps: the container's own time in --tz
		{"compose inner zone-less", Compose{}, "logs/docker-compose.log", nyc,
			"benchmark-1  | 2027-01-14 07:37:28,893 INFO [vid_bench.runner] Run 131af609 completed in 218.9s", "2027-01-14T12:37:28.893Z"},
		{"compose inner redis zone-less", Compose{}, "logs/docker-compose.log", nyc,
			"redis-1      | 1:M 14 Jan 2027 07:33:21.900 * 100 changes in 300 seconds. Saving...", "2027-01-14T12:33:21.9Z"},
		{"compose inner postgres UTC", Compose{}, "logs/docker-compose.log", nyc,
			"postgres-1   | 2027-01-14 12:31:17.300 UTC [28] LOG:  checkpoint starting: time", "2027-01-14T12:31:17.3Z"},
		// generic text: ISO, nginx, syslog
		{"text ISO zone-less", Text{}, "misc.log", berlin, "2027-02-16 10:21:12 worker stalled", "2027-02-16T09:21:12Z"},
		{"text nginx error log", Text{}, "logs/nginx/error.log", berlin,
			`2027/03/09 09:52:17 [error] 1123#1123: *884214 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.3.7`,
			"2027-03-09T08:52:17Z"},
		{"text syslog", Text{}, "syslog", nyc, "Jan 14 09:00:31 api-east-1 dockerd[812]: container died", "2027-01-14T14:00:31Z"},
		// PostgreSQL snapshots: the snapshot_ts column, JSON, psql's C-locale title
		{"pg csv zone-less snapshot_ts", PGCSV{}, "pg/activity.csv", berlin,
			"snapshot_ts,pid,state,wait_event_type,wait_event,query\n2027-02-16 10:13:00.0048,52096,active,IO,DataFileRead,SELECT 1\n",
			"2027-02-16T09:13:00.0048Z"},
		{"pg csv snapshot_ts with offset", PGCSV{}, "pg/activity.csv", nyc,
			"snapshot_ts,pid,state,wait_event_type,wait_event,query\n2027-02-16 08:30:00.004800+01,52096,active,IO,DataFileRead,SELECT 1\n",
			"2027-02-16T07:30:00.0048Z"},
		{"pg json zone-less snapshot_ts", PGJSON{}, "pg/activity.json", berlin,
			`{"snapshot_ts":"2027-02-16T10:13:00.5","pid":52096,"state":"active","wait_event_type":"IO","wait_event":"DataFileRead","query":"SELECT 1"}`,
			"2027-02-16T09:13:00.5Z"},
		{"psql C-locale title", PSQL{}, "pg/activity-watch.txt", berlin,
			"                                               Tue Feb 16 10:13:00 2027 (every 10s)\n\n" +
				"  pid  | state  | wait_event_type |  wait_event  \n" +
				"-------+--------+-----------------+--------------\n" +
				" 52096 | active | IO              | DataFileRead\n" +
				"(1 row)\n\n",
			"2027-02-16T09:13:00Z"},
		{"pg file name zone-less", PGCSV{}, "pg/pg_stat_activity-2027-02-16_10-13-00.csv", berlin,
			"pid,state,wait_event_type,wait_event,query\n52096,active,IO,DataFileRead,SELECT 1\n", "2027-02-16T09:13:00Z"},
		// captures: a date line without a zone, a file name stamp without
		// one, nvidia-smi's CSV timestamp
		{"capture zone-less date line", Capture{}, "captures/free.txt", nyc,
			"Tue Mar  9 05:04:12 2027\n               total        used        free      shared  buff/cache   available\n" +
				"Mem:           251Gi        71Gi       158Gi       1.2Gi        22Gi       178Gi\nSwap:             0B          0B          0B\n",
			"2027-03-09T10:04:12Z"},
		{"capture date line with zone", Capture{}, "captures/free.txt", nyc,
			"Tue Mar  9 10:04:12 UTC 2027\n               total        used        free      shared  buff/cache   available\n" +
				"Mem:           251Gi        71Gi       158Gi       1.2Gi        22Gi       178Gi\n",
			"2027-03-09T10:04:12Z"},
		{"capture zone-less file name", Capture{}, "captures/oom-free-20270309-050412.txt", nyc,
			"               total        used        free      shared  buff/cache   available\n" +
				"Mem:           251Gi        71Gi       158Gi       1.2Gi        22Gi       178Gi\n",
			"2027-03-09T10:04:12Z"},
		{"capture nvidia-smi csv", Capture{}, "captures/gpu-mem.csv", berlin,
			"timestamp, index, memory.used [MiB], memory.total [MiB], utilization.gpu [%]\n2027/05/03 09:41:12.123, 0, 61240 MiB, 81559 MiB, 97 %\n",
			"2027-05-03T07:41:12.123Z"},
		// script: a header without a zone; one with its offset
		{"script zone-less header", Script{}, "captures/frank.typescript", berlin,
			"Script started on 2027-02-16 10:12:25 [TERM=\"screen-256color\"]\nfrank@db-fra-1:~$ uptime\n 10:12:27 up 41 days\n",
			"2027-02-16T09:12:25Z"},
		{"script header with offset", Script{}, "captures/frank.typescript", nyc,
			"Script started on 2027-02-16 10:12:25+01:00 [TERM=\"screen-256color\"]\nfrank@db-fra-1:~$ uptime\n 10:12:27 up 41 days\n",
			"2027-02-16T09:12:25Z"},
		{"script old header, zone name", Script{}, "captures/frank.typescript", nyc,
			"Script started on Tue 16 Feb 2027 10:12:25 AM CET\nfrank@db-fra-1:~$ uptime\n",
			"2027-02-16T09:12:25Z"},
		// history: epoch stamps carry no zone question
		{"bash history epoch", History{}, "history/frank@db-fra-1.bash_history", nyc,
			"#1802769151\nsudo -u postgres psql vid_bench\n", "2027-02-16T09:12:31Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &memSink{}
			text := tt.text
			if !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			in := &Input{Path: tt.path, R: strings.NewReader(text), TZ: tt.tz,
				Ref: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), Sink: m}
			if err := tt.rd.Read(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if !in.Stats.Balanced() || in.Stats.Rejects != 0 {
				t.Errorf("stats %+v, rejects %q", in.Stats, m.rejects)
			}
			got, ok := firstTime(m)
			if !ok {
				t.Fatalf("no row; rejects %q", m.rejects)
			}
			if want := ts(tt.want); !got.Equal(want) {
				t.Errorf("ts %s, want %s", got.UTC().Format(time.RFC3339Nano), tt.want)
			}
		})
	}
}
