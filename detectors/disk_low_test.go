package detectors

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
)

// logLine is one app-log record of a test case, at an offset from t0.
type logLine struct {
	at      time.Duration
	level   string
	message string
}

// logStore makes a case database holding only the given log records.
func logStore(t *testing.T, t0 time.Time, ls []logLine) *Case {
	t.Helper()
	ctx := context.Background()
	st, err := query.Open(ctx, filepath.Join(t.TempDir(), "case.duckdb"), query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i, l := range ls {
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO logs (id, source_id, line_no, ts, service, level, logger, message) VALUES (?, 1, ?, ?, 'vid-bench', ?, 'vid_bench.storage', ?)`,
			i+1, i+1, t0.Add(l.at), l.level, l.message); err != nil {
			t.Fatal(err)
		}
	}
	c, err := NewCase(ctx, st.DB, forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDiskFullStartsAtLowDiskWarning checks that a full disk's finding
// starts at the warnings that led up to it, in several wordings, and only
// at those.
func TestDiskFullStartsAtLowDiskWarning(t *testing.T) {
	t0 := time.Date(2026, 10, 8, 2, 30, 0, 0, time.UTC)
	full := logLine{20 * time.Minute, "ERROR", "Failed to write frames: [Errno 28] No space left on device"}
	for _, tc := range []struct {
		name  string
		lines []logLine
		start time.Duration // the finding's expected start
	}{
		{"no warning: the first failed write", []logLine{full}, 20 * time.Minute},
		{"a low-disk warning 90 s before", []logLine{{18*time.Minute + 30*time.Second, "WARNING", "Low disk space on /: 98.5% used, 25.7 GiB available"}, full}, 18*time.Minute + 30*time.Second},
		{"a run of warnings, other wording", []logLine{
			{11 * time.Minute, "WARNING", "Filesystem / at 96.1%, only 71.2 GiB free"},
			{15 * time.Minute, "WARNING", "Filesystem / at 97.9%, only 38.0 GiB free"},
			{19 * time.Minute, "WARNING", "Filesystem / at 99.6%, only 7.3 GiB free"}, full}, 11 * time.Minute},
		{"an old warning, 25 minutes of silence, is another story", []logLine{{-5 * time.Minute, "WARNING", "running out of disk space on /data"}, full}, 20 * time.Minute},
		{"INFO lines are not warnings", []logLine{{17 * time.Minute, "INFO", "Disk usage on /: 96.5% used, 64.0 GiB available"}, full}, 20 * time.Minute},
		{"low memory is not low disk", []logLine{{18 * time.Minute, "WARNING", "Low memory: only 1.2 GiB available"}, full}, 20 * time.Minute},
		{"other wordings of the full disk itself", []logLine{{20 * time.Minute, "ERROR", "spool: database or disk is full"}, {21 * time.Minute, "ERROR", "OSError: Not enough free space to write 268435456 bytes"}}, 20 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := logStore(t, t0, tc.lines)
			fs, err := DiskFull{}.Detect(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 {
				t.Fatalf("want one disk_full finding, got %+v", fs)
			}
			if want := t0.Add(tc.start); !fs[0].Start.Equal(want) {
				t.Errorf("start %s, want %s", fs[0].Start, want)
			}
			if tc.start != 20*time.Minute && (len(fs[0].Evidence) == 0 || fs[0].Evidence[0].Link != "first_low_disk_warning") {
				t.Errorf("the first warning is not the first evidence: %+v", fs[0].Evidence)
			}
		})
	}
}
