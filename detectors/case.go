package detectors

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vidbench/forensics"
)

// Querier is what detectors need of the case database.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Case is the case database as detectors see it: the tables present, the
// time window under study, and per-minute HTTP figures computed once.
//
// A Case is safe for concurrent use: Run runs the detectors side by side,
// and what they share is computed once, by the first to ask.
type Case struct {
	DB     Querier
	Window forensics.TimeRange
	tables map[string]bool

	mu  sync.Mutex
	has map[string]bool // Has, answered once per table

	api    memo[APISeries]
	text   memo[[]textRow]
	health memo[[]healthCheck]
}

// memo is a value of the case computed once, by the first caller; callers
// that ask meanwhile wait for it, and all get the same value and error.
type memo[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (m *memo[T]) get(f func() (T, error)) (T, error) {
	m.once.Do(func() { m.v, m.err = f() })
	return m.v, m.err
}

// NewCase looks at which tables the case has.
func NewCase(ctx context.Context, db Querier, w forensics.TimeRange) (*Case, error) {
	c := &Case{DB: db, Window: w, tables: map[string]bool{}}
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'
		UNION ALL SELECT view_name FROM duckdb_views() WHERE schema_name = 'main'`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		c.tables[t] = true
	}
	return c, rows.Err()
}

// viewBase names, for views that are costly to evaluate (window functions
// over a whole table), the table they read: when it is empty the view is
// empty too. Has asks the table, so that the question does not cost a
// pass over the view; a query over the view then finds what there is.
func viewBase(view string) string {
	switch view {
	case "pg_statement_deltas":
		return "pg_statements"
	case "pg_blocking":
		return "pg_locks"
	case "metrics":
		return "samples"
	}
	return ""
}

// Has reports whether the case has the table or view and it holds rows
// (for the views of viewBase: whether the table they read holds rows).
func (c *Case) Has(ctx context.Context, table string) bool {
	if !c.tables[table] {
		return false
	}
	c.mu.Lock()
	v, ok := c.has[table]
	c.mu.Unlock()
	if ok {
		return v
	}
	probe := table
	if b := viewBase(table); b != "" && c.tables[b] {
		probe = b
	}
	var n int
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+probe+` LIMIT 1)`).Scan(&n); err != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.has == nil {
		c.has = map[string]bool{}
	}
	c.has[table] = n > 0
	return n > 0
}

// bounds returns the window as SQL arguments: open ends become far
// past/future so queries need no special cases.
func (c *Case) bounds() (time.Time, time.Time) {
	lo, hi := c.Window.Since, c.Window.Until
	if lo.IsZero() {
		lo = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if hi.IsZero() {
		hi = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return lo, hi
}

// HTTPMinute is one minute of access-log traffic.
type HTTPMinute struct {
	Minute     time.Time
	Total      int64   // requests other than health checks
	Err5xx     int64   // of which 5xx
	Health     int64   // health checks
	HealthFail int64   // failed health checks (5xx)
	P95        float64 // p95 response time of non-health requests, seconds (NaN without data)
	Users5xx   int64
}

// healthSQL says whether an http_requests row is a health check.
const healthSQL = `(path LIKE '/health%' OR path LIKE '/healthz%' OR path LIKE '/ready%' OR path LIKE '/live%'
	OR user_agent ILIKE '%healthcheck%' OR user_agent ILIKE 'kube-probe%')`

// HTTP returns the per-minute figures of the API over the whole case,
// minutes without requests included as zeros: from the access log, or
// without one from Prometheus' request metrics (API says which).
func (c *Case) HTTP(ctx context.Context) ([]HTTPMinute, error) {
	api, err := c.API(ctx)
	return api.Minutes, err
}

// accessLogMinutes returns the per-minute figures of the access log.
func (c *Case) accessLogMinutes(ctx context.Context) ([]HTTPMinute, error) {
	if !c.Has(ctx, "http_requests") {
		return nil, nil
	}
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `
WITH r AS (SELECT *, `+healthSQL+` AS health FROM http_requests WHERE dup_of IS NULL AND ts >= ? AND ts < ?)
SELECT `+minuteSQL("ts")+` AS m,
       count(*) FILTER (WHERE NOT health),
       count(*) FILTER (WHERE NOT health AND status >= 500),
       count(*) FILTER (WHERE health),
       count(*) FILTER (WHERE health AND status >= 500),
       coalesce(quantile_cont(response_time_s, 0.95) FILTER (WHERE NOT health), 'NaN'::DOUBLE),
       count(DISTINCT coalesce("user", client)) FILTER (WHERE NOT health AND status >= 500)
FROM r GROUP BY 1 ORDER BY 1`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("http minutes: %w", err)
	}
	defer rows.Close()
	var ms []HTTPMinute
	for rows.Next() {
		var m HTTPMinute
		var us int64
		if err := rows.Scan(&us, &m.Total, &m.Err5xx, &m.Health, &m.HealthFail, &m.P95, &m.Users5xx); err != nil {
			return nil, err
		}
		m.Minute = time.UnixMicro(us).UTC()
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// zero-fill
	var out []HTTPMinute
	for i, m := range ms {
		if i > 0 {
			for t := ms[i-1].Minute.Add(time.Minute); t.Before(m.Minute); t = t.Add(time.Minute) {
				out = append(out, HTTPMinute{Minute: t, P95: math.NaN()})
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// minuteSQL is the start of the minute of the TIMESTAMPTZ expression col,
// in microseconds since the epoch (time.UnixMicro in Go): the minute
// date_trunc('minute', col) gives in any time zone whose offset is whole
// minutes, without the time-zone machinery that makes date_trunc on
// TIMESTAMPTZ cost about 0.35 CPU-s per million rows.
func minuteSQL(col string) string {
	us := "epoch_us(" + col + ")"
	return "(" + us + " - (" + us + " % 60000000 + 60000000) % 60000000)"
}

// Span is the time span of the case's timed records.
func (c *Case) Span(ctx context.Context) (time.Time, time.Time, error) {
	var lo, hi sql.NullTime
	err := c.DB.QueryRowContext(ctx, `SELECT min(first_ts), max(last_ts) FROM sources`).Scan(&lo, &hi)
	return lo.Time.UTC(), hi.Time.UTC(), err
}

// --- robust statistics ---

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// mad is the median absolute deviation, scaled to estimate a standard
// deviation (x 1.4826).
func mad(xs []float64, med float64) float64 {
	d := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			d = append(d, math.Abs(x-med))
		}
	}
	return 1.4826 * median(d)
}

// countThreshold is the per-minute count above which a count is abnormal
// for a series whose typical minute (median) is med with spread sd: a
// Poisson-style bound that stays sensible when the baseline is zero.
func countThreshold(med, sd float64) float64 {
	lam := math.Max(med, 0.2)
	return math.Max(lam+3*math.Sqrt(lam)+2, med+4*sd)
}

// episode is a run of abnormal minutes.
type episode struct {
	From, To time.Time // first abnormal minute, end of the last abnormal minute
	Minutes  int       // abnormal minutes in it
}

// episodes merges abnormal minutes separated by at most gap normal minutes.
func episodes(minutes []time.Time, gap time.Duration) []episode {
	var out []episode
	for _, m := range minutes {
		if n := len(out); n > 0 && m.Sub(out[n-1].To) <= gap {
			out[n-1].To = m.Add(time.Minute)
			out[n-1].Minutes++
			continue
		}
		out = append(out, episode{From: m, To: m.Add(time.Minute), Minutes: 1})
	}
	return out
}

// --- SQL helpers ---

// sqlTime renders a time as a SQL literal, for evidence_sql texts that a
// reviewer pastes into 'forensics query'.
func sqlTime(t time.Time) string {
	return "TIMESTAMPTZ '" + t.UTC().Format("2006-01-02 15:04:05.999999") + "+00'"
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// evidenceRows runs q (which must select ts, ref, text) and returns the rows.
func evidenceRows(ctx context.Context, db Querier, source string, q string, args ...any) ([]forensics.Evidence, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []forensics.Evidence
	for rows.Next() {
		var e forensics.Evidence
		var ts sql.NullTime
		if err := rows.Scan(&ts, &e.Ref, &e.Text); err != nil {
			return nil, err
		}
		e.TS = ts.Time.UTC()
		e.Source = source
		if i := strings.IndexByte(e.Ref, ':'); i > 0 && source == "" {
			e.Source = e.Ref[:i]
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// logText is the SQL text of a log record as evidence shows it.
const logText = `CASE WHEN exception IS NOT NULL AND position(exception IN message) = 0 THEN message || ' — ' || exception ELSE message END`

// logMatch is a SQL condition matching a log record's message, exception
// or traceback against an RE2 pattern.
func logMatch(pattern string) string {
	p := sqlString(pattern)
	return `(regexp_matches(message, ` + p + `) OR regexp_matches(coalesce(exception, ''), ` + p + `))`
}

// firstLast returns the min and max of a slice of evidence times.
func firstLast(ev []forensics.Evidence) (time.Time, time.Time) {
	var lo, hi time.Time
	for _, e := range ev {
		if e.TS.IsZero() {
			continue
		}
		if lo.IsZero() || e.TS.Before(lo) {
			lo = e.TS
		}
		if e.TS.After(hi) {
			hi = e.TS
		}
	}
	return lo, hi
}

func sortEvidence(ev []forensics.Evidence) {
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].TS.Before(ev[j].TS) })
}

// textSQL is a query over every text record of the case, as
// (ts, ref, text, level, service): log records (duplicates once, DEBUG
// left out: no detector looks for debug output) and, when the case has
// them, journald entries.
func (c *Case) textSQL(ctx context.Context) string {
	lo, hi := c.bounds()
	w := fmt.Sprintf(" AND ts >= %s AND ts < %s", sqlTime(lo), sqlTime(hi))
	parts := []string{}
	if c.Has(ctx, "logs") {
		parts = append(parts, `SELECT ts, 'logs:' || id AS ref, `+logText+` AS text, coalesce(level, '') AS level, coalesce(service, '') AS service
		FROM logs WHERE dup_of IS NULL AND ts IS NOT NULL AND level IS DISTINCT FROM 'DEBUG'`+w)
	}
	if c.Has(ctx, "journal") {
		dup := ""
		if c.hasColumn(ctx, "journal", "dup_of") {
			dup = " AND dup_of IS NULL"
		}
		// named like the logs part: the journal may be the case's only text
		parts = append(parts, `SELECT ts, 'journal:' || id AS ref, message AS text,
		CASE WHEN priority <= 2 THEN 'CRITICAL' WHEN priority = 3 THEN 'ERROR' WHEN priority = 4 THEN 'WARNING' ELSE 'INFO' END AS level,
		coalesce(unit, identifier, '') AS service
		FROM journal WHERE ts IS NOT NULL AND message IS NOT NULL`+dup+w)
	}
	if len(parts) == 0 {
		return `SELECT NULL::TIMESTAMPTZ AS ts, '' AS ref, '' AS text, '' AS level, '' AS service WHERE false`
	}
	return strings.Join(parts, "\nUNION ALL\n")
}

// hasColumn reports whether table has column.
func (c *Case) hasColumn(ctx context.Context, table, column string) bool {
	var n int
	err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?`, table, column).Scan(&n)
	return err == nil && n > 0
}

