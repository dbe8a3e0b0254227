package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/ingest"
	"github.com/vidbench/forensics/query"
)

// ingestOptions are the flags shared by ingest and investigate.
type ingestOptions struct {
	tz     string
	since  string
	until  string
	quiet  bool
	noProg bool
}

func (o *ingestOptions) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.tz, "tz", "UTC", "time zone of zone-less time stamps (Python asctime, syslog, psql \\watch titles), e.g. Europe/Berlin")
	cmd.Flags().StringVar(&o.since, "since", "", "ingest only records at or after this time (RFC 3339, '2026-11-20 14:00', or a date)")
	cmd.Flags().StringVar(&o.until, "until", "", "ingest only records before this time")
	cmd.Flags().BoolVar(&o.noProg, "no-progress", false, "no progress bar (it is shown only when stderr is a terminal)")
}

func newIngestCmd(e *env) *cobra.Command {
	o := &ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest PATH...",
		Short: "Read evidence files and folders into the case database",
		Long: `ingest walks the files and folders given, recognises each file by its
content (not its name), and stores its records in the case database, one
transaction per file. .gz files are read transparently and rotated sets
(x.log.2.gz, x.log.1, x.log) are ingested oldest first.

Ingest is idempotent: a file already ingested adds nothing (even renamed or
recompressed by logrotate), a file that only grew adds just its new part, and
a later run with a wider --since/--until window adds only what the earlier
window left out. Lines that cannot be read are counted as rejects (see the
rejects table); a file that cannot be read at all is named, the rest is still
ingested, and the exit code is 3. The evidence is opened read-only.`,
		Example: `  forensics ingest ./case-2026-11-20
  forensics ingest logs/vid-bench/access.log logs/docker-compose.log --db case.duckdb
  forensics ingest ./case --since "2026-11-20 13:30" --until "2026-11-20 16:00"
  FORENSICS_DB=case.duckdb forensics ingest ./more-evidence`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db := dbPath(cmd, e, "forensics.duckdb")
			res, err := ingestPaths(cmd.Context(), e, db, args, o)
			if err != nil {
				return err
			}
			if res.Partial() {
				return &exitError{code: exitPartial}
			}
			return nil
		},
	}
	o.flags(cmd)
	return cmd
}

// parseWindow reads --tz, --since and --until.
func (o *ingestOptions) window() (*time.Location, forensics.TimeRange, error) {
	loc, err := time.LoadLocation(o.tz)
	if err != nil {
		return nil, forensics.TimeRange{}, usageError("--tz %q: %v (use an IANA zone such as UTC or Europe/Berlin)", o.tz, err)
	}
	var w forensics.TimeRange
	if o.since != "" {
		if w.Since, err = parseWhen(o.since, loc); err != nil {
			return nil, w, usageError("--since: %v", err)
		}
	}
	if o.until != "" {
		if w.Until, err = parseWhen(o.until, loc); err != nil {
			return nil, w, usageError("--until: %v", err)
		}
	}
	if !w.Since.IsZero() && !w.Until.IsZero() && !w.Until.After(w.Since) {
		return nil, w, usageError("--until %s is not after --since %s", o.until, o.since)
	}
	return loc, w, nil
}

// parseWhen parses the times users type: RFC 3339, "2026-11-20 14:00[:05]",
// "2026-11-20T14:00", a date, or epoch seconds.
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 1e9 && n < 1e10 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("cannot read time %q (use e.g. 2026-11-20T14:00:00Z or \"2026-11-20 14:00\")", s)
}

