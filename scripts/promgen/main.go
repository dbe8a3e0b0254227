// Command promgen writes the OpenMetrics input of the Prometheus ingest
// benchmark (docs/PERFORMANCE.md): SERIES series x SAMPLES samples every
// 15 s, half counters, half gauges. Turn it into blocks with
// `promtool tsdb create-blocks-from openmetrics OUT.om DATA`.
// Usage: promgen OUT.om [SERIES] [SAMPLES]
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/vidbench/forensics/internal/promtest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: promgen OUT.om [SERIES] [SAMPLES]")
		os.Exit(2)
	}
	series, samples := 200, 7200
	if len(os.Args) > 2 {
		series, _ = strconv.Atoi(os.Args[2])
	}
	if len(os.Args) > 3 {
		samples, _ = strconv.Atoi(os.Args[3])
	}
	if err := promtest.WriteOpenMetricsFile(os.Args[1], series, samples, 15*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
