package query

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/vidbench/forensics"
)

// The PostgreSQL snapshot tables (migration 004): pg_activity,
// pg_statements, pg_locks and pg_settings, one row per row of a snapshot,
// with the columns of forensics.PGViews (so the readers and the store
// agree by construction), and pg_snapshots, the frame of each table read.

// pgRowColumns come before a view's own columns in every snapshot table.
var pgRowColumns = []arrow.Field{
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
	{Name: "lines", Type: arrow.PrimitiveTypes.Int32},
	{Name: "snapshot_ts", Type: tsType, Nullable: true},
	{Name: "ts_source", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "snapshot_no", Type: arrow.PrimitiveTypes.Int32},
	{Name: "form", Type: arrow.BinaryTypes.String},
}

// pgArrowType is the Arrow type of a catalog column.
func pgArrowType(t forensics.PGType) arrow.DataType {
	switch t {
	case forensics.PGInt:
		return arrow.PrimitiveTypes.Int64
	case forensics.PGFloat:
		return arrow.PrimitiveTypes.Float64
	case forensics.PGBool:
		return arrow.FixedWidthTypes.Boolean
	case forensics.PGTime:
		return tsType
	}
	return arrow.BinaryTypes.String
}

// The snapshot tables, one function each for the explicit list in Tables.
func pgActivityTable() Table   { return pgViewTable(pgView(forensics.PGActivity)) }
func pgStatementsTable() Table { return pgViewTable(pgView(forensics.PGStatements)) }
func pgLocksTable() Table      { return pgViewTable(pgView(forensics.PGLocks)) }
func pgSettingsTable() Table   { return pgViewTable(pgView(forensics.PGSettings)) }

func pgView(name string) forensics.PGViewSpec {
	for _, v := range forensics.PGViews() {
		if v.View == name {
			return v
		}
	}
	panic("no view " + name)
}

