// Command duckbase is the DuckDB baseline of the ingest benchmarks: it loads
// a log file into a table with DuckDB's own read_csv and regexp_extract,
// committed, so 'make bench' can put forensics beside what DuckDB alone
// does. Usage: duckbase app|access FILE DB
package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	_ "github.com/duckdb/duckdb-go/v2"
)

const lines = `read_csv('%s', columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '', header = false, auto_detect = false, strict_mode = false)`

var queries = map[string]string{
	"app": `CREATE TABLE logs AS SELECT
  try_strptime(regexp_extract(line, '^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})', 1), '%%Y-%%m-%%d %%H:%%M:%%S,%%g') AS ts,
  regexp_extract(line, '^\S+ \S+ ([A-Z]+) ', 1) AS level,
  regexp_extract(line, '^\S+ \S+ [A-Z]+ \[([^\]]+)\]', 1) AS logger,
  regexp_extract(line, '^\S+ \S+ [A-Z]+ \[[^\]]+\] (.*)$', 1) AS message
FROM ` + lines,
	"access": `CREATE TABLE http AS SELECT
  regexp_extract(line, '^(\S+)', 1) AS client,
  regexp_extract(line, '^\S+ \S+ (\S+)', 1) AS "user",
  try_strptime(regexp_extract(line, '\[([^\]]+)\]', 1), '%%d/%%b/%%Y:%%H:%%M:%%S %%z') AS ts,
  regexp_extract(line, '"(\S+) ', 1) AS method,
  regexp_extract(line, '"\S+ (\S+) ', 1) AS path,
  TRY_CAST(regexp_extract(line, '" (\d{3}) ', 1) AS SMALLINT) AS status,
  TRY_CAST(regexp_extract(line, '" \d{3} (\d+)', 1) AS BIGINT) AS bytes,
  regexp_extract(line, '"([^"]*)" \S*$', 1) AS user_agent,
  TRY_CAST(regexp_extract(line, 'response_time=([0-9.]+)', 1) AS DOUBLE) AS response_time_s
FROM ` + lines,
}

func main() {
	if len(os.Args) != 4 || queries[os.Args[1]] == "" {
		fmt.Fprintln(os.Stderr, "usage: duckbase app|access FILE DB")
		os.Exit(2)
	}
	db, err := sql.Open("duckdb", os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	q := fmt.Sprintf(queries[os.Args[1]], os.Args[2])
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var n int64
	table := map[string]string{"app": "logs", "access": "http"}[os.Args[1]]
	db.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
	fmt.Println(n, "rows")
}
