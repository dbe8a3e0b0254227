package main

import (
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vidbench/forensics/report"
)

func newTimelineCmd(e *env) *cobra.Command {
	var format, displayTZ, tz, since, until string
	var noRedact bool
	cmd := &cobra.Command{
		Use:   "timeline",
		Short: "Reconstruct the incident timeline",
		Long: `timeline runs the detectors (read-only) and reconstructs the incident around
the root-cause finding: its window, the milestones (start = first evidence of
the fault, detected = first firing alert, responded = first human action,
mitigated = first action that reduced impact, resolved = back to baseline and
holding), TTD/TTM/TTR, availability, users impacted, services, and the events
in order with their phase (trigger, impact, detection, response, recovery).
Repeated events collapse into one line with a count.

--format markdown prints the report's "| Time | Action |" table; json is the
contract of DESIGN.md (UTC); --display-tz changes only what people read.
Passwords, tokens and keys in event texts are redacted unless --no-redact.`,
		Example: `  forensics timeline --db case.duckdb
  forensics timeline --format markdown --display-tz Europe/Berlin >> report.md
  forensics timeline --format json | jq .incident`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(report.TimelineFormats, format) && format != "md" {
				return usageError("--format %q: use one of %s", format, strings.Join(report.TimelineFormats, ", "))
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
			tl, err := report.BuildTimeline(cmd.Context(), st.DB, fs)
			if err != nil {
				return err
			}
			if !noRedact {
				tl = report.RedactTimeline(tl)
			}
			return report.WriteTimeline(e.stdout, tl, format, loc)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, markdown, json, jsonl, csv")
	cmd.Flags().StringVar(&displayTZ, "display-tz", "UTC", "zone in which table and markdown show times")
	cmd.Flags().BoolVar(&noRedact, "no-redact", false, "do not redact passwords, tokens and keys found in the evidence")
	cmd.Flags().StringVar(&since, "since", "", "look only at records at or after this time")
	cmd.Flags().StringVar(&until, "until", "", "look only at records before this time")
	cmd.Flags().StringVar(&tz, "tz", "UTC", "zone of --since/--until when they carry none")
	return cmd
}
