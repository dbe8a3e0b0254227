package query

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || SchemaVersion() != len(ms) {
		t.Fatalf("migrations: %d", len(ms))
	}
}

func TestOpenCreatesMigratesAndRefusesNewer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.duckdb")

	// An "older" file: only the first migration applied.
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := s.Version(ctx)
	if v != SchemaVersion() {
		t.Fatalf("new file at version %d, want %d", v, SchemaVersion())
	}
	s.Close()

	// Read-only open of a current file works and cannot write.
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.DB.ExecContext(ctx, `DELETE FROM logs`); err == nil {
		t.Error("read-only store accepted a write")
	}
	ro.Close()

	// A file from a newer forensics is refused with a clear message.
	s, _ = Open(ctx, path, Options{})
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (999, '999_future', now())`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, ro := range []bool{false, true} {
		_, err = Open(ctx, path, Options{ReadOnly: ro})
		ue, ok := IsUserError(err)
		if !ok || !strings.Contains(ue.Msg, "newer") || ue.Hint == "" {
			t.Errorf("read-only=%v: newer file not refused clearly: %v", ro, err)
		}
	}
}

func TestOlderFileIsMigrated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Pretend the file was written by a build that knew fewer migrations:
	// drop the last one's record and its effect marker.
	ms, _ := migrations()
	last := ms[len(ms)-1]
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = ?`, last.version); err != nil {
		t.Fatal(err)
	}
	if len(ms) == 1 {
		// With one migration, an "older" file is an empty schema: start over.
		s.Close()
		path = filepath.Join(t.TempDir(), "old2.duckdb")
		s, _ = Open(ctx, path, Options{})
		s.DB.ExecContext(ctx, `DROP VIEW events; DROP VIEW events_logs; DROP VIEW events_http; DROP VIEW errors_per_minute; DROP TABLE logs; DROP TABLE http_requests; DROP TABLE notes;
			DROP TABLE rejects; DROP TABLE templates; DROP TABLE sources; DROP TABLE source_passes; DROP TABLE ingest_runs; DROP TABLE ingest_issues;
			DELETE FROM schema_migrations`)
	}
	s.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if ue, ok := IsUserError(err); !ok || !strings.Contains(ue.Hint, "migrate") {
		t.Errorf("read-only open of an older file: %v", err)
	}
	if ro != nil {
		ro.Close()
	}
	s, err = Open(ctx, path, Options{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.Version(ctx); v != SchemaVersion() {
		t.Errorf("after migration at %d", v)
	}
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM logs`).Scan(&n); err != nil {
		t.Errorf("logs table after migration: %v", err)
	}
}

func TestMarkdownCellEscapes(t *testing.T) {
	got := MarkdownCell("a|b`c\nd <script>x</script> *e*")
	want := "a\\|b\\`c<br>d &lt;script&gt;x&lt;/script&gt; \\*e\\*"
	if got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestNotACaseFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "other.duckdb")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.DB.ExecContext(ctx, `DROP TABLE schema_migrations; CREATE TABLE foo (x INT)`)
	s.Close()
	_, err = Open(ctx, path, Options{ReadOnly: true})
	if ue, ok := IsUserError(err); !ok || !strings.Contains(ue.Msg, "not a forensics case file") {
		t.Errorf("got %v", err)
	}
}

func TestForeignDuckDBFileIsNotTouched(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "other.duckdb")
	s, _ := Open(ctx, path, Options{})
	s.DB.ExecContext(ctx, `DROP VIEW events; DROP VIEW events_logs; DROP VIEW events_http; DROP VIEW errors_per_minute; DROP TABLE logs; DROP TABLE schema_migrations`)
	s.Close()
	_, err := Open(ctx, path, Options{})
	if ue, ok := IsUserError(err); !ok || !strings.Contains(ue.Msg, "not a forensics case file") {
		t.Errorf("read-write open of a foreign file: %v", err)
	}
}

func TestColumnDescriptions(t *testing.T) {
	body, docs := splitColumnComments("CREATE TABLE t (a INT, \"user\" VARCHAR);\nCOMMENT ON COLUMN t.a IS 'it''s a';\nCOMMENT ON COLUMN t.\"user\" IS 'who';\nCOMMENT ON TABLE t IS 'kept';\n")
	if body != "CREATE TABLE t (a INT, \"user\" VARCHAR);\nCOMMENT ON TABLE t IS 'kept';\n" {
		t.Errorf("body %q", body)
	}
	if len(docs) != 2 || docs[0] != (columnDoc{"t", "a", "it's a"}) || docs[1] != (columnDoc{"t", "user", "who"}) {
		t.Errorf("docs %+v", docs)
	}
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rels, err := s.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		for _, c := range r.Columns {
			// A later migration's description replaces an earlier one.
			if r.Name == "errors_per_minute" && c.Name == "source" && !strings.Contains(c.Description, "journal") {
				t.Errorf("errors_per_minute.source: %q (006's description lost)", c.Description)
			}
			if r.Kind == "table" && c.Description == "" {
				t.Errorf("%s.%s has no description", r.Name, c.Name)
			}
		}
	}
}
