package ingest

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// Script reads terminal session logs written by util-linux `script`:
//
//	Script started on 2026-11-20 14:05:11+00:00 [TERM="xterm-256color" TTY="/dev/pts/0" COLUMNS="120" LINES="40"]
//	dave@gpu-host-1:~$ nvidia-smi
//	...its output...
//	dave@gpu-host-1:~$ vid-bench config set max_batch_size 1
//	Script done on 2026-11-20 14:31:02+00:00 [COMMAND_EXIT_CODE="0"]
//
// (older util-linux writes "Script started on Fri 20 Nov 2026 02:05:11 PM
// UTC"). Terminal control sequences, carriage-return overwrites and
// backspaces are applied first. Each command typed at a shell prompt
// (user@host:dir$, [user@host dir]$, user@host dir %, bash-5.2$, with an
// optional [HH:MM:SS] or [YYYY-MM-DD HH:MM:SS] in front) becomes a row of
// commands with its output; a prompt names the user and host. A session
// started with -c "command" has that command, at the session's start.
//
// Inside an interactive psql (started at a shell prompt, or a session
// started with -c "psql ..."), each statement typed at psql's prompt
// (vid_bench=# , postgres=> , vid_bench=*# in a transaction) is a command
// row of its own, its continuation lines (vid_bench-# , vid_bench(# ) part
// of it, classified as SQL (CREATE INDEX, VACUUM, ANALYZE, REINDEX are
// db_maintenance, pg_terminate_backend kill_query, ALTER SYSTEM
// config_change, SELECT and backslash commands look_only), with
// attrs.prompt "psql" and attrs.database. A psql prompt outside such a
// session is taken when what follows it is SQL.
//
// A command's time is a lower bound (ts_exact false), and attrs.ts_basis
// says what it rests on: session_start (nothing later is known: the time
// is only approximate), prompt (a clock in the prompt, read in the
// session's zone: the header's offset, else --tz), output_time (a time an
// earlier command printed: a date output, nvidia-smi's header, psql's
// now()), or own_output (the command printed the current time itself:
// date, SELECT now(), nvidia-smi; the time it printed). Outputs of
// nvidia-smi, df, free, docker-compose ps and docker stats inside the
// session are parsed into captures as in saved files. Lines before the
// first prompt (type-ahead echo, the motd) and the session's header and
// footer are folded into the nearest command; a session with no command
// at all is rejected line by line.
type Script struct{}

var _ Reader = Script{}

// Kind implements Reader.
func (Script) Kind() string { return "script" }

