// Package collect records evidence from live systems while an incident is
// still going on, into files that `forensics ingest` reads later. It never
// writes to the systems it watches.
package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PGOptions configure a PostgreSQL collection.
type PGOptions struct {
	// DSN is a libpq connection string or URL
	// ("postgres://user@host:5432/db?sslmode=disable", "host=... dbname=...").
	// Empty: the PG* environment variables, as for psql.
	DSN   string
	Every time.Duration // between snapshots
	For   time.Duration // total; 0 runs until ctx is cancelled
	Out   string        // folder for the CSV files (created)
	// StatementTimeout bounds every query; LockTimeout every lock wait
	// (the views take only catalog locks, which a DDL could hold).
	StatementTimeout time.Duration
	LockTimeout      time.Duration
	Now              func() time.Time
	// Log receives one line per snapshot and per problem, for people.
	Log io.Writer
}

// PGSummary says what a collection recorded.
type PGSummary struct {
	Server    string // server_version
	Database  string
	Snapshots int // complete snapshots written
	Failed    int // snapshots that failed (and were not written)
	Files     []string
	Rows      map[string]int64 // rows written per view
	// NoStatements says why pg_stat_statements is not collected ("" when it is).
	NoStatements string
	Interrupted  bool // stopped by ctx (Ctrl-C) before --for ran out
}

// pgView is one view collected every interval.
type pgView struct {
	name string
	sql  string
	file *csvFile
}

// collector is the state of one collection.
type collector struct {
	opts  PGOptions
	cfg   *pgx.ConnConfig
	conn  *pgx.Conn
	stamp string
	views []*pgView
	sum   *PGSummary
}

