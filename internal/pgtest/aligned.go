package pgtest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteAligned writes a table as psql prints it in its default aligned
// format (border 1): an optional title centred over the table followed by
// a blank line (as \watch prints it), the header centred in each column,
// the rule, the rows (right-aligned where right[i]; values with newlines
// continue on the next lines with a '+' at the end of the column), and
// the "(N rows)" footer with a blank line after it. NULL is "".
func WriteAligned(w io.Writer, title string, header []string, rows [][]string, right []bool) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	n := len(header)
	width := make([]int, n)
	for i, h := range header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, v := range r {
			for _, part := range strings.Split(v, "\n") {
				width[i] = max(width[i], utf8.RuneCountInString(part))
			}
		}
	}
	total := 0
	for _, wd := range width {
		total += wd + 3
	}
	total--
	if title != "" {
		tw := utf8.RuneCountInString(title)
		if tw >= total {
			fmt.Fprintf(bw, "%s\n\n", title)
		} else {
			fmt.Fprintf(bw, "%s%s\n\n", strings.Repeat(" ", (total-tw)/2), title)
		}
	}
	for i, h := range header {
		if i > 0 {
			bw.WriteString("|")
		}
		hw := utf8.RuneCountInString(h)
		lead := (width[i] - hw) / 2
		bw.WriteString(" " + strings.Repeat(" ", lead) + h + strings.Repeat(" ", width[i]-hw-lead) + " ")
	}
	bw.WriteString("\n")
	for i := range header {
		if i > 0 {
			bw.WriteString("+")
		}
		bw.WriteString(strings.Repeat("-", width[i]+2))
	}
	bw.WriteString("\n")
	for _, r := range rows {
		parts := make([][]string, n)
		lines := 1
		for i, v := range r {
			parts[i] = strings.Split(v, "\n")
			lines = max(lines, len(parts[i]))
		}
		for l := 0; l < lines; l++ {
			var sb strings.Builder
			for i := range header {
				if i > 0 {
					sb.WriteString("|")
				}
				v := ""
				if l < len(parts[i]) {
					v = parts[i][l]
				}
				more := l < len(parts[i])-1
				vw := utf8.RuneCountInString(v)
				last := i == n-1
				sb.WriteString(" ")
				switch {
				case right[i]:
					sb.WriteString(strings.Repeat(" ", width[i]-vw) + v)
				case last && !more:
					sb.WriteString(v)
				default:
					sb.WriteString(v + strings.Repeat(" ", width[i]-vw))
				}
				switch {
				case more:
					sb.WriteString("+")
				case !last:
					sb.WriteString(" ")
				}
			}
			bw.WriteString(sb.String())
			bw.WriteString("\n")
		}
	}
	if len(rows) == 1 {
		bw.WriteString("(1 row)\n\n")
	} else {
		fmt.Fprintf(bw, "(%d rows)\n\n", len(rows))
	}
	return bw.Flush()
}

// StatementsColumns are pg_stat_statements' columns in PostgreSQL 15
// (extension 1.10), as SELECT * prints them.
var StatementsColumns = []string{"userid", "dbid", "toplevel", "queryid", "query", "plans", "total_plan_time",
	"min_plan_time", "max_plan_time", "mean_plan_time", "stddev_plan_time", "calls", "total_exec_time",
	"min_exec_time", "max_exec_time", "mean_exec_time", "stddev_exec_time", "rows", "shared_blks_hit",
	"shared_blks_read", "shared_blks_dirtied", "shared_blks_written", "local_blks_hit", "local_blks_read",
	"local_blks_dirtied", "local_blks_written", "temp_blks_read", "temp_blks_written", "blk_read_time",
	"blk_write_time", "temp_blk_read_time", "temp_blk_write_time", "wal_records", "wal_fpi", "wal_bytes",
	"jit_functions", "jit_generation_time", "jit_inlining_count", "jit_inlining_time", "jit_optimization_count",
	"jit_optimization_time", "jit_emission_count", "jit_emission_time"}

// TopColumns are the columns of a focused capture of pg_stat_statements
// (what an interval cost, per statement, and the text).
var TopColumns = []string{"userid", "dbid", "queryid", "calls", "total_exec_time", "mean_exec_time", "rows",
	"shared_blks_hit", "shared_blks_read", "query"}

