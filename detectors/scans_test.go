package detectors

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/ingest"
	"github.com/vidbench/forensics/query"
)

// The shared scans of the case are written for speed (a relaxed
// prefilter, a narrow window, health checks compressed); these tests hold
// them to the plain way of computing the same thing, on every fixture case
// and on rows made to hit the corners.

type storeAdapter struct{ *query.Writer }

func (s storeAdapter) BeginFile(ctx context.Context, src forensics.SourceFile) (ingest.FileTx, error) {
	return s.Writer.BeginFile(ctx, src)
}

// fixtureDB ingests fixtures/cases/<name> into a new case file and returns
// it open read-write (tests add rows of their own).
func fixtureDB(t testing.TB, name string) *sql.DB {
	t.Helper()
	ctx := context.Background()
	st, err := query.Open(ctx, filepath.Join(t.TempDir(), "case.duckdb"), query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wr, err := st.NewWriter(ctx, "test", "UTC", forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, storeAdapter{wr}, []string{filepath.Join("..", "fixtures", "cases", name)}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	return st.DB
}

func fixtureCases(t testing.TB) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join("..", "fixtures", "cases"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixture cases")
	}
	return out
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
}

// addLogs adds app-log records with these messages, one a minute from t0.
func addLogs(t *testing.T, db *sql.DB, t0 time.Time, level string, msgs ...string) {
	t.Helper()
	for i, m := range msgs {
		mustExec(t, db, `INSERT INTO logs (id, source_id, ts, service, level, message)
			VALUES ((SELECT coalesce(max(id), 0) + 1 FROM logs), 1, ?, 'vid-bench', ?, ?)`, t0.Add(time.Duration(i)*time.Minute), level, m)
	}
}

// cornerTexts match some patterns only through their counted repetitions,
// case folding, or characters outside ASCII.
var cornerTexts = []string{
	"Benchmark run 3f2a failed after 2 retries",
	"benchmark " + strings.Repeat("x", 79) + " failed",   // 80 between: a match
	"benchmark " + strings.Repeat("x", 81) + " failed",   // 81 between: the relaxed pattern only
	"CUDA " + strings.Repeat("é", 30) + " out of memory", // 60 bytes, 30 characters
	"RUN 7 TIMED OUT (model=svd-xt)",
	"Run 8 completed for model svd-xt in 12 s",
	"run 9 finished " + strings.Repeat("y", 130) + " model mochi-1", // too far apart
	"run 10 completed — Model ltx-video",
	"run 11 completed for \u212Aelvin-model",           // KELVIN SIGN folds to k
	"run 12 completed for model svd-xt\r\nsecond line", // a line break inside the record
	"process 4711 still waiting for ShareLock on transaction 9 after 1000.1 ms",
	"duration: 12345.6 ms  statement: SELECT 1",
	"Failed with result 'oom-kill'.",
	"plain line with nothing in it",
}

func TestClassifyMatchesEveryPattern(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range fixtureCases(t) {
		t.Run(name, func(t *testing.T) {
			db := fixtureDB(t, name)
			addLogs(t, db, t0, "INFO", cornerTexts...)
			c, err := NewCase(ctx, db, forensics.TimeRange{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.classify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// the plain way: every pattern on every record
			cols := make([]string, len(textPatterns))
			for i, p := range textPatterns {
				cols[i] = "regexp_matches(text, " + sqlString(p) + ")"
			}
			rows, err := db.QueryContext(ctx, `WITH txt AS (`+c.textSQL(ctx)+`) SELECT ref, [`+strings.Join(cols, ", ")+`] FROM txt`)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]uint64{}
			for rows.Next() {
				var ref string
				var flags []any
				if err := rows.Scan(&ref, &flags); err != nil {
					t.Fatal(err)
				}
				var f uint64
				for i, b := range flags {
					if b == true {
						f |= 1 << i
					}
				}
				if f != 0 {
					want[ref] = f
				}
			}
			rows.Close()
			have := map[string]uint64{}
			for _, r := range got {
				have[r.ev.Ref] = r.flags
			}
			if !reflect.DeepEqual(have, want) {
				for ref, f := range want {
					if have[ref] != f {
						t.Errorf("%s: flags %b, every pattern on its own gives %b", ref, have[ref], f)
					}
				}
				for ref, f := range have {
					if _, ok := want[ref]; !ok {
						t.Errorf("%s: flags %b, every pattern on its own gives none", ref, f)
					}
				}
			}
			if len(want) < len(cornerTexts)-3 {
				t.Errorf("only %d records matched: the corner texts did not go in", len(want))
			}
		})
	}
}

func TestCountRunsOKMatchesPattern(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range fixtureCases(t) {
		t.Run(name, func(t *testing.T) {
			db := fixtureDB(t, name)
			addLogs(t, db, t0, "INFO", cornerTexts...)
			c, err := NewCase(ctx, db, forensics.TimeRange{})
			if err != nil {
				t.Fatal(err)
			}
			// every completed run, the plain way
			rows, err := db.QueryContext(ctx, `WITH txt AS (`+c.textSQL(ctx)+`) SELECT ts, text FROM txt WHERE regexp_matches(text, `+sqlString(patRunOK)+`)`)
			if err != nil {
				t.Fatal(err)
			}
			type run struct {
				ts   time.Time
				text string
			}
			var runs []run
			models := map[string]bool{"svd-xt": true, "\u212Aelvin-model": true}
			for rows.Next() {
				var r run
				if err := rows.Scan(&r.ts, &r.text); err != nil {
					t.Fatal(err)
				}
				runs = append(runs, r)
				models[modelOf(r.text)] = true
			}
			rows.Close()
			lo, hi, err := c.Span(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ss []runStretch
			for m := range models {
				ss = append(ss, runStretch{Model: m, From: lo, To: t0.Add(time.Hour)}, runStretch{Model: m, From: lo.Add(hi.Sub(lo) / 2), To: hi})
			}
			sort.Slice(ss, func(i, j int) bool { return ss[i].Model+ss[i].From.String() < ss[j].Model+ss[j].From.String() })
			got, err := c.countRunsOK(ctx, ss)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range ss {
				want := 0
				for _, r := range runs {
					if !r.ts.Before(s.From) && !r.ts.After(s.To) && !strings.Contains(strings.ToLower(r.text), strings.ToLower(s.Model)) {
						want++
					}
				}
				if got[i] != want {
					t.Errorf("%s from %s to %s: %d completed runs of other models, want %d", s.Model, s.From, s.To, got[i], want)
				}
			}
		})
	}
}

func TestRelaxedPatternsAreWider(t *testing.T) {
	for _, tc := range []struct {
		pattern, text string
		exact, relax  bool
	}{
		{`a[^\n]{0,3}b`, "a123b", true, true},
		{`a[^\n]{0,3}b`, "a1234b", false, true},
		{`a[^\n]{0,3}b`, "a12\n3b", false, false},
		{`x{2,3}`, "xx", true, true},
		{`^x{2,3}$`, "xxxx", false, true},
		{`^x{2,3}$`, "x", false, false},
		{patRunFail, "Benchmark run 1 failed", true, true},
		{patRunFail, "benchmark " + strings.Repeat("x", 81) + " failed", false, true},
	} {
		rel, err := relaxed(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := regexp.MustCompile(tc.pattern).MatchString(tc.text); got != tc.exact {
			t.Errorf("%q on %q: %v, want %v", tc.pattern, tc.text, got, tc.exact)
		}
		if got := regexp.MustCompile(rel).MatchString(tc.text); got != tc.relax {
			t.Errorf("relaxed %q (%q) on %q: %v, want %v", tc.pattern, rel, tc.text, got, tc.relax)
		}
	}
	for _, p := range append(textPatterns, patRunOK) {
		rel, err := relaxed(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(rel, "{0,") && !strings.Contains(rel, "{0,}") {
			t.Errorf("%q still bounded: %q", p, rel)
		}
	}
}

func TestStatementDeltasMatchView(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, fixture string
		sparse        bool // the added rows leave plans, total_plan_time, temp_blks_written and stats_since out, as a focused capture does
	}{
		{"db-lock", "db-lock", false},
		{"quiet-day-1", "quiet-day-1", false},
		{"quiet-day-2", "quiet-day-2", false},
		{"a capture without some counters", "model-load", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := fixtureDB(t, tc.fixture)
			// corners: a reset, a changed stats_since, statements without a
			// queryid (one text, two users), a snapshot read from two files
			t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			type row struct {
				src   int
				min   int
				qid   any
				user  int
				query string
				calls int
				exec  float64
				since time.Time
			}
			since := t0.Add(-time.Hour)
			var rs []row
			for m := 0; m < 6; m++ {
				calls := 10 * (m + 1)
				if m >= 4 {
					calls = 5 * (m - 3) // reset after minute 3
				}
				rs = append(rs,
					row{src: 901, min: m, qid: int64(42), user: 10, query: "SELECT 42", calls: calls, exec: float64(calls) * 2.5, since: since},
					row{src: 901, min: m, qid: nil, user: 10, query: "VACUUM x", calls: m + 1, exec: float64(m+1) * 100, since: since},
					row{src: 901, min: m, qid: nil, user: 11, query: "VACUUM x", calls: 2 * (m + 1), exec: float64(m+1) * 300, since: since},
				)
				s := since
				if m >= 3 {
					s = since.Add(time.Hour) // statistics reset by stats_since
				}
				rs = append(rs, row{src: 901, min: m, qid: int64(43), user: 10, query: "SELECT 43", calls: 100 * (m + 1), exec: float64(m+1) * 50, since: s})
			}
			rs = append(rs, row{src: 902, min: 2, qid: int64(42), user: 10, query: "SELECT 42", calls: 30, exec: 75, since: since}) // the same snapshot, another file
			texts := map[string]int64{}
			for i, r := range rs {
				var plans, planTime, temp, since any = r.calls, float64(r.calls) * 0.1, 0, r.since
				if tc.sparse {
					plans, planTime, temp, since = nil, nil, nil, nil
				}
				// rows behind the pg_statements view, their text by id
				textID, ok := texts[r.query]
				if !ok {
					textID = int64(8_000_000 + len(texts))
					texts[r.query] = textID
					mustExec(t, db, `INSERT INTO pg_query_texts VALUES (?, ?, ?)`, textID, r.src, r.query)
				}
				mustExec(t, db, `INSERT INTO pg_statement_rows (id, source_id, snapshot_ts, queryid, userid, dbid, toplevel, query_text_id, calls, total_exec_time,
					"rows", plans, total_plan_time, shared_blks_hit, shared_blks_read, temp_blks_written, stats_since)
					VALUES (?, ?, ?, ?, ?, 5, true, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					int64(9_000_000+i), r.src, t0.Add(time.Duration(r.min)*time.Minute), r.qid, r.user, textID, r.calls, r.exec,
					r.calls*3, plans, planTime, r.calls*7, r.calls, temp, since)
			}
			read := func(q string) []string {
				rows, err := db.QueryContext(ctx, q)
				if err != nil {
					t.Fatalf("%v\n%s", err, q)
				}
				defer rows.Close()
				var out []string
				for rows.Next() {
					var id int64
					var qid any
					var from, to time.Time
					var calls sql.NullInt64
					var mean sql.NullFloat64
					if err := rows.Scan(&id, &qid, &from, &to, &calls, &mean); err != nil {
						t.Fatal(err)
					}
					m := "NULL"
					if mean.Valid {
						m = fmt.Sprintf("%.9g", mean.Float64)
					}
					out = append(out, fmt.Sprintf("%d %v %s %s %v %s", id, qid, from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano), calls, m))
				}
				sort.Strings(out)
				return out
			}
			c, err := NewCase(ctx, db, forensics.TimeRange{})
			if err != nil {
				t.Fatal(err)
			}
			deltas, err := statementDeltasSQL(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			got := read(`SELECT id, queryid, interval_start, interval_end, calls, mean_exec_time_ms FROM (` + deltas + `)`)
			want := read(`SELECT CAST(split_part(ref, ':', 2) AS BIGINT), queryid, interval_start, interval_end, calls, mean_exec_time_ms FROM pg_statement_deltas`)
			if len(want) < 20 {
				t.Fatalf("only %d intervals in the view", len(want))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%d intervals, the view has %d", len(got), len(want))
				n := 0
				for i := 0; i < len(got) && i < len(want) && n < 10; i++ {
					if got[i] != want[i] {
						t.Errorf("got  %s\nwant %s", got[i], want[i])
						n++
					}
				}
			}
		})
	}
}

func TestHealthChecksKeepRuns(t *testing.T) {
	ctx := context.Background()
	db := fixtureDB(t, "outage-disk-full")
	compact, err := NewCase(ctx, db, forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := NewCase(ctx, db, forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	// every check, the plain way
	var all []healthCheck
	rows, err := db.QueryContext(ctx, `SELECT ts, status >= 500 FROM http_requests WHERE dup_of IS NULL AND `+healthSQL+` ORDER BY ts, id`)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for rows.Next() {
		var h healthCheck
		if err := rows.Scan(&h.ts, &h.failed); err != nil {
			t.Fatal(err)
		}
		h.ts = h.ts.UTC()
		all = append(all, h)
		if h.failed {
			failed++
		}
	}
	rows.Close()
	if failed < 3 || len(all) < 100 {
		t.Fatalf("the fixture has %d checks, %d failed: not a test of runs", len(all), failed)
	}
	if _, err := full.health.get(func() ([]healthCheck, error) { return all, nil }); err != nil {
		t.Fatal(err)
	}
	kept, err := compact.healthChecks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) >= len(all) {
		t.Errorf("%d checks kept of %d", len(kept), len(all))
	}
	lo, hi, err := compact.Span(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for from := lo.Truncate(time.Minute); from.Before(hi); from = from.Add(7 * time.Minute) {
		for _, d := range []time.Duration{time.Minute, 5 * time.Minute, 20 * time.Minute, 2 * time.Hour} {
			a, err := compact.Impact(ctx, from, from.Add(d))
			if err != nil {
				t.Fatal(err)
			}
			b, err := full.Impact(ctx, from, from.Add(d))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s + %s: %+v, from every check %+v", from, d, a, b)
			}
		}
	}
	a, err := ServiceUnavailable{}.Detect(ctx, compact)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ServiceUnavailable{}.Detect(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Errorf("service_unavailable: %d findings, from every check %d (or they differ)", len(a), len(b))
	}
}

func TestLagCorrelation(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	minutes := func(n int, p95 func(i int) float64) []HTTPMinute {
		ms := make([]HTTPMinute, n)
		for i := range ms {
			ms[i] = HTTPMinute{Minute: t0.Add(time.Duration(i) * time.Minute), Total: 10, P95: p95(i)}
		}
		return ms
	}
	step := func(from, to int) func(int) float64 {
		return func(i int) float64 {
			if i >= from && i < to {
				return 5
			}
			return 0.1
		}
	}
	sig := func(from, to int) []sigPoint {
		var out []sigPoint
		for i := from; i < to; i++ {
			out = append(out, sigPoint{t0.Add(time.Duration(i)*time.Minute + 20*time.Second), 3}, sigPoint{t0.Add(time.Duration(i)*time.Minute + 40*time.Second), 1})
		}
		return out
	}
	p95 := func(m HTTPMinute) (float64, bool) { return m.P95, !math.IsNaN(m.P95) }
	for _, tc := range []struct {
		name     string
		ms       []HTTPMinute
		sig      []sigPoint
		ok       bool
		minR     float64
		lag      int
		from, to int
	}{
		{"latency with the problem", minutes(120, step(40, 55)), sig(40, 55), true, 0.9, 0, 40, 55},
		{"latency two minutes later", minutes(120, step(42, 57)), sig(40, 55), true, 0.9, 120, 40, 55},
		{"latency a minute before", minutes(120, step(39, 54)), sig(40, 55), true, 0.9, -60, 40, 55},
		{"flat latency", minutes(120, func(int) float64 { return 0.1 }), sig(40, 55), false, 0, 0, 40, 55},
		{"no problem points", minutes(120, step(40, 55)), nil, false, 0, 0, 40, 55},
		{"too few minutes", minutes(3, step(1, 2)), sig(1, 2), false, 0, 0, 1, 2},
		{"latency elsewhere", minutes(120, step(72, 82)), sig(40, 55), true, -1, 0, 40, 55},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, lag, ok := lagCorrelation(tc.ms, tc.sig, t0.Add(time.Duration(tc.from)*time.Minute), t0.Add(time.Duration(tc.to)*time.Minute), p95)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v (r %v, lag %d)", ok, tc.ok, r, lag)
			}
			if !ok {
				return
			}
			if r < tc.minR {
				t.Errorf("r %v, want >= %v", r, tc.minR)
			}
			if tc.minR > 0 && lag != tc.lag {
				t.Errorf("lag %d s, want %d", lag, tc.lag)
			}
			if tc.minR < 0 && r > 0.2 {
				t.Errorf("r %v for latency that did not move with the problem", r)
			}
		})
	}
}
