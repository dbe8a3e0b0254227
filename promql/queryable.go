// Package promql evaluates PromQL over a case file, after the Prometheus
// data directory may be gone: Queryable implements the prometheus
// module's storage.Queryable on the case file's series, samples and
// histogram_samples tables (label matchers pushed down to SQL), and Engine
// runs the prometheus module's own PromQL engine over it, so rate(),
// histogram_quantile() and sum by() answer as Prometheus does on the
// same data.
package promql

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// Queryable is a storage.Queryable over the Prometheus tables of a case
// file. Series with the same labels from several sources (two copies of a
// data directory, a block and its data directory) are merged into one, a
// sample seen twice at the same time counted once.
type Queryable struct {
	DB *sql.DB
}

var _ storage.Queryable = (*Queryable)(nil)

// Querier implements storage.Queryable.
func (q *Queryable) Querier(mint, maxt int64) (storage.Querier, error) {
	return &querier{db: q.DB, mint: mint, maxt: maxt}, nil
}

type querier struct {
	db         *sql.DB
	mint, maxt int64
}

// caseSeries is one merged series: its labels and the series ids behind it.
type caseSeries struct {
	ls  labels.Labels
	ids []int64
}

// where turns the matchers into SQL conditions on series (metric, labels)
// with their arguments. Regular expressions are pushed down only when
// withRegex; every matcher is applied again in Go, so SQL only narrows.
func where(ms []*labels.Matcher, withRegex bool) (string, []any) {
	var conds []string
	var args []any
	for _, m := range ms {
		col := "coalesce(metric, '')"
		if m.Name != labels.MetricName {
			col = "coalesce(labels->>" + sqlString(m.Name) + ", '')"
		}
		switch m.Type {
		case labels.MatchEqual:
			conds = append(conds, col+" = ?")
			args = append(args, m.Value)
		case labels.MatchNotEqual:
			conds = append(conds, col+" <> ?")
			args = append(args, m.Value)
		case labels.MatchRegexp, labels.MatchNotRegexp:
			if !withRegex || m.Value == ".*" || m.Value == ".+" && m.Type == labels.MatchRegexp {
				if m.Value == ".+" {
					conds = append(conds, col+" <> ''")
				}
				continue
			}
			c := "regexp_full_match(" + col + ", ?, 's')"
			if m.Type == labels.MatchNotRegexp {
				c = "NOT " + c
			}
			conds = append(conds, c)
			args = append(args, m.Value)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// series finds the merged series the matchers select, sorted by labels.
func (q *querier) series(ctx context.Context, ms []*labels.Matcher) ([]*caseSeries, error) {
	cond, args := where(ms, true)
	rows, err := q.db.QueryContext(ctx, `SELECT id, coalesce(metric, ''), coalesce(labels::VARCHAR, '{}') FROM series`+cond, args...)
	if err != nil {
		// a regular expression DuckDB does not take: narrow without it
		cond, args = where(ms, false)
		rows, err = q.db.QueryContext(ctx, `SELECT id, coalesce(metric, ''), coalesce(labels::VARCHAR, '{}') FROM series`+cond, args...)
		if err != nil {
			return nil, noData(err)
		}
	}
	defer rows.Close()
	byKey := map[string]*caseSeries{}
	var out []*caseSeries
	var b labels.ScratchBuilder
	for rows.Next() {
		var id int64
		var metric, js string
		if err := rows.Scan(&id, &metric, &js); err != nil {
			return nil, err
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			return nil, fmt.Errorf("series %d: labels: %w", id, err)
		}
		b.Reset()
		if metric != "" {
			b.Add(labels.MetricName, metric)
		}
		for k, v := range m {
			b.Add(k, v)
		}
		b.Sort()
		ls := b.Labels()
		ok := true
		for _, mt := range ms {
			if !mt.Matches(ls.Get(mt.Name)) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		key := ls.String()
		if s := byKey[key]; s != nil {
			s.ids = append(s.ids, id)
			continue
		}
		s := &caseSeries{ls: ls, ids: []int64{id}}
		byKey[key] = s
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return labels.Compare(out[i].ls, out[j].ls) < 0 })
	return out, nil
}

// noData turns "the table does not exist" into a hint.
func noData(err error) error {
	if strings.Contains(err.Error(), "Table with name series does not exist") || strings.Contains(err.Error(), "series does not exist") {
		return fmt.Errorf("no Prometheus data in this case file (%w): run 'forensics ingest' on a Prometheus data directory first", err)
	}
	return err
}

// Select implements storage.Querier: the matching series with their
// samples in [hints.Start, hints.End] (the querier's range without hints).
func (q *querier) Select(ctx context.Context, _ bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	mint, maxt := q.mint, q.maxt
	if hints != nil {
		mint, maxt = max(mint, hints.Start), min(maxt, hints.End)
	}
	ss, err := q.series(ctx, ms)
	if err != nil {
		return storage.ErrSeriesSet(err)
	}
	if len(ss) == 0 || (hints != nil && hints.Func == "series") {
		out := make([]storage.Series, len(ss))
		for i, s := range ss {
			out[i] = &memSeries{ls: s.ls}
		}
		return &seriesSet{list: out}
	}
	owner := map[int64]int{}
	var ids []string
	for i, s := range ss {
		for _, id := range s.ids {
			owner[id] = i
			ids = append(ids, strconv.FormatInt(id, 10))
		}
	}
	data := make([]*memSeries, len(ss))
	for i, s := range ss {
		data[i] = &memSeries{ls: s.ls}
	}
	idList := strings.Join(ids, ",")
	if err := q.floats(ctx, idList, mint, maxt, owner, data); err != nil {
		return storage.ErrSeriesSet(err)
	}
	if err := q.histograms(ctx, idList, mint, maxt, owner, data); err != nil {
		return storage.ErrSeriesSet(err)
	}
	out := make([]storage.Series, 0, len(data))
	for i, d := range data {
		if len(ss[i].ids) > 1 || d.hasHist {
			d.sortDedupe()
		}
		if len(d.samples) > 0 {
			out = append(out, d)
		}
	}
	return &seriesSet{list: out}
}

// floats reads the float samples of the ids through DuckDB's Arrow
// interface (a column at a time: far cheaper than a Scan per row).
func (q *querier) floats(ctx context.Context, idList string, mint, maxt int64, owner map[int64]int, data []*memSeries) error {
	sqlText := `SELECT series_id, epoch_ms(ts) AS t, value, stale FROM samples
		WHERE series_id IN (` + idList + `) AND ts >= make_timestamptz(?::BIGINT * 1000) AND ts <= make_timestamptz(?::BIGINT * 1000)
		ORDER BY series_id, ts`
	return q.arrowQuery(ctx, sqlText, []any{clampMs(mint), clampMs(maxt)}, func(rec arrow.RecordBatch) error {
		sid := rec.Column(0).(*array.Int64)
		ts := rec.Column(1).(*array.Int64)
		vs := rec.Column(2).(*array.Float64)
		st := rec.Column(3).(*array.Boolean)
		for i := 0; i < int(rec.NumRows()); i++ {
			d := data[owner[sid.Value(i)]]
			v := vs.Value(i)
			if st.Value(i) {
				v = math.Float64frombits(value.StaleNaN)
			}
			d.samples = append(d.samples, memSample{t: ts.Value(i), v: v})
		}
		return nil
	})
}

// histograms reads the native histogram samples of the ids.
func (q *querier) histograms(ctx context.Context, idList string, mint, maxt int64, owner map[int64]int, data []*memSeries) error {
	rows, err := q.db.QueryContext(ctx, `SELECT series_id, epoch_ms(ts), is_float, sum, stale, histogram::VARCHAR FROM histogram_samples
		WHERE series_id IN (`+idList+`) AND ts >= make_timestamptz(?::BIGINT * 1000) AND ts <= make_timestamptz(?::BIGINT * 1000)
		ORDER BY series_id, ts`, clampMs(mint), clampMs(maxt))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, t int64
		var isFloat, stale bool
		var sum sql.NullFloat64
		var js string
		if err := rows.Scan(&id, &t, &isFloat, &sum, &stale, &js); err != nil {
			return err
		}
		fh := &histogram.FloatHistogram{}
		if err := json.Unmarshal([]byte(js), fh); err != nil {
			return fmt.Errorf("histogram of series %d at %d: %w", id, t, err)
		}
		switch {
		case stale:
			fh.Sum = math.Float64frombits(value.StaleNaN)
		case sum.Valid:
			fh.Sum = sum.Float64
		}
		d := data[owner[id]]
		d.hasHist = true
		d.samples = append(d.samples, memSample{t: t, h: fh, isInt: !isFloat})
	}
	return rows.Err()
}

// clampMs keeps a millisecond bound within what a TIMESTAMPTZ holds.
func clampMs(ms int64) int64 {
	const lim = 9_000_000_000_000 // milliseconds: about the year 287,000
	return max(-lim, min(ms, lim))
}

// arrowQuery runs sqlText on one connection through DuckDB's Arrow
// interface and hands each record batch to fn.
func (q *querier) arrowQuery(ctx context.Context, sqlText string, args []any, fn func(arrow.RecordBatch) error) error {
	conn, err := q.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return errors.New("not a DuckDB connection")
		}
		a, err := duckdb.NewArrowFromConn(dconn)
		if err != nil {
			return err
		}
		rr, err := a.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return err
		}
		defer rr.Release()
		for rr.Next() {
			if err := fn(rr.RecordBatch()); err != nil {
				return err
			}
		}
		return rr.Err()
	})
}

