package ingest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/internal/pgtest"
)

// pgRead runs rd over text as the file path (whose name may carry a
// time), with the file's mtime ref, and checks that every line is
// accounted for.
func pgRead(t testing.TB, rd Reader, path, text string, ref time.Time, tz *time.Location) (*memSink, *Input) {
	t.Helper()
	m := &memSink{}
	in := &Input{Path: path, R: strings.NewReader(text), TZ: tz, Ref: ref, Sink: m}
	if err := rd.Read(context.Background(), in); err != nil {
		t.Fatalf("%s: read %s: %v", rd.Kind(), path, err)
	}
	if !in.Stats.Balanced() {
		t.Errorf("%s: lines not accounted for: %+v", path, in.Stats)
	}
	if in.Stats.Lines != countLines(text) {
		t.Errorf("%s: %d lines counted, the text has %d", path, in.Stats.Lines, countLines(text))
	}
	return m, in
}

var testMTime = time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)

// pgRows returns the snapshot rows and frames a sink received.
func pgRows(m *memSink) (rows []*forensics.PGRow, frames []*forensics.PGSnapshot) {
	for _, r := range m.rows {
		switch x := r.(type) {
		case *forensics.PGRow:
			rows = append(rows, x)
		case *forensics.PGSnapshot:
			frames = append(frames, x)
		}
	}
	return rows, frames
}

// pgGet returns a row's value of column name as text ("NULL" for none).
func pgGet(t testing.TB, r *forensics.PGRow, name string) string {
	t.Helper()
	for _, v := range forensics.PGViews() {
		if v.View != r.View {
			continue
		}
		for i, c := range v.Columns {
			if c.Name != name {
				continue
			}
			x := r.Vals[i]
			if !x.OK {
				return "NULL"
			}
			switch c.Type {
			case forensics.PGText:
				return x.S
			case forensics.PGFloat:
				return fmt.Sprint(x.F)
			case forensics.PGBool:
				return fmt.Sprint(x.N == 1)
			case forensics.PGTime:
				return time.UnixMicro(x.N).UTC().Format("2006-01-02T15:04:05.999999Z")
			}
			return fmt.Sprint(x.N)
		}
	}
	t.Fatalf("%s has no column %s", r.View, name)
	return ""
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pg", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPGFixtures reads real captures of a PostgreSQL 15 server under lock
// contention (testdata/pg/capture.sh): the reader is picked by content,
// every row lands in its view, and nothing is rejected.
func TestPGFixtures(t *testing.T) {
	tests := []struct {
		file     string
		kind     string
		view     string
		rows     int
		frames   int
		tsSource string
		layout   string
		warn     bool
	}{
		{"activity-watch.txt", "pg-psql", forensics.PGActivity, 18, 3, "title", "", false},
		{"locks-watch.txt", "pg-psql", forensics.PGLocks, 66, 3, "title", "", false},
		{"moment-locks.txt", "pg-psql", forensics.PGLocks, 22, 1, "column", "", false},
		{"moment-locks.csv", "pg-csv", forensics.PGLocks, 22, 1, "column", "", false},
		{"moment-locks.json", "pg-json", forensics.PGLocks, 22, 0, "column", "", false},
		{"moment-activity.txt", "pg-psql", forensics.PGActivity, 6, 1, "column", "", false},
		{"moment-activity.csv", "pg-csv", forensics.PGActivity, 6, 1, "column", "", false},
		{"moment-activity.json", "pg-json", forensics.PGActivity, 6, 0, "column", "", false},
		{"statements-pg15.txt", "pg-psql", forensics.PGStatements, 12, 1, "mtime", "13-16", true},
		{"statements-pg15.csv", "pg-csv", forensics.PGStatements, 13, 1, "column", "13-16", false},
		{"statements-pg12-style.txt", "pg-psql", forensics.PGStatements, 4, 1, "mtime", "pre13", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			text := readFixture(t, tt.file)
			rd, why := pick(Readers(), newSample(tt.file, []byte(text), true))
			if rd == nil || rd.Kind() != tt.kind {
				t.Fatalf("picked %v (%s), want %s", rd, why, tt.kind)
			}
			m, in := pgRead(t, rd, tt.file, text, testMTime, time.UTC)
			if len(m.rejects) > 0 {
				t.Errorf("rejects: %q", m.rejects)
			}
			rows, frames := pgRows(m)
			if len(rows) != tt.rows || len(frames) != tt.frames {
				t.Errorf("%d rows in %d frames, want %d in %d", len(rows), len(frames), tt.rows, tt.frames)
			}
			for _, r := range rows {
				if r.View != tt.view || r.TSSource != tt.tsSource || r.Layout != tt.layout || r.SnapshotTS.IsZero() {
					t.Fatalf("row %+v: want view %s, time from %s, layout %q", r, tt.view, tt.tsSource, tt.layout)
				}
			}
			for _, f := range frames {
				if f.Note != "" || f.View != tt.view {
					t.Errorf("frame %+v", f)
				}
			}
			if got := len(in.Warnings) > 0; got != tt.warn {
				t.Errorf("warnings %q, want some: %v", in.Warnings, tt.warn)
			}
		})
	}
}

