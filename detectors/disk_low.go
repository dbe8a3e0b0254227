package detectors

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// The warnings that come before a full disk: a monitor or the app saying a
// filesystem is nearly full. They are not a finding of their own (a disk
// at 96 % may stay there for months), but when a disk did fill up they are
// its first abnormal signal, and the disk_full finding starts with them.

// patLowDisk matches a warning that a filesystem is nearly full: "low disk
// space", "running out of space", a filesystem at 95-100 %, "only 2.1 GiB
// free".
const patLowDisk = `(?i)((low|running out of|insufficient) (disk |free |storage )?space|(disk|filesystem|file system|volume|partition|mount|storage)[^\n]{0,80}([^0-9.](9[5-9]|100)(\.[0-9]+)? ?%|only [0-9.]+ ?[KMGT]i?B (free|available|left)))`

// lowDiskLead is how far before a full disk its warnings are looked for,
// and the longest gap between two of them.
const (
	lowDiskLead = 30 * time.Minute
	lowDiskGap  = 10 * time.Minute
)

// startAtLowDiskWarning moves the start of a disk_full finding back to the
// first of the low-disk warnings (WARNING and above in the logs, PRIORITY
// <= 4 in the journal) that lead up to it without a gap of more than 10
// minutes, and adds that warning to the evidence.
func startAtLowDiskWarning(ctx context.Context, c *Case, f *forensics.Finding) error {
	from, to := f.Start.Add(-lowDiskLead), f.Start
	var parts []string
	args := []any{}
	if c.Has(ctx, "logs") {
		parts = append(parts, `SELECT ts, 'logs:' || id AS ref, message AS text FROM logs
		WHERE dup_of IS NULL AND level IN ('WARNING', 'ERROR', 'CRITICAL') AND ts >= ? AND ts < ? AND regexp_matches(message, ?)`)
		args = append(args, from, to, patLowDisk)
	}
	if c.Has(ctx, "journal") {
		parts = append(parts, `SELECT ts, 'journal:' || id, message FROM journal
		WHERE priority <= 4 AND ts >= ? AND ts < ? AND regexp_matches(message, ?)`)
		args = append(args, from, to, patLowDisk)
	}
	if len(parts) == 0 {
		return nil
	}
	ev, err := evidenceRows(ctx, c.DB, "", strings.Join(parts, " UNION ALL ")+" ORDER BY 1, 2", args...)
	if err != nil {
		return fmt.Errorf("low-disk warnings: %w", err)
	}
	// walk back from the start while the warnings keep coming
	first := -1
	next := f.Start
	for i := len(ev) - 1; i >= 0; i-- {
		if next.Sub(ev[i].TS) > lowDiskGap {
			break
		}
		first, next = i, ev[i].TS
	}
	if first < 0 {
		return nil
	}
	w := ev[first]
	w.Link = "first_low_disk_warning"
	f.Start = w.TS
	f.Evidence = append([]forensics.Evidence{w}, f.Evidence...)
	f.Details["low_disk_warnings"] = len(ev) - first
	return nil
}
