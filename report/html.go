package report

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/vidbench/forensics"
)

// WriteHTMLReport writes the same report as WriteMarkdownReport as one
// self-contained HTML page: inline CSS, the charts as inline SVG, no
// script, no font or image fetched from anywhere (a Content-Security-Policy
// forbids it), so it opens on an offline laptop. Every string from the
// evidence goes through html/template, which escapes it for its context:
// a log line holding <script> stays text. cs may be nil (no charts).
func WriteHTMLReport(w io.Writer, tl *Timeline, fs []forensics.Finding, srcs []Source, cs *ChartSet, o ReportOptions) error {
	tz, red := o.display()
	inc := tl.Incident
	d := htmlReport{TZ: tz.String(), NoRedact: o.NoRedact, Redacted: Redacted, Found: inc.Found}
	d.Title = red(inc.Title)
	if !inc.Found {
		d.Title = "no incident found"
	}
	when := fmtPtr(inc.Start, tz)
	if inc.Start != nil && inc.Resolved != nil {
		when += " → " + fmtTime(*inc.Resolved, tz)
	}
	services := "none identified"
	if len(inc.Services) > 0 {
		services = strings.Join(inc.Services, ", ")
	}
	d.Summary = [][2]string{
		{"Date/Time", when},
		{"Duration", duration(inc)},
		{"Severity", string(inc.Severity)},
		{"Services Affected", red(services)},
		{"Users Impacted", usersText(inc)},
	}
	d.Severity = string(inc.Severity)

	for _, e := range tl.Events {
		e.Text = red(e.Text)
		d.Events = append(d.Events, htmlEvent{Time: fmtTime(e.TS, tz), Phase: e.Phase, Action: eventText(e, tz, 400), Ref: e.Ref})
	}

	for i := range fs {
		f := fs[i]
		if f.ID == inc.RootFinding {
			r := &htmlFinding{ID: f.ID, Title: red(f.Title), Detector: f.Detector, Kind: f.Kind, Severity: string(f.Severity),
				Confidence: strconv.FormatFloat(f.Confidence, 'f', 2, 64), RootCause: red(f.RootCause)}
			for _, ev := range f.Evidence {
				link := ev.Link
				if link == "" {
					link = "evidence"
				}
				r.Evidence = append(r.Evidence, htmlEvidence{Time: fmtTime(ev.TS, tz), Link: red(link), Ref: ev.Ref, Text: red(ev.Text)})
			}
			d.Root = r
			continue
		}
		d.Others = append(d.Others, htmlFinding{ID: f.ID, Title: red(f.Title), Kind: f.Kind, Severity: string(f.Severity),
			Start: fmtTime(f.Start, tz), CausedBy: strings.Join(f.CausedBy, ", ")})
	}
	if d.Root == nil {
		d.NoRoot = "No finding with user impact: " + red(inc.RootCause) + "."
	}

	d.Impact = [][2]string{
		{"Service availability", availabilityText(inc)},
		{"Failed requests", failedText(inc)},
		{"User impact", red(usersText(inc) + "; services affected: " + services)},
	}
	d.Facts, d.Well, d.Improve = responseFacts(inc, tz), wentWell(inc, tz), toImprove(inc)
	for _, it := range actionItems(inc, fs) {
		d.Actions = append(d.Actions, red(it))
	}
	for _, s := range srcs {
		d.Sources = append(d.Sources, htmlSource{ID: s.ID, Path: red(s.Path), Kind: s.Kind, SHA256: s.SHA256, Rows: s.Rows, Rejects: s.Rejects,
			First: fmtPtr(s.First, tz), Last: fmtPtr(s.Last, tz), Status: s.Status})
	}

	if cs != nil {
		svgs, err := RenderSVG(cs, tz)
		if err != nil {
			return fmt.Errorf("report charts: %w", err)
		}
		d.Axis = fmtTime(cs.From, tz) + " → " + fmtTime(cs.To, tz)
		d.Step = cs.Step.String()
		for i, c := range cs.Charts {
			hc := htmlChart{ID: c.ID, Title: c.Title, About: c.About,
				// the SVG is drawn by gonum/plot from numbers and this
				// package's own labels; its text is escaped by vgsvg
				SVG: template.HTML(svgs[i])}
			for j, s := range c.Series {
				hc.Legend = append(hc.Legend, htmlLegend{Name: red(s.Name), Color: template.CSS(SeriesColor(j)), Dashed: s.Dashed})
			}
			d.Charts = append(d.Charts, hc)
		}
		d.Missing = cs.Missing
		for i, p := range cs.Phases {
			d.Phases = append(d.Phases, htmlLegend{Name: p.Name + " (" + fmtTime(p.From, tz) + " → " + fmtTime(p.To, tz) + ")", Color: template.CSS(PhaseColor(i))})
		}
		for _, m := range cs.Milestones {
			d.Milestones = append(d.Milestones, m.Name+" "+fmtTime(m.T, tz))
		}
	}
	return htmlTemplate.Execute(w, d)
}