// TestPGFixtureValues spot-checks values of the real captures: wrapped
// queries, NULLs, times, the pre-13 names landing in the 17 names.
func TestPGFixtureValues(t *testing.T) {
	m, _ := pgRead(t, PSQL{}, "moment-activity.txt", readFixture(t, "moment-activity.txt"), testMTime, time.UTC)
	rows, _ := pgRows(m)
	byPID := map[string]*forensics.PGRow{}
	for _, r := range rows {
		byPID[pgGet(t, r, "pid")] = r
	}
	upd := byPID["20496"]
	if upd == nil {
		t.Fatalf("no pid 20496 in %d rows", len(rows))
	}
	for col, want := range map[string]string{
		"query":           "UPDATE jobs SET state = 'running'\n  WHERE id = 7",
		"state":           "active",
		"wait_event_type": "Lock",
		"wait_event":      "relation",
		"leader_pid":      "NULL",
		"datname":         "vidbench",
	} {
		if got := pgGet(t, upd, col); got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
	if upd.Lines != 2 {
		t.Errorf("the wrapped row spans %d lines, want 2", upd.Lines)
	}
	if got := pgGet(t, byPID["20481"], "state"); got != "idle in transaction" {
		t.Errorf("holder state %q", got)
	}

	m, _ = pgRead(t, PSQL{}, "statements-pg12-style.txt", readFixture(t, "statements-pg12-style.txt"), testMTime, time.UTC)
	rows, _ = pgRows(m)
	for _, r := range rows {
		if pgGet(t, r, "total_exec_time") == "NULL" || pgGet(t, r, "mean_exec_time") == "NULL" || pgGet(t, r, "shared_blk_read_time") == "NULL" {
			t.Errorf("pre-13 names not mapped: %+v", r)
		}
		if r.Extra != nil {
			t.Errorf("extra columns: %v", r.Extra)
		}
	}
	if q := pgGet(t, rows[2], "query"); q != "SELECT id, state\n  FROM jobs\n WHERE id < $1\n ORDER BY id" {
		t.Errorf("wrapped query %q", q)
	}
}

// TestPGFormsAgree checks that one moment saved as CSV, JSON lines and
// psql aligned output gives the same rows.
func TestPGFormsAgree(t *testing.T) {
	for _, base := range []string{"moment-locks", "moment-activity"} {
		t.Run(base, func(t *testing.T) {
			var ref []*forensics.PGRow
			for _, f := range []struct {
				ext string
				rd  Reader
			}{{".csv", PGCSV{}}, {".json", PGJSON{}}, {".txt", PSQL{}}} {
				m, _ := pgRead(t, f.rd, base+f.ext, readFixture(t, base+f.ext), testMTime, time.UTC)
				rows, _ := pgRows(m)
				if ref == nil {
					ref = rows
					continue
				}
				if len(rows) != len(ref) {
					t.Fatalf("%s: %d rows, csv %d", f.ext, len(rows), len(ref))
				}
				for i := range rows {
					a, b := ref[i], rows[i]
					if !a.SnapshotTS.Equal(b.SnapshotTS) || !reflect.DeepEqual(a.Vals, b.Vals) || !reflect.DeepEqual(a.Extra, b.Extra) {
						t.Errorf("%s row %d differs from csv:\n%+v\n%+v", f.ext, i, b, a)
					}
				}
			}
		})
	}
}

func TestPGTitleTime(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	z := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		line string
		loc  *time.Location
		want time.Time // zero: not a title
	}{
		{"                    Fri Nov 20 14:05:00 2026 (every 5s)", time.UTC, z("2026-11-20T14:05:00Z")},
		{"Fri Nov 20 14:05:00 2026 (every 5s)", berlin, z("2026-11-20T13:05:00Z")},
		{"Thu Nov  5 04:05:00 2026 (every 0.5s)", time.UTC, z("2026-11-05T04:05:00Z")},
		{"Fri 20 Nov 2026 02:05:00 PM UTC (every 5s)", time.UTC, z("2026-11-20T14:05:00Z")},
		{"Fri 20 Nov 2026 12:05:00 AM UTC (every 5s)", time.UTC, z("2026-11-20T00:05:00Z")},
		{"Fri 20 Nov 2026 02:05:00 PM CET (every 5s)", time.UTC, z("2026-11-20T13:05:00Z")},
		{"Fri 20 Nov 2026 02:05:00 PM CET (every 5s)", berlin, z("2026-11-20T13:05:00Z")},
		{"Fri 20 Nov 2026 14:05:00 UTC (every 5s)", time.UTC, z("2026-11-20T14:05:00Z")},
		{"Fr 20 Nov 2026 14:05:00 CET (alle 5s)", time.UTC, z("2026-11-20T13:05:00Z")},
		{"ven. 20 nov. 2026 14:05:00 UTC (toutes les 5s)", time.UTC, z("2026-11-20T14:05:00Z")},
		{"locks\tFri Nov 20 14:05:00 2026 (every 2s)", time.UTC, z("2026-11-20T14:05:00Z")},
		{"Watch every 5s\tFri Nov 20 14:05:00 2026", time.UTC, z("2026-11-20T14:05:00Z")},
		{"Fri Nov 20 14:05:00 UTC 2026", time.UTC, z("2026-11-20T14:05:00Z")},
		{"Fri Nov 20 09:05:00 EST 2026", time.UTC, z("2026-11-20T14:05:00Z")},
		{"2026-11-20T15:05:00+01:00", time.UTC, z("2026-11-20T14:05:00Z")},
		{"2026-11-20 14:05:00.123+00", time.UTC, z("2026-11-20T14:05:00.123Z")},
		{"SELECT * FROM pg_locks WHERE NOT granted;", time.UTC, time.Time{}},
		{"(3 rows)", time.UTC, time.Time{}},
		{"Time: 1.234 ms", time.UTC, time.Time{}},
		{"ERROR:  canceling statement due to statement timeout", time.UTC, time.Time{}},
	}
	for _, tt := range tests {
		got, ok := pgTitleTime([]byte(tt.line), tt.loc)
		if ok != !tt.want.IsZero() || (ok && !got.Equal(tt.want)) {
			t.Errorf("%q in %s: got %v %v, want %v", tt.line, tt.loc, got, ok, tt.want)
		}
	}
}

