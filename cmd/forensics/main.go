// Command forensics turns the evidence of an incident on the vid-bench
// service (app and access logs, compose logs, journald, PostgreSQL
// statistics, Prometheus data) into one DuckDB case file, finds what went
// wrong and writes the timeline of the post-incident report.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vidbench/forensics/query"
)

// Exit codes (DESIGN.md).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitPartial = 3
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// exitError carries an exit code other than 1 up to run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is a bad invocation: exit 2 with a hint.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if p := os.Getenv("FORENSICS_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	if p := os.Getenv("FORENSICS_MEMPROFILE"); p != "" {
		// the heap in use at the end of the command (what stayed
		// reachable), for 'go tool pprof -sample_index=inuse_space'
		defer func() {
			if f, err := os.Create(p); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := newRootCmd(env)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	code := exitFailure
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	} else if isFlagError(err) {
		code = exitUsage
	}
	if ctx.Err() != nil {
		if len(args) > 0 && (args[0] == "ingest" || args[0] == "investigate") {
			fmt.Fprintln(stderr, "forensics: interrupted; the file being ingested was rolled back, files already done are kept. Run the same command again to finish.")
		} else {
			fmt.Fprintln(stderr, "forensics: interrupted")
		}
		return 130
	}
	fmt.Fprintf(stderr, "forensics: %v\n", err)
	if ue, ok := query.IsUserError(err); ok && ue.Hint != "" {
		fmt.Fprintf(stderr, "hint: %s\n", ue.Hint)
	}
	var he *hintError
	if errors.As(err, &he) {
		fmt.Fprintf(stderr, "hint: %s\n", he.hint)
	}
	if code == exitUsage {
		fmt.Fprintln(stderr, "Run 'forensics --help' (or 'forensics COMMAND --help') for usage and examples.")
	}
	return code
}

// hintError is an error with a hint of what to do next.
type hintError struct {
	err  error
	hint string
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }

func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

func isFlagError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "flag needs an argument", "invalid argument", "unknown command", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// env is what commands get from the outside world, injected for tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "forensics",
		Short: "Post-incident forensics for the vid-bench service",
		Long: `forensics turns an incident's evidence (app, access and compose logs,
journald, PostgreSQL snapshots, the Prometheus data directory, shell history
and saved command outputs) into one DuckDB case file, finds the root cause,
reconstructs the incident timeline, and answers your own questions in SQL.

The case file is --db FILE (or $FORENSICS_DB); without it 'investigate' uses
./<case folder name>.duckdb and every other command ./forensics.duckdb.
Commands that only read open it read-only, so several can run at once.

Exit codes: 0 ok, 1 failure, 2 bad usage, 3 partial (a file could not be
read and yielded nothing; it is named, the rest was ingested).`,
		Example: `  forensics investigate ./case-2026-11-20
  forensics ingest ./case-2026-11-20/logs --db case.duckdb --tz Europe/Berlin
  forensics detect --db case.duckdb --explain
  forensics timeline --db case.duckdb --format markdown
  forensics query --db case.duckdb "SELECT level, count(*) FROM logs GROUP BY ALL"
  forensics promql --db case.duckdb 'sum by (status) (rate(http_requests_total[5m]))'`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("db", "", "case database file (default $FORENSICS_DB, else ./forensics.duckdb; investigate: ./<case>.duckdb)")
	root.AddCommand(
		newIngestCmd(e),
		newInvestigateCmd(e),
		newQueryCmd(e),
		newSourcesCmd(e),
		newSchemaCmd(e),
		newMigrateCmd(e),
		newCollectCmd(e),
		newDetectCmd(e),
		newTimelineCmd(e),
		newExportCmd(e),
		newPromQLCmd(e),
		newReportCmd(e),
	)
	return root
}

// dbPath resolves the case file: --db, then $FORENSICS_DB, then def.
func dbPath(cmd *cobra.Command, e *env, def string) string {
	if v, _ := cmd.Flags().GetString("db"); v != "" {
		return v
	}
	if v := e.getenv("FORENSICS_DB"); v != "" {
		return v
	}
	return def
}

// openRead opens the case file read-only.
func openRead(ctx context.Context, cmd *cobra.Command, e *env) (*query.Store, error) {
	return query.Open(ctx, dbPath(cmd, e, "forensics.duckdb"), query.Options{ReadOnly: true})
}
