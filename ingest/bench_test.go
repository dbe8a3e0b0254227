package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func benchText(lines int, line func(i int) string) string {
	var b strings.Builder
	for i := 0; i < lines; i++ {
		b.WriteString(line(i))
		b.WriteByte('\n')
	}
	return b.String()
}

func benchRead(b *testing.B, rd Reader, text string) {
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m := &memSink{}
		in := &Input{Path: "bench.log", R: strings.NewReader(text), TZ: time.UTC, Sink: m}
		if err := rd.Read(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		if !in.Stats.Balanced() {
			b.Fatalf("unbalanced %+v", in.Stats)
		}
	}
}

// BenchmarkAppLogRead parses the bracket layout with a traceback every 200
// records (the reader alone: no templates, no store).
func BenchmarkAppLogRead(b *testing.B) {
	text := benchText(20000, func(i int) string {
		s := fmt.Sprintf("2026-11-20 14:%02d:%02d,%03d INFO [vid_bench.runner] Run %06x step %d/50: latency=5.535s, gpu_mem=23.0 GiB", i/60%60, i%60, i%1000, i*7919, i%50)
		if i%200 == 0 {
			s = fmt.Sprintf("2026-11-20 14:%02d:%02d,000 ERROR [vid_bench.runner] Benchmark run %06x failed\nTraceback (most recent call last):\n  File \"/app/r.py\", line 3, in run\n    m(x)\ntorch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.", i/60%60, i%60, i)
		}
		return s
	})
	benchRead(b, AppLog{}, text)
}

// BenchmarkAccessRead parses the combined layout with response_time.
func BenchmarkAccessRead(b *testing.B) {
	text := benchText(20000, func(i int) string {
		return fmt.Sprintf(`10.0.3.%d - alice [20/Nov/2026:14:%02d:%02d +0000] "POST /api/v1/benchmarks/%06x HTTP/1.1" 200 512 "-" "python-requests/2.31.0" response_time=0.%03d`, i%250, i/60%60, i%60, i, i%1000)
	})
	benchRead(b, Access{}, text)
}

// BenchmarkComposeRead parses compose v1 lines holding app-log lines.
func BenchmarkComposeRead(b *testing.B) {
	text := benchText(20000, func(i int) string {
		return fmt.Sprintf("benchmark_1  | 2026-11-20T14:%02d:%02d.532123456Z 2026-11-20 14:%02d:%02d,532 INFO [vid_bench.api] Request completed: GET /api/v1/benchmarks/%06x status=200", i/60%60, i%60, i/60%60, i%60, i)
	})
	benchRead(b, Compose{}, text)
}
