package detectors

import (
	"context"
	"testing"
	"time"

	"github.com/vidbench/forensics"
)

// TestLogImpact checks the impact read from the app log when a case has
// neither an access log nor request metrics.
func TestLogImpact(t *testing.T) {
	t0 := time.Date(2026, 10, 13, 9, 0, 0, 0, time.UTC)
	errorsEvery := func(from, to, every time.Duration) []logLine {
		var ls []logLine
		for at := from; at < to; at += every {
			ls = append(ls, logLine{at, "ERROR", "Failed to submit benchmark: canceling statement due to statement timeout"})
		}
		return ls
	}
	for _, tc := range []struct {
		name  string
		lines []logLine
		want  forensics.Severity
	}{
		{"8 minutes of errors, none before", errorsEvery(60*time.Minute, 68*time.Minute, 10*time.Second), forensics.P2},
		{"3 minutes of errors are not enough", errorsEvery(60*time.Minute, 63*time.Minute, 10*time.Second), forensics.P3},
		{"a stray error now and then", errorsEvery(0, 120*time.Minute, 7*time.Minute), forensics.P3},
		{"a chatty service at its usual rate", errorsEvery(0, 120*time.Minute, 20*time.Second), forensics.P3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := logStore(t, t0, tc.lines)
			im, err := c.Impact(context.Background(), t0.Add(58*time.Minute), t0.Add(70*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if im.Severity != tc.want || im.HasHTTP {
				t.Errorf("%s (%s), want %s", im.Severity, im.Reason, tc.want)
			}
		})
	}
}
