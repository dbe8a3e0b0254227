package query

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/vidbench/forensics"
)

// commandsTable stores forensics.Command rows: the responders' shell
// history entries and the commands typed in their terminal sessions
// (migration 003).
func commandsTable() Table {
	return Table{
		Name: "commands",
		Schema: arrow.NewSchema(append(IDColumns(),
			arrow.Field{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: "lines", Type: arrow.PrimitiveTypes.Int32},
			arrow.Field{Name: "ts", Type: tsType, Nullable: true},
			arrow.Field{Name: "ts_exact", Type: arrow.FixedWidthTypes.Boolean},
			arrow.Field{Name: "host", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "user", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "shell", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "command", Type: arrow.BinaryTypes.String},
			arrow.Field{Name: "action", Type: arrow.BinaryTypes.String},
			arrow.Field{Name: "target", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "service", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "elapsed_s", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			arrow.Field{Name: "output", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "attrs", Type: arrow.BinaryTypes.String, Nullable: true},
		), nil),
		Append: func(b *Batch, r forensics.Record) error {
			c, ok := r.(*forensics.Command)
			if !ok {
				return fmt.Errorf("commands: unexpected record %T", r)
			}
			b.i64(2, c.LineNo)
			b.i32(3, int32(max(c.Lines, 1)))
			b.ts(4, c.TS)
			b.boolean(5, c.TSExact && !c.TS.IsZero())
			b.str(6, c.Host, true)
			b.str(7, c.User, true)
			b.str(8, c.Shell, true)
			b.str(9, c.Command, false)
			b.str(10, c.Action, false)
			b.str(11, c.Target, true)
			b.str(12, c.Service, true)
			b.f64(13, c.Elapsed, c.Elapsed >= 0)
			b.str(14, c.Output, true)
			b.json(15, c.Attrs)
			return nil
		},
	}
}

// boolean appends a bool.
func (b *batch) boolean(i int, v bool) {
	b.used[i] = true
	b.b.Field(i).(*array.BooleanBuilder).Append(v)
}

// nullI64 appends an int64, or NULL when ok is false.
func (b *batch) nullI64(i int, v int64, ok bool) {
	if !ok {
		b.b.Field(i).AppendNull()
		return
	}
	b.i64(i, v)
}

// nullI32 appends an int32, or NULL when ok is false.
func (b *batch) nullI32(i int, v int32, ok bool) {
	if !ok {
		b.b.Field(i).AppendNull()
		return
	}
	b.i32(i, v)
}