func pgViewTable(v forensics.PGViewSpec) Table {
	fields := append(IDColumns(), pgRowColumns...)
	statements := v.View == forensics.PGStatements
	if statements {
		fields = append(fields, arrow.Field{Name: "layout", Type: arrow.BinaryTypes.String, Nullable: true})
	}
	base := len(fields)
	textCol := -1 // pg_stat_statements' query: stored once per file, by id
	for i, c := range v.Columns {
		if statements && c.Name == "query" {
			textCol = i
			fields = append(fields, arrow.Field{Name: "query_text_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true})
			continue
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: pgArrowType(c.Type), Nullable: true})
	}
	extra := len(fields)
	fields = append(fields, arrow.Field{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true})
	cols := v.Columns
	view := v.View
	return Table{
		Name:   v.Table,
		Schema: arrow.NewSchema(fields, nil),
		Append: func(b *Batch, r forensics.Record) error {
			row, ok := r.(*forensics.PGRow)
			if !ok || row.View != view {
				return fmt.Errorf("%s: unexpected record %T", v.Table, r)
			}
			if len(row.Vals) != len(cols) {
				return fmt.Errorf("%s: row has %d values, the table %d columns", v.Table, len(row.Vals), len(cols))
			}
			b.i64(2, row.LineNo)
			b.i32(3, int32(max(row.Lines, 1)))
			b.ts(4, row.SnapshotTS)
			b.str(5, row.TSSource, true)
			b.i32(6, int32(row.SnapshotNo))
			b.str(7, row.Form, false)
			if statements {
				b.str(8, row.Layout, true)
			}
			for i, c := range cols {
				if i == textCol {
					if v := &row.Vals[i]; v.OK {
						b.i64(base+i, b.internQueryText(v.S))
					} else {
						b.b.Field(base + i).AppendNull()
					}
					continue
				}
				b.pgValue(base+i, c.Type, &row.Vals[i])
			}
			b.extra(extra, row.Extra)
			return nil
		},
	}
}

// pgValue appends one snapshot value (NULL when it has none).
func (b *batch) pgValue(i int, t forensics.PGType, v *forensics.PGValue) {
	if !v.OK {
		b.b.Field(i).AppendNull()
		return
	}
	b.used[i] = true
	switch t {
	case forensics.PGInt:
		b.b.Field(i).(*array.Int64Builder).Append(v.N)
	case forensics.PGFloat:
		b.b.Field(i).(*array.Float64Builder).Append(v.F)
	case forensics.PGBool:
		b.b.Field(i).(*array.BooleanBuilder).Append(v.N != 0)
	case forensics.PGTime:
		b.b.Field(i).(*array.TimestampBuilder).Append(arrow.Timestamp(v.N))
	default:
		b.b.Field(i).(*array.StringBuilder).Append(validUTF8(v.S))
	}
}

// extra appends the unknown columns of a row as a JSON object (NULL when
// there are none).
func (b *batch) extra(i int, m map[string]string) {
	if len(m) == 0 {
		b.b.Field(i).AppendNull()
		return
	}
	a := make(map[string]any, len(m))
	for k, v := range m {
		a[k] = v
	}
	b.json(i, a)
}

func pgSnapshotsTable() Table {
	s := arrow.BinaryTypes.String
	i64 := arrow.PrimitiveTypes.Int64
	i32 := arrow.PrimitiveTypes.Int32
	return Table{
		Name: "pg_snapshots",
		Schema: arrow.NewSchema(append(IDColumns(),
			arrow.Field{Name: "line_no", Type: i64},
			arrow.Field{Name: "lines", Type: i32},
			arrow.Field{Name: "snapshot_no", Type: i32},
			arrow.Field{Name: "view", Type: s, Nullable: true},
			arrow.Field{Name: "form", Type: s},
			arrow.Field{Name: "snapshot_ts", Type: tsType, Nullable: true},
			arrow.Field{Name: "ts_source", Type: s, Nullable: true},
			arrow.Field{Name: "title", Type: s, Nullable: true},
			arrow.Field{Name: "rows", Type: i64},
			arrow.Field{Name: "rejected", Type: i64},
			arrow.Field{Name: "footer_rows", Type: i64, Nullable: true},
			arrow.Field{Name: "columns", Type: s, Nullable: true},
			arrow.Field{Name: "unknown_columns", Type: s, Nullable: true},
			arrow.Field{Name: "layout", Type: s, Nullable: true},
			arrow.Field{Name: "note", Type: s, Nullable: true},
			arrow.Field{Name: "text", Type: s, Nullable: true},
		), nil),
		Append: func(b *Batch, r forensics.Record) error {
			p, ok := r.(*forensics.PGSnapshot)
			if !ok {
				return fmt.Errorf("pg_snapshots: unexpected record %T", r)
			}
			b.i64(2, p.LineNo)
			b.i32(3, int32(max(p.Lines, 1)))
			b.i32(4, int32(p.SnapshotNo))
			b.str(5, p.View, true)
			b.str(6, p.Form, false)
			b.ts(7, p.SnapshotTS)
			b.str(8, p.TSSource, true)
			b.str(9, p.Title, true)
			b.i64(10, int64(p.Rows))
			b.i64(11, int64(p.Rejected))
			if p.Footer >= 0 {
				b.i64(12, p.Footer)
			} else {
				b.b.Field(12).AppendNull()
			}
			b.str(13, strings.Join(p.Columns, ", "), true)
			b.str(14, strings.Join(p.Unknown, ", "), true)
			b.str(15, p.Layout, true)
			b.str(16, p.Note, true)
			b.str(17, p.Text, true)
			return nil
		},
	}
}

// queryText is a row of pg_query_texts: made by the writer, not a reader.
type queryText struct{ text string }

// Table implements forensics.Record.
func (queryText) Table() string { return "pg_query_texts" }

func pgQueryTextsTable() Table {
	return Table{
		Name: "pg_query_texts",
		Schema: arrow.NewSchema(append(IDColumns(),
			arrow.Field{Name: "query", Type: arrow.BinaryTypes.String},
		), nil),
		Append: func(b *Batch, r forensics.Record) error {
			q, ok := r.(queryText)
			if !ok {
				return fmt.Errorf("pg_query_texts: unexpected record %T", r)
			}
			b.str(2, q.text, false)
			return nil
		},
	}
}
