package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Palette is the colour of each series of a chart, in order; the HTML
// legend uses the same colours.
var seriesColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
	{0xbc, 0xbd, 0x22, 0xff}, // olive
}

// phaseColors shade the incident's phases, in order; pale, so that a
// drawn line always stands out of the shading.
var phaseColors = []color.RGBA{
	{0xfd, 0xe0, 0xdd, 0xff}, // impact before detection: pale red
	{0xfe, 0xf0, 0xd9, 0xff}, // responding: pale orange
	{0xe5, 0xf5, 0xe0, 0xff}, // recovering: pale green
}

var milestoneColor = color.RGBA{0x44, 0x44, 0x44, 0xff}

// SeriesColor is the CSS colour of series i.
func SeriesColor(i int) string {
	c := seriesColors[i%len(seriesColors)]
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

// PhaseColor is the CSS colour of phase i.
func PhaseColor(i int) string {
	c := phaseColors[i%len(phaseColors)]
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

// Chart size in points (1 pt = 4/3 CSS px).
const (
	chartWidth  = vg.Length(720)
	chartHeight = vg.Length(170)
)

// RenderSVG draws each chart of cs as an SVG element (without the XML
// prolog, ready to inline in HTML). All charts share the time axis: the
// same range and the same left and right margins, so their data areas
// line up one above the other. Text in the SVG is only what this package
// writes (axis labels, tick labels, milestone names); series names stay
// out of it, in the HTML legend.
func RenderSVG(cs *ChartSet, tz *time.Location) ([]string, error) {
	if tz == nil {
		tz = time.UTC
	}
	plots := make([]*plot.Plot, len(cs.Charts))
	for i, c := range cs.Charts {
		p, err := newPlot(cs, c, tz, i == 0)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", c.ID, err)
		}
		plots[i] = p
	}
	// the widest left and right margins over the plots, so that every
	// data area spans the same x range
	full := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: chartWidth, Y: chartHeight}}}
	var left, right vg.Length
	for _, p := range plots {
		dc := p.DataCanvas(full)
		left = max(left, dc.Min.X-full.Min.X)
		right = max(right, full.Max.X-dc.Max.X)
	}
	out := make([]string, len(plots))
	for i, p := range plots {
		svg := vgsvg.New(chartWidth, chartHeight)
		c := draw.New(svg)
		dc := p.DataCanvas(c)
		c = draw.Crop(c, left-(dc.Min.X-c.Min.X), -(right - (c.Max.X - dc.Max.X)), 0, 0)
		p.Draw(c)
		var b bytes.Buffer
		if _, err := svg.WriteTo(&b); err != nil {
			return nil, fmt.Errorf("chart %s: %w", cs.Charts[i].ID, err)
		}
		out[i] = inlineSVG(b.String(), cs.Charts[i].ID)
	}
	return out, nil
}

// inlineSVG drops the XML prolog and comment, and gives the element an id
// and a class for the page's CSS.
func inlineSVG(s, id string) string {
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return strings.Replace(s, "<svg ", fmt.Sprintf(`<svg id="chart-%s" class="chart" role="img" `, id), 1)
}

func newPlot(cs *ChartSet, c Chart, tz *time.Location, labels bool) (*plot.Plot, error) {
	p := plot.New()
	p.X.Min = float64(cs.From.Unix())
	p.X.Max = float64(cs.To.Unix())
	format := "15:04"
	if cs.To.Sub(cs.From) > 36*time.Hour {
		format = "Jan 2 15:04"
	}
	p.X.Tick.Marker = timeTicks{format: format, tz: tz}
	p.X.Tick.Label.Font.Size = 8
	p.Y.Tick.Label.Font.Size = 8
	p.Y.Label.Text = c.YLabel
	p.Y.Label.TextStyle.Font.Size = 9
	p.Y.Tick.Marker = fixedTicks{}
	p.Add(plotter.NewGrid())
	p.Add(phases{cs.Phases})

	ymax := 0.0
	for i, s := range c.Series {
		if len(s.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.Points))
		for j, pt := range s.Points {
			xys[j].X = float64(pt.T.Unix())
			xys[j].Y = pt.V
			if !math.IsNaN(pt.V) && !math.IsInf(pt.V, 0) {
				ymax = max(ymax, pt.V)
			}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color = seriesColors[i%len(seriesColors)]
		l.Width = vg.Points(1.4)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		if len(xys) < 40 && !s.Dashed {
			// sparse samples (a few captures): mark each one, and a
			// single sample is still seen
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: l.Color, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
			p.Add(sc)
		}
	}
	p.Y.Min = 0
	switch {
	case c.Percent:
		p.Y.Max = 100
	case ymax <= 0:
		p.Y.Max = 1
	default:
		p.Y.Max = ymax * 1.08
	}
	p.Add(milestones{cs.Milestones, labels})
	return p, nil
}

