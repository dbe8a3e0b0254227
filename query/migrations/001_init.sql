-- 001: the case database: sources, log records, HTTP requests, notes,
-- rejects, templates, ingest bookkeeping, and the first views.

CREATE TABLE sources (
    id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    sha256 VARCHAR,
    bytes BIGINT,
    file_bytes BIGINT,
    compressed BOOLEAN,
    mtime TIMESTAMPTZ,
    lines BIGINT,
    rows BIGINT,
    continuations BIGINT,
    rejects BIGINT,
    filtered BIGINT,
    first_ts TIMESTAMPTZ,
    last_ts TIMESTAMPTZ,
    ingested_at TIMESTAMPTZ,
    status VARCHAR,
    problem VARCHAR
);
COMMENT ON TABLE sources IS 'one row per ingested evidence file';
COMMENT ON COLUMN sources.id IS 'source id; rows of every table name their file by source_id';
COMMENT ON COLUMN sources.kind IS 'reader that read it: applog, access, compose, text, note, ...';
COMMENT ON COLUMN sources.path IS 'path of the file when first ingested';
COMMENT ON COLUMN sources.sha256 IS 'sha256 of the decompressed content (the identity used for idempotent ingest)';
COMMENT ON COLUMN sources.bytes IS 'decompressed size in bytes';
COMMENT ON COLUMN sources.file_bytes IS 'size on disk (compressed size for .gz)';
COMMENT ON COLUMN sources.compressed IS 'true when the file was gzip-compressed';
COMMENT ON COLUMN sources.mtime IS 'modification time of the file';
COMMENT ON COLUMN sources.lines IS 'text lines read';
COMMENT ON COLUMN sources.rows IS 'rows stored';
COMMENT ON COLUMN sources.continuations IS 'lines folded into the row above (tracebacks, multi-line messages)';
COMMENT ON COLUMN sources.rejects IS 'lines that could not be read (see rejects)';
COMMENT ON COLUMN sources.filtered IS 'lines left out by the --since/--until window';
COMMENT ON COLUMN sources.first_ts IS 'earliest record time';
COMMENT ON COLUMN sources.last_ts IS 'latest record time';
COMMENT ON COLUMN sources.ingested_at IS 'when the file was last ingested';
COMMENT ON COLUMN sources.status IS 'ok, or partial when the file could be read only in part';
COMMENT ON COLUMN sources.problem IS 'what went wrong, for partial files';

CREATE TABLE source_passes (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    run_id BIGINT,
    from_byte BIGINT,
    to_byte BIGINT,
    from_line BIGINT,
    to_line BIGINT,
    since TIMESTAMPTZ,
    "until" TIMESTAMPTZ,
    rows BIGINT,
    rejects BIGINT,
    filtered BIGINT,
    ingested_at TIMESTAMPTZ
);
COMMENT ON TABLE source_passes IS 'one row per read of (part of) a source: which bytes and which time window it covered';
COMMENT ON COLUMN source_passes.id IS 'pass id';
COMMENT ON COLUMN source_passes.source_id IS 'the source read (sources.id)';
COMMENT ON COLUMN source_passes.run_id IS 'the ingest run (ingest_runs.id)';
COMMENT ON COLUMN source_passes.from_byte IS 'first decompressed byte read';
COMMENT ON COLUMN source_passes.to_byte IS 'decompressed byte just past the last one read';
COMMENT ON COLUMN source_passes.from_line IS 'lines before the first one read';
COMMENT ON COLUMN source_passes.to_line IS 'last line read';
COMMENT ON COLUMN source_passes.since IS 'start of the time window of that ingest (NULL: open)';
COMMENT ON COLUMN source_passes."until" IS 'end of the time window of that ingest (NULL: open)';
COMMENT ON COLUMN source_passes.rows IS 'rows stored by this pass';
COMMENT ON COLUMN source_passes.rejects IS 'lines rejected by this pass';
COMMENT ON COLUMN source_passes.filtered IS 'lines left out by the window in this pass';
COMMENT ON COLUMN source_passes.ingested_at IS 'when';

CREATE TABLE ingest_runs (
    id BIGINT NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    args VARCHAR,
    tz VARCHAR,
    since TIMESTAMPTZ,
    "until" TIMESTAMPTZ,
    files BIGINT,
    rows BIGINT,
    status VARCHAR
);
COMMENT ON TABLE ingest_runs IS 'one row per forensics ingest or investigate run';
COMMENT ON COLUMN ingest_runs.id IS 'run id';
COMMENT ON COLUMN ingest_runs.started_at IS 'start';
COMMENT ON COLUMN ingest_runs.finished_at IS 'end';
COMMENT ON COLUMN ingest_runs.args IS 'paths given';
COMMENT ON COLUMN ingest_runs.tz IS 'zone applied to zone-less times';
COMMENT ON COLUMN ingest_runs.since IS '--since of the run';
COMMENT ON COLUMN ingest_runs."until" IS '--until of the run';
COMMENT ON COLUMN ingest_runs.files IS 'files that added rows';
COMMENT ON COLUMN ingest_runs.rows IS 'rows added';
COMMENT ON COLUMN ingest_runs.status IS 'ok, partial (some file unreadable) or failed';

