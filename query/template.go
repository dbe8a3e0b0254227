package query

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A new case file is made from an empty case database embedded in the
// binary, with every migration already applied, rather than by running
// the migrations: that took ~90 ms of every first ingest (hundreds of DDL
// statements), copying takes a few. The template is generated from the
// migrations (make template, or go test ./query -run TestCaseTemplate
// -update-template) and TestCaseTemplate checks that it still matches
// them; a stale template is still correct, since Open applies the
// migrations it lacks.
//
//go:embed template/case.duckdb.gz
var caseTemplate []byte

// createFromTemplate writes the template to path when nothing is there
// yet, and reports whether it did. The file appears whole or not at all
// (written beside it, then linked into place), so a second process making
// the same case file at once finds either nothing or a complete file.
func createFromTemplate(path string) (bool, error) {
	if len(caseTemplate) == 0 {
		return false, nil
	}
	for _, p := range []string{path, path + ".wal"} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			return false, nil // there is something (or it cannot be told): open as is
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(caseTemplate))
	if err != nil {
		return false, fmt.Errorf("case template: %w", err)
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new-"+hex.EncodeToString(suffix[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false, fmt.Errorf("create case file: %w", err)
	}
	defer os.Remove(tmp)
	if _, err := io.Copy(f, zr); err != nil {
		f.Close()
		return false, fmt.Errorf("create case file from template: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("create case file: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil // made by another process meanwhile
		}
		return false, fmt.Errorf("create case file: %w", err)
	}
	return true, nil
}

// SchemaDump describes everything the migrations make, one line per
// object (tables, views, macros, indexes, sequences with their SQL and
// comments; column descriptions; the migrations recorded), in a stable
// order: two case files with the same dump have the same schema.
func SchemaDump(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, `
SELECT 'table', table_name, sql, coalesce(comment, '') FROM duckdb_tables() WHERE NOT internal AND NOT temporary
UNION ALL SELECT 'view', view_name, sql, coalesce(comment, '') FROM duckdb_views() WHERE NOT internal AND NOT temporary
UNION ALL SELECT 'macro', function_name, coalesce(macro_definition, ''), coalesce(comment, '') FROM duckdb_functions()
    WHERE NOT internal AND function_type IN ('macro', 'table_macro')
UNION ALL SELECT 'index', index_name, coalesce(sql, ''), '' FROM duckdb_indexes()
UNION ALL SELECT 'sequence', sequence_name, coalesce(sql, ''), '' FROM duckdb_sequences()
UNION ALL SELECT 'doc', table_name || '.' || column_name, coalesce(description, ''), '' FROM column_docs
UNION ALL SELECT 'migration', lpad(version::VARCHAR, 4, '0'), name, '' FROM schema_migrations
ORDER BY 1, 2, 3, 4`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var kind, name, def, comment string
		if err := rows.Scan(&kind, &name, &def, &comment); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %s: %s -- %s\n", kind, name, def, comment)
	}
	return b.String(), rows.Err()
}

// WriteTemplate makes the case template: a new case file with every
// migration applied (not from the template), checkpointed, gzip-compressed.
func WriteTemplate(ctx context.Context, out string) error {
	dir, err := os.MkdirTemp("", "forensics-template-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "case.duckdb")
	s, err := Open(ctx, path, Options{NoTemplate: true})
	if err != nil {
		return err
	}
	if _, err := s.DB.ExecContext(ctx, `CHECKPOINT`); err != nil {
		s.Close()
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}