// TestPSQLAligned covers psql's aligned format case by case: wrapped cells
// in any column, NULLs, right-aligned numbers, a '|' inside a value, wide
// characters, border 2, \pset format wrapped, empty and foreign tables.
func TestPSQLAligned(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		cols    []string // columns to show, per row: "col=value" joined by "; "
		want    []string
		frames  int
		rejects int
		note    string // a frame note that must appear
	}{
		{
			name: "wrapped cells in a middle column and the last",
			text: "  pid  | state  |      query       | backend_type \n" +
				"-------+--------+------------------+--------------\n" +
				" 20916 | active | UPDATE jobs     +| client      +\n" +
				"       |        |   SET state = $1+| backend\n" +
				"       |        | WHERE id = $2    | \n" +
				"    17 |        |                  | \n" +
				"(2 rows)\n\n",
			cols: []string{"pid", "state", "query", "backend_type"},
			want: []string{
				"pid=20916; state=active; query=UPDATE jobs\n  SET state = $1\nWHERE id = $2; backend_type=client\nbackend",
				"pid=17; state=NULL; query=NULL; backend_type=NULL",
			},
			frames: 1,
		},
		{
			name: "a bar inside a value and wide characters",
			text: " pid |     query      | state  \n" +
				"-----+----------------+--------\n" +
				"   1 | SELECT a || b  | active\n" +
				"   2 | SELECT '日本'  | idle\n" +
				"   3 | SELECT 'ü|x'   | idle\n" +
				"(3 rows)\n",
			cols:   []string{"pid", "query", "state"},
			want:   []string{"pid=1; query=SELECT a || b; state=active", "pid=2; query=SELECT '日本'; state=idle", "pid=3; query=SELECT 'ü|x'; state=idle"},
			frames: 1,
		},
		{
			name: "border 2",
			text: "+-----+---------------------+---------+\n" +
				"| pid |        mode         | granted |\n" +
				"+-----+---------------------+---------+\n" +
				"|  42 | AccessExclusiveLock | t       |\n" +
				"|  43 | AccessShareLock     | f       |\n" +
				"+-----+---------------------+---------+\n" +
				"(2 rows)\n",
			cols:   []string{"pid", "mode", "granted"},
			want:   []string{"pid=42; mode=AccessExclusiveLock; granted=true", "pid=43; mode=AccessShareLock; granted=false"},
			frames: 1,
		},
		{
			name: "wrapped format",
			text: " pid |   query    | state \n" +
				"-----+------------+-------\n" +
				"   1 | SELECT 1, .| idle\n" +
				"     |.2, 3       | \n" +
				"(1 row)\n",
			cols:   []string{"pid", "query", "state"},
			want:   []string{"pid=1; query=SELECT 1,2, 3; state=idle"},
			frames: 1,
		},
		{
			name: "an empty snapshot and a table of no known view",
			text: " locktype | pid | mode | granted \n" +
				"----------+-----+------+---------\n" +
				"(0 rows)\n\n" +
				" count \n" +
				"-------\n" +
				"    42\n" +
				"(1 row)\n\n",
			frames: 2,
		},
		{
			name: "a translated footer and psql messages",
			text: "Timing is on.\n" +
				" pid | state \n" +
				"-----+-------\n" +
				"   7 | idle\n" +
				"(1 Zeile)\n\n" +
				"Time: 0.512 ms\n",
			cols:   []string{"pid", "state"},
			want:   []string{"pid=7; state=idle"},
			frames: 1,
		},
		{
			name: "a footer that disagrees",
			text: " pid | state \n" +
				"-----+-------\n" +
				"   7 | idle\n" +
				"(2 rows)\n",
			cols:   []string{"pid", "state"},
			want:   []string{"pid=7; state=idle"},
			frames: 1,
			note:   "the footer says 2 rows, 1 were read",
		},
		{
			name: "echoed commands and errors around a table",
			text: "SELECT pid, state FROM pg_stat_activity;\n" +
				" pid | state \n" +
				"-----+-------\n" +
				"   7 | idle\n" +
				"(1 row)\n\n" +
				"ERROR:  canceling statement due to statement timeout\n",
			cols:    []string{"pid", "state"},
			want:    []string{"pid=7; state=idle"},
			frames:  1,
			rejects: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := pgRead(t, PSQL{}, "x.txt", tt.text, testMTime, time.UTC)
			rows, frames := pgRows(m)
			var got []string
			for _, r := range rows {
				var parts []string
				for _, c := range tt.cols {
					parts = append(parts, c+"="+pgGet(t, r, c))
				}
				got = append(got, strings.Join(parts, "; "))
			}
			if strings.Join(got, "\n--\n") != strings.Join(tt.want, "\n--\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n--\n"), strings.Join(tt.want, "\n--\n"))
			}
			if len(frames) != tt.frames || len(m.rejects) != tt.rejects {
				t.Errorf("%d frames, %d rejects %q; want %d, %d", len(frames), len(m.rejects), m.rejects, tt.frames, tt.rejects)
			}
			if tt.note != "" {
				found := false
				for _, f := range frames {
					found = found || strings.Contains(f.Note, tt.note)
				}
				if !found {
					t.Errorf("no frame note %q in %+v", tt.note, frames)
				}
			}
		})
	}
}

