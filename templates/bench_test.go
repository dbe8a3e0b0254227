package templates

import (
	"fmt"
	"math/rand"
	"testing"
)

// benchMessages returns n application log messages of 60-100 bytes built
// from a few dozen events with random variable parts, the shape of the
// messages the ingest path sees.
func benchMessages(n int) []string {
	r := rand.New(rand.NewSource(1))
	hex := func(k int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, k)
		for i := range b {
			b[i] = digits[r.Intn(16)]
		}
		return string(b)
	}
	models := []string{"svd-xt", "sdxl-turbo", "cogvideox-5b", "wan2.1-t2v", "ltx-video"}
	users := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	gens := []func() string{
		func() string {
			return fmt.Sprintf("Benchmark run %s failed on model %s after %.1fs", hex(6), models[r.Intn(len(models))], r.Float64()*60)
		},
		func() string {
			return fmt.Sprintf("Benchmark run %s finished on model %s in %.2fs, %d frames", hex(6), models[r.Intn(len(models))], r.Float64()*90, r.Intn(200))
		},
		func() string {
			return fmt.Sprintf("GET /api/v1/runs/%s 200 %d bytes in %dms", hex(8), r.Intn(90000), r.Intn(900))
		},
		func() string {
			return fmt.Sprintf("Accepted publickey for %s from 10.%d.%d.%d port %d ssh2", users[r.Intn(len(users))], r.Intn(256), r.Intn(256), r.Intn(256), 1024+r.Intn(60000))
		},
		func() string {
			return fmt.Sprintf("worker-%d: CUDA out of memory. Tried to allocate %.2f GiB (GPU %d; %.2f GiB total capacity)", r.Intn(16), r.Float64()*8, r.Intn(8), 24.0)
		},
		func() string {
			return fmt.Sprintf("checkpoint saved to /data/ckpt/%s/step_%d.pt (%d MB)", hex(8), r.Intn(100000), r.Intn(4000))
		},
		func() string {
			return fmt.Sprintf("process %d still waiting for ShareLock on transaction %d after %.3f ms", r.Intn(30000), r.Intn(1e7), r.Float64()*5000)
		},
		func() string {
			return fmt.Sprintf("Received block blk_%d of size %d from /10.251.%d.%d", r.Int63(), r.Intn(1<<26), r.Intn(256), r.Intn(256))
		},
		func() string {
			return fmt.Sprintf("vid-bench.service: Scheduled restart job, restart counter is at %d.", r.Intn(20))
		},
		func() string {
			return fmt.Sprintf("queue depth %d exceeds soft limit %d for tenant %s", r.Intn(5000), 1000, users[r.Intn(len(users))])
		},
	}
	out := make([]string, n)
	for i := range out {
		out[i] = gens[r.Intn(len(gens))]()
	}
	return out
}

func BenchmarkAdd(b *testing.B) {
	msgs := benchMessages(1 << 14)
	m := NewMiner(Options{})
	var bytes int64
	for _, s := range msgs {
		m.Add(s) // warm up: the templates exist, as in a long ingest
		bytes += int64(len(s))
	}
	b.SetBytes(bytes / int64(len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Add(msgs[i&(len(msgs)-1)])
	}
}

func BenchmarkAddCold(b *testing.B) {
	msgs := benchMessages(1 << 14)
	b.ReportAllocs()
	b.ResetTimer()
	var m *Miner
	for i := 0; i < b.N; i++ {
		if i&(len(msgs)-1) == 0 {
			m = NewMiner(Options{})
		}
		m.Add(msgs[i&(len(msgs)-1)])
	}
}

func BenchmarkMask(b *testing.B) {
	msgs := benchMessages(1 << 12)
	var buf []byte
	var sc scratch
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = sc.appendMask(buf[:0], msgs[i&(len(msgs)-1)])
	}
	_ = buf
}

func BenchmarkMaskString(b *testing.B) {
	msgs := benchMessages(1 << 12)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = Mask(msgs[i&(len(msgs)-1)])
	}
}

