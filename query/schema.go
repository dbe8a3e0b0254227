package query

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Column describes one column of a table or view.
type Column struct {
	Name, Type, Description string
}

// Relation is a table or view of the case database.
type Relation struct {
	Name, Kind, Description string
	Columns                 []Column
}

// Schema describes every table and view, from the comments the migrations
// attach to them and the column descriptions in column_docs.
func (s *Store) Schema(ctx context.Context) ([]Relation, error) {
	rows, err := s.DB.QueryContext(ctx, `
SELECT table_name, 'table', coalesce(comment, '') FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal AND table_name NOT LIKE 'forensics_batch_%'
UNION ALL
SELECT view_name, 'view', coalesce(comment, '') FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal AND view_name NOT LIKE 'forensics_batch_%'
ORDER BY 2, 1`)
	if err != nil {
		return nil, err
	}
	var rels []Relation
	idx := map[string]int{}
	for rows.Next() {
		var r Relation
		if err := rows.Scan(&r.Name, &r.Kind, &r.Description); err != nil {
			rows.Close()
			return nil, err
		}
		idx[r.Name] = len(rels)
		rels = append(rels, r)
	}
	rows.Close()
	// Column descriptions are rows of column_docs; files written before
	// that table existed hold them as catalog comments.
	q := `SELECT table_name, column_name, data_type, coalesce(comment, '') FROM duckdb_columns() WHERE schema_name = 'main' ORDER BY table_name, column_index`
	if _, ok := idx["column_docs"]; ok {
		q = `SELECT c.table_name, c.column_name, c.data_type, coalesce(d.description, c.comment, '')
FROM duckdb_columns() c LEFT JOIN column_docs d ON d.table_name = c.table_name AND d.column_name = c.column_name
WHERE c.schema_name = 'main' ORDER BY c.table_name, c.column_index`
	}
	crow, err := s.DB.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer crow.Close()
	for crow.Next() {
		var t string
		var c Column
		if err := crow.Scan(&t, &c.Name, &c.Type, &c.Description); err != nil {
			return nil, err
		}
		if i, ok := idx[t]; ok {
			rels[i].Columns = append(rels[i].Columns, c)
		}
	}
	return rels, crow.Err()
}

// WriteSchema renders the schema as text for people.
func WriteSchema(w io.Writer, rels []Relation) error {
	var b strings.Builder
	for _, r := range rels {
		fmt.Fprintf(&b, "%s %s — %s\n", r.Kind, r.Name, r.Description)
		width := 0
		for _, c := range r.Columns {
			width = max(width, len(c.Name)+len(c.Type)+1)
		}
		for _, c := range r.Columns {
			fmt.Fprintf(&b, "    %-*s  %s\n", width, c.Name+" "+c.Type, c.Description)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
