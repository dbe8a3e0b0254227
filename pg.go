package forensics

import "time"

// PostgreSQL statistics snapshots: rows of pg_stat_activity,
// pg_stat_statements, pg_locks and pg_settings as engineers save them
// (CSV, JSON lines, psql's aligned output) or as `forensics collect pg`
// writes them. The column catalog below is shared by the readers (which
// map a file's columns onto it) and the store (which builds the tables
// from it), so both always agree.

// The PostgreSQL views a snapshot can hold.
const (
	PGActivity   = "pg_stat_activity"
	PGStatements = "pg_stat_statements"
	PGLocks      = "pg_locks"
	PGSettings   = "pg_settings"
)

// PGType is the type of a normalized snapshot column.
type PGType uint8

// The column types. Times are stored as UTC TIMESTAMPTZ; PostgreSQL's oid,
// xid and bigint values all fit in an int64.
const (
	PGText PGType = iota
	PGInt
	PGFloat
	PGBool
	PGTime
)

// PGColumn is one normalized column of a snapshot table.
type PGColumn struct {
	Name string // the column in the case table (PostgreSQL 17 names for pg_stat_statements)
	Type PGType
	// Aliases are the names other server versions use for the same value
	// (total_time up to PostgreSQL 12, blk_read_time up to 16, procpid up to 9.1).
	Aliases []string
}

// PGViewSpec describes how one view's snapshots are stored.
type PGViewSpec struct {
	View    string // pg_stat_activity, ...
	Table   string // pg_activity, ...
	Columns []PGColumn
}

// PGViews returns the four views, with their columns in table order.
func PGViews() []PGViewSpec {
	return []PGViewSpec{
		{View: PGActivity, Table: PGTable(PGActivity), Columns: pgActivityColumns},
		{View: PGStatements, Table: PGTable(PGStatements), Columns: pgStatementsColumns},
		{View: PGLocks, Table: PGTable(PGLocks), Columns: pgLocksColumns},
		{View: PGSettings, Table: PGTable(PGSettings), Columns: pgSettingsColumns},
	}
}

// PGSnapshotColumns are the capture-time names: a column with one of these
// names holds the time of the snapshot its row belongs to.
var PGSnapshotColumns = []string{"snapshot_ts", "captured_at", "now"}

func col(name string, t PGType, aliases ...string) PGColumn {
	return PGColumn{Name: name, Type: t, Aliases: aliases}
}

var pgActivityColumns = []PGColumn{
	col("datid", PGInt),
	col("datname", PGText),
	col("pid", PGInt, "procpid"),
	col("leader_pid", PGInt),
	col("usesysid", PGInt),
	col("usename", PGText),
	col("application_name", PGText),
	col("client_addr", PGText),
	col("client_hostname", PGText),
	col("client_port", PGInt),
	col("backend_start", PGTime),
	col("xact_start", PGTime),
	col("query_start", PGTime),
	col("state_change", PGTime),
	col("wait_event_type", PGText),
	col("wait_event", PGText),
	col("state", PGText),
	col("backend_xid", PGInt),
	col("backend_xmin", PGInt),
	col("query_id", PGInt),
	col("query", PGText, "current_query"),
	col("backend_type", PGText),
	// blocked_by is not a column of the view: forensics collect pg adds
	// pg_blocking_pids(pid), the server's own answer to "who blocks it".
	col("blocked_by", PGText),
}

var pgStatementsColumns = []PGColumn{
	col("userid", PGInt),
	col("dbid", PGInt),
	col("toplevel", PGBool),
	col("queryid", PGInt),
	col("query", PGText),
	col("plans", PGInt),
	col("total_plan_time", PGFloat),
	col("min_plan_time", PGFloat),
	col("max_plan_time", PGFloat),
	col("mean_plan_time", PGFloat),
	col("stddev_plan_time", PGFloat),
	col("calls", PGInt),
	col("total_exec_time", PGFloat, "total_time"),
	col("min_exec_time", PGFloat, "min_time"),
	col("max_exec_time", PGFloat, "max_time"),
	col("mean_exec_time", PGFloat, "mean_time"),
	col("stddev_exec_time", PGFloat, "stddev_time"),
	col("rows", PGInt),
	col("shared_blks_hit", PGInt),
	col("shared_blks_read", PGInt),
	col("shared_blks_dirtied", PGInt),
	col("shared_blks_written", PGInt),
	col("local_blks_hit", PGInt),
	col("local_blks_read", PGInt),
	col("local_blks_dirtied", PGInt),
	col("local_blks_written", PGInt),
	col("temp_blks_read", PGInt),
	col("temp_blks_written", PGInt),
	col("shared_blk_read_time", PGFloat, "blk_read_time"),
	col("shared_blk_write_time", PGFloat, "blk_write_time"),
	col("local_blk_read_time", PGFloat),
	col("local_blk_write_time", PGFloat),
	col("temp_blk_read_time", PGFloat),
	col("temp_blk_write_time", PGFloat),
	col("wal_records", PGInt),
	col("wal_fpi", PGInt),
	col("wal_bytes", PGFloat),
	col("wal_buffers_full", PGInt),
	col("jit_functions", PGInt),
	col("jit_generation_time", PGFloat),
	col("jit_inlining_count", PGInt),
	col("jit_inlining_time", PGFloat),
	col("jit_optimization_count", PGInt),
	col("jit_optimization_time", PGFloat),
	col("jit_emission_count", PGInt),
	col("jit_emission_time", PGFloat),
	col("jit_deform_count", PGInt),
	col("jit_deform_time", PGFloat),
	col("parallel_workers_to_launch", PGInt),
	col("parallel_workers_launched", PGInt),
	col("stats_since", PGTime),
	col("minmax_stats_since", PGTime),
}