type htmlReport struct {
	Title, TZ, Severity string
	NoRedact, Found     bool
	Redacted            string
	Summary             [][2]string
	Events              []htmlEvent
	Root                *htmlFinding
	NoRoot              string
	Others              []htmlFinding
	Impact              [][2]string
	Facts, Well         []string
	Improve, Actions    []string
	Sources             []htmlSource
	Charts              []htmlChart
	Missing             []string
	Axis, Step          string
	Phases              []htmlLegend
	Milestones          []string
}

type htmlEvent struct{ Time, Phase, Action, Ref string }

type htmlEvidence struct{ Time, Link, Ref, Text string }

type htmlFinding struct {
	ID, Title, Detector, Kind, Severity, Confidence, RootCause, Start, CausedBy string
	Evidence                                                                    []htmlEvidence
}

type htmlSource struct {
	ID                                      int64
	Path, Kind, SHA256, First, Last, Status string
	Rows, Rejects                           int64
}

type htmlChart struct {
	ID, Title, About string
	SVG              template.HTML
	Legend           []htmlLegend
}

type htmlLegend struct {
	Name   string
	Color  template.CSS
	Dashed bool
}

var htmlTemplate = template.Must(template.New("report").Parse(reportHTML))

// reportHTML is the page; html/template escapes every value for its context.
const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Incident Report: {{.Title}}</title>
<style>
body { font: 14px/1.45 -apple-system, "Segoe UI", "Liberation Sans", Arial, sans-serif; color: #222; margin: 0; background: #fff; }
main { max-width: 1000px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 3px; margin-top: 28px; }
h3 { font-size: 15px; margin-bottom: 4px; }
.meta { color: #555; font-size: 12px; }
.sev { display: inline-block; padding: 1px 8px; border-radius: 3px; background: #b00020; color: #fff; font-weight: bold; }
.sev-P2, .sev-P3 { background: #b26a00; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.t { white-space: nowrap; font-family: ui-monospace, "Liberation Mono", monospace; font-size: 12px; }
td.msg, blockquote, code { overflow-wrap: anywhere; white-space: pre-wrap; }
code, .ref { font-family: ui-monospace, "Liberation Mono", monospace; font-size: 12px; }
blockquote { margin: 2px 0 8px 16px; padding: 2px 8px; border-left: 3px solid #ccc; color: #333; font-family: ui-monospace, "Liberation Mono", monospace; font-size: 12px; }
.blank { background: #fff3cd; padding: 1px 6px; font-weight: bold; }
.phase-trigger, .phase-impact { color: #b00020; } .phase-detection { color: #b26a00; } .phase-response { color: #1f4fb4; } .phase-recovery { color: #2c7a2c; }
figure { margin: 12px 0 20px; }
figcaption { font-size: 12px; color: #444; }
svg.chart { display: block; width: 960px; height: 226.67px; max-width: 100%; }
.legend { font-size: 12px; margin: 2px 0; }
.legend span { margin-right: 14px; white-space: nowrap; }
.sw { display: inline-block; width: 18px; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: 4px; }
.sw.dashed { border-top-style: dashed; }
.box { display: inline-block; width: 14px; height: 10px; vertical-align: middle; margin-right: 4px; border: 1px solid #ccc; }
</style>
</head>
<body>
<main>
<h1>Incident Report: {{.Title}}</h1>
<p class="meta">Generated by <code>forensics report</code> from the case database. Times are in {{.TZ}}.
{{if .NoRedact}}Secrets were NOT redacted (--no-redact).{{else}}Passwords, tokens and keys found in the evidence are shown as <code>{{.Redacted}}</code>.{{end}}</p>

<h2 id="summary">Summary</h2>
<table class="kv">
{{range .Summary}}<tr><th>{{index . 0}}</th><td>{{if eq (index . 0) "Severity"}}<span class="sev sev-{{index . 1}}">{{index . 1}}</span>{{else}}{{index . 1}}{{end}}</td></tr>
{{end}}</table>

<h2 id="charts">Signals</h2>
{{if .Charts}}<p class="meta">All charts share one time axis: {{.Axis}}, one point per {{.Step}}.
{{if .Phases}}Shaded: {{range .Phases}}<span><span class="box" style="background: {{.Color}}"></span>{{.Name}}</span> {{end}}.{{end}}
{{if .Milestones}}Dashed lines: {{range $i, $m := .Milestones}}{{if $i}}, {{end}}{{$m}}{{end}}.{{end}}</p>
{{range .Charts}}<figure id="figure-{{.ID}}">
<h3>{{.Title}}</h3>
{{.SVG}}
<div class="legend">{{range .Legend}}<span><span class="sw{{if .Dashed}} dashed{{end}}" style="border-top-color: {{.Color}}"></span>{{.Name}}</span>{{end}}</div>
<figcaption>{{.About}}</figcaption>
</figure>
{{end}}{{else}}<p>No chart: the case has no time series to plot.</p>{{end}}
{{if .Missing}}<p class="meta">Not in this case: {{range $i, $m := .Missing}}{{if $i}}; {{end}}{{$m}}{{end}}.</p>{{end}}

<h2 id="timeline">Timeline</h2>
<table>
<tr><th>Time</th><th>Action</th></tr>
{{range .Events}}<tr><td class="t">{{.Time}}</td><td class="msg"><span class="phase-{{.Phase}}">[{{.Phase}}]</span> {{.Action}}{{if .Ref}} <span class="ref">({{.Ref}})</span>{{end}}</td></tr>
{{else}}<tr><td class="t">—</td><td>no events: no finding with user impact</td></tr>
{{end}}</table>

<h2 id="root-cause">Root Cause</h2>
{{with .Root}}<p><strong>{{.Title}}</strong> (finding <code>{{.ID}}</code>, detector {{.Detector}}, kind {{.Kind}}, severity {{.Severity}}, confidence {{.Confidence}})</p>
<p>{{.RootCause}}</p>
{{if .Evidence}}<p>Chain of evidence (each ref resolves to one row of the case: <code>forensics query "SELECT * FROM &lt;table&gt; WHERE id = &lt;id&gt;"</code>):</p>
<ol>
{{range .Evidence}}<li>{{.Time}} — {{.Link}} — ref <span class="ref">{{.Ref}}</span><blockquote>{{.Text}}</blockquote></li>
{{end}}</ol>{{end}}
{{else}}<p>{{.NoRoot}}</p>{{end}}
{{if .Others}}<p>Other findings (consequences and contributing factors):</p>
<table>
<tr><th>Finding</th><th>Severity</th><th>Kind</th><th>Start</th><th>Title</th><th>Caused by</th></tr>
{{range .Others}}<tr><td><code>{{.ID}}</code></td><td>{{.Severity}}</td><td>{{.Kind}}</td><td class="t">{{.Start}}</td><td class="msg">{{.Title}}</td><td>{{.CausedBy}}</td></tr>
{{end}}</table>{{end}}

<h2 id="impact">Impact Assessment</h2>
<ul>
{{range .Impact}}<li>{{index . 0}}: {{index . 1}}</li>
{{end}}<li>Business impact: <span class="blank">[TO BE FILLED IN BY THE TEAM]</span></li>
</ul>

<h2 id="response">Response Evaluation</h2>
<h3>Measured Facts</h3>
<ul>{{range .Facts}}<li>{{.}}</li>{{end}}</ul>
<h3>What Went Well</h3>
<ul>{{range .Well}}<li>{{.}}</li>{{end}}<li><span class="blank">[TO BE FILLED IN BY THE TEAM]</span></li></ul>
<h3>Areas for Improvement</h3>
<ul>{{range .Improve}}<li>{{.}}</li>{{end}}<li><span class="blank">[TO BE FILLED IN BY THE TEAM]</span></li></ul>

<h2 id="actions">Action Items</h2>
<table>
<tr><th>Item</th><th>Owner</th><th>Due Date</th><th>Status</th></tr>
{{range .Actions}}<tr><td class="msg">{{.}}</td><td><span class="blank">[TO BE FILLED IN BY THE TEAM]</span></td><td><span class="blank">[TO BE FILLED IN BY THE TEAM]</span></td><td>Proposed</td></tr>
{{else}}<tr><td><span class="blank">[TO BE FILLED IN BY THE TEAM]</span></td><td></td><td></td><td></td></tr>
{{end}}</table>

<h2 id="lessons">Lessons Learned</h2>
<p><span class="blank">[TO BE FILLED IN BY THE TEAM]</span></p>

<h2 id="evidence">Appendix: Evidence</h2>
<p>The report was built from these files (rows and rejects as ingested; first/last record time).</p>
<table>
<tr><th>#</th><th>Path</th><th>Kind</th><th>SHA-256</th><th>Rows</th><th>Rejects</th><th>First</th><th>Last</th><th>Status</th></tr>
{{range .Sources}}<tr><td>{{.ID}}</td><td class="msg">{{.Path}}</td><td>{{.Kind}}</td><td class="ref msg">{{.SHA256}}</td><td>{{.Rows}}</td><td>{{.Rejects}}</td><td class="t">{{.First}}</td><td class="t">{{.Last}}</td><td>{{.Status}}</td></tr>
{{else}}<tr><td>—</td><td colspan="8">no sources ingested</td></tr>
{{end}}</table>
</main>
</body>
</html>
`
