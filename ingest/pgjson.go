package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// PGJSON reads snapshots of pg_stat_activity, pg_stat_statements, pg_locks
// and pg_settings saved as JSON lines, one object per row, as
//
//	psql -At -c "SELECT row_to_json(a) FROM (SELECT now() AS snapshot_ts, * FROM pg_stat_activity) a"
//
// writes them. The keys decide the view, line by line; null is NULL;
// numbers, booleans and strings are read as the column's type wants them;
// keys of no known column are kept in extra. A line that is not a JSON
// object, or whose keys name no view, is a counted reject.
type PGJSON struct{}

var _ Reader = PGJSON{}

// Kind implements Reader.
func (PGJSON) Kind() string { return "pg-json" }

// Sniff implements Reader: most sampled lines are JSON objects whose keys
// are a statistics view's columns.
func (PGJSON) Sniff(s *Sample) int {
	ok, n := 0, 0
	for _, l := range s.Lines {
		if isBlank(l) {
			continue
		}
		n++
		if n > 20 {
			break
		}
		names, _, err := pgJSONObject(l)
		if err != nil {
			continue
		}
		if vi, score := classifyPG(names); vi >= 0 && score >= 3 {
			ok++
		}
	}
	if n == 0 || ok*10 < min(n, 20)*6 {
		return 0
	}
	return 96
}

// Read implements Reader.
func (PGJSON) Read(ctx context.Context, in *Input) error {
	f := newPGFile(in, "json")
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	var (
		lastKey string
		hdr     *pgHeader
	)
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := lr.Line()
		text := bytes.TrimSpace(l.Text)
		if len(text) == 0 {
			if err := in.Reject(l, "blank line"); err != nil {
				return err
			}
			continue
		}
		names, cells, err := pgJSONObject(text)
		if err != nil {
			if err := in.Reject(l, err.Error()); err != nil {
				return err
			}
			continue
		}
		if key := strings.Join(names, ","); key != lastKey || hdr == nil {
			lastKey = key
			hdr = newPGHeader(names)
		}
		if hdr == nil {
			if err := in.Reject(l, "JSON object whose keys are not the columns of pg_stat_activity, pg_stat_statements, pg_locks or pg_settings"); err != nil {
				return err
			}
			continue
		}
		row := new(forensics.PGRow)
		rowTS, reason := f.rows.make(hdr, cells, row)
		if reason != "" {
			if err := in.Reject(l, reason); err != nil {
				return err
			}
			continue
		}
		row.SnapshotNo = f.nextSnapshot(row.View, rowTS, false)
		if err := f.emitRow(row, rowTS, time.Time{}, l, 1); err != nil {
			return err
		}
	}
	f.finish()
	return lr.Err()
}

// pgJSONObject reads one JSON object: its keys (sorted) and the values as
// cells: strings unquoted, numbers and booleans as written, objects and
// arrays as JSON text, null as NULL.
func pgJSONObject(b []byte) ([]string, []pgCell, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		if len(b) > 0 && b[0] == '[' {
			return nil, nil, errors.New("a JSON array, not one object per line: save rows with row_to_json (psql -At), one per line")
		}
		return nil, nil, errors.New("not a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, errors.New("invalid JSON: " + err.Error())
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	cells := make([]pgCell, len(names))
	for i, k := range names {
		v := bytes.TrimSpace(m[k])
		switch {
		case len(v) == 0 || string(v) == "null":
			cells[i] = pgCell{Null: true}
		case v[0] == '"':
			if bytes.IndexByte(v, '\\') < 0 {
				cells[i] = pgCell{Text: v[1 : len(v)-1]}
				continue
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, nil, errors.New("invalid JSON string in " + k)
			}
			cells[i] = pgCell{Text: []byte(s)}
		default:
			cells[i] = pgCell{Text: v}
		}
	}
	return names, cells, nil
}
