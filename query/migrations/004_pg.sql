-- 004: PostgreSQL statistics snapshots: rows of pg_stat_activity,
-- pg_stat_statements, pg_locks and pg_settings as saved during an incident
-- (CSV, JSON lines, psql aligned output, forensics collect pg), the frame
-- of each table read, and the views engineers and detectors ask first:
-- statement costs per interval, long-running queries, who blocks whom.
-- Written re-runnable (IF NOT EXISTS, OR REPLACE). The columns of the four
-- snapshot tables follow forensics.PGViews (pg.go); a test checks that they
-- agree with query/table_pg.go.

CREATE TABLE IF NOT EXISTS pg_activity (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    lines INTEGER,
    snapshot_ts TIMESTAMPTZ,
    ts_source VARCHAR,
    snapshot_no INTEGER,
    form VARCHAR,
    datid BIGINT,
    datname VARCHAR,
    pid BIGINT,
    leader_pid BIGINT,
    usesysid BIGINT,
    usename VARCHAR,
    application_name VARCHAR,
    client_addr VARCHAR,
    client_hostname VARCHAR,
    client_port BIGINT,
    backend_start TIMESTAMPTZ,
    xact_start TIMESTAMPTZ,
    query_start TIMESTAMPTZ,
    state_change TIMESTAMPTZ,
    wait_event_type VARCHAR,
    wait_event VARCHAR,
    state VARCHAR,
    backend_xid BIGINT,
    backend_xmin BIGINT,
    query_id BIGINT,
    query VARCHAR,
    backend_type VARCHAR,
    blocked_by VARCHAR,
    extra VARCHAR
);
COMMENT ON TABLE pg_activity IS 'one row per row of a pg_stat_activity snapshot (a backend at the capture time)';
COMMENT ON COLUMN pg_activity.id IS 'row id; evidence ref pg_activity:<id>';
COMMENT ON COLUMN pg_activity.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN pg_activity.line_no IS 'first line of the row in the decompressed file';
COMMENT ON COLUMN pg_activity.lines IS 'physical lines of the row (a query with newlines spans several)';
COMMENT ON COLUMN pg_activity.snapshot_ts IS 'capture time of the snapshot, UTC';
COMMENT ON COLUMN pg_activity.ts_source IS 'where snapshot_ts comes from: column (snapshot_ts, captured_at or now), title (psql \watch title or a date line above the table), file_name, or mtime (the file''s modification time: a guess, reported as a warning)';
COMMENT ON COLUMN pg_activity.snapshot_no IS 'ordinal of the snapshot in its file: rows of one snapshot share (source_id, snapshot_no)';
COMMENT ON COLUMN pg_activity.form IS 'how it was saved: csv, json or psql (aligned output)';
COMMENT ON COLUMN pg_activity.datid IS 'OID of the database';
COMMENT ON COLUMN pg_activity.datname IS 'database';
COMMENT ON COLUMN pg_activity.pid IS 'backend process id (procpid before PostgreSQL 9.2)';
COMMENT ON COLUMN pg_activity.leader_pid IS 'parallel group leader, for parallel workers';
COMMENT ON COLUMN pg_activity.usesysid IS 'OID of the user';
COMMENT ON COLUMN pg_activity.usename IS 'user';
COMMENT ON COLUMN pg_activity.application_name IS 'application_name of the client';
COMMENT ON COLUMN pg_activity.client_addr IS 'client address (NULL: Unix socket or internal process)';
COMMENT ON COLUMN pg_activity.client_hostname IS 'client host name (log_hostname)';
COMMENT ON COLUMN pg_activity.client_port IS 'client TCP port (-1: Unix socket)';
COMMENT ON COLUMN pg_activity.backend_start IS 'when the backend (connection) started';
COMMENT ON COLUMN pg_activity.xact_start IS 'when its current transaction started';
COMMENT ON COLUMN pg_activity.query_start IS 'when its current (or, when idle, last) query started';
COMMENT ON COLUMN pg_activity.state_change IS 'when state last changed';
COMMENT ON COLUMN pg_activity.wait_event_type IS 'what it waits on: Lock, LWLock, IO, Client, Activity, IPC, Timeout, ...';
COMMENT ON COLUMN pg_activity.wait_event IS 'the wait event: relation, transactionid, tuple, ClientRead, ...';
COMMENT ON COLUMN pg_activity.state IS 'active, idle, idle in transaction, idle in transaction (aborted), fastpath function call, disabled';
COMMENT ON COLUMN pg_activity.backend_xid IS 'its top-level transaction id';
COMMENT ON COLUMN pg_activity.backend_xmin IS 'its xmin horizon';
COMMENT ON COLUMN pg_activity.query_id IS 'query identifier (PostgreSQL 14+, compute_query_id): joins pg_statements.queryid';
COMMENT ON COLUMN pg_activity.query IS 'text of the current or last query (current_query before 9.2); may hold secrets';
COMMENT ON COLUMN pg_activity.backend_type IS 'client backend, autovacuum worker, walsender, ...';
COMMENT ON COLUMN pg_activity.blocked_by IS 'pg_blocking_pids(pid) as forensics collect pg records it, e.g. {20916}: the server''s own answer to who blocks it';
COMMENT ON COLUMN pg_activity.extra IS 'columns of the file that are not listed here, as JSON text of strings: extra->>''name''';

