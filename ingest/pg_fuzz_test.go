package ingest

import (
	"testing"
)

func FuzzPSQL(f *testing.F) {
	fuzzReader(f, PSQL{},
		"  pid  | state  |      query       \n-------+--------+------------------\n 20916 | active | UPDATE jobs     +\n       |        |   SET x = $1\n(1 row)\n\n",
		"   Fri Nov 20 14:05:00 2026 (every 5s)\n\n pid | mode \n-----+------\n   1 | x\n(1 row)\n",
		"+-----+------+\n| pid | mode |\n+-----+------+\n|   1 | x    |\n+-----+------+\n(1 row)\n",
		" pid |   query    | state \n-----+------------+-------\n   1 | SELECT 1, .| idle\n     |.2, 3       | \n(1 row)\n",
		" pid | query \n-----+-------\n   1 | 日本+\n     | ü\n",
		"SELECT 1;\nERROR:  x\n\n\n",
	)
}

func FuzzPGCSV(f *testing.F) {
	fuzzReader(f, PGCSV{},
		"snapshot_ts,pid,state,query\n2026-11-20 14:05:00+00,1,active,\"SELECT\n1\"\n2026-11-20 14:05:00+00,2\n",
		"pid|state|query\n1|idle|x\n(1 row)\n",
		"pid\tstate\tquery\n1\t\\N\tx\\ny\n",
		"calls,queryid,query\n\"1\"\"\",2,\"x\n",
	)
}

func FuzzPGJSON(f *testing.F) {
	fuzzReader(f, PGJSON{},
		`{"snapshot_ts":"2026-11-20T14:05:00+00:00","pid":1,"state":"idle","query":"x\ny"}`+"\n",
		`{"pid": "x", "state": null}`+"\n[1]\n\n{",
	)
}

// FuzzPSQLSplit checks the aligned-row splitter alone on any rule and
// line: no panic, and cells always lie inside the line.
func FuzzPSQLSplit(f *testing.F) {
	f.Add("-------+--------+------------------", " 20916 | active | UPDATE jobs     +")
	f.Add("+-----+------+", "|  42 | x    |")
	f.Add("-----+-----", "   2 | 日本ü")
	f.Add("---+---", "")
	f.Fuzz(func(t *testing.T, rule, line string) {
		lay, ok := parseRule([]byte(rule))
		if !ok {
			return
		}
		tb := &psqlTable{layout: lay}
		b := []byte(line)
		n, res := tb.split(b)
		if n < 0 || n > len(lay.segs) {
			t.Fatalf("n = %d of %d", n, len(lay.segs))
		}
		if res == splitFits {
			for _, c := range tb.cells[:n] {
				if len(c.Text) > len(b) {
					t.Fatalf("cell longer than the line")
				}
			}
		}
		_, _ = tb.headerNames(b)
	})
}
