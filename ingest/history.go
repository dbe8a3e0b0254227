package ingest

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidbench/forensics"
)

// History reads the responders' shell histories into the commands table:
//
//	#1795183541                      bash with HISTTIMEFORMAT set: epoch seconds above each command
//	docker-compose restart benchmark
//	: 1795183541:0;nvidia-smi        zsh extended history: start time, seconds it ran, command
//	vid-bench config set max_batch_size 1   plain history: no times; order only
//
// Each command becomes a row with its time (NULL in a plain history, whose
// line numbers keep the order), the user and host from the file name
// (history/alice@gpu-host-1.bash_history), and its meaning (see Classify).
// Multi-line commands are kept whole: the lines after a bash time stamp up
// to the next one when the command is not complete (an open quote, a
// trailing backslash or pipe, a here-document, a for/if block), zsh lines
// ending in a backslash. A line after a timed command that is a command of
// its own, as bash writes it when HISTTIMEFORMAT was set only for part of
// the session, is kept without a time. Malformed time stamps, a time stamp
// with no command, and lines of binary junk are rejected with the reason.
type History struct{}

var _ Reader = History{}

// Kind implements Reader.
func (History) Kind() string { return "history" }

var (
	zshLine     = regexp.MustCompile(`^: *([0-9]+):([0-9]+);`)
	zshLoose    = regexp.MustCompile(`^: +[0-9]`)
	bashStampRe = regexp.MustCompile(`^#[0-9]+[ \t]*$`)
	userAtHost  = regexp.MustCompile(`([A-Za-z0-9_][A-Za-z0-9_.\-]*)@([A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9])`)
)

// plausible epoch seconds for a history stamp: 2000-01-01 to 2100-01-01
const minEpoch, maxEpoch = 946684800, 4102444800

// Sniff implements Reader: bash time stamps or zsh extended lines make up
// a good part of the sample; or the name says history and most lines look
// like shell commands.
func (History) Sniff(s *Sample) int {
	n, bash, zsh, cmds := 0, 0, 0, 0
	for _, l := range s.Lines {
		if isBlank(l) {
			continue
		}
		n++
		switch {
		case bashStampRe.Match(l):
			bash++
		case zshLine.Match(l):
			zsh++
		case looksLikeCommand(l):
			cmds++
		}
	}
	if n == 0 {
		return 0
	}
	switch {
	case zsh > 0 && zsh*2 >= n:
		return 92
	case bash > 0 && bash*3 >= n:
		return 92
	}
	if historyName(s.Path) && cmds*10 >= n*7 {
		return 70
	}
	// no name hint: plain commands, most of them known tools
	if n >= 3 && cmds*10 >= n*9 && !bytes.HasPrefix(s.Head, []byte("#!")) {
		return 40
	}
	return 0
}

// historyName reports whether a path is named like a shell history.
func historyName(p string) bool {
	base := strings.ToLower(filepath.Base(p))
	dir := strings.ToLower(filepath.Base(filepath.Dir(p)))
	return strings.Contains(base, "history") || strings.HasSuffix(base, "_hist") || dir == "history" || dir == "histories"
}

// knownTools are command names that start most responders' commands.
var knownTools = map[string]bool{
	"sudo": true, "docker": true, "docker-compose": true, "systemctl": true, "service": true, "journalctl": true,
	"vid-bench": true, "psql": true, "redis-cli": true, "kubectl": true, "rm": true, "find": true, "kill": true,
	"pkill": true, "killall": true, "vim": true, "vi": true, "nano": true, "git": true, "python": true, "python3": true,
	"curl": true, "wget": true, "ssh": true, "watch": true, "sed": true, "cp": true, "mv": true, "mkdir": true,
	"export": true, "source": true, "make": true, "pip": true, "tmux": true, "huggingface-cli": true, "sysctl": true,
	"reboot": true, "exit": true, "fuser": true, "time": true, "chmod": true, "chown": true, "touch": true, "ln": true,
	"kubectl-exec": true, "scp": true, "rsync": true, "apt": true, "apt-get": true, "sync": true, "truncate": true,
}

