package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// AppLog reads the vid-bench application log (Python logging) in its three
// layouts:
//
//	2026-11-20 14:02:11,532 ERROR [vid_bench.runner] message        (bracket)
//	2026-11-20 14:02:11,532 - vid_bench.runner - ERROR - message    (dash)
//	{"timestamp": "...", "level": "error", "logger": "...", ...}    (json)
//
// Lines that do not start a record (tracebacks, multi-line messages) are
// folded into the record above; the final exception line of a traceback is
// kept in Exception.
type AppLog struct{}

var _ Reader = AppLog{}

// Kind implements Reader.
func (AppLog) Kind() string { return "applog" }

// Sniff implements Reader: most sampled lines are app-log heads or
// continuation lines, and at least one is a head.
func (AppLog) Sniff(s *Sample) int {
	heads, other := 0, 0
	for _, l := range s.Lines {
		if isBlank(l) {
			continue
		}
		var h head
		if parseAppHead(l, time.UTC, &h) {
			heads++
		} else if !looksContinuation(l) {
			other++
		}
	}
	if heads == 0 || heads < other*3 {
		return 0
	}
	return 80
}

// Read implements Reader.
func (AppLog) Read(ctx context.Context, in *Input) error {
	f := newFolder(in)
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	var h head
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := lr.Line()
		if parseAppHead(l.Text, in.TZ, &h) {
			if err := f.start(&h, l); err != nil {
				return err
			}
			continue
		}
		if err := f.continuation(l, "continuation line before the first record (the file may start mid-record)"); err != nil {
			return err
		}
	}
	if err := f.flush(); err != nil {
		return err
	}
	return lr.Err()
}

// head is the parsed first line of a record.
type head struct {
	ts        time.Time
	level     forensics.Level
	logger    string
	message   []byte
	layout    string
	attrs     map[string]any
	detail    string // JSON records carry their traceback inside
	exception string
	service   string
}

func (h *head) reset() { *h = head{} }

// parseAppHead parses one line as the start of an app-log record.
func parseAppHead(b []byte, loc *time.Location, h *head) bool {
	h.reset()
	if len(b) > 0 && b[0] == '{' {
		return parseJSONHead(b, loc, h)
	}
	t, n, _, ok := parseISO(b, loc)
	if !ok {
		return false
	}
	rest := b[n:]
	if len(rest) < 2 || rest[0] != ' ' {
		return false
	}
	rest = bytes.TrimLeft(rest, " ")
	// dash layout: "- logger - LEVEL - message"
	if len(rest) > 2 && rest[0] == '-' && rest[1] == ' ' {
		rest = rest[2:]
		i := bytes.Index(rest, []byte(" - "))
		if i < 0 {
			return false
		}
		logger := rest[:i]
		rest = rest[i+3:]
		j := bytes.Index(rest, []byte(" - "))
		var lw, msg []byte
		if j < 0 {
			lw, msg = bytes.TrimRight(rest, " -"), nil
		} else {
			lw, msg = rest[:j], rest[j+3:]
		}
		lvl, ok := forensics.ParseLevel(string(lw))
		if !ok {
			return false
		}
		h.ts, h.level, h.logger, h.message, h.layout = t, lvl, string(logger), msg, "dash"
		return true
	}
	// bracket layout: "LEVEL [logger] message" (logger optional)
	i := 0
	for i < len(rest) && rest[i] != ' ' && rest[i] != ':' {
		i++
	}
	lvl, ok := forensics.ParseLevel(string(rest[:i]))
	if !ok || lvl == forensics.LevelUnknown {
		return false
	}
	rest = rest[i:]
	if len(rest) > 0 && rest[0] == ':' {
		rest = rest[1:]
	}
	rest = bytes.TrimLeft(rest, " ")
	if len(rest) > 0 && rest[0] == '[' {
		if j := bytes.IndexByte(rest, ']'); j > 0 {
			h.logger = string(rest[1:j])
			rest = bytes.TrimLeft(rest[j+1:], " ")
		}
	}
	h.ts, h.level, h.message, h.layout = t, lvl, rest, "bracket"
	return true
}

var (
	jsonTimeKeys   = []string{"timestamp", "time", "ts", "@timestamp", "asctime", "datetime"}
	jsonLevelKeys  = []string{"level", "levelname", "severity", "lvl", "log.level"}
	jsonLoggerKeys = []string{"logger", "name", "logger_name", "log.logger"}
	jsonMsgKeys    = []string{"message", "msg", "event"}
	jsonExcKeys    = []string{"exc_info", "exception", "exc_text", "stack_trace", "traceback"}
)

// parseJSONHead parses one JSON-object log line. It needs a time and a
// message key to count as an app-log record.
func parseJSONHead(b []byte, loc *time.Location, h *head) bool {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return false
	}
	ts, tk := pickString(m, jsonTimeKeys)
	msg, mk := pickString(m, jsonMsgKeys)
	if tk == "" || mk == "" {
		return false
	}
	t, ok := parseJSONTime(ts, m[tk], loc)
	if !ok {
		return false
	}
	h.ts = t
	h.message = []byte(msg)
	h.layout = "json"
	delete(m, tk)
	delete(m, mk)
	if lv, k := pickString(m, jsonLevelKeys); k != "" {
		if l, ok := forensics.ParseLevel(lv); ok {
			h.level = l
			delete(m, k)
		}
	}
	if lg, k := pickString(m, jsonLoggerKeys); k != "" {
		h.logger = lg
		delete(m, k)
	}
	if ex, k := pickString(m, jsonExcKeys); k != "" {
		h.detail = strings.TrimRight(ex, "\n")
		h.exception = exceptionLine(strings.Split(h.detail, "\n"))
		delete(m, k)
	}
	if svc, ok := m["service"].(string); ok {
		h.service = svc
	}
	if len(m) > 0 {
		h.attrs = m
	}
	return true
}

