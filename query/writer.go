package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/vidbench/forensics"
)

// batchRows is the number of rows per Arrow record batch handed to DuckDB.
const batchRows = 1 << 16

// maxRaw bounds the raw text kept of a rejected line.
const maxRaw = 1024

// Writer writes ingested rows into the case file over one dedicated
// connection: each file in its own transaction, rows as Arrow record
// batches (registered as a view and inserted with INSERT ... SELECT),
// which measured ~2x faster than DuckDB's Appender here.
type Writer struct {
	s      *Store
	conn   *sql.Conn
	arrow  *duckdb.Arrow
	nextID map[string]int64
	RunID  int64
	// KillAfterRows, when > 0, kills the process with SIGKILL once that
	// many rows have been inserted (uncommitted): a test-only hook that
	// makes "killed in mid-ingest" deterministic.
	KillAfterRows int64
	inserted      int64
	tables        map[string]Table
}

var idTables = []string{"sources", "source_passes", "ingest_runs", "ingest_issues", "logs", "http_requests", "notes", "rejects"}

// NewWriter opens a writer and records the start of an ingest run.
func (s *Store) NewWriter(ctx context.Context, args string, tz string, window forensics.TimeRange) (*Writer, error) {
	if s.ReadOnly {
		return nil, errors.New("case file opened read-only")
	}
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tables, err := tableIndex(Tables())
	if err != nil {
		conn.Close()
		return nil, err
	}
	w := &Writer{s: s, conn: conn, nextID: map[string]int64{}, tables: tables}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		w.arrow = a
		return err
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("arrow interface: %w", err)
	}
	ids := append([]string(nil), idTables...)
	for name := range tables {
		ids = append(ids, name)
	}
	for _, t := range ids {
		var next int64
		if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM `+t).Scan(&next); err != nil {
			conn.Close()
			return nil, fmt.Errorf("next id of %s: %w", t, err)
		}
		w.nextID[t] = next
	}
	// One DuckDB thread while ingesting: the Go side parses on the other
	// core, and a second DuckDB thread measured only as extra CPU here.
	if _, err := conn.ExecContext(ctx, `SET threads = 1`); err != nil {
		conn.Close()
		return nil, err
	}
	if c := os.Getenv("FORENSICS_DUCKDB_COMPRESSION"); c != "" {
		if _, err := conn.ExecContext(ctx, `PRAGMA force_compression = '`+strings.ReplaceAll(c, "'", "")+`'`); err != nil {
			conn.Close()
			return nil, err
		}
	}
	w.RunID = w.id("ingest_runs")
	if _, err := conn.ExecContext(ctx, `INSERT INTO ingest_runs (id, started_at, args, tz, since, "until", status) VALUES (?, ?, ?, ?, ?, ?, 'running')`,
		w.RunID, s.now().UTC(), args, tz, nullTime(window.Since), nullTime(window.Until)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("record ingest run: %w", err)
	}
	return w, nil
}