var (
	scriptStart = regexp.MustCompile(`^Script started on (.+?)(?: \[(.*)\])?\s*$`)
	scriptDone  = regexp.MustCompile(`^Script done on (.+?)(?: \[(.*)\])?\s*$`)
	scriptAttr  = regexp.MustCompile(`([A-Z_]+)="([^"]*)"`)
	promptTime  = `(?:\[?((?:[12][0-9]{3}-[01][0-9]-[0-3][0-9][ T])?[0-2][0-9]:[0-5][0-9](?::[0-5][0-9])?)\]? )?`
	prompts     = []*regexp.Regexp{
		regexp.MustCompile(`^` + promptTime + `(?:\([^)]*\) )?([A-Za-z0-9_.\-]+)@([A-Za-z0-9_.\-]+):([^$#\n]*)[$#] ?(.*)$`),
		regexp.MustCompile(`^` + promptTime + `\[([A-Za-z0-9_.\-]+)@([A-Za-z0-9_.\-]+)(?: ([^\]]*))?\][$#] ?(.*)$`),
		regexp.MustCompile(`^` + promptTime + `([A-Za-z0-9_.\-]+)@([A-Za-z0-9_.\-]+) ([^%#$\n]*)[%#$] ?(.*)$`),
	}
	promptBare = regexp.MustCompile(`^` + promptTime + `(?:(?:bash|sh|zsh|dash|ksh)-[0-9.]+)[$#] ?(.*)$`)
	// psql's default PROMPT1 and PROMPT2 '%/%R%x%# ': the database, '='
	// (or '^' single-line, '!' disconnected; '-', a quote, '(' or '*' when
	// the statement goes on), the transaction state ('*', '!', '?'), and
	// '#' for a superuser, '>' for others
	psqlPrompt = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_$.\-]*)([=^!\-'"(*$])([*!?]?)([#>]) ?(.*)$`)
	sqlStart   = regexp.MustCompile(`(?i)^(select|with|insert|update|delete|create|drop|alter|vacuum|analy[sz]e|reindex|cluster|refresh|truncate|explain|show|set|reset|begin|start|commit|rollback|abort|grant|revoke|lock|copy|table|values|checkpoint|discard|notify|listen|prepare|execute|deallocate|call|do|comment|\\[a-z!?])\b`)
	sqlNow     = regexp.MustCompile(`(?i)\b(now\s*\(\s*\)|current_timestamp|clock_timestamp\s*\(|statement_timestamp\s*\(|transaction_timestamp\s*\(|localtimestamp|timeofday\s*\()`)
)

// psqlLine is a line typed at a psql prompt.
type psqlLine struct {
	database string
	more     bool // a continuation prompt: the statement above goes on
	command  string
}

// parsePsqlPrompt recognises a psql prompt line.
func parsePsqlPrompt(b []byte) (psqlLine, bool) {
	m := psqlPrompt.FindSubmatch(b)
	if m == nil {
		return psqlLine{}, false
	}
	r := m[2][0]
	return psqlLine{database: string(m[1]), more: r != '=' && r != '^' && r != '!', command: strings.TrimSpace(string(m[5]))}, true
}

// interactivePsql reports whether a shell command starts psql for typing
// statements at its prompt (not psql -c, -f or -l).
func interactivePsql(cmd string) bool {
	f := strings.Fields(cmd)
	for i, w := range f {
		if filepath.Base(strings.Trim(w, `"'`)) != "psql" {
			continue
		}
		for _, a := range f[i+1:] {
			switch {
			case a == "|" || a == "&&" || a == ";" || a == "||":
				return true
			case a == "-c" || a == "--command" || strings.HasPrefix(a, "--command=") || (strings.HasPrefix(a, "-c") && len(a) > 2 && !strings.HasPrefix(a, "--")),
				a == "-f" || a == "--file" || strings.HasPrefix(a, "--file="),
				a == "-l" || a == "--list", a == "-V" || a == "--version", a == "-?" || a == "--help":
				return false
			}
		}
		return true
	}
	return false
}

// printsNow reports whether a command prints the current time itself
// (date, SELECT now(), nvidia-smi's header): the time in its output is
// when it ran.
func printsNow(c *forensics.Command) bool {
	if c.Attrs["prompt"] == "psql" {
		return sqlNow.MatchString(c.Command) && classifySQL(c.Command).Action == forensics.ActionLookOnly
	}
	if strings.Contains(c.Command, "nvidia-smi") {
		return true
	}
	f := strings.Fields(c.Command)
	for len(f) > 0 && (f[0] == "sudo" || f[0] == "env" || strings.Contains(f[0], "=")) {
		f = f[1:]
	}
	return len(f) > 0 && (f[0] == "date" || strings.HasPrefix(f[0], "date;"))
}

// Sniff implements Reader: a script header at the start.
func (Script) Sniff(s *Sample) int {
	for i, l := range s.Lines {
		if i > 3 {
			break
		}
		if scriptStart.Match(bytes.TrimSpace(cleanTerminal(l))) {
			return 98
		}
	}
	return 0
}

// prompt is a shell prompt line split up.
type prompt struct {
	user, host string
	clock      string // [YYYY-MM-DD ]HH:MM[:SS] in the prompt
	command    string
}

// parsePrompt recognises a shell prompt line.
func parsePrompt(b []byte) (prompt, bool) {
	s := string(b)
	for _, re := range prompts {
		if m := re.FindStringSubmatch(s); m != nil {
			return prompt{clock: m[1], user: m[2], host: m[3], command: strings.TrimSpace(m[len(m)-1])}, true
		}
	}
	if m := promptBare.FindStringSubmatch(s); m != nil {
		return prompt{clock: m[1], command: strings.TrimSpace(m[2])}, true
	}
	return prompt{}, false
}

// interactive reports whether a script -c command is a shell (whose
// prompts follow) rather than one command.
func interactive(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return true
	}
	switch filepath.Base(f[0]) {
	case "bash", "sh", "zsh", "dash", "ksh", "fish", "tmux", "screen", "su", "login", "sudo":
		return !strings.Contains(cmd, " -c ")
	case "ssh":
		return len(cmdArgs(f[1:], "-i", "-p", "-l", "-o", "-J", "-F")) <= 1
	}
	return false
}

