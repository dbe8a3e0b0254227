package detectors

import (
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

func TestManyModelsFailing(t *testing.T) {
	t0 := time.Date(2027, 6, 15, 2, 14, 30, 0, time.UTC)
	runs := func(n int, every time.Duration, models ...string) []forensics.Evidence {
		var out []forensics.Evidence
		for i := 0; i < n; i++ {
			m := models[i%len(models)]
			out = append(out, forensics.Evidence{TS: t0.Add(time.Duration(i) * every),
				Text: "Benchmark run 3f2a" + string(rune('a'+i%26)) + " failed on model " + m + ": CUDA out of memory"})
		}
		return out
	}
	cases := []struct {
		name  string
		fails []forensics.Evidence
		want  bool
	}{
		{"three models failing for 17 minutes", runs(25, 40*time.Second, "mochi-1", "hunyuan-video", "cogvideox-5b"), true},
		{"one model failing for 17 minutes (a single model: P2)", runs(25, 40*time.Second, "mochi-1"), false},
		{"a short burst of two models", runs(12, 20*time.Second, "mochi-1", "svd-xt"), false},
		{"too few runs", runs(6, 3*time.Minute, "mochi-1", "svd-xt"), false},
		{"models named as model=... in a traceback line", []forensics.Evidence{
			{TS: t0, Text: "Unhandled exception in benchmark run 680b99 (model=mochi-1, batch_size=8)"},
			{TS: t0.Add(11 * time.Minute), Text: "Unhandled exception in benchmark run 680b9a (model=wan2.1-14b, batch_size=8)"},
		}, false},
	}
	for _, c := range cases {
		if got := manyModelsFailing(c.fails); got != c.want {
			t.Errorf("%s: %v, want %v (models %v)", c.name, got, c.want, modelsNamed(c.fails))
		}
	}
	if got := modelsNamed([]forensics.Evidence{{Text: "run 1 (model=wan2.1-14b, batch_size=8)"}, {Text: `{"model": "SVD-XT"}`}}); !got["wan2.1-14b"] || !got["svd-xt"] || len(got) != 2 {
		t.Errorf("modelsNamed: %v", got)
	}
}
