package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/detectors"
	"github.com/vidbench/forensics/query"
	"github.com/vidbench/forensics/report"
)

type detectOptions struct {
	format    string
	explain   bool
	since     string
	until     string
	noRedact  bool
	tz        string
	displayTZ string
}

func newDetectCmd(e *env) *cobra.Command {
	o := &detectOptions{}
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Run the root-cause detectors on the case",
		Long: `detect runs every root-cause detector on the case database (read-only) and
prints the findings, root cause first: error spikes, GPU and host OOM chains,
outages and their causes (disk full, crash loop, dependency down), database
lock contention, slow queries and connection exhaustion, model load
failures, GPU faults and authentication failure bursts. Each finding lists its
evidence as refs (table:id) that resolve to rows of the case; --explain also
prints the SQL that lists a finding's evidence.

--format json prints the findings contract of DESIGN.md.`,
		Example: `  forensics detect --db case.duckdb
  forensics detect --format json > findings.json
  forensics detect --explain --since "2026-11-20 14:00" --until "2026-11-20 15:00"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format != "table" && o.format != "json" {
				return usageError("--format %q: use table or json", o.format)
			}
			st, err := openRead(cmd.Context(), cmd, e)
			if err != nil {
				return err
			}
			defer st.Close()
			w, err := windowFlags(o.tz, o.since, o.until)
			if err != nil {
				return err
			}
			fs, err := runDetectors(cmd.Context(), st, w)
			if err != nil {
				return err
			}
			if !o.noRedact {
				fs = report.RedactFindings(fs)
			}
			if o.format == "json" {
				return writeFindingsJSON(e.stdout, fs)
			}
			tz, err := time.LoadLocation(o.displayTZ)
			if err != nil {
				return usageError("--display-tz %q: %v", o.displayTZ, err)
			}
			writeFindings(e.stdout, fs, tz, o.explain)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table or json")
	cmd.Flags().BoolVar(&o.explain, "explain", false, "print each finding's evidence SQL")
	cmd.Flags().BoolVar(&o.noRedact, "no-redact", false, "show passwords, tokens and keys found in the evidence (redacted by default)")
	cmd.Flags().StringVar(&o.since, "since", "", "look only at records at or after this time")
	cmd.Flags().StringVar(&o.until, "until", "", "look only at records before this time")
	cmd.Flags().StringVar(&o.tz, "tz", "UTC", "zone of --since/--until when they carry none")
	cmd.Flags().StringVar(&o.displayTZ, "display-tz", "UTC", "zone in which times are shown (JSON is always UTC)")
	return cmd
}

func windowFlags(tz, since, until string) (forensics.TimeRange, error) {
	o := &ingestOptions{tz: tz, since: since, until: until}
	_, w, err := o.window()
	return w, err
}

func runDetectors(ctx context.Context, st *query.Store, w forensics.TimeRange) ([]forensics.Finding, error) {
	c, err := detectors.NewCase(ctx, st.DB, w)
	if err != nil {
		return nil, err
	}
	return detectors.Run(ctx, c, detectors.All())
}

func writeFindingsJSON(w io.Writer, fs []forensics.Finding) error {
	if fs == nil {
		fs = []forensics.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(fs)
}

func writeFindings(w io.Writer, fs []forensics.Finding, tz *time.Location, explain bool) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "No findings: no detector found anything abnormal in the case.")
		return
	}
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithRowMaxWidth(70))
	t.Header("id", "sev", "kind", "start", "end", "finding", "caused by")
	for _, f := range fs {
		t.Append(f.ID, string(f.Severity), f.Kind, query.FormatTime(f.Start, tz), query.FormatTime(f.End, tz), f.Title, strings.Join(f.CausedBy, ","))
	}
	t.Render()
	for _, f := range fs {
		fmt.Fprintf(w, "\n%s %s %s — %s\n", f.ID, f.Severity, f.Kind, f.Title)
		fmt.Fprintf(w, "  root cause: %s\n", f.RootCause)
		if imp, ok := f.Details["impact"].(string); ok && imp != "" {
			fmt.Fprintf(w, "  impact: %s\n", imp)
		}
		if imp, ok := f.Details["api_impact"].(string); ok && imp != "" {
			fmt.Fprintf(w, "  API: %s\n", imp)
		}
		for _, ev := range f.Evidence {
			link := ""
			if ev.Link != "" {
				link = "[" + ev.Link + "] "
			}
			fmt.Fprintf(w, "  %s  %-22s %s%s\n", query.FormatTime(ev.TS, tz), ev.Ref, link, oneLine(ev.Text, 140))
		}
		if explain {
			fmt.Fprintf(w, "  evidence SQL:\n    %s\n", strings.ReplaceAll(f.EvidenceSQL, "\n", "\n    "))
		}
	}
}

func oneLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = s[:n-1] + "…"
	}
	return s
}
