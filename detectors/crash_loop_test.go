package detectors

import (
	"context"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// One exit leaves several lines (systemd's OOM-killer note, "Main process
// exited", "Failed with result"); it counts once, and so does each
// restart however many start lines it prints.
func TestLifetimesCountEachExitOnce(t *testing.T) {
	t0 := time.Date(2027, 3, 9, 9, 52, 0, 0, time.UTC)
	ev := func(s int, kind int) lifeEvent {
		return lifeEvent{ev: forensics.Evidence{TS: t0.Add(time.Duration(s) * time.Second)}, kind: kind}
	}
	evs := []lifeEvent{
		ev(0, lifeStart),
		ev(10, lifeCrash), ev(11, lifeCrash), ev(12, lifeCrash), // killed by the OOM killer, Main process exited, Failed with result
		ev(20, lifeStart), ev(20, lifeStop), ev(21, lifeStart), // Scheduled restart job, Stopped, Started
		ev(60, lifeStop), ev(62, lifeStart), // a planned restart
		ev(300, lifeCrash), ev(301, lifeCrash),
		ev(310, lifeStart), ev(312, lifeStart),
	}
	exits, restarts := lifetimes(evs)
	if len(exits) != 2 || len(restarts) != 2 {
		t.Fatalf("got %d exits and %d restarts, want 2 and 2", len(exits), len(restarts))
	}
}

// A case whose only sign of the loop is a restart counter (kube-state-
// metrics' restarts_total) rising every minute still shows the loop.
func TestCrashLoopFromRestartCounter(t *testing.T) {
	t0 := time.Date(2027, 1, 14, 14, 0, 0, 0, time.UTC)
	restarts := promSeries{map[string]string{"__name__": "kube_pod_container_status_restarts_total", "container": "benchmark", "job": "kube-state-metrics"},
		func(i int) float64 {
			if i < 8 {
				return 0
			}
			return float64((i-8)/4 + 1) // +1 every minute from scrape 8
		}}
	c := promStore(t, t0, 60, []promSeries{restarts})
	fs, err := CrashLoop{}.Detect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1 crash loop", len(fs))
	}
	if want := t0.Add(2 * time.Minute); fs[0].Start.Sub(want).Abs() > 30*time.Second {
		t.Errorf("start %s, want about %s", fs[0].Start, want)
	}
}