// maxOutput bounds the output text kept on a command row.
const maxOutput = 256 << 10

// session is one script session being read.
type session struct {
	in       *Input
	start    time.Time      // lower bound for the next command
	basis    string         // what start is: session_start, prompt, output_time
	zone     *time.Location // the session's local time: the header's offset, else --tz
	psql     bool           // inside an interactive psql: its prompts start commands
	psqlDB   string         // the database of the current psql command ("" for a shell command)
	attrs    map[string]any
	user     string
	host     string
	fileUser string
	fileHost string

	cur      *forensics.Command
	curOff   int64
	curLines int
	out      []byte
	outCut   int64
	sp       *splitter
	pending  []Line // lines before the first command of the session
	started  bool
	commands int
}

// Read implements Reader.
func (Script) Read(ctx context.Context, in *Input) error {
	s := &session{in: in}
	s.fileUser, s.fileHost, _ = historyWho(in.Path)
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := *lr.Line()
		l.Text = cleanTerminal(l.Text)
		if err := s.line(&l); err != nil {
			return err
		}
	}
	if err := s.endCommand(); err != nil {
		return err
	}
	if err := s.rejectPending("script session without a recognised shell prompt or command"); err != nil {
		return err
	}
	return lr.Err()
}

func (s *session) line(l *Line) error {
	t := bytes.TrimRight(l.Text, " ")
	if m := scriptStart.FindSubmatch(t); m != nil {
		if err := s.endCommand(); err != nil {
			return err
		}
		if err := s.rejectPending("script session without a recognised shell prompt or command"); err != nil {
			return err
		}
		s.started = true
		s.start, s.basis, s.psql = time.Time{}, "", false
		s.zone = s.in.TZ
		if ts, ok := parseDateLine(m[1], s.in.TZ); ok {
			s.start, s.basis = ts, "session_start"
			s.zone = sessionZone(m[1], ts, s.in.TZ)
		}
		s.attrs = map[string]any{}
		if !s.start.IsZero() {
			s.attrs["session_start"] = s.start.Format(time.RFC3339)
		}
		var command string
		for _, a := range scriptAttr.FindAllSubmatch(m[2], -1) {
			k := strings.ToLower(string(a[1]))
			s.attrs["session_"+k] = string(a[2])
			if k == "command" {
				command = string(a[2])
			}
		}
		s.pending = append(s.pending, capCopyLine(l))
		if command != "" && !interactive(command) {
			// script -c "nvidia-smi": the command itself, at the start
			s.begin(l, command, prompt{}, true)
			s.curLines-- // the header line is in pending
			s.psql = interactivePsql(command)
		}
		return nil
	}
	if m := scriptDone.FindSubmatch(t); m != nil {
		if ts, ok := parseDateLine(m[1], s.in.TZ); ok {
			s.attrs = withAttr(s.attrs, "session_end", ts.Format(time.RFC3339))
			if s.cur != nil {
				s.cur.Attrs = withAttr(s.cur.Attrs, "session_end", ts.Format(time.RFC3339))
			}
		}
		for _, a := range scriptAttr.FindAllSubmatch(m[2], -1) {
			if string(a[1]) == "COMMAND_EXIT_CODE" && s.cur != nil {
				s.cur.Attrs = withAttr(s.cur.Attrs, "session_exit_code", string(a[2]))
			}
		}
		if s.cur != nil {
			s.curLines++
			return nil
		}
		s.pending = append(s.pending, capCopyLine(l))
		return nil
	}
	if p, ok := parsePrompt(t); ok {
		if p.command == "" {
			// an empty prompt (enter pressed): no command of its own
			if s.cur != nil {
				s.curLines++
			} else {
				s.pending = append(s.pending, capCopyLine(l))
			}
			return nil
		}
		if err := s.endCommand(); err != nil {
			return err
		}
		s.begin(l, p.command, p, false)
		s.psql = interactivePsql(p.command)
		return nil
	}
	if q, ok := parsePsqlPrompt(t); ok && (s.psql || sqlStart.MatchString(q.command)) {
		return s.psqlLine(l, q)
	}
	if s.cur != nil && s.open() && bytes.HasPrefix(t, []byte(">")) {
		// PS2: the command goes on
		s.cur.Command += "\n" + strings.TrimSpace(strings.TrimPrefix(string(t), ">"))
		s.curLines++
		return nil
	}
	if s.cur == nil {
		s.pending = append(s.pending, capCopyLine(l))
		return nil
	}
	return s.sp.line(l)
}

