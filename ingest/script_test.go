package ingest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

func TestScriptSessions(t *testing.T) {
	type want struct {
		line   int64
		ts     string
		exact  bool
		who    string
		cmd    string
		action string
		output string
	}
	tests := []struct {
		name, path, text string
		cmds             []want
		caps             []string // tool kind subject
		rejects          int
	}{
		{
			name: "util-linux 2.38 session with prompts, colours and captures",
			path: "sessions/dave-1405.log",
			text: "Script started on 2026-11-20 14:05:11+00:00 [TERM=\"xterm-256color\" TTY=\"/dev/pts/0\" COLUMNS=\"120\" LINES=\"40\"]\r\n" +
				"\x1b]0;dave@gpu-host-1: ~\x07\x1b[?2004h\x1b[01;32mdave@gpu-host-1\x1b[00m:\x1b[01;34m~\x1b[00m$ docker-compose ps\r\n" +
				"\x1b[?2004l\r      Name                    Command               State           Ports         \r\n" +
				"----------------------------------------------------------------------------------\r\n" +
				"vid-bench_benchmark_1   python -m vid_bench.api ...   Up      0.0.0.0:8000->8000/tcp\r\n" +
				"\x1b[?2004hdave@gpu-host-1:~$ date\r\n" +
				"\x1b[?2004l\rFri Nov 20 14:11:02 UTC 2026\r\n" +
				"\x1b[?2004hdave@gpu-host-1:~$ vid-bench maintenance-mode enable\r\n" +
				"\x1b[?2004l\rMaintenance mode enabled\r\n" +
				"\x1b[?2004hdave@gpu-host-1:~$ \r\n" +
				"\x1b[?2004hdave@gpu-host-1:~$ vid-bench config set max_batch_sz\b \b\b \bsize 1\r\n" +
				"\x1b[?2004l\rmax_batch_size: 8 -> 1\r\n" +
				"\x1b[?2004hdave@gpu-host-1:~$ exit\r\n" +
				"\x1b[?2004l\rexit\r\n" +
				"\r\n" +
				"Script done on 2026-11-20 14:31:02+00:00 [COMMAND_EXIT_CODE=\"0\"]\r\n",
			cmds: []want{
				{2, "2026-11-20T14:05:11Z", false, "dave@gpu-host-1", "docker-compose ps", forensics.ActionLookOnly, ""},
				// date printed when it ran
				{6, "2026-11-20T14:11:02Z", false, "dave@gpu-host-1", "date", forensics.ActionLookOnly, "Fri Nov 20 14:11:02 UTC 2026"},
				{8, "2026-11-20T14:11:02Z", false, "dave@gpu-host-1", "vid-bench maintenance-mode enable", forensics.ActionMaintenanceMode, "Maintenance mode enabled"},
				{11, "2026-11-20T14:11:02Z", false, "dave@gpu-host-1", "vid-bench config set max_batch_size 1", forensics.ActionConfigChange, "max_batch_size: 8 -> 1"},
				{13, "2026-11-20T14:11:02Z", false, "dave@gpu-host-1", "exit", forensics.ActionLookOnly, "exit"},
			},
			caps: []string{"docker-compose-ps container vid-bench_benchmark_1"},
		},
		{
			name: "old header, prompt times, RHEL prompt, multi-line command with PS2",
			path: "script.log",
			text: "Script started on Fri 20 Nov 2026 02:05:11 PM UTC\n" +
				"[14:06:00] [root@gpu-host-2 ~]# nvidia-smi --query-gpu=timestamp,index,memory.used,memory.total,utilization.gpu --format=csv\n" +
				"timestamp, index, memory.used [MiB], memory.total [MiB], utilization.gpu [%]\n" +
				"2026/11/20 14:06:01.123, 0, 80495 MiB, 81559 MiB, 100 %\n" +
				"[14:07:30] [root@gpu-host-2 ~]# psql -c \"SELECT pg_terminate_backend(pid)\n" +
				"> FROM pg_stat_activity WHERE state = 'active'\"\n" +
				" pg_terminate_backend \n" +
				"----------------------\n" +
				" t\n" +
				"(1 row)\n" +
				"\n" +
				"Script done on Fri 20 Nov 2026 02:31:02 PM UTC\n",
			cmds: []want{
				// its first sample's time, after the prompt's clock
				{2, "2026-11-20T14:06:01.123Z", false, "root@gpu-host-2", "nvidia-smi --query-gpu=timestamp,index,memory.used,memory.total,utilization.gpu --format=csv", forensics.ActionLookOnly, ""},
				{5, "2026-11-20T14:07:30Z", false, "root@gpu-host-2", "psql -c \"SELECT pg_terminate_backend(pid)\nFROM pg_stat_activity WHERE state = 'active'\"", forensics.ActionKillQuery, " pg_terminate_backend \n----------------------\n t\n(1 row)"},
			},
			caps: []string{"nvidia-smi-query gpu 0"},
		},
		{
			name: "script -c with one command",
			path: "sessions/dave@gpu-host-1.log",
			text: "Script started on 2026-11-20 14:06:05+00:00 [COMMAND=\"nvidia-smi --query-gpu=index,memory.used,memory.total --format=csv\" <not executed on terminal>]\n" +
				"index, memory.used [MiB], memory.total [MiB]\n" +
				"0, 80495 MiB, 81559 MiB\n" +
				"\n" +
				"Script done on 2026-11-20 14:06:06+00:00 [COMMAND_EXIT_CODE=\"0\"]\n",
			cmds: []want{
				{1, "2026-11-20T14:06:05Z", true, "dave@gpu-host-1", "nvidia-smi --query-gpu=index,memory.used,memory.total --format=csv", forensics.ActionLookOnly, ""},
			},
			caps: []string{"nvidia-smi-query gpu 0"},
		},
		{
			name:    "no prompt at all: rejected",
			path:    "s.log",
			text:    "Script started on 2026-11-20 14:05:11+00:00 [TERM=\"xterm\"]\nsome output\n%%% weird prompt >>> nvidia-smi\n",
			rejects: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if sc := (Script{}).Sniff(newSample(tt.path, []byte(tt.text), true)); sc < 95 {
				t.Errorf("sniff %d", sc)
			}
			m, st := readPath(t, Script{}, tt.path, tt.text)
			got := commands(m)
			if len(got) != len(tt.cmds) {
				for _, c := range got {
					t.Logf("%d %q", c.LineNo, c.Command)
				}
				t.Fatalf("%d commands, want %d; rejects %q", len(got), len(tt.cmds), m.rejects)
			}
			for i, w := range tt.cmds {
				c := got[i]
				ts, _ := time.Parse(time.RFC3339, w.ts)
				who := c.User + "@" + c.Host
				if c.LineNo != w.line || !c.TS.Equal(ts) || c.TSExact != w.exact || who != w.who || c.Command != w.cmd || c.Action != w.action || c.Output != w.output {
					t.Errorf("command %d:\n got %d %v %v %s %q %s %q\nwant %+v", i, c.LineNo, c.TS, c.TSExact, who, c.Command, c.Action, c.Output, w)
				}
				if c.Shell != "script" {
					t.Errorf("shell %q", c.Shell)
				}
			}
			var caps []string
			for _, c := range captures(m) {
				caps = append(caps, c.Tool+" "+c.Kind+" "+c.Subject)
			}
			if strings.Join(caps, "|") != strings.Join(tt.caps, "|") {
				t.Errorf("captures %q, want %q", caps, tt.caps)
			}
			if int(st.Rejects) != tt.rejects {
				t.Errorf("rejects %d %q, want %d", st.Rejects, m.rejects, tt.rejects)
			}
		})
	}
}

