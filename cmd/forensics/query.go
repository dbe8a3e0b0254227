package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vidbench/forensics/query"
)

type queryOptions struct {
	file      string
	format    string
	displayTZ string
}

func newQueryCmd(e *env) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query [SQL]",
		Short: "Run SQL on the case database (read-only)",
		Long: `query runs DuckDB SQL on the case database, opened read-only, and prints
the result. The SQL comes from the argument, from -f FILE, or from standard
input ('-' or no argument with piped input). See 'forensics schema' for the
tables and views: logs, http_requests, events, errors_per_minute, sources,
rejects, templates, ...`,
		Example: `  forensics query "SELECT level, count(*) FROM logs GROUP BY ALL ORDER BY 2 DESC"
  forensics query --format csv "SELECT * FROM errors_per_minute ORDER BY minute" > epm.csv
  forensics query -f top-errors.sql --format markdown
  echo "SELECT * FROM events ORDER BY ts LIMIT 20" | forensics query -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(query.Formats, o.format) && o.format != "md" {
				return usageError("--format %q: use one of %s", o.format, strings.Join(query.Formats, ", "))
			}
			tz, err := time.LoadLocation(o.displayTZ)
			if err != nil {
				return usageError("--display-tz %q: %v", o.displayTZ, err)
			}
			var sqlText string
			switch {
			case o.file != "":
				b, err := os.ReadFile(o.file)
				if err != nil {
					return withHint(err, "check the path given to -f")
				}
				sqlText = string(b)
			case len(args) == 1 && args[0] != "-":
				sqlText = args[0]
			default:
				if len(args) == 0 {
					if f, ok := e.stdin.(*os.File); ok {
						if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
							return usageError("no SQL given: pass it as an argument, with -f FILE, or on standard input")
						}
					}
				}
				b, err := io.ReadAll(e.stdin)
				if err != nil {
					return err
				}
				sqlText = string(b)
			}
			if strings.TrimSpace(sqlText) == "" {
				return usageError("the SQL is empty")
			}
			st, err := openRead(cmd.Context(), cmd, e)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := st.Run(cmd.Context(), sqlText)
			if err != nil {
				return err
			}
			if err := query.Write(e.stdout, res, o.format, tz); err != nil {
				return fmt.Errorf("write result: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&o.file, "file", "f", "", "read the SQL from this file")
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table, csv, json, markdown")
	cmd.Flags().StringVar(&o.displayTZ, "display-tz", "UTC", "zone in which table and markdown output show times (csv and json are always UTC)")
	return cmd
}

func newSourcesCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "List the evidence files in the case database",
		Long: `sources lists every ingested file with its kind, sha256 (of the decompressed
content), rows, rejected lines and time span, then any file that was skipped
or could not be read, with the reason.`,
		Example: `  forensics sources --db case.duckdb
  forensics sources --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openRead(cmd.Context(), cmd, e)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := st.Run(cmd.Context(), `SELECT id, kind, path, left(sha256, 12) AS sha256, bytes, rows, continuations AS folded, rejects, filtered,
				first_ts, last_ts, status FROM sources ORDER BY path`)
			if err != nil {
				return err
			}
			if err := query.Write(e.stdout, res, format, time.UTC); err != nil {
				return err
			}
			if format == "table" {
				iss, err := st.Run(cmd.Context(), `SELECT DISTINCT ON (path, problem) severity, path, problem FROM ingest_issues ORDER BY path`)
				if err == nil && len(iss.Rows) > 0 {
					fmt.Fprintln(e.stdout, "\nFiles skipped or read only in part:")
					return query.Write(e.stdout, iss, "table", time.UTC)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv, json, markdown")
	return cmd
}

func newSchemaCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Describe every table and view of the case database",
		Long:  "schema prints every table and view with a one-line description of each column.",
		Example: `  forensics schema --db case.duckdb
  forensics schema | less`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openRead(cmd.Context(), cmd, e)
			if err != nil {
				return err
			}
			defer st.Close()
			rels, err := st.Schema(cmd.Context())
			if err != nil {
				return err
			}
			return query.WriteSchema(e.stdout, rels)
		},
	}
}

func newMigrateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "migrate",
		Short:   "Upgrade a case database written by an older forensics",
		Example: `  forensics migrate --db old-case.duckdb`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db := dbPath(cmd, e, "forensics.duckdb")
			if _, err := os.Stat(db); err != nil {
				return withHint(err, "point --db at an existing case file")
			}
			st, err := query.Open(cmd.Context(), db, query.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := st.Version(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s is at schema version %d.\n", db, v)
			return nil
		},
	}
}
