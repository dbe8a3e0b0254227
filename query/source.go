package query

import (
	"context"
	"database/sql"

	"github.com/vidbench/forensics"
)

// Source returns the id of the file's source row (new or existing).
func (tx *FileTx) Source() int64 { return tx.SourceID }

// KnownSources returns every source already in the case, with its passes.
// A source written before schema version 8 has no head hash ("").
func (w *Writer) KnownSources(ctx context.Context) ([]forensics.SourceFile, error) {
	rows, err := w.conn.QueryContext(ctx, `SELECT id, kind, path, coalesce(sha256, ''), coalesce(head_sha256, ''), coalesce(bytes, 0), coalesce(lines, 0) FROM sources ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var out []forensics.SourceFile
	idx := map[int64]int{}
	for rows.Next() {
		var s forensics.SourceFile
		if err := rows.Scan(&s.ID, &s.Kind, &s.Path, &s.SHA256, &s.HeadSHA256, &s.Bytes, &s.Lines); err != nil {
			rows.Close()
			return nil, err
		}
		idx[s.ID] = len(out)
		out = append(out, s)
	}
	rows.Close()
	prow, err := w.conn.QueryContext(ctx, `SELECT source_id, from_byte, to_byte, from_line, to_line, since, "until" FROM source_passes ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer prow.Close()
	for prow.Next() {
		var sid int64
		var p forensics.Pass
		var since, until sql.NullTime
		if err := prow.Scan(&sid, &p.FromByte, &p.ToByte, &p.FromLine, &p.ToLine, &since, &until); err != nil {
			return nil, err
		}
		if since.Valid {
			p.Window.Since = since.Time.UTC()
		}
		if until.Valid {
			p.Window.Until = until.Time.UTC()
		}
		if i, ok := idx[sid]; ok {
			out[i].Passes = append(out[i].Passes, p)
		}
	}
	return out, prow.Err()
}
