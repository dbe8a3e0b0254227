// Package query owns the case database: opening the DuckDB file read-write
// or read-only, the embedded numbered migrations, bulk writes through Arrow
// record batches, running user SQL, describing the schema, and the output
// formatters (table, csv, json, markdown).
package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Error is an error a user sees, with a hint of what to do next.
type Error struct {
	Msg  string
	Hint string
	Err  error
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Options say how to open the case file.
type Options struct {
	ReadOnly bool
	Now      func() time.Time
	// NoTemplate makes a new case file by running every migration instead
	// of from the embedded template (template.go).
	NoTemplate bool
}

// Store is an open case database.
type Store struct {
	DB       *sql.DB
	Path     string
	ReadOnly bool
	now      func() time.Time
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	ents, err := migrationFS.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range ents {
		name := e.Name()
		i := strings.IndexByte(name, '_')
		if i <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNN_what.sql", name)
		}
		v, err := strconv.Atoi(name[:i])
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		b, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, strings.TrimSuffix(name, ".sql"), string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations are not numbered 1..n: %s", m.name)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// DuckDB's buffer pool by default (see Open): small while writing, larger
// for reading and for the whole-table passes after an ingest.
const (
	writeMemory = "48MB"
	readMemory  = "256MB"
)

// Open opens (read-write: creating and migrating) the case file at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, &Error{
				Msg:  fmt.Sprintf("no case database at %s", path),
				Hint: "run 'forensics ingest CASE_DIR' or 'forensics investigate CASE_DIR' first, or point --db (or FORENSICS_DB) at the case file",
			}
		}
	} else if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create folder for case file: %w", err)
		}
	}
	fromTemplate := false
	if !opts.ReadOnly && !opts.NoTemplate {
		made, err := createFromTemplate(path)
		if err != nil {
			return nil, err
		}
		fromTemplate = made
	}
	dsn := path
	if opts.ReadOnly {
		dsn += "?access_mode=read_only"
	}
	conn, err := duckdb.NewConnector(dsn, func(ex driver.ExecerContext) error {
		// Settings for every connection, from the environment for tuning:
		// FORENSICS_DUCKDB_MEMORY bounds DuckDB's buffer pool: by default
		// 48MB when writing, so ingest memory stays flat however large the
		// evidence is (a 5-million-line app log, with the smaller batches
		// past a file's first million rows, peaked at 290-301 MB of RSS with
		// 64MB and 268-277 MB with 48MB, at the same speed: the pool mostly
		// holds blocks already written), and 256MB when reading, so that window functions
		// over a large case (several detectors' queries at once, and the
		// views' own) have room; FORENSICS_DUCKDB_THREADS sets DuckDB's
		// worker threads (default: one per core).
		mem := os.Getenv("FORENSICS_DUCKDB_MEMORY")
		if mem == "" {
			mem = writeMemory
			if opts.ReadOnly {
				mem = readMemory
			}
		}
		if _, err := ex.ExecContext(context.Background(), "SET memory_limit = '"+strings.ReplaceAll(mem, "'", "")+"'", nil); err != nil {
			return err
		}
		if th := os.Getenv("FORENSICS_DUCKDB_THREADS"); th != "" {
			if _, err := ex.ExecContext(context.Background(), "SET threads = "+strconv.Itoa(atoiOr(th, 2)), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, openError(path, err)
	}
	db := sql.OpenDB(conn)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, openError(path, err)
	}
	s := &Store{DB: db, Path: path, ReadOnly: opts.ReadOnly, now: opts.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if fromTemplate {
		// the template's migrations count as applied now, to this file
		if _, err := db.ExecContext(ctx, `UPDATE schema_migrations SET applied_at = ?`, s.now().UTC()); err != nil {
			db.Close()
			return nil, fmt.Errorf("new case file: %w", err)
		}
	}
	return s, nil
}

func openError(path string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock"):
		return &Error{Msg: fmt.Sprintf("case file %s is in use by another process", path),
			Hint: "another 'forensics ingest' or 'investigate' is writing it; wait for it to finish, or use another --db", Err: err}
	case strings.Contains(msg, "not a valid DuckDB database") || strings.Contains(msg, "The file is not a valid"):
		return &Error{Msg: fmt.Sprintf("%s is not a forensics case file", path),
			Hint: "point --db at a file written by forensics, or at a new path", Err: err}
	}
	return &Error{Msg: fmt.Sprintf("open case file %s", path), Err: err}
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	latest := len(ms)
	var have int
	var exists bool
	if err := s.DB.QueryRowContext(ctx,
		`SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'schema_migrations'`).Scan(&exists); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if exists {
		if err := s.DB.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
	}
	if have > latest {
		return &Error{
			Msg:  fmt.Sprintf("case file %s has schema version %d, newer than this forensics understands (%d)", s.Path, have, latest),
			Hint: "use a newer forensics build for this file, or ingest into a new --db",
		}
	}
	if have == latest {
		return nil
	}
	if !exists {
		var n int
		_ = s.DB.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE NOT internal`).Scan(&n)
		if n > 0 {
			return &Error{Msg: fmt.Sprintf("%s is a DuckDB file but not a forensics case file", s.Path),
				Hint: "point --db at a file written by forensics, or at a new path"}
		}
	}
	if s.ReadOnly {
		if !exists {
			var n int
			_ = s.DB.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables()`).Scan(&n)
			if n > 0 {
				return &Error{Msg: fmt.Sprintf("%s is a DuckDB file but not a forensics case file", s.Path),
					Hint: "point --db at a file written by forensics"}
			}
			return &Error{Msg: fmt.Sprintf("case file %s is empty", s.Path),
				Hint: "run 'forensics ingest CASE_DIR' first"}
		}
		return &Error{
			Msg:  fmt.Sprintf("case file %s has schema version %d, older than this forensics (%d)", s.Path, have, latest),
			Hint: fmt.Sprintf("run 'forensics migrate --db %s' once to upgrade it", s.Path),
		}
	}
	if _, err := s.DB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return s.apply(ctx, ms, have)
}