// textRow is a text record that matched at least one pattern.
type textRow struct {
	ev    forensics.Evidence
	flags uint64 // bit i: matches textPatterns[i]
}

// classify matches every text record against every pattern of
// textPatterns in one scan of the case, keeping the records that match any.
func (c *Case) classify(ctx context.Context) ([]textRow, error) {
	return c.text.get(func() ([]textRow, error) { return c.classifyOnce(ctx) })
}

func (c *Case) classifyOnce(ctx context.Context) ([]textRow, error) {
	match, err := matchAnySQL("text", textPatterns)
	if err != nil {
		return nil, err
	}
	bits := make([]string, len(textPatterns))
	for i, p := range textPatterns {
		bits[i] = fmt.Sprintf("CASE WHEN regexp_matches(text, %s) THEN %d ELSE 0 END", sqlString(p), uint64(1)<<i)
	}
	q := `WITH txt AS (` + c.textSQL(ctx) + `)
SELECT ts, ref, text, ` + strings.Join(bits, " + ") + ` FROM txt
WHERE ` + match + ` ORDER BY ts, ref`
	rows, err := c.DB.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("classify text records: %w", err)
	}
	defer rows.Close()
	var out []textRow
	for rows.Next() {
		var r textRow
		var ts sql.NullTime
		var flags int64
		if err := rows.Scan(&ts, &r.ev.Ref, &r.ev.Text, &flags); err != nil {
			return nil, fmt.Errorf("classify text records: %w", err)
		}
		r.ev.TS = ts.Time.UTC()
		if i := strings.IndexByte(r.ev.Ref, ':'); i > 0 {
			r.ev.Source = r.ev.Ref[:i]
		}
		r.flags = uint64(flags)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("classify text records: %w", err)
	}
	return out, nil
}

