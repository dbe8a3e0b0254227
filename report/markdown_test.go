package report

import (
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

func TestMarkdownReportEscapesHostileText(t *testing.T) {
	ts := time.Date(2026, 11, 20, 14, 2, 11, 0, time.UTC)
	end := ts.Add(10 * time.Minute)
	hostile := "a | b `rm -rf` <script>alert(1)</script>\nsecond line\r\n| --- | injected |"
	tl := &Timeline{
		Incident: Incident{Found: true, Severity: forensics.P1, Start: &ts, Resolved: &end, ResolvedHeld: true, RootFinding: "f1",
			RootCause: hostile, Title: hostile, Services: []string{"svc|x"}},
		Events: []Event{{TS: ts, Phase: PhaseTrigger, Source: "logs", Text: hostile, Ref: "logs:1", Count: 1}},
	}
	fs := []forensics.Finding{{ID: "f1", Kind: forensics.KindLockContention, Severity: forensics.P1, Start: ts, End: end, Title: hostile, RootCause: hostile,
		Evidence: []forensics.Evidence{{TS: ts, Source: "logs", Ref: "logs:1", Text: hostile, Link: "first|link"}}}}
	srcs := []Source{{ID: 1, Kind: "applog", Path: "logs/a|b`<script>.log", SHA256: "abc", Rows: 3, First: &ts, Last: &end}}
	var b strings.Builder
	if err := WriteMarkdownReport(&b, tl, fs, srcs, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if strings.Contains(md, "<script>") {
		t.Error("raw <script> in the report")
	}
	if strings.Contains(md, "\nsecond line") || strings.Contains(md, "\n| --- | injected |") {
		t.Error("a newline from the evidence broke out of its cell or quote")
	}
	if strings.Contains(md, " `rm -rf`") {
		t.Error("unescaped backticks")
	}
	if !strings.Contains(md, "statement\\_timeout and lock\\_timeout") {
		t.Error("no action item for lock contention")
	}
	// each table row has as many cell separators as its header
	cols := -1
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = -1
			continue
		}
		n := 0
		for i := 0; i < len(line); i++ {
			if line[i] == '\\' {
				i++
			} else if line[i] == '|' {
				n++
			}
		}
		if cols < 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row with %d separators, header %d: %s", n, cols, line)
		}
	}
	for _, sec := range []string{"## Summary", "## Timeline", "## Root Cause", "## Impact Assessment", "## Response Evaluation", "## Action Items", "## Lessons Learned", "## Appendix: Evidence"} {
		if !strings.Contains(md, "\n"+sec+"\n") {
			t.Errorf("missing section %s", sec)
		}
	}
}
