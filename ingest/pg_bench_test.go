package ingest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/internal/pgtest"
)

// discardSink counts rows and drops them.
type discardSink struct{ rows, rejects int }

func (d *discardSink) Log(*forensics.LogRecord) error    { d.rows++; return nil }
func (d *discardSink) HTTP(*forensics.HTTPRequest) error { d.rows++; return nil }
func (d *discardSink) Note(*forensics.Note) error        { d.rows++; return nil }
func (d *discardSink) Emit(forensics.Record) error       { d.rows++; return nil }
func (d *discardSink) Reject(int64, string, []byte) error {
	d.rejects++
	return nil
}

// BenchmarkPSQLStatements parses pg_stat_statements snapshots in psql's
// aligned \watch form (10 snapshots x 2,000 rows per iteration): the
// reader alone, without the store.
func BenchmarkPSQLStatements(b *testing.B) {
	var buf bytes.Buffer
	if err := pgtest.WriteStatementsWatch(&buf, 10, 2000, time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink := &discardSink{}
		in := &Input{Path: "statements.txt", R: bytes.NewReader(data), TZ: time.UTC, Sink: sink}
		if err := (PSQL{}).Read(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		if sink.rejects > 0 || sink.rows != 20010 {
			b.Fatalf("rows %d rejects %d", sink.rows, sink.rejects)
		}
	}
	b.ReportMetric(float64(20000*b.N)/b.Elapsed().Seconds(), "rows/s")
}