// WriteStatementsWatch writes snapshots x statements rows of
// pg_stat_statements (PostgreSQL 15 columns) as `SELECT * FROM
// pg_stat_statements` under `\watch 5` prints them in the C locale: each
// table under its title line. Queries are 40 to 400 characters, one in ten
// spans several lines; counters grow from snapshot to snapshot, and one
// statement in a hundred is reset halfway. The output is deterministic.
func WriteStatementsWatch(w io.Writer, snapshots, statements int, start time.Time) error {
	return WriteStatementsWatchColumns(w, snapshots, statements, start, StatementsColumns)
}

// WriteStatementsWatchColumns is WriteStatementsWatch for a SELECT of the
// given columns (a subset of StatementsColumns, in any order).
func WriteStatementsWatchColumns(w io.Writer, snapshots, statements int, start time.Time, columns []string) error {
	index := make([]int, len(columns))
	for i, c := range columns {
		index[i] = -1
		for j, s := range StatementsColumns {
			if s == c {
				index[i] = j
			}
		}
		if index[i] < 0 {
			return fmt.Errorf("no column %s", c)
		}
	}
	rng := rand.New(rand.NewPCG(4, 20))
	type stmt struct {
		queryid            int64
		query              string
		calls, rows, hit   int64
		exec, plan         float64
		callRate, meanTime float64
	}
	words := []string{"SELECT", "id", "state", "payload", "FROM", "jobs", "WHERE", "created_at", ">", "$1", "AND",
		"model", "=", "$2", "ORDER", "BY", "LIMIT", "$3", "JOIN", "runs", "ON", "runs.job_id", "jobs.id", "count(*)",
		"UPDATE", "SET", "RETURNING", "benchmark_results", "gpu_mem_mib", "latency_ms", "GROUP", "coalesce(x,", "0)"}
	st := make([]stmt, statements)
	for i := range st {
		n := 40 + rng.IntN(361)
		var sb strings.Builder
		for sb.Len() < n {
			if sb.Len() > 0 {
				if rng.IntN(10) == 0 && i%10 == 0 {
					sb.WriteString("\n  ")
				} else {
					sb.WriteString(" ")
				}
			}
			sb.WriteString(words[rng.IntN(len(words))])
		}
		q := sb.String()
		if len(q) > n {
			q = strings.TrimRight(q[:n], " \n")
		}
		st[i] = stmt{queryid: int64(rng.Uint64()), query: q, callRate: float64(1 + rng.IntN(50)), meanTime: 0.01 + rng.Float64()*50}
	}
	right := make([]bool, len(columns))
	for i, c := range columns {
		right[i] = c != "query" && c != "toplevel"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	d := func(v int64) string { return strconv.FormatInt(v, 10) }
	for s := 0; s < snapshots; s++ {
		ts := start.Add(time.Duration(s) * 5 * time.Second)
		rows := make([][]string, 0, statements)
		for i := range st {
			x := &st[i]
			if s == snapshots/2 && i%100 == 0 {
				x.calls, x.exec, x.rows, x.hit, x.plan = 0, 0, 0, 0, 0
			}
			c := int64(x.callRate * (0.5 + rng.Float64()))
			x.calls += c
			x.exec += float64(c) * x.meanTime * (0.5 + rng.Float64())
			x.rows += c * int64(1+i%7)
			x.hit += c * 3
			x.plan += float64(c) * 0.01
			mean := 0.0
			if x.calls > 0 {
				mean = x.exec / float64(x.calls)
			}
			all := []string{"10", "16432", "t", d(x.queryid), x.query, d(x.calls), f(x.plan),
				f(0.004), f(0.9), f(0.01), f(0.002), d(x.calls), f(x.exec), f(x.meanTime * 0.2), f(x.meanTime * 3.1),
				f(mean), f(x.meanTime * 0.7), d(x.rows), d(x.hit), d(x.calls / 10), "0", "0", "0", "0", "0", "0", "0", "0",
				"0", "0", "0", "0", d(x.calls / 3), "0", d(x.calls * 120), "0", "0", "0", "0", "0", "0", "0", "0"}
			row := make([]string, len(columns))
			for i, j := range index {
				row[i] = all[j]
			}
			rows = append(rows, row)
		}
		title := ts.UTC().Format(time.ANSIC) + " (every 5s)"
		if err := WriteAligned(w, title, columns, rows, right); err != nil {
			return err
		}
	}
	return nil
}
