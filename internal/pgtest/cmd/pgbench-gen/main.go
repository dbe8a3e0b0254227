// Command pgbench-gen writes the benchmark input of docs/PERFORMANCE.md:
// pg_stat_statements snapshots as psql's aligned \watch output.
//
//	go run ./internal/pgtest/cmd/pgbench-gen -snapshots 100 -statements 2000 > statements.txt
//	go run ./internal/pgtest/cmd/pgbench-gen -columns top > statements-top.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vidbench/forensics/internal/pgtest"
)

func main() {
	snaps := flag.Int("snapshots", 100, "snapshots (tables)")
	stmts := flag.Int("statements", 2000, "rows per snapshot")
	cols := flag.String("columns", "all", "all (SELECT *, PostgreSQL 15's 43 columns) or top ("+strings.Join(pgtest.TopColumns, ", ")+")")
	flag.Parse()
	columns := pgtest.StatementsColumns
	if *cols == "top" {
		columns = pgtest.TopColumns
	}
	start := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	err := pgtest.WriteStatementsWatchColumns(w, *snaps, *stmts, start, columns)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
