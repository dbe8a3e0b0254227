package report

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Point is one value of a chart series at a time.
type Point struct {
	T time.Time
	V float64
}

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point
	Dashed bool // a limit (capacity, max_connections) rather than a measure
}

// Chart is one panel of the report: a few series in one unit, drawn on
// the time axis that all the report's charts share.
type Chart struct {
	ID      string // stable id, e.g. "errors" (the HTML element is chart-<ID>)
	Title   string
	YLabel  string
	About   string // one sentence: what is plotted and from which table
	Series  []Series
	Percent bool // the Y axis is 0..100
}

// ChartSet is the charts of a case on one time axis, with the incident's
// phases and milestones to mark on each.
type ChartSet struct {
	From, To   time.Time
	Step       time.Duration
	Charts     []Chart
	Missing    []string // charts the case has no data for, e.g. "GPU memory (no DCGM metrics or nvidia-smi captures)"
	Milestones []Milestone
	Phases     []Phase
}

// Milestone is a marked instant (start, detected, ...).
type Milestone struct {
	Name string
	T    time.Time
}

// Phase is a shaded span of the incident.
type Phase struct {
	Name     string
	From, To time.Time
}

// chartBuckets is about how many points a series has over the window.
const chartBuckets = 600

// LoadCharts reads, from the case, the series the report plots over the
// incident window (the whole case when no incident was found): errors per
// minute, API latency, GPU memory, host memory and disk, and database
// waiters and connections — whichever the case has. Each query aggregates
// in DuckDB into at most about 600 buckets, so the cost does not grow with
// the size of the case beyond one scan.
func LoadCharts(ctx context.Context, q Querier, tl *Timeline) (*ChartSet, error) {
	cs := &ChartSet{}
	inc := tl.Incident
	if inc.Found && !inc.Window[0].IsZero() {
		cs.From, cs.To = inc.Window[0], inc.Window[1]
	} else {
		var lo, hi sql.NullTime
		if err := q.QueryRowContext(ctx, `SELECT min(first_ts), max(last_ts) FROM sources`).Scan(&lo, &hi); err != nil {
			return nil, fmt.Errorf("charts: case span: %w", err)
		}
		if !lo.Valid || !hi.Valid {
			return cs, nil
		}
		cs.From, cs.To = lo.Time.UTC(), hi.Time.UTC()
	}
	if !cs.To.After(cs.From) {
		cs.To = cs.From.Add(time.Minute)
	}
	cs.Step = chartStep(cs.To.Sub(cs.From))
	cs.From = cs.From.Truncate(cs.Step)
	cs.Milestones, cs.Phases = marks(inc)

	has := tablesOf(ctx, q)
	loaders := []struct {
		missing string
		load    func(context.Context, Querier, *ChartSet, map[string]bool) (*Chart, error)
	}{
		{"errors per minute (no logs, journal or access log)", errorsChart},
		{"API latency (no access log with response times)", latencyChart},
		{"GPU memory (no DCGM metrics or nvidia-smi captures)", gpuChart},
		{"host memory and disk (no node_exporter metrics or free/df captures)", hostChart},
		{"database waiters and connections (no pg_stat_activity or pg_locks snapshots)", dbChart},
	}
	for _, l := range loaders {
		c, err := l.load(ctx, q, cs, has)
		if err != nil {
			return nil, err
		}
		if c == nil || len(c.Series) == 0 {
			cs.Missing = append(cs.Missing, l.missing)
			continue
		}
		cs.Charts = append(cs.Charts, *c)
	}
	return cs, nil
}

// chartStep is the bucket width: whole minutes, at most about chartBuckets
// buckets over span.
func chartStep(span time.Duration) time.Duration {
	step := time.Minute
	for span/step > chartBuckets {
		switch {
		case step < 5*time.Minute:
			step = 5 * time.Minute
		case step < 15*time.Minute:
			step = 15 * time.Minute
		case step < time.Hour:
			step = time.Hour
		default:
			step *= 2
		}
	}
	return step
}

