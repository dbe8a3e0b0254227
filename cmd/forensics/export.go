package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

func newExportCmd(e *env) *cobra.Command {
	var dir string
	var tables []string
	cmd := &cobra.Command{
		Use:   "export --parquet DIR",
		Short: "Export the case's tables and views as Parquet files",
		Long: `export writes every table of the case database (or those named with
--table, views included) as DIR/<name>.parquet, for tools that read Parquet
(pandas, Polars, Spark, another DuckDB). The case file is opened read-only.`,
		Example: `  forensics export --db case.duckdb --parquet ./case-parquet
  forensics export --parquet out --table logs --table events`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageError("--parquet DIR is required")
			}
			st, err := openRead(cmd.Context(), cmd, e)
			if err != nil {
				return err
			}
			defer st.Close()
			if len(tables) == 0 {
				res, err := st.Run(cmd.Context(), `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal ORDER BY 1`)
				if err != nil {
					return err
				}
				for _, r := range res.Rows {
					tables = append(tables, fmt.Sprint(r[0]))
				}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return withHint(err, "choose a folder you can write to")
			}
			known, err := st.Run(cmd.Context(), `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main'`)
			if err != nil {
				return err
			}
			ok := map[string]bool{}
			for _, r := range known.Rows {
				ok[fmt.Sprint(r[0])] = true
			}
			var rows int64
			for _, t := range tables {
				if !ok[t] {
					return usageError("no table or view %q in the case (see 'forensics schema')", t)
				}
				path := filepath.Join(dir, t+".parquet")
				q := fmt.Sprintf(`COPY (SELECT * FROM "%s") TO '%s' (FORMAT parquet)`, t, strings.ReplaceAll(path, "'", "''"))
				if _, err := st.DB.ExecContext(cmd.Context(), q); err != nil {
					return fmt.Errorf("export %s: %w", t, err)
				}
				var n int64
				if err := st.DB.QueryRowContext(cmd.Context(), fmt.Sprintf(`SELECT count(*) FROM "%s"`, t)).Scan(&n); err == nil {
					rows += n
				}
			}
			fmt.Fprintf(e.stdout, "Exported %d tables (%d rows) to %s\n", len(tables), rows, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "parquet", "", "folder to write <table>.parquet files into")
	cmd.Flags().StringArrayVar(&tables, "table", nil, "export only this table or view (repeatable)")
	return cmd
}
