package query

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkOpenNew measures the fixed cost every first ingest pays:
// creating a case file, from the embedded template (template.go) or by
// running every migration.
func BenchmarkOpenNew(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts Options
	}{{"template", Options{}}, {"migrations", Options{NoTemplate: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				s, err := Open(ctx, filepath.Join(dir, fmt.Sprintf("c%d.duckdb", i)), tc.opts)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
		})
	}
}