CREATE TABLE IF NOT EXISTS pg_statements (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    lines INTEGER,
    snapshot_ts TIMESTAMPTZ,
    ts_source VARCHAR,
    snapshot_no INTEGER,
    form VARCHAR,
    layout VARCHAR,
    userid BIGINT,
    dbid BIGINT,
    toplevel BOOLEAN,
    queryid BIGINT,
    query VARCHAR,
    plans BIGINT,
    total_plan_time DOUBLE,
    min_plan_time DOUBLE,
    max_plan_time DOUBLE,
    mean_plan_time DOUBLE,
    stddev_plan_time DOUBLE,
    calls BIGINT,
    total_exec_time DOUBLE,
    min_exec_time DOUBLE,
    max_exec_time DOUBLE,
    mean_exec_time DOUBLE,
    stddev_exec_time DOUBLE,
    "rows" BIGINT,
    shared_blks_hit BIGINT,
    shared_blks_read BIGINT,
    shared_blks_dirtied BIGINT,
    shared_blks_written BIGINT,
    local_blks_hit BIGINT,
    local_blks_read BIGINT,
    local_blks_dirtied BIGINT,
    local_blks_written BIGINT,
    temp_blks_read BIGINT,
    temp_blks_written BIGINT,
    shared_blk_read_time DOUBLE,
    shared_blk_write_time DOUBLE,
    local_blk_read_time DOUBLE,
    local_blk_write_time DOUBLE,
    temp_blk_read_time DOUBLE,
    temp_blk_write_time DOUBLE,
    wal_records BIGINT,
    wal_fpi BIGINT,
    wal_bytes DOUBLE,
    wal_buffers_full BIGINT,
    jit_functions BIGINT,
    jit_generation_time DOUBLE,
    jit_inlining_count BIGINT,
    jit_inlining_time DOUBLE,
    jit_optimization_count BIGINT,
    jit_optimization_time DOUBLE,
    jit_emission_count BIGINT,
    jit_emission_time DOUBLE,
    jit_deform_count BIGINT,
    jit_deform_time DOUBLE,
    parallel_workers_to_launch BIGINT,
    parallel_workers_launched BIGINT,
    stats_since TIMESTAMPTZ,
    minmax_stats_since TIMESTAMPTZ,
    extra VARCHAR
);
COMMENT ON TABLE pg_statements IS 'one row per row of a pg_stat_statements snapshot, in one column naming for every server version (PostgreSQL 17''s): total_time etc. (up to 12) land in total_exec_time etc., blk_read_time/blk_write_time (13-16) in shared_blk_read_time/shared_blk_write_time. Counters are cumulative since the last reset: see pg_statement_deltas for what an interval cost';
COMMENT ON COLUMN pg_statements.id IS 'row id; evidence ref pg_statements:<id>';
COMMENT ON COLUMN pg_statements.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN pg_statements.line_no IS 'first line of the row in the decompressed file';
COMMENT ON COLUMN pg_statements.lines IS 'physical lines of the row (a query with newlines spans several)';
COMMENT ON COLUMN pg_statements.snapshot_ts IS 'capture time of the snapshot, UTC';
COMMENT ON COLUMN pg_statements.ts_source IS 'where snapshot_ts comes from: column, title, file_name or mtime (a guess, reported as a warning)';
COMMENT ON COLUMN pg_statements.snapshot_no IS 'ordinal of the snapshot in its file';
COMMENT ON COLUMN pg_statements.form IS 'csv, json or psql';
COMMENT ON COLUMN pg_statements.layout IS 'column names of the file: pre13 (total_time, ...: PostgreSQL 12 and older), 13-16 (total_exec_time, blk_read_time), 17+ (shared_blk_read_time, stats_since), NULL when the selected columns do not tell';
COMMENT ON COLUMN pg_statements.userid IS 'OID of the user who ran it';
COMMENT ON COLUMN pg_statements.dbid IS 'OID of the database';
COMMENT ON COLUMN pg_statements.toplevel IS 'true when run at top level (PostgreSQL 14+ with track = all)';
COMMENT ON COLUMN pg_statements.queryid IS 'hash of the normalized query: the key across snapshots';
COMMENT ON COLUMN pg_statements.query IS 'normalized query text ($1 for constants); may hold secrets';
COMMENT ON COLUMN pg_statements.plans IS 'times planned (track_planning)';
COMMENT ON COLUMN pg_statements.total_plan_time IS 'ms spent planning, total';
COMMENT ON COLUMN pg_statements.min_plan_time IS 'ms, shortest planning';
COMMENT ON COLUMN pg_statements.max_plan_time IS 'ms, longest planning';
COMMENT ON COLUMN pg_statements.mean_plan_time IS 'ms, mean planning';
COMMENT ON COLUMN pg_statements.stddev_plan_time IS 'ms, standard deviation of planning';
COMMENT ON COLUMN pg_statements.calls IS 'times executed (cumulative)';
COMMENT ON COLUMN pg_statements.total_exec_time IS 'ms spent executing, total (total_time up to PostgreSQL 12)';
COMMENT ON COLUMN pg_statements.min_exec_time IS 'ms, shortest execution (min_time)';
COMMENT ON COLUMN pg_statements.max_exec_time IS 'ms, longest execution (max_time)';
COMMENT ON COLUMN pg_statements.mean_exec_time IS 'ms, mean execution since the reset (mean_time); the playbook''s slow-query column';
COMMENT ON COLUMN pg_statements.stddev_exec_time IS 'ms, standard deviation (stddev_time)';
COMMENT ON COLUMN pg_statements."rows" IS 'rows retrieved or affected, total';
COMMENT ON COLUMN pg_statements.shared_blks_hit IS 'shared buffer hits';
COMMENT ON COLUMN pg_statements.shared_blks_read IS 'shared blocks read';
COMMENT ON COLUMN pg_statements.shared_blks_dirtied IS 'shared blocks dirtied';
COMMENT ON COLUMN pg_statements.shared_blks_written IS 'shared blocks written';
COMMENT ON COLUMN pg_statements.local_blks_hit IS 'local buffer hits';
COMMENT ON COLUMN pg_statements.local_blks_read IS 'local blocks read';
COMMENT ON COLUMN pg_statements.local_blks_dirtied IS 'local blocks dirtied';
COMMENT ON COLUMN pg_statements.local_blks_written IS 'local blocks written';
COMMENT ON COLUMN pg_statements.temp_blks_read IS 'temp blocks read';
COMMENT ON COLUMN pg_statements.temp_blks_written IS 'temp blocks written';
COMMENT ON COLUMN pg_statements.shared_blk_read_time IS 'ms reading shared blocks (blk_read_time up to PostgreSQL 16; needs track_io_timing)';
COMMENT ON COLUMN pg_statements.shared_blk_write_time IS 'ms writing shared blocks (blk_write_time up to 16)';
COMMENT ON COLUMN pg_statements.local_blk_read_time IS 'ms reading local blocks (17+)';
COMMENT ON COLUMN pg_statements.local_blk_write_time IS 'ms writing local blocks (17+)';
COMMENT ON COLUMN pg_statements.temp_blk_read_time IS 'ms reading temp blocks (15+)';
COMMENT ON COLUMN pg_statements.temp_blk_write_time IS 'ms writing temp blocks (15+)';
COMMENT ON COLUMN pg_statements.wal_records IS 'WAL records generated (13+)';
COMMENT ON COLUMN pg_statements.wal_fpi IS 'WAL full page images (13+)';
COMMENT ON COLUMN pg_statements.wal_bytes IS 'WAL bytes (13+)';
COMMENT ON COLUMN pg_statements.wal_buffers_full IS 'times WAL buffers were full (18+)';
COMMENT ON COLUMN pg_statements.jit_functions IS 'functions JIT-compiled (15+)';
COMMENT ON COLUMN pg_statements.jit_generation_time IS 'ms generating JIT code';
COMMENT ON COLUMN pg_statements.jit_inlining_count IS 'times functions were inlined';
COMMENT ON COLUMN pg_statements.jit_inlining_time IS 'ms inlining';
COMMENT ON COLUMN pg_statements.jit_optimization_count IS 'times optimized';
COMMENT ON COLUMN pg_statements.jit_optimization_time IS 'ms optimizing';
COMMENT ON COLUMN pg_statements.jit_emission_count IS 'times code was emitted';
COMMENT ON COLUMN pg_statements.jit_emission_time IS 'ms emitting code';
COMMENT ON COLUMN pg_statements.jit_deform_count IS 'tuple deform functions JIT-compiled (17+)';
COMMENT ON COLUMN pg_statements.jit_deform_time IS 'ms JIT-compiling deform functions (17+)';
COMMENT ON COLUMN pg_statements.parallel_workers_to_launch IS 'parallel workers planned (18+)';
COMMENT ON COLUMN pg_statements.parallel_workers_launched IS 'parallel workers launched (18+)';
COMMENT ON COLUMN pg_statements.stats_since IS 'when statistics for this entry began (17+): a change means the entry was reset';
COMMENT ON COLUMN pg_statements.minmax_stats_since IS 'when min/max statistics began (17+)';
COMMENT ON COLUMN pg_statements.extra IS 'columns of the file that are not listed here (a newer server''s, or your own), as JSON text of strings: extra->>''name''';

