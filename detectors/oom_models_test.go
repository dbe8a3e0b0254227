package detectors

import (
	"fmt"
	"sort"
	"strings"
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

func TestAbsorbUnnamed(t *testing.T) {
	t0 := time.Date(2027, 7, 8, 16, 41, 3, 0, time.UTC)
	ev := func(s float64, ref string) forensics.Evidence {
		return forensics.Evidence{TS: t0.Add(time.Duration(s * float64(time.Second))), Ref: ref}
	}
	refs := func(es []forensics.Evidence) string {
		var out []string
		for _, e := range es {
			out = append(out, e.Ref)
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name string
		in   map[string][]forensics.Evidence
		want map[string]string
	}{
		{"traceback beside its named line", map[string][]forensics.Evidence{
			"wan2.1-14b": {ev(0, "j:1"), ev(600, "j:3")},
			unknownModel: {ev(0, "j:2"), ev(601, "j:4")},
		}, map[string]string{"wan2.1-14b": "j:1,j:2,j:3,j:4"}},
		{"far from any named record stays unknown", map[string][]forensics.Evidence{
			"wan2.1-14b": {ev(0, "j:1")},
			unknownModel: {ev(3, "j:2"), ev(60, "j:9")},
		}, map[string]string{"wan2.1-14b": "j:1,j:2", unknownModel: "j:9"}},
		{"the nearer of two models", map[string][]forensics.Evidence{
			"a":          {ev(0, "a:1")},
			"b":          {ev(4, "b:1")},
			unknownModel: {ev(3, "u:1")},
		}, map[string]string{"a": "a:1", "b": "b:1,u:1"}},
		{"only unknown", map[string][]forensics.Evidence{
			unknownModel: {ev(0, "u:1")},
		}, map[string]string{unknownModel: "u:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			absorbUnnamed(tc.in, 5*time.Second)
			got := map[string]string{}
			for k, v := range tc.in {
				got[k] = refs(v)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
