package detectors

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// textRule is a detector made of one text pattern: matching records less
// than gap apart form a cluster; a cluster of at least min records is a
// finding whose severity is the user impact over it, raised to floor.
type textRule struct {
	kind      string
	patterns  []string
	gap       time.Duration
	min       int
	floor     forensics.Severity // lowest severity reported (P3 = none)
	what      string             // "disk full", used in titles
	rootCause string
	exclude   []string // records whose text contains one of these (lower case) are not matches
}

func (r textRule) detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	ms, err := c.matches(ctx, r.patterns...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.kind, err)
	}
	if len(r.exclude) > 0 {
		var keep []forensics.Evidence
	next:
		for _, m := range ms {
			t := strings.ToLower(m.Text)
			for _, x := range r.exclude {
				if strings.Contains(t, x) {
					continue next
				}
			}
			keep = append(keep, m)
		}
		ms = keep
	}
	var out []forensics.Finding
	for _, cl := range clusters(ms, r.gap) {
		if len(cl) < r.min {
			continue
		}
		f, err := r.finding(ctx, c, cl)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (r textRule) finding(ctx context.Context, c *Case, cl []forensics.Evidence) (forensics.Finding, error) {
	first, last := cl[0], cl[len(cl)-1]
	f := forensics.Finding{Kind: r.kind, Start: first.TS, End: last.TS, Confidence: 0.75, Details: map[string]any{"matches": len(cl)}}
	im, err := c.Impact(ctx, first.TS, last.TS.Add(time.Minute))
	if err != nil {
		return f, err
	}
	f.Severity = im.Severity
	if r.floor != "" && r.floor.Rank() < f.Severity.Rank() {
		f.Severity = r.floor
	}
	f.Details["impact"] = im.Reason
	ev := withLink([]forensics.Evidence{first}, "first")
	if len(cl) > 2 {
		ev = append(ev, withLink(cl[len(cl)/2:len(cl)/2+1], "example")...)
	}
	if len(cl) > 1 {
		ev = append(ev, withLink([]forensics.Evidence{last}, "last")...)
	}
	f.Evidence = ev
	f.Title = fmt.Sprintf("%s: %d records from %s to %s", r.what, len(cl), first.TS.Format("15:04:05"), last.TS.Format("15:04:05"))
	f.RootCause = r.rootCause + ": " + oneLine(first.Text, 200)
	f.EvidenceSQL = matchSQL(r.patterns, first.TS, last.TS)
	return f, nil
}

// DiskFull looks for a full disk: "No space left on device" (Errno 28,
// ENOSPC), PostgreSQL's "could not extend file", "database or disk is
// full", "not enough free space", "disk quota exceeded", "0 bytes free",
// torch's "file write failed", and, from Prometheus,
// node_filesystem_avail_bytes under 2 % of node_filesystem_size_bytes. Records less than 15
// minutes apart form one finding (at least 1 record); it starts at the
// low-disk warnings that led up to it, if any (disk_low.go). Severity: the user
// impact over it, at least P2 (writes are failing). Evidence: the first
// low-disk warning, the first, a middle and the last record.
type DiskFull struct{}

var _ Detector = DiskFull{}

// Name implements Detector.
func (DiskFull) Name() string { return "disk_full" }

// Detect implements Detector.
func (DiskFull) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	r := textRule{kind: forensics.KindDiskFull, patterns: []string{patDisk, patDiskMore}, gap: 15 * time.Minute, min: 1, floor: forensics.P2,
		what: "Disk full", rootCause: "a disk filled up and writes failed"}
	ms, err := c.matches(ctx, patDisk)
	if err != nil {
		return nil, err
	}
	more, err := c.matches(ctx, patDiskMore)
	if err != nil {
		return nil, err
	}
	var fs []forensics.Finding
	for _, cl := range clusters(union(ms, more), r.gap) {
		f, err := r.finding(ctx, c, cl)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	prom, err := promDiskFull(ctx, c)
	if err != nil {
		return nil, err
	}
	fs = mergeOverlapping(fs, prom)
	for i := range fs {
		if err := startAtLowDiskWarning(ctx, c, &fs[i]); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// mergeOverlapping adds the findings of extra that overlap none of fs, and
// folds the evidence of those that do into the finding they overlap (the
// earlier start wins).
func mergeOverlapping(fs, extra []forensics.Finding) []forensics.Finding {
	for _, e := range extra {
		merged := false
		for i := range fs {
			f := &fs[i]
			if !e.Start.After(f.End.Add(15*time.Minute)) && !e.End.Before(f.Start.Add(-15*time.Minute)) {
				f.Evidence = append(f.Evidence, e.Evidence...)
				sortEvidence(f.Evidence)
				if e.Start.Before(f.Start) {
					f.Start = e.Start
				}
				if e.End.After(f.End) {
					f.End = e.End
				}
				merged = true
				break
			}
		}
		if !merged {
			fs = append(fs, e)
		}
	}
	return fs
}

// DependencyDown looks for a dependency refusing or dropping connections
// (connection refused / Errno 111, psycopg2 OperationalError, redis
// ConnectionError, server closed the connection): at least 3 records less
// than 5 minutes apart; and, from Prometheus, pg_up / redis_up at 0 for two
// samples or more. The dependency is named from the text (postgres,
// redis). Severity: the user impact over the cluster. Evidence: first,
// middle and last record.
type DependencyDown struct{}

var _ Detector = DependencyDown{}

// Name implements Detector.
func (DependencyDown) Name() string { return "dependency_down" }

// Detect implements Detector.
func (DependencyDown) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	fs, err := textRule{kind: forensics.KindDependencyDown, patterns: []string{patDependency}, gap: 5 * time.Minute, min: 3,
		what: "Dependency unreachable", rootCause: "a dependency refused or dropped connections",
		// PostgreSQL's own "could not receive data from client: Connection
		// reset by peer" is a client going away, not the database down.
		exclude: []string{"from client", "client disconnected"}}.detect(ctx, c)
	if err != nil {
		return nil, err
	}
	for i := range fs {
		dep := dependencyName(fs[i].Evidence)
		fs[i].Services = []string{dep}
		fs[i].Title = "Dependency unreachable (" + dep + "): " + fs[i].Title[len("Dependency unreachable: "):]
	}
	prom, err := promDependencyDown(ctx, c)
	if err != nil {
		return nil, err
	}
	return mergeOverlapping(fs, prom), nil
}

func dependencyName(ev []forensics.Evidence) string {
	for _, e := range ev {
		t := strings.ToLower(e.Text)
		switch {
		case strings.Contains(t, "redis") || strings.Contains(t, "6379"):
			return "redis"
		case strings.Contains(t, "psycopg") || strings.Contains(t, "postgres") || strings.Contains(t, "5432") || strings.Contains(t, "sqlalchemy"):
			return "postgres"
		}
	}
	return "dependency"
}
