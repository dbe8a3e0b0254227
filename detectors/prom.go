package detectors

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// Signals from the Prometheus data of the case (the metrics view over
// series and samples), for the detectors that use them when the case has
// them: dependencies down (pg_up, redis_up = 0), a filesystem almost full
// (node_filesystem_avail_bytes under 2 % of its size), GPU framebuffer or
// host memory near capacity. Evidence refs name samples rows.

// promSamples returns the samples of the metrics view that satisfy cond
// (SQL over the columns ts, metric, value, job, instance, gpu, mountpoint,
// labels), as evidence with text made by textSQL, in time order.
func (c *Case) promSamples(ctx context.Context, from string, cond, textSQL string) ([]forensics.Evidence, error) {
	if !c.Has(ctx, "metrics") {
		return nil, nil
	}
	lo, hi := c.bounds()
	q := `SELECT ts, 'samples:' || sample_id, ` + textSQL + ` FROM ` + from + ` WHERE ts >= ? AND ts < ? AND (` + cond + `) ORDER BY ts`
	ev, err := evidenceRows(ctx, c.DB, "samples", q, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("prometheus samples: %w", err)
	}
	return ev, nil
}

// promDependencyDown finds runs of pg_up / redis_up at 0.
func promDependencyDown(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	ev, err := c.promSamples(ctx, "metrics", `metric IN ('pg_up', 'redis_up', 'mysql_up', 'mongodb_up') AND value = 0`,
		`metric || ' = 0 (' || coalesce(instance, job, '') || ')'`)
	if err != nil || len(ev) == 0 {
		return nil, err
	}
	var out []forensics.Finding
	for _, cl := range clusters(ev, 2*time.Minute) {
		if len(cl) < 2 {
			continue
		}
		metric := strings.SplitN(cl[0].Text, " ", 2)[0]
		dep := strings.TrimSuffix(metric, "_up")
		if dep == "pg" {
			dep = "postgres"
		}
		f, err := textRule{kind: forensics.KindDependencyDown, what: "Dependency down (" + dep + ")",
			rootCause: dep + " was down (its exporter reported " + metric + " = 0)"}.finding(ctx, c, cl)
		if err != nil {
			return nil, err
		}
		f.Services = []string{dep}
		f.Confidence = 0.9
		f.EvidenceSQL = fmt.Sprintf(`SELECT ts, metric, instance, value, 'samples:' || sample_id AS ref FROM metrics
WHERE metric IN ('pg_up', 'redis_up') AND value = 0 AND ts >= %s AND ts <= %s ORDER BY ts`, sqlTime(cl[0].TS), sqlTime(cl[len(cl)-1].TS))
		out = append(out, f)
	}
	return out, nil
}

// promDiskFull finds filesystems whose available bytes fell under 2 % of
// their size.
func promDiskFull(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	if !c.Has(ctx, "metrics") {
		return nil, nil
	}
	from := `(SELECT a.*, s.value AS size FROM metrics a JOIN metrics s
	          ON s.metric = 'node_filesystem_size_bytes' AND s.ts = a.ts AND s.instance IS NOT DISTINCT FROM a.instance
	          AND s.mountpoint IS NOT DISTINCT FROM a.mountpoint
	          WHERE a.metric = 'node_filesystem_avail_bytes')`
	ev, err := c.promSamples(ctx, from, `size > 0 AND value < 0.02 * size`,
		`'filesystem ' || coalesce(mountpoint, '?') || ' has ' || round(value / 1048576)::BIGINT || ' MiB free of ' || round(size / 1073741824, 1) || ' GiB'`)
	if err != nil || len(ev) == 0 {
		return nil, err
	}
	var out []forensics.Finding
	for _, cl := range clusters(ev, 15*time.Minute) {
		f, err := textRule{kind: forensics.KindDiskFull, floor: forensics.P2, what: "Disk almost full",
			rootCause: "a filesystem ran out of space"}.finding(ctx, c, cl)
		if err != nil {
			return nil, err
		}
		f.Confidence = 0.85
		f.EvidenceSQL = fmt.Sprintf(`SELECT ts, instance, mountpoint, value AS avail_bytes, 'samples:' || sample_id AS ref FROM metrics
WHERE metric = 'node_filesystem_avail_bytes' AND ts >= %s AND ts <= %s ORDER BY ts`, sqlTime(cl[0].TS), sqlTime(cl[len(cl)-1].TS))
		out = append(out, f)
	}
	return out, nil
}

// promMemoryNearCapacity is memoryNearCapacity from Prometheus: GPU
// framebuffer used >= 95 % of used+free (DCGM, MiB), or host available
// memory under 5 % of total.
func (c *Case) promMemoryNearCapacity(ctx context.Context, kind string, from, to time.Time) (*forensics.Evidence, error) {
	if !c.Has(ctx, "metrics") {
		return nil, nil
	}
	var q string
	if kind == forensics.KindGPUOOM {
		q = `SELECT u.ts, 'samples:' || u.sample_id, 'GPU ' || coalesce(u.gpu::VARCHAR, '?') || ' framebuffer ' || round(u.value)::BIGINT || ' MiB used of ' || round(u.value + f.value)::BIGINT || ' MiB'
		FROM metrics u JOIN metrics f ON f.metric = 'DCGM_FI_DEV_FB_FREE' AND f.ts = u.ts AND f.gpu IS NOT DISTINCT FROM u.gpu AND f.instance IS NOT DISTINCT FROM u.instance
		WHERE u.metric = 'DCGM_FI_DEV_FB_USED' AND u.value >= 0.95 * (u.value + f.value) AND u.ts >= ? AND u.ts <= ? ORDER BY u.ts LIMIT 1`
	} else {
		q = `SELECT a.ts, 'samples:' || a.sample_id, 'available memory ' || round(a.value / 1048576)::BIGINT || ' MiB of ' || round(t.value / 1048576)::BIGINT || ' MiB'
		FROM metrics a JOIN metrics t ON t.metric = 'node_memory_MemTotal_bytes' AND t.ts = a.ts AND t.instance IS NOT DISTINCT FROM a.instance
		WHERE a.metric = 'node_memory_MemAvailable_bytes' AND a.value < 0.05 * t.value AND a.ts >= ? AND a.ts <= ? ORDER BY a.ts LIMIT 1`
	}
	ev, err := evidenceRows(ctx, c.DB, "samples", q, from, to)
	if err != nil {
		return nil, fmt.Errorf("prometheus memory: %w", err)
	}
	if len(ev) == 0 {
		return nil, nil
	}
	ev[0].Link = "memory_near_capacity"
	return &ev[0], nil
}