// timeTicks put labelled ticks on round times (every 1, 2, 5, 10, 15 or
// 30 minutes, 1, 2, 3, 6 or 12 hours, or days) in the display zone, about
// eight over the axis, with an unlabelled tick between two labels.
type timeTicks struct {
	format string
	tz     *time.Location
}

var tickSteps = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour}

func (tt timeTicks) Ticks(min, max float64) []plot.Tick {
	span := time.Duration((max - min) * float64(time.Second))
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	lo := time.Unix(int64(math.Floor(min)), 0).In(tz(tt.tz))
	// round down to the step in the display zone (zone offsets that are
	// not whole hours still give round local times)
	_, off := lo.Zone()
	off64 := int64(off)
	first := (lo.Unix()+off64)/int64(step/time.Second)*int64(step/time.Second) - off64
	var ts []plot.Tick
	for t := first; float64(t) <= max; t += int64(step / time.Second) {
		if float64(t) >= min {
			ts = append(ts, plot.Tick{Value: float64(t), Label: time.Unix(t, 0).In(tz(tt.tz)).Format(tt.format)})
		}
		if mid := float64(t) + float64(step/time.Second)/2; mid >= min && mid <= max && step > time.Minute {
			ts = append(ts, plot.Tick{Value: mid})
		}
	}
	return ts
}

func tz(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}

// fixedTicks are the default Y ticks with labels padded to one width, so
// the left margin hardly varies between charts.
type fixedTicks struct{}

func (fixedTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = shortNumber(ts[i].Value)
		}
	}
	return ts
}

// shortNumber writes v with a k/M/G suffix when large.
func shortNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e4:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// phases shades the incident's phases across the data area.
type phases struct{ ps []Phase }

func (ph phases) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for i, f := range ph.ps {
		x0 := trX(math.Max(float64(f.From.Unix()), p.X.Min))
		x1 := trX(math.Min(float64(f.To.Unix()), p.X.Max))
		if x1 <= x0 {
			continue
		}
		c.FillPolygon(phaseColors[i%len(phaseColors)], []vg.Point{
			{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y},
		})
	}
}

// milestones draws a dashed vertical line at each milestone, with its name
// at the top when labels is set (the first chart).
type milestones struct {
	ms     []Milestone
	labels bool
}

func (m milestones) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	sty := draw.LineStyle{Color: milestoneColor, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
	var lastX vg.Length = -1e9
	row := 0
	for _, ms := range m.ms {
		v := float64(ms.T.Unix())
		if v < p.X.Min || v > p.X.Max {
			continue
		}
		x := trX(v)
		c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
		if !m.labels {
			continue
		}
		// labels closer than 60 pt step down a row so they do not overlap
		if x-lastX < 60 {
			row++
		} else {
			row = 0
		}
		lastX = x
		ts := p.X.Tick.Label
		ts.Font.Size = 7
		ts.Color = milestoneColor
		ts.XAlign = draw.XLeft
		ts.YAlign = draw.YTop
		c.FillText(ts, vg.Point{X: x + 2, Y: c.Max.Y - 2 - vg.Length(row)*9}, ms.Name)
	}
}