// TestPSQLForeignAndEmptyTables checks what the frames of an empty
// snapshot and of a table of no known view keep.
func TestPSQLForeignAndEmptyTables(t *testing.T) {
	text := " locktype | pid | mode | granted \n----------+-----+------+---------\n(0 rows)\n\n count \n-------\n    42\n(1 row)\n\n"
	m, _ := pgRead(t, PSQL{}, "x.txt", text, testMTime, time.UTC)
	_, frames := pgRows(m)
	if len(frames) != 2 {
		t.Fatalf("frames %+v", frames)
	}
	if f := frames[0]; f.View != forensics.PGLocks || f.Rows != 0 || f.Footer != 0 || f.Lines != 4 {
		t.Errorf("empty snapshot frame %+v", f)
	}
	if f := frames[1]; f.View != "" || !strings.Contains(f.Text, "    42") || f.Lines != 5 || f.Footer != 1 {
		t.Errorf("foreign table frame %+v", f)
	}
}

// TestPGHostile feeds damaged input: the damage becomes counted rejects
// with reasons, and the rest is ingested.
func TestPGHostile(t *testing.T) {
	tests := []struct {
		name    string
		rd      Reader
		text    string
		rows    int
		reasons []string // substrings of the reject reasons, in order
	}{
		{"ragged CSV rows", PGCSV{},
			"snapshot_ts,pid,state,query\n" +
				"2026-11-20 14:05:00+00,1,active,SELECT 1\n" +
				"2026-11-20 14:05:00+00,2,idle\n" +
				"2026-11-20 14:05:00+00,3,idle,SELECT 3,extra\n" +
				"2026-11-20 14:05:00+00,4,idle,\"SELECT\n4\"\n",
			2, []string{"ragged row: 3 fields, the header has 4", "ragged row: 5 fields"}},
		{"non-numeric values in numeric columns", PGCSV{},
			"queryid,calls,total_exec_time,query\n" +
				"1,10,1.5,SELECT 1\n" +
				"2,ten,1.5,SELECT 2\n" +
				"3,10,fast,SELECT 3\n" +
				"4,10,2.5,SELECT 4\n",
			2, []string{`column calls: "ten" is not an integer`, `column total_exec_time: "fast" is not a number`}},
		{"a CSV quote that never ends", PGCSV{},
			"pid,state,query\n1,idle,\"SELECT 1\n2,idle,SELECT 2\n",
			0, []string{"ends inside a quoted field", "ends inside a quoted field"}},
		{"rows before the header", PGCSV{},
			"1,idle,x\npid,state,query\n2,idle,y\n",
			1, []string{"before any header"}},
		{"a psql table cut mid-row", PSQL{},
			"  pid  | state  |      query       \n" +
				"-------+--------+------------------\n" +
				" 20916 | active | SELECT 1\n" +
				" 20917 | active | UPDATE jobs     +\n" +
				"       |        |   SET state = $1+\n",
			1, []string{"row cut off at the end of the file", "line 2 of a row starting at line 4"}},
		{"a psql line cut before its last column", PSQL{},
			"  pid  | state  |      query       \n" +
				"-------+--------+------------------\n" +
				" 20916 | active | SELECT 1\n" +
				" 20917 | act",
			1, []string{"row cut short: the line ends after 1 of 3 columns"}},
		{"a NULL last column whose trailing space was stripped is a row", PSQL{},
			"  pid  | granted |       waitstart        \n" +
				"-------+---------+------------------------\n" +
				" 40112 | t       |\n" +
				" 41877 | f       | 2027-04-14 13:14:31+00\n" +
				" 40113 | t       |                        \n",
			3, nil},
		{"non-numeric values in a psql table", PSQL{},
			" pid | state \n-----+-------\n abc | idle\n   7 | idle\n(2 rows)\n",
			1, []string{`column pid: "abc" is not an integer`}},
		{"JSON garbage", PGJSON{},
			`{"pid": 1, "state": "idle", "query": "x"}` + "\n" +
				`{"pid": 2, "state": ` + "\n" +
				`[{"pid": 3, "state": "idle"}]` + "\n" +
				`{"pid": "x", "state": "idle", "query": "y"}` + "\n" +
				`{"name": "max_connections", "setting": "100"}` + "\n",
			2, []string{"invalid JSON", "a JSON array", `column pid: "x" is not an integer`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := pgRead(t, tt.rd, "x", tt.text, testMTime, time.UTC)
			rows, _ := pgRows(m)
			if len(rows) != tt.rows {
				t.Errorf("%d rows, want %d", len(rows), tt.rows)
			}
			if len(m.rejects) != len(tt.reasons) {
				t.Fatalf("rejects %q, want %d", m.rejects, len(tt.reasons))
			}
			for i, r := range tt.reasons {
				if !strings.Contains(m.rejects[i], r) {
					t.Errorf("reject %d: %q, want %q", i, m.rejects[i], r)
				}
			}
		})
	}
}

