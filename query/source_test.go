package query

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vidbench/forensics"
)

// TestSourceHeadSHA256: a source row keeps the head hash it is given, an
// update without one keeps the old, and a case file from before the
// column (schema 7) is migrated with NULL heads, which read back as "".
func TestSourceHeadSHA256(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.duckdb")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.NewWriter(ctx, "test", "UTC", forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	commit := func(src forensics.SourceFile) int64 {
		t.Helper()
		tx, err := w.BeginFile(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(src, forensics.Pass{ToByte: src.Bytes}); err != nil {
			t.Fatal(err)
		}
		return tx.Source()
	}
	heads := func() []string {
		t.Helper()
		known, err := w.KnownSources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range known {
			out = append(out, k.HeadSHA256)
		}
		return out
	}
	src := forensics.SourceFile{Kind: "text", Path: "a.log", SHA256: "s1", HeadSHA256: "h1", Bytes: 10}
	id := commit(src)
	commit(forensics.SourceFile{Kind: "text", Path: "b.log", SHA256: "s2", HeadSHA256: "h2", Bytes: 20})
	for _, step := range []struct {
		head string
		want string
	}{
		{"", "h1"},     // kept
		{"h1b", "h1b"}, // the content grew past its old head
	} {
		src.ID, src.HeadSHA256 = id, step.head
		commit(src)
		if got := heads(); got[0] != step.want || got[1] != "h2" {
			t.Errorf("update with head %q: heads %v, want %s first", step.head, got, step.want)
		}
	}
	var doc string
	if err := s.DB.QueryRowContext(ctx, `SELECT description FROM column_docs WHERE table_name = 'sources' AND column_name = 'head_sha256'`).Scan(&doc); err != nil || doc == "" {
		t.Errorf("head_sha256 not described: %v", err)
	}
	w.Close()

	// Back to schema 7, as an older build left the file; opening migrates it.
	if _, err := s.DB.ExecContext(ctx, `ALTER TABLE sources DROP COLUMN head_sha256; DELETE FROM schema_migrations WHERE version = 8`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Version(ctx); v != SchemaVersion() || v < 7 {
		t.Errorf("migrated to version %d, want %d", v, SchemaVersion())
	}
	var nulls int
	if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM sources WHERE head_sha256 IS NULL`).Scan(&nulls); err != nil || nulls != 2 {
		t.Errorf("%d NULL heads after migrating (%v), want 2", nulls, err)
	}
	w, err = s.NewWriter(ctx, "test", "UTC", forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	if got := heads(); len(got) != 2 || got[0] != "" || got[1] != "" {
		t.Errorf("heads of an older file: %q", got)
	}
	w.Close()

	// Migration 008 runs again without error on a file that has the column.
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 8`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, path, Options{}); err != nil {
		t.Fatalf("migration 008 again: %v", err)
	}
	s.Close()
}