// LabelValues implements storage.LabelQuerier.
func (q *querier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	ss, err := q.series(ctx, ms)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, s := range ss {
		if v := s.ls.Get(name); v != "" {
			seen[v] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	if hints != nil && hints.Limit > 0 && len(out) > hints.Limit {
		out = out[:hints.Limit]
	}
	return out, nil, nil
}

// LabelNames implements storage.LabelQuerier.
func (q *querier) LabelNames(ctx context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	ss, err := q.series(ctx, ms)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, s := range ss {
		s.ls.Range(func(l labels.Label) { seen[l.Name] = true })
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	if hints != nil && hints.Limit > 0 && len(out) > hints.Limit {
		out = out[:hints.Limit]
	}
	return out, nil, nil
}

// Close implements storage.LabelQuerier.
func (q *querier) Close() error { return nil }

// seriesSet is a storage.SeriesSet over series held in memory.
type seriesSet struct {
	list []storage.Series
	i    int
}

func (s *seriesSet) Next() bool {
	if s.i >= len(s.list) {
		return false
	}
	s.i++
	return true
}
func (s *seriesSet) At() storage.Series                { return s.list[s.i-1] }
func (s *seriesSet) Err() error                        { return nil }
func (s *seriesSet) Warnings() annotations.Annotations { return nil }

// memSeries is one series' samples in time order.
type memSeries struct {
	ls      labels.Labels
	samples []memSample
	hasHist bool
}

func (s *memSeries) Labels() labels.Labels { return s.ls }

// Iterator implements storage.Series through prometheus' own list iterator.
func (s *memSeries) Iterator(chunkenc.Iterator) chunkenc.Iterator {
	return storage.NewListSeriesIterator(s)
}

// Get implements chunks.Samples (without an allocation per sample).
func (s *memSeries) Get(i int) chunks.Sample { return &s.samples[i] }

// Len implements chunks.Samples.
func (s *memSeries) Len() int { return len(s.samples) }

// sortDedupe orders samples merged from several sources by time and keeps
// one sample per time.
func (s *memSeries) sortDedupe() {
	slices.SortStableFunc(s.samples, func(a, b memSample) int { return cmp.Compare(a.t, b.t) })
	s.samples = slices.CompactFunc(s.samples, func(a, b memSample) bool { return a.t == b.t })
}

// memSample is one sample: a float, or a native histogram when h is set
// (isInt: one with integer counts).
type memSample struct {
	t     int64
	v     float64
	h     *histogram.FloatHistogram
	isInt bool
}

func (m *memSample) T() int64   { return m.t }
func (m *memSample) ST() int64  { return 0 }
func (m *memSample) F() float64 { return m.v }

func (m *memSample) H() *histogram.Histogram {
	if m.h == nil || !m.isInt {
		return nil
	}
	return toIntHistogram(m.h)
}

// FH returns the histogram with float counts, also for an integer one
// (the engine reads both through AtFloatHistogram).
func (m *memSample) FH() *histogram.FloatHistogram { return m.h }

func (m *memSample) Type() chunkenc.ValueType {
	switch {
	case m.h == nil:
		return chunkenc.ValFloat
	case m.isInt:
		return chunkenc.ValHistogram
	}
	return chunkenc.ValFloatHistogram
}

func (m *memSample) Copy() chunks.Sample {
	c := *m
	if m.h != nil {
		c.h = m.h.Copy()
	}
	return &c
}

// toIntHistogram rebuilds an integer histogram from its float form (the
// counts of an integer histogram are whole numbers, stored as absolute
// counts; the integer form holds bucket deltas).
func toIntHistogram(fh *histogram.FloatHistogram) *histogram.Histogram {
	h := &histogram.Histogram{
		CounterResetHint: fh.CounterResetHint, Schema: fh.Schema, ZeroThreshold: fh.ZeroThreshold,
		ZeroCount: uint64(fh.ZeroCount), Count: uint64(fh.Count), Sum: fh.Sum,
		PositiveSpans: slices.Clone(fh.PositiveSpans), NegativeSpans: slices.Clone(fh.NegativeSpans),
		CustomValues: slices.Clone(fh.CustomValues),
	}
	h.PositiveBuckets = deltas(fh.PositiveBuckets)
	h.NegativeBuckets = deltas(fh.NegativeBuckets)
	return h
}

func deltas(abs []float64) []int64 {
	if abs == nil {
		return nil
	}
	out := make([]int64, len(abs))
	var prev int64
	for i, a := range abs {
		out[i] = int64(a) - prev
		prev = int64(a)
	}
	return out
}