// PG connects to PostgreSQL and, every opts.Every until opts.For has passed
// or ctx is cancelled, writes one snapshot of pg_stat_activity (with
// pg_blocking_pids), pg_locks (with the relation's name) and, when the
// extension is there, pg_stat_statements, each in one short REPEATABLE
// READ READ ONLY transaction (so the three share one capture time, now()),
// appended to <view>-<start>.csv in opts.Out as \copy ... CSV HEADER writes
// them, with the capture time in a snapshot_ts column. pg_settings is
// written once at the start. The session is read-only, with a statement
// and a lock timeout; its own backend is left out of the snapshots. A
// snapshot that fails is not written (the files hold whole snapshots
// only) and the next interval tries again, reconnecting when the
// connection was lost. Query text is written as the server shows it: it
// may hold secrets.
func PG(ctx context.Context, opts PGOptions) (*PGSummary, error) {
	if opts.Every <= 0 {
		opts.Every = 5 * time.Second
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 2 * time.Second
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Out == "" {
		return nil, errors.New("no output folder")
	}
	cfg, err := pgx.ParseConfig(opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("read the connection string: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	// The simple protocol returns every value as text, exactly as psql and
	// \copy print it; the settings keep the session harmless.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	for k, v := range map[string]string{
		"application_name":                    "forensics collect",
		"statement_timeout":                   fmt.Sprint(opts.StatementTimeout.Milliseconds()),
		"lock_timeout":                        fmt.Sprint(opts.LockTimeout.Milliseconds()),
		"idle_in_transaction_session_timeout": fmt.Sprint(max(opts.StatementTimeout, opts.Every).Milliseconds() * 3),
		"default_transaction_read_only":       "on",
		"TimeZone":                            "UTC",
		"DateStyle":                           "ISO, MDY",
		"IntervalStyle":                       "postgres",
		"extra_float_digits":                  "1",
	} {
		cfg.RuntimeParams[k] = v
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", opts.Out, err)
	}
	c := &collector{opts: opts, cfg: cfg, sum: &PGSummary{Rows: map[string]int64{}, Database: cfg.Database},
		stamp: opts.Now().UTC().Format("20060102T150405Z")}
	defer c.close()
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	if err := c.setup(ctx); err != nil {
		return c.sum, err
	}
	start := opts.Now()
	tick := time.NewTicker(opts.Every)
	defer tick.Stop()
	for {
		c.snapshot(ctx)
		if ctx.Err() != nil {
			c.sum.Interrupted = true
			break
		}
		if opts.For > 0 && opts.Now().Sub(start)+opts.Every > opts.For {
			break
		}
		select {
		case <-ctx.Done():
			c.sum.Interrupted = true
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	return c.sum, c.closeFiles()
}

// connect opens the session.
func (c *collector) connect(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, c.cfg)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	c.conn = conn
	return nil
}

func (c *collector) close() {
	if c.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c.conn.Close(ctx)
		c.conn = nil
	}
}

// setup finds what can be collected, writes pg_settings once and opens
// the files.
func (c *collector) setup(ctx context.Context) error {
	res, err := c.query(ctx, `SELECT current_setting('server_version'), current_database(), current_setting('server_version_num')`)
	if err != nil {
		return fmt.Errorf("ask the server its version: %w", err)
	}
	versionNum := 0
	if len(res.Rows) == 1 {
		c.sum.Server, c.sum.Database = string(res.Rows[0][0]), string(res.Rows[0][1])
		fmt.Sscan(string(res.Rows[0][2]), &versionNum)
	}
	blockedBy := ", pg_blocking_pids(a.pid) AS blocked_by"
	if versionNum > 0 && versionNum < 90600 {
		blockedBy = "" // pg_blocking_pids came with 9.6
	}
	c.views = []*pgView{
		{name: "pg_stat_activity", sql: `SELECT now() AS snapshot_ts, a.*` + blockedBy + `
FROM pg_stat_activity a WHERE a.pid IS DISTINCT FROM pg_backend_pid()`},
		{name: "pg_locks", sql: `SELECT now() AS snapshot_ts, l.*,
       CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END AS relation_name
FROM pg_locks l WHERE l.pid IS DISTINCT FROM pg_backend_pid()`},
	}
	schema, why := c.statementsSchema(ctx)
	if why != "" {
		c.sum.NoStatements = why
		fmt.Fprintf(c.opts.Log, "pg_stat_statements: %s; collecting pg_stat_activity and pg_locks only\n", why)
	} else {
		c.views = append(c.views, &pgView{name: "pg_stat_statements",
			sql: `SELECT now() AS snapshot_ts, s.* FROM ` + quoteIdent(schema) + `.pg_stat_statements s`})
	}
	// pg_settings, once
	settings, err := c.inTx(ctx, []string{`SELECT now() AS snapshot_ts, name, setting, unit, category, short_desc, context, vartype,
       source, min_val, max_val, boot_val, reset_val, pending_restart FROM pg_settings ORDER BY name`})
	if err != nil {
		return fmt.Errorf("read pg_settings: %w", err)
	}
	f, err := c.create("pg_settings")
	if err != nil {
		return err
	}
	n, err := f.write(settings[0])
	if err != nil {
		return err
	}
	c.sum.Rows["pg_settings"] += n
	if err := f.close(); err != nil {
		return err
	}
	for _, v := range c.views {
		if v.file, err = c.create(v.name); err != nil {
			return err
		}
	}
	return nil
}

// statementsSchema returns the schema of pg_stat_statements, or why it
// cannot be read.
func (c *collector) statementsSchema(ctx context.Context) (string, string) {
	res, err := c.query(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'`)
	if err != nil {
		return "", "cannot tell whether the extension is installed: " + err.Error()
	}
	if len(res.Rows) == 0 {
		return "", fmt.Sprintf("the extension is not installed in database %q (it needs shared_preload_libraries = 'pg_stat_statements' and CREATE EXTENSION pg_stat_statements)", c.sum.Database)
	}
	schema := string(res.Rows[0][0])
	if _, err := c.query(ctx, `SELECT 1 FROM `+quoteIdent(schema)+`.pg_stat_statements LIMIT 1`); err != nil {
		return "", "installed but not readable: " + err.Error()
	}
	return schema, ""
}

// query runs one statement outside a transaction.
func (c *collector) query(ctx context.Context, sql string) (*pgconn.Result, error) {
	return c.exec(ctx, sql)
}

// exec runs one statement and reads its result: the column names (also
// when there is no row: pgconn's ReadAll leaves them out then) and the
// values as text, nil for NULL.
func (c *collector) exec(ctx context.Context, sql string) (*pgconn.Result, error) {
	mrr := c.conn.PgConn().Exec(ctx, sql)
	var out *pgconn.Result
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		r := &pgconn.Result{FieldDescriptions: append([]pgconn.FieldDescription(nil), rr.FieldDescriptions()...)}
		for rr.NextRow() {
			vals := rr.Values()
			row := make([][]byte, len(vals))
			for i, v := range vals {
				if v != nil {
					row[i] = append(make([]byte, 0, len(v)), v...)
				}
			}
			r.Rows = append(r.Rows, row)
		}
		r.CommandTag, r.Err = rr.Close()
		if out == nil {
			out = r
		}
	}
	if err := mrr.Close(); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.New("no result")
	}
	return out, out.Err
}

// inTx runs the statements in one short read-only transaction.
func (c *collector) inTx(ctx context.Context, sqls []string) ([]*pgconn.Result, error) {
	if _, err := c.exec(ctx, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`); err != nil {
		return nil, err
	}
	var out []*pgconn.Result
	for _, q := range sqls {
		r, err := c.exec(ctx, q)
		if err != nil {
			c.rollback()
			return nil, err
		}
		out = append(out, r)
	}
	if _, err := c.exec(ctx, `COMMIT`); err != nil {
		return nil, err
	}
	return out, nil
}

// rollback ends a failed transaction, also when ctx was cancelled.
func (c *collector) rollback() {
	if c.conn == nil || c.conn.IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.conn.PgConn().Exec(ctx, `ROLLBACK`).ReadAll()
}

// snapshot takes and writes one snapshot of every view.
func (c *collector) snapshot(ctx context.Context) {
	if c.conn == nil || c.conn.IsClosed() {
		c.close()
		if err := c.connect(ctx); err != nil {
			if ctx.Err() == nil {
				c.sum.Failed++
				fmt.Fprintf(c.opts.Log, "%s snapshot failed: %v (trying again in %s)\n", c.opts.Now().UTC().Format(time.TimeOnly), err, c.opts.Every)
			}
			return
		}
		fmt.Fprintf(c.opts.Log, "%s reconnected\n", c.opts.Now().UTC().Format(time.TimeOnly))
	}
	sqls := make([]string, len(c.views))
	for i, v := range c.views {
		sqls[i] = v.sql
	}
	rs, err := c.inTx(ctx, sqls)
	if err != nil {
		if ctx.Err() != nil {
			return // interrupted: the snapshot is not written
		}
		c.sum.Failed++
		fmt.Fprintf(c.opts.Log, "%s snapshot failed: %v (nothing of it written; trying again in %s)\n", c.opts.Now().UTC().Format(time.TimeOnly), err, c.opts.Every)
		if c.conn.IsClosed() || isConnError(err) {
			c.close()
		}
		return
	}
	var parts []string
	for i, v := range c.views {
		n, err := v.file.write(rs[i])
		if err != nil {
			c.sum.Failed++
			fmt.Fprintf(c.opts.Log, "write %s: %v\n", v.file.path, err)
			return
		}
		c.sum.Rows[v.name] += n
		parts = append(parts, fmt.Sprintf("%d %s", n, v.name))
	}
	c.sum.Snapshots++
	ts := ""
	if len(rs[0].Rows) > 0 {
		ts = string(rs[0].Rows[0][0])
	}
	fmt.Fprintf(c.opts.Log, "snapshot %d at %s: %s\n", c.sum.Snapshots, ts, strings.Join(parts, ", "))
}

// isConnError reports errors after which the session is unusable.
func isConnError(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	return true
}

func (c *collector) closeFiles() error {
	var first error
	for _, v := range c.views {
		if v.file == nil {
			continue
		}
		if err := v.file.close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// create makes <view>-<start>.csv in the output folder, never replacing a
// file.
func (c *collector) create(view string) (*csvFile, error) {
	for i := 1; ; i++ {
		name := view + "-" + c.stamp + ".csv"
		if i > 1 {
			name = fmt.Sprintf("%s-%s-%d.csv", view, c.stamp, i)
		}
		path := filepath.Join(c.opts.Out, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		c.sum.Files = append(c.sum.Files, path)
		return &csvFile{path: path, f: f}, nil
	}
}

// csvFile is one output file: a header whenever the columns change (so
// once, unless the server changed under us), then rows.
type csvFile struct {
	path   string
	f      *os.File
	header string
	buf    bytes.Buffer
}

// write appends the result's rows as COPY ... CSV HEADER would.
func (f *csvFile) write(r *pgconn.Result) (int64, error) {
	f.buf.Reset()
	var names []string
	for _, fd := range r.FieldDescriptions {
		names = append(names, fd.Name)
	}
	var hb bytes.Buffer
	for i, n := range names {
		if i > 0 {
			hb.WriteByte(',')
		}
		csvValue(&hb, []byte(n))
	}
	if h := hb.String(); h != f.header {
		f.header = h
		f.buf.WriteString(h)
		f.buf.WriteByte('\n')
	}
	for _, row := range r.Rows {
		for i, v := range row {
			if i > 0 {
				f.buf.WriteByte(',')
			}
			if v != nil {
				csvValue(&f.buf, v)
			}
		}
		f.buf.WriteByte('\n')
	}
	if _, err := f.f.Write(f.buf.Bytes()); err != nil {
		return 0, err
	}
	return int64(len(r.Rows)), nil
}

func (f *csvFile) close() error {
	if f.f == nil {
		return nil
	}
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	f.f = nil
	return err
}

// csvValue writes one non-NULL value, quoted as COPY's CSV format quotes:
// when it holds a comma, a quote, a line break, or is empty (an empty
// string, unlike NULL, is "").
func csvValue(b *bytes.Buffer, v []byte) {
	if len(v) > 0 && bytes.IndexAny(v, ",\"\r\n") < 0 && v[0] != ' ' && v[len(v)-1] != ' ' {
		b.Write(v)
		return
	}
	b.WriteByte('"')
	for _, c := range v {
		if c == '"' {
			b.WriteByte('"')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