// apply runs the pending migrations in one transaction, each recorded in
// schema_migrations, and rebuilds the events view once at the end: a new
// case file costs one commit and one rebuild, not one per migration, and
// an interrupted upgrade leaves the file at its old version.
func (s *Store) apply(ctx context.Context, all []migration, have int) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, columnDocsDDL); err != nil {
		return fmt.Errorf("create column_docs: %w", err)
	}
	// Column descriptions are split out of every migration, not only the
	// ones applied now: a file from before column_docs existed gets them
	// all. (Only here: opening a current file splits nothing.)
	var allDocs []columnDoc
	bodies := make([]string, len(all))
	for i, m := range all {
		body, docs := splitColumnComments(m.sql)
		bodies[i] = body
		allDocs = append(allDocs, docs...)
	}
	for i, m := range all[have:] {
		if err := runMigration(ctx, tx, bodies[have+i]); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, ?)`, m.version, m.name, s.now().UTC()); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
	}
	if err := insertColumnDocs(ctx, tx, allDocs); err != nil {
		return fmt.Errorf("migrations: column descriptions: %w", err)
	}
	if err := rebuildEvents(ctx, tx); err != nil {
		return fmt.Errorf("migrations: events view: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

// Version returns the schema version of the open file.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.DB.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// IsUserError reports whether err carries a hint for the user, and returns it.
func IsUserError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// eventsComments describes the columns of the events view.
var eventsComments = [][2]string{
	{"ts", "time, UTC"},
	{"source", "table the record is in"},
	{"kind", "exception, log_error, log_warning, log_lifecycle, http_5xx, ... (per source)"},
	{"severity", "critical, error, warning or info"},
	{"service", "service or unit, when known"},
	{"text", "one-line description"},
	{"ref", "evidence ref table:id naming one row"},
}

// rebuildEvents makes the events view the union of every events_* view, so
// each source's migration adds itself by creating its own events_<source>.
func rebuildEvents(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal AND view_name LIKE 'events\_%' ESCAPE '\' ORDER BY view_name`)
	if err != nil {
		return err
	}
	var parts []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		parts = append(parts, "SELECT ts, source, kind, severity, service, text, ref FROM "+v)
	}
	rows.Close()
	if len(parts) == 0 {
		return nil
	}
	stmt := "CREATE OR REPLACE VIEW events AS " + strings.Join(parts, " UNION ALL ") + ";\n" +
		"COMMENT ON VIEW events IS 'super-timeline: every source''s notable records, duplicates counted once';\n"
	if _, err = tx.ExecContext(ctx, stmt); err != nil {
		return err
	}
	docs := make([]columnDoc, len(eventsComments))
	for i, c := range eventsComments {
		docs[i] = columnDoc{"events", c[0], c[1]}
	}
	return insertColumnDocs(ctx, tx, docs)
}

// stepMarker is a line of a migration naming a Go step to run at that point
// (migrationStep): what SQL alone cannot say re-runnably, such as "move the
// rows if this is still a table".
var stepMarker = regexp.MustCompile(`(?m)^-- forensics:step ([a-z_]+)[ \t]*$`)

