package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
	"github.com/vidbench/forensics/report"
)

func newReportCmd(e *env) *cobra.Command {
	var format, out, displayTZ, tz, since, until string
	var noRedact bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the post-incident report",
		Long: `report runs the detectors (read-only), reconstructs the timeline and writes
the playbook's post-incident report template, section by section, filled from
the case: Summary, Timeline, Root Cause (with its chain of evidence and refs),
Impact Assessment, Response Evaluation (measured facts), suggested Action
Items, and an appendix listing every evidence file with its sha256. Sections
only people can write are marked as blanks.

Passwords, tokens and keys found in the evidence are redacted unless
--no-redact; the case file keeps the raw evidence. Times follow --display-tz
(UTC by default, said in the header).

--format html writes the same report as one self-contained page (no script,
nothing fetched from the network: it opens on an offline laptop) with charts
on one shared time axis: errors per minute, API response time, GPU memory,
host memory and disk, database connections and lock waiters (whichever the
case has), the incident's phases shaded and its milestones marked.`,
		Example: `  forensics report --db case.duckdb -o report.md
  forensics report --db case.duckdb --format html -o report.html
  forensics report --db case.duckdb --display-tz Europe/Berlin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "markdown", "md", "html":
			default:
				return usageError("--format %q: use markdown or html", format)
			}
			loc, err := time.LoadLocation(displayTZ)
			if err != nil {
				return usageError("--display-tz %q: %v", displayTZ, err)
			}
			w, err := windowFlags(tz, since, until)
			if err != nil {
				return err
			}
			st, err := openRead(cmd.Context(), cmd, e)
			if err != nil {
				return err
			}
			defer st.Close()
			fs, err := runDetectors(cmd.Context(), st, w)
			if err != nil {
				return err
			}
			var doc []byte
			if format == "html" {
				doc, err = htmlReport(cmd.Context(), st, fs, nil, loc, noRedact)
			} else {
				doc, err = markdownReport(cmd.Context(), st, fs, nil, loc, noRedact)
			}
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = e.stdout.Write(doc)
				return err
			}
			if err := os.WriteFile(out, doc, 0o644); err != nil {
				return withHint(err, "check that the folder of -o exists and is writable")
			}
			fmt.Fprintf(e.stderr, "Report: %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "markdown", "output format: markdown or html")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the report to this file (default standard output)")
	cmd.Flags().StringVar(&displayTZ, "display-tz", "UTC", "zone in which the report shows times")
	cmd.Flags().BoolVar(&noRedact, "no-redact", false, "do not redact passwords, tokens and keys found in the evidence")
	cmd.Flags().StringVar(&since, "since", "", "look only at records at or after this time")
	cmd.Flags().StringVar(&until, "until", "", "look only at records before this time")
	cmd.Flags().StringVar(&tz, "tz", "UTC", "zone of --since/--until when they carry none")
	return cmd
}

// htmlReport builds the HTML report of the case with its charts; tl is
// built when nil.
func htmlReport(ctx context.Context, st *query.Store, fs []forensics.Finding, tl *report.Timeline, loc *time.Location, noRedact bool) ([]byte, error) {
	return buildReport(ctx, st, fs, tl, loc, noRedact, true)
}

// markdownReport builds the Markdown report of the case; tl is built when
// nil.
func markdownReport(ctx context.Context, st *query.Store, fs []forensics.Finding, tl *report.Timeline, loc *time.Location, noRedact bool) ([]byte, error) {
	return buildReport(ctx, st, fs, tl, loc, noRedact, false)
}

func buildReport(ctx context.Context, st *query.Store, fs []forensics.Finding, tl *report.Timeline, loc *time.Location, noRedact, html bool) ([]byte, error) {
	if tl == nil {
		var err error
		if tl, err = report.BuildTimeline(ctx, st.DB, fs); err != nil {
			return nil, err
		}
	}
	srcs, err := report.LoadSources(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	o := report.ReportOptions{TZ: loc, NoRedact: noRedact}
	var b bytes.Buffer
	if html {
		var cs *report.ChartSet
		if cs, err = report.LoadCharts(ctx, st.DB, tl); err != nil {
			return nil, err
		}
		err = report.WriteHTMLReport(&b, tl, fs, srcs, cs, o)
	} else {
		err = report.WriteMarkdownReport(&b, tl, fs, srcs, o)
	}
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