var pgLocksColumns = []PGColumn{
	col("locktype", PGText),
	col("database", PGInt),
	col("relation", PGInt),
	col("page", PGInt),
	col("tuple", PGInt),
	col("virtualxid", PGText),
	col("transactionid", PGInt),
	col("classid", PGInt),
	col("objid", PGInt),
	col("objsubid", PGInt),
	col("virtualtransaction", PGText),
	col("pid", PGInt),
	col("mode", PGText),
	col("granted", PGBool),
	col("fastpath", PGBool),
	col("waitstart", PGTime),
	// relation_name is not a column of the view: forensics collect pg adds
	// relation::regclass so that the table's name survives.
	col("relation_name", PGText),
}

var pgSettingsColumns = []PGColumn{
	col("name", PGText),
	col("setting", PGText),
	col("unit", PGText),
	col("category", PGText),
	col("short_desc", PGText),
	col("context", PGText),
	col("vartype", PGText),
	col("source", PGText),
	col("min_val", PGText),
	col("max_val", PGText),
	col("boot_val", PGText),
	col("reset_val", PGText),
	col("pending_restart", PGBool),
}

// PGValue is one value of a snapshot row. Text values are in S; integers,
// booleans (0 or 1) and times (Unix microseconds) in N; floats in F.
type PGValue struct {
	S  string
	N  int64
	F  float64
	OK bool // false: NULL
}

// PGRow is one row of a snapshot of a PostgreSQL statistics view.
type PGRow struct {
	View       string    // which view (PGActivity, ...); decides the table
	SnapshotTS time.Time // capture time; zero when nothing tells
	TSSource   string    // where it comes from: column, title, file_name, mtime
	SnapshotNo int       // the snapshot's ordinal in its file (rows of one snapshot share it)
	Form       string    // csv, json or psql
	LineNo     int64     // first line of the row in the decompressed file
	Lines      int       // physical lines of the row (wrapped cells, quoted newlines)
	Layout     string    // pg_stat_statements column generation: "pre13", "13-16", "17+", or "" (too few columns to tell)
	Vals       []PGValue // by the view's PGViewSpec.Columns
	Extra      map[string]string
}

// Table implements Record.
func (r *PGRow) Table() string { return PGTable(r.View) }

// PGTable names the case table that holds snapshots of view. The rows of
// pg_stat_statements are stored in pg_statement_rows with each query text
// once (pg_query_texts); users and detectors read them through the
// pg_statements view.
func PGTable(view string) string {
	switch view {
	case PGActivity:
		return "pg_activity"
	case PGStatements:
		return "pg_statement_rows"
	case PGLocks:
		return "pg_locks"
	case PGSettings:
		return "pg_settings"
	}
	return ""
}

// PGSnapshot is the frame of one table of rows in a file: a psql result
// (title, header, rule and footer lines, and blank lines around it) or a
// CSV header line. It is kept also when the table has no rows or is no
// statistics view at all (then Text holds it), so that every line of a
// file is accounted for.
type PGSnapshot struct {
	SnapshotNo int
	View       string // "" when the columns match none of the views
	Form       string
	SnapshotTS time.Time
	TSSource   string
	Title      string
	LineNo     int64
	Lines      int
	Rows       int   // data rows read under this frame
	Rejected   int   // data rows rejected
	Footer     int64 // rows the psql footer announced; -1 without a footer
	Columns    []string
	Unknown    []string // columns kept in extra
	Layout     string
	Note       string // what looked wrong: cut off, footer disagrees, ...
	Text       string // for a table of no known view: its text (cut)
}

// Table implements Record.
func (*PGSnapshot) Table() string { return "pg_snapshots" }