// TestRealScriptSession records a session with util-linux script around
// an interactive bash that runs date, df -h and free -h for real, and
// reads it back: the commands, and the df and free outputs as captures.
func TestRealScriptSession(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no util-linux script on this machine")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	for _, tool := range []string{"date", "df", "free"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("no %s", tool)
		}
		os.Symlink(p, filepath.Join(bin, tool))
	}
	log := filepath.Join(dir, "dave@gpu-host-1.script.log")
	cmd := exec.Command(scriptBin, "-q", "-c", bash+" --norc --noprofile -i", log)
	cmd.Env = []string{"PATH=" + bin, "HOME=" + dir, "TERM=xterm", "PS1=dave@gpu-host-1:~$ "}
	cmd.Stdin = strings.NewReader("date -u\ndf -h\nfree -h\nvid-bench config set max_batch_size 1\nexit\n")
	before := time.Now().Add(-2 * time.Second)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("script did not run here: %v %s", err, out)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if sc := (Script{}).Sniff(newSample(log, b, true)); sc < 95 {
		t.Fatalf("sniff %d:\n%s", sc, b)
	}
	m, st := readPath(t, Script{}, log, string(b))
	var got []string
	for _, c := range commands(m) {
		got = append(got, c.Command+" → "+c.Action)
		if c.TS.Before(before.Truncate(time.Second)) || c.User != "dave" || c.Host != "gpu-host-1" {
			t.Errorf("%q: ts %v user %q host %q", c.Command, c.TS, c.User, c.Host)
		}
	}
	want := []string{"date -u → look_only", "df -h → look_only", "free -h → look_only",
		"vid-bench config set max_batch_size 1 → config_change", "exit → look_only"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands\n%s\nwant\n%s\nlog:\n%q", strings.Join(got, "\n"), strings.Join(want, "\n"), b)
	}
	kinds := map[string]int{}
	for _, c := range captures(m) {
		kinds[c.Kind]++
		if c.Kind == "memory" && (c.Total <= 0 || c.Avail <= 0) {
			t.Errorf("memory row without numbers: %+v", c)
		}
		if c.TSSource != "session" && c.TSSource != "date_line" {
			t.Errorf("capture time source %q", c.TSSource)
		}
	}
	if kinds["filesystem"] == 0 || kinds["memory"] != 1 || kinds["swap"] != 1 {
		t.Errorf("captures from the session: %v", kinds)
	}
	if st.Rejects != 0 {
		t.Errorf("rejects %q", m.rejects)
	}
}

