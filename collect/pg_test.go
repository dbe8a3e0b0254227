package collect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/ingest"
)

func TestCSVValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"", `""`},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"two\nlines", "\"two\nlines\""},
		{" padded ", `" padded "`},
		{"{20916,20917}", `"{20916,20917}"`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		csvValue(&b, []byte(tt.in))
		if b.String() != tt.want {
			t.Errorf("%q: %s, want %s", tt.in, b.String(), tt.want)
		}
	}
}

// memSink keeps what the reader emits.
type memSink struct {
	rows    []*forensics.PGRow
	rejects []string
}

func (m *memSink) Log(*forensics.LogRecord) error    { return nil }
func (m *memSink) HTTP(*forensics.HTTPRequest) error { return nil }
func (m *memSink) Note(*forensics.Note) error        { return nil }
func (m *memSink) Emit(r forensics.Record) error {
	if p, ok := r.(*forensics.PGRow); ok {
		m.rows = append(m.rows, p)
	}
	return nil
}
func (m *memSink) Reject(_ int64, reason string, _ []byte) error {
	m.rejects = append(m.rejects, reason)
	return nil
}

// TestFilesReadBack writes two snapshots as collect pg does (NULLs, empty
// strings, quotes, commas and newlines in values, an array) and reads
// the file with the pg-csv reader: same rows, nothing rejected.
func TestFilesReadBack(t *testing.T) {
	dir := t.TempDir()
	c := &collector{opts: PGOptions{Out: dir}, stamp: "20261120T140500Z", sum: &PGSummary{}}
	f, err := c.create("pg_stat_activity")
	if err != nil {
		t.Fatal(err)
	}
	res := func(ts string) *pgconn.Result {
		r := &pgconn.Result{}
		for _, n := range []string{"snapshot_ts", "pid", "state", "query", "application_name", "blocked_by"} {
			r.FieldDescriptions = append(r.FieldDescriptions, pgconn.FieldDescription{Name: n})
		}
		r.Rows = [][][]byte{
			{[]byte(ts), []byte("20916"), []byte("active"), []byte("UPDATE jobs SET note = 'a, \"b\"'\n WHERE id = 7"), []byte(""), []byte("{20915}")},
			{[]byte(ts), []byte("20915"), []byte("idle in transaction"), []byte("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE"), nil, []byte("{}")},
		}
		return r
	}
	for _, ts := range []string{"2026-11-20 14:05:00.1+00", "2026-11-20 14:05:05.1+00"} {
		if _, err := f.write(res(ts)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.create("pg_stat_activity"); err != nil || len(c.sum.Files) != 2 || filepath.Base(c.sum.Files[1]) != "pg_stat_activity-20261120T140500Z-2.csv" {
		t.Errorf("a second file must not replace the first: %v %v", c.sum.Files, err)
	}
	b, err := os.ReadFile(c.sum.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	m := &memSink{}
	in := &ingest.Input{Path: c.sum.Files[0], R: bytes.NewReader(b), TZ: time.UTC, Sink: m}
	if err := (ingest.PGCSV{}).Read(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(m.rows) != 4 || len(m.rejects) > 0 {
		t.Fatalf("%d rows, rejects %q\n%s", len(m.rows), m.rejects, b)
	}
	r := m.rows[0]
	if r.SnapshotTS.Format(time.RFC3339Nano) != "2026-11-20T14:05:00.1Z" || r.SnapshotNo != 1 || m.rows[2].SnapshotNo != 2 {
		t.Errorf("times %v, snapshots %d %d", r.SnapshotTS, r.SnapshotNo, m.rows[2].SnapshotNo)
	}
	vals := map[string]forensics.PGValue{}
	for _, v := range forensics.PGViews() {
		if v.View == forensics.PGActivity {
			for i, col := range v.Columns {
				vals[col.Name] = r.Vals[i]
			}
		}
	}
	if got := vals["query"].S; got != "UPDATE jobs SET note = 'a, \"b\"'\n WHERE id = 7" {
		t.Errorf("query %q", got)
	}
	if got := vals["blocked_by"].S; got != "{20915}" {
		t.Errorf("blocked_by %q", got)
	}
	if v := vals["pid"]; !v.OK || v.N != 20916 {
		t.Errorf("pid %+v", v)
	}
}
