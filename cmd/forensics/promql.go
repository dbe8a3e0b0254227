package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/spf13/cobra"

	"github.com/vidbench/forensics/promql"
)

type promqlOptions struct {
	start, end, at string
	step           time.Duration
	format         string
	timeout        time.Duration
}

func newPromQLCmd(e *env) *cobra.Command {
	o := &promqlOptions{}
	cmd := &cobra.Command{
		Use:   "promql EXPR",
		Short: "Evaluate PromQL over the Prometheus data in the case file (read-only)",
		Long: `promql evaluates a PromQL expression with Prometheus' own engine over the
series and samples ingested from a Prometheus data directory: no Prometheus
server, and the data directory itself is no longer needed.

A range query runs from --start to --end every --step; without --start and
--end it covers all the samples in the case, and without --step it takes
about 250 steps (at least 15 s). --time T runs an instant query at T.
Times are RFC 3339 (2026-11-20T14:05:00Z) or Unix seconds.`,
		Example: `  forensics promql 'sum by (status) (rate(http_requests_total[5m]))' --start 2026-11-20T13:00:00Z --end 2026-11-20T15:00:00Z --step 1m
  forensics promql 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))' --format csv
  forensics promql 'ALERTS{alertstate="firing"}' --format json
  forensics promql 'up == 0' --time 2026-11-20T14:05:00Z`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(promql.Formats, o.format) {
				return usageError("--format %q: use one of %s", o.format, strings.Join(promql.Formats, ", "))
			}
			ctx := cmd.Context()
			st, err := openRead(ctx, cmd, e)
			if err != nil {
				return err
			}
			defer st.Close()
			q := &promql.Queryable{DB: st.DB}
			eng := promql.NewEngine(o.timeout)
			var v parser.Value
			if o.at != "" {
				ts, err := parseTime(o.at)
				if err != nil {
					return usageError("--time: %v", err)
				}
				v, err = eng.Instant(ctx, q, args[0], ts)
				if err != nil {
					return withHint(err, "check the expression; 'forensics query \"SELECT DISTINCT metric FROM series\"' lists the metrics")
				}
				return promql.Write(e.stdout, v, o.format)
			}
			start, end, err := o.span(ctx, st.DB)
			if err != nil {
				return err
			}
			step := o.step
			if step <= 0 {
				step = max(15*time.Second, end.Sub(start)/250).Round(time.Second)
			}
			v, err = eng.Range(ctx, q, args[0], start, end, step)
			if err != nil {
				return withHint(err, "check the expression; 'forensics query \"SELECT DISTINCT metric FROM series\"' lists the metrics")
			}
			return promql.Write(e.stdout, v, o.format)
		},
	}
	cmd.Flags().StringVar(&o.start, "start", "", "range start (RFC 3339 or Unix seconds; default: the first sample)")
	cmd.Flags().StringVar(&o.end, "end", "", "range end (default: the last sample)")
	cmd.Flags().DurationVar(&o.step, "step", 0, "range step, e.g. 15s, 1m (default: about 250 steps, at least 15s)")
	cmd.Flags().StringVar(&o.at, "time", "", "run an instant query at this time instead of a range query")
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table, csv, json")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up on the query after this long")
	return cmd
}

// span resolves --start and --end, defaulting to the samples' span.
func (o *promqlOptions) span(ctx context.Context, db *sql.DB) (time.Time, time.Time, error) {
	var start, end time.Time
	var err error
	if o.start != "" {
		if start, err = parseTime(o.start); err != nil {
			return start, end, usageError("--start: %v", err)
		}
	}
	if o.end != "" {
		if end, err = parseTime(o.end); err != nil {
			return start, end, usageError("--end: %v", err)
		}
	}
	if start.IsZero() || end.IsZero() {
		var lo, hi sql.NullTime
		if err := db.QueryRowContext(ctx, `SELECT min(ts), max(ts) FROM samples`).Scan(&lo, &hi); err != nil {
			return start, end, withHint(err, "no Prometheus data in this case file: run 'forensics ingest' on a Prometheus data directory first")
		}
		if !lo.Valid {
			return start, end, withHint(fmt.Errorf("no samples in the case file"), "ingest a Prometheus data directory first, or give --start and --end")
		}
		if start.IsZero() {
			start = lo.Time.UTC()
		}
		if end.IsZero() {
			end = hi.Time.UTC()
		}
	}
	if end.Before(start) {
		return start, end, usageError("--end %s is before --start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return start, end, nil
}

// parseTime reads RFC 3339 or Unix seconds (with a fraction).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-11-20T14:05:00Z) nor Unix seconds", s)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}
