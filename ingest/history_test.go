package ingest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// readPath runs rd over text as if it were the file at path.
func readPath(t testing.TB, rd Reader, path, text string) (*memSink, Stats) {
	t.Helper()
	m := &memSink{}
	in := &Input{Path: path, R: strings.NewReader(text), TZ: time.UTC,
		Ref: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Sink: m}
	if err := rd.Read(context.Background(), in); err != nil {
		t.Fatalf("%s: read: %v", rd.Kind(), err)
	}
	if !in.Stats.Balanced() {
		t.Errorf("%s: lines not accounted for: %+v", rd.Kind(), in.Stats)
	}
	if in.Stats.Lines != countLines(text) {
		t.Errorf("%s: %d lines read, the text has %d", rd.Kind(), in.Stats.Lines, countLines(text))
	}
	return m, in.Stats
}

func commands(m *memSink) []*forensics.Command {
	var out []*forensics.Command
	for _, r := range m.rows {
		if c, ok := r.(*forensics.Command); ok {
			out = append(out, c)
		}
	}
	return out
}

func TestHistoryFormats(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	type want struct {
		line    int64
		ts      string // RFC 3339, "" for none
		command string
		action  string
		shell   string
	}
	tests := []struct {
		name, path, text string
		cmds             []want
		rejects          []string
	}{
		{
			name: "bash HISTTIMEFORMAT",
			path: "history/dave@gpu-host-1.bash_history",
			text: "#1795183541\nvid-bench runs list --status failed\n#1795183562\nnvidia-smi\n#1795184480\nvid-bench maintenance-mode enable\n",
			cmds: []want{
				{2, "2026-11-20T14:05:41Z", "vid-bench runs list --status failed", forensics.ActionLookOnly, "bash"},
				{4, "2026-11-20T14:06:02Z", "nvidia-smi", forensics.ActionLookOnly, "bash"},
				{6, "2026-11-20T14:21:20Z", "vid-bench maintenance-mode enable", forensics.ActionMaintenanceMode, "bash"},
			},
		},
		{
			name: "bash multi-line (lithist) and CRLF",
			path: "h.bash_history",
			text: "#1795183541\r\nfor i in 0 1 2 3; do\r\n  nvidia-smi -i $i\r\ndone\r\n#1795183600\r\npsql -c \"SELECT pg_terminate_backend(pid)\r\n  FROM pg_stat_activity WHERE state = 'active'\"\r\n",
			cmds: []want{
				{2, "2026-11-20T14:05:41Z", "for i in 0 1 2 3; do\n  nvidia-smi -i $i\ndone", forensics.ActionLookOnly, "bash"},
				{6, "2026-11-20T14:06:40Z", "psql -c \"SELECT pg_terminate_backend(pid)\n  FROM pg_stat_activity WHERE state = 'active'\"", forensics.ActionKillQuery, "bash"},
			},
		},
		{
			name: "bash: commands before HISTTIMEFORMAT was set, and one without a stamp after",
			path: "root.bash_history",
			text: "ls\ncd /srv\n#1795183541\ndocker-compose ps\ndocker-compose restart benchmark\n",
			cmds: []want{
				{1, "", "ls", forensics.ActionLookOnly, "bash"},
				{2, "", "cd /srv", forensics.ActionLookOnly, "bash"},
				{4, "2026-11-20T14:05:41Z", "docker-compose ps", forensics.ActionLookOnly, "bash"},
				{5, "", "docker-compose restart benchmark", forensics.ActionRestart, "bash"},
			},
		},
		{
			name: "zsh extended history",
			path: "history/erin@gpu-host-2.zsh_history",
			text: ": 1795183541:0;docker compose ps\n: 1795183600:12;docker compose logs --tail=100 benchmark\n: 1795183700:0;for g in 0 1; do\\\n  nvidia-smi -i $g\\\ndone\n",
			cmds: []want{
				{1, "2026-11-20T14:05:41Z", "docker compose ps", forensics.ActionLookOnly, "zsh"},
				{2, "2026-11-20T14:06:40Z", "docker compose logs --tail=100 benchmark", forensics.ActionLookOnly, "zsh"},
				{3, "2026-11-20T14:08:20Z", "for g in 0 1; do\n  nvidia-smi -i $g\ndone", forensics.ActionLookOnly, "zsh"},
			},
		},
		{
			name: "plain history keeps order without times",
			path: "history/frank@gpu-host-1.bash_history",
			text: "nvidia-smi\ndf -h\nsudo rm -rf /data/models/cache/*\n",
			cmds: []want{
				{1, "", "nvidia-smi", forensics.ActionLookOnly, "bash"},
				{2, "", "df -h", forensics.ActionLookOnly, "bash"},
				{3, "", "sudo rm -rf /data/models/cache/*", forensics.ActionCacheClear, "bash"},
			},
		},
		{
			name: "hostile: histJunk, bad stamps, a stamp without a command, blank lines",
			path: "history/x@y.bash_history",
			text: "\n#1795183541\nnvidia-smi\n\x00\x01\x02\x03\xff\xfe junk\n#17951835x1\n#12\ndf -h\n#1795183600\n#1795183601\nfree -h\n: 179518360x:0;ls\n#1795183700\n",
			cmds: []want{
				{3, "2026-11-20T14:05:41Z", "nvidia-smi", forensics.ActionLookOnly, "bash"},
				{7, "", "df -h", forensics.ActionLookOnly, "bash"},
				{10, "2026-11-20T14:06:41Z", "free -h", forensics.ActionLookOnly, "bash"},
			},
			rejects: []string{
				"blank line before the first command",
				"not a shell command: NUL bytes (binary junk)",
				"malformed history time stamp (expected #<epoch seconds>)",
				"history time stamp out of range (not epoch seconds between 2000 and 2100)",
				"history time stamp without a command",
				"malformed zsh extended-history line (expected \": <epoch>:<seconds>;command\")",
				"history time stamp without a command",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := readPath(t, History{}, tt.path, tt.text)
			got := commands(m)
			if len(got) != len(tt.cmds) {
				for _, c := range got {
					t.Logf("%d %v %q", c.LineNo, c.TS, c.Command)
				}
				t.Fatalf("%d commands, want %d (rejects %q)", len(got), len(tt.cmds), m.rejects)
			}
			for i, w := range tt.cmds {
				c := got[i]
				var ts time.Time
				if w.ts != "" {
					ts = at(w.ts)
				}
				if c.LineNo != w.line || !c.TS.Equal(ts) || c.Command != w.command || c.Action != w.action || c.Shell != w.shell {
					t.Errorf("command %d: got line %d %v %q %s %s, want %+v", i, c.LineNo, c.TS, c.Command, c.Action, c.Shell, w)
				}
				if c.TSExact != (w.ts != "") {
					t.Errorf("command %d: ts_exact %v", i, c.TSExact)
				}
			}
			if strings.Join(m.rejects, "|") != strings.Join(tt.rejects, "|") {
				t.Errorf("rejects\n got %q\nwant %q", m.rejects, tt.rejects)
			}
		})
	}
}

