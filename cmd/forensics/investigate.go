package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
	"github.com/vidbench/forensics/report"
)

func newInvestigateCmd(e *env) *cobra.Command {
	o := &ingestOptions{}
	var displayTZ string
	cmd := &cobra.Command{
		Use:   "investigate CASE_DIR",
		Short: "Ingest a case folder and summarise the incident",
		Long: `investigate is the one command to run first: it ingests the case folder
into ./<case folder name>.duckdb (or --db), then prints a summary: the
sources, the time span, errors per minute around the worst minute, the
error templates that are new in the incident, the detectors' findings (root
cause first) and the incident timeline. Run it again after adding evidence:
files already ingested are not read twice.`,
		Example: `  forensics investigate ./case-2026-11-20
  forensics investigate ./case-2026-11-20 --tz Europe/Berlin --display-tz Europe/Berlin
  forensics investigate ./case --db /tmp/case.duckdb --since 2026-11-20T13:00:00Z`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			fi, err := os.Stat(dir)
			if err != nil {
				return withHint(err, "give the folder that holds the incident's evidence")
			}
			if !fi.IsDir() {
				return usageError("%s is not a folder: investigate takes a case folder (use 'forensics ingest' for single files)", dir)
			}
			tz, err := time.LoadLocation(displayTZ)
			if err != nil {
				return usageError("--display-tz %q: %v", displayTZ, err)
			}
			abs, _ := filepath.Abs(dir)
			name := strings.TrimSuffix(filepath.Base(abs), string(filepath.Separator))
			db := dbPath(cmd, e, name+".duckdb")
			res, err := ingestPaths(cmd.Context(), e, db, []string{dir}, o)
			if err != nil {
				return err
			}
			st, err := query.Open(cmd.Context(), db, query.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			sum, err := report.Summarise(cmd.Context(), st.DB)
			if err != nil {
				return err
			}
			report.WriteSummary(e.stdout, sum, tz, func(t time.Time) string { return query.FormatTime(t, tz) })
			fs, err := runDetectors(cmd.Context(), st, forensics.TimeRange{})
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "\nFindings (root cause first):")
			writeFindings(e.stdout, fs, tz, false)
			tl, err := report.BuildTimeline(cmd.Context(), st.DB, fs)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout)
			if err := report.WriteTimeline(e.stdout, tl, "table", tz); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "\nAsk your own questions: forensics query --db %s \"SELECT * FROM events ORDER BY ts LIMIT 50\"\n", db)
			if res.Partial() {
				return &exitError{code: exitPartial}
			}
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&displayTZ, "display-tz", "UTC", "zone in which the summary shows times")
	return cmd
}