CREATE TABLE ingest_issues (
    id BIGINT NOT NULL,
    run_id BIGINT,
    path VARCHAR,
    severity VARCHAR,
    problem VARCHAR
);
COMMENT ON TABLE ingest_issues IS 'files skipped or read only in part, with the reason';
COMMENT ON COLUMN ingest_issues.id IS 'issue id';
COMMENT ON COLUMN ingest_issues.run_id IS 'the run (ingest_runs.id)';
COMMENT ON COLUMN ingest_issues.path IS 'the file or folder';
COMMENT ON COLUMN ingest_issues.severity IS 'skipped (no reader), error (unreadable), warning (read in part)';
COMMENT ON COLUMN ingest_issues.problem IS 'what was wrong and what to do';

CREATE TABLE logs (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    lines INTEGER,
    ts TIMESTAMPTZ,
    host VARCHAR,
    service VARCHAR,
    level VARCHAR,
    logger VARCHAR,
    message VARCHAR,
    detail VARCHAR,
    exception VARCHAR,
    template_id UINTEGER,
    layout VARCHAR,
    attrs VARCHAR,
    dup_of BIGINT
);
COMMENT ON TABLE logs IS 'one row per log record (app, compose, server or generic text log), continuation lines folded in';
COMMENT ON COLUMN logs.id IS 'row id; evidence ref logs:<id>';
COMMENT ON COLUMN logs.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN logs.line_no IS 'line of the record''s first line in the decompressed file';
COMMENT ON COLUMN logs.lines IS 'physical lines of the record (1 + continuation lines)';
COMMENT ON COLUMN logs.ts IS 'record time, UTC (zone-less stamps read in the ingest --tz)';
COMMENT ON COLUMN logs.host IS 'host, when the line names one';
COMMENT ON COLUMN logs.service IS 'compose service, or the app component the file belongs to';
COMMENT ON COLUMN logs.level IS 'DEBUG, INFO, WARNING, ERROR or CRITICAL (NULL when unknown)';
COMMENT ON COLUMN logs.logger IS 'logger name (vid_bench.runner, postgres, redis, syslog program)';
COMMENT ON COLUMN logs.message IS 'the message of the first line';
COMMENT ON COLUMN logs.detail IS 'continuation lines: traceback or the rest of a multi-line message';
COMMENT ON COLUMN logs.exception IS 'final exception line of a traceback (e.g. torch.cuda.OutOfMemoryError: ...)';
COMMENT ON COLUMN logs.template_id IS 'mined message template (templates.id)';
COMMENT ON COLUMN logs.layout IS 'layout recognised: bracket, dash, json, pg, redis, syslog, compose, text';
COMMENT ON COLUMN logs.attrs IS 'every other field as JSON text (JSON keys, container, docker_ts, pid ...): attrs->>''run_id''';
COMMENT ON COLUMN logs.dup_of IS 'id of the first copy when the same record arrived through another source; views count it once';

CREATE TABLE http_requests (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    ts TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    client VARCHAR,
    "user" VARCHAR,
    method VARCHAR,
    path VARCHAR,
    protocol VARCHAR,
    status SMALLINT,
    bytes BIGINT,
    referer VARCHAR,
    user_agent VARCHAR,
    response_time_s DOUBLE,
    attrs VARCHAR,
    dup_of BIGINT
);
COMMENT ON TABLE http_requests IS 'one row per access-log line';
COMMENT ON COLUMN http_requests.id IS 'row id; evidence ref http_requests:<id>';
COMMENT ON COLUMN http_requests.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN http_requests.line_no IS 'line in the decompressed file';
COMMENT ON COLUMN http_requests.ts IS 'when the request ended (the access log stamp), UTC';
COMMENT ON COLUMN http_requests.started_at IS 'when it began: ts - response_time_s';
COMMENT ON COLUMN http_requests.client IS 'client address';
COMMENT ON COLUMN http_requests."user" IS 'authenticated user (NULL for anonymous)';
COMMENT ON COLUMN http_requests.method IS 'HTTP method';
COMMENT ON COLUMN http_requests.path IS 'request path with query';
COMMENT ON COLUMN http_requests.protocol IS 'HTTP version';
COMMENT ON COLUMN http_requests.status IS 'HTTP status';
COMMENT ON COLUMN http_requests.bytes IS 'response bytes';
COMMENT ON COLUMN http_requests.referer IS 'referer (NULL when the log shows -)';
COMMENT ON COLUMN http_requests.user_agent IS 'user agent (health checkers: curl, docker-healthcheck, kube-probe)';
COMMENT ON COLUMN http_requests.response_time_s IS 'response time in seconds (NULL when the log has none)';
COMMENT ON COLUMN http_requests.attrs IS 'other fields of the line as JSON text: attrs->>''key''';
COMMENT ON COLUMN http_requests.dup_of IS 'id of the first copy when the same line arrived twice';

