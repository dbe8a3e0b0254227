package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeResponderCase lays out what responders bring home: shell
// histories in three formats (one with junk in it), a script session, and
// saved outputs of nvidia-smi, df, free, docker-compose ps and docker stats.
func writeResponderCase(t *testing.T, dir string) string {
	t.Helper()
	c := filepath.Join(dir, "case")
	smi, err := os.ReadFile(filepath.Join("..", "..", "ingest", "testdata", "responders", "nvidia-smi-550.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cut, err := os.ReadFile(filepath.Join("..", "..", "ingest", "testdata", "responders", "nvidia-smi-cut.txt"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"history/dave@gpu-host-1.bash_history": "#1795183541\nvid-bench runs list --status failed\n" +
			"#1795183565\nnvidia-smi\n" +
			"#1795184480\nsudo vid-bench maintenance-mode enable\n" +
			"#1795184525\nvid-bench config set max_batch_size 1\n" +
			"#1795184621\nvid-bench maintenance-mode disable\n",
		"history/erin@gpu-host-2.zsh_history": ": 1795183600:0;docker compose ps\n" +
			": 1795183620:2;docker compose restart benchmark\n",
		"history/frank@gpu-host-1.bash_history": "df -h\nrm -rf /data/models/cache/*\n",
		"history/bob@gpu-host-1.bash_history":   "#1795183541\nls\n\x00\x01\x02\x03\x04 junk\n#17951835x1\n#1795183550\ndocker system prune -f\n",
		"sessions/dave-1405.log": "Script started on 2026-11-20 14:05:11+00:00 [TERM=\"xterm-256color\" TTY=\"/dev/pts/0\"]\r\n" +
			"\x1b[?2004hdave@gpu-host-1:~$ free -h\r\n" +
			"\x1b[?2004l\r               total        used        free      shared  buff/cache   available\r\n" +
			"Mem:           503Gi        71Gi       4.1Gi        12Mi       428Gi       429Gi\r\n" +
			"Swap:          8.0Gi       1.2Gi       6.8Gi\r\n" +
			"\x1b[?2004hdave@gpu-host-1:~$ psql -c \"SELECT pg_terminate_backend(311)\"\r\n" +
			"\x1b[?2004l\r pg_terminate_backend \r\n----------------------\r\n t\r\n(1 row)\r\n\r\n" +
			"\x1b[?2004hdave@gpu-host-1:~$ exit\r\n" +
			"Script done on 2026-11-20 14:31:02+00:00 [COMMAND_EXIT_CODE=\"0\"]\r\n",
		"captures/nvidia-smi-20261120T140605Z.txt": string(smi),
		"captures/nvidia-smi-cut.txt":              string(cut), // a table cut in the middle of GPU 2
		"captures/gpu-mem.csv": "timestamp, index, memory.used [MiB], memory.total [MiB], utilization.gpu [%]\n" +
			"2026/11/20 14:15:10.412, 0, 43600 MiB, 81559 MiB, 92 %\n" +
			"2026/11/20 14:15:10.415, 1, 49247 MiB, 81559 MiB, 80 %\n" +
			"2026/11/20 14:15:15.41",
		"captures/state.txt": "Fri Nov 20 14:08:20 UTC 2026\n$ df -h\n" +
			"Filesystem      Size  Used Avail Use% Mounted on\n" +
			"/dev/nvme0n1p2  1.8T  1.7T   42G  98% /\n" +
			"/dev/md0         14T  9.1T  4.3T  68% /data\n" +
			"\n$ docker-compose ps\n" +
			"        Name                      Command               State                    Ports\n" +
			"--------------------------------------------------------------------------------------------------------\n" +
			"vid-bench_benchmark_1   python -m vid_bench.api -- ...   Up      0.0.0.0:8000->8000/tcp\n" +
			"vid-bench_worker_1      python -m vid_bench.worker       Exit 137\n" +
			"\n$ docker stats --no-stream\n" +
			"CONTAINER ID   NAME                    CPU %     MEM USAGE / LIMIT    MEM %    NET I/O         BLOCK I/O        PIDS\n" +
			"3f1c2a9b8d7e   vid-bench-benchmark-1   312.45%   61.2GiB / 503.8GiB   12.15%   1.2GB / 845MB   2.1GB / 12.3MB   87\n",
		"captures/compose-ps-1409.txt": "NAME                    IMAGE             COMMAND                  SERVICE     CREATED       STATUS                     PORTS\n" +
			"vid-bench-benchmark-1   vid-bench:2.4.1   \"python -m vid_bench…\"   benchmark   3 hours ago   Restarting (1) 2 seconds ago\n",
	}
	for name, text := range files {
		p := filepath.Join(c, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestRespondersEndToEnd(t *testing.T) {
	dir := t.TempDir()
	c := writeResponderCase(t, dir)
	before := manifest(t, c)
	must(t, dir, "ingest", "case", "--db", "r.duckdb")
	if after := manifest(t, c); after != before {
		t.Fatal("ingest changed the evidence")
	}
	kinds := must(t, dir, "query", "--db", "r.duckdb", "--format", "csv",
		"SELECT replace(path, 'case/', '') || '=' || kind FROM sources ORDER BY path")
	for _, want := range []string{
		"captures/compose-ps-1409.txt=capture", "captures/gpu-mem.csv=capture", "captures/nvidia-smi-20261120T140605Z.txt=capture", "captures/nvidia-smi-cut.txt=capture",
		"captures/state.txt=capture", "history/bob@gpu-host-1.bash_history=history", "history/dave@gpu-host-1.bash_history=history",
		"history/erin@gpu-host-2.zsh_history=history", "history/frank@gpu-host-1.bash_history=history", "sessions/dave-1405.log=script",
	} {
		if !strings.Contains(kinds, want+"\n") {
			t.Errorf("kind: want %s in\n%s", want, kinds)
		}
	}
	db := "r.duckdb"
	for sql, want := range map[string]int64{
		// accounting: every line is a row, part of a row, or a reject
		"SELECT count(*) FROM sources WHERE lines <> rows + continuations + rejects + filtered": 0,
		"SELECT count(*) FROM commands": 5 + 2 + 2 + 2 + 3,
		// by meaning
		"SELECT count(*) FROM commands WHERE action = 'maintenance_mode'":                                    2,
		"SELECT count(*) FROM commands WHERE action = 'config_change' AND target = 'max_batch_size=1'":       1,
		"SELECT count(*) FROM commands WHERE action = 'restart' AND service = 'benchmark' AND shell = 'zsh'": 1,
		"SELECT count(*) FROM commands WHERE action = 'cache_clear' AND ts IS NULL AND user = 'frank'":       1,
		"SELECT count(*) FROM commands WHERE action = 'cleanup' AND command = 'docker system prune -f'":      1,
		"SELECT count(*) FROM commands WHERE action = 'kill_query' AND shell = 'script' AND NOT ts_exact":    1,
		"SELECT count(*) FROM commands WHERE action = 'look_only'":                                           7,
		"SELECT count(*) FROM commands WHERE (attrs->>'sudo')::BOOLEAN":                                      1,
		"SELECT count(*) FROM commands WHERE user = 'dave' AND host = 'gpu-host-1'":                          8,
		"SELECT epoch(ts)::BIGINT FROM commands WHERE command = 'vid-bench config set max_batch_size 1'":     1795184525,
		"SELECT count(*) FROM commands WHERE shell = 'sh' OR (user = 'frank' AND ts IS NOT NULL)":            0,
		// plain history keeps the order by line
		"SELECT count(*) FROM commands WHERE user = 'frank' AND ((line_no = 1 AND command = 'df -h') OR (line_no = 2 AND command LIKE 'rm %'))": 2,
		// the junk history: junk and the broken stamp rejected, the rest kept
		"SELECT count(*) FROM rejects r JOIN sources s ON s.id = r.source_id WHERE s.path LIKE '%bob@%'": 2,
		"SELECT count(*) FROM rejects WHERE reason LIKE 'not a shell command%'":                          1,
		"SELECT count(*) FROM rejects WHERE reason LIKE 'malformed history time stamp%'":                 1,
		"SELECT count(*) FROM rejects WHERE reason LIKE 'nvidia-smi CSV row has%'":                       1,
		// commands in events: actions and looks told apart
		"SELECT count(*) FROM events WHERE source = 'commands'":                                                                 12,
		"SELECT count(*) FROM events WHERE kind = 'command_look_only'":                                                          6,
		"SELECT count(*) FROM events WHERE kind = 'command_config_change' AND ref LIKE 'commands:%'":                            1,
		"SELECT count(*) FROM events WHERE kind = 'command_maintenance_mode' AND text LIKE 'dave@gpu-host-1 $ sudo vid-bench%'": 1,
		// captures
		"SELECT count(*) FROM captures WHERE kind = 'gpu' AND tool = 'nvidia-smi'":                                           4 + 2,
		"SELECT count(*) FROM rejects WHERE reason = 'nvidia-smi table cut off: GPU line without its memory line'":           1,
		"SELECT count(*) FROM captures WHERE kind = 'gpu_process'":                                                           5,
		"SELECT count(*) FROM captures WHERE kind = 'gpu' AND tool = 'nvidia-smi-query'":                                     2,
		"SELECT count(*) FROM captures WHERE kind = 'filesystem' AND ts_source = 'date_line'":                                2,
		"SELECT count(*) FROM captures WHERE kind = 'memory' AND ts_source = 'session' AND host = 'gpu-host-1'":              1,
		"SELECT count(*) FROM captures WHERE kind = 'container' AND state = 'exited' AND (attrs->>'exit_code')::INT = 137":   1,
		"SELECT count(*) FROM captures WHERE kind = 'container' AND state = 'restarting' AND name = 'benchmark'":             1,
		"SELECT count(*) FROM captures WHERE kind = 'container_stats' AND util_pct = 312.45":                                 1,
		"SELECT count(*) FROM captures WHERE tool = 'nvidia-smi' AND ts = '2026-11-20 14:06:05+00' AND ts_source = 'output'": 9 + 2,
		// the metric view, with Prometheus names and units
		"SELECT max(value)::BIGINT FROM capture_metrics WHERE metric = 'DCGM_FI_DEV_FB_USED' AND gpu = 0 AND tool = 'nvidia-smi'":                         80495,
		"SELECT max(value)::BIGINT FROM capture_metrics WHERE metric = 'DCGM_FI_DEV_FB_FREE' AND gpu = 0 AND tool = 'nvidia-smi'":                         81559 - 80495,
		"SELECT count(*) FROM capture_metrics WHERE metric = 'DCGM_FI_DEV_FB_USED'":                                                                       6 + 2,
		"SELECT count(*) FROM capture_metrics WHERE metric = 'node_filesystem_avail_bytes' AND mountpoint = '/data' AND (labels->>'device') = '/dev/md0'": 1,
		"SELECT count(*) FROM capture_metrics WHERE metric = 'node_memory_MemAvailable_bytes' AND value = 429::BIGINT * 1024 * 1024 * 1024":               1,
		"SELECT count(*) FROM capture_metrics WHERE metric = 'container_memory_usage_bytes' AND container = 'vid-bench-benchmark-1'":                      1,
	} {
		if got := scalar(t, dir, db, sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	// forensics schema describes the new tables and views
	schema := must(t, dir, "schema", "--db", db)
	for _, want := range []string{"table commands", "table captures", "view capture_metrics", "view events_commands", "ts_exact", "DCGM_FI_DEV_FB_USED"} {
		if !strings.Contains(schema, want) {
			t.Errorf("schema lacks %q", want)
		}
	}
	// idempotent: the same case again adds nothing
	out := must(t, dir, "ingest", "case", "--db", db)
	if !strings.Contains(out, "Nothing new") {
		t.Errorf("second ingest:\n%s", out)
	}
	// a window keeps only the commands and captures inside it; widening adds the rest once
	must(t, dir, "ingest", "case", "--db", "w.duckdb", "--since", "2026-11-20T14:21:00Z", "--until", "2026-11-20T14:24:00Z")
	if got := scalar(t, dir, "w.duckdb", "SELECT count(*) FROM commands"); got != 3 {
		t.Errorf("commands in 14:21-14:24: %d, want 3 (maintenance on, config, maintenance off)", got)
	}
	must(t, dir, "ingest", "case", "--db", "w.duckdb")
	for _, tbl := range []string{"commands", "captures", "rejects"} {
		q := "SELECT count(*) FROM " + tbl
		if a, b := scalar(t, dir, "w.duckdb", q), scalar(t, dir, db, q); a != b {
			t.Errorf("%s: window then wide %d, at once %d", tbl, a, b)
		}
	}
}

// TestRespondersInFixture checks the responders' evidence of the bundled
// gpu-oom case: dave's commands in the timeline at the story's times, and
// the GPU memory he saw in the metric view.
func TestRespondersInFixture(t *testing.T) {
	root := repoRoot(t)
	db := filepath.Join(t.TempDir(), "gpu-oom.duckdb")
	must(t, root, "ingest", "fixtures/cases/gpu-oom", "--db", db)
	for sql, want := range map[string]int64{
		"SELECT count(*) FROM commands WHERE user = 'dave' AND host = 'gpu-host-1' AND ts_exact":                                             21,
		"SELECT count(*) FROM events WHERE source = 'commands' AND kind <> 'command_look_only'":                                              4,
		"SELECT epoch_ms(ts) FROM events WHERE kind = 'command_config_change'":                                                               1795183925000,
		"SELECT count(*) FROM events WHERE kind = 'command_maintenance_mode' AND ts IN ('2026-11-20 14:11:20+00', '2026-11-20 14:13:41+00')": 2,
		// the CLI call shows up in the app log within a second
		"SELECT count(*) FROM commands c JOIN logs l ON l.message LIKE 'Config updated by dave%' AND l.dup_of IS NULL AND l.ts - c.ts BETWEEN INTERVAL 0 SECOND AND INTERVAL 1 SECOND WHERE c.action = 'config_change'": 1,
		"SELECT count(*) FROM capture_metrics WHERE metric = 'DCGM_FI_DEV_FB_USED' AND ts = '2026-11-20 14:06:05+00' AND value > 79000":                                                                                 4,
		"SELECT count(*) FROM capture_metrics WHERE metric = 'DCGM_FI_DEV_FB_USED' AND ts > '2026-11-20 14:15:00+00' AND value < 60000":                                                                                 52,
		"SELECT count(*) FROM capture_metrics WHERE metric = 'node_filesystem_avail_bytes' AND mountpoint = '/data'":                                                                                                    1,
		"SELECT count(*) FROM rejects r JOIN sources s ON s.id = r.source_id WHERE s.kind IN ('history', 'capture')":                                                                                                    0,
	} {
		if got := scalar(t, root, db, sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
}
