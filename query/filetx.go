package query

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/vidbench/forensics"
)

var tsType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

var logsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "source_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
	{Name: "lines", Type: arrow.PrimitiveTypes.Int32},
	{Name: "ts", Type: tsType, Nullable: true},
	{Name: "host", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "service", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "level", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "logger", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "message", Type: arrow.BinaryTypes.String},
	{Name: "detail", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "exception", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "template_id", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
	{Name: "layout", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "attrs", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

var httpSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "source_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
	{Name: "ts", Type: tsType, Nullable: true},
	{Name: "started_at", Type: tsType, Nullable: true},
	{Name: "client", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "user", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "method", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "path", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "protocol", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.PrimitiveTypes.Int16},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64},
	{Name: "referer", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "user_agent", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "response_time_s", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "attrs", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

var rejectsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "source_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
	{Name: "reason", Type: arrow.BinaryTypes.String},
	{Name: "raw", Type: arrow.BinaryTypes.String},
}, nil)

// batch is an Arrow record builder for one table. It remembers which
// columns hold a value, so that columns that are NULL throughout a batch
// are left out of its INSERT (DuckDB fills them with NULL far more cheaply
// than it converts an all-null Arrow column).
type batch struct {
	table string
	b     *array.RecordBuilder
	n     int
	total int // rows appended over the whole file
	bytes int // string bytes appended since the last flush
	limit int // flush at this many string bytes (0: only at batchRows rows)
	used  []bool
	tx    *FileTx // the file it belongs to, for internQueryText
}

func newBatch(table string, schema *arrow.Schema) *batch {
	return &batch{table: table, b: array.NewRecordBuilder(memory.DefaultAllocator, schema), used: make([]bool, schema.NumFields())}
}

func (b *batch) i64(i int, v int64) { b.used[i] = true; b.b.Field(i).(*array.Int64Builder).Append(v) }
func (b *batch) i32(i int, v int32) { b.used[i] = true; b.b.Field(i).(*array.Int32Builder).Append(v) }
func (b *batch) i16(i int, v int16) { b.used[i] = true; b.b.Field(i).(*array.Int16Builder).Append(v) }
func (b *batch) u32(i int, v uint32, ok bool) {
	if !ok {
		b.b.Field(i).AppendNull()
		return
	}
	b.used[i] = true
	b.b.Field(i).(*array.Uint32Builder).Append(v)
}
func (b *batch) f64(i int, v float64, ok bool) {
	if !ok {
		b.b.Field(i).AppendNull()
		return
	}
	b.used[i] = true
	b.b.Field(i).(*array.Float64Builder).Append(v)
}
func (b *batch) ts(i int, t time.Time) {
	if t.IsZero() {
		b.b.Field(i).AppendNull()
		return
	}
	b.used[i] = true
	b.b.Field(i).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
}

// str appends s, or NULL when s is empty and the column is nullable.
func (b *batch) str(i int, s string, nullable bool) {
	if s == "" && nullable {
		b.b.Field(i).AppendNull()
		return
	}
	b.used[i] = true
	b.bytes += len(s)
	b.b.Field(i).(*array.StringBuilder).Append(validUTF8(s))
}