// open reports whether the current command continues on the next line.
func (s *session) open() bool {
	return s.cur != nil && s.sp != nil && s.sp.outs == 0 && len(s.out) == 0 && incomplete([]byte(s.cur.Command))
}

// begin starts a command row at its prompt line.
func (s *session) begin(l *Line, command string, p prompt, exact bool) {
	if p.user != "" {
		s.user, s.host = p.user, p.host
	}
	if p.clock != "" && !s.start.IsZero() {
		if t, ok := clockAfter(s.start, p.clock, s.zone); ok {
			s.start, s.basis = t, "prompt"
		}
	}
	s.psqlDB = ""
	c := &forensics.Command{LineNo: l.No, Shell: "script", Command: command, Elapsed: -1, TS: s.start, TSExact: exact}
	c.User, c.Host = s.user, s.host
	if c.User == "" {
		c.User = s.fileUser
	}
	if c.Host == "" {
		c.Host = s.fileHost
	}
	c.Attrs = map[string]any{}
	for k, v := range s.attrs {
		c.Attrs[k] = v
	}
	if s.basis != "" && !exact {
		c.Attrs["ts_basis"] = s.basis
	}
	s.cur, s.curOff, s.curLines = c, l.Offset, 1
	s.out, s.outCut = s.out[:0], 0
	s.sp = newSplitter(s.in, capEnv{ts: s.start, tsSource: "session", host: c.Host}, command)
	s.sp.other = s.output
	s.commands++
}

// psqlLine takes a line typed at a psql prompt: a statement of its own,
// or the next line of the statement above.
func (s *session) psqlLine(l *Line, q psqlLine) error {
	if q.more && s.cur != nil && s.psqlDB != "" && s.sp != nil && s.sp.outs == 0 && len(s.out) == 0 {
		s.cur.Command += "\n" + q.command
		s.curLines++
		return nil
	}
	if q.command == "" {
		// an empty prompt (enter pressed): no statement of its own
		if s.cur != nil {
			s.curLines++
		} else {
			s.pending = append(s.pending, capCopyLine(l))
		}
		return nil
	}
	if err := s.endCommand(); err != nil {
		return err
	}
	s.begin(l, q.command, prompt{}, false)
	s.psqlDB = q.database
	s.psql = true
	s.cur.Attrs["prompt"] = "psql"
	s.cur.Attrs["database"] = q.database
	return nil
}

// sessionZone is the zone of the session's own clock (prompt times): the
// offset its header was written in, read as tz when tz has that offset
// then (so that a DST change during the session is followed).
func sessionZone(header []byte, start time.Time, tz *time.Location) *time.Location {
	wall, ok := parseDateLine(wallClock(header), time.UTC)
	if !ok {
		return tz
	}
	off := int(wall.Sub(start) / time.Second)
	if _, tzOff := start.In(tz).Zone(); tzOff == off {
		return tz
	}
	return time.FixedZone("", off)
}

// wallClock strips the zone from a header time: the offset of an ISO time,
// a zone abbreviation of a date-style one.
func wallClock(b []byte) []byte {
	t := bytes.TrimSpace(b)
	if len(t) >= 19 && t[0] >= '0' && t[0] <= '9' {
		n := 19
		for n < len(t) && (t[n] == '.' || t[n] == ',' || (t[n] >= '0' && t[n] <= '9')) {
			n++
		}
		return t[:n]
	}
	var kept [][]byte
	for _, w := range bytes.Fields(t) {
		if _, ok := zoneOffsets[string(w)]; ok || isZoneWord(string(w)) {
			continue
		}
		kept = append(kept, w)
	}
	return bytes.Join(kept, []byte(" "))
}

