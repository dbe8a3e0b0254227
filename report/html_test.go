package report

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// hostileReport is a report whose every evidence string is hostile: HTML,
// an attribute breakout, a CSS breakout, and secrets.
func hostileReport(t *testing.T, o ReportOptions) string {
	t.Helper()
	ts := time.Date(2026, 11, 20, 14, 2, 11, 0, time.UTC)
	det, mit, end := ts.Add(4*time.Minute), ts.Add(7*time.Minute), ts.Add(10*time.Minute)
	hostile := `<script>alert(1)</script> "><img src=x onerror=alert(2)> </style><b>x</b> ` +
		`postgres://bench:S3cretPw0rd@db:5432/vid Authorization: Bearer tok3nValue12345`
	tl := &Timeline{
		Incident: Incident{Found: true, Severity: forensics.P1, Start: &ts, Detected: &det, Mitigated: &mit, Resolved: &end, ResolvedHeld: true,
			RootFinding: "f1", RootCause: hostile, Title: hostile, Services: []string{hostile},
			Window: [2]time.Time{ts.Add(-10 * time.Minute), end.Add(20 * time.Minute)}},
		Events: []Event{{TS: ts, Phase: PhaseTrigger, Source: "logs", Text: hostile, Ref: "logs:1", Count: 1}},
	}
	fs := []forensics.Finding{
		{ID: "f1", Kind: forensics.KindLockContention, Severity: forensics.P1, Start: ts, End: end, Title: hostile, RootCause: hostile,
			Evidence: []forensics.Evidence{{TS: ts, Source: "logs", Ref: "logs:1", Text: hostile, Link: hostile}}},
		{ID: "f2", Kind: forensics.KindErrorSpike, Severity: forensics.P2, Start: ts, End: end, Title: hostile, CausedBy: []string{"f1"}},
	}
	srcs := []Source{{ID: 1, Kind: "applog", Path: "logs/" + hostile + ".log", SHA256: "abc", Rows: 3, First: &ts, Last: &end}}
	cs := &ChartSet{From: tl.Incident.Window[0], To: tl.Incident.Window[1], Step: time.Minute,
		Charts: []Chart{{ID: "errors", Title: "Errors per minute", YLabel: "per minute", Series: []Series{
			{Name: hostile, Points: []Point{{ts, 1}, {ts.Add(time.Minute), 30}, {end, 0}}},
		}}}}
	cs.Milestones, cs.Phases = marks(tl.Incident)
	var b strings.Builder
	if err := WriteHTMLReport(&b, tl, fs, srcs, cs, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLReportEscapesHostileText(t *testing.T) {
	for _, noRedact := range []bool{false, true} {
		page := hostileReport(t, ReportOptions{NoRedact: noRedact})
		low := strings.ToLower(page)
		for _, bad := range []string{"<script", "<img", "</style><b>", `"><img`} {
			if strings.Contains(low, bad) {
				t.Errorf("noRedact=%v: the page holds %q from the evidence", noRedact, bad)
			}
		}
		if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("noRedact=%v: the hostile text is not shown as text", noRedact)
		}
		// nothing is fetched: no src/href attribute, and a CSP forbids it
		if regexp.MustCompile(`(?i)\s(src|href)\s*=`).MatchString(strings.ReplaceAll(page, "&#34;&gt;&lt;img src=x", "")) {
			t.Errorf("noRedact=%v: the page references another resource", noRedact)
		}
		if !strings.Contains(page, `Content-Security-Policy" content="default-src 'none'`) {
			t.Error("no Content-Security-Policy")
		}
		for _, s := range []string{"S3cretPw0rd", "tok3nValue12345"} {
			if got := strings.Contains(page, s); got != noRedact {
				t.Errorf("noRedact=%v: secret %q shown = %v", noRedact, s, got)
			}
		}
	}
}

func TestHTMLReportSections(t *testing.T) {
	page := hostileReport(t, ReportOptions{TZ: time.FixedZone("UTC+2", 2*3600)})
	// the playbook template's sections, in order, then the appendix
	last := -1
	for _, h := range []string{">Summary<", ">Timeline<", ">Root Cause<", ">Impact Assessment<", ">Response Evaluation<", ">Action Items<", ">Lessons Learned<", ">Appendix: Evidence<"} {
		i := strings.Index(page, h)
		if i < 0 {
			t.Errorf("section %s missing", h)
			continue
		}
		if i < last {
			t.Errorf("section %s out of order", h)
		}
		last = i
	}
	if text := html.UnescapeString(page); !strings.Contains(text, "Times are in UTC+2") || !strings.Contains(text, "16:02:11 +02:00") {
		t.Error("the display zone is not used")
	}
	if n := strings.Count(page, `<svg id="chart-errors" class="chart"`); n != 1 {
		t.Errorf("%d errors charts, want 1", n)
	}
	if strings.Contains(page, "<?xml") {
		t.Error("the inline SVG keeps its XML prolog")
	}
	for _, want := range []string{"impact before detection", "responding", "mitigated, recovering", "TO BE FILLED IN BY THE TEAM"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestMarks(t *testing.T) {
	at := func(m int) *time.Time { v := time.Date(2026, 1, 1, 0, m, 0, 0, time.UTC); return &v }
	cases := []struct {
		name   string
		inc    Incident
		phases []string // name@from-to minutes
		marks  int
	}{
		{"all milestones", Incident{Found: true, Start: at(0), Detected: at(4), Responded: at(5), Mitigated: at(8), Resolved: at(10)},
			[]string{"impact before detection@0-4", "responding@4-8", "mitigated, recovering@8-10"}, 5},
		{"no alert: response starts with the first human action", Incident{Found: true, Start: at(0), Responded: at(6), Mitigated: at(8), Resolved: at(10)},
			[]string{"impact before detection@0-6", "responding@6-8", "mitigated, recovering@8-10"}, 4},
		{"not resolved: up to the window's end", Incident{Found: true, Start: at(0), Detected: at(3), Window: [2]time.Time{*at(-10), *at(30)}},
			[]string{"impact before detection@0-3", "responding@3-30"}, 2},
		{"alert after the mitigation", Incident{Found: true, Start: at(0), Detected: at(9), Mitigated: at(8), Resolved: at(10)},
			[]string{"impact before detection@0-8", "mitigated, recovering@8-10"}, 4},
		{"no incident", Incident{}, nil, 0},
	}
	for _, c := range cases {
		ms, ps := marks(c.inc)
		var got []string
		for _, p := range ps {
			got = append(got, p.Name+"@"+strconv.Itoa(int(p.From.Sub(*at(0)).Minutes()))+"-"+strconv.Itoa(int(p.To.Sub(*at(0)).Minutes())))
		}
		if strings.Join(got, ",") != strings.Join(c.phases, ",") {
			t.Errorf("%s: phases %v, want %v", c.name, got, c.phases)
		}
		if len(ms) != c.marks {
			t.Errorf("%s: %d milestones, want %d", c.name, len(ms), c.marks)
		}
	}
}

func TestChartStepAndTicks(t *testing.T) {
	for _, c := range []struct {
		span time.Duration
		want time.Duration
	}{{time.Hour, time.Minute}, {10 * time.Hour, time.Minute}, {11 * time.Hour, 5 * time.Minute}, {3 * 24 * time.Hour, 15 * time.Minute}, {30 * 24 * time.Hour, 2 * time.Hour}} {
		if got := chartStep(c.span); got != c.want {
			t.Errorf("chartStep(%v) = %v, want %v", c.span, got, c.want)
		}
	}
	from := time.Date(2026, 11, 20, 13, 52, 11, 0, time.UTC)
	tt := timeTicks{format: "15:04", tz: time.FixedZone("IST", 5*3600+1800)}
	var labels []string
	for _, tk := range tt.Ticks(float64(from.Unix()), float64(from.Add(70*time.Minute).Unix())) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	// every 10 minutes on round local times in a half-hour zone
	if got := strings.Join(labels, " "); got != "19:30 19:40 19:50 20:00 20:10 20:20 20:30" {
		t.Errorf("ticks: %s", got)
	}
}
