package query

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/vidbench/forensics"
)

// Table tells the writer how to store the rows of one table that readers
// emit as forensics.Record values. Schema lists the columns written, in
// order; the first two are always id and source_id, which the writer fills.
// Append writes the other columns of r, starting at column 2.
type Table struct {
	Name   string
	Schema *arrow.Schema
	Append func(b *Batch, r forensics.Record) error
	// Dedupe, when set, is an UPDATE run after each ingest that sets the
	// table's dup_of for rows stored from more than one source.
	Dedupe string
	// BatchBytes, when set, also ends a record batch once its text columns
	// hold this many bytes: wide rows make smaller batches, so memory
	// stays flat.
	BatchBytes int
}

// Batch is the Arrow builder a Table's Append writes one row into. Its
// methods append one value to column i; the string and time methods append
// NULL for empty values.
type Batch = batch

// I64 appends an int64.
func (b *batch) I64(i int, v int64) { b.i64(i, v) }

// I32 appends an int32.
func (b *batch) I32(i int, v int32) { b.i32(i, v) }

// F64 appends a float64, or NULL when ok is false.
func (b *batch) F64(i int, v float64, ok bool) { b.f64(i, v, ok) }

// Str appends a string (NULL when empty).
func (b *batch) Str(i int, s string) { b.str(i, s, true) }

// TS appends a time (NULL when zero).
func (b *batch) TS(i int, t time.Time) { b.ts(i, t) }

// JSON appends a map as JSON text (NULL when empty).
func (b *batch) JSON(i int, m map[string]any) { b.json(i, m) }

// Tables lists every extra table the writer can store, in one explicit
// list. Each is defined in its own file (query/table_*.go).
func Tables() []Table {
	return []Table{
		capturesTable(),
		commandsTable(),
		pgActivityTable(),
		pgLocksTable(),
		pgQueryTextsTable(),
		pgSettingsTable(),
		pgSnapshotsTable(),
		pgStatementsTable(),
		journalTable(),
		promHistogramsTable(),
		promSamplesTable(),
		promSeriesTable(),
	}
}

// IDColumns are the two columns every Table schema starts with.
func IDColumns() []arrow.Field {
	return []arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "source_id", Type: arrow.PrimitiveTypes.Int64},
	}
}

func tableIndex(ts []Table) (map[string]Table, error) {
	m := map[string]Table{}
	for _, t := range ts {
		if _, dup := m[t.Name]; dup {
			return nil, fmt.Errorf("table %q registered twice", t.Name)
		}
		f := t.Schema.Fields()
		if len(f) < 2 || f[0].Name != "id" || f[1].Name != "source_id" {
			return nil, fmt.Errorf("table %q: schema must start with id, source_id", t.Name)
		}
		m[t.Name] = t
	}
	return m, nil
}
