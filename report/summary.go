// Package report builds what people read from the case database: the
// terminal summary of 'forensics investigate', the incident timeline with
// its milestones, and the post-incident report in Markdown and as a
// self-contained HTML page with charts, redacted by default.
package report

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"
)

// Querier is what the report needs of the case database.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Minute is one minute of the error histogram.
type Minute struct {
	Minute    time.Time
	LogErrors int64
	LogTotal  int64
	HTTP5xx   int64
	HTTPTotal int64
}

// TemplateCount is a message template with how often it occurred.
type TemplateCount struct {
	TemplateID int64
	Template   string
	Count      int64
	First      time.Time
	Example    string
	Exception  string
}

// Summary is the terminal summary of a case.
type Summary struct {
	Sources      int64
	Rows         int64
	Rejects      int64
	Start, End   time.Time
	Worst        *Minute
	Around       []Minute
	NewTemplates []TemplateCount
	LevelCounts  map[string]int64
}

// Summarise reads the summary from the case database.
func Summarise(ctx context.Context, q Querier) (*Summary, error) {
	s := &Summary{LevelCounts: map[string]int64{}}
	var start, end sql.NullTime
	if err := q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(rows), 0), coalesce(sum(rejects), 0) FROM sources`).Scan(&s.Sources, &s.Rows, &s.Rejects); err != nil {
		return nil, fmt.Errorf("summary sources: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT min(ts), max(ts) FROM (SELECT ts FROM logs WHERE dup_of IS NULL UNION ALL SELECT ts FROM http_requests)`).Scan(&start, &end); err != nil {
		return nil, fmt.Errorf("summary span: %w", err)
	}
	s.Start, s.End = start.Time.UTC(), end.Time.UTC()
	rows, err := q.QueryContext(ctx, `SELECT coalesce(level, '?'), count(*) FROM logs WHERE dup_of IS NULL GROUP BY ALL`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l string
		var n int64
		if err := rows.Scan(&l, &n); err != nil {
			rows.Close()
			return nil, err
		}
		s.LevelCounts[l] = n
	}
	rows.Close()
	minutes, err := perMinute(ctx, q)
	if err != nil {
		return nil, err
	}
	var worst *Minute
	for i := range minutes {
		m := &minutes[i]
		if m.LogErrors+m.HTTP5xx == 0 {
			continue
		}
		if worst == nil || m.LogErrors+m.HTTP5xx > worst.LogErrors+worst.HTTP5xx {
			worst = m
		}
	}
	if worst == nil {
		return s, nil
	}
	s.Worst = worst
	for _, m := range minutes {
		if d := m.Minute.Sub(worst.Minute); d >= -5*time.Minute && d <= 5*time.Minute {
			s.Around = append(s.Around, m)
		}
	}
	s.NewTemplates, err = newErrorTemplates(ctx, q, worst.Minute)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func perMinute(ctx context.Context, q Querier) ([]Minute, error) {
	rows, err := q.QueryContext(ctx, `
WITH l AS (SELECT minute, sum(errors) e, sum(total) t FROM errors_per_minute WHERE source = 'logs' GROUP BY 1),
     h AS (SELECT minute, sum(errors) e, sum(total) t FROM errors_per_minute WHERE source = 'http_requests' GROUP BY 1),
     m AS (SELECT range AS minute FROM range((SELECT min(minute) FROM errors_per_minute), (SELECT max(minute) FROM errors_per_minute) + INTERVAL 1 MINUTE, INTERVAL 1 MINUTE))
SELECT m.minute, coalesce(l.e, 0), coalesce(l.t, 0), coalesce(h.e, 0), coalesce(h.t, 0)
FROM m LEFT JOIN l USING (minute) LEFT JOIN h USING (minute) ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("errors per minute: %w", err)
	}
	defer rows.Close()
	var out []Minute
	for rows.Next() {
		var m Minute
		if err := rows.Scan(&m.Minute, &m.LogErrors, &m.LogTotal, &m.HTTP5xx, &m.HTTPTotal); err != nil {
			return nil, err
		}
		m.Minute = m.Minute.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// newErrorTemplates lists the templates of error records within 30 minutes
// of the worst minute that never occurred (at any level) before that
// stretch: what is new in the incident.
func newErrorTemplates(ctx context.Context, q Querier, worst time.Time) ([]TemplateCount, error) {
	rows, err := q.QueryContext(ctx, `
WITH win AS (SELECT ?::TIMESTAMPTZ - INTERVAL 30 MINUTE AS lo, ?::TIMESTAMPTZ + INTERVAL 30 MINUTE AS hi),
err AS (
  SELECT coalesce(template_id, hash(message) % 1000000000) AS tid, l.*
  FROM logs l, win WHERE dup_of IS NULL AND level IN ('ERROR', 'CRITICAL') AND ts >= lo AND ts < hi
),
before AS (
  SELECT DISTINCT coalesce(template_id, hash(message) % 1000000000) AS tid FROM logs, win WHERE dup_of IS NULL AND ts < lo
)
SELECT tid, coalesce(any_value(t.template), any_value(err.message)), count(*), min(ts),
       arg_min(err.message, ts), coalesce(arg_min(err.exception, ts), '')
FROM err LEFT JOIN templates t ON t.id = err.template_id
WHERE tid NOT IN (SELECT tid FROM before)
GROUP BY tid ORDER BY count(*) DESC, min(ts) LIMIT 8`, worst, worst)
	if err != nil {
		return nil, fmt.Errorf("new error templates: %w", err)
	}
	defer rows.Close()
	var out []TemplateCount
	for rows.Next() {
		var t TemplateCount
		if err := rows.Scan(&t.TemplateID, &t.Template, &t.Count, &t.First, &t.Example, &t.Exception); err != nil {
			return nil, err
		}
		t.First = t.First.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// WriteSummary prints the summary for a terminal.
func WriteSummary(w io.Writer, s *Summary, tz *time.Location, format func(time.Time) string) {
	fmt.Fprintf(w, "\nCase: %d sources, %d rows, %d rejected lines\n", s.Sources, s.Rows, s.Rejects)
	if s.Start.IsZero() {
		fmt.Fprintln(w, "No timed records.")
		return
	}
	fmt.Fprintf(w, "Time span: %s → %s (%s)\n", format(s.Start), format(s.End), s.End.Sub(s.Start).Round(time.Second))
	var lv []string
	for _, l := range []string{"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "?"} {
		if n := s.LevelCounts[l]; n > 0 {
			lv = append(lv, fmt.Sprintf("%s %d", l, n))
		}
	}
	fmt.Fprintf(w, "Log records by level: %s\n", strings.Join(lv, ", "))
	if s.Worst == nil {
		fmt.Fprintln(w, "No errors and no HTTP 5xx in the case.")
		return
	}
	fmt.Fprintf(w, "\nWorst minute: %s with %d error records and %d HTTP 5xx\n", format(s.Worst.Minute), s.Worst.LogErrors, s.Worst.HTTP5xx)
	fmt.Fprintf(w, "%-22s %10s %10s %10s  %s\n", "minute", "log errors", "http 5xx", "requests", "")
	var peak int64 = 1
	for _, m := range s.Around {
		peak = max(peak, m.LogErrors+m.HTTP5xx)
	}
	for _, m := range s.Around {
		bar := strings.Repeat("█", int((m.LogErrors+m.HTTP5xx)*30/peak))
		fmt.Fprintf(w, "%-22s %10d %10d %10d  %s\n", format(m.Minute), m.LogErrors, m.HTTP5xx, m.HTTPTotal, bar)
	}
	if len(s.NewTemplates) > 0 {
		fmt.Fprintln(w, "\nNew error templates around the worst minute (never seen before it):")
		for _, t := range s.NewTemplates {
			line := t.Template
			if len(line) > 100 {
				line = line[:97] + "..."
			}
			fmt.Fprintf(w, "  %5d×  first %s  %s\n", t.Count, format(t.First), line)
			if t.Exception != "" {
				ex := t.Exception
				if len(ex) > 110 {
					ex = ex[:107] + "..."
				}
				fmt.Fprintf(w, "          ↳ %s\n", ex)
			}
		}
	}
}