// TestPGUnknownColumns keeps columns no view has in extra.
func TestPGUnknownColumns(t *testing.T) {
	text := "snapshot_ts,pid,state,query,my_note,pg_blocking_pids\n" +
		"2026-11-20 14:05:00+00,1,active,SELECT 1,hello,{2}\n"
	m, _ := pgRead(t, PGCSV{}, "x.csv", text, testMTime, time.UTC)
	rows, frames := pgRows(m)
	if len(rows) != 1 || !reflect.DeepEqual(rows[0].Extra, map[string]string{"my_note": "hello", "pg_blocking_pids": "{2}"}) {
		t.Fatalf("rows %+v", rows)
	}
	if !reflect.DeepEqual(frames[0].Unknown, []string{"my_note", "pg_blocking_pids"}) {
		t.Errorf("frame unknown columns %v", frames[0].Unknown)
	}
}

// TestPGCaptureTimeOrder checks where a row's time comes from: its own
// column, the \watch title, the file name, the file's mtime (with a
// warning for the ingest summary).
func TestPGCaptureTimeOrder(t *testing.T) {
	title := "Fri Nov 20 14:05:00 2026 (every 5s)\n\n"
	table := " pid | state \n-----+-------\n   7 | idle\n(1 row)\n\n"
	var b strings.Builder
	pgtest.WriteAligned(&b, "", []string{"now", "pid", "state"}, [][]string{{"2026-11-20 14:04:59.5+00", "7", "idle"}}, []bool{false, true, false})
	withNow := b.String()
	tests := []struct {
		name, path, text string
		want             string
		source           string
		warn             bool
	}{
		{"column before title", "x.txt", title + withNow, "2026-11-20T14:04:59.5Z", "column", false},
		{"title", "pg_stat_activity-20261120T150000Z.txt", title + table, "2026-11-20T14:05:00Z", "title", false},
		{"file name", "pg_stat_activity-20261120T150000Z.txt", table, "2026-11-20T15:00:00Z", "file_name", false},
		{"file name without zone", "activity_2026-11-20_15-00-00.txt", table, "2026-11-20T15:00:00Z", "file_name", false},
		{"mtime", "activity.txt", table, testMTime.Format(time.RFC3339), "mtime", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, in := pgRead(t, PSQL{}, tt.path, tt.text, testMTime, time.UTC)
			rows, _ := pgRows(m)
			if len(rows) != 1 {
				t.Fatalf("rows %+v rejects %q", rows, m.rejects)
			}
			want, _ := time.Parse(time.RFC3339Nano, tt.want)
			if !rows[0].SnapshotTS.Equal(want) || rows[0].TSSource != tt.source {
				t.Errorf("time %v from %s, want %v from %s", rows[0].SnapshotTS, rows[0].TSSource, want, tt.source)
			}
			if got := len(in.Warnings) > 0; got != tt.warn || (got && !strings.Contains(in.Warnings[0], "modification time")) {
				t.Errorf("warnings %q", in.Warnings)
			}
		})
	}
}