// clockAfter places a prompt's [YYYY-MM-DD ]HH:MM[:SS], a wall-clock time
// in zone, at or after ref: a time alone is on ref's day in that zone, or
// the next day (a session that runs past midnight).
func clockAfter(ref time.Time, clock string, zone *time.Location) (time.Time, bool) {
	if zone == nil {
		zone = time.UTC
	}
	if len(clock) > 10 && clock[4] == '-' {
		b := []byte(clock)
		if len(b) == 16 {
			b = append(b, ":00"...)
		}
		t, n, _, ok := parseISO(b, zone)
		if !ok || n != len(b) {
			return time.Time{}, false
		}
		if t.Before(ref) {
			return ref, true
		}
		return t, true
	}
	var h, m, sec int
	parts := strings.Split(clock, ":")
	h, ok1 := digits([]byte(parts[0]), 2)
	m, ok2 := digits([]byte(parts[1]), 2)
	ok3 := true
	if len(parts) > 2 {
		sec, ok3 = digits([]byte(parts[2]), 2)
	}
	if !ok1 || !ok2 || !ok3 || h > 23 {
		return time.Time{}, false
	}
	r := ref.In(zone)
	t := time.Date(r.Year(), r.Month(), r.Day(), h, m, sec, 0, zone)
	if t.Before(ref.Add(-time.Minute)) {
		t = time.Date(r.Year(), r.Month(), r.Day()+1, h, m, sec, 0, zone)
	}
	if t.Before(ref) {
		return ref, true
	}
	return t.UTC(), true
}

// output takes a line of the current command's output that no capture
// parser claimed.
func (s *session) output(l *Line) error {
	if s.cur == nil {
		s.pending = append(s.pending, capCopyLine(l))
		return nil
	}
	s.curLines++
	if len(s.out)+len(l.Text)+1 > maxOutput {
		s.outCut += int64(len(l.Text)) + 1
		return nil
	}
	if len(s.out) > 0 {
		s.out = append(s.out, '\n')
	}
	s.out = append(s.out, l.Text...)
	return nil
}

// endCommand emits the current command row.
func (s *session) endCommand() error {
	c := s.cur
	if c == nil {
		return nil
	}
	if s.sp != nil {
		// route the capture parser's lines: outputs to captures, the rest here
		sp := s.sp
		s.sp = nil
		if err := sp.end(); err != nil {
			return err
		}
		if !c.TSExact && !sp.first.IsZero() && !sp.first.Before(c.TS) && printsNow(c) {
			// date, SELECT now(), nvidia-smi: the time it printed is when it ran
			c.TS = sp.first
			c.Attrs["ts_basis"] = "own_output"
		}
		if !sp.latest.IsZero() && sp.latest.After(s.start) {
			s.start, s.basis = sp.latest, "output_time"
		}
		if sp.outs > 0 {
			c.Attrs["captures"] = sp.outs
		}
	}
	s.cur = nil
	c.Lines = s.curLines + len(s.pending)
	s.pending = s.pending[:0]
	c.Output = strings.TrimRight(str(s.out), "\n ")
	if s.outCut > 0 {
		c.Attrs["output_cut_bytes"] = s.outCut
	}
	var m Meaning
	if c.Attrs["prompt"] == "psql" {
		m = classifyPsqlInput(c.Command)
	} else {
		m = Classify(c.Command)
	}
	c.Action, c.Target, c.Service = m.Action, m.Target, m.Service
	if m.Sudo {
		c.Attrs["sudo"] = true
	}
	if len(m.Actions) > 0 {
		c.Attrs["actions"] = m.Actions
	}
	if len(c.Attrs) == 0 {
		c.Attrs = nil
	}
	return s.in.Emit(c, c.TS, c.Lines, s.curOff)
}

// rejectPending rejects lines that no command took.
func (s *session) rejectPending(why string) error {
	for i := range s.pending {
		if err := s.in.Reject(&s.pending[i], why); err != nil {
			return err
		}
	}
	s.pending = s.pending[:0]
	return nil
}