// looksLikeCommand reports whether a line starts with a known command.
func looksLikeCommand(l []byte) bool {
	l = bytes.TrimLeft(l, " \t")
	if len(l) == 0 {
		return false
	}
	end := bytes.IndexAny(l, " \t;|&")
	w := l
	if end >= 0 {
		w = l[:end]
	}
	name := filepath.Base(string(w))
	if shAssign.MatchString(name) {
		return true
	}
	return knownTools[name] || lookOnlyTools[name] || strings.HasPrefix(name, "./")
}

// historyWho finds the user and host in a history file's path:
// alice@gpu-host-1.bash_history, or home/alice/.bash_history.
func historyWho(p string) (user, host, shell string) {
	base := filepath.Base(p)
	low := strings.ToLower(p)
	switch {
	case strings.Contains(low, "zsh"):
		shell = "zsh"
	case strings.Contains(low, "bash"):
		shell = "bash"
	}
	if m := userAtHost.FindStringSubmatch(base); m != nil {
		host = m[2]
		for _, suf := range []string{".bash_history", ".zsh_history", ".sh_history", ".history", "_history", ".txt", ".log", ".gz"} {
			if i := strings.Index(strings.ToLower(host), suf); i > 0 {
				host = host[:i]
			}
		}
		host = strings.TrimSuffix(host, ".bash")
		host = strings.TrimSuffix(host, ".zsh")
		return m[1], host, shell
	}
	parts := strings.Split(filepath.ToSlash(filepath.Dir(p)), "/")
	for i, d := range parts {
		if d == "home" && i+1 < len(parts) {
			return parts[i+1], "", shell
		}
		if d == "root" {
			user = "root"
		}
	}
	return user, "", shell
}

// histEntry is a command being assembled from its lines.
type histEntry struct {
	cmd      forensics.Command
	text     []byte
	offset   int64 // of its first line (the time stamp line, when any)
	lines    int
	open     bool   // the command continues on the next line
	heredoc  string // the word that ends an open here-document
	zsh      bool
	hasCmd   bool // a command line was seen (a stamp alone has none)
	stampRaw []byte
	stampNo  int64
}

// histReader holds the state of one history file being read.
type histReader struct {
	in        *Input
	user      string
	host      string
	shell     string
	cur       *histEntry
	lastTS    time.Time
	sawStamps bool
}

// Read implements Reader.
func (History) Read(ctx context.Context, in *Input) error {
	user, host, shell := historyWho(in.Path)
	h := &histReader{in: in, user: user, host: host, shell: shell}
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := h.line(lr.Line()); err != nil {
			return err
		}
	}
	if err := h.flush(); err != nil {
		return err
	}
	return lr.Err()
}

// junk reports why a line is not a shell command, or "".
func histJunk(b []byte) string {
	ctl := 0
	for _, c := range b {
		if c == 0 {
			return "not a shell command: NUL bytes (binary junk)"
		}
		if c < 0x20 && c != '\t' && c != 0x1b {
			ctl++
		}
	}
	if ctl > 0 && ctl*20 >= len(b) {
		return "not a shell command: control characters (binary junk)"
	}
	if !utf8.Valid(b) {
		bad := 0
		for len(b) > 0 {
			r, size := utf8.DecodeRune(b)
			if r == utf8.RuneError && size <= 1 {
				bad++
			}
			b = b[size:]
		}
		if bad >= 4 {
			return "not a shell command: invalid UTF-8 (binary junk)"
		}
	}
	return ""
}

