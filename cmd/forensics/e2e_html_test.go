package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium. CI installs it (.ci/run), so there its
// absence is a failure; elsewhere the test is skipped with the reason.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed: .ci/run must install the Debian package chromium")
	}
	t.Skip("chromium is not installed (apt-get install chromium); the HTML report is not checked in a browser")
	return ""
}

// TestHTMLReportInChromium writes report.html for cases that between them
// have every kind of chart, opens each page in headless Chromium (no
// network, a fresh profile), and checks that it loaded with no console
// error, exception, refused or failed load, and no request leaving the
// file; that each expected chart is there; and that each chart's area on
// the screenshot holds drawn series (saturated pixels: axes and text are
// grey, the phase shading is pale).
func TestHTMLReportInChromium(t *testing.T) {
	bin := chromium(t)
	cases := []struct {
		name   string
		charts []string // hand-written: what each case's evidence has
	}{
		{"outage-disk-full", []string{"errors", "latency", "host"}},
		{"gpu-oom", []string{"errors", "latency", "gpu", "host"}},      // nvidia-smi and free captures
		{"db-lock", []string{"errors", "latency", "host", "database"}}, // node_exporter metrics in its Prometheus data
	}
	root := repoRoot(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			r := runBin(t, dir, nil, "investigate", "--no-progress", filepath.Join(root, "fixtures/cases", c.name), "--db", filepath.Join(dir, "c.duckdb"), "--out", out)
			if r.code != 0 {
				t.Fatalf("investigate: exit %d\n%s", r.code, r.stderr)
			}
			page := filepath.Join(out, "report.html")
			shot, boxes := renderInChromium(t, bin, page)
			if d := os.Getenv("FORENSICS_SCREENSHOT_DIR"); d != "" {
				_ = os.WriteFile(filepath.Join(d, c.name+".png"), shot, 0o644)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			for _, id := range c.charts {
				box, ok := boxes["chart-"+id]
				if !ok {
					t.Errorf("chart %s is not on the page (charts: %v)", id, keys(boxes))
					continue
				}
				if box.Dx() < 300 || box.Dy() < 100 {
					t.Errorf("chart %s is drawn %dx%d px: too small", id, box.Dx(), box.Dy())
				}
				if n := saturated(img, box); n < 20 { // one sample marker is about 20 px; a line, hundreds
					t.Errorf("chart %s: %d drawn (saturated) pixels in its area %v, want a plotted series", id, n, box)
				}
			}
			if len(boxes) != len(c.charts) {
				t.Errorf("the page has charts %v, want %v", keys(boxes), c.charts)
			}
		})
	}
}

// renderInChromium loads page and returns a full-page PNG screenshot and
// the box, in screenshot pixels, of every svg.chart element by id.
func renderInChromium(t *testing.T, bin, page string) ([]byte, map[string]image.Rectangle) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var mu sync.Mutex
	var problems []string
	report := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	listen := func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			report("exception: %s", ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				report("console %s", ev.Type)
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				report("log %s: %s", ev.Entry.Level, ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") && u != "about:blank" {
				report("request leaves the file: %s", u)
			}
		case *network.EventLoadingFailed:
			report("load failed: %s", ev.ErrorText)
		}
	}
	if err := chromedp.Listen(bctx, listen); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+page), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("chromium: load %s: %v", page, err)
	}
	title, err := chromedp.Run(bctx, chromedp.Title())
	if err != nil {
		t.Fatalf("chromium: title: %v", err)
	}
	type rect struct {
		ID                  string
		X, Y, Width, Height float64
	}
	rects, err := chromedp.Run(bctx, chromedp.Evaluate[[]rect](`Array.from(document.querySelectorAll('svg.chart')).map(e => {
		const r = e.getBoundingClientRect();
		return {ID: e.id, X: r.left + window.scrollX, Y: r.top + window.scrollY, Width: r.width, Height: r.height};
	})`))
	if err != nil {
		t.Fatalf("chromium: chart boxes: %v", err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("chromium: screenshot: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("%s: %s", filepath.Base(page), p)
	}
	if !strings.HasPrefix(title, "Incident Report:") {
		t.Errorf("page title %q: the page did not load", title)
	}
	boxes := map[string]image.Rectangle{}
	for _, r := range rects {
		boxes[r.ID] = image.Rect(int(r.X), int(r.Y), int(r.X+r.Width), int(r.Y+r.Height))
	}
	return shot, boxes
}

// saturated counts the pixels of img in box whose colour is strongly
// saturated: a drawn series (the palette's colours), not the white
// background, grey axes and text, or the pale phase shading.
func saturated(img image.Image, box image.Rectangle) int {
	n := 0
	box = box.Intersect(img.Bounds())
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, b)>>8, min(r, g, b)>>8
			if hi-lo >= 90 {
				n++
			}
		}
	}
	return n
}

func keys(m map[string]image.Rectangle) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
