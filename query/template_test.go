package query

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateTemplate = flag.Bool("update-template", false, "rewrite query/template/case.duckdb.gz from the migrations")

// TestCaseTemplate checks that the embedded case template has exactly the
// schema the migrations make, and that a case file made from it is a
// working, writable case file.
func TestCaseTemplate(t *testing.T) {
	ctx := context.Background()
	if *updateTemplate {
		if err := WriteTemplate(ctx, filepath.Join("template", "case.duckdb.gz")); err != nil {
			t.Fatal(err)
		}
		t.Skip("template rewritten; run again without -update-template")
	}
	dir := t.TempDir()
	// the migrated file is closed and opened again, so that both dumps show
	// the definitions as DuckDB reads them back from a file
	mp := filepath.Join(dir, "migrated.duckdb")
	migrated, err := Open(ctx, mp, Options{NoTemplate: true})
	if err != nil {
		t.Fatal(err)
	}
	migrated.Close()
	if migrated, err = Open(ctx, mp, Options{ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	defer migrated.Close()
	now := time.Date(2026, 11, 26, 21, 0, 0, 0, time.UTC)
	copied, err := Open(ctx, filepath.Join(dir, "copied.duckdb"), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	want, err := SchemaDump(ctx, migrated.DB)
	if err != nil {
		t.Fatal(err)
	}
	got, err := SchemaDump(ctx, copied.DB)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("the case template differs from the migrations: run 'make template' (go test ./query -run TestCaseTemplate -update-template)\n%s", lineDiff(got, want))
	}
	var applied time.Time
	if err := copied.DB.QueryRowContext(ctx, `SELECT min(applied_at) FROM schema_migrations`).Scan(&applied); err != nil || !applied.Equal(now) {
		t.Errorf("applied_at %v (%v), want the time the file was made", applied, err)
	}
	// it takes rows like any case file
	if _, err := copied.DB.ExecContext(ctx, `INSERT INTO notes VALUES (1, 1, 1, 'x')`); err != nil {
		t.Errorf("write to a file made from the template: %v", err)
	}
}

// TestTemplateNeverOverwrites: an existing file, or a WAL left beside a
// missing one, is opened as it is.
func TestTemplateNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.duckdb")
	os.WriteFile(p, []byte("not a database"), 0o644)
	if made, err := createFromTemplate(p); made || err != nil {
		t.Errorf("over an existing file: made %v, %v", made, err)
	}
	if b, _ := os.ReadFile(p); string(b) != "not a database" {
		t.Error("existing file changed")
	}
	q := filepath.Join(dir, "y.duckdb")
	os.WriteFile(q+".wal", []byte("wal"), 0o644)
	if made, err := createFromTemplate(q); made || err != nil {
		t.Errorf("beside a WAL: made %v, %v", made, err)
	}
	if made, err := createFromTemplate(filepath.Join(dir, "z.duckdb")); !made || err != nil {
		t.Errorf("new file: made %v, %v", made, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 { // x, y.wal, z, and no temporary file left
		t.Errorf("files left: %v", ents)
	}
}

// lineDiff lists the lines only in the template (-) or only in the
// migrated file (+).
func lineDiff(got, want string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var b strings.Builder
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
