-- 002: journald entries, from binary journal files and from journalctl
-- json and export dumps, and their place in the events view. Written
-- re-runnable (IF NOT EXISTS, OR REPLACE): a file whose record of this
-- migration is lost is migrated again without error.

CREATE TABLE IF NOT EXISTS journal (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    ts TIMESTAMPTZ,
    monotonic_us BIGINT,
    host VARCHAR,
    unit VARCHAR,
    identifier VARCHAR,
    pid INTEGER,
    priority TINYINT,
    message VARCHAR,
    transport VARCHAR,
    boot_id VARCHAR,
    cursor VARCHAR,
    fields JSON,
    dup_of BIGINT
);
COMMENT ON TABLE journal IS 'one row per journald entry (binary journal files, journalctl -o json and -o export dumps); the same entry from several sources is marked by dup_of';
COMMENT ON COLUMN journal.id IS 'row id; evidence ref journal:<id>';
COMMENT ON COLUMN journal.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN journal.line_no IS 'dumps: line of the entry''s first line; binary journal files: the entry''s number in the file, from 1';
COMMENT ON COLUMN journal.ts IS '__REALTIME_TIMESTAMP: when journald received the entry, UTC, microseconds';
COMMENT ON COLUMN journal.monotonic_us IS '__MONOTONIC_TIMESTAMP: microseconds since the boot (boot_id) began';
COMMENT ON COLUMN journal.host IS '_HOSTNAME';
COMMENT ON COLUMN journal.unit IS 'the unit the entry is about: _SYSTEMD_UNIT, or UNIT for systemd''s own messages about a unit (vid-bench.service: Failed with result ...); both fields stay in fields';
COMMENT ON COLUMN journal.identifier IS 'SYSLOG_IDENTIFIER (kernel, systemd, the program name)';
COMMENT ON COLUMN journal.pid IS '_PID of the process that logged';
COMMENT ON COLUMN journal.priority IS 'PRIORITY: 0 emerg, 1 alert, 2 crit, 3 err, 4 warning, 5 notice, 6 info, 7 debug';
COMMENT ON COLUMN journal.message IS 'MESSAGE (invalid UTF-8 bytes shown as U+FFFD; the exact bytes are then in fields)';
COMMENT ON COLUMN journal.transport IS '_TRANSPORT: kernel, journal, stdout, syslog, audit, driver';
COMMENT ON COLUMN journal.boot_id IS '_BOOT_ID';
COMMENT ON COLUMN journal.cursor IS '__CURSOR: names the entry in its journal (journalctl --cursor)';
COMMENT ON COLUMN journal.fields IS 'every other field, as journalctl -o json writes it: "KEY": "value", an array of byte values for a value that is not UTF-8, an array of values for a repeated field, null for a value the dump left out; also a field of a column when the column cannot hold it exactly (repeated, empty, not UTF-8). Query with (fields->>''_COMM'') (the parentheses matter beside AND)';
COMMENT ON COLUMN journal.dup_of IS 'id of the first copy when the same entry arrived through another source (binary file and dump); views count it once';

-- Notable entries: PRIORITY warning and above, and what the message says
-- (the kernel's OOM killer, NVIDIA Xid errors, units failing, restarting,
-- starting and stopping, level words of the programs' own lines).
CREATE OR REPLACE VIEW events_journal AS
WITH c AS (
  SELECT id, ts, unit, identifier, priority, message,
         CASE
           WHEN regexp_matches(message, 'Out of memory: Kill|invoked oom-killer|oom-kill:|killed by the OOM killer|Failed with result ''oom-kill''|Memory cgroup out of memory') THEN 'host_oom'
           WHEN regexp_matches(message, 'NVRM: Xid') THEN 'gpu_fault'
           WHEN regexp_matches(message, 'Failed with result|Main process exited, code=(killed|dumped)|Main process exited, code=exited, status=[1-9]|Failed to start ') THEN 'unit_failed'
           WHEN regexp_matches(message, 'Scheduled restart job') THEN 'unit_restart'
           WHEN regexp_matches(message, '^(Started|Starting|Stopping|Stopped|Reloading|Reloaded) ') THEN 'unit_lifecycle'
         END AS what,
         CASE
           WHEN regexp_matches(message, 'Out of memory: Kill|killed by the OOM killer|Failed with result ''oom-kill''|NVRM: Xid \([^)]*\): (48|74|79|94|95|119|120),') THEN 3
           WHEN regexp_matches(message, 'invoked oom-killer|oom-kill:|Memory cgroup out of memory|NVRM: Xid|Failed with result|Main process exited, code=(killed|dumped)|Main process exited, code=exited, status=[1-9]|Failed to start ') THEN 2
           WHEN regexp_matches(message, '\b(PANIC|CRITICAL)\b') THEN 3
           WHEN regexp_matches(message, '\b(FATAL|ERROR)\b') THEN 2
           WHEN regexp_matches(message, 'Scheduled restart job|\b(WARNING|WARN)\b') THEN 1
           ELSE 0
         END AS said,
         CASE WHEN priority <= 2 THEN 3 WHEN priority = 3 THEN 2 WHEN priority = 4 THEN 1 ELSE 0 END AS prio
  FROM journal
  WHERE dup_of IS NULL AND ts IS NOT NULL
)
SELECT ts, 'journal' AS source,
       coalesce(what, CASE WHEN greatest(said, prio) >= 2 THEN 'journal_error' ELSE 'journal_warning' END) AS kind,
       CASE greatest(said, prio) WHEN 3 THEN 'critical' WHEN 2 THEN 'error' WHEN 1 THEN 'warning' ELSE 'info' END AS severity,
       coalesce(regexp_replace(unit, '\.service$', ''), identifier) AS service,
       coalesce(nullif(split_part(message, chr(10), 1), ''), identifier, '') AS text,
       'journal:' || id AS ref
FROM c
WHERE what IS NOT NULL OR greatest(said, prio) >= 1;
COMMENT ON VIEW events_journal IS 'the journal entries in events: PRIORITY warning and above, OOM killer, NVIDIA Xid, units failing, restarting, starting and stopping';
