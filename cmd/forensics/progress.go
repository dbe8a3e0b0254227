package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vidbench/forensics/ingest"
)

// progress draws an ingest progress bar (bytes, rows/s, ETA) on a terminal.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	start time.Time
	rows  int64
}

// newProgress returns a progress bar on w when w is a terminal, else nil:
// piped or redirected output stays clean.
func newProgress(w io.Writer) ingest.Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{w: w}
}

func (p *progress) Start(total int64) {
	p.start = time.Now()
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetDescription("ingest"),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionFullWidth(),
	)
}

func (p *progress) Add(n int64) { _ = p.bar.Add64(n) }

func (p *progress) Rows(rows int64) {
	p.rows = rows
	el := time.Since(p.start).Seconds()
	if el > 0 {
		p.bar.Describe(fmt.Sprintf("ingest %d rows (%.0f rows/s)", rows, float64(rows)/el))
	}
}

func (p *progress) Finish() { _ = p.bar.Finish() }