// marks turns the milestones into marked instants and shaded phases:
// impact before detection (start → detected), response (detected →
// mitigated) and recovery (mitigated → resolved).
func marks(inc Incident) ([]Milestone, []Phase) {
	if !inc.Found || inc.Start == nil {
		return nil, nil
	}
	var ms []Milestone
	add := func(name string, t *time.Time) {
		if t != nil {
			ms = append(ms, Milestone{name, *t})
		}
	}
	add("start", inc.Start)
	add("detected", inc.Detected)
	add("responded", inc.Responded)
	add("mitigated", inc.Mitigated)
	add("resolved", inc.Resolved)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].T.Before(ms[j].T) })

	end := inc.Window[1]
	if inc.Resolved != nil {
		end = *inc.Resolved
	}
	// the phase boundaries in their order; one that comes at or after a
	// later phase's boundary is dropped (an alert that fired after the
	// mitigation starts no phase of its own)
	cut := []struct {
		name string
		t    *time.Time
	}{{"impact before detection", inc.Start}, {"responding", firstOf(inc.Detected, inc.Responded)}, {"mitigated, recovering", inc.Mitigated}}
	var keep []Phase
	for i, c := range cut {
		if c.t == nil || !c.t.Before(end) || (len(keep) > 0 && !c.t.After(keep[len(keep)-1].From)) {
			continue
		}
		later := false
		for _, n := range cut[i+1:] {
			if n.t != nil && !n.t.After(*c.t) {
				later = true
			}
		}
		if later && i > 0 {
			continue
		}
		keep = append(keep, Phase{Name: c.name, From: *c.t})
	}
	var ps []Phase
	for i, p := range keep {
		p.To = end
		if i+1 < len(keep) {
			p.To = keep[i+1].From
		}
		ps = append(ps, p)
	}
	return ms, ps
}

// firstOf is the earlier of two optional times.
func firstOf(a, b *time.Time) *time.Time {
	switch {
	case a == nil:
		return b
	case b == nil || a.Before(*b):
		return a
	}
	return b
}

// bucketed runs a query returning (bucket epoch seconds, series name,
// value) rows and groups them into series in name order. The query gets
// the step in seconds, the window start and end as its three arguments.
func bucketed(ctx context.Context, q Querier, cs *ChartSet, query string) ([]Series, error) {
	rows, err := q.QueryContext(ctx, query, int64(cs.Step/time.Second), cs.From, cs.To)
	if err != nil {
		return nil, fmt.Errorf("charts: %w", err)
	}
	defer rows.Close()
	by := map[string]*Series{}
	var names []string
	for rows.Next() {
		var b int64
		var name string
		var v sql.NullFloat64
		if err := rows.Scan(&b, &name, &v); err != nil {
			return nil, fmt.Errorf("charts: %w", err)
		}
		if !v.Valid {
			continue
		}
		s := by[name]
		if s == nil {
			s = &Series{Name: name}
			by[name] = s
			names = append(names, name)
		}
		s.Points = append(s.Points, Point{time.Unix(b, 0).UTC(), v.Float64})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("charts: %w", err)
	}
	sort.Strings(names)
	out := make([]Series, 0, len(names))
	for _, n := range names {
		s := by[n]
		sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].T.Before(s.Points[j].T) })
		out = append(out, *s)
	}
	return out, nil
}

// bucketExpr is the SQL of the bucket (epoch seconds) of a time column;
// the step in seconds is the query's first argument.
func bucketExpr(col string) string {
	return fmt.Sprintf("CAST(floor(epoch(%s) / $1) * $1 AS BIGINT)", col)
}

// fillZeros gives a count series a zero in every empty bucket, so that a
// quiet minute is drawn as zero rather than interpolated across.
func fillZeros(s Series, cs *ChartSet) Series {
	have := make(map[int64]float64, len(s.Points))
	for _, p := range s.Points {
		have[p.T.Unix()] = p.V
	}
	var pts []Point
	for t := cs.From; t.Before(cs.To); t = t.Add(cs.Step) {
		pts = append(pts, Point{t, have[t.Unix()]})
	}
	s.Points = pts
	return s
}