CREATE TABLE IF NOT EXISTS pg_locks (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    lines INTEGER,
    snapshot_ts TIMESTAMPTZ,
    ts_source VARCHAR,
    snapshot_no INTEGER,
    form VARCHAR,
    locktype VARCHAR,
    "database" BIGINT,
    relation BIGINT,
    page BIGINT,
    tuple BIGINT,
    virtualxid VARCHAR,
    transactionid BIGINT,
    classid BIGINT,
    objid BIGINT,
    objsubid BIGINT,
    virtualtransaction VARCHAR,
    pid BIGINT,
    "mode" VARCHAR,
    granted BOOLEAN,
    fastpath BOOLEAN,
    waitstart TIMESTAMPTZ,
    relation_name VARCHAR,
    extra VARCHAR
);
COMMENT ON TABLE pg_locks IS 'one row per row of a pg_locks snapshot: a lock held (granted) or awaited (not granted)';
COMMENT ON COLUMN pg_locks.id IS 'row id; evidence ref pg_locks:<id>';
COMMENT ON COLUMN pg_locks.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN pg_locks.line_no IS 'line of the row in the decompressed file';
COMMENT ON COLUMN pg_locks.lines IS 'physical lines of the row';
COMMENT ON COLUMN pg_locks.snapshot_ts IS 'capture time of the snapshot, UTC';
COMMENT ON COLUMN pg_locks.ts_source IS 'where snapshot_ts comes from: column, title, file_name or mtime (a guess, reported as a warning)';
COMMENT ON COLUMN pg_locks.snapshot_no IS 'ordinal of the snapshot in its file: locks of one snapshot share (source_id, snapshot_no)';
COMMENT ON COLUMN pg_locks.form IS 'csv, json or psql';
COMMENT ON COLUMN pg_locks.locktype IS 'relation, extend, page, tuple, transactionid, virtualxid, object, userlock, advisory, ...';
COMMENT ON COLUMN pg_locks."database" IS 'OID of the database of the locked object (0 for shared objects)';
COMMENT ON COLUMN pg_locks.relation IS 'OID of the locked relation';
COMMENT ON COLUMN pg_locks.page IS 'page number (page and tuple locks)';
COMMENT ON COLUMN pg_locks.tuple IS 'tuple number within the page (tuple locks)';
COMMENT ON COLUMN pg_locks.virtualxid IS 'virtual transaction id locked (virtualxid locks)';
COMMENT ON COLUMN pg_locks.transactionid IS 'transaction id locked (transactionid locks: waiting for a row another transaction changed)';
COMMENT ON COLUMN pg_locks.classid IS 'OID of the catalog of the locked object';
COMMENT ON COLUMN pg_locks.objid IS 'OID of the locked object';
COMMENT ON COLUMN pg_locks.objsubid IS 'column number, for column objects';
COMMENT ON COLUMN pg_locks.virtualtransaction IS 'virtual transaction holding or awaiting the lock';
COMMENT ON COLUMN pg_locks.pid IS 'backend holding or awaiting it (NULL for a prepared transaction)';
COMMENT ON COLUMN pg_locks."mode" IS 'AccessShareLock, RowShareLock, RowExclusiveLock, ShareUpdateExclusiveLock, ShareLock, ShareRowExclusiveLock, ExclusiveLock, AccessExclusiveLock, SIReadLock';
COMMENT ON COLUMN pg_locks.granted IS 'true: held; false: awaited';
COMMENT ON COLUMN pg_locks.fastpath IS 'taken through the fast path';
COMMENT ON COLUMN pg_locks.waitstart IS 'when the wait began (PostgreSQL 14+; NULL when held)';
COMMENT ON COLUMN pg_locks.relation_name IS 'relation::regclass as forensics collect pg records it (the table''s name)';
COMMENT ON COLUMN pg_locks.extra IS 'columns of the file that are not listed here, as JSON text of strings: extra->>''name''';