// appLogMessages returns n messages in the shape of a vid-bench application
// log: run results, slow queries, CUDA errors, uvicorn access lines,
// exception lines of tracebacks and key=value lines, with random values.
func appLogMessages(n int) []string {
	r := rand.New(rand.NewSource(2))
	hex := func(k int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, k)
		for i := range b {
			b[i] = digits[r.Intn(16)]
		}
		return string(b)
	}
	pick := func(s ...string) string { return s[r.Intn(len(s))] }
	models := []string{"svd-xt", "sdxl-turbo", "cogvideox-5b", "wan2.1-t2v", "ltx-video"}
	gens := []func() string{
		func() string {
			return fmt.Sprintf("Benchmark run %s completed on model %s in %.1fs (%.2f s/step, peak_mem=%.1f GiB)",
				hex(6), pick(models...), r.Float64()*90, r.Float64()*3, r.Float64()*80)
		},
		func() string {
			return fmt.Sprintf("Slow query (%dms): SELECT id, model, status, started_at FROM runs WHERE status = '%s' ORDER BY started_at DESC LIMIT 50",
				200+r.Intn(5000), pick("queued", "running", "failed"))
		},
		func() string {
			return fmt.Sprintf("CUDA out of memory. Tried to allocate %.2f GiB (GPU %d; %.2f GiB total capacity; %.2f GiB already allocated; %.2f MiB free; %.2f GiB reserved in total by PyTorch)",
				r.Float64()*8, r.Intn(8), 79.15, r.Float64()*79, r.Float64()*900, r.Float64()*79)
		},
		func() string {
			return fmt.Sprintf(`%d.%d.%d.%d:%d - "%s /api/v1/runs/%s HTTP/1.1" %s`,
				10, r.Intn(256), r.Intn(256), r.Intn(256), 1024+r.Intn(60000), pick("GET", "POST", "DELETE"), hex(8), pick("200 OK", "404 Not Found", "500 Internal Server Error", "201 Created"))
		},
		func() string {
			return fmt.Sprintf(`%s: %s`, pick("KeyError", "ValueError", "RuntimeError", "torch.cuda.OutOfMemoryError", "ConnectionResetError"),
				pick("'fps'", "invalid literal for int() with base 10: 'abc'", "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!", "[Errno 104] Connection reset by peer"))
		},
		func() string {
			return fmt.Sprintf(`  File "/app/bench/%s.py", line %d, in %s`, pick("runner", "models/svd", "queue/worker"), r.Intn(900), pick("run_model", "forward", "_call_impl"))
		},
		func() string {
			return fmt.Sprintf("job_id=%s model=%s status=%s duration_ms=%d gpu=%d retries=%d",
				hex(12), pick(models...), pick("ok", "failed", "timeout"), r.Intn(200000), r.Intn(8), r.Intn(4))
		},
		func() string {
			return fmt.Sprintf("Worker %s started, polling queue %s every %d seconds", hex(4), pick("default", "gpu-high", "eval"), 1+r.Intn(30))
		},
		func() string {
			return fmt.Sprintf("Uploaded %d frames to s3://vid-bench-artifacts/runs/%s/output.mp4 (%.1f MB)", r.Intn(200), hex(8), r.Float64()*400)
		},
		func() string {
			return fmt.Sprintf("Health check passed: db=ok redis=ok gpu_free=%d queue_depth=%d", r.Intn(8), r.Intn(300))
		},
	}
	out := make([]string, n)
	for i := range out {
		out[i] = gens[r.Intn(len(gens))]()
	}
	return out
}

// BenchmarkMaskAppLog is BenchmarkMask over appLogMessages.
func BenchmarkMaskAppLog(b *testing.B) {
	msgs := appLogMessages(1 << 12)
	var buf []byte
	var sc scratch
	var bytes int64
	for _, s := range msgs {
		bytes += int64(len(s))
	}
	b.SetBytes(bytes / int64(len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = sc.appendMask(buf[:0], msgs[i&(len(msgs)-1)])
	}
	_ = buf
}