func TestHistoryWho(t *testing.T) {
	tests := []struct{ path, user, host string }{
		{"case/history/alice@gpu-host-1.bash_history", "alice", "gpu-host-1"},
		{"history/dave@gpu-host-1.zsh_history", "dave", "gpu-host-1"},
		{"history/dave@gpu-host-1.example.com_history.txt", "dave", "gpu-host-1.example.com"},
		{"case/home/bob/bash_history", "bob", ""},
		{"case/root/bash_history.txt", "root", ""},
		{"history.txt", "", ""},
	}
	for _, tt := range tests {
		u, h, _ := historyWho(tt.path)
		if u != tt.user || h != tt.host {
			t.Errorf("%s: %q %q, want %q %q", tt.path, u, h, tt.user, tt.host)
		}
	}
	m, _ := readPath(t, History{}, "history/alice@gpu-host-1.bash_history", "#1795183541\nnvidia-smi\n")
	if c := commands(m)[0]; c.User != "alice" || c.Host != "gpu-host-1" {
		t.Errorf("command user/host %q %q", c.User, c.Host)
	}
}

// TestRealBashHistory has an interactive bash (lithist, HISTTIMEFORMAT)
// write its own history file and reads it back. PATH points at an empty
// folder so that nothing but builtins runs.
func TestRealBashHistory(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on this machine")
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "bin")
	os.Mkdir(empty, 0o755)
	hist := filepath.Join(dir, "dave@gpu-host-1.bash_history")
	script := strings.Join([]string{
		`HISTTIMEFORMAT="%F %T "`,
		`shopt -s lithist`,
		`docker-compose ps`,
		`vid-bench config set max_batch_size 1`,
		`for g in 0 1; do`,
		`  nvidia-smi -i $g`,
		`done`,
		`psql -c "SELECT pg_terminate_backend(311)`,
		`  FROM pg_stat_activity"`,
		`vid-bench maintenance-mode disable`,
	}, "\n") + "\n"
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	cmd := exec.Command(bash, "--norc", "--noprofile", "-i")
	cmd.Env = []string{"PATH=" + empty, "HOME=" + dir, "HISTFILE=" + hist, "HISTSIZE=100", "HISTFILESIZE=100", "TERM=dumb"}
	cmd.Stdin = strings.NewReader(script)
	cmd.Run() // the commands are not found; the history is written on exit
	after := time.Now().Add(time.Second)
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatalf("bash wrote no history: %v", err)
	}
	if s := newSample(hist, b, true); (History{}).Sniff(s) < 90 {
		t.Errorf("sniff %d for a real bash history:\n%s", History{}.Sniff(s), b)
	}
	m, st := readPath(t, History{}, hist, string(b))
	got := commands(m)
	want := []struct{ cmd, action string }{
		{`HISTTIMEFORMAT="%F %T "`, forensics.ActionLookOnly},
		{"shopt -s lithist", forensics.ActionOther},
		{"docker-compose ps", forensics.ActionLookOnly},
		{"vid-bench config set max_batch_size 1", forensics.ActionConfigChange},
		{"for g in 0 1; do\n  nvidia-smi -i $g\ndone", forensics.ActionLookOnly},
		{"psql -c \"SELECT pg_terminate_backend(311)\n  FROM pg_stat_activity\"", forensics.ActionKillQuery},
		{"vid-bench maintenance-mode disable", forensics.ActionMaintenanceMode},
	}
	if len(got) != len(want) || st.Rejects != 0 {
		t.Fatalf("%d commands, %d rejects %q; history:\n%s", len(got), st.Rejects, m.rejects, b)
	}
	for i, w := range want {
		c := got[i]
		if c.Command != w.cmd || c.Action != w.action {
			t.Errorf("%d: %q %s, want %q %s", i, c.Command, c.Action, w.cmd, w.action)
		}
		if c.TS.Before(before) || c.TS.After(after) || !c.TSExact {
			t.Errorf("%d: time %v not in [%v, %v]", i, c.TS, before, after)
		}
		if c.User != "dave" || c.Host != "gpu-host-1" || c.Shell != "bash" {
			t.Errorf("%d: %s@%s %s", i, c.User, c.Host, c.Shell)
		}
	}
}

