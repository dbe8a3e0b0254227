-- 006: journald entries count in errors_per_minute (PRIORITY <= 3 is an
-- error), per unit, duplicates counted once.

CREATE OR REPLACE VIEW errors_per_minute AS
SELECT date_trunc('minute', ts) AS minute, 'logs' AS source, coalesce(service, '') AS service,
       count(*) FILTER (WHERE level IN ('ERROR', 'CRITICAL')) AS errors,
       count(*) AS total
FROM logs WHERE dup_of IS NULL AND ts IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT date_trunc('minute', ts), 'http_requests', '',
       count(*) FILTER (WHERE status >= 500), count(*)
FROM http_requests WHERE dup_of IS NULL AND ts IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT date_trunc('minute', ts), 'journal', coalesce(unit, identifier, ''),
       count(*) FILTER (WHERE priority <= 3), count(*)
FROM journal WHERE dup_of IS NULL AND ts IS NOT NULL
GROUP BY ALL;
COMMENT ON VIEW errors_per_minute IS 'errors per minute: log records at ERROR and above per service, journald entries with PRIORITY <= 3 per unit, and HTTP 5xx; duplicates counted once';
COMMENT ON COLUMN errors_per_minute.minute IS 'the minute, UTC';
COMMENT ON COLUMN errors_per_minute.source IS 'logs, journal or http_requests';
COMMENT ON COLUMN errors_per_minute.service IS 'service (logs) or unit (journal)';
COMMENT ON COLUMN errors_per_minute.errors IS 'ERROR/CRITICAL records, journald PRIORITY <= 3, or 5xx responses';
COMMENT ON COLUMN errors_per_minute.total IS 'all records, entries or requests in the minute';
