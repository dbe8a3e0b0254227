package query

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkOpenNew measures the fixed cost every first ingest pays: creating
// a case file and running every migration.
func BenchmarkOpenNew(b *testing.B) {
	dir := b.TempDir()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		s, err := Open(ctx, filepath.Join(dir, fmt.Sprintf("c%d.duckdb", i)), Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