// TestRealZshHistory does the same with zsh's extended history, when zsh
// is installed.
func TestRealZshHistory(t *testing.T) {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("no zsh on this machine")
	}
	dir := t.TempDir()
	hist := filepath.Join(dir, "erin@gpu-host-2.zsh_history")
	script := "setopt EXTENDED_HISTORY INC_APPEND_HISTORY\nHISTFILE=" + hist + "\nSAVEHIST=100\nHISTSIZE=100\n" +
		"docker compose ps\nvid-bench maintenance-mode enable\nfor g in 0 1; do\n  nvidia-smi -i $g\ndone\necho \"h\u00e9llo\"\n"
	cmd := exec.Command(zsh, "-f", "-i")
	cmd.Env = []string{"PATH=" + filepath.Join(dir, "nothing"), "HOME=" + dir, "TERM=dumb"}
	cmd.Stdin = strings.NewReader(script)
	cmd.Run()
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatalf("zsh wrote no history: %v", err)
	}
	if s := newSample(hist, b, true); (History{}).Sniff(s) < 90 {
		t.Errorf("sniff %d for a real zsh history:\n%s", History{}.Sniff(s), b)
	}
	m, st := readPath(t, History{}, hist, string(b))
	var cmds []string
	for _, c := range commands(m) {
		cmds = append(cmds, c.Command)
		if c.Shell != "zsh" || c.TS.IsZero() {
			t.Errorf("%q: shell %s ts %v", c.Command, c.Shell, c.TS)
		}
	}
	joined := strings.Join(cmds, "|")
	for _, w := range []string{"docker compose ps", "vid-bench maintenance-mode enable", "for g in 0 1; do\n  nvidia-smi -i $g\ndone", "echo \"h\u00e9llo\""} {
		if !strings.Contains(joined, w) {
			t.Errorf("missing %q in %q (history %q)", w, joined, b)
		}
	}
	if st.Rejects != 0 {
		t.Errorf("rejects %q", m.rejects)
	}
}