// TestPGStatementsAcrossVersions reads the column lists of every
// pg_stat_statements version from PostgreSQL's own regression output
// (\d pg_stat_statements after each ALTER EXTENSION ... UPDATE, 1.7 to
// 1.12) and checks that each maps onto the normalized table with no
// column left over, and with the right naming generation.
func TestPGStatementsAcrossVersions(t *testing.T) {
	text := readFixture(t, "regress/oldextversions.out")
	var versions [][]string
	sc := bufio.NewScanner(strings.NewReader(text))
	in := false
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == `\d pg_stat_statements`:
			in = true
			versions = append(versions, nil)
		case in && l == "":
			in = false
		case in && strings.HasPrefix(l, " ") && !strings.Contains(l, "View \"") && !strings.HasPrefix(strings.TrimSpace(l), "Column "):
			versions[len(versions)-1] = append(versions[len(versions)-1], strings.TrimSpace(strings.SplitN(l, "|", 2)[0]))
		}
	}
	wantLayouts := []string{"pre13", "13-16", "13-16", "13-16", "17+", "17+"}
	if len(versions) != len(wantLayouts) {
		t.Fatalf("%d \\d tables, want %d", len(versions), len(wantLayouts))
	}
	for i, cols := range versions {
		h := newPGHeader(cols)
		if h == nil || h.spec.View != forensics.PGStatements {
			t.Fatalf("version %d: %v not read as pg_stat_statements", i, cols)
		}
		if len(h.unknown) > 0 {
			t.Errorf("version %d: columns not normalized: %v", i, h.unknown)
		}
		if h.layout != wantLayouts[i] {
			t.Errorf("version %d: layout %s, want %s", i, h.layout, wantLayouts[i])
		}
	}
	// The whole file: every line accounted for, no snapshot rows (none of
	// its tables is one), the echoed commands rejected as such.
	m, _ := pgRead(t, PSQL{}, "oldextversions.out", text, testMTime, time.UTC)
	rows, frames := pgRows(m)
	if len(rows) != 0 || len(frames) < 15 {
		t.Errorf("%d rows, %d frames", len(rows), len(frames))
	}
	for _, r := range m.rejects {
		if !strings.HasPrefix(r, "not part of a psql table") {
			t.Errorf("reject %q", r)
		}
	}
}