CREATE TABLE IF NOT EXISTS pg_settings (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    lines INTEGER,
    snapshot_ts TIMESTAMPTZ,
    ts_source VARCHAR,
    snapshot_no INTEGER,
    form VARCHAR,
    name VARCHAR,
    setting VARCHAR,
    unit VARCHAR,
    category VARCHAR,
    short_desc VARCHAR,
    context VARCHAR,
    vartype VARCHAR,
    source VARCHAR,
    min_val VARCHAR,
    max_val VARCHAR,
    boot_val VARCHAR,
    reset_val VARCHAR,
    pending_restart BOOLEAN,
    extra VARCHAR
);
COMMENT ON TABLE pg_settings IS 'one row per server setting from a pg_settings snapshot (forensics collect pg saves them once): max_connections, statement_timeout, ...';
COMMENT ON COLUMN pg_settings.id IS 'row id; evidence ref pg_settings:<id>';
COMMENT ON COLUMN pg_settings.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN pg_settings.line_no IS 'line of the row in the decompressed file';
COMMENT ON COLUMN pg_settings.lines IS 'physical lines of the row';
COMMENT ON COLUMN pg_settings.snapshot_ts IS 'capture time, UTC';
COMMENT ON COLUMN pg_settings.ts_source IS 'where snapshot_ts comes from: column, title, file_name or mtime';
COMMENT ON COLUMN pg_settings.snapshot_no IS 'ordinal of the snapshot in its file';
COMMENT ON COLUMN pg_settings.form IS 'csv, json or psql';
COMMENT ON COLUMN pg_settings.name IS 'setting name';
COMMENT ON COLUMN pg_settings.setting IS 'value, as text, in unit';
COMMENT ON COLUMN pg_settings.unit IS 'unit of setting (ms, kB, 8kB, ...)';
COMMENT ON COLUMN pg_settings.category IS 'group of the setting';
COMMENT ON COLUMN pg_settings.short_desc IS 'what it does';
COMMENT ON COLUMN pg_settings.context IS 'what it takes to change it: internal, postmaster, sighup, superuser, user, ...';
COMMENT ON COLUMN pg_settings.vartype IS 'bool, enum, integer, real, string';
COMMENT ON COLUMN pg_settings.source IS 'where the value comes from: default, configuration file, session, ...';
COMMENT ON COLUMN pg_settings.min_val IS 'smallest allowed value';
COMMENT ON COLUMN pg_settings.max_val IS 'largest allowed value';
COMMENT ON COLUMN pg_settings.boot_val IS 'value at server start when not set';
COMMENT ON COLUMN pg_settings.reset_val IS 'value RESET would restore';
COMMENT ON COLUMN pg_settings.pending_restart IS 'changed in the configuration file, waiting for a restart';
COMMENT ON COLUMN pg_settings.extra IS 'other columns of the file, as JSON text of strings';

CREATE TABLE IF NOT EXISTS pg_snapshots (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    lines INTEGER,
    snapshot_no INTEGER,
    "view" VARCHAR,
    form VARCHAR,
    snapshot_ts TIMESTAMPTZ,
    ts_source VARCHAR,
    title VARCHAR,
    "rows" BIGINT,
    rejected BIGINT,
    footer_rows BIGINT,
    "columns" VARCHAR,
    unknown_columns VARCHAR,
    layout VARCHAR,
    note VARCHAR,
    "text" VARCHAR
);
COMMENT ON TABLE pg_snapshots IS 'one row per table read from a snapshot file: a psql result with its title, header, rule, footer and the blank lines around it, or a CSV header line; also empty results, and tables of no known view (kept in text)';
COMMENT ON COLUMN pg_snapshots.id IS 'row id; evidence ref pg_snapshots:<id>';
COMMENT ON COLUMN pg_snapshots.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN pg_snapshots.line_no IS 'first line of the frame (the title, or the first blank line above the header)';
COMMENT ON COLUMN pg_snapshots.lines IS 'lines of the frame that are no data row: title, blank lines, header, rule, footer, psql messages, and for a table of no known view all of it';
COMMENT ON COLUMN pg_snapshots.snapshot_no IS 'ordinal of the (first) snapshot under this frame: the rows share (source_id, snapshot_no)';
COMMENT ON COLUMN pg_snapshots."view" IS 'pg_stat_activity, pg_stat_statements, pg_locks or pg_settings, as told by the columns; NULL for a table of no known view';
COMMENT ON COLUMN pg_snapshots.form IS 'psql or csv';
COMMENT ON COLUMN pg_snapshots.snapshot_ts IS 'capture time, UTC: the title''s, else its first row''s';
COMMENT ON COLUMN pg_snapshots.ts_source IS 'where snapshot_ts comes from: column, title, file_name or mtime';
COMMENT ON COLUMN pg_snapshots.title IS 'the psql \watch title line (or date line) above the table';
COMMENT ON COLUMN pg_snapshots."rows" IS 'data rows stored under this frame';
COMMENT ON COLUMN pg_snapshots.rejected IS 'data rows rejected (see rejects)';
COMMENT ON COLUMN pg_snapshots.footer_rows IS 'rows psql''s "(N rows)" footer announced; NULL without a footer';
COMMENT ON COLUMN pg_snapshots."columns" IS 'the columns as the file names them, comma-separated';
COMMENT ON COLUMN pg_snapshots.unknown_columns IS 'columns kept in the extra column of the rows';
COMMENT ON COLUMN pg_snapshots.layout IS 'pg_stat_statements column naming: pre13, 13-16, 17+';
COMMENT ON COLUMN pg_snapshots.note IS 'what looked wrong: no footer (cut off?), the footer disagrees with the rows read, a title without a table';
COMMENT ON COLUMN pg_snapshots."text" IS 'a table of no known view (a count(*), ...), as it was printed (cut at 64 KiB)';

