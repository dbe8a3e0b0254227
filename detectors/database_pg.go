package detectors

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// The database detector's findings from PostgreSQL statistics snapshots,
// when the case has them (pg_blocking, pg_statement_deltas, pg_activity
// with pg_settings). See Database for the text-based findings; where both
// see the same lock contention, the snapshot-based finding is kept and the
// server-log lines join its evidence.

// blockerFindings follows blocking chains to their root blockers: a pid
// that holds locks others wait for and is not itself waiting in the same
// snapshot. One finding per root blocker: how long it held the lock (its
// transaction start to the last snapshot it blocked in), its query, and how
// many sessions waited.
func blockerFindings(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	if !c.Has(ctx, "pg_blocking") {
		return nil, nil
	}
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `
WITH b AS (SELECT * FROM pg_blocking WHERE snapshot_ts >= ? AND snapshot_ts < ?),
roots AS (SELECT * FROM b WHERE NOT EXISTS (
            SELECT 1 FROM b w WHERE w.snapshot_ts = b.snapshot_ts AND w.waiting_pid = b.blocking_pid))
SELECT blocking_pid,
       min(coalesce(waiting_since, snapshot_ts)) AS first_wait,
       max(snapshot_ts) AS last_seen,
       min(blocking_xact_start) AS held_since,
       count(DISTINCT waiting_pid) AS waiters,
       max(n) AS max_waiting,
       arg_max(blocking_query, snapshot_ts) AS query,
       arg_min(blocker_ref, snapshot_ts) AS blocker_ref,
       arg_min(ref, snapshot_ts) AS first_ref, arg_max(ref, snapshot_ts) AS last_ref,
       arg_min(waiting_query, snapshot_ts) AS waiting_query
FROM (SELECT *, count(*) OVER (PARTITION BY snapshot_ts, blocking_pid) AS n FROM roots)
GROUP BY blocking_pid ORDER BY first_wait`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("blocking chains: %w", err)
	}
	type blocker struct {
		pid                     int64
		firstWait, last, held   time.Time
		waiters, maxWaiting     int64
		query, bref, fref, lref string
		waitingQuery            string
	}
	var bs []blocker
	for rows.Next() {
		var b blocker
		var held *time.Time
		if err := rows.Scan(&b.pid, &b.firstWait, &b.last, &held, &b.waiters, &b.maxWaiting, &b.query, &b.bref, &b.fref, &b.lref, &b.waitingQuery); err != nil {
			rows.Close()
			return nil, err
		}
		if held != nil {
			b.held = held.UTC()
		}
		b.firstWait, b.last = b.firstWait.UTC(), b.last.UTC()
		bs = append(bs, b)
	}
	rows.Close()
	waits, err := waitersPerSnapshot(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []forensics.Finding
	for _, b := range bs {
		// the lock wait ends where the server log shows it (a terminated
		// blocker, the last waiting line), at the earliest the last snapshot
		end := b.last
		if locks, err := c.matches(ctx, patLockWait); err == nil {
			for _, e := range between(locks, b.firstWait, b.last.Add(15*time.Minute)) {
				if e.TS.After(end) {
					end = e.TS
				}
			}
		}
		f := forensics.Finding{Kind: forensics.KindLockContention, Start: b.firstWait, End: end, Confidence: 0.9,
			Services: []string{"postgres"}, Details: map[string]any{
				"root_blocker_pid": b.pid, "blocking_query": b.query, "waiters": b.waiters, "max_waiting_at_once": b.maxWaiting}}
		held := ""
		if !b.held.IsZero() {
			f.Details["held_since"] = b.held
			held = fmt.Sprintf(", holding its transaction since %s (%s)", b.held.Format("15:04:05"), b.last.Sub(b.held).Round(time.Second))
		}
		f.Title = fmt.Sprintf("Lock contention: pid %d blocked %d sessions (up to %d at once)%s", b.pid, b.waiters, b.maxWaiting, held)
		f.RootCause = fmt.Sprintf("pid %d held locks that other sessions waited for: %s", b.pid, oneLine(b.query, 160))
		f.Evidence = []forensics.Evidence{
			{TS: b.firstWait, Source: "pg_locks", Ref: b.fref, Text: "first waiter: " + oneLine(b.waitingQuery, 140), Link: "first_waiter"},
			{TS: b.firstWait, Source: "pg_locks", Ref: b.bref, Text: fmt.Sprintf("root blocker pid %d: %s", b.pid, oneLine(b.query, 140)), Link: "root_blocker"},
		}
		if b.lref != b.fref {
			f.Evidence = append(f.Evidence, forensics.Evidence{TS: b.last, Source: "pg_locks", Ref: b.lref, Text: "still blocked at the last snapshot", Link: "last_waiter"})
		}
		// the server log sees the first wait before the first snapshot does
		from := b.firstWait.Add(-time.Minute)
		if !b.held.IsZero() && b.held.Before(from) {
			from = b.held
		}
		if locks, err := c.matches(ctx, patLockWait); err == nil {
			if l := between(locks, from, end); len(l) > 0 {
				f.Evidence = append(f.Evidence, withLink(l[:1], "first_lock_wait_logged")...)
				if l[0].TS.Before(f.Start) {
					f.Start = l[0].TS
				}
			}
		}
		if tos, err := c.matches(ctx, patStmtTO); err == nil {
			if l := between(tos, from, end); len(l) > 0 {
				f.Evidence = append(f.Evidence, withLink(l[:1], "first_statement_timeout")...)
				f.Details["statement_timeouts"] = len(l)
			}
		}
		sortEvidence(f.Evidence)
		im, err := c.Impact(ctx, f.Start, f.End.Add(time.Minute))
		if err != nil {
			return nil, err
		}
		f.Severity = im.Severity
		f.Details["impact"] = im.Reason
		// the problem per minute: sessions waiting on this blocker in each
		// snapshot, and the lock waits the server logged meanwhile
		sig := waits[b.pid]
		if locks, err := c.matches(ctx, patLockWait); err == nil {
			sig = append(sig, recordSignal(between(locks, from, end))...)
		}
		if err := correlateLatency(ctx, c, &f, sig); err != nil {
			return nil, err
		}
		f.EvidenceSQL = fmt.Sprintf(`SELECT snapshot_ts, waiting_pid, blocking_pid, lock_target, waiting_s, waiting_query, blocking_query, ref, blocker_ref
FROM pg_blocking WHERE blocking_pid = %d AND snapshot_ts >= %s AND snapshot_ts <= %s ORDER BY snapshot_ts, waiting_pid`, b.pid, sqlTime(b.firstWait.Add(-time.Minute)), sqlTime(b.last))
		out = append(out, f)
	}
	return out, nil
}

