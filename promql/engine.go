package promql

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	prom "github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
)

// Engine is the prometheus module's PromQL engine with Prometheus' own
// defaults (5 minute lookback), the @ modifier and negative offsets on.
type Engine struct {
	e *prom.Engine
}

// NewEngine makes an engine whose queries time out after timeout.
func NewEngine(timeout time.Duration) *Engine {
	return &Engine{e: prom.NewEngine(prom.EngineOpts{
		MaxSamples:           100_000_000,
		Timeout:              timeout,
		LookbackDelta:        5 * time.Minute,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
	})}
}

// Range evaluates expr at every step from start to end.
func (e *Engine) Range(ctx context.Context, q storage.Queryable, expr string, start, end time.Time, step time.Duration) (parser.Value, error) {
	qry, err := e.e.NewRangeQuery(ctx, q, nil, expr, start, end, step)
	if err != nil {
		return nil, err
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	return detach(res.Value), nil
}

// Instant evaluates expr at ts.
func (e *Engine) Instant(ctx context.Context, q storage.Queryable, expr string, ts time.Time) (parser.Value, error) {
	qry, err := e.e.NewInstantQuery(ctx, q, nil, expr, ts)
	if err != nil {
		return nil, err
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	return detach(res.Value), nil
}

// detach deep-copies a result: its labels and point slices belong to the
// query (and, over a TSDB, to the querier's memory) until Close.
func detach(v parser.Value) parser.Value {
	switch x := v.(type) {
	case prom.Matrix:
		out := make(prom.Matrix, len(x))
		for i, s := range x {
			out[i] = prom.Series{Metric: s.Metric.Copy(), Floats: slices.Clone(s.Floats)}
			for _, h := range s.Histograms {
				out[i].Histograms = append(out[i].Histograms, prom.HPoint{T: h.T, H: h.H.Copy()})
			}
		}
		return out
	case prom.Vector:
		out := make(prom.Vector, len(x))
		for i, s := range x {
			out[i] = s
			out[i].Metric = s.Metric.Copy()
			if s.H != nil {
				out[i].H = s.H.Copy()
			}
		}
		return out
	}
	return v
}

// Formats are the output formats of Write.
var Formats = []string{"table", "csv", "json"}

// point is one row of output: a series at a time.
type point struct {
	metric string
	labels map[string]string
	t      int64
	v      string
}

func points(v parser.Value) []point {
	var out []point
	add := func(m string, lm map[string]string, t int64, f float64, h fmt.Stringer) {
		s := formatFloat(f)
		if h != nil {
			s = h.String()
		}
		out = append(out, point{m, lm, t, s})
	}
	switch x := v.(type) {
	case prom.Matrix:
		for _, s := range x {
			for _, p := range s.Floats {
				add(s.Metric.String(), s.Metric.Map(), p.T, p.F, nil)
			}
			for _, p := range s.Histograms {
				add(s.Metric.String(), s.Metric.Map(), p.T, 0, p.H)
			}
		}
	case prom.Vector:
		for _, s := range x {
			if s.H != nil {
				add(s.Metric.String(), s.Metric.Map(), s.T, 0, s.H)
			} else {
				add(s.Metric.String(), s.Metric.Map(), s.T, s.F, nil)
			}
		}
	case prom.Scalar:
		add("scalar", nil, x.T, x.V, nil)
	case prom.String:
		out = append(out, point{"string", nil, x.T, x.V})
	}
	return out
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Write renders a result: table (series, time, value), csv (the same
// columns, times RFC 3339 UTC) or json (the shape of Prometheus' HTTP API
// data: resultType and result, values as [unix seconds, "value"]).
func Write(w io.Writer, v parser.Value, format string) error {
	switch format {
	case "json":
		return writeJSON(w, v)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"series", "ts", "value"})
		for _, p := range points(v) {
			cw.Write([]string{p.metric, time.UnixMilli(p.t).UTC().Format(time.RFC3339Nano), p.v})
		}
		cw.Flush()
		return cw.Error()
	case "table", "":
		tbl := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
		tbl.Header("series", "ts", "value")
		for _, p := range points(v) {
			if err := tbl.Append(p.metric, time.UnixMilli(p.t).UTC().Format("2006-01-02 15:04:05.000Z"), p.v); err != nil {
				return err
			}
		}
		return tbl.Render()
	}
	return fmt.Errorf("unknown format %q", format)
}

func writeJSON(w io.Writer, v parser.Value) error {
	type series struct {
		Metric map[string]string `json:"metric"`
		Values [][2]any          `json:"values,omitempty"`
		Value  *[2]any           `json:"value,omitempty"`
	}
	out := struct {
		ResultType string `json:"resultType"`
		Result     any    `json:"result"`
	}{ResultType: string(v.Type())}
	ts := func(t int64) float64 { return float64(t) / 1000 }
	switch x := v.(type) {
	case prom.Matrix:
		res := []series{}
		for _, s := range x {
			e := series{Metric: s.Metric.Map()}
			for _, p := range s.Floats {
				e.Values = append(e.Values, [2]any{ts(p.T), formatFloat(p.F)})
			}
			for _, p := range s.Histograms {
				e.Values = append(e.Values, [2]any{ts(p.T), p.H.String()})
			}
			res = append(res, e)
		}
		out.Result = res
	case prom.Vector:
		res := []series{}
		for _, s := range x {
			val := formatFloat(s.F)
			if s.H != nil {
				val = s.H.String()
			}
			res = append(res, series{Metric: s.Metric.Map(), Value: &[2]any{ts(s.T), val}})
		}
		out.Result = res
	case prom.Scalar:
		out.Result = [2]any{ts(x.T), formatFloat(x.V)}
	case prom.String:
		out.Result = [2]any{ts(x.T), x.V}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
