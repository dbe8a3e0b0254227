-- 007: the text of each pg_stat_statements query is stored once per file.
-- A snapshot repeats every statement's text (40-400 characters) in each of
-- its rows, so 100 snapshots of 2,000 statements held the same 2,000 texts
-- 100 times: the largest single cost of ingesting them, and most of the
-- table's size. The rows now live in pg_statement_rows, which names its text
-- by query_text_id; the texts are in pg_query_texts; pg_statements is a view
-- with the same columns, in the same order, as the table it replaces, so
-- queries, views and evidence refs (pg_statements:<id>) are unchanged.
-- Re-runnable: where pg_statements is still a table, the Go step named
-- below (query/store.go) moves its rows and drops it.

CREATE TABLE IF NOT EXISTS pg_query_texts (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    query VARCHAR NOT NULL
);
COMMENT ON TABLE pg_query_texts IS 'each distinct pg_stat_statements query text, once per file (a text seen in two files is stored twice); may hold secrets';
COMMENT ON COLUMN pg_query_texts.id IS 'text id; pg_statement_rows.query_text_id';
COMMENT ON COLUMN pg_query_texts.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN pg_query_texts.query IS 'normalized query text ($1 for constants); may hold secrets';

CREATE TABLE IF NOT EXISTS pg_statement_rows (
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
    query_text_id BIGINT,
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
COMMENT ON TABLE pg_statement_rows IS 'the rows behind the pg_statements view, with the query text by id (pg_query_texts): query pg_statements instead';
COMMENT ON COLUMN pg_statement_rows.id IS 'row id, the same as pg_statements.id; evidence ref pg_statements:<id>';
COMMENT ON COLUMN pg_statement_rows.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN pg_statement_rows.line_no IS 'first line of the row in the decompressed file';
COMMENT ON COLUMN pg_statement_rows.lines IS 'physical lines of the row (a query with newlines spans several)';
COMMENT ON COLUMN pg_statement_rows.snapshot_ts IS 'capture time of the snapshot, UTC';
COMMENT ON COLUMN pg_statement_rows.ts_source IS 'where snapshot_ts comes from: column, title, file_name or mtime (a guess, reported as a warning)';
COMMENT ON COLUMN pg_statement_rows.snapshot_no IS 'ordinal of the snapshot in its file';
COMMENT ON COLUMN pg_statement_rows.form IS 'csv, json or psql';
COMMENT ON COLUMN pg_statement_rows.layout IS 'column names of the file: pre13 (total_time, ...: PostgreSQL 12 and older), 13-16 (total_exec_time, blk_read_time), 17+ (shared_blk_read_time, stats_since), NULL when the selected columns do not tell';
COMMENT ON COLUMN pg_statement_rows.userid IS 'OID of the user who ran it';
COMMENT ON COLUMN pg_statement_rows.dbid IS 'OID of the database';
COMMENT ON COLUMN pg_statement_rows.toplevel IS 'true when run at top level (PostgreSQL 14+ with track = all)';
COMMENT ON COLUMN pg_statement_rows.queryid IS 'hash of the normalized query: the key across snapshots';
COMMENT ON COLUMN pg_statement_rows.query_text_id IS 'the query text: pg_query_texts.id (NULL when the capture has no text)';
COMMENT ON COLUMN pg_statement_rows.plans IS 'times planned (track_planning)';
COMMENT ON COLUMN pg_statement_rows.total_plan_time IS 'ms spent planning, total';
COMMENT ON COLUMN pg_statement_rows.min_plan_time IS 'ms, shortest planning';
COMMENT ON COLUMN pg_statement_rows.max_plan_time IS 'ms, longest planning';
COMMENT ON COLUMN pg_statement_rows.mean_plan_time IS 'ms, mean planning';
COMMENT ON COLUMN pg_statement_rows.stddev_plan_time IS 'ms, standard deviation of planning';
COMMENT ON COLUMN pg_statement_rows.calls IS 'times executed (cumulative)';
COMMENT ON COLUMN pg_statement_rows.total_exec_time IS 'ms spent executing, total (total_time up to PostgreSQL 12)';
COMMENT ON COLUMN pg_statement_rows.min_exec_time IS 'ms, shortest execution (min_time)';
COMMENT ON COLUMN pg_statement_rows.max_exec_time IS 'ms, longest execution (max_time)';
COMMENT ON COLUMN pg_statement_rows.mean_exec_time IS 'ms, mean execution since the reset (mean_time); the playbook''s slow-query column';
COMMENT ON COLUMN pg_statement_rows.stddev_exec_time IS 'ms, standard deviation (stddev_time)';
COMMENT ON COLUMN pg_statement_rows."rows" IS 'rows retrieved or affected, total';
COMMENT ON COLUMN pg_statement_rows.shared_blks_hit IS 'shared buffer hits';
COMMENT ON COLUMN pg_statement_rows.shared_blks_read IS 'shared blocks read';
COMMENT ON COLUMN pg_statement_rows.shared_blks_dirtied IS 'shared blocks dirtied';
COMMENT ON COLUMN pg_statement_rows.shared_blks_written IS 'shared blocks written';
COMMENT ON COLUMN pg_statement_rows.local_blks_hit IS 'local buffer hits';
COMMENT ON COLUMN pg_statement_rows.local_blks_read IS 'local blocks read';
COMMENT ON COLUMN pg_statement_rows.local_blks_dirtied IS 'local blocks dirtied';
COMMENT ON COLUMN pg_statement_rows.local_blks_written IS 'local blocks written';
COMMENT ON COLUMN pg_statement_rows.temp_blks_read IS 'temp blocks read';
COMMENT ON COLUMN pg_statement_rows.temp_blks_written IS 'temp blocks written';
COMMENT ON COLUMN pg_statement_rows.shared_blk_read_time IS 'ms reading shared blocks (blk_read_time up to PostgreSQL 16; needs track_io_timing)';
COMMENT ON COLUMN pg_statement_rows.shared_blk_write_time IS 'ms writing shared blocks (blk_write_time up to 16)';
COMMENT ON COLUMN pg_statement_rows.local_blk_read_time IS 'ms reading local blocks (17+)';
COMMENT ON COLUMN pg_statement_rows.local_blk_write_time IS 'ms writing local blocks (17+)';
COMMENT ON COLUMN pg_statement_rows.temp_blk_read_time IS 'ms reading temp blocks (15+)';
COMMENT ON COLUMN pg_statement_rows.temp_blk_write_time IS 'ms writing temp blocks (15+)';
COMMENT ON COLUMN pg_statement_rows.wal_records IS 'WAL records generated (13+)';
COMMENT ON COLUMN pg_statement_rows.wal_fpi IS 'WAL full page images (13+)';
COMMENT ON COLUMN pg_statement_rows.wal_bytes IS 'WAL bytes (13+)';
COMMENT ON COLUMN pg_statement_rows.wal_buffers_full IS 'times WAL buffers were full (18+)';
COMMENT ON COLUMN pg_statement_rows.jit_functions IS 'functions JIT-compiled (15+)';
COMMENT ON COLUMN pg_statement_rows.jit_generation_time IS 'ms generating JIT code';
COMMENT ON COLUMN pg_statement_rows.jit_inlining_count IS 'times functions were inlined';
COMMENT ON COLUMN pg_statement_rows.jit_inlining_time IS 'ms inlining';
COMMENT ON COLUMN pg_statement_rows.jit_optimization_count IS 'times optimized';
COMMENT ON COLUMN pg_statement_rows.jit_optimization_time IS 'ms optimizing';
COMMENT ON COLUMN pg_statement_rows.jit_emission_count IS 'times code was emitted';
COMMENT ON COLUMN pg_statement_rows.jit_emission_time IS 'ms emitting code';
COMMENT ON COLUMN pg_statement_rows.jit_deform_count IS 'tuple deform functions JIT-compiled (17+)';
COMMENT ON COLUMN pg_statement_rows.jit_deform_time IS 'ms JIT-compiling deform functions (17+)';
COMMENT ON COLUMN pg_statement_rows.parallel_workers_to_launch IS 'parallel workers planned (18+)';
COMMENT ON COLUMN pg_statement_rows.parallel_workers_launched IS 'parallel workers launched (18+)';
COMMENT ON COLUMN pg_statement_rows.stats_since IS 'when statistics for this entry began (17+): a change means the entry was reset';
COMMENT ON COLUMN pg_statement_rows.minmax_stats_since IS 'when min/max statistics began (17+)';
COMMENT ON COLUMN pg_statement_rows.extra IS 'columns of the file that are not listed here (a newer server''s, or your own), as JSON text of strings: extra->>''name''';

-- forensics:step move_pg_statements

CREATE OR REPLACE VIEW pg_statements AS
SELECT r.id,
    r.source_id,
    r.line_no,
    r.lines,
    r.snapshot_ts,
    r.ts_source,
    r.snapshot_no,
    r.form,
    r.layout,
    r.userid,
    r.dbid,
    r.toplevel,
    r.queryid,
    t.query,
    r.plans,
    r.total_plan_time,
    r.min_plan_time,
    r.max_plan_time,
    r.mean_plan_time,
    r.stddev_plan_time,
    r.calls,
    r.total_exec_time,
    r.min_exec_time,
    r.max_exec_time,
    r.mean_exec_time,
    r.stddev_exec_time,
    r."rows",
    r.shared_blks_hit,
    r.shared_blks_read,
    r.shared_blks_dirtied,
    r.shared_blks_written,
    r.local_blks_hit,
    r.local_blks_read,
    r.local_blks_dirtied,
    r.local_blks_written,
    r.temp_blks_read,
    r.temp_blks_written,
    r.shared_blk_read_time,
    r.shared_blk_write_time,
    r.local_blk_read_time,
    r.local_blk_write_time,
    r.temp_blk_read_time,
    r.temp_blk_write_time,
    r.wal_records,
    r.wal_fpi,
    r.wal_bytes,
    r.wal_buffers_full,
    r.jit_functions,
    r.jit_generation_time,
    r.jit_inlining_count,
    r.jit_inlining_time,
    r.jit_optimization_count,
    r.jit_optimization_time,
    r.jit_emission_count,
    r.jit_emission_time,
    r.jit_deform_count,
    r.jit_deform_time,
    r.parallel_workers_to_launch,
    r.parallel_workers_launched,
    r.stats_since,
    r.minmax_stats_since,
    r.extra
FROM pg_statement_rows r LEFT JOIN pg_query_texts t ON t.id = r.query_text_id;
COMMENT ON VIEW pg_statements IS 'one row per row of a pg_stat_statements snapshot, in one column naming for every server version (PostgreSQL 17''s): total_time etc. (up to 12) land in total_exec_time etc., blk_read_time/blk_write_time (13-16) in shared_blk_read_time/shared_blk_write_time. Counters are cumulative since the last reset: see pg_statement_deltas for what an interval cost';