// waitersPerSnapshot returns, per root blocker pid, how many sessions
// waited on it in each pg_locks snapshot.
func waitersPerSnapshot(ctx context.Context, c *Case) (map[int64][]sigPoint, error) {
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `
WITH b AS (SELECT * FROM pg_blocking WHERE snapshot_ts >= ? AND snapshot_ts < ?),
roots AS (SELECT * FROM b WHERE NOT EXISTS (
            SELECT 1 FROM b w WHERE w.snapshot_ts = b.snapshot_ts AND w.waiting_pid = b.blocking_pid))
SELECT blocking_pid, snapshot_ts, count(DISTINCT waiting_pid) FROM roots
WHERE blocking_pid IS NOT NULL GROUP BY ALL ORDER BY 1, 2`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("waiters per snapshot: %w", err)
	}
	defer rows.Close()
	out := map[int64][]sigPoint{}
	for rows.Next() {
		var pid int64
		var p sigPoint
		if err := rows.Scan(&pid, &p.t, &p.v); err != nil {
			return nil, fmt.Errorf("waiters per snapshot: %w", err)
		}
		out[pid] = append(out[pid], p)
	}
	return out, rows.Err()
}

// slowStatementFindings finds queries whose mean time in an interval rose
// far above their own baseline (5x the median of their intervals and at
// least 100 ms more), ranked by the extra time they cost (calls x excess).
// Intervals of one query less than 10 minutes apart form one finding.
func slowStatementFindings(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	if !c.Has(ctx, "pg_statement_deltas") {
		return nil, nil
	}
	deltas, err := statementDeltasSQL(ctx, c)
	if err != nil {
		return nil, err
	}
	lo, hi := c.bounds()
	rows, err := c.DB.QueryContext(ctx, `
WITH d AS (SELECT * FROM (`+deltas+`) WHERE calls > 0 AND interval_end >= ? AND interval_start < ?),
base AS (SELECT queryid, median(mean_exec_time_ms) AS base_ms, count(*) AS n FROM d GROUP BY queryid)
SELECT d.queryid, d.interval_start, d.interval_end, d.calls, d.mean_exec_time_ms, base.base_ms,
       d.calls * (d.mean_exec_time_ms - base.base_ms) AS extra_ms, d.id
FROM d JOIN base USING (queryid)
WHERE base.n >= 3 AND d.mean_exec_time_ms >= 5 * base.base_ms AND d.mean_exec_time_ms - base.base_ms >= 100
ORDER BY d.queryid, d.interval_start, d.id`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("statement deltas: %w", err)
	}
	type iv struct {
		qid               string
		from, to          time.Time
		calls             int64
		mean, base, extra float64
		id                int64
		query, ref        string
	}
	var ivs []iv
	for rows.Next() {
		var x iv
		var qid any
		if err := rows.Scan(&qid, &x.from, &x.to, &x.calls, &x.mean, &x.base, &x.extra, &x.id); err != nil {
			rows.Close()
			return nil, err
		}
		x.qid = fmt.Sprint(qid)
		x.from, x.to = x.from.UTC(), x.to.UTC()
		x.ref = fmt.Sprintf("pg_statements:%d", x.id)
		ivs = append(ivs, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("statement deltas: %w", err)
	}
	// the query texts of those intervals only
	if len(ivs) > 0 {
		ids := make([]string, len(ivs))
		for i, x := range ivs {
			ids[i] = fmt.Sprint(x.id)
		}
		texts := map[int64]string{}
		rows, err := c.DB.QueryContext(ctx, `SELECT id, coalesce(query, '') FROM pg_statements WHERE id IN (`+strings.Join(ids, ",")+`)`)
		if err != nil {
			return nil, fmt.Errorf("statement texts: %w", err)
		}
		for rows.Next() {
			var id int64
			var q string
			if err := rows.Scan(&id, &q); err != nil {
				rows.Close()
				return nil, err
			}
			texts[id] = q
		}
		rows.Close()
		for i := range ivs {
			ivs[i].query = texts[ivs[i].id]
		}
	}
	var out []forensics.Finding
	for i := 0; i < len(ivs); {
		j := i
		extra, peak := 0.0, ivs[i]
		for j < len(ivs) && ivs[j].qid == ivs[i].qid && (j == i || ivs[j].from.Sub(ivs[j-1].to) < 10*time.Minute) {
			extra += ivs[j].extra
			if ivs[j].mean > peak.mean {
				peak = ivs[j]
			}
			j++
		}
		first, last := ivs[i], ivs[j-1]
		f := forensics.Finding{Kind: forensics.KindSlowQuery, Start: first.from, End: last.to, Confidence: 0.7, Services: []string{"postgres"},
			Details: map[string]any{"queryid": first.qid, "extra_time_s": extra / 1000, "peak_mean_ms": peak.mean, "baseline_mean_ms": peak.base}}
		f.Title = fmt.Sprintf("Slow query: mean %.0f ms against a baseline of %.0f ms, %.1f s extra in all: %s", peak.mean, peak.base, extra/1000, oneLine(first.query, 80))
		f.RootCause = "a query ran far slower than its own baseline: " + oneLine(first.query, 160)
		f.Evidence = []forensics.Evidence{{TS: peak.from, Source: "pg_statements", Ref: peak.ref,
			Text: fmt.Sprintf("%d calls, mean %.0f ms (baseline %.0f ms): %s", peak.calls, peak.mean, peak.base, oneLine(peak.query, 120)), Link: "peak_interval"}}
		im, err := c.Impact(ctx, f.Start, f.End)
		if err != nil {
			return nil, err
		}
		f.Severity = im.Severity
		f.Details["impact"] = im.Reason
		var sig []sigPoint
		for _, x := range ivs[i:j] {
			sig = append(sig, sigPoint{x.to, x.extra})
		}
		if err := correlateLatency(ctx, c, &f, sig); err != nil {
			return nil, err
		}
		// a slow query that did not move API latency or errors is minor
		if r, ok := f.Details["api_latency_ratio"].(float64); ok && r < 2 && im.Fails < 3 {
			f.Severity = forensics.P3
		} else if err := slowQueryRise(ctx, c, &f, first.qid, first.query, first.to); err != nil {
			return nil, err
		}
		f.EvidenceSQL = fmt.Sprintf(`SELECT interval_start, interval_end, calls, mean_exec_time_ms, exec_time_ms, query, ref FROM pg_statement_deltas
WHERE queryid = %s ORDER BY interval_start`, sqlString(first.qid))
		out = append(out, f)
		i = j
	}
	return out, nil
}

// connectionFindings compares connections per snapshot with max_connections.
func connectionFindings(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	if !c.Has(ctx, "pg_activity") || !c.Has(ctx, "pg_settings") {
		return nil, nil
	}
	var maxConn float64
	if err := c.DB.QueryRowContext(ctx, `SELECT coalesce(max(TRY_CAST(setting AS DOUBLE)), 0) FROM pg_settings WHERE name = 'max_connections'`).Scan(&maxConn); err != nil || maxConn <= 0 {
		return nil, nil
	}
	rows, err := c.DB.QueryContext(ctx, `SELECT snapshot_ts, count(*) AS n, arg_min('pg_activity:' || id, id) FROM pg_activity
		WHERE backend_type IS NULL OR backend_type = 'client backend' GROUP BY snapshot_ts HAVING count(*) >= ? ORDER BY 1`, math.Ceil(0.9*maxConn))
	if err != nil {
		return nil, fmt.Errorf("connections: %w", err)
	}
	var ev []forensics.Evidence
	conns := map[time.Time]float64{}
	for rows.Next() {
		var e forensics.Evidence
		var n int64
		if err := rows.Scan(&e.TS, &n, &e.Ref); err != nil {
			rows.Close()
			return nil, err
		}
		e.TS = e.TS.UTC()
		conns[e.TS] = float64(n)
		e.Source, e.Link = "pg_activity", "near_max_connections"
		e.Text = fmt.Sprintf("%d connections of max_connections %.0f", n, maxConn)
		ev = append(ev, e)
	}
	rows.Close()
	var out []forensics.Finding
	for _, cl := range clusters(ev, 10*time.Minute) {
		f := forensics.Finding{Kind: forensics.KindConnectionExhaustion, Start: cl[0].TS, End: cl[len(cl)-1].TS, Confidence: 0.8,
			Services: []string{"postgres"}, Evidence: cl, Details: map[string]any{"max_connections": maxConn}}
		if len(f.Evidence) > 5 {
			f.Evidence = f.Evidence[:5]
		}
		im, err := c.Impact(ctx, f.Start, f.End.Add(time.Minute))
		if err != nil {
			return nil, err
		}
		f.Severity = im.Severity
		f.Details["impact"] = im.Reason
		sig := make([]sigPoint, len(cl))
		for i, e := range cl {
			sig[i] = sigPoint{e.TS, conns[e.TS]}
		}
		if err := correlateLatency(ctx, c, &f, sig); err != nil {
			return nil, err
		}
		if err := leakOnset(ctx, c, &f); err != nil {
			return nil, err
		}
		f.Title = fmt.Sprintf("Connections near max_connections (%.0f) in %d snapshots", maxConn, len(cl))
		f.RootCause = "the database ran out of connection slots"
		f.EvidenceSQL = fmt.Sprintf(`SELECT snapshot_ts, count(*) FROM pg_activity GROUP BY 1 HAVING count(*) >= %.0f ORDER BY 1`, math.Ceil(0.9*maxConn))
		out = append(out, f)
	}
	return out, nil
}

// statementDeltasSQL is the pg_statement_deltas view (migration 004) cut
// down to what slowStatementFindings needs: per statement and interval
// between consecutive snapshots, the later row's id, the calls and the
// mean execution time, with the view's rules (a counter going down or a
// changed stats_since is a reset: the interval counts from zero; the copy
// of a snapshot read twice has no interval). The view partitions by a key
// that holds the query text where queryid is missing, which makes its
// window pass carry the text of every row and take about twice the time
// and memory; rows with and without a queryid fall in different partitions
// anyway, so they are windowed apart here. And a counter the capture does
// not have (NULL in every row: a focused SELECT of pg_stat_statements)
// can never go down, so it is left out of the reset test (the lag of each
// costs about 0.015 CPU-s per 100,000 rows). TestStatementDeltasMatchView
// checks the rows against the view.
func statementDeltasSQL(ctx context.Context, c *Case) (string, error) {
	counters := []string{"calls", "total_exec_time", `"rows"`, "plans", "total_plan_time", "shared_blks_hit", "shared_blks_read", "temp_blks_written", "stats_since"}
	counts := make([]string, len(counters))
	for i, col := range counters {
		counts[i] = "count(" + col + ")"
	}
	n := make([]int64, len(counters))
	dest := make([]any, len(counters))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := c.DB.QueryRowContext(ctx, `SELECT `+strings.Join(counts, ", ")+` FROM pg_statements`).Scan(dest...); err != nil {
		return "", fmt.Errorf("statement counters: %w", err)
	}
	reset := func(w string) string {
		var terms []string
		for i, col := range counters {
			if n[i] == 0 {
				continue
			}
			op := " < "
			if col == "stats_since" {
				op = " <> "
			}
			terms = append(terms, "coalesce("+col+op+"lag("+col+") OVER "+w+", false)")
		}
		if len(terms) == 0 {
			return "false"
		}
		return strings.Join(terms, "\n             OR ")
	}
	return `WITH w AS (
    SELECT id, snapshot_ts, queryid, calls, total_exec_time,
           lag(snapshot_ts) OVER q AS prev_ts, lag(calls) OVER q AS prev_calls, lag(total_exec_time) OVER q AS prev_exec,
           ` + reset("q") + ` AS reset
    FROM pg_statements WHERE snapshot_ts IS NOT NULL AND queryid IS NOT NULL
    WINDOW q AS (PARTITION BY queryid, userid, dbid, toplevel ORDER BY snapshot_ts, id)
    UNION ALL
    SELECT id, snapshot_ts, queryid, calls, total_exec_time,
           lag(snapshot_ts) OVER r, lag(calls) OVER r, lag(total_exec_time) OVER r,
           ` + reset("r") + `
    FROM pg_statements WHERE snapshot_ts IS NOT NULL AND queryid IS NULL
    WINDOW r AS (PARTITION BY query, userid, dbid, toplevel ORDER BY snapshot_ts, id)
)
SELECT id, queryid, prev_ts AS interval_start, snapshot_ts AS interval_end,
       CASE WHEN reset THEN calls ELSE greatest(calls - prev_calls, 0) END AS calls,
       CASE WHEN reset THEN total_exec_time / nullif(calls, 0)
            ELSE greatest(total_exec_time - prev_exec, 0) / nullif(calls - prev_calls, 0) END AS mean_exec_time_ms
FROM w WHERE prev_ts < snapshot_ts`, nil
}

// slowQueryRise moves a slow query's start from the snapshot that first
// shows it to when the query actually got slow. A pg_stat_statements
// delta only says the query was slow somewhere in its interval (and a
// query seen for the first time, a new queryid, somewhere since the
// snapshot before); the rise is the first slow-statement log line or the
// first slow API request (of the first minute whose p95 is 5 x its
// baseline or more, at least 250 ms) in that stretch, bounded by the
// previous snapshot.
func slowQueryRise(ctx context.Context, c *Case, f *forensics.Finding, qid, query string, firstTo time.Time) error {
	bound := f.Start
	var seen int64
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_statements WHERE CAST(queryid AS VARCHAR) = ? AND snapshot_ts < ?`, qid, f.Start).Scan(&seen); err != nil {
		return fmt.Errorf("slow query rise: %w", err)
	}
	if seen == 0 {
		var prev sql.NullTime
		if err := c.DB.QueryRowContext(ctx, `SELECT max(snapshot_ts) FROM pg_statements WHERE snapshot_ts < ?`, f.Start).Scan(&prev); err != nil {
			return fmt.Errorf("slow query rise: %w", err)
		}
		if prev.Valid {
			bound = prev.Time.UTC()
		}
	}
	rise := f.Start
	var riseEv *forensics.Evidence
	// the query's own slow-statement log lines
	if recs, err := c.matches(ctx, patSlowStmt); err == nil {
		// of this query only (the log shows it with its parameters)
		if head := statementHead(query); head != "" {
			for _, e := range between(recs, bound, firstTo) {
				if strings.Contains(squash(e.Text), head) {
					if e.TS.Before(rise) {
						rise, riseEv = e.TS, &e
					}
					break
				}
			}
		}
	} else {
		return err
	}
	// the API's latency
	base, _ := f.Details["api_p95_baseline_s"].(float64)
	if base > 0 && c.Has(ctx, "http_requests") {
		thr := math.Max(5*base, 0.25)
		ms, err := c.HTTP(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Minute.Add(time.Minute).Before(bound) || m.Minute.After(firstTo) {
				continue
			}
			if math.IsNaN(m.P95) || m.P95 < thr {
				continue
			}
			var t sql.NullTime
			var ref, text sql.NullString
			err := c.DB.QueryRowContext(ctx, `SELECT ts - to_microseconds(CAST(response_time_s * 1000000 AS BIGINT)), 'http_requests:' || id,
				method || ' ' || path || ' → ' || status || ' in ' || response_time_s || ' s'
				FROM http_requests WHERE dup_of IS NULL AND ts >= ? AND ts < ? AND response_time_s >= ? AND NOT `+healthSQL+`
				ORDER BY 1 LIMIT 1`, m.Minute, m.Minute.Add(time.Minute), thr).Scan(&t, &ref, &text)
			if err == nil && t.Valid {
				ts := t.Time.UTC()
				if ts.Before(bound) {
					ts = bound
				}
				if ts.Before(rise) {
					rise = ts
					riseEv = &forensics.Evidence{TS: ts, Source: "http_requests", Ref: ref.String, Text: "first slow request: " + text.String}
				}
			}
			break
		}
	}
	if riseEv != nil && rise.Before(f.Start) {
		f.Details["snapshot_start"] = f.Start
		f.Start = rise
		e := *riseEv
		e.Link = "rise"
		f.Evidence = append([]forensics.Evidence{e}, f.Evidence...)
	}
	return nil
}

// squash lower-cases a statement and collapses its white space.
func squash(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// statementHead is the start of a normalized statement up to its first
// parameter or literal ($1, a quote, a number), at least 24 characters,
// to find the statement in the server log; "" when too short to tell.
func statementHead(q string) string {
	q = squash(q)
	if i := strings.IndexAny(q, "$'0123456789"); i >= 0 {
		q = q[:i]
	}
	if len(q) > 60 {
		q = q[:60]
	}
	if len(q) < 24 {
		return ""
	}
	return q
}

// leakOnset moves the start of a connection exhaustion back to where the
// pg_stat_activity snapshots show it began, when they show a leak: one
// application (name and client address) holding 10 or more sessions idle
// in transaction in the first snapshot at or after the exhaustion began,
// where the snapshots of the two hours before had at most a quarter as
// many. Those transactions never end, so the oldest one's xact_start is
// when the leak began: the first errors come only once the slots run out.
func leakOnset(ctx context.Context, c *Case, f *forensics.Finding) error {
	if !c.Has(ctx, "pg_activity") {
		return nil
	}
	var app, client sql.NullString
	var n int64
	var onset sql.NullTime
	var ref string
	var snap time.Time
	err := c.DB.QueryRowContext(ctx, `
WITH s AS (SELECT min(snapshot_ts) AS ts FROM pg_activity WHERE snapshot_ts >= ? AND snapshot_ts <= ?),
g AS (SELECT application_name AS app, client_addr AS client, count(*) AS n, min(xact_start) AS onset,
             arg_min('pg_activity:' || id, xact_start) AS ref, any_value(a.snapshot_ts) AS snap
      FROM pg_activity a, s WHERE a.snapshot_ts = s.ts AND state LIKE 'idle in transaction%' AND xact_start IS NOT NULL
      GROUP BY ALL HAVING count(*) >= 10)
SELECT app, client, n, onset, ref, snap FROM g ORDER BY n DESC, onset LIMIT 1`,
		f.Start.Add(-2*time.Minute), f.End.Add(10*time.Minute)).Scan(&app, &client, &n, &onset, &ref, &snap)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !onset.Valid) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("connection leak onset: %w", err)
	}
	on := onset.Time.UTC()
	if !on.Before(f.Start) || f.Start.Sub(on) > 2*time.Hour {
		return nil
	}
	// the same application's idle-in-transaction sessions before: a leak
	// climbs from its baseline, a long-standing pool does not
	var before int64
	if err := c.DB.QueryRowContext(ctx, `SELECT coalesce(min(k), 0) FROM (
		SELECT snapshot_ts, count(*) FILTER (WHERE state LIKE 'idle in transaction%' AND application_name IS NOT DISTINCT FROM ? AND client_addr IS NOT DISTINCT FROM ?) AS k
		FROM pg_activity WHERE snapshot_ts >= ? AND snapshot_ts < ? GROUP BY snapshot_ts)`,
		app, client, on.Add(-2*time.Hour), snap).Scan(&before); err != nil {
		return fmt.Errorf("connection leak baseline: %w", err)
	}
	if 4*before > n {
		return nil
	}
	who := app.String
	if who == "" {
		who = "an application"
	}
	if client.Valid && client.String != "" {
		who += " (" + client.String + ")"
	}
	f.Details["leak_application"] = app.String
	f.Details["leak_client"] = client.String
	f.Details["leak_sessions"] = n
	f.Details["leak_onset"] = on
	f.Details["first_error"] = f.Start
	f.Evidence = append([]forensics.Evidence{{TS: on, Source: "pg_activity", Ref: ref, Link: "leak_onset",
		Text: fmt.Sprintf("%s: %d sessions idle in transaction at %s, the oldest since %s", who, n, snap.UTC().Format("15:04:05"), on.Format("15:04:05"))}}, f.Evidence...)
	f.Start = on
	f.RootCause = fmt.Sprintf("%s left transactions open (idle in transaction) until the database ran out of connection slots", who)
	return nil
}