func pickString(m map[string]any, keys []string) (string, string) {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			switch x := v.(type) {
			case string:
				return x, k
			case float64:
				return fmt.Sprint(x), k
			}
		}
	}
	return "", ""
}

func parseJSONTime(s string, raw any, loc *time.Location) (time.Time, bool) {
	if f, ok := raw.(float64); ok {
		sec := int64(f)
		switch {
		case f > 1e17: // nanoseconds
			return time.Unix(0, int64(f)).UTC(), true
		case f > 1e14: // microseconds
			return time.UnixMicro(int64(f)).UTC(), true
		case f > 1e11: // milliseconds
			return time.UnixMilli(int64(f)).UTC(), true
		default:
			return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
		}
	}
	t, _, ok := parseAnyTime([]byte(s), loc, time.Time{})
	return t, ok
}

// looksContinuation reports whether a line looks like part of the record
// above: indented, a traceback header or an exception line.
func looksContinuation(l []byte) bool {
	if len(l) == 0 {
		return true
	}
	if l[0] == ' ' || l[0] == '\t' {
		return true
	}
	return bytes.HasPrefix(l, []byte("Traceback ")) || bytes.HasPrefix(l, []byte("During handling")) ||
		bytes.HasPrefix(l, []byte("The above exception")) || isExceptionLine(string(l))
}

// isExceptionLine matches "pkg.mod.SomeError: text" or "SomeError" at the
// start of a line, as Python prints the last line of a traceback.
func isExceptionLine(s string) bool {
	if s == "" {
		return false
	}
	end := strings.IndexByte(s, ':')
	name := s
	if end >= 0 {
		name = s[:end]
	}
	if name == "" || strings.ContainsAny(name, " \t") {
		return false
	}
	c := name[0]
	if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	if end < 0 {
		return strings.HasSuffix(name, "Error") || strings.HasSuffix(name, "Exception") || strings.HasSuffix(name, "Interrupt") || strings.HasSuffix(name, "Exit")
	}
	return strings.HasSuffix(name, "Error") || strings.HasSuffix(name, "Exception") || strings.HasSuffix(name, "Warning") ||
		strings.HasSuffix(name, "Interrupt") || strings.HasSuffix(name, "Exit") || strings.Contains(name, ".")
}

// exceptionLine returns the final exception line of a traceback held in
// lines, or "" when there is no traceback.
func exceptionLine(lines []string) string {
	tb := false
	for _, l := range lines {
		if strings.HasPrefix(l, "Traceback (most recent call last)") {
			tb = true
			break
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			continue
		}
		if isExceptionLine(l) {
			return l
		}
		if !tb {
			return ""
		}
	}
	return ""
}

// folder assembles records from heads and continuation lines.
type folder struct {
	in      *Input
	pending forensics.LogRecord
	has     bool
	offset  int64
	detail  []byte
	cont    [][]byte // continuation lines, for the exception search (views into detail)
}

func newFolder(in *Input) *folder { return &folder{in: in} }

func (f *folder) start(h *head, l *Line) error {
	if err := f.flush(); err != nil {
		return err
	}
	f.pending = forensics.LogRecord{
		TS: h.ts, LineNo: l.No, Lines: 1, Level: h.level, Logger: h.logger,
		Message: str(h.message), Layout: h.layout, Attrs: h.attrs, Detail: h.detail,
		Exception: h.exception, Service: h.service,
	}
	if l.Cut > 0 {
		f.pending.Attrs = withAttr(f.pending.Attrs, "truncated_bytes", l.Cut)
	}
	f.offset = l.Offset
	f.has = true
	return nil
}

func withAttr(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// continuation folds l into the pending record, or rejects it with reason
// when there is none.
func (f *folder) continuation(l *Line, reason string) error {
	return f.continueWith(l, l.Text, reason)
}

// continueWith folds text (the part of l that belongs to the record) into
// the pending record.
func (f *folder) continueWith(l *Line, text []byte, reason string) error {
	if !f.has {
		return f.in.Reject(l, reason)
	}
	f.pending.Lines++
	if len(f.detail) > 0 || f.pending.Lines > 2 {
		f.detail = append(f.detail, '\n')
	}
	f.detail = append(f.detail, text...)
	return nil
}

func (f *folder) flush() error {
	if !f.has {
		return nil
	}
	f.has = false
	if len(f.detail) > 0 {
		d := str(f.detail)
		if f.pending.Detail != "" {
			f.pending.Detail += "\n" + d
		} else {
			f.pending.Detail = d
		}
		if f.pending.Exception == "" {
			f.pending.Exception = exceptionLine(strings.Split(d, "\n"))
		}
		f.detail = f.detail[:0]
	}
	rec := f.pending
	return f.in.Log(&rec, f.offset)
}