// TestPGRegressionOutput reads PostgreSQL's expected output of the
// pg_stat_statements regression test: its `SELECT query, calls, rows FROM
// pg_stat_statements` tables (and the variants with more columns) are
// snapshots, with wrapped multi-line queries.
func TestPGRegressionOutput(t *testing.T) {
	text := readFixture(t, "regress/pg_stat_statements.out")
	m, in := pgRead(t, PSQL{}, "pg_stat_statements.out", text, testMTime, time.UTC)
	rows, frames := pgRows(m)
	if len(rows) != 52 {
		t.Errorf("%d statement rows, want 52 (12+10+7+0+5+6+12)", len(rows))
	}
	byQuery := map[string]*forensics.PGRow{}
	for _, r := range rows {
		if r.View != forensics.PGStatements {
			t.Fatalf("row of %s", r.View)
		}
		byQuery[pgGet(t, r, "query")] = r
	}
	for q, want := range map[string]string{
		"SELECT $1\n\n  AS \"text\"": "4/4",
		"WITH t(f) AS (\n  VALUES ($1), ($2)\n)\n  SELECT f FROM t ORDER BY f": "1/2",
		"SELECT query, calls, rows,\nwal_bytes > $1 as wal_bytes_generated,\nwal_records > $2 as wal_records_generated,\nwal_records = rows as wal_records_as_rows\nFROM pg_stat_statements ORDER BY query COLLATE \"C\"": "0/0",
		"SELECT * FROM pgss_a JOIN pgss_b ON pgss_b.a_id = pgss_a.id FOR UPDATE": "2/NULL",
	} {
		r := byQuery[q]
		if r == nil {
			t.Errorf("no row for %q", q)
			continue
		}
		if got := pgGet(t, r, "calls") + "/" + pgGet(t, r, "rows"); got != want {
			t.Errorf("%q: calls/rows %s, want %s", q, got, want)
		}
	}
	if r := byQuery["DROP TABLE pgss_test"]; r == nil || r.Extra["wal_bytes_generated"] != "t" {
		t.Errorf("extra columns of the WAL table: %+v", r)
	}
	empty := 0
	for _, f := range frames {
		if f.View == forensics.PGStatements && f.Rows == 0 && f.Footer == 0 {
			empty++
		}
	}
	if empty != 1 {
		t.Errorf("%d empty statement snapshots, want 1", empty)
	}
	if len(in.Warnings) != 1 {
		t.Errorf("warnings %q: the file has no capture time", in.Warnings)
	}
}

