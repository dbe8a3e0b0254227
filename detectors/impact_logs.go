package detectors

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/vidbench/forensics"
)

// User impact when the case has neither an access log nor the API's
// request metrics: what is left is the service's own error records. They
// cannot tell what share of requests failed, so they never make more than
// P2 (partial impairment); they do tell that users were hurt when the
// service kept logging errors far above its usual rate, minute after
// minute, for 5 minutes or more. Without that the impact stays unknown
// (P3).

// logImpactMinutes is how long errors must stay above their baseline.
const logImpactMinutes = 5

// logImpact sets im from the app log's ERROR and CRITICAL records between
// from and to, against their per-minute baseline over the two hours
// around.
func (c *Case) logImpact(ctx context.Context, from, to time.Time, im *Impact) error {
	if !c.Has(ctx, "logs") {
		return nil
	}
	lo, hi := from.Add(-2*time.Hour), to.Add(time.Hour)
	rows, err := c.DB.QueryContext(ctx, `SELECT date_trunc('minute', ts) AS m, count(*) FROM logs
		WHERE dup_of IS NULL AND level IN ('ERROR', 'CRITICAL') AND ts >= ? AND ts < ? GROUP BY 1 ORDER BY 1`, lo, hi)
	if err != nil {
		return fmt.Errorf("errors per minute: %w", err)
	}
	defer rows.Close()
	counts := map[time.Time]float64{}
	for rows.Next() {
		var m time.Time
		var n float64
		if err := rows.Scan(&m, &n); err != nil {
			return err
		}
		counts[m.UTC()] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// the baseline: every minute of the span, those without errors as 0
	first, last := lo.Truncate(time.Minute), hi.Truncate(time.Minute)
	var all []float64
	for m := first; m.Before(last); m = m.Add(time.Minute) {
		all = append(all, counts[m])
	}
	med := median(all)
	thr := math.Max(2, countThreshold(med, mad(all, med)))
	run, cur, gap := 0, 0, 0
	var fails int64
	for m := from.Truncate(time.Minute); m.Before(to); m = m.Add(time.Minute) {
		n := counts[m]
		fails += int64(n)
		// a run tolerates one quiet minute, as Impact's do
		switch {
		case n >= thr:
			cur += 1 + gap
			gap = 0
		case cur > 0 && gap == 0:
			gap = 1
		default:
			cur, gap = 0, 0
		}
		run = max(run, cur)
	}
	im.ErrorMinutes = run
	if run >= logImpactMinutes {
		im.Severity = forensics.P2
		im.Reason = fmt.Sprintf("no access log: %d minutes in a row with service errors far above their baseline in the app log (%d errors); the share of failed requests is unknown", run, fails)
	}
	return nil
}
