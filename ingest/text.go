package ingest

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// Text is the reader of last resort for any text file no other reader
// claims, so that no text file in a case is silently skipped. Each line that
// starts with a recognised time (ISO 8601, syslog "Nov 20 14:02:11" with the
// year from the file's time, Apache "[20/Nov/2026:14:02:11 +0000]", nginx's
// error log "2027/03/09 09:52:17", redis, epoch seconds or milliseconds)
// starts a record; times without a zone are read in --tz. PostgreSQL
// server-log, nginx error-log ("[error] 1123#1123: *884214 connect()
// failed ...") and syslog lines are split into their parts; the level
// comes from keywords (ERROR, level=error, nginx's [error], [crit], ...).
// When the sampled start of the file holds no timestamped line, every line
// is its own record without a time.
type Text struct{}

var _ Reader = Text{}

// Kind implements Reader.
func (Text) Kind() string { return "text" }

// Sniff implements Reader: any text claims a low score.
func (Text) Sniff(s *Sample) int { return 1 }

// Read implements Reader.
func (Text) Read(ctx context.Context, in *Input) error {
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	f := newFolder(in)
	var h head
	timed := -1 // unknown until the first non-blank lines are seen
	var pend []Line
	var pendBuf [][]byte
	decide := func() {
		if timed >= 0 {
			return
		}
		timed = 0
		for _, p := range pendBuf {
			if parseTextHead(p, in.TZ, in.Ref, &h) {
				timed = 1
				return
			}
		}
	}
	handle := func(l *Line) error {
		if parseTextHead(l.Text, in.TZ, in.Ref, &h) {
			return f.start(&h, l)
		}
		if timed == 1 && f.has {
			return f.continuation(l, "")
		}
		h.reset()
		h.message = l.Text
		h.layout = "text"
		if lv, ok := levelKeyword(l.Text); ok {
			h.level = lv
		}
		return f.start(&h, l)
	}
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := lr.Line()
		if timed < 0 {
			// Look at the first 200 lines before deciding the mode.
			c := *l
			c.Text = append([]byte(nil), l.Text...)
			pend = append(pend, c)
			pendBuf = append(pendBuf, c.Text)
			if len(pend) < 200 {
				continue
			}
			decide()
			for i := range pend {
				if err := handle(&pend[i]); err != nil {
					return err
				}
			}
			pend, pendBuf = nil, nil
			continue
		}
		if err := handle(l); err != nil {
			return err
		}
	}
	decide()
	for i := range pend {
		if err := handle(&pend[i]); err != nil {
			return err
		}
	}
	if err := f.flush(); err != nil {
		return err
	}
	return lr.Err()
}

// parseTextHead parses a line that starts a record in any known server or
// application layout.
func parseTextHead(b []byte, loc *time.Location, ref time.Time, h *head) bool {
	if parseAppHead(b, loc, h) {
		return true
	}
	h.reset()
	if parseRedisHead(b, loc, h) {
		return true
	}
	t, n, ok := parseAnyTime(b, loc, ref)
	if !ok {
		return false
	}
	rest := bytes.TrimLeft(b[n:], " \t")
	h.ts = t
	if parseNginxTail(rest, h) || parsePGTail(rest, h) {
		return true
	}
	h.layout = "text"
	if len(b) > 15 && b[3] == ' ' && n == 15 {
		parseSyslogTail(rest, h)
	} else {
		h.message = rest
	}
	if lv, ok := levelKeyword(rest); ok {
		h.level = lv
	}
	return true
}

// parsePGTail parses PostgreSQL's "[311] LOG:  message" (after the time).
func parsePGTail(b []byte, h *head) bool {
	rest := b
	var pid []byte
	if len(rest) > 2 && rest[0] == '[' {
		j := bytes.IndexByte(rest, ']')
		if j < 0 {
			return false
		}
		pid = rest[1:j]
		rest = bytes.TrimLeft(rest[j+1:], " ")
	}
	i := bytes.Index(rest, []byte(":  "))
	if i <= 0 || i > 64 {
		return false
	}
	// the level is the last word before ":  " (a log_line_prefix may put user@db first)
	w := rest[:i]
	if k := bytes.LastIndexByte(w, ' '); k >= 0 {
		w = w[k+1:]
	}
	var lvl forensics.Level
	switch string(w) {
	case "LOG", "STATEMENT", "DETAIL", "HINT", "CONTEXT", "NOTICE", "INFO":
		lvl = forensics.LevelInfo
	case "WARNING":
		lvl = forensics.LevelWarning
	case "ERROR":
		lvl = forensics.LevelError
	case "FATAL", "PANIC":
		lvl = forensics.LevelCritical
	case "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5":
		lvl = forensics.LevelDebug
	default:
		return false
	}
	h.level = lvl
	h.logger = "postgres"
	h.message = rest[i+3:]
	h.layout = "pg"
	h.attrs = map[string]any{"pg_level": string(w)}
	if len(pid) > 0 {
		h.attrs["pid"] = str(pid)
	}
	return true
}