func (b *batch) json(i int, m map[string]any) {
	if js, ok := jsonAttrs(m); ok {
		b.used[i] = true
		b.bytes += len(js)
		b.b.Field(i).(*array.StringBuilder).BinaryBuilder.Append(js)
		return
	}
	b.b.Field(i).AppendNull()
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// FileTx receives the rows of one file inside one transaction. It
// implements ingest.Sink. Record batches are inserted by a second goroutine
// while the reader goes on parsing, so both cores work.
type FileTx struct {
	w        *Writer
	ctx      context.Context
	SourceID int64
	logs     *batch
	http     *batch
	rejects  *batch
	extra    map[string]*batch
	notes    []forensics.Note
	texts    map[string]int64 // pg_query_texts of this file: text -> id
	work     chan pending
	done     chan error
	drained  bool
}

type pending struct {
	table string
	rec   arrow.RecordBatch
}

// BeginFile starts the transaction for one file. src.ID == 0 makes a new
// source; otherwise rows are added to that source (a file that grew, or a
// wider window).
func (w *Writer) BeginFile(ctx context.Context, src forensics.SourceFile) (*FileTx, error) {
	if _, err := w.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	id := src.ID
	if id == 0 {
		id = w.id("sources")
	}
	tx := &FileTx{
		w: w, ctx: ctx, SourceID: id,
		logs:    newBatch("logs", logsSchema),
		http:    newBatch("http_requests", httpSchema),
		rejects: newBatch("rejects", rejectsSchema),
		work:    make(chan pending, 2),
		done:    make(chan error, 1),
	}
	go tx.insertLoop()
	return tx, nil
}

func (tx *FileTx) insertLoop() {
	var err error
	for p := range tx.work {
		if err == nil {
			err = tx.w.insertRecord(tx.ctx, p.table, p.rec)
		}
		p.rec.Release()
	}
	tx.done <- err
}

func (tx *FileTx) maybeFlush(b *batch) error {
	b.n++
	b.total++
	rows := batchRows
	if b.total > largeFileRows {
		rows = largeFileBatchRows
	}
	if b.n < rows && (b.limit == 0 || b.bytes < b.limit) {
		return nil
	}
	return tx.flush(b)
}

// Past largeFileRows rows of one table in one file, batches shrink to
// largeFileBatchRows rows. The memory DuckDB keeps while one transaction
// takes in millions of rows grows with the rows times the size of the
// batches they came in (BenchmarkWriteLogs over 1 M and 5 M rows: 72 MB
// more at 65,536-row batches, 27 MB at 16,384), while smaller batches cost
// ~10 % more CPU; so a file of up to a million rows keeps the faster large
// batches and a larger one the flatter memory.
const (
	largeFileRows      = 1 << 20
	largeFileBatchRows = 1 << 14
)

func (tx *FileTx) flush(b *batch) error {
	if b.n == 0 {
		return nil
	}
	rec := b.record()
	b.n, b.bytes = 0, 0
	select {
	case tx.work <- pending{b.table, rec}:
		return nil
	case err := <-tx.done:
		// the insert goroutine stopped early with an error
		rec.Release()
		tx.done <- err
		return err
	}
}

// Log implements ingest.Sink.
func (tx *FileTx) Log(r *forensics.LogRecord) error {
	b := tx.logs
	b.i64(0, tx.w.id("logs"))
	b.i64(1, tx.SourceID)
	b.i64(2, r.LineNo)
	b.i32(3, int32(max(r.Lines, 1)))
	b.ts(4, r.TS)
	b.str(5, r.Host, true)
	b.str(6, r.Service, true)
	b.str(7, string(r.Level), true)
	b.str(8, r.Logger, true)
	b.str(9, r.Message, false)
	b.str(10, r.Detail, true)
	b.str(11, r.Exception, true)
	b.u32(12, r.TemplateID, r.TemplateID != 0)
	b.str(13, r.Layout, true)
	b.json(14, r.Attrs)
	return tx.maybeFlush(b)
}

// HTTP implements ingest.Sink.
func (tx *FileTx) HTTP(r *forensics.HTTPRequest) error {
	b := tx.http
	b.i64(0, tx.w.id("http_requests"))
	b.i64(1, tx.SourceID)
	b.i64(2, r.LineNo)
	b.ts(3, r.TS)
	b.ts(4, r.StartedAt())
	b.str(5, r.Client, true)
	b.str(6, r.User, true)
	b.str(7, r.Method, true)
	b.str(8, r.Path, true)
	b.str(9, r.Protocol, true)
	b.i16(10, int16(r.Status))
	b.i64(11, r.Bytes)
	b.str(12, r.Referer, true)
	b.str(13, r.UserAgent, true)
	b.f64(14, r.ResponseTime, r.ResponseTime >= 0)
	b.json(15, r.Attrs)
	return tx.maybeFlush(b)
}

// Emit implements ingest.Sink for the tables of Tables().
func (tx *FileTx) Emit(r forensics.Record) error {
	_, err := tx.emit(r)
	return err
}

// emit appends r to its table's batch and returns the row's id.
func (tx *FileTx) emit(r forensics.Record) (int64, error) {
	name := r.Table()
	b := tx.extra[name]
	if b == nil {
		t, ok := tx.w.tables[name]
		if !ok {
			return 0, fmt.Errorf("no table %q in this case database (query.Tables)", name)
		}
		b = newBatch(name, t.Schema)
		b.limit = t.BatchBytes
		b.tx = tx
		if tx.extra == nil {
			tx.extra = map[string]*batch{}
		}
		tx.extra[name] = b
	}
	t := tx.w.tables[name]
	id := tx.w.id(name)
	b.i64(0, id)
	b.i64(1, tx.SourceID)
	if err := t.Append(b, r); err != nil {
		return 0, err
	}
	return id, tx.maybeFlush(b)
}

// maxQueryTexts bounds the texts a file remembers for internQueryText: a
// capture of ever-new texts costs memory up to this many, then starts over
// (a text seen again after that is stored again, which is still right).
const maxQueryTexts = 50000

// internQueryText returns the id of text in pg_query_texts, storing it
// with this file's rows the first time the file has it. The ids of a file
// that is rolled back go with it: the map lives and dies with the FileTx.
func (b *batch) internQueryText(text string) int64 {
	tx := b.tx
	if id, ok := tx.texts[text]; ok {
		return id
	}
	if tx.texts == nil || len(tx.texts) >= maxQueryTexts {
		tx.texts = make(map[string]int64, 1024)
	}
	id, err := tx.emit(queryText{text})
	if err != nil {
		// Only an insert that already failed can make emit fail here;
		// that error reaches the caller at the next flush or the commit.
		return id
	}
	tx.texts[text] = id
	return id
}

// Note implements ingest.Sink.
func (tx *FileTx) Note(n *forensics.Note) error {
	tx.notes = append(tx.notes, *n)
	return nil
}

// Reject implements ingest.Sink.
func (tx *FileTx) Reject(lineNo int64, reason string, raw []byte) error {
	if len(raw) > maxRaw {
		raw = raw[:maxRaw]
	}
	b := tx.rejects
	b.i64(0, tx.w.id("rejects"))
	b.i64(1, tx.SourceID)
	b.i64(2, lineNo)
	b.str(3, reason, false)
	b.str(4, string(raw), false)
	return tx.maybeFlush(b)
}

// drain flushes what is buffered and waits for the inserts to finish.
func (tx *FileTx) drain() error {
	tx.drained = true
	var err error
	all := []*batch{tx.logs, tx.http, tx.rejects}
	for _, name := range sortedKeys(tx.extra) {
		all = append(all, tx.extra[name])
	}
	for _, b := range all {
		if err == nil {
			err = tx.flush(b)
		}
	}
	close(tx.work)
	if e := <-tx.done; err == nil {
		err = e
	}
	for _, b := range all {
		b.b.Release()
	}
	return err
}

func sortedKeys(m map[string]*batch) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Commit writes the notes, the source row and the pass, and commits.
func (tx *FileTx) Commit(src forensics.SourceFile, pass forensics.Pass) error {
	ctx := tx.ctx
	if err := tx.drain(); err != nil {
		tx.rollback()
		return err
	}
	c := tx.w.conn
	for _, n := range tx.notes {
		if _, err := c.ExecContext(ctx, `INSERT INTO notes VALUES (?, ?, ?, ?)`, tx.w.id("notes"), tx.SourceID, n.Lines, validUTF8(n.Text)); err != nil {
			tx.rollback()
			return fmt.Errorf("insert note: %w", err)
		}
	}
	now := tx.w.s.now().UTC()
	var err error
	if src.ID == 0 {
		_, err = c.ExecContext(ctx, `INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tx.SourceID, src.Kind, src.Path, src.SHA256, src.Bytes, src.FileBytes, src.Compressed, nullTime(src.MTime),
			pass.ToLine, pass.Rows, pass.Continuations, pass.Rejects, pass.Filtered, nullTime(pass.FirstTS), nullTime(pass.LastTS), now,
			statusOr(src.Status), nullStr(src.Problem), nullStr(src.HeadSHA256))
	} else {
		// head_sha256 follows the content (a file that grew past 4096
		// bytes has a longer head); a caller without one keeps the old.
		_, err = c.ExecContext(ctx, `UPDATE sources SET sha256 = ?, head_sha256 = coalesce(?, head_sha256), bytes = ?, file_bytes = ?, compressed = ?, mtime = ?,
			lines = greatest(lines, ?), rows = rows + ?, continuations = continuations + ?, rejects = rejects + ?,
			filtered = CASE WHEN ? THEN ? ELSE filtered + ? END,
			first_ts = CASE WHEN ? IS NULL THEN first_ts ELSE least(coalesce(first_ts, ?), ?) END,
			last_ts = CASE WHEN ? IS NULL THEN last_ts ELSE greatest(coalesce(last_ts, ?), ?) END,
			ingested_at = ?, status = ?, problem = ? WHERE id = ?`,
			src.SHA256, nullStr(src.HeadSHA256), src.Bytes, src.FileBytes, src.Compressed, nullTime(src.MTime),
			pass.ToLine, pass.Rows, pass.Continuations, pass.Rejects,
			pass.FromByte == 0, pass.Filtered, pass.Filtered,
			nullTime(pass.FirstTS), nullTime(pass.FirstTS), nullTime(pass.FirstTS),
			nullTime(pass.LastTS), nullTime(pass.LastTS), nullTime(pass.LastTS),
			now, statusOr(src.Status), nullStr(src.Problem), tx.SourceID)
	}
	if err != nil {
		tx.rollback()
		return fmt.Errorf("record source %s: %w", src.Path, err)
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO source_passes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tx.w.id("source_passes"), tx.SourceID, tx.w.RunID, pass.FromByte, pass.ToByte, pass.FromLine, pass.ToLine,
		nullTime(pass.Window.Since), nullTime(pass.Window.Until), pass.Rows, pass.Rejects, pass.Filtered, now); err != nil {
		tx.rollback()
		return fmt.Errorf("record pass of %s: %w", src.Path, err)
	}
	if _, err := c.ExecContext(ctx, `COMMIT`); err != nil {
		tx.rollback()
		return fmt.Errorf("commit %s: %w", src.Path, err)
	}
	return nil
}

func statusOr(s string) string {
	if s == "" {
		return "ok"
	}
	return s
}

// Rollback abandons the file: nothing of it stays in the case.
func (tx *FileTx) Rollback() error {
	if !tx.drained {
		_ = tx.drain()
	}
	return tx.rollback()
}

func (tx *FileTx) rollback() error {
	_, err := tx.w.conn.ExecContext(context.WithoutCancel(tx.ctx), `ROLLBACK`)
	return err
}

// record takes the built rows as a record batch holding only the columns
// that have a value in this batch.
func (b *batch) record() arrow.RecordBatch {
	full := b.b.NewRecordBatch()
	all := true
	for _, u := range b.used {
		all = all && u
	}
	if all {
		clear(b.used)
		return full
	}
	var fields []arrow.Field
	var cols []arrow.Array
	for i, u := range b.used {
		if u {
			fields = append(fields, full.Schema().Field(i))
			cols = append(cols, full.Column(i))
		}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, full.NumRows())
	full.Release()
	clear(b.used)
	return rec
}
