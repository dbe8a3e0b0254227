package query

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/vidbench/forensics"
)

// capturesTable stores forensics.Capture rows: the values read from saved
// outputs of nvidia-smi, df, free, docker-compose ps and docker stats
// (migration 003).
func capturesTable() Table {
	i64 := arrow.PrimitiveTypes.Int64
	f64 := arrow.PrimitiveTypes.Float64
	s := arrow.BinaryTypes.String
	return Table{
		Name: "captures",
		Schema: arrow.NewSchema(append(IDColumns(),
			arrow.Field{Name: "line_no", Type: i64},
			arrow.Field{Name: "lines", Type: arrow.PrimitiveTypes.Int32},
			arrow.Field{Name: "ts", Type: tsType, Nullable: true},
			arrow.Field{Name: "ts_source", Type: s, Nullable: true},
			arrow.Field{Name: "host", Type: s, Nullable: true},
			arrow.Field{Name: "tool", Type: s},
			arrow.Field{Name: "kind", Type: s},
			arrow.Field{Name: "subject", Type: s, Nullable: true},
			arrow.Field{Name: "gpu", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "pid", Type: i64, Nullable: true},
			arrow.Field{Name: "name", Type: s, Nullable: true},
			arrow.Field{Name: "state", Type: s, Nullable: true},
			arrow.Field{Name: "used_bytes", Type: i64, Nullable: true},
			arrow.Field{Name: "total_bytes", Type: i64, Nullable: true},
			arrow.Field{Name: "free_bytes", Type: i64, Nullable: true},
			arrow.Field{Name: "avail_bytes", Type: i64, Nullable: true},
			arrow.Field{Name: "util_pct", Type: f64, Nullable: true},
			arrow.Field{Name: "use_pct", Type: f64, Nullable: true},
			arrow.Field{Name: "temp_c", Type: f64, Nullable: true},
			arrow.Field{Name: "power_w", Type: f64, Nullable: true},
			arrow.Field{Name: "attrs", Type: s, Nullable: true},
		), nil),
		Append: func(b *Batch, r forensics.Record) error {
			c, ok := r.(*forensics.Capture)
			if !ok {
				return fmt.Errorf("captures: unexpected record %T", r)
			}
			b.i64(2, c.LineNo)
			b.i32(3, int32(max(c.Lines, 1)))
			b.ts(4, c.TS)
			b.str(5, c.TSSource, true)
			b.str(6, c.Host, true)
			b.str(7, c.Tool, false)
			b.str(8, c.Kind, false)
			b.str(9, c.Subject, true)
			b.nullI32(10, int32(c.GPU), c.GPU >= 0)
			b.nullI64(11, c.PID, c.PID > 0)
			b.str(12, c.Name, true)
			b.str(13, c.State, true)
			b.nullI64(14, c.Used, c.Used >= 0)
			b.nullI64(15, c.Total, c.Total >= 0)
			b.nullI64(16, c.Free, c.Free >= 0)
			b.nullI64(17, c.Avail, c.Avail >= 0)
			b.f64(18, c.UtilPct, c.UtilPct >= 0)
			b.f64(19, c.UsePct, c.UsePct >= 0)
			b.f64(20, c.TempC, c.TempC > -274)
			b.f64(21, c.PowerW, c.PowerW >= 0)
			b.json(22, c.Attrs)
			return nil
		},
	}
}
