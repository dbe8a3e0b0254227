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
				{6, "2026-11-20T14:05:11Z", false, "dave@gpu-host-1", "date", forensics.ActionLookOnly, "Fri Nov 20 14:11:02 UTC 2026"},
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
				{2, "2026-11-20T14:06:00Z", false, "root@gpu-host-2", "nvidia-smi --query-gpu=timestamp,index,memory.used,memory.total,utilization.gpu --format=csv", forensics.ActionLookOnly, ""},
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