// TestScriptPsqlAndTimes checks the commands typed at psql's prompt inside
// a session and what each command's time rests on (attrs.ts_basis). The
// first two sessions are fixtures/blind/slow-query-berlin's and
// fixtures/blind/host-oom-gunicorn's typescripts, copied into testdata.
func TestScriptPsqlAndTimes(t *testing.T) {
	type want struct {
		line   int64
		ts     string
		basis  string // attrs.ts_basis
		db     string // attrs.database of a psql statement; "" for a shell command
		action string
		cmd    string
	}
	const (
		look   = forensics.ActionLookOnly
		dbm    = ActionDBMaintenance
		killQ  = forensics.ActionKillQuery
		config = forensics.ActionConfigChange
	)
	file := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "responders", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name, path, text string
		cmds             []want
	}{
		{
			name: "psql inside the session, now() printed before CREATE INDEX",
			path: "captures/frank-psql.typescript",
			text: file("frank-psql.typescript"),
			cmds: []want{
				{2, "2027-02-16T09:12:25Z", "session_start", "", look, "sudo -u postgres psql vid_bench"},
				{6, "2027-02-16T09:12:25Z", "session_start", "vid_bench", look, "SELECT pid, state, wait_event_type, wait_event, now() - query_start AS runtime, left(query, 60) AS query FROM pg_stat_activity WHERE state <> 'idle' ORDER BY runtime DESC LIMIT 6;"},
				{17, "2027-02-16T09:12:25Z", "session_start", "vid_bench", look, "SELECT queryid, calls, round(mean_exec_time::numeric, 1) AS mean_ms, round(total_exec_time::numeric) AS total_ms, left(query, 50) AS query FROM pg_stat_statements ORDER BY mean_exec_time DESC LIMIT 5;"},
				{27, "2027-02-16T09:12:25Z", "session_start", "vid_bench", look, `\d benchmark_results`},
				{41, "2027-02-16T09:21:12.804311Z", "own_output", "vid_bench", look, "SELECT now();"},
				{47, "2027-02-16T09:21:12.804311Z", "output_time", "vid_bench", dbm, "CREATE INDEX CONCURRENTLY benchmark_results_run_id_idx ON benchmark_results (run_id);"},
				{49, "2027-02-16T09:21:12.804311Z", "output_time", "vid_bench", dbm, "ANALYZE benchmark_results;"},
				{51, "2027-02-16T09:21:12.804311Z", "output_time", "vid_bench", look, `\q`},
				{52, "2027-02-16T09:21:12.804311Z", "output_time", "", look, "exit"},
			},
		},
		{
			name: "no time evidence until date: session start, marked so",
			path: "captures/alice-typescript",
			text: file("alice-typescript"),
			cmds: []want{
				{2, "2027-03-09T09:55:48Z", "session_start", "", look, "sudo systemctl status vid-bench"},
				{18, "2027-03-09T09:55:48Z", "session_start", "", look, "free -h"},
				{23, "2027-03-09T09:55:48Z", "session_start", "", look, `sudo dmesg -T | grep -i -B1 -A1 "out of memory"`},
				{28, "2027-03-09T09:55:48Z", "session_start", "", look, "ps aux --sort=-rss | head -15"},
				{33, "2027-03-09T09:55:48Z", "session_start", "", look, "vid-bench runs list --status running,queued --user bob"},
				{57, "2027-03-09T09:55:48Z", "session_start", "", look, "vid-bench config get max_batch_size"},
				{60, "2027-03-09T09:55:48Z", "session_start", "", config, "vid-bench config set max_batch_size 4"},
				{63, "2027-03-09T09:55:48Z", "session_start", "", look, "watch -n 5 free -h"},
				{66, "2027-03-09T10:04:12Z", "own_output", "", look, "date; free -h | tee ~/oom-free-20270309T100412Z.txt"},
				{72, "2027-03-09T10:04:12Z", "output_time", "", look, "exit"},
			},
		},
		{
			name: "prompt clocks in the session's zone; multi-line statements; transaction and non-superuser prompts",
			path: "captures/frank-1015.typescript",
			text: "Script started on 2027-02-16 10:12:25+01:00 [TERM=\"xterm-256color\" TTY=\"/dev/pts/3\"]\n" +
				"[10:15:02] frank@db-fra-1:~$ docker compose exec postgres psql -U postgres vid_bench\n" +
				"psql (15.6 (Debian 15.6-0+deb12u1))\n" +
				"Type \"help\" for help.\n" +
				"\n" +
				"vid_bench=# SELECT pg_terminate_backend(pid)\n" +
				"vid_bench-#   FROM pg_stat_activity\n" +
				"vid_bench-#  WHERE state = 'idle in transaction';\n" +
				" pg_terminate_backend \n" +
				"----------------------\n" +
				" t\n" +
				"(1 row)\n" +
				"\n" +
				"vid_bench=# BEGIN;\n" +
				"BEGIN\n" +
				"vid_bench=*# ALTER SYSTEM SET work_mem = '64MB';\n" +
				"ERROR:  ALTER SYSTEM cannot run inside a transaction block\n" +
				"vid_bench=!# ROLLBACK;\n" +
				"ROLLBACK\n" +
				"vid_bench=# \n" +
				"vid_bench=# VACUUM (VERBOSE,\n" +
				"vid_bench(# ANALYZE) benchmark_runs;\n" +
				"VACUUM\n" +
				"vid_bench=# \\q\n" +
				"[2027-02-16 10:19:40] frank@db-fra-1:~$ psql -h db-fra-1 -U app vid_bench\n" +
				"vid_bench=> SELECT count(*) FROM benchmark_runs WHERE status = 'queued';\n" +
				" count \n" +
				"-------\n" +
				"    41\n" +
				"(1 row)\n" +
				"\n" +
				"vid_bench=> \\q\n" +
				"[10:21:05] frank@db-fra-1:~$ exit\n" +
				"Script done on 2027-02-16 10:21:06+01:00 [COMMAND_EXIT_CODE=\"0\"]\n",
			cmds: []want{
				{2, "2027-02-16T09:15:02Z", "prompt", "", look, "docker compose exec postgres psql -U postgres vid_bench"},
				{6, "2027-02-16T09:15:02Z", "prompt", "vid_bench", killQ, "SELECT pg_terminate_backend(pid)\nFROM pg_stat_activity\nWHERE state = 'idle in transaction';"},
				{14, "2027-02-16T09:15:02Z", "prompt", "vid_bench", forensics.ActionOther, "BEGIN;"},
				{16, "2027-02-16T09:15:02Z", "prompt", "vid_bench", config, "ALTER SYSTEM SET work_mem = '64MB';"},
				{18, "2027-02-16T09:15:02Z", "prompt", "vid_bench", forensics.ActionOther, "ROLLBACK;"},
				{21, "2027-02-16T09:15:02Z", "prompt", "vid_bench", dbm, "VACUUM (VERBOSE,\nANALYZE) benchmark_runs;"},
				{24, "2027-02-16T09:15:02Z", "prompt", "vid_bench", look, `\q`},
				{25, "2027-02-16T09:19:40Z", "prompt", "", look, "psql -h db-fra-1 -U app vid_bench"},
				{26, "2027-02-16T09:19:40Z", "prompt", "vid_bench", look, "SELECT count(*) FROM benchmark_runs WHERE status = 'queued';"},
				{32, "2027-02-16T09:19:40Z", "prompt", "vid_bench", look, `\q`},
				{33, "2027-02-16T09:21:05Z", "prompt", "", look, "exit"},
			},
		},
		{
			name: "a session that starts inside psql (script -c psql)",
			path: "captures/psql.typescript",
			text: "Script started on 2027-02-16 10:30:00+01:00 [COMMAND=\"psql vid_bench\" TERM=\"xterm\" TTY=\"/dev/pts/4\"]\n" +
				"psql (15.6 (Debian 15.6-0+deb12u1))\n" +
				"vid_bench=# REINDEX INDEX CONCURRENTLY benchmark_results_run_id_idx;\n" +
				"REINDEX\n" +
				"vid_bench=# \\q\n" +
				"Script done on 2027-02-16 10:31:00+01:00 [COMMAND_EXIT_CODE=\"0\"]\n",
			cmds: []want{
				{1, "2027-02-16T09:30:00Z", "", "", look, "psql vid_bench"},
				{3, "2027-02-16T09:30:00Z", "session_start", "vid_bench", dbm, "REINDEX INDEX CONCURRENTLY benchmark_results_run_id_idx;"},
				{5, "2027-02-16T09:30:00Z", "session_start", "vid_bench", look, `\q`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, st := readPath(t, Script{}, tt.path, tt.text)
			if st.Rejects != 0 {
				t.Errorf("rejects %q", m.rejects)
			}
			got := commands(m)
			if len(got) != len(tt.cmds) {
				for _, c := range got {
					t.Logf("%d %q", c.LineNo, c.Command)
				}
				t.Fatalf("%d commands, want %d", len(got), len(tt.cmds))
			}
			for i, w := range tt.cmds {
				c := got[i]
				basis, _ := c.Attrs["ts_basis"].(string)
				db, _ := c.Attrs["database"].(string)
				if c.LineNo != w.line || !c.TS.Equal(ts(w.ts)) || basis != w.basis || db != w.db || c.Action != w.action || c.Command != w.cmd {
					t.Errorf("command %d:\n got %d %s %q %q %s %q\nwant %+v", i, c.LineNo, c.TS.Format(time.RFC3339Nano), basis, db, c.Action, c.Command, w)
				}
				if prompt, _ := c.Attrs["prompt"].(string); (prompt == "psql") != (w.db != "") {
					t.Errorf("command %d: attrs.prompt %q", i, prompt)
				}
				if c.TSExact != (w.basis == "") || c.Shell != "script" {
					t.Errorf("command %d: ts_exact %v shell %q", i, c.TSExact, c.Shell)
				}
			}
		})
	}
}

