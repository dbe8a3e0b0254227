package detectors

import (
	"math"
	"testing"
)

// TestBucketQuantile checks the p95 read from cumulative histogram
// buckets, as histogram_quantile reads them.
func TestBucketQuantile(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		les  []float64
		ns   []float64
		want float64
	}{
		{"all fast: within the first bucket", []float64{0.1, 0.5, inf}, []float64{100, 100, 100}, 0.095},
		{"interpolated in the second bucket", []float64{0.1, 1, inf}, []float64{50, 100, 100}, 0.1 + 0.9*(95-50)/50},
		{"in +Inf: the highest finite bound", []float64{0.1, 60, inf}, []float64{10, 20, 100}, 60},
		{"no observations", []float64{0.1, inf}, []float64{0, 0}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := bucketQuantile(0.95, tc.les, tc.ns)
			if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tc.want) > 1e-9) {
				t.Errorf("p95 %v, want %v", got, tc.want)
			}
		})
	}
}
