package ingest

import (
	"bytes"
	"io"
	"time"
	"unicode/utf8"

	"github.com/vidbench/forensics"
)

// Sink receives the rows a reader produces. The store implements it for a
// file being ingested inside one transaction; tests use a MemSink.
type Sink interface {
	Log(rec *forensics.LogRecord) error
	HTTP(req *forensics.HTTPRequest) error
	Note(n *forensics.Note) error
	// Emit writes a row of any other table the store knows (see
	// query.Tables): journal entries, snapshot rows, commands, ...
	Emit(r forensics.Record) error
	Reject(lineNo int64, reason string, raw []byte) error
}

// Stats accounts for every line read from one file: each is part of a row
// (Rows counts rows, Continuations the extra lines folded into them and
// the lines of structure rows, see Input.Structure), a reject, or left out
// by the --since/--until window (Filtered).
type Stats struct {
	Lines         int64
	Rows          int64
	Continuations int64
	Rejects       int64
	Filtered      int64
	FirstTS       time.Time
	LastTS        time.Time
}

// Balanced reports whether every line read is accounted for.
func (s Stats) Balanced() bool {
	return s.Rows+s.Continuations+s.Rejects+s.Filtered == s.Lines
}

func (s *Stats) seen(t time.Time) {
	if t.IsZero() {
		return
	}
	if s.FirstTS.IsZero() || t.Before(s.FirstTS) {
		s.FirstTS = t
	}
	if t.After(s.LastTS) {
		s.LastTS = t
	}
}

// Input is what a reader reads: the decompressed content (possibly from the
// middle of a file that grew since the last ingest) and the context it
// needs to make rows. Readers emit through its methods, which apply the
// time window, mine templates and keep the accounts.
type Input struct {
	Path        string
	R           io.Reader
	StartLine   int64 // lines before R's first byte (for an appended part)
	StartOffset int64 // bytes before R's first byte
	TZ          *time.Location
	Ref         time.Time // the file's modification time: the year of year-less stamps
	Service     string    // default service name for records of this file
	Stats       Stats

	// Keep decides whether a record is ingested: the run's window, minus
	// what earlier ingests of the same content already covered. nil keeps all.
	Keep func(ts time.Time, offset int64) bool
	// Seen reports whether an earlier ingest already read the line at
	// offset (its rejects are not counted twice). nil: nothing was read.
	Seen     func(offset int64) bool
	Template func(message string) uint32
	// Mask and TemplateMasked, when set, split Template in two: Mask runs
	// in the reader's goroutine, TemplateMasked in the second stage.
	Mask           func(dst []byte, message string) []byte
	TemplateMasked func(masked []byte) uint32
	Sink           Sink

	stage *stage // when set, template mining and the sink run in a second goroutine

	// Warnings are what the reader wants the person ingesting to know
	// about the file (a capture time guessed from the file's mtime); the
	// run reports them as problems of severity "warning".
	Warnings []string
}

// Warn records a warning about the file for the ingest summary.
func (in *Input) Warn(msg string) { in.Warnings = append(in.Warnings, msg) }

// Log emits a log record that starts at byte offset.
func (in *Input) Log(rec *forensics.LogRecord, offset int64) error {
	lines := int64(rec.Lines)
	if lines < 1 {
		lines = 1
	}
	in.Stats.Lines += lines
	if in.Keep != nil && !in.Keep(rec.TS, offset) {
		in.Stats.Filtered += lines
		return nil
	}
	if rec.Service == "" {
		rec.Service = in.Service
	}
	in.Stats.Rows++
	in.Stats.Continuations += lines - 1
	in.Stats.seen(rec.TS)
	if in.stage != nil {
		r := *rec
		it := item{log: &r}
		if in.Mask != nil {
			it.key = in.Mask(nil, r.Message)
		}
		return in.stage.push(it)
	}
	if in.Template != nil {
		rec.TemplateID = in.Template(rec.Message)
	}
	return in.Sink.Log(rec)
}

// HTTP emits an access-log row from one line at offset.
func (in *Input) HTTP(req *forensics.HTTPRequest, offset int64) error {
	in.Stats.Lines++
	if in.Keep != nil && !in.Keep(req.TS, offset) {
		in.Stats.Filtered++
		return nil
	}
	in.Stats.Rows++
	in.Stats.seen(req.TS)
	if in.stage != nil {
		r := *req
		return in.stage.push(item{http: &r})
	}
	return in.Sink.HTTP(req)
}

// Emit emits a row of another table, made from lines lines starting at
// offset, with time ts (zero when it has none).
func (in *Input) Emit(r forensics.Record, ts time.Time, lines int, offset int64) error {
	n := int64(max(lines, 1))
	in.Stats.Lines += n
	if in.Keep != nil && !in.Keep(ts, offset) {
		in.Stats.Filtered += n
		return nil
	}
	in.Stats.Rows++
	in.Stats.Continuations += n - 1
	in.Stats.seen(ts)
	if in.stage != nil {
		return in.stage.push(item{rec: r})
	}
	return in.Sink.Emit(r)
}

// Structure emits a row that describes how the file is laid out rather
// than holding its data: a pg_snapshots frame (a snapshot's title, CSV
// header repeated before each appended snapshot, psql's rule and footer).
// It is written like any row, but its lines are counted as Continuations,
// not as a row, so that Rows counts the data rows the file holds.
func (in *Input) Structure(r forensics.Record, ts time.Time, lines int, offset int64) error {
	n := int64(max(lines, 1))
	in.Stats.Lines += n
	if in.Keep != nil && !in.Keep(ts, offset) {
		in.Stats.Filtered += n
		return nil
	}
	in.Stats.Continuations += n
	in.Stats.seen(ts)
	if in.stage != nil {
		return in.stage.push(item{rec: r})
	}
	return in.Sink.Emit(r)
}

// Note emits a whole free-text file as one row.
func (in *Input) Note(n *forensics.Note) error {
	in.Stats.Lines += int64(n.Lines)
	in.Stats.Rows++
	in.Stats.Continuations += int64(n.Lines) - 1
	if in.stage != nil {
		c := *n
		return in.stage.push(item{note: &c})
	}
	return in.Sink.Note(n)
}

// Reject counts a line that could not be read, with the reason.
func (in *Input) Reject(l *Line, reason string) error {
	in.Stats.Lines++
	if in.Seen != nil && in.Seen(l.Offset) {
		in.Stats.Filtered++
		return nil
	}
	in.Stats.Rejects++
	if in.stage != nil {
		// through the stage, in order: the sink is not safe for two goroutines
		raw := append([]byte(nil), l.Text[:min(len(l.Text), maxRejectRaw)]...)
		return in.stage.push(item{reject: true, rejectLine: l.No, reason: reason, raw: raw})
	}
	return in.Sink.Reject(l.No, reason, l.Text)
}

// maxRejectRaw bounds the bytes of a rejected line passed on (the store
// keeps 1 KiB of it).
const maxRejectRaw = 1 << 10

// str turns bytes into a string that is valid UTF-8, replacing each run of
// invalid bytes with U+FFFD (the case database stores text as UTF-8).
func str(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