// TestPSQLUnalignedAndCopyText reads psql -A output and COPY's text format.
func TestPSQLUnalignedAndCopyText(t *testing.T) {
	unaligned := "pid|state|query\n1|idle|SELECT 1\n2|active|SELECT 'a|b'\n(2 rows)\n"
	m, _ := pgRead(t, PGCSV{}, "x.txt", unaligned, testMTime, time.UTC)
	rows, _ := pgRows(m)
	if len(rows) != 1 || len(m.rejects) != 1 {
		t.Errorf("psql -A: %d rows, rejects %q (a '|' in a value cannot be told apart: rejected)", len(rows), m.rejects)
	}
	copyText := "pid\tstate\tquery\n1\tidle\tSELECT 1\\nFROM x\n2\t\\N\tSELECT\\t2\n"
	m, _ = pgRead(t, PGCSV{}, "x.tsv", copyText, testMTime, time.UTC)
	rows, _ = pgRows(m)
	if len(rows) != 2 || pgGet(t, rows[0], "query") != "SELECT 1\nFROM x" || pgGet(t, rows[1], "state") != "NULL" || pgGet(t, rows[1], "query") != "SELECT\t2" {
		t.Errorf("COPY text: %+v %q", rows, m.rejects)
	}
}

func TestParseFloat(t *testing.T) {
	for _, s := range []string{"0", "1", "-1.5", "0.0012020000000000002", "123456.789", "1e+06", "NaN", "Infinity", "-0", "3.14159265358979", "99999999999999999999"} {
		got, ok := parseFloat([]byte(s))
		var want float64
		_, err := fmt.Sscan(s, &want)
		if s == "NaN" || s == "Infinity" {
			if !ok {
				t.Errorf("%s not read", s)
			}
			continue
		}
		if !ok || err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", ".", "1.2.3", "abc", "1,5"} {
		if _, ok := parseFloat([]byte(s)); ok {
			t.Errorf("%q read as a number", s)
		}
	}
}

// TestPGCSVAppended reads only the part of a CSV file appended since the
// last ingest (collect pg appends while it runs): the header comes from
// the part read before.
func TestPGCSVAppended(t *testing.T) {
	first := "snapshot_ts,pid,state,query\n2026-11-20 14:05:00+00,1,idle,SELECT 1\n"
	more := "2026-11-20 14:05:05+00,1,active,SELECT 2\n2026-11-20 14:05:05+00,2,idle,SELECT 3\n"
	path := filepath.Join(t.TempDir(), "pg_stat_activity-20261120T140500Z.csv")
	if err := os.WriteFile(path, []byte(first+more), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &memSink{}
	in := &Input{Path: path, R: strings.NewReader(more), StartLine: 2, StartOffset: int64(len(first)), TZ: time.UTC, Sink: m}
	if err := (PGCSV{}).Read(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	rows, frames := pgRows(m)
	if len(rows) != 2 || len(m.rejects) > 0 || len(frames) != 0 || !in.Stats.Balanced() || in.Stats.Lines != 2 {
		t.Fatalf("rows %d frames %d rejects %q stats %+v", len(rows), len(frames), m.rejects, in.Stats)
	}
	if rows[0].LineNo != 3 || pgGet(t, rows[1], "query") != "SELECT 3" {
		t.Errorf("rows %+v", rows)
	}
}
