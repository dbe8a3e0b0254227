package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vidbench/forensics/collect"
)

func newCollectCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Record live evidence while an incident is going on",
		Long: `collect records evidence from live systems into files of the case folder,
in the formats 'forensics ingest' reads. It only reads from the systems it
watches.`,
		Example: `  forensics collect pg --dsn "postgres://postgres@db:5432/vid_bench" --every 5s --for 10m --out case/pg`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError("collect what? e.g. 'forensics collect pg --dsn DSN --out DIR'")
		},
	}
	cmd.AddCommand(newCollectPGCmd(e))
	return cmd
}

type collectPGOptions struct {
	dsn              string
	every            time.Duration
	forDur           time.Duration
	out              string
	statementTimeout time.Duration
}

func newCollectPGCmd(e *env) *cobra.Command {
	o := &collectPGOptions{}
	cmd := &cobra.Command{
		Use:   "pg --dsn DSN --out DIR [--every 5s] [--for 10m]",
		Short: "Snapshot pg_stat_activity, pg_locks and pg_stat_statements every few seconds",
		Long: `collect pg connects to a live PostgreSQL and, every --every until --for has
passed (or Ctrl-C), saves one snapshot of pg_stat_activity (with
pg_blocking_pids), pg_locks (with the relation's name) and
pg_stat_statements into CSV files in --out, one file per view
(pg_stat_activity-<start>.csv, ...), with the capture time in a snapshot_ts
column, plus pg_settings once. Ingest the folder later with
'forensics ingest'.

It is safe to run against a struggling server: one connection
(application_name 'forensics collect'), each snapshot one short read-only
transaction, a statement timeout (--statement-timeout) and a lock timeout,
and its own backend left out of the snapshots. Without the
pg_stat_statements extension it says so and collects the other two. A
snapshot that fails (a timeout, a lost connection) is skipped whole and the
next one tries again, reconnecting if needed. Ctrl-C stops it cleanly: the
files hold only complete snapshots.

The DSN is a libpq connection string or URL; without --dsn the PG*
environment variables apply (PGHOST, PGPORT, PGUSER, PGDATABASE,
PGPASSWORD), as for psql. Query texts are saved as the server shows them,
unredacted: they may hold secrets (passwords in ALTER ROLE, tokens in
literals). Treat the folder like the database itself.`,
		Example: `  # the incident is on: record 10 minutes, one snapshot every 5 seconds
  forensics collect pg --dsn "postgres://postgres@db:5432/vid_bench?sslmode=disable" --out case-2026-11-20/pg

  # every 2 seconds until Ctrl-C, connection from the PG* variables
  PGHOST=db PGUSER=postgres PGDATABASE=vid_bench forensics collect pg --every 2s --for 0 --out case/pg

  # afterwards
  forensics ingest case-2026-11-20 --db case.duckdb
  forensics query --db case.duckdb "SELECT * FROM pg_blocking ORDER BY snapshot_ts"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.out == "" {
				return usageError("--out DIR is required: the folder the snapshot files go to (e.g. the case folder's pg/)")
			}
			if o.every < 100*time.Millisecond {
				return usageError("--every %s is too short: use 100ms or more (5s is usual)", o.every)
			}
			if o.forDur < 0 {
				return usageError("--for %s: use a positive duration, or 0 to run until Ctrl-C", o.forDur)
			}
			dsn := o.dsn
			if dsn == "" {
				dsn = e.getenv("DATABASE_URL")
			}
			fmt.Fprintf(e.stderr, "collecting into %s every %s %s; Ctrl-C stops\n", o.out, o.every, forText(o.forDur))
			sum, err := collect.PG(cmd.Context(), collect.PGOptions{
				DSN: dsn, Every: o.every, For: o.forDur, Out: o.out,
				StatementTimeout: o.statementTimeout, Log: e.stderr,
			})
			if err != nil {
				if sum == nil {
					return withHint(err, "check --dsn (or PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD), that the server is up (pg_isready) and that pg_hba.conf lets this host in")
				}
				return err
			}
			fmt.Fprintf(e.stdout, "PostgreSQL %s, database %s: %d snapshots written", sum.Server, sum.Database, sum.Snapshots)
			if sum.Failed > 0 {
				fmt.Fprintf(e.stdout, ", %d failed (not written)", sum.Failed)
			}
			if sum.Interrupted {
				fmt.Fprint(e.stdout, "; stopped by interrupt")
			}
			fmt.Fprintln(e.stdout, ".")
			for _, f := range sum.Files {
				fmt.Fprintf(e.stdout, "  %s\n", f)
			}
			for _, v := range []string{"pg_stat_activity", "pg_locks", "pg_stat_statements", "pg_settings"} {
				if n, ok := sum.Rows[v]; ok {
					fmt.Fprintf(e.stdout, "  %s: %d rows\n", v, n)
				}
			}
			if sum.NoStatements != "" {
				fmt.Fprintf(e.stdout, "pg_stat_statements was not collected: %s.\n", sum.NoStatements)
			}
			fmt.Fprintf(e.stdout, "Ingest with: forensics ingest %s --db CASE.duckdb\n", o.out)
			if sum.Snapshots == 0 {
				return errors.New("no snapshot could be taken; see the messages above")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.dsn, "dsn", "", "connection string or URL, e.g. postgres://user@host:5432/db (default $DATABASE_URL, else the PG* variables)")
	cmd.Flags().DurationVar(&o.every, "every", 5*time.Second, "time between snapshots")
	cmd.Flags().DurationVar(&o.forDur, "for", 10*time.Minute, "how long to collect; 0 runs until Ctrl-C")
	cmd.Flags().StringVar(&o.out, "out", "", "folder for the CSV files (created; existing files are never replaced)")
	cmd.Flags().DurationVar(&o.statementTimeout, "statement-timeout", 2*time.Second, "longest any snapshot query may run")
	return cmd
}

func forText(d time.Duration) string {
	if d == 0 {
		return "until interrupted"
	}
	return "for " + d.String()
}
