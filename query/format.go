package query

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Formats lists the output formats of Write.
var Formats = []string{"table", "csv", "json", "markdown"}

// Result is a materialised query result.
type Result struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

// Run runs one SQL statement (or several; the last one's result is
// returned) and materialises the result.
func (s *Store) Run(ctx context.Context, q string, args ...any) (*Result, error) {
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, queryError(err)
	}
	defer rows.Close()
	return collect(rows)
}

func queryError(err error) error {
	msg := err.Error()
	hint := "see 'forensics schema' for the tables, views and columns"
	if strings.Contains(msg, "read-only") || strings.Contains(msg, "read only") {
		hint = "the case file is opened read-only by 'query'; to change it, use DuckDB directly on a copy"
	}
	return &Error{Msg: "query failed", Hint: hint, Err: err}
}

func collect(rows *sql.Rows) (*Result, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	cts, _ := rows.ColumnTypes()
	r := &Result{Columns: cols}
	for _, ct := range cts {
		r.Types = append(r.Types, ct.DatabaseTypeName())
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r.Rows = append(r.Rows, vals)
	}
	return r, rows.Err()
}

// Write renders r in format to w.
func Write(w io.Writer, r *Result, format string, tz *time.Location) error {
	if tz == nil {
		tz = time.UTC
	}
	switch format {
	case "", "table":
		return writeTable(w, r, tz)
	case "csv":
		return writeCSV(w, r, tz)
	case "json":
		return writeJSON(w, r)
	case "markdown", "md":
		return writeMarkdown(w, r, tz)
	}
	return &Error{Msg: fmt.Sprintf("unknown format %q", format), Hint: "use one of " + strings.Join(Formats, ", ")}
}

// Text renders one value as people read it: times in tz as
// 2006-01-02 15:04:05.000 (with the zone when not UTC), NULL as empty.
func Text(v any, tz *time.Location) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return FormatTime(x, tz)
	case []byte:
		return string(x)
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case *big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	case map[any]any, []any, map[string]any:
		b, err := json.Marshal(jsonable(x))
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// FormatTime renders a time for people: UTC as "2026-11-20 14:02:11.532Z",
// other zones with their offset.
func FormatTime(t time.Time, tz *time.Location) string {
	if tz == nil {
		tz = time.UTC
	}
	t = t.In(tz)
	layout := "2006-01-02 15:04:05"
	if t.Nanosecond() != 0 {
		layout += ".000"
	}
	if tz == time.UTC {
		return t.Format(layout) + "Z"
	}
	return t.Format(layout + " -07:00")
}

func writeTable(w io.Writer, r *Result, tz *time.Location) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapTruncate),
		tablewriter.WithRowMaxWidth(80),
		tablewriter.WithTrimSpace(tw.Off),
	)
	hdr := make([]any, len(r.Columns))
	for i, c := range r.Columns {
		hdr[i] = c
	}
	t.Header(hdr...)
	for _, row := range r.Rows {
		cells := make([]any, len(row))
		for i, v := range row {
			s := Text(v, tz)
			s = strings.ReplaceAll(s, "\n", "⏎")
			s = strings.ReplaceAll(s, "\t", " ")
			cells[i] = s
		}
		if err := t.Append(cells...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "(%d row%s)\n", len(r.Rows), plural(len(r.Rows)))
	return err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func writeCSV(w io.Writer, r *Result, tz *time.Location) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	rec := make([]string, len(r.Columns))
	for _, row := range r.Rows {
		for i, v := range row {
			if t, ok := v.(time.Time); ok {
				rec[i] = t.UTC().Format(time.RFC3339Nano)
				continue
			}
			rec[i] = Text(v, tz)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes an array of objects, times as RFC 3339 UTC.
func writeJSON(w io.Writer, r *Result) error {
	out := make([]map[string]any, 0, len(r.Rows))
	for _, row := range r.Rows {
		m := make(map[string]any, len(row))
		for i, v := range row {
			m[r.Columns[i]] = jsonable(v)
		}
		out = append(out, m)
	}
	// keep column order: encode object by object
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	for i, row := range r.Rows {
		if i > 0 {
			io.WriteString(w, ",")
		}
		io.WriteString(w, "\n  {")
		for j, v := range row {
			if j > 0 {
				io.WriteString(w, ", ")
			}
			k, _ := json.Marshal(r.Columns[j])
			val, err := json.Marshal(jsonable(v))
			if err != nil {
				val, _ = json.Marshal(fmt.Sprint(v))
			}
			w.Write(k)
			io.WriteString(w, ": ")
			w.Write(val)
		}
		io.WriteString(w, "}")
	}
	if len(r.Rows) > 0 {
		io.WriteString(w, "\n")
	}
	_, err := io.WriteString(w, "]\n")
	_ = out
	return err
}

func jsonable(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return x
	case *big.Int:
		return json.Number(x.String())
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, vv := range x {
			m[fmt.Sprint(k)] = jsonable(vv)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, vv := range x {
			m[k] = jsonable(vv)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = jsonable(vv)
		}
		return out
	case string:
		// JSON columns arrive as text: pass objects through as objects
		if len(x) > 1 && (x[0] == '{' || x[0] == '[') && json.Valid([]byte(x)) {
			return json.RawMessage(x)
		}
		return x
	}
	return v
}

// MarkdownCell escapes text for one Markdown table cell: pipes, backticks,
// HTML-significant characters and line breaks cannot break the table.
func MarkdownCell(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '|':
			b.WriteString(`\|`)
		case '\\':
			b.WriteString(`\\`)
		case '`':
			b.WriteString("\\`")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n':
			b.WriteString("<br>")
		case '\r', '\t':
			b.WriteByte(' ')
		case '*', '_', '[', ']':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func writeMarkdown(w io.Writer, r *Result, tz *time.Location) error {
	var b strings.Builder
	b.WriteString("|")
	for _, c := range r.Columns {
		b.WriteString(" " + MarkdownCell(c) + " |")
	}
	b.WriteString("\n|")
	for range r.Columns {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, row := range r.Rows {
		b.WriteString("|")
		for _, v := range row {
			b.WriteString(" " + MarkdownCell(Text(v, tz)) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
