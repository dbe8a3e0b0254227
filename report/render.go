package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
)

// TimelineFormats lists the formats of WriteTimeline.
var TimelineFormats = []string{"table", "markdown", "json", "jsonl", "csv"}

// WriteTimeline renders the timeline in format. Times in table and
// markdown follow tz (said in the header); json, jsonl and csv are UTC.
func WriteTimeline(w io.Writer, tl *Timeline, format string, tz *time.Location) error {
	if tz == nil {
		tz = time.UTC
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(tl)
	case "jsonl":
		enc := json.NewEncoder(w)
		if err := enc.Encode(map[string]any{"incident": tl.Incident}); err != nil {
			return err
		}
		for _, e := range tl.Events {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"ts", "phase", "source", "kind", "severity", "count", "last", "text", "ref"})
		for _, e := range tl.Events {
			last := ""
			if e.Count > 1 {
				last = e.Last.UTC().Format(time.RFC3339Nano)
			}
			cw.Write([]string{e.TS.UTC().Format(time.RFC3339Nano), e.Phase, e.Source, e.Kind, e.Severity, strconv.Itoa(e.Count), last, e.Text, e.Ref})
		}
		cw.Flush()
		return cw.Error()
	case "markdown", "md":
		return writeMarkdown(w, tl, tz)
	case "", "table":
		return writeTable(w, tl, tz)
	}
	return fmt.Errorf("unknown timeline format %q (use one of %s)", format, strings.Join(TimelineFormats, ", "))
}

func fmtTime(t time.Time, tz *time.Location) string {
	t = t.In(tz)
	s := t.Format("2006-01-02 15:04:05")
	if tz == time.UTC {
		return s + "Z"
	}
	return s + t.Format(" -07:00")
}

func fmtPtr(t *time.Time, tz *time.Location) string {
	if t == nil {
		return "—"
	}
	return fmtTime(*t, tz)
}

func fmtDur(s *int64) string {
	if s == nil {
		return "—"
	}
	return (time.Duration(*s) * time.Second).String()
}

// Summary lines shared by table and markdown.
func incidentLines(inc Incident, tz *time.Location) [][2]string {
	avail := "—"
	if inc.AvailabilityPct != nil {
		avail = strconv.FormatFloat(*inc.AvailabilityPct, 'f', 1, 64) + " %"
	}
	resolved := fmtPtr(inc.Resolved, tz)
	if inc.Resolved != nil && !inc.ResolvedHeld {
		resolved += " (not seen to hold: the evidence ends soon after)"
	}
	return [][2]string{
		{"Severity", string(inc.Severity)},
		{"Root cause", inc.RootCause + " (" + inc.RootFinding + ")"},
		{"Window", fmtTime(inc.Window[0], tz) + " → " + fmtTime(inc.Window[1], tz)},
		{"Start", fmtPtr(inc.Start, tz)},
		{"Detected", fmtPtr(inc.Detected, tz) + "  (TTD " + fmtDur(inc.TTD) + ")"},
		{"Responded", fmtPtr(inc.Responded, tz)},
		{"Mitigated", fmtPtr(inc.Mitigated, tz) + "  (TTM " + fmtDur(inc.TTM) + ")"},
		{"Resolved", resolved + "  (TTR " + fmtDur(inc.TTR) + ")"},
		{"Availability", avail},
		{"Failed requests", fmt.Sprintf("%d of %d", inc.FailedRequests, inc.Requests)},
		{"Users impacted", strconv.FormatInt(inc.UsersImpacted, 10)},
		{"Services", strings.Join(inc.Services, ", ")},
	}
}

func writeTable(w io.Writer, tl *Timeline, tz *time.Location) error {
	inc := tl.Incident
	if !inc.Found {
		fmt.Fprintf(w, "No incident found: %s.\n", inc.RootCause)
		return nil
	}
	fmt.Fprintf(w, "Incident (times in %s)\n", tz)
	for _, l := range incidentLines(inc, tz) {
		fmt.Fprintf(w, "  %-16s %s\n", l[0]+":", l[1])
	}
	fmt.Fprintln(w)
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithRowMaxWidth(90))
	t.Header("time", "phase", "what", "ref")
	for _, e := range tl.Events {
		t.Append(fmtTime(e.TS, tz), e.Phase, eventText(e, tz, 200), e.Ref)
	}
	return t.Render()
}

// eventText is an event's text, with its count when collapsed.
func eventText(e Event, tz *time.Location, n int) string {
	txt := forensics.FirstLine(e.Text, n)
	if e.Count > 1 {
		txt += fmt.Sprintf(" (×%d until %s)", e.Count, fmtTime(e.Last, tz)[11:19])
	}
	return txt
}

// MarkdownCell escapes text for one Markdown table cell (query's
// escaper: pipes, backticks, HTML and line breaks cannot break the table).
func MarkdownCell(s string) string { return query.MarkdownCell(s) }

func writeMarkdown(w io.Writer, tl *Timeline, tz *time.Location) error {
	var b strings.Builder
	inc := tl.Incident
	if !inc.Found {
		fmt.Fprintf(&b, "No incident found: %s.\n", MarkdownCell(inc.RootCause))
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "Times in %s.\n\n", tz)
	for _, l := range incidentLines(inc, tz) {
		fmt.Fprintf(&b, "- **%s**: %s\n", l[0], MarkdownCell(l[1]))
	}
	b.WriteString("\n| Time | Action |\n|------|--------|\n")
	for _, e := range tl.Events {
		fmt.Fprintf(&b, "| %s | %s |\n", fmtTime(e.TS, tz), MarkdownCell(phaseLabel(e.Phase)+eventText(e, tz, 240)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func phaseLabel(p string) string {
	if p == "" {
		return ""
	}
	return strings.ToUpper(p[:1]) + p[1:] + ": "
}