// nginxLevels are the levels of nginx's error log.
var nginxLevels = map[string]forensics.Level{
	"debug": forensics.LevelDebug, "info": forensics.LevelInfo, "notice": forensics.LevelInfo,
	"warn": forensics.LevelWarning, "error": forensics.LevelError,
	"crit": forensics.LevelCritical, "alert": forensics.LevelCritical, "emerg": forensics.LevelCritical,
}

// parseNginxTail parses nginx's error-log "[error] 1123#1123: *884214
// message" (after the time): the level, the worker pid and thread id, and
// the connection number when there is one.
func parseNginxTail(b []byte, h *head) bool {
	if len(b) < 3 || b[0] != '[' {
		return false
	}
	j := bytes.IndexByte(b, ']')
	if j < 0 || j > 8 {
		return false
	}
	lvl, ok := nginxLevels[string(b[1:j])]
	if !ok {
		return false
	}
	rest := bytes.TrimLeft(b[j+1:], " ")
	k := bytes.Index(rest, []byte(": "))
	hash := bytes.IndexByte(rest, '#')
	if k <= 0 || hash <= 0 || hash >= k || !allDigitBytes(rest[:hash]) || !allDigitBytes(rest[hash+1:k]) {
		return false
	}
	h.level = lvl
	h.logger = "nginx"
	h.layout = "nginx"
	h.attrs = map[string]any{"nginx_level": string(b[1:j]), "pid": str(rest[:hash]), "tid": str(rest[hash+1 : k])}
	msg := rest[k+2:]
	if len(msg) > 1 && msg[0] == '*' {
		e := bytes.IndexByte(msg, ' ')
		if e > 1 && allDigitBytes(msg[1:e]) {
			h.attrs["connection"] = str(msg[1:e])
			msg = msg[e+1:]
		}
	}
	h.message = msg
	return true
}

func allDigitBytes(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseRedisHead parses redis' "1:M 20 Nov 2026 14:02:12.001 * message".
func parseRedisHead(b []byte, loc *time.Location, h *head) bool {
	i := bytes.IndexByte(b, ':')
	if i <= 0 || i > 10 || len(b) < i+4 || b[i+2] != ' ' {
		return false
	}
	for _, c := range b[:i] {
		if c < '0' || c > '9' {
			return false
		}
	}
	role := b[i+1]
	if role != 'M' && role != 'S' && role != 'C' && role != 'X' {
		return false
	}
	t, n, ok := parseRedis(b[i+3:], loc)
	if !ok {
		return false
	}
	rest := b[i+3+n:]
	if len(rest) < 3 || rest[0] != ' ' || rest[2] != ' ' {
		return false
	}
	switch rest[1] {
	case '.':
		h.level = forensics.LevelDebug
	case '-', '*':
		h.level = forensics.LevelInfo
	case '#':
		h.level = forensics.LevelWarning
	default:
		return false
	}
	h.ts = t
	h.logger = "redis"
	h.message = rest[3:]
	h.layout = "redis"
	h.attrs = map[string]any{"pid": str(b[:i]), "role": string(role)}
	return true
}

// parseSyslogTail splits "host prog[pid]: message".
func parseSyslogTail(b []byte, h *head) {
	h.layout = "syslog"
	host, rest, ok := field(b)
	if !ok {
		h.message = b
		return
	}
	i := bytes.Index(rest, []byte(": "))
	if i <= 0 || bytes.IndexByte(rest[:i], ' ') >= 0 {
		h.message = b
		return
	}
	prog := rest[:i]
	h.attrs = map[string]any{"host": str(host)}
	if j := bytes.IndexByte(prog, '['); j > 0 && prog[len(prog)-1] == ']' {
		h.attrs["pid"] = str(prog[j+1 : len(prog)-1])
		prog = prog[:j]
	}
	h.logger = str(prog)
	h.message = rest[i+2:]
}

// levelKeyword finds a level word among the first words of a line
// ("ERROR", "[warn]", "level=error", "<error>").
func levelKeyword(b []byte) (forensics.Level, bool) {
	if len(b) > 200 {
		b = b[:200]
	}
	words := 0
	for len(b) > 0 && words < 8 {
		b = bytes.TrimLeft(b, " \t")
		i := bytes.IndexAny(b, " \t")
		var w []byte
		if i < 0 {
			w, b = b, nil
		} else {
			w, b = b[:i], b[i:]
		}
		words++
		w = bytes.Trim(w, "[]<>():|,")
		if k := bytes.IndexByte(w, '='); k >= 0 {
			key := strings.ToLower(string(w[:k]))
			if key != "level" && key != "lvl" && key != "severity" {
				continue
			}
			w = bytes.Trim(w[k+1:], `"'`)
		}
		if len(w) < 3 || len(w) > 9 {
			continue
		}
		switch strings.ToUpper(string(w)) {
		case "DEBUG", "TRACE":
			return forensics.LevelDebug, true
		case "INFO", "NOTICE":
			return forensics.LevelInfo, true
		case "WARN", "WARNING":
			return forensics.LevelWarning, true
		case "ERROR", "ERR":
			return forensics.LevelError, true
		case "CRITICAL", "FATAL", "PANIC", "CRIT", "EMERG", "ALERT":
			return forensics.LevelCritical, true
		}
	}
	return forensics.LevelUnknown, false
}