func (h *histReader) line(l *Line) error {
	t := l.Text
	trim := bytes.TrimRight(t, " \t")
	cur := h.cur

	// a line that continues an open multi-line command
	if cur != nil && cur.hasCmd && cur.open && cur.lines < 200 && !bashStampRe.Match(trim) && !zshLine.Match(t) {
		return h.continueWith(l)
	}
	switch {
	case len(trim) == 0:
		if cur != nil {
			cur.lines++
			return nil
		}
		return h.in.Reject(l, "blank line before the first command")
	case bashStampRe.Match(trim):
		v, ok := histEpoch(trim[1:])
		if !ok {
			return h.in.Reject(l, "history time stamp out of range (not epoch seconds between 2000 and 2100)")
		}
		if err := h.flush(); err != nil {
			return err
		}
		h.sawStamps = true
		h.cur = &histEntry{offset: l.Offset, lines: 1, stampRaw: append([]byte(nil), t...), stampNo: l.No}
		h.cur.cmd.TS = v
		h.cur.cmd.TSExact = true
		return nil
	case t[0] == '#' && len(t) > 1 && t[1] >= '0' && t[1] <= '9':
		// bash takes "#" + digit as a time stamp: this one is damaged
		return h.in.Reject(l, "malformed history time stamp (expected #<epoch seconds>)")
	case zshLine.Match(t):
		m := zshLine.FindSubmatchIndex(t)
		v, ok := histEpoch(t[m[2]:m[3]])
		if err := h.flush(); err != nil {
			return err
		}
		if !ok {
			return h.in.Reject(l, "zsh history time out of range (not epoch seconds between 2000 and 2100)")
		}
		el, _ := histAtoi(t[m[4]:m[5]])
		e := &histEntry{offset: l.Offset, zsh: true}
		e.cmd.TS, e.cmd.TSExact, e.cmd.Elapsed = v, true, float64(el)
		h.cur = e
		h.sawStamps = true
		return h.startCommand(l, unmetafy(t[m[1]:]))
	case zshLoose.Match(t):
		return h.in.Reject(l, "malformed zsh extended-history line (expected \": <epoch>:<seconds>;command\")")
	}
	if why := histJunk(t); why != "" {
		return h.in.Reject(l, why)
	}
	if cur != nil && !cur.hasCmd {
		// the command under a bash time stamp
		return h.startCommand(l, t)
	}
	// a command without a time of its own
	if err := h.flush(); err != nil {
		return err
	}
	h.cur = &histEntry{offset: l.Offset}
	return h.startCommand(l, t)
}