// ingestPaths runs an ingest with progress and prints the summary.
func ingestPaths(ctx context.Context, e *env, db string, paths []string, o *ingestOptions) (*ingest.Result, error) {
	loc, w, err := o.window()
	if err != nil {
		return nil, err
	}
	absDB, _ := filepath.Abs(db)
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return nil, withHint(fmt.Errorf("%s: %w", p, err), "check the path of the evidence")
		}
		ap, _ := filepath.Abs(p)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() && strings.HasPrefix(absDB, ap+string(filepath.Separator)) {
			return nil, usageError("the case file %s would be written inside the evidence folder %s; the evidence must stay untouched: pass --db with a path outside it", db, p)
		}
	}
	st, err := query.Open(ctx, db, query.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	wr, err := st.NewWriter(ctx, strings.Join(paths, " "), loc.String(), w)
	if err != nil {
		return nil, err
	}
	defer wr.Close()
	if v := e.getenv("FORENSICS_TEST_KILL_AFTER_ROWS"); v != "" {
		wr.KillAfterRows, _ = strconv.ParseInt(v, 10, 64)
	}
	if hold := e.getenv("FORENSICS_TEST_HOLD"); hold != "" {
		testHold(ctx, hold)
	}
	opts := ingest.Options{
		TZ: loc, Window: w, Miner: newMiner(),
		Skip: func(p string) bool { return p == absDB || p == absDB+".wal" },
	}
	if !o.noProg && !o.quiet {
		opts.Progress = newProgress(e.stderr)
	}
	res, err := ingest.Run(ctx, storeAdapter{wr}, paths, opts)
	status := "ok"
	switch {
	case err != nil:
		status = "failed"
	case res.Partial():
		status = "partial"
	}
	var files int64
	if res != nil {
		for _, f := range res.Files {
			if f.Stats.Rows > 0 {
				files++
			}
		}
		_ = wr.FinishRun(context.WithoutCancel(ctx), files, res.Rows, status)
	}
	if err != nil {
		return res, err
	}
	if !o.quiet {
		printIngestSummary(e.stdout, e.stderr, db, res, loc)
	}
	return res, nil
}

func printIngestSummary(out, errw io.Writer, db string, res *ingest.Result, loc *time.Location) {
	t := tablewriter.NewTable(out, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithTrimSpace(tw.Off))
	t.Header("file", "kind", "action", "rows", "rejects", "first", "last")
	var rows, rejects, conts int64
	for _, f := range res.Files {
		first, last := "", ""
		if !f.Stats.FirstTS.IsZero() {
			first = query.FormatTime(f.Stats.FirstTS, loc)
			last = query.FormatTime(f.Stats.LastTS, loc)
		}
		action := f.Action
		if f.Note != "" {
			action += " (" + f.Note + ")"
		}
		t.Append(f.Path, f.Kind, action, strconv.FormatInt(f.Stats.Rows, 10), strconv.FormatInt(f.Stats.Rejects, 10), first, last)
		rows += f.Stats.Rows
		rejects += f.Stats.Rejects
		conts += f.Stats.Continuations
	}
	t.Render()
	for _, p := range res.Problems {
		fmt.Fprintf(errw, "%s: %s\n", p.Severity, p.String())
	}
	fmt.Fprintf(out, "Ingested %d rows (%d continuation lines folded, %d rejected lines) from %d files in %s into %s",
		rows, conts, rejects, len(res.Files), res.Elapsed.Round(time.Millisecond), db)
	if res.Duplicates > 0 {
		fmt.Fprintf(out, "; %d records seen in more than one source marked as duplicates", res.Duplicates)
	}
	fmt.Fprintln(out, ".")
	if len(res.Files) == 0 && len(res.Problems) == 0 {
		fmt.Fprintln(out, "No evidence files found: check the path (hidden files and the case file itself are left out).")
	} else if rows == 0 && rejects == 0 {
		fmt.Fprintln(out, "Nothing new: every readable file was already in the case.")
	}
	if rejects > 0 {
		fmt.Fprintf(out, "See the rejected lines with: forensics query --db %s \"SELECT s.path, r.line_no, r.reason FROM rejects r JOIN sources s ON s.id = r.source_id ORDER BY 1, 2 LIMIT 50\"\n", db)
	}
}
