package detectors

import (
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