func errorsChart(ctx context.Context, q Querier, cs *ChartSet, has map[string]bool) (*Chart, error) {
	var parts []string
	if has["logs"] {
		parts = append(parts, `SELECT `+bucketExpr("ts")+` AS b, 'log records at ERROR or above' AS name, count(*) FILTER (WHERE level IN ('ERROR', 'CRITICAL')) AS n
			FROM logs WHERE dup_of IS NULL AND ts >= $2 AND ts < $3 GROUP BY ALL`)
	}
	if has["journal"] {
		parts = append(parts, `SELECT `+bucketExpr("ts")+`, 'journald entries at PRIORITY <= 3', count(*) FILTER (WHERE priority <= 3)
			FROM journal WHERE dup_of IS NULL AND ts >= $2 AND ts < $3 GROUP BY ALL`)
	}
	if has["http_requests"] {
		parts = append(parts, `SELECT `+bucketExpr("ts")+`, 'HTTP 5xx responses', count(*) FILTER (WHERE status >= 500)
			FROM http_requests WHERE dup_of IS NULL AND ts >= $2 AND ts < $3 GROUP BY ALL`)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	per := cs.Step.Minutes()
	ss, err := bucketed(ctx, q, cs, `SELECT b, name, n / `+fmt.Sprint(per)+` FROM (`+strings.Join(parts, " UNION ALL ")+`)`)
	if err != nil {
		return nil, err
	}
	for i := range ss {
		ss[i] = fillZeros(ss[i], cs)
	}
	return &Chart{ID: "errors", Title: "Errors per minute", YLabel: "per minute",
		About:  "Log records at ERROR or above (logs), journald entries at PRIORITY 3 or below (journal) and HTTP 5xx responses (http_requests), duplicates counted once.",
		Series: ss}, nil
}

func latencyChart(ctx context.Context, q Querier, cs *ChartSet, has map[string]bool) (*Chart, error) {
	if !has["http_requests"] {
		return nil, nil
	}
	ss, err := bucketed(ctx, q, cs, `SELECT b, name, v FROM (
		SELECT `+bucketExpr("ts")+` AS b, quantile_cont(response_time_s, 0.95) AS p95, quantile_cont(response_time_s, 0.5) AS p50
		FROM http_requests WHERE dup_of IS NULL AND response_time_s IS NOT NULL AND ts >= $2 AND ts < $3 GROUP BY ALL)
		UNPIVOT (v FOR name IN (p95 AS 'p95 response time', p50 AS 'median response time'))`)
	if err != nil {
		return nil, err
	}
	return &Chart{ID: "latency", Title: "API response time", YLabel: "seconds",
		About:  "The 95th percentile and the median of response_time_s per bucket, over all requests of the access log (http_requests).",
		Series: ss}, nil
}

// metricUnion selects (ts, metric, labels JSON, value) from Prometheus
// samples and from the responders' captures, for the named metrics.
func metricUnion(has map[string]bool, names ...string) string {
	in := "'" + strings.Join(names, "', '") + "'"
	var parts []string
	if has["samples"] {
		parts = append(parts, `SELECT ts, metric, labels::VARCHAR AS labels, value, gpu, mountpoint, instance FROM metrics WHERE metric IN (`+in+`) AND ts >= $2 AND ts < $3`)
	}
	if has["captures"] {
		parts = append(parts, `SELECT ts, metric, labels::VARCHAR, value, gpu::VARCHAR, mountpoint, host FROM capture_metrics WHERE metric IN (`+in+`) AND ts >= $2 AND ts < $3`)
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ")"
}

func gpuChart(ctx context.Context, q Querier, cs *ChartSet, has map[string]bool) (*Chart, error) {
	u := metricUnion(has, "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_TOTAL")
	if u == "" {
		return nil, nil
	}
	// used per GPU (max in the bucket); capacity = the largest used+free or total seen
	ss, err := bucketed(ctx, q, cs, `WITH m AS (SELECT * FROM `+u+`)
		SELECT `+bucketExpr("ts")+`, 'GPU ' || coalesce(gpu, '?') || ' used', max(value) / 1024
		FROM m WHERE metric = 'DCGM_FI_DEV_FB_USED' GROUP BY ALL`)
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	if len(ss) > 8 {
		ss = ss[:8]
	}
	var capMiB sql.NullFloat64
	err = q.QueryRowContext(ctx, `WITH m AS (SELECT * FROM `+u+`)
		SELECT max(v) FROM (
			SELECT max(value) AS v FROM m WHERE metric = 'DCGM_FI_DEV_FB_TOTAL'
			UNION ALL
			SELECT max(u.value + f.value) FROM m u JOIN m f ON u.ts = f.ts AND coalesce(u.gpu, '') = coalesce(f.gpu, '')
			WHERE u.metric = 'DCGM_FI_DEV_FB_USED' AND f.metric = 'DCGM_FI_DEV_FB_FREE')
		WHERE $1 > 0 -- the step: every query here takes the same three arguments`,
		int64(cs.Step/time.Second), cs.From, cs.To).Scan(&capMiB)
	if err != nil {
		return nil, fmt.Errorf("charts: gpu capacity: %w", err)
	}
	if capMiB.Valid && capMiB.Float64 > 0 {
		ss = append(ss, constSeries("capacity", capMiB.Float64/1024, cs))
	}
	return &Chart{ID: "gpu", Title: "GPU memory", YLabel: "GiB",
		About:  "Framebuffer memory used per GPU (DCGM_FI_DEV_FB_USED from Prometheus, or nvidia-smi captures), the largest value in each bucket; the dashed line is the capacity (used + free).",
		Series: ss}, nil
}

func constSeries(name string, v float64, cs *ChartSet) Series {
	return Series{Name: name, Dashed: true, Points: []Point{{cs.From, v}, {cs.To, v}}}
}

func hostChart(ctx context.Context, q Querier, cs *ChartSet, has map[string]bool) (*Chart, error) {
	u := metricUnion(has, "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes", "node_filesystem_avail_bytes", "node_filesystem_size_bytes")
	if u == "" {
		return nil, nil
	}
	// % available: the lowest available value in the bucket against the
	// largest total seen for the same host (memory) or mount point (disk)
	ss, err := bucketed(ctx, q, cs, `WITH m AS (SELECT * FROM `+u+`),
		mem_total AS (SELECT coalesce(instance, '') AS k, max(value) AS total FROM m WHERE metric = 'node_memory_MemTotal_bytes' GROUP BY ALL),
		fs_total AS (SELECT coalesce(mountpoint, '') AS k, max(value) AS total FROM m WHERE metric = 'node_filesystem_size_bytes'
			-- container overlays and pseudo file systems repeat the host's disks or hold nothing
			AND NOT (coalesce(mountpoint, '') SIMILAR TO '.*/(overlay2?|containers|kubelet)/.*|/(run|dev|sys|proc|snap)(/.*)?') GROUP BY ALL),
		fs_low AS (SELECT k FROM (SELECT coalesce(m.mountpoint, '') AS k, min(m.value / t.total) AS low FROM m JOIN fs_total t ON t.k = coalesce(m.mountpoint, '')
			WHERE m.metric = 'node_filesystem_avail_bytes' AND t.total > 0 GROUP BY ALL) ORDER BY low, k LIMIT 4)
		SELECT `+bucketExpr("m.ts")+`, 'memory available' || CASE WHEN count(DISTINCT t.k) OVER () > 1 THEN ' ' || t.k ELSE '' END,
			100 * min(m.value) / max(t.total)
		FROM m JOIN mem_total t ON t.k = coalesce(m.instance, '') WHERE m.metric = 'node_memory_MemAvailable_bytes' AND t.total > 0 GROUP BY m.ts, t.k
		UNION ALL
		SELECT `+bucketExpr("m.ts")+`, 'disk available ' || t.k, 100 * min(m.value) / max(t.total)
		FROM m JOIN fs_total t ON t.k = coalesce(m.mountpoint, '') WHERE m.metric = 'node_filesystem_avail_bytes' AND t.total > 0
			AND t.k IN (SELECT k FROM fs_low) GROUP BY ALL`)
	if err != nil {
		return nil, err
	}
	ss = minPerBucket(ss)
	return &Chart{ID: "host", Title: "Host memory and disk available", YLabel: "% available", Percent: true,
		About:  "node_memory_MemAvailable_bytes against MemTotal, and node_filesystem_avail_bytes against the file system's size for the (at most four) fullest mount points, from Prometheus or free/df captures; the lowest value in each bucket.",
		Series: ss}, nil
}

// minPerBucket keeps the lowest value of a series at each time (a query
// grouping by sample time may return several per bucket).
func minPerBucket(ss []Series) []Series {
	for i := range ss {
		var out []Point
		for _, p := range ss[i].Points {
			if n := len(out); n > 0 && out[n-1].T.Equal(p.T) {
				if p.V < out[n-1].V {
					out[n-1].V = p.V
				}
				continue
			}
			out = append(out, p)
		}
		ss[i].Points = out
	}
	return ss
}

func dbChart(ctx context.Context, q Querier, cs *ChartSet, has map[string]bool) (*Chart, error) {
	var parts []string
	if has["pg_activity"] {
		parts = append(parts, `SELECT `+bucketExpr("snapshot_ts")+` AS b, 'connections' AS name, max(n) AS v FROM (
			SELECT snapshot_ts, count(*) AS n FROM pg_activity
			WHERE (backend_type IS NULL OR backend_type = 'client backend') AND snapshot_ts >= $2 AND snapshot_ts < $3 GROUP BY ALL) GROUP BY ALL`)
		parts = append(parts, `SELECT `+bucketExpr("snapshot_ts")+`, 'sessions waiting on a lock (pg_stat_activity)', max(n) FROM (
			SELECT snapshot_ts, count(*) FILTER (WHERE wait_event_type = 'Lock') AS n FROM pg_activity
			WHERE snapshot_ts >= $2 AND snapshot_ts < $3 GROUP BY ALL) GROUP BY ALL`)
	}
	if has["pg_locks"] {
		parts = append(parts, `SELECT `+bucketExpr("snapshot_ts")+`, 'backends waiting for a lock (pg_locks)', max(n) FROM (
			SELECT snapshot_ts, count(DISTINCT pid) FILTER (WHERE NOT granted) AS n FROM pg_locks
			WHERE snapshot_ts >= $2 AND snapshot_ts < $3 GROUP BY ALL) GROUP BY ALL`)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	ss, err := bucketed(ctx, q, cs, strings.Join(parts, " UNION ALL "))
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	if has["pg_settings"] {
		var maxConn sql.NullFloat64
		err := q.QueryRowContext(ctx, `SELECT max(TRY_CAST(setting AS DOUBLE)) FROM pg_settings WHERE name = 'max_connections'`).Scan(&maxConn)
		if err != nil {
			return nil, fmt.Errorf("charts: max_connections: %w", err)
		}
		if maxConn.Valid {
			ss = append(ss, constSeries("max_connections", maxConn.Float64, cs))
		}
	}
	return &Chart{ID: "database", Title: "Database connections and lock waiters", YLabel: "backends",
		About:  "Client backends per pg_stat_activity snapshot, sessions waiting on a lock (wait_event_type = Lock) and backends with an ungranted lock in pg_locks, the largest value in each bucket; the dashed line is max_connections.",
		Series: ss}, nil
}
