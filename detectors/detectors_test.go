package detectors

import (
	"context"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

type fake struct{ name string }

func (f fake) Name() string { return f.name }
func (f fake) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	return nil, nil
}

func TestRegistryHasNoDuplicates(t *testing.T) {
	if err := checkRegistry(All()); err != nil {
		t.Fatal(err)
	}
	if err := checkRegistry([]Detector{fake{"a"}, fake{"a"}}); err == nil {
		t.Fatal("duplicate detector names not reported")
	}
}

func TestRankPutsCauseFirstAndLinks(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	fs := []forensics.Finding{
		{Kind: forensics.KindServiceUnavailable, Severity: forensics.P0, Start: t0.Add(5 * time.Minute), End: t0.Add(12 * time.Minute)},
		{Kind: forensics.KindErrorSpike, Severity: forensics.P1, Start: t0.Add(time.Minute), End: t0.Add(15 * time.Minute)},
		{Kind: forensics.KindDiskFull, Severity: forensics.P2, Start: t0, End: t0.Add(10 * time.Minute)},
		{Kind: forensics.KindSlowQuery, Severity: forensics.P3, Start: t0, End: t0.Add(time.Hour)},
	}
	got := rank(fs)
	if got[0].Kind != forensics.KindDiskFull || got[0].ID != "f1" || got[0].Severity != forensics.P0 {
		t.Fatalf("root: %+v", got[0])
	}
	for _, f := range got {
		switch f.Kind {
		case forensics.KindServiceUnavailable, forensics.KindErrorSpike:
			if len(f.CausedBy) == 0 || f.CausedBy[0] != "f1" {
				t.Errorf("%s caused_by %v", f.Kind, f.CausedBy)
			}
		case forensics.KindSlowQuery:
			if f.Severity != forensics.P3 {
				t.Errorf("slow query without impact raised to %s", f.Severity)
			}
		}
	}
}

func TestCountThresholdAndEpisodes(t *testing.T) {
	if thr := countThreshold(0, 0); thr < 2 || thr > 4 {
		t.Errorf("threshold at zero baseline: %v", thr)
	}
	if thr := countThreshold(100, 5); thr < 120 {
		t.Errorf("threshold at 100/min: %v", thr)
	}
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	eps := episodes([]time.Time{t0, t0.Add(time.Minute), t0.Add(3 * time.Minute), t0.Add(20 * time.Minute)}, 3*time.Minute)
	if len(eps) != 2 || eps[0].Minutes != 3 || !eps[0].To.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("episodes: %+v", eps)
	}
}

func TestModelOf(t *testing.T) {
	for text, want := range map[string]string{
		"Checksum mismatch for model cogvideox-5b: expected ab12, got cd34":    "cogvideox-5b",
		"Timeout after 300s initializing model hunyuan-video":                  "hunyuan-video",
		"failed to download model='svd-xt' from hub: HTTP 503":                 "svd-xt",
		"Error loading model weights for model=mochi-1 (corrupted checkpoint)": "mochi-1",
	} {
		if got := modelOf(text); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
}
