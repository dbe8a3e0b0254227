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
	var displayTZ, out string
	var noRedact bool
	cmd := &cobra.Command{
		Use:   "investigate CASE_DIR",
		Short: "Ingest a case folder and summarise the incident",
		Long: `investigate is the one command to run first: it ingests the case folder
into ./<case folder name>.duckdb (or --db), then prints a summary: the
sources, the time span, errors per minute around the worst minute, the
error templates that are new in the incident, the detectors' findings (root
cause first) and the incident timeline, and writes the post-incident report
as report.md and as report.html (with charts; it opens offline) into --out
(default ./<case folder name>-report/, never inside the case folder). Run it again after adding evidence:
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
			if out == "" {
				out = name + "-report"
			}
			if err := checkOutDir(abs, out); err != nil {
				return err
			}
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
			if noRedact {
				writeFindings(e.stdout, fs, tz, false)
			} else {
				writeFindings(e.stdout, report.RedactFindings(fs), tz, false)
			}
			tl, err := report.BuildTimeline(cmd.Context(), st.DB, fs)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout)
			shown := tl
			if !noRedact {
				shown = report.RedactTimeline(tl)
			}
			if err := report.WriteTimeline(e.stdout, shown, "table", tz); err != nil {
				return err
			}
			md, err := markdownReport(cmd.Context(), st, fs, tl, tz, noRedact)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			mdPath := filepath.Join(out, "report.md")
			if err := os.WriteFile(mdPath, md, 0o644); err != nil {
				return err
			}
			page, err := htmlReport(cmd.Context(), st, fs, tl, tz, noRedact)
			if err != nil {
				return err
			}
			htmlPath := filepath.Join(out, "report.html")
			if err := os.WriteFile(htmlPath, page, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "\nReport: %s\n        %s (charts; opens offline)\n", mdPath, htmlPath)
			fmt.Fprintf(e.stdout, "\nAsk your own questions: forensics query --db %s \"SELECT * FROM events ORDER BY ts LIMIT 50\"\n", db)
			if res.Partial() {
				return &exitError{code: exitPartial}
			}
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&displayTZ, "display-tz", "UTC", "zone in which the summary and the report show times")
	cmd.Flags().StringVar(&out, "out", "", "folder for report.md and report.html (default ./<case folder name>-report/; never inside the case folder)")
	cmd.Flags().BoolVar(&noRedact, "no-redact", false, "do not redact passwords, tokens and keys in the timeline and report")
	return cmd
}

// checkOutDir refuses an output folder inside the evidence folder caseAbs
// (or the evidence folder itself), following symbolic links where the
// folders exist.
func checkOutDir(caseAbs, out string) error {
	o, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	c := caseAbs
	if r, err := filepath.EvalSymlinks(c); err == nil {
		c = r
	}
	// resolve the deepest existing parent of out
	rest := ""
	p := o
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			o = filepath.Join(r, rest)
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
	rel, err := filepath.Rel(c, o)
	if err == nil && (rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))) {
		return usageError("--out %s is inside the evidence folder %s: the report must never be written into the evidence", out, caseAbs)
	}
	return nil
}
