package query

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/vidbench/forensics"
)

// The Prometheus tables (migration 005_prometheus.sql): series, samples and
// histogram_samples. Samples are narrow rows, many of them, so their
// batches end at the writer's row limit only; series carry JSON labels and
// end at 4 MiB of text.

func promSeriesTable() Table {
	return Table{Name: "series", Schema: promSeriesSchema, Append: appendPromSeries, BatchBytes: 4 << 20}
}

func promSamplesTable() Table {
	return Table{Name: "samples", Schema: promSamplesSchema, Append: appendPromSample}
}

func promHistogramsTable() Table {
	return Table{Name: "histogram_samples", Schema: promHistogramsSchema, Append: appendPromHistogram, BatchBytes: 16 << 20}
}

var promSeriesSchema = arrow.NewSchema(append(IDColumns(),
	arrow.Field{Name: "metric", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "labels", Type: arrow.BinaryTypes.String, Nullable: true},
), nil)

var promSamplesSchema = arrow.NewSchema(append(IDColumns(),
	arrow.Field{Name: "series_id", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "ts", Type: tsType},
	arrow.Field{Name: "value", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "stale", Type: arrow.FixedWidthTypes.Boolean},
), nil)

var promHistogramsSchema = arrow.NewSchema(append(IDColumns(),
	arrow.Field{Name: "series_id", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "ts", Type: tsType},
	arrow.Field{Name: "is_float", Type: arrow.FixedWidthTypes.Boolean},
	arrow.Field{Name: "count", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "sum", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "stale", Type: arrow.FixedWidthTypes.Boolean},
	arrow.Field{Name: "histogram", Type: arrow.BinaryTypes.String},
), nil)

// appendPromSeries writes a series row and hands the row id the writer
// gave it (column 0, appended just before) back to the series, so that
// its samples, emitted after it through the same sink, point at it.
func appendPromSeries(b *Batch, r forensics.Record) error {
	s, ok := r.(*forensics.PromSeries)
	if !ok {
		return fmt.Errorf("series table: cannot store a %T", r)
	}
	ids := b.b.Field(0).(*array.Int64Builder)
	s.ID = ids.Value(ids.Len() - 1)
	b.Str(2, s.Metric)
	b.Str(3, s.Labels)
	return nil
}

func appendPromSample(b *Batch, r forensics.Record) error {
	s, ok := r.(*forensics.PromSample)
	if !ok {
		return fmt.Errorf("samples table: cannot store a %T", r)
	}
	if s.Series == nil || s.Series.ID == 0 {
		return fmt.Errorf("samples table: sample at %d of a series not written first", s.T)
	}
	b.I64(2, s.Series.ID)
	b.used[3] = true
	b.b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(s.T * int64(time.Millisecond/time.Microsecond)))
	b.used[4] = true
	b.b.Field(4).(*array.Float64Builder).Append(s.V)
	b.used[5] = true
	b.b.Field(5).(*array.BooleanBuilder).Append(s.Stale)
	return nil
}

func appendPromHistogram(b *Batch, r forensics.Record) error {
	h, ok := r.(*forensics.PromHistogram)
	if !ok {
		return fmt.Errorf("histogram_samples table: cannot store a %T", r)
	}
	if h.Series == nil || h.Series.ID == 0 {
		return fmt.Errorf("histogram_samples table: sample at %d of a series not written first", h.T)
	}
	b.I64(2, h.Series.ID)
	b.used[3] = true
	b.b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(h.T * int64(time.Millisecond/time.Microsecond)))
	b.used[4] = true
	b.b.Field(4).(*array.BooleanBuilder).Append(h.Float)
	b.F64(5, h.Count, !h.Stale)
	b.F64(6, h.Sum, !h.Stale)
	b.used[7] = true
	b.b.Field(7).(*array.BooleanBuilder).Append(h.Stale)
	b.used[8] = true
	b.bytes += len(h.JSON)
	b.b.Field(8).(*array.StringBuilder).Append(h.JSON)
	return nil
}