// matches returns the text records matching any of the patterns (each
// one of textPatterns), in time order, at most limit (0: no limit).
func (c *Case) matches(ctx context.Context, patterns ...string) ([]forensics.Evidence, error) {
	text, err := c.classify(ctx)
	if err != nil {
		return nil, err
	}
	var mask uint64
	for _, p := range patterns {
		found := false
		for i, tp := range textPatterns {
			if tp == p {
				mask |= 1 << i
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("pattern not in textPatterns: %s", p)
		}
	}
	var out []forensics.Evidence
	for _, r := range text {
		if r.flags&mask != 0 {
			out = append(out, r.ev)
		}
	}
	return out, nil
}

// matchSQL is the evidence_sql a reviewer can run for patterns in a window.
func matchSQL(patterns []string, from, to time.Time) string {
	var alts []string
	for _, p := range patterns {
		alts = append(alts, "(?:"+p+")")
	}
	pattern := strings.Join(alts, "|")
	return `SELECT ts, 'logs:' || id AS ref, service, level, message, exception FROM logs
WHERE dup_of IS NULL AND (regexp_matches(message, ` + sqlString(pattern) + `) OR regexp_matches(coalesce(exception, ''), ` + sqlString(pattern) + `))
  AND ts >= ` + sqlTime(from) + ` AND ts <= ` + sqlTime(to) + ` ORDER BY ts`
}

// clusters groups time-ordered evidence into runs with gaps of at most gap.
func clusters(ev []forensics.Evidence, gap time.Duration) [][]forensics.Evidence {
	var out [][]forensics.Evidence
	for _, e := range ev {
		if n := len(out); n > 0 && e.TS.Sub(out[n-1][len(out[n-1])-1].TS) <= gap {
			out[n-1] = append(out[n-1], e)
			continue
		}
		out = append(out, []forensics.Evidence{e})
	}
	return out
}

// between returns the evidence with from <= ts <= to.
func between(ev []forensics.Evidence, from, to time.Time) []forensics.Evidence {
	var out []forensics.Evidence
	for _, e := range ev {
		if !e.TS.Before(from) && !e.TS.After(to) {
			out = append(out, e)
		}
	}
	return out
}

func withLink(ev []forensics.Evidence, link string) []forensics.Evidence {
	out := make([]forensics.Evidence, len(ev))
	for i, e := range ev {
		e.Link = link
		out[i] = e
	}
	return out
}
