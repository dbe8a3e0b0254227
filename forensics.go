// Package forensics holds the domain types shared by every part of the
// forensics tool: the records that readers produce (log records, HTTP
// requests, notes), the timeline events and findings that detectors and the
// report use, and small helpers such as TimeRange and Level. It does no I/O;
// ingest/, query/, detectors/ and report/ import it and never each other's
// internals.
package forensics

import (
	"strings"
	"time"
	"unicode/utf8"
)

// TimeRange is a half-open interval [Since, Until). A zero bound is open.
type TimeRange struct {
	Since time.Time
	Until time.Time
}

// Contains reports whether t lies in the range. A zero t (a record without
// a timestamp) is contained only when both bounds are open.
func (r TimeRange) Contains(t time.Time) bool {
	if t.IsZero() {
		return r.Since.IsZero() && r.Until.IsZero()
	}
	if !r.Since.IsZero() && t.Before(r.Since) {
		return false
	}
	if !r.Until.IsZero() && !t.Before(r.Until) {
		return false
	}
	return true
}

// IsZero reports whether the range is unbounded on both sides.
func (r TimeRange) IsZero() bool { return r.Since.IsZero() && r.Until.IsZero() }

// Covers reports whether r contains every instant of o.
func (r TimeRange) Covers(o TimeRange) bool {
	if !r.Since.IsZero() && (o.Since.IsZero() || o.Since.Before(r.Since)) {
		return false
	}
	if !r.Until.IsZero() && (o.Until.IsZero() || o.Until.After(r.Until)) {
		return false
	}
	return true
}

// Level is a normalized log level.
type Level string

// The normalized levels, from least to most severe.
const (
	LevelUnknown  Level = ""
	LevelDebug    Level = "DEBUG"
	LevelInfo     Level = "INFO"
	LevelWarning  Level = "WARNING"
	LevelError    Level = "ERROR"
	LevelCritical Level = "CRITICAL"
)

// ParseLevel normalizes a level word of Python logging, syslog, PostgreSQL
// and common loggers. ok is false for a word that is not a level.
func ParseLevel(s string) (Level, bool) {
	switch strings.ToUpper(s) {
	case "DEBUG", "TRACE", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "DBG", "7":
		return LevelDebug, true
	case "INFO", "INFORMATION", "NOTICE", "LOG", "STATEMENT", "DETAIL", "HINT", "CONTEXT", "INF", "5", "6":
		return LevelInfo, true
	case "WARNING", "WARN", "WRN", "4":
		return LevelWarning, true
	case "ERROR", "ERR", "EROR", "3":
		return LevelError, true
	case "CRITICAL", "FATAL", "PANIC", "CRIT", "ALERT", "EMERG", "EMERGENCY", "SEVERE", "0", "1", "2":
		return LevelCritical, true
	}
	return LevelUnknown, false
}

// LogRecord is one log record: a line of an application, compose or generic
// log, with any continuation lines (a traceback) folded into it.
type LogRecord struct {
	TS         time.Time // zero when the record carries no time
	LineNo     int64     // 1-based line of the record's first line in the decompressed file
	Lines      int       // physical lines in the record (1 + continuations)
	Host       string
	Service    string // compose service or the app's component
	Level      Level
	Logger     string
	Message    string // first line of the message plus any continuation that is not the exception
	Exception  string // final exception line of a traceback, e.g. "torch.cuda.OutOfMemoryError: CUDA out of memory..."
	Detail     string // continuation lines (a traceback, a multi-line message), without the first line
	Layout     string // which layout the reader recognised (bracket, dash, json, pg, redis, syslog, text ...)
	TemplateID uint32
	Attrs      map[string]any
}

// HTTPRequest is one access-log line.
type HTTPRequest struct {
	TS           time.Time // when the request ended (the access log's stamp)
	LineNo       int64
	Client       string
	User         string
	Method       string
	Path         string
	Protocol     string
	Status       int
	Bytes        int64
	Referer      string
	UserAgent    string
	ResponseTime float64 // seconds; negative when unknown
	Attrs        map[string]any
}

// StartedAt is when the request began: the stamp minus the response time.
func (r *HTTPRequest) StartedAt() time.Time {
	if r.ResponseTime <= 0 || r.TS.IsZero() {
		return r.TS
	}
	return r.TS.Add(-time.Duration(r.ResponseTime * float64(time.Second)))
}

// Note is a free-text file kept whole (responders' notes).
type Note struct {
	Lines int
	Text  string
}

// SourceFile describes one evidence file in the case database.
type SourceFile struct {
	ID         int64
	Kind       string
	Path       string
	SHA256     string // of the decompressed content
	HeadSHA256 string // of its first 4096 bytes (all when shorter); "" when written by an older build
	Bytes      int64  // decompressed size
	FileBytes  int64  // size on disk
	Compressed bool
	MTime      time.Time
	Lines      int64
	Rows       int64
	Conts      int64
	Rejects    int64
	Filtered   int64
	FirstTS    time.Time
	LastTS     time.Time
	Status     string
	Problem    string
	Passes     []Pass
}

// Pass is one read of (part of) a source: the bytes it covered and the
// time window it was restricted to.
type Pass struct {
	FromByte, ToByte int64
	FromLine, ToLine int64
	Window           TimeRange
	Rows             int64
	Rejects          int64
	Filtered         int64
	Continuations    int64
	FirstTS, LastTS  time.Time
}

// Template is a mined log message template.
type Template struct {
	ID    uint32
	Text  string
	Count int64
}

// Issue is a file or folder that was skipped or read only in part.
type Issue struct {
	Path     string
	Severity string // skipped, error, warning
	Problem  string
}

// Record is a row of a table that a reader produces beyond logs and HTTP
// requests (journal entries, PostgreSQL snapshot rows, commands, ...).
// The store knows how to write each table (query.Tables); Table names it.
type Record interface {
	Table() string
}

// FirstLine is the first line of s, cut to at most n characters (runes,
// never inside one) with "…" marking the cut: one line of a finding's
// title, a root cause or a timeline event from a record's text.
func FirstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) <= n || n < 1 {
		return s
	}
	k := 0
	for i := range s {
		if k == n-1 {
			if utf8.RuneCountInString(s[i:]) <= 1 {
				return s
			}
			return s[:i] + "…"
		}
		k++
	}
	return s
}