func (h *histReader) startCommand(l *Line, text []byte) error {
	e := h.cur
	e.hasCmd = true
	e.cmd.LineNo = l.No
	e.lines++
	e.text = append(e.text[:0], text...)
	if e.zsh {
		e.open = bytes.HasSuffix(text, []byte(`\`))
		if e.open {
			e.text = e.text[:len(e.text)-1]
		}
		return nil
	}
	e.heredoc = heredocWord(text)
	e.open = e.heredoc != "" || incomplete(e.text)
	return nil
}

func (h *histReader) continueWith(l *Line) error {
	e := h.cur
	e.lines++
	t := l.Text
	if e.zsh {
		t = unmetafy(t)
	}
	e.text = append(e.text, '\n')
	if e.zsh {
		e.open = bytes.HasSuffix(t, []byte(`\`))
		if e.open {
			t = t[:len(t)-1]
		}
		e.text = append(e.text, t...)
		return nil
	}
	e.text = append(e.text, t...)
	if e.heredoc != "" {
		if strings.TrimLeft(string(t), "\t") == e.heredoc {
			e.heredoc = ""
		}
		e.open = e.heredoc != "" || incomplete(e.text)
		return nil
	}
	e.open = incomplete(e.text)
	return nil
}

// flush emits the command being assembled.
func (h *histReader) flush() error {
	e := h.cur
	h.cur = nil
	if e == nil {
		return nil
	}
	if !e.hasCmd {
		// a time stamp with nothing under it: account for its line(s)
		extra := e.lines - 1
		if err := h.in.Reject(&Line{No: e.stampNo, Offset: e.offset, Text: e.stampRaw}, "history time stamp without a command"); err != nil {
			return err
		}
		for i := 0; i < extra; i++ {
			if err := h.in.Reject(&Line{No: e.stampNo + int64(i) + 1, Offset: e.offset}, "blank line after a time stamp without a command"); err != nil {
				return err
			}
		}
		return nil
	}
	c := e.cmd
	c.Lines = e.lines
	c.Host, c.User = h.host, h.user
	c.Command = str(e.text)
	switch {
	case e.zsh:
		c.Shell = "zsh"
	case !c.TS.IsZero():
		c.Shell = "bash"
	case h.shell != "":
		c.Shell = h.shell
	default:
		c.Shell = "sh"
	}
	if !e.zsh {
		c.Elapsed = -1
	}
	m := Classify(c.Command)
	c.Action, c.Target, c.Service = m.Action, m.Target, m.Service
	if m.Sudo || len(m.Actions) > 0 {
		c.Attrs = map[string]any{}
		if m.Sudo {
			c.Attrs["sudo"] = true
		}
		if len(m.Actions) > 0 {
			c.Attrs["actions"] = m.Actions
		}
	}
	if c.TS.IsZero() && !h.lastTS.IsZero() {
		// a command without a time after timed ones: it ran after this
		c.Attrs = withAttr(c.Attrs, "after", h.lastTS.UTC().Format(time.RFC3339))
	}
	if !c.TS.IsZero() {
		h.lastTS = c.TS
	}
	return h.in.Emit(&c, c.TS, e.lines, e.offset)
}

func histAtoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// epoch parses epoch seconds in the plausible range.
func histEpoch(b []byte) (time.Time, bool) {
	b = bytes.TrimRight(b, " \t")
	v, ok := histAtoi(b)
	if !ok || v < minEpoch || v > maxEpoch {
		return time.Time{}, false
	}
	return time.Unix(v, 0).UTC(), true
}

// unmetafy undoes zsh's metafication of history bytes: 0x83 (Meta)
// followed by the byte XOR 32.
func unmetafy(b []byte) []byte {
	if bytes.IndexByte(b, 0x83) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == 0x83 && i+1 < len(b) {
			i++
			out = append(out, b[i]^32)
			continue
		}
		out = append(out, b[i])
	}
	return out
}

var heredocRe = regexp.MustCompile(`<<-?[ \t]*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)

// heredocWord returns the terminator of a here-document the line opens.
func heredocWord(b []byte) string {
	if !bytes.Contains(b, []byte("<<")) || bytes.Contains(b, []byte("<<<")) {
		return ""
	}
	m := heredocRe.FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// incomplete reports whether a shell command needs more lines: an open
// quote, a trailing backslash, pipe or && / ||, or an unclosed for/while/
// if/case block or brace group.
func incomplete(b []byte) bool {
	s := string(b)
	inS, inD := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inS:
			if c == '\'' {
				inS = false
			}
		case c == '\\':
			i++
		case inD:
			if c == '"' {
				inD = false
			}
		case c == '\'':
			inS = true
		case c == '"':
			inD = true
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t' || s[i-1] == '\n'):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		}
	}
	if inS || inD {
		return true
	}
	t := strings.TrimRight(s, " \t")
	if strings.HasSuffix(t, "\\") && !strings.HasSuffix(t, "\\\\") {
		return true
	}
	if strings.HasSuffix(t, "|") || strings.HasSuffix(t, "&&") {
		return true
	}
	// block keywords count only where a command starts
	depth := 0
	atStart := true
	for _, tk := range shellSplit(s) {
		if tk.op != "" {
			atStart = !isRedirect(tk.op)
			continue
		}
		if atStart {
			switch tk.text {
			case "for", "while", "until", "select", "if", "case", "{":
				depth++
			case "done", "fi", "esac", "}":
				depth--
			}
		}
		switch tk.text {
		case "do", "then", "else", "elif":
			atStart = true
		default:
			atStart = false
		}
	}
	return depth > 0
}
