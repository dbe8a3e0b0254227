package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// memSink keeps rows in memory for reader tests.
type memSink struct {
	logs    []forensics.LogRecord
	http    []forensics.HTTPRequest
	notes   []forensics.Note
	rows    []forensics.Record
	rejects []string
}

func (m *memSink) Emit(r forensics.Record) error { m.rows = append(m.rows, r); return nil }

func (m *memSink) Log(r *forensics.LogRecord) error    { m.logs = append(m.logs, *r); return nil }
func (m *memSink) HTTP(r *forensics.HTTPRequest) error { m.http = append(m.http, *r); return nil }
func (m *memSink) Note(n *forensics.Note) error        { m.notes = append(m.notes, *n); return nil }
func (m *memSink) Reject(no int64, reason string, raw []byte) error {
	m.rejects = append(m.rejects, reason)
	return nil
}

// readString runs reader rd over text and returns the rows and stats.
func readString(t testing.TB, rd Reader, text string) (*memSink, Stats) {
	t.Helper()
	m := &memSink{}
	in := &Input{Path: "test.log", R: strings.NewReader(text), TZ: time.UTC,
		Ref: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Sink: m}
	if err := rd.Read(context.Background(), in); err != nil {
		t.Fatalf("%s: read: %v", rd.Kind(), err)
	}
	if !in.Stats.Balanced() {
		t.Errorf("%s: lines not accounted for: %+v", rd.Kind(), in.Stats)
	}
	return m, in.Stats
}

// countLines counts lines as the LineReader does.
func countLines(s string) int64 {
	if s == "" {
		return 0
	}
	n := int64(strings.Count(s, "\n"))
	if !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

func nil0() *time.Location { return time.UTC }
