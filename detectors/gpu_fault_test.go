package detectors

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
)

// A GPU that fell off the bus is one fault for as long as the service
// keeps failing on it; the exporter's "GPU is lost" after the service
// stopped using it does not prolong it, and the kernel repeating the
// message after a failed reset is the same fault.
func TestGPUFaultLastsWhileTheServiceFailsOnIt(t *testing.T) {
	ctx := context.Background()
	st, err := query.Open(ctx, filepath.Join(t.TempDir(), "case.duckdb"), query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db := st.DB
	t0 := time.Date(2027, 5, 3, 3, 17, 42, 0, time.UTC)
	addLogs(t, db, t0, "ERROR", "NVRM: Xid (PCI:0000:3b:00): 79, pid=2214731, name=python, GPU has fallen off the bus.")
	probes := make([]string, 100)
	for i := range probes {
		probes[i] = "GPU probe failed"
	}
	addLogs(t, db, t0.Add(30*time.Second), "WARNING", probes...) // until t0 + 99.5 min
	lost := make([]string, 40)
	for i := range lost {
		lost[i] = `level=error msg="Failed to get field values for GPU 2" error="GPU is lost"`
	}
	addLogs(t, db, t0.Add(80*time.Minute+10*time.Second), "ERROR", lost...) // until t0 + 119 min
	addLogs(t, db, t0.Add(115*time.Minute), "ERROR", "NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.")
	c, err := NewCase(ctx, db, forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := GPUFault{}.Detect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("%d findings, want one fault", len(fs))
	}
	if want := t0.Add(99*time.Minute + 30*time.Second); !fs[0].End.Equal(want) {
		t.Errorf("end %s, want the last failed probe %s", fs[0].End, want)
	}
	if fs[0].Severity != forensics.P2 {
		t.Errorf("severity %s, want P2", fs[0].Severity)
	}
}