func (w *Writer) id(table string) int64 {
	v := w.nextID[table]
	w.nextID[table] = v + 1
	return v
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Close releases the connection.
func (w *Writer) Close() error { return w.conn.Close() }

// FinishRun records the end of the run.
func (w *Writer) FinishRun(ctx context.Context, files, rows int64, status string) error {
	_, err := w.conn.ExecContext(ctx, `UPDATE ingest_runs SET finished_at = ?, files = ?, rows = ?, status = ? WHERE id = ?`,
		w.s.now().UTC(), files, rows, status, w.RunID)
	return err
}

// AddIssue records a file that was skipped or read only in part.
func (w *Writer) AddIssue(ctx context.Context, is forensics.Issue) error {
	_, err := w.conn.ExecContext(ctx, `INSERT INTO ingest_issues VALUES (?, ?, ?, ?, ?)`,
		w.id("ingest_issues"), w.RunID, is.Path, is.Severity, is.Problem)
	return err
}

// LoadTemplates returns the templates mined by earlier runs.
func (w *Writer) LoadTemplates(ctx context.Context) ([]forensics.Template, error) {
	rows, err := w.conn.QueryContext(ctx, `SELECT id, template, count FROM templates ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []forensics.Template
	for rows.Next() {
		var t forensics.Template
		if err := rows.Scan(&t.ID, &t.Text, &t.Count); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SaveTemplates replaces the templates table.
func (w *Writer) SaveTemplates(ctx context.Context, ts []forensics.Template) error {
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "template", Type: arrow.BinaryTypes.String},
		{Name: "count", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, t := range ts {
		b.Field(0).(*array.Uint32Builder).Append(t.ID)
		b.Field(1).(*array.StringBuilder).Append(validUTF8(t.Text))
		b.Field(2).(*array.Int64Builder).Append(t.Count)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if _, err := w.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return err
	}
	if _, err := w.conn.ExecContext(ctx, `DELETE FROM templates`); err != nil {
		w.conn.ExecContext(ctx, `ROLLBACK`)
		return err
	}
	if err := w.insertRecord(ctx, "templates", rec); err != nil {
		w.conn.ExecContext(ctx, `ROLLBACK`)
		return err
	}
	_, err := w.conn.ExecContext(ctx, `COMMIT`)
	return err
}

// MarkDuplicates marks log records and requests that arrived through more
// than one source (the app's own file, docker-compose logs, journald; an
// access log file and a proxy container's lines): the copy from the
// preferred source is the original, the others get dup_of (markCopies).
func (w *Writer) MarkDuplicates(ctx context.Context) (int64, error) {
	// The duplicate passes are window functions over whole tables, not a
	// stream: they get the read-side buffer pool, not the ingest's.
	if os.Getenv("FORENSICS_DUCKDB_MEMORY") == "" {
		if _, err := w.conn.ExecContext(ctx, `SET memory_limit = '`+readMemory+`'`); err != nil {
			return 0, fmt.Errorf("mark duplicates: %w", err)
		}
		defer w.conn.ExecContext(context.WithoutCancel(ctx), `SET memory_limit = '`+writeMemory+`'`)
	}
	extra, err := w.markTableDuplicates(ctx)
	if err != nil {
		return 0, err
	}
	nhttp, err := w.markHTTPDuplicates(ctx)
	if err != nil {
		return 0, err
	}
	extra += nhttp
	// Only records in the time span where two log sources overlap can be
	// copies of each other; a case with one log file skips the work.
	var lo, hi sql.NullTime
	if err := w.conn.QueryRowContext(ctx, `
SELECT min(greatest(a.first_ts, b.first_ts)), max(least(a.last_ts, b.last_ts))
FROM sources a JOIN sources b ON a.id < b.id AND a.first_ts <= b.last_ts AND b.first_ts <= a.last_ts
WHERE a.kind NOT IN ('access', 'note') AND b.kind NOT IN ('access', 'note')`).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("mark duplicates: %w", err)
	}
	if !lo.Valid {
		return extra, nil
	}
	n, err := w.markCopies(ctx, "logs", []string{"t.ts", "t.message", "coalesce(t.level, '')"},
		"CASE s.kind WHEN 'compose' THEN 2 WHEN 'journal' THEN 3 WHEN 'text' THEN 4 ELSE 1 END", lo.Time, hi.Time)
	if err != nil {
		return 0, fmt.Errorf("mark duplicates: %w", err)
	}
	return n + extra, nil
}

// markHTTPDuplicates marks a request seen in two sources (an access log
// file and the proxy container's lines in docker-compose logs) dup_of the
// first copy, the access log file's preferred: same end time, client,
// method, path, status and bytes. Only the time span where two sources of
// requests overlap is looked at; a case with one access log skips it.
func (w *Writer) markHTTPDuplicates(ctx context.Context) (int64, error) {
	var lo, hi sql.NullTime
	if err := w.conn.QueryRowContext(ctx, `
WITH src AS (SELECT source_id, min(ts) AS lo, max(ts) AS hi FROM http_requests WHERE ts IS NOT NULL GROUP BY source_id)
SELECT min(greatest(a.lo, b.lo)), max(least(a.hi, b.hi))
FROM src a JOIN src b ON a.source_id < b.source_id AND a.lo <= b.hi AND b.lo <= a.hi`).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("mark duplicate requests: %w", err)
	}
	if !lo.Valid {
		return 0, nil
	}
	n, err := w.markCopies(ctx, "http_requests",
		[]string{"t.ts", "coalesce(t.client, '')", "coalesce(t.method, '')", "coalesce(t.path, '')", "coalesce(t.status, 0)", "coalesce(t.bytes, -1)"},
		"CASE s.kind WHEN 'access' THEN 1 WHEN 'compose' THEN 2 ELSE 3 END", lo.Time, hi.Time)
	if err != nil {
		return 0, fmt.Errorf("mark duplicate requests: %w", err)
	}
	return n, nil
}

// markCopies sets dup_of on the rows of table (with ts between lo and hi)
// whose key (SQL expressions over the table as t) equals that of a row
// from another source: the copy of the source ranked first (rank, over
// the source as s, lowest first; then the lowest id) is the original and
// keeps dup_of NULL. Rows repeated within one source are matched copy by
// copy, in order, so a line logged twice in the same millisecond is not
// taken for a copy of itself. A row marked by an earlier run whose
// original is now itself is unmarked.
func (w *Writer) markCopies(ctx context.Context, table string, key []string, rank string, lo, hi time.Time) (int64, error) {
	cols := make([]string, len(key))
	names := make([]string, len(key))
	for i, k := range key {
		names[i] = fmt.Sprintf("k%d", i)
		cols[i] = k + " AS " + names[i]
	}
	part := strings.Join(names, ", ")
	res, err := w.conn.ExecContext(ctx, `
WITH k AS (
  SELECT t.id, t.source_id, `+strings.Join(cols, ", ")+`, `+rank+` AS rank,
         row_number() OVER (PARTITION BY `+strings.Join(key, ", ")+`, t.source_id ORDER BY t.id) AS nth
  FROM `+table+` t JOIN sources s ON s.id = t.source_id WHERE t.ts BETWEEN ? AND ?
), g AS (
  SELECT id, source_id,
         first_value(id) OVER (PARTITION BY `+part+`, nth ORDER BY rank, id) AS first_id,
         first_value(source_id) OVER (PARTITION BY `+part+`, nth ORDER BY rank, id) AS first_src
  FROM k
)
UPDATE `+table+` SET dup_of = CASE WHEN g.first_id = g.id THEN NULL ELSE g.first_id END
FROM g
WHERE `+table+`.id = g.id AND ((g.first_id <> g.id AND g.first_src <> g.source_id AND `+table+`.dup_of IS DISTINCT FROM g.first_id)
   OR (g.first_id = g.id AND `+table+`.dup_of IS NOT NULL))`, lo, hi)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// markTableDuplicates runs the Dedupe statement of every table that has one.
func (w *Writer) markTableDuplicates(ctx context.Context) (int64, error) {
	var total int64
	for _, t := range Tables() {
		if t.Dedupe == "" {
			continue
		}
		res, err := w.conn.ExecContext(ctx, t.Dedupe)
		if err != nil {
			return 0, fmt.Errorf("mark duplicates in %s: %w", t.Name, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (w *Writer) insertRecord(ctx context.Context, table string, rec arrow.RecordBatch) error {
	rr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	if err != nil {
		return err
	}
	defer rr.Release()
	view := "forensics_batch_" + table
	release, err := w.arrow.RegisterView(rr, view)
	if err != nil {
		return fmt.Errorf("register arrow batch for %s: %w", table, err)
	}
	defer release()
	cols := ""
	for i, f := range rec.Schema().Fields() {
		if i > 0 {
			cols += ", "
		}
		cols += `"` + f.Name + `"`
	}
	if _, err := w.conn.ExecContext(ctx, `INSERT INTO `+table+` (`+cols+`) SELECT `+cols+` FROM `+view); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	if _, err := w.conn.ExecContext(ctx, `DROP VIEW IF EXISTS `+view); err != nil {
		return err
	}
	w.inserted += rec.NumRows()
	if w.KillAfterRows > 0 && w.inserted >= w.KillAfterRows && table != "templates" {
		// Test hook: die like a killed process, with the transaction open.
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	return nil
}

// jsonAttrs renders attrs as JSON text, or nil for none.
func jsonAttrs(m map[string]any) ([]byte, bool) {
	if len(m) == 0 {
		return nil, false
	}
	b, err := json.Marshal(m)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return b, true
}