CREATE TABLE notes (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    lines INTEGER,
    text VARCHAR
);
COMMENT ON TABLE notes IS 'free-text notes of the responders, kept whole';
COMMENT ON COLUMN notes.id IS 'row id';
COMMENT ON COLUMN notes.source_id IS 'file (sources.id)';
COMMENT ON COLUMN notes.lines IS 'lines in the note';
COMMENT ON COLUMN notes.text IS 'the text';

CREATE TABLE rejects (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    reason VARCHAR,
    raw VARCHAR
);
COMMENT ON TABLE rejects IS 'lines or records that could not be read, with the reason';
COMMENT ON COLUMN rejects.id IS 'row id';
COMMENT ON COLUMN rejects.source_id IS 'file (sources.id)';
COMMENT ON COLUMN rejects.line_no IS 'line in the decompressed file';
COMMENT ON COLUMN rejects.reason IS 'what was wrong';
COMMENT ON COLUMN rejects.raw IS 'the line, cut to 1 KiB';

CREATE TABLE templates (
    id UINTEGER NOT NULL,
    template VARCHAR,
    count BIGINT
);
COMMENT ON TABLE templates IS 'log message templates mined over the whole case (variable parts masked)';
COMMENT ON COLUMN templates.id IS 'template id (logs.template_id)';
COMMENT ON COLUMN templates.template IS 'template text, variables as <*>';
COMMENT ON COLUMN templates.count IS 'records mined into it';

-- The events view is the union of every events_* view; the store rebuilds
-- it after each migration, so a later migration adds its source by
-- creating one more events_<source> view with the same columns:
-- ts, source, kind, severity, service, text, ref.
CREATE VIEW events_logs AS
SELECT ts, 'logs' AS source,
       CASE WHEN exception IS NOT NULL THEN 'exception'
            WHEN level IN ('ERROR', 'CRITICAL') THEN 'log_error'
            WHEN level = 'WARNING' THEN 'log_warning'
            ELSE 'log_lifecycle' END AS kind,
       CASE level WHEN 'CRITICAL' THEN 'critical' WHEN 'ERROR' THEN 'error' WHEN 'WARNING' THEN 'warning' ELSE 'info' END AS severity,
       service,
       CASE WHEN exception IS NOT NULL THEN message || ' — ' || exception ELSE message END AS text,
       'logs:' || id AS ref
FROM logs
WHERE dup_of IS NULL AND ts IS NOT NULL AND (
      level IN ('WARNING', 'ERROR', 'CRITICAL')
   OR regexp_matches(message, '(?i)(^(starting|started|shutting down|shutdown|stopping|stopped|exiting|restarting|reloading)\b|maintenance mode|set to .* \(was|config(uration)? (changed|change|reload)|application (startup|shutdown) complete|finished server process|received (SIGTERM|SIGINT|signal))'));
COMMENT ON VIEW events_logs IS 'the log records in events: WARNING and above, lifecycle and config lines';

CREATE VIEW events_http AS
SELECT ts, 'http_requests' AS source, 'http_5xx' AS kind,
       CASE WHEN status IN (502, 503, 504) THEN 'error' ELSE 'warning' END AS severity,
       NULL::VARCHAR AS service,
       method || ' ' || path || ' → ' || status || coalesce(' in ' || round(response_time_s, 3) || ' s', '') AS text,
       'http_requests:' || id AS ref
FROM http_requests
WHERE dup_of IS NULL AND status >= 500;
COMMENT ON VIEW events_http IS 'the HTTP requests in events: 5xx responses';

CREATE VIEW errors_per_minute AS
SELECT date_trunc('minute', ts) AS minute, 'logs' AS source, coalesce(service, '') AS service,
       count(*) FILTER (WHERE level IN ('ERROR', 'CRITICAL')) AS errors,
       count(*) AS total
FROM logs WHERE dup_of IS NULL AND ts IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT date_trunc('minute', ts), 'http_requests', '',
       count(*) FILTER (WHERE status >= 500), count(*)
FROM http_requests WHERE dup_of IS NULL AND ts IS NOT NULL
GROUP BY ALL;
COMMENT ON VIEW errors_per_minute IS 'errors per minute: log records at ERROR and above per service, and HTTP 5xx; duplicates counted once';
COMMENT ON COLUMN errors_per_minute.minute IS 'the minute, UTC';
COMMENT ON COLUMN errors_per_minute.source IS 'logs or http_requests';
COMMENT ON COLUMN errors_per_minute.service IS 'service (logs only)';
COMMENT ON COLUMN errors_per_minute.errors IS 'ERROR/CRITICAL records, or 5xx responses';
COMMENT ON COLUMN errors_per_minute.total IS 'all records or requests in the minute';