// TestPsqlPromptNotInShellOutput: outside psql, a line that looks like a
// psql prompt is a command only when SQL follows it.
func TestPsqlPromptNotInShellOutput(t *testing.T) {
	text := "Script started on 2027-02-16 10:12:25+01:00 [TERM=\"xterm\"]\n" +
		"frank@db-fra-1:~$ cat notes.txt\n" +
		"max_batch_size=> lowered to 4\n" +
		"vid_bench=# VACUUM benchmark_runs;\n" +
		"frank@db-fra-1:~$ exit\n"
	m, _ := readPath(t, Script{}, "s.typescript", text)
	var got []string
	for _, c := range commands(m) {
		got = append(got, c.Command+" → "+c.Action)
	}
	want := []string{"cat notes.txt → look_only", "VACUUM benchmark_runs; → db_maintenance", "exit → look_only"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := commands(m)[0]; c.Output != "max_batch_size=> lowered to 4" {
		t.Errorf("output of cat: %q", c.Output)
	}
}

func TestClockAfterInZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	ref := ts("2027-03-28T00:30:00Z") // 01:30 CET, the night the clocks go forward
	tests := []struct {
		clock string
		zone  *time.Location
		want  string
	}{
		{"01:45:00", berlin, "2027-03-28T00:45:00Z"},
		{"03:10", berlin, "2027-03-28T01:10:00Z"},    // CEST from 02:00 CET
		{"01:29:30", berlin, "2027-03-28T00:30:00Z"}, // a prompt printed just before: the lower bound holds
		{"00:10:00", berlin, "2027-03-28T22:10:00Z"}, // past midnight: the next day
		{"2027-03-28 03:10:00", berlin, "2027-03-28T01:10:00Z"},
		{"01:45:00", time.UTC, "2027-03-28T01:45:00Z"},
	}
	for _, tt := range tests {
		got, ok := clockAfter(ref, tt.clock, tt.zone)
		if !ok || !got.Equal(ts(tt.want)) {
			t.Errorf("%s in %v: %v %v, want %s", tt.clock, tt.zone, got, ok, tt.want)
		}
	}
}
