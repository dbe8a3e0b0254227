package query

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/vidbench/forensics"
)

// TestPGTablesMatchMigration checks that the snapshot tables the writer
// fills (built from forensics.PGViews) and the tables migration 004
// creates have the same columns, in the same order, of matching types.
func TestPGTablesMatchMigration(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	duck := func(dt arrow.DataType) string {
		switch dt.ID() {
		case arrow.INT64:
			return "BIGINT"
		case arrow.INT32:
			return "INTEGER"
		case arrow.FLOAT64:
			return "DOUBLE"
		case arrow.BOOL:
			return "BOOLEAN"
		case arrow.TIMESTAMP:
			return "TIMESTAMP WITH TIME ZONE"
		}
		return "VARCHAR"
	}
	for _, tab := range []Table{pgActivityTable(), pgStatementsTable(), pgLocksTable(), pgSettingsTable(), pgSnapshotsTable()} {
		t.Run(tab.Name, func(t *testing.T) {
			rows, err := st.DB.QueryContext(ctx, `SELECT c.column_name, c.data_type, coalesce(d.description, c.comment, '') FROM duckdb_columns() c LEFT JOIN column_docs d USING (table_name, column_name) WHERE c.schema_name = 'main' AND c.table_name = ? ORDER BY c.column_index`, tab.Name)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var name, typ, comment string
				if err := rows.Scan(&name, &typ, &comment); err != nil {
					t.Fatal(err)
				}
				if comment == "" {
					t.Errorf("column %s.%s has no description (COMMENT ON COLUMN in the migration)", tab.Name, name)
				}
				got = append(got, name+" "+typ)
			}
			var want []string
			for _, f := range tab.Schema.Fields() {
				want = append(want, f.Name+" "+duck(f.Type))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("migration and writer disagree:\nmigration:\n%s\nwriter:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// pgRow builds a snapshot row from column values by name.
func pgRow(t *testing.T, view string, ts time.Time, no int, vals map[string]any) *forensics.PGRow {
	t.Helper()
	spec := forensics.PGViews()
	var cols []forensics.PGColumn
	for _, v := range spec {
		if v.View == view {
			cols = v.Columns
		}
	}
	row := &forensics.PGRow{View: view, SnapshotTS: ts, TSSource: "column", SnapshotNo: no, Form: "csv", Lines: 1, Vals: make([]forensics.PGValue, len(cols))}
	for name, x := range vals {
		found := false
		for i, c := range cols {
			if c.Name != name {
				continue
			}
			found = true
			v := &row.Vals[i]
			v.OK = true
			switch y := x.(type) {
			case int:
				v.N = int64(y)
			case float64:
				v.F = y
			case bool:
				if y {
					v.N = 1
				}
			case time.Time:
				v.N = y.UnixMicro()
			case string:
				v.S = y
			}
		}
		if !found {
			t.Fatalf("%s has no column %s", view, name)
		}
	}
	return row
}

// writePG stores rows as one source file.
func writePG(t *testing.T, w *Writer, path string, recs ...forensics.Record) {
	t.Helper()
	ctx := context.Background()
	tx, err := w.BeginFile(ctx, forensics.SourceFile{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := tx.Emit(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(forensics.SourceFile{Kind: "pg-csv", Path: path}, forensics.Pass{Rows: int64(len(recs))}); err != nil {
		t.Fatal(err)
	}
}

func TestPGViews(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.NewWriter(ctx, "test", "UTC", forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	T := time.Date(2026, 11, 20, 14, 5, 0, 0, time.UTC)
	sec := func(n int) time.Time { return T.Add(time.Duration(n) * time.Second) }
	lock := func(pid int, locktype, mode string, granted bool, more map[string]any) *forensics.PGRow {
		m := map[string]any{"pid": pid, "locktype": locktype, "mode": mode, "granted": granted}
		for k, v := range more {
			m[k] = v
		}
		return pgRow(t, forensics.PGLocks, T, 1, m)
	}
	rel := map[string]any{"database": 16424, "relation": 16425}
	relWait := func(ws time.Time) map[string]any {
		return map[string]any{"database": 16424, "relation": 16425, "waitstart": ws}
	}
	writePG(t, w, "locks.csv",
		lock(100, "relation", "AccessExclusiveLock", true, rel),
		lock(200, "relation", "RowExclusiveLock", false, relWait(sec(-5))),
		lock(300, "relation", "AccessShareLock", false, relWait(sec(-3))),
		lock(100, "transactionid", "ExclusiveLock", true, map[string]any{"transactionid": 740}),
		lock(400, "transactionid", "ExclusiveLock", true, map[string]any{"transactionid": 741}),
		lock(500, "transactionid", "ShareLock", false, map[string]any{"transactionid": 741, "waitstart": sec(-20)}),
		lock(500, "tuple", "ExclusiveLock", true, map[string]any{"database": 16424, "relation": 16430, "page": 0, "tuple": 7}),
		lock(600, "tuple", "ExclusiveLock", false, map[string]any{"database": 16424, "relation": 16430, "page": 0, "tuple": 7, "waitstart": sec(-10)}),
		lock(700, "relation", "AccessShareLock", true, map[string]any{"database": 16424, "relation": 16430}),
		lock(500, "relation", "RowExclusiveLock", true, map[string]any{"database": 16424, "relation": 16430}),
	)
	act := func(pid int, state, query string, start time.Time) *forensics.PGRow {
		return pgRow(t, forensics.PGActivity, sec(1), 1, map[string]any{"pid": pid, "state": state, "query": query,
			"query_start": start, "backend_type": "client backend", "wait_event_type": "Lock"})
	}
	writePG(t, w, "activity.csv",
		act(100, "idle in transaction", "LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE", sec(-60)),
		act(200, "active", "UPDATE jobs SET state = 'running' WHERE id = 7", sec(-5)),
		act(300, "active", "SELECT count(*) FROM jobs", sec(-3)),
		act(700, "active", "SELECT pg_sleep(600)", sec(-6*60)),
		act(800, "active", "SELECT pg_sleep(90)", sec(-90)),
	)
	// the same activity snapshot read from a second file counts once
	writePG(t, w, "activity.txt", act(100, "idle in transaction", "LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE", sec(-60)))

	stmt := func(ts time.Time, calls int, exec float64, rows int) *forensics.PGRow {
		return pgRow(t, forensics.PGStatements, ts, 1, map[string]any{"queryid": 42, "userid": 10, "dbid": 16424, "toplevel": true,
			"query": "SELECT * FROM jobs WHERE id = $1", "calls": calls, "total_exec_time": exec, "rows": rows})
	}
	writePG(t, w, "statements.csv",
		stmt(T, 10, 100, 10), stmt(sec(5), 15, 200, 15), stmt(sec(10), 3, 30, 3), stmt(sec(15), 5, 50, 5))
	writePG(t, w, "statements-copy.csv", stmt(sec(5), 15, 200, 15))
	writePG(t, w, "settings.csv", pgRow(t, forensics.PGSettings, T, 1, map[string]any{"name": "max_connections", "setting": "100", "context": "postmaster"}))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	q := func(sql string) string {
		t.Helper()
		rows, err := st.DB.QueryContext(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, v := range vals {
				if tm, ok := v.(time.Time); ok {
					v = tm.UTC().Format("15:04:05")
				}
				parts = append(parts, fmt.Sprint(v))
			}
			out = append(out, strings.Join(parts, " | "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "\n")
	}
	tests := []struct{ name, sql, want string }{
		{"blocking pairs", `SELECT waiting_pid, blocking_pid, locktype, lock_target, blocker_granted FROM pg_blocking ORDER BY 1, 2`,
			"200 | 100 | relation | relation 16425 | true\n" +
				"300 | 100 | relation | relation 16425 | true\n" +
				"500 | 400 | transactionid | transaction 741 | true\n" +
				"600 | 500 | tuple | tuple (0,7) of relation 16430 | true"},
		{"blocking queries", `SELECT waiting_pid, waiting_query, blocking_query, blocking_state, activity_ts FROM pg_blocking WHERE blocking_pid = 100 ORDER BY 1`,
			"200 | UPDATE jobs SET state = 'running' WHERE id = 7 | LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE | idle in transaction | 14:05:01\n" +
				"300 | SELECT count(*) FROM jobs | LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE | idle in transaction | 14:05:01"},
		{"blocking refs name one row", `SELECT count(*) FROM pg_blocking b JOIN pg_locks l ON 'pg_locks:' || l.id = b.ref WHERE NOT l.granted`, "4"},
		{"long running", `SELECT pid, round(running_s) FROM pg_long_running`, "700 | 361"},
		{"long running over 1 minute", `SELECT pid FROM pg_long_running_over(INTERVAL 1 MINUTE) ORDER BY 1`, "700\n800"},
		{"deltas", `SELECT strftime(interval_end AT TIME ZONE 'UTC', '%H:%M:%S'), calls, exec_time_ms, mean_exec_time_ms, "rows", stats_reset FROM pg_statement_deltas ORDER BY interval_end`,
			"14:05:05 | 5 | 100 | 20 | 5 | false\n" +
				"14:05:10 | 3 | 30 | 10 | 3 | true\n" +
				"14:05:15 | 2 | 20 | 10 | 2 | false"},
		{"settings is ours, not DuckDB's pg_catalog view", `SELECT setting, context FROM pg_settings WHERE name = 'max_connections'`, "100 | postmaster"},
		{"deltas never negative", `SELECT count(*) FROM pg_statement_deltas WHERE calls < 0 OR exec_time_ms < 0 OR "rows" < 0`, "0"},
		{"events", `SELECT kind, ref LIKE 'pg_locks:%' OR ref LIKE 'pg_activity:%' FROM events WHERE source LIKE 'pg_%' ORDER BY kind, text`,
			"pg_blocking | true\npg_blocking | true\npg_long_running | true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := q(tt.sql); got != tt.want {
				t.Errorf("%s\ngot:\n%s\nwant:\n%s", tt.sql, got, tt.want)
			}
		})
	}
	if got := q(`SELECT text FROM events WHERE kind = 'pg_blocking' AND text LIKE 'pid 100 %'`); !strings.Contains(got, "pid 100 (idle in transaction) holds locks other backends wait for: relation 16425; its query: LOCK TABLE jobs") ||
		!strings.Contains(got, "first waiting: pid 200 (UPDATE jobs") || !strings.Contains(got, "up to 4 backends waiting") {
		t.Errorf("blocking event text: %s", got)
	}
}

// TestPGQueryTextsOncePerFile checks that each distinct statement text is
// stored once per file and that the pg_statements view gives every row its
// text back (NULL stays NULL), also across a rolled-back file.
func TestPGQueryTextsOncePerFile(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.NewWriter(ctx, "test", "UTC", forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	T := time.Date(2026, 11, 20, 14, 5, 0, 0, time.UTC)
	stmt := func(snap, qid int, text string) *forensics.PGRow {
		m := map[string]any{"queryid": qid, "calls": snap, "total_exec_time": float64(snap)}
		if text != "" {
			m["query"] = text
		}
		return pgRow(t, forensics.PGStatements, T.Add(time.Duration(snap)*5*time.Second), snap, m)
	}
	texts := []string{"SELECT 1", "SELECT * FROM jobs WHERE id = $1", "it's \"quoted\"\nand wrapped", ""}
	var a []forensics.Record
	for snap := 1; snap <= 5; snap++ {
		for i, q := range texts {
			a = append(a, stmt(snap, i+1, q))
		}
	}
	writePG(t, w, "a.csv", a...)
	// a file that is rolled back leaves neither rows nor texts
	tx, err := w.BeginFile(ctx, forensics.SourceFile{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Emit(stmt(9, 9, "SELECT rolled_back")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	writePG(t, w, "b.csv", stmt(1, 1, "SELECT 1"), stmt(2, 1, "SELECT 1"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var nTexts, nRows, nMatch, nNull int
	if err := st.DB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM pg_query_texts), (SELECT count(*) FROM pg_statements),
		(SELECT count(*) FROM pg_statements WHERE query = CASE queryid WHEN 1 THEN 'SELECT 1' WHEN 2 THEN 'SELECT * FROM jobs WHERE id = $1'
		  WHEN 3 THEN 'it''s "quoted"'||chr(10)||'and wrapped' END),
		(SELECT count(*) FROM pg_statements WHERE queryid = 4 AND query IS NULL)`).Scan(&nTexts, &nRows, &nMatch, &nNull); err != nil {
		t.Fatal(err)
	}
	// a.csv: 3 texts; b.csv: its own copy of one
	if nTexts != 4 || nRows != 22 || nMatch != 17 || nNull != 5 {
		t.Errorf("texts %d (want 4), rows %d (want 22), rows with their text %d (want 17), NULL texts %d (want 5)", nTexts, nRows, nMatch, nNull)
	}
}

// TestPGStatementsTableMigrated checks migration 007 on a file whose
// pg_statements is still the table of migration 004.
func TestPGStatementsTableMigrated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Make the file look like one written at version 6.
	if _, err := st.DB.ExecContext(ctx, `
DROP VIEW pg_statements;
CREATE TABLE pg_statements AS SELECT r.* EXCLUDE (query_text_id), NULL::VARCHAR AS query FROM pg_statement_rows r LIMIT 0;
INSERT INTO pg_statements BY NAME SELECT * FROM (VALUES
  (1, 7, 'SELECT 1', 11::BIGINT), (2, 7, 'SELECT 2', 12), (3, 8, 'SELECT 1', 11), (4, 8, NULL, 13)) v(id, source_id, query, queryid);
DROP TABLE pg_statement_rows; DROP TABLE pg_query_texts;
DELETE FROM schema_migrations WHERE version >= 7`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var kind string
	if err := st.DB.QueryRowContext(ctx, `SELECT 'view' FROM duckdb_views() WHERE view_name = 'pg_statements'`).Scan(&kind); err != nil {
		t.Fatalf("pg_statements is not a view after migrating: %v", err)
	}
	var got string
	if err := st.DB.QueryRowContext(ctx, `SELECT string_agg(id || ':' || source_id || ':' || queryid || ':' || coalesce(query, 'NULL'), ' ' ORDER BY id) FROM pg_statements`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "1:7:11:SELECT 1 2:7:12:SELECT 2 3:8:11:SELECT 1 4:8:13:NULL"; got != want {
		t.Errorf("rows after migration:\n got %s\nwant %s", got, want)
	}
	var n int
	st.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_query_texts`).Scan(&n)
	if n != 2 {
		t.Errorf("%d texts, want 2", n)
	}
	// pg_statement_deltas still reads through the view
	if _, err := st.DB.ExecContext(ctx, `SELECT count(*) FROM pg_statement_deltas`); err != nil {
		t.Errorf("pg_statement_deltas: %v", err)
	}
}