-- What each interval between two consecutive snapshots cost, per
-- statement. A snapshot of the same moment read from several files
-- counts once (the copy's interval has no length and is left out). A
-- counter lower than in the snapshot before (or a changed stats_since)
-- means the statistics were reset: that interval counts from zero, so no
-- value is ever negative. The first snapshot of a statement is its
-- baseline and has no row. One window pass over only the columns needed.
CREATE OR REPLACE VIEW pg_statement_deltas AS
WITH w AS (
    SELECT id, source_id, snapshot_ts, queryid, userid, dbid, toplevel, query,
           calls, total_exec_time, "rows", plans, total_plan_time, shared_blks_hit, shared_blks_read, temp_blks_written, stats_since,
           lag(snapshot_ts) OVER q AS prev_ts,
           lag(calls) OVER q AS prev_calls,
           lag(total_exec_time) OVER q AS prev_exec,
           lag("rows") OVER q AS prev_rows,
           lag(plans) OVER q AS prev_plans,
           lag(total_plan_time) OVER q AS prev_plan,
           lag(shared_blks_hit) OVER q AS prev_hit,
           lag(shared_blks_read) OVER q AS prev_read,
           lag(temp_blks_written) OVER q AS prev_temp,
           lag(stats_since) OVER q AS prev_since
    FROM pg_statements
    WHERE snapshot_ts IS NOT NULL
    WINDOW q AS (PARTITION BY queryid, CASE WHEN queryid IS NULL THEN query END, userid, dbid, toplevel
                 ORDER BY snapshot_ts, id)
), r AS (
    SELECT w.*,
           coalesce(calls < prev_calls, false) OR coalesce(total_exec_time < prev_exec, false)
             OR coalesce("rows" < prev_rows, false) OR coalesce(plans < prev_plans, false)
             OR coalesce(total_plan_time < prev_plan, false) OR coalesce(shared_blks_hit < prev_hit, false)
             OR coalesce(shared_blks_read < prev_read, false) OR coalesce(temp_blks_written < prev_temp, false)
             OR coalesce(stats_since <> prev_since, false) AS reset
    FROM w
    WHERE prev_ts < snapshot_ts
)
SELECT prev_ts AS interval_start,
       snapshot_ts AS interval_end,
       epoch(snapshot_ts) - epoch(prev_ts) AS interval_s,
       queryid, userid, dbid, toplevel, query,
       reset AS stats_reset,
       CASE WHEN reset THEN calls ELSE greatest(calls - prev_calls, 0) END AS calls,
       CASE WHEN reset THEN total_exec_time ELSE greatest(total_exec_time - prev_exec, 0) END AS exec_time_ms,
       CASE WHEN reset THEN total_exec_time / nullif(calls, 0)
            ELSE greatest(total_exec_time - prev_exec, 0) / nullif(calls - prev_calls, 0) END AS mean_exec_time_ms,
       CASE WHEN reset THEN "rows" ELSE greatest("rows" - prev_rows, 0) END AS "rows",
       CASE WHEN reset THEN total_plan_time ELSE greatest(total_plan_time - prev_plan, 0) END AS plan_time_ms,
       CASE WHEN reset THEN shared_blks_hit ELSE greatest(shared_blks_hit - prev_hit, 0) END AS shared_blks_hit,
       CASE WHEN reset THEN shared_blks_read ELSE greatest(shared_blks_read - prev_read, 0) END AS shared_blks_read,
       CASE WHEN reset THEN temp_blks_written ELSE greatest(temp_blks_written - prev_temp, 0) END AS temp_blks_written,
       (CASE WHEN reset THEN calls ELSE greatest(calls - prev_calls, 0) END) / nullif(epoch(snapshot_ts) - epoch(prev_ts), 0) AS calls_per_s,
       source_id,
       'pg_statements:' || id AS ref
FROM r;
COMMENT ON VIEW pg_statement_deltas IS 'what each statement cost between two consecutive pg_stat_statements snapshots (per queryid, user, database and top-level flag; the query text when queryid is missing). A counter that went down (or a changed stats_since) is a stats reset: that interval counts from zero (the values since the reset, a lower bound), never negative. The first snapshot of a statement is its baseline (no row). Slowest intervals: ORDER BY mean_exec_time_ms DESC';
COMMENT ON COLUMN pg_statement_deltas.interval_start IS 'capture time of the earlier snapshot, UTC';
COMMENT ON COLUMN pg_statement_deltas.interval_end IS 'capture time of the later snapshot, UTC';
COMMENT ON COLUMN pg_statement_deltas.interval_s IS 'seconds between them';
COMMENT ON COLUMN pg_statement_deltas.queryid IS 'statement (pg_statements.queryid)';
COMMENT ON COLUMN pg_statement_deltas.userid IS 'user OID';
COMMENT ON COLUMN pg_statement_deltas.dbid IS 'database OID';
COMMENT ON COLUMN pg_statement_deltas.toplevel IS 'top-level flag';
COMMENT ON COLUMN pg_statement_deltas.query IS 'normalized query text';
COMMENT ON COLUMN pg_statement_deltas.stats_reset IS 'true when the statistics were reset in this interval (the values count from the reset)';
COMMENT ON COLUMN pg_statement_deltas.calls IS 'executions in the interval';
COMMENT ON COLUMN pg_statement_deltas.exec_time_ms IS 'ms executing in the interval';
COMMENT ON COLUMN pg_statement_deltas.mean_exec_time_ms IS 'ms per execution in the interval (NULL without calls)';
COMMENT ON COLUMN pg_statement_deltas."rows" IS 'rows in the interval';
COMMENT ON COLUMN pg_statement_deltas.plan_time_ms IS 'ms planning in the interval';
COMMENT ON COLUMN pg_statement_deltas.shared_blks_hit IS 'shared buffer hits in the interval';
COMMENT ON COLUMN pg_statement_deltas.shared_blks_read IS 'shared blocks read in the interval';
COMMENT ON COLUMN pg_statement_deltas.temp_blks_written IS 'temp blocks written in the interval';
COMMENT ON COLUMN pg_statement_deltas.calls_per_s IS 'executions per second in the interval';
COMMENT ON COLUMN pg_statement_deltas.source_id IS 'file of the later snapshot (sources.id)';
COMMENT ON COLUMN pg_statement_deltas.ref IS 'evidence ref pg_statements:<id> of the later snapshot''s row';

-- Long-running active queries at each snapshot, for any threshold:
-- SELECT * FROM pg_long_running_over(INTERVAL 1 MINUTE).
CREATE OR REPLACE MACRO pg_long_running_over(threshold) AS TABLE
SELECT a.snapshot_ts, a.pid, a.datname, a.usename, a.application_name, a.client_addr,
       a.state, a.wait_event_type, a.wait_event, a.query_start,
       a.snapshot_ts - a.query_start AS running_for,
       epoch(a.snapshot_ts) - epoch(a.query_start) AS running_s,
       a.xact_start, a.query, a.query_id, a.backend_type, a.source_id,
       'pg_activity:' || a.id AS ref
FROM pg_activity a
WHERE a.state = 'active' AND a.query_start IS NOT NULL AND a.snapshot_ts IS NOT NULL
  AND a.snapshot_ts - a.query_start >= threshold
  AND coalesce(a.backend_type, 'client backend') = 'client backend';

CREATE OR REPLACE VIEW pg_long_running AS
SELECT * FROM pg_long_running_over(INTERVAL 5 MINUTE);
COMMENT ON VIEW pg_long_running IS 'active client queries running 5 minutes or more at a snapshot (the playbook''s pg_terminate_backend threshold); for another threshold: SELECT * FROM pg_long_running_over(INTERVAL 1 MINUTE)';
COMMENT ON COLUMN pg_long_running.snapshot_ts IS 'capture time, UTC';
COMMENT ON COLUMN pg_long_running.pid IS 'backend';
COMMENT ON COLUMN pg_long_running.datname IS 'database';
COMMENT ON COLUMN pg_long_running.usename IS 'user';
COMMENT ON COLUMN pg_long_running.application_name IS 'client application';
COMMENT ON COLUMN pg_long_running.client_addr IS 'client address';
COMMENT ON COLUMN pg_long_running.state IS 'active';
COMMENT ON COLUMN pg_long_running.wait_event_type IS 'what it waits on, if anything (Lock: see pg_blocking)';
COMMENT ON COLUMN pg_long_running.wait_event IS 'wait event';
COMMENT ON COLUMN pg_long_running.query_start IS 'when the query started';
COMMENT ON COLUMN pg_long_running.running_for IS 'snapshot_ts - query_start';
COMMENT ON COLUMN pg_long_running.running_s IS 'the same in seconds';
COMMENT ON COLUMN pg_long_running.xact_start IS 'when its transaction started';
COMMENT ON COLUMN pg_long_running.query IS 'the query text';
COMMENT ON COLUMN pg_long_running.query_id IS 'query identifier (joins pg_statements.queryid)';
COMMENT ON COLUMN pg_long_running.backend_type IS 'client backend';
COMMENT ON COLUMN pg_long_running.source_id IS 'file (sources.id)';
COMMENT ON COLUMN pg_long_running.ref IS 'evidence ref pg_activity:<id>';

-- Who blocks whom, at each pg_locks snapshot: every lock that is awaited
-- (granted = false) against the locks of other backends on the same
-- object (relation, transaction id, tuple, page, virtual transaction,
-- object, advisory key) in a conflicting mode (PostgreSQL's conflict
-- table), held, or awaited since earlier in the queue (waitstart). The
-- two queries come from the pg_stat_activity snapshot nearest in time
-- (within 60 s), from any file.
CREATE OR REPLACE VIEW pg_blocking AS
WITH modes(mode, lvl, conflicts) AS (
    VALUES ('AccessShareLock', 1, [8]),
           ('RowShareLock', 2, [7, 8]),
           ('RowExclusiveLock', 3, [5, 6, 7, 8]),
           ('ShareUpdateExclusiveLock', 4, [4, 5, 6, 7, 8]),
           ('ShareLock', 5, [3, 4, 6, 7, 8]),
           ('ShareRowExclusiveLock', 6, [3, 4, 5, 6, 7, 8]),
           ('ExclusiveLock', 7, [2, 3, 4, 5, 6, 7, 8]),
           ('AccessExclusiveLock', 8, [1, 2, 3, 4, 5, 6, 7, 8])
), l AS (
    SELECT pl.*, m.lvl, m.conflicts FROM pg_locks pl LEFT JOIN modes m ON m.mode = pl."mode"
), pairs AS (
    SELECT w.id AS waiter_lock_id, h.id AS blocker_lock_id, w.source_id, w.snapshot_no, w.snapshot_ts,
           w.pid AS waiting_pid, w."mode" AS waiting_mode, w.waitstart,
           h.pid AS blocking_pid, h."mode" AS blocking_mode, h.granted AS blocker_granted,
           w.locktype, w."database", w.relation, coalesce(w.relation_name, h.relation_name) AS relation_name,
           w.page, w.tuple, w.transactionid, w.virtualxid, w.classid, w.objid, w.objsubid
    FROM l w JOIN l h
      ON h.source_id = w.source_id AND h.snapshot_no = w.snapshot_no AND h.locktype = w.locktype
     AND h."database" IS NOT DISTINCT FROM w."database" AND h.relation IS NOT DISTINCT FROM w.relation
     AND h.page IS NOT DISTINCT FROM w.page AND h.tuple IS NOT DISTINCT FROM w.tuple
     AND h.virtualxid IS NOT DISTINCT FROM w.virtualxid AND h.transactionid IS NOT DISTINCT FROM w.transactionid
     AND h.classid IS NOT DISTINCT FROM w.classid AND h.objid IS NOT DISTINCT FROM w.objid
     AND h.objsubid IS NOT DISTINCT FROM w.objsubid
     AND h.pid IS DISTINCT FROM w.pid
    WHERE NOT w.granted AND list_contains(w.conflicts, h.lvl)
      AND (h.granted OR (h.waitstart IS NOT NULL AND w.waitstart IS NOT NULL AND h.waitstart < w.waitstart))
), lock_ts AS (
    SELECT DISTINCT snapshot_ts FROM pairs WHERE snapshot_ts IS NOT NULL
), act_ts AS (
    SELECT DISTINCT snapshot_ts FROM pg_activity WHERE snapshot_ts IS NOT NULL
), near AS (
    SELECT p.snapshot_ts AS lock_ts, a.snapshot_ts AS act_ts
    FROM lock_ts p JOIN act_ts a
      ON a.snapshot_ts BETWEEN p.snapshot_ts - INTERVAL 60 SECOND AND p.snapshot_ts + INTERVAL 60 SECOND
    QUALIFY row_number() OVER (PARTITION BY p.snapshot_ts
                               ORDER BY abs(epoch(a.snapshot_ts) - epoch(p.snapshot_ts)), a.snapshot_ts) = 1
), act AS (
    SELECT a.* FROM pg_activity a JOIN (SELECT DISTINCT act_ts FROM near) n ON a.snapshot_ts = n.act_ts
    QUALIFY row_number() OVER (PARTITION BY a.snapshot_ts, a.pid ORDER BY a.id) = 1
)
SELECT pr.snapshot_ts,
       pr.waiting_pid,
       pr.waiting_mode,
       CASE pr.locktype
           WHEN 'relation' THEN 'relation ' || coalesce(pr.relation_name, pr.relation::VARCHAR)
           WHEN 'transactionid' THEN 'transaction ' || pr.transactionid
           WHEN 'tuple' THEN 'tuple (' || pr.page || ',' || pr.tuple || ') of relation ' || coalesce(pr.relation_name, pr.relation::VARCHAR)
           WHEN 'page' THEN 'page ' || pr.page || ' of relation ' || coalesce(pr.relation_name, pr.relation::VARCHAR)
           WHEN 'extend' THEN 'extension of relation ' || coalesce(pr.relation_name, pr.relation::VARCHAR)
           WHEN 'virtualxid' THEN 'virtual transaction ' || pr.virtualxid
           ELSE pr.locktype || coalesce(' ' || pr.classid || '/' || pr.objid || '/' || pr.objsubid, '')
       END AS lock_target,
       pr.blocking_pid,
       pr.blocking_mode,
       pr.blocker_granted,
       wa.query AS waiting_query,
       wa.state AS waiting_state,
       wa.wait_event_type AS waiting_wait_event_type,
       wa.wait_event AS waiting_wait_event,
       coalesce(pr.waitstart, CASE WHEN wa.wait_event_type = 'Lock' THEN wa.state_change END) AS waiting_since,
       epoch(pr.snapshot_ts) - epoch(coalesce(pr.waitstart, CASE WHEN wa.wait_event_type = 'Lock' THEN wa.state_change END)) AS waiting_s,
       ba.query AS blocking_query,
       ba.state AS blocking_state,
       ba.xact_start AS blocking_xact_start,
       ba.application_name AS blocking_application,
       ba.client_addr AS blocking_client_addr,
       pr.locktype, pr."database", pr.relation, pr.relation_name, pr.page, pr.tuple, pr.transactionid, pr.virtualxid,
       n.act_ts AS activity_ts,
       pr.source_id, pr.snapshot_no,
       'pg_locks:' || pr.waiter_lock_id AS ref,
       'pg_locks:' || pr.blocker_lock_id AS blocker_ref,
       CASE WHEN wa.id IS NOT NULL THEN 'pg_activity:' || wa.id END AS waiting_activity_ref,
       CASE WHEN ba.id IS NOT NULL THEN 'pg_activity:' || ba.id END AS blocking_activity_ref
FROM pairs pr
LEFT JOIN near n ON n.lock_ts = pr.snapshot_ts
LEFT JOIN act wa ON wa.snapshot_ts = n.act_ts AND wa.pid = pr.waiting_pid
LEFT JOIN act ba ON ba.snapshot_ts = n.act_ts AND ba.pid = pr.blocking_pid;
COMMENT ON VIEW pg_blocking IS 'for each awaited lock at each pg_locks snapshot, who blocks it: backends holding a conflicting lock on the same relation, transaction id, tuple or other object (blocker_granted), or queued before it (waitstart); with both queries from the nearest pg_stat_activity snapshot (within 60 s). The root blocker is a blocking_pid that is not itself a waiting_pid at that snapshot';
COMMENT ON COLUMN pg_blocking.snapshot_ts IS 'capture time of the pg_locks snapshot, UTC';
COMMENT ON COLUMN pg_blocking.waiting_pid IS 'backend that waits';
COMMENT ON COLUMN pg_blocking.waiting_mode IS 'lock mode it waits for';
COMMENT ON COLUMN pg_blocking.lock_target IS 'what it waits for, in words: relation jobs, transaction 741, tuple (0,7) of relation 16425, ...';
COMMENT ON COLUMN pg_blocking.blocking_pid IS 'backend that blocks it (NULL: a prepared transaction)';
COMMENT ON COLUMN pg_blocking.blocking_mode IS 'lock mode the blocker holds (or awaits)';
COMMENT ON COLUMN pg_blocking.blocker_granted IS 'true: the blocker holds the lock; false: it is ahead in the queue (waits itself)';
COMMENT ON COLUMN pg_blocking.waiting_query IS 'query of the waiting backend';
COMMENT ON COLUMN pg_blocking.waiting_state IS 'state of the waiting backend';
COMMENT ON COLUMN pg_blocking.waiting_wait_event_type IS 'its wait_event_type (Lock)';
COMMENT ON COLUMN pg_blocking.waiting_wait_event IS 'its wait_event (relation, transactionid, tuple)';
COMMENT ON COLUMN pg_blocking.waiting_since IS 'when the wait began: pg_locks.waitstart (14+), else the state change of a backend waiting on a lock';
COMMENT ON COLUMN pg_blocking.waiting_s IS 'seconds waited at the snapshot';
COMMENT ON COLUMN pg_blocking.blocking_query IS 'query of the blocking backend (for an idle in transaction blocker: its last query)';
COMMENT ON COLUMN pg_blocking.blocking_state IS 'state of the blocker (idle in transaction: a session that holds locks and does nothing)';
COMMENT ON COLUMN pg_blocking.blocking_xact_start IS 'when the blocker''s transaction began';
COMMENT ON COLUMN pg_blocking.blocking_application IS 'application_name of the blocker';
COMMENT ON COLUMN pg_blocking.blocking_client_addr IS 'client address of the blocker';
COMMENT ON COLUMN pg_blocking.locktype IS 'pg_locks.locktype';
COMMENT ON COLUMN pg_blocking."database" IS 'database OID';
COMMENT ON COLUMN pg_blocking.relation IS 'relation OID';
COMMENT ON COLUMN pg_blocking.relation_name IS 'relation name, when the snapshot recorded it';
COMMENT ON COLUMN pg_blocking.page IS 'page';
COMMENT ON COLUMN pg_blocking.tuple IS 'tuple';
COMMENT ON COLUMN pg_blocking.transactionid IS 'transaction id';
COMMENT ON COLUMN pg_blocking.virtualxid IS 'virtual transaction id';
COMMENT ON COLUMN pg_blocking.activity_ts IS 'capture time of the pg_stat_activity snapshot the queries come from (NULL: none within 60 s)';
COMMENT ON COLUMN pg_blocking.source_id IS 'file of the pg_locks snapshot (sources.id)';
COMMENT ON COLUMN pg_blocking.snapshot_no IS 'snapshot in that file';
COMMENT ON COLUMN pg_blocking.ref IS 'evidence ref pg_locks:<id> of the awaited lock';
COMMENT ON COLUMN pg_blocking.blocker_ref IS 'evidence ref pg_locks:<id> of the blocking lock';
COMMENT ON COLUMN pg_blocking.waiting_activity_ref IS 'evidence ref pg_activity:<id> of the waiter';
COMMENT ON COLUMN pg_blocking.blocking_activity_ref IS 'evidence ref pg_activity:<id> of the blocker';

-- The database in the super-timeline. Blocking is told per root blocker
-- (a backend that holds what others wait for and waits for nothing
-- itself): one event when it is first seen blocking, naming what it holds,
-- its query and how many backends waited at most; an episode ends when
-- it is not seen blocking for 10 minutes. Long-running queries: one event
-- when a query is first seen running 5 minutes or more. A snapshot read
-- from several files counts once.
CREATE OR REPLACE VIEW events_pg AS
WITH blk AS (
    SELECT * FROM pg_blocking WHERE blocker_granted AND snapshot_ts IS NOT NULL
), waiting AS (
    SELECT snapshot_ts, count(DISTINCT waiting_pid) AS waiting FROM blk GROUP BY snapshot_ts
), roots AS (
    SELECT b.* FROM blk b
    WHERE NOT EXISTS (SELECT 1 FROM blk w WHERE w.snapshot_ts = b.snapshot_ts AND w.waiting_pid = b.blocking_pid)
), per_snap AS (
    SELECT r.snapshot_ts, r.blocking_pid,
           arg_min(r.ref, r.waiting_pid) AS ref,
           min(r.waiting_pid) AS first_waiter,
           arg_min(r.waiting_query, r.waiting_pid) AS waiting_query,
           string_agg(DISTINCT r.lock_target, ', ' ORDER BY r.lock_target) AS targets,
           any_value(r.blocking_state) AS blocking_state,
           any_value(r.blocking_query) AS blocking_query,
           any_value(w.waiting) AS waiting
    FROM roots r JOIN waiting w ON w.snapshot_ts = r.snapshot_ts
    GROUP BY r.snapshot_ts, r.blocking_pid
), ep AS (
    SELECT *, sum(starts::INTEGER) OVER (PARTITION BY blocking_pid ORDER BY snapshot_ts) AS episode
    FROM (SELECT *, coalesce(epoch(snapshot_ts) - epoch(lag(snapshot_ts) OVER (PARTITION BY blocking_pid ORDER BY snapshot_ts)) > 600, true) AS starts
          FROM per_snap)
), bg AS (
    SELECT min(snapshot_ts) AS ts, max(snapshot_ts) AS last_ts, count(*) AS snapshots, max(waiting) AS max_waiting,
           arg_min(ref, snapshot_ts) AS ref, blocking_pid,
           arg_min(targets, snapshot_ts) AS targets, arg_min(first_waiter, snapshot_ts) AS first_waiter,
           arg_min(waiting_query, snapshot_ts) AS waiting_query,
           arg_min(blocking_state, snapshot_ts) AS blocking_state, arg_min(blocking_query, snapshot_ts) AS blocking_query
    FROM ep GROUP BY blocking_pid, episode
), lr AS (
    SELECT *,
           coalesce(epoch(snapshot_ts) - epoch(lag(snapshot_ts) OVER p) > 600, true) AS starts
    FROM (SELECT * FROM pg_long_running QUALIFY row_number() OVER (PARTITION BY snapshot_ts, pid, query_start ORDER BY ref) = 1)
    WINDOW p AS (PARTITION BY pid, query_start ORDER BY snapshot_ts)
), lg AS (
    SELECT min(snapshot_ts) AS ts, max(snapshot_ts) AS last_ts, count(*) AS snapshots, arg_min(ref, snapshot_ts) AS ref,
           pid, query_start, arg_min(query, snapshot_ts) AS query, max(running_s) AS running_s, episode
    FROM (SELECT *, sum(starts::INTEGER) OVER (PARTITION BY pid, query_start ORDER BY snapshot_ts) AS episode FROM lr)
    GROUP BY pid, query_start, episode
)
SELECT ts, 'pg_locks' AS source, 'pg_blocking' AS kind, 'warning' AS severity, 'postgres' AS service,
       'pid ' || coalesce(blocking_pid::VARCHAR, '(a prepared transaction)')
         || coalesce(' (' || blocking_state || ')', '')
         || ' holds locks other backends wait for: ' || targets
         || coalesce('; its query: ' || left(replace(blocking_query, chr(10), ' '), 200), '')
         || ' — first waiting: pid ' || first_waiter
         || coalesce(' (' || left(replace(waiting_query, chr(10), ' '), 120) || ')', '')
         || '; up to ' || max_waiting || ' backend' || CASE WHEN max_waiting > 1 THEN 's' ELSE '' END || ' waiting on locks'
         || '; seen in ' || snapshots || ' snapshot' || CASE WHEN snapshots > 1 THEN 's' ELSE '' END
         || ' until ' || strftime(last_ts AT TIME ZONE 'UTC', '%H:%M:%S') || ' UTC' AS text,
       ref
FROM bg
UNION ALL
SELECT ts, 'pg_activity', 'pg_long_running', 'warning', 'postgres',
       'query on pid ' || pid || ' running since ' || strftime(query_start AT TIME ZONE 'UTC', '%H:%M:%S') || ' UTC'
         || ' (' || round(running_s / 60, 1) || ' min at the last snapshot)'
         || coalesce(': ' || left(replace(query, chr(10), ' '), 300), ''),
       ref
FROM lg;
COMMENT ON VIEW events_pg IS 'the database in events: pg_blocking (a root blocker, holding locks others wait for while waiting for nothing, first seen; ref names the first awaited lock in pg_locks) and pg_long_running (a query first seen running 5 minutes or more; ref names the pg_activity row)';
COMMENT ON COLUMN events_pg.ts IS 'first snapshot showing it, UTC';
COMMENT ON COLUMN events_pg.source IS 'pg_locks (blocking) or pg_activity (long-running query)';
COMMENT ON COLUMN events_pg.kind IS 'pg_blocking or pg_long_running';
COMMENT ON COLUMN events_pg.severity IS 'warning';
COMMENT ON COLUMN events_pg.service IS 'postgres';
COMMENT ON COLUMN events_pg.text IS 'who, what, which query, for how long';
COMMENT ON COLUMN events_pg.ref IS 'evidence ref: pg_locks:<id> of an awaited lock, or pg_activity:<id>';