// runMigration runs the SQL of one migration, and its Go steps in place.
func runMigration(ctx context.Context, tx *sql.Tx, body string) error {
	for {
		loc := stepMarker.FindStringSubmatchIndex(body)
		if loc == nil {
			break
		}
		if _, err := tx.ExecContext(ctx, body[:loc[0]]); err != nil {
			return err
		}
		name := body[loc[2]:loc[3]]
		step := migrationStep(name)
		if step == nil {
			return fmt.Errorf("no migration step %q", name)
		}
		if err := step(ctx, tx); err != nil {
			return fmt.Errorf("step %s: %w", name, err)
		}
		body = body[loc[1]:]
	}
	if strings.TrimSpace(body) == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, body)
	return err
}

// migrationStep returns the Go step a migration names, or nil.
func migrationStep(name string) func(context.Context, *sql.Tx) error {
	switch name {
	case "move_pg_statements":
		return movePGStatements
	}
	return nil
}

// movePGStatements moves the rows of a pg_statements table written before
// migration 007 into pg_statement_rows, each distinct text once into
// pg_query_texts, and drops the table so that the view can take its name.
// Where pg_statements is already the view it does nothing.
func movePGStatements(ctx context.Context, tx *sql.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'pg_statements'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO pg_query_texts
SELECT (SELECT coalesce(max(id), 0) FROM pg_query_texts) + row_number() OVER (ORDER BY min(id)), min(source_id), query
FROM pg_statements WHERE query IS NOT NULL GROUP BY query;
INSERT INTO pg_statement_rows BY NAME
SELECT s.* EXCLUDE (query), t.id AS query_text_id
FROM pg_statements s LEFT JOIN pg_query_texts t ON t.query = s.query;
DROP TABLE pg_statements;`)
	return err
}

// columnDocsDDL makes the table that holds the description of every column.
// Column descriptions are rows here rather than COMMENT ON COLUMN in the
// catalog: the 470 statements took ~90 ms of the ~150 ms every new case
// file spent in its migrations; one INSERT of them all takes a few (with
// BenchmarkOpenNew, 150 ms became 85). Tables and views keep COMMENT ON.
const columnDocsDDL = `CREATE TABLE IF NOT EXISTS column_docs (
    table_name VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    description VARCHAR,
    PRIMARY KEY (table_name, column_name));
COMMENT ON TABLE column_docs IS 'description of every column of every table and view (what forensics schema prints)';
INSERT OR REPLACE INTO column_docs VALUES
    ('column_docs', 'table_name', 'table or view'),
    ('column_docs', 'column_name', 'column of it'),
    ('column_docs', 'description', 'what the column holds'),
    ('schema_migrations', 'version', 'number of a migration applied to this file'),
    ('schema_migrations', 'name', 'its name'),
    ('schema_migrations', 'applied_at', 'when it was applied, UTC')`

type columnDoc struct{ table, column, text string }

// commentOnColumn matches one line COMMENT ON COLUMN t.c IS '...'; of a
// migration, the column name bare or double-quoted.
var commentOnColumn = regexp.MustCompile(`(?m)^COMMENT ON COLUMN ([a-z_0-9]+)\.("?)([a-z_0-9]+)("?) IS '((?:[^']|'')*)';[ \t]*\r?\n?`)

// splitColumnComments takes the COMMENT ON COLUMN lines out of a migration's
// SQL and returns them as rows for column_docs.
func splitColumnComments(sqlText string) (string, []columnDoc) {
	var docs []columnDoc
	body := commentOnColumn.ReplaceAllStringFunc(sqlText, func(line string) string {
		m := commentOnColumn.FindStringSubmatch(line)
		docs = append(docs, columnDoc{m[1], m[3], strings.ReplaceAll(m[5], "''", "'")})
		return ""
	})
	return body, docs
}

func insertColumnDocs(ctx context.Context, tx *sql.Tx, docs []columnDoc) error {
	if len(docs) == 0 {
		return nil
	}
	// A later migration may describe a column again: the last word wins.
	last := map[[2]string]int{}
	for i, d := range docs {
		last[[2]string{d.table, d.column}] = i
	}
	// One text parameter split in SQL: a VALUES list of hundreds of rows, as
	// literals or as bound parameters, cost DuckDB's binder 25-30 ms.
	var b strings.Builder
	for i, d := range docs {
		if last[[2]string{d.table, d.column}] != i {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(0x1e)
		}
		b.WriteString(d.table + "\x1f" + d.column + "\x1f" + d.text)
	}
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO column_docs
SELECT f[1], f[2], f[3] FROM (SELECT string_split(unnest(string_split(?, chr(30))), chr(31)) AS f)`, b.String())
	return err
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n
	}
	return def
}
