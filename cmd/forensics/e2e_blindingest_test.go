package main

import (
	"path/filepath"
	"testing"
)

// TestBlindCasesIngest ingests files of the blind cases in fixtures/blind
// (read in place; the case database goes to a temporary folder) through
// the binary, with the --tz each case was written for, and checks what
// the examiner found wrong with them: zone-less times in the JSON access
// log, docker-compose times, psql statements in a script session and the
// time each command rests on, nvidia-smi's lost GPU, the row count of a
// CSV with repeated headers, and nginx's error log.
func TestBlindCasesIngest(t *testing.T) {
	blind := filepath.Join("..", "..", "fixtures", "blind")
	type check struct {
		sql  string
		want int64
	}
	tests := []struct {
		name  string
		tz    string
		paths []string
		want  []check
	}{
		{
			name:  "crashloop-nyc: nginx JSON access log and docker-compose in New York time",
			tz:    "America/New_York",
			paths: []string{"crashloop-nyc/logs"},
			want: []check{
				{"SELECT count(*) FROM rejects", 0},
				// the first request of the file: 08:30:00.008 EST
				{"SELECT count(*) FROM http_requests WHERE ts = TIMESTAMPTZ '2027-01-14 13:30:00.008Z'", 1},
				// every 502 is in the outage (14:00:31-14:09:39Z) or the planned redeploy at 14:44Z
				{"SELECT count(*) FROM http_requests WHERE status = 502", 426},
				{"SELECT count(*) FROM http_requests WHERE status = 502 AND ts BETWEEN TIMESTAMPTZ '2027-01-14 14:00:30Z' AND TIMESTAMPTZ '2027-01-14 14:09:40Z'", 417},
				{"SELECT count(*) FROM http_requests WHERE status = 502 AND ts BETWEEN TIMESTAMPTZ '2027-01-14 14:44:00Z' AND TIMESTAMPTZ '2027-01-14 14:45:00Z'", 9},
				// redis logs UTC without a zone: docker's time wins, its own is kept
				{"SELECT count(*) FROM logs WHERE service = 'redis'", 126},
				{"SELECT count(*) FROM logs WHERE service = 'redis' AND (attrs->>'ts_source') = 'docker' AND (attrs->>'own_ts') IS NOT NULL", 126},
				// every compose record is within a millisecond of docker's time
				{"SELECT count(*) FROM logs l JOIN sources s ON s.id = l.source_id WHERE s.kind = 'compose' AND abs(epoch(l.ts) - epoch(CAST((l.attrs->>'docker_ts') AS TIMESTAMPTZ))) > 0.001", 0},
				{"SELECT count(*) FROM logs WHERE message LIKE 'Startup failed: cannot lock the model cache%' AND ts BETWEEN TIMESTAMPTZ '2027-01-14 14:00:40Z' AND TIMESTAMPTZ '2027-01-14 14:09:20Z'", 16},
			},
		},
		{
			name: "slow-query-berlin: psql in a script session, pg_stat_statements.csv",
			tz:   "Europe/Berlin",
			paths: []string{"slow-query-berlin/captures/frank-psql.typescript",
				"slow-query-berlin/pg/pg_stat_statements.csv"},
			want: []check{
				{"SELECT count(*) FROM rejects", 0},
				{"SELECT count(*) FROM commands", 9},
				{"SELECT count(*) FROM commands WHERE (attrs->>'prompt') = 'psql' AND (attrs->>'database') = 'vid_bench'", 7},
				{"SELECT count(*) FROM commands WHERE action = 'db_maintenance' AND ts = TIMESTAMPTZ '2027-02-16 09:21:12.804311Z' AND NOT ts_exact", 2},
				{"SELECT count(*) FROM commands WHERE command = 'SELECT now();' AND (attrs->>'ts_basis') = 'own_output' AND ts = TIMESTAMPTZ '2027-02-16 09:21:12.804311Z'", 1},
				{"SELECT count(*) FROM commands WHERE (attrs->>'ts_basis') = 'session_start' AND ts = TIMESTAMPTZ '2027-02-16 09:12:25Z'", 4},
				{"SELECT count(*) FROM events WHERE kind = 'command_db_maintenance'", 2},
				// 36 headers, one before each appended snapshot, are structure
				{"SELECT rows FROM sources WHERE kind = 'pg-csv'", 550},
				{"SELECT count(*) FROM pg_statements", 550},
				{"SELECT count(*) FROM pg_snapshots", 36},
				{"SELECT continuations FROM sources WHERE kind = 'pg-csv'", 36},
				{"SELECT count(*) FROM sources WHERE lines <> rows + continuations + rejects + filtered", 0},
			},
		},
		{
			name:  "host-oom-gunicorn: nginx error log, a session with one date",
			tz:    "UTC",
			paths: []string{"host-oom-gunicorn/logs/nginx/error.log", "host-oom-gunicorn/captures/alice-typescript"},
			want: []check{
				{"SELECT count(*) FROM rejects", 0},
				{"SELECT count(*) FROM logs WHERE logger = 'nginx' AND level = 'ERROR' AND ts IS NOT NULL", 41},
				{"SELECT count(*) FROM logs WHERE ts = TIMESTAMPTZ '2027-03-09 09:52:17Z' AND message LIKE 'connect() failed (111: Connection refused)%'", 2},
				{"SELECT count(*) FROM events e JOIN logs l ON e.ref = 'logs:' || l.id WHERE l.logger = 'nginx'", 41},
				{"SELECT count(*) FROM commands WHERE (attrs->>'ts_basis') = 'session_start'", 8},
				{"SELECT count(*) FROM commands WHERE command LIKE 'date; free -h%' AND ts = TIMESTAMPTZ '2027-03-09 10:04:12Z'", 1},
			},
		},
		{
			name:  "gpu-xid-night: a GPU that fell off the bus",
			tz:    "UTC",
			paths: []string{"gpu-xid-night/captures"},
			want: []check{
				{"SELECT count(*) FROM rejects", 0},
				{"SELECT count(*) FROM captures WHERE kind = 'gpu' AND state = 'lost' AND gpu = 2 AND (attrs->>'bus_id') = '0000:3B:00.0' AND ts = TIMESTAMPTZ '2027-05-03 07:41:12Z'", 1},
				{"SELECT count(*) FROM captures WHERE kind = 'gpu' AND state IS NULL", 3},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"ingest"}
			for _, p := range tt.paths {
				abs, err := filepath.Abs(filepath.Join(blind, p))
				if err != nil {
					t.Fatal(err)
				}
				args = append(args, abs)
			}
			args = append(args, "--tz", tt.tz, "--db", "case.duckdb", "--no-progress")
			must(t, dir, args...)
			for _, c := range tt.want {
				if got := scalar(t, dir, "case.duckdb", c.sql); got != c.want {
					t.Errorf("%s\n  = %d, want %d", c.sql, got, c.want)
				}
			}
		})
	}
}
