-- 003: what the responders did and saw: the commands of their shell
-- histories and terminal sessions, the values of the command outputs they
-- saved, the commands in events, and a metric view over the captures.
-- Written re-runnable (IF NOT EXISTS, OR REPLACE): a file whose record of
-- this migration is lost is migrated again without error.

CREATE TABLE IF NOT EXISTS commands (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    lines INTEGER,
    ts TIMESTAMPTZ,
    ts_exact BOOLEAN,
    host VARCHAR,
    "user" VARCHAR,
    shell VARCHAR,
    command VARCHAR,
    action VARCHAR,
    target VARCHAR,
    service VARCHAR,
    elapsed_s DOUBLE,
    output VARCHAR,
    attrs VARCHAR
);
COMMENT ON TABLE commands IS 'one row per command a responder ran: shell history entries (bash HISTTIMEFORMAT, zsh extended, plain) and commands typed in script sessions';
COMMENT ON COLUMN commands.id IS 'row id; evidence ref commands:<id>';
COMMENT ON COLUMN commands.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN commands.line_no IS 'line of the command in the decompressed file: the order of commands within a history, also when ts is NULL';
COMMENT ON COLUMN commands.lines IS 'physical lines of the row: the command (multi-line commands), its time stamp line, and in a session log its output';
COMMENT ON COLUMN commands.ts IS 'when it ran, UTC; NULL for a plain history without times';
COMMENT ON COLUMN commands.ts_exact IS 'true when ts is the command''s own time (history stamp); false when it is a lower bound (script session start, a date printed before it)';
COMMENT ON COLUMN commands.host IS 'host, from the file name (user@host.bash_history), the session prompt or the path';
COMMENT ON COLUMN commands."user" IS 'user, from the file name, the prompt or the path';
COMMENT ON COLUMN commands.shell IS 'bash, zsh, sh (history without times) or script (a terminal session log)';
COMMENT ON COLUMN commands.command IS 'the command line as typed, sudo and all (multi-line commands keep their newlines)';
COMMENT ON COLUMN commands.action IS 'what it does, by meaning: restart, config_change, cache_clear, cleanup, kill_query, kill_process, maintenance_mode, model_redownload, scale, look_only (changes nothing) or other (not recognised)';
COMMENT ON COLUMN commands.target IS 'what it acts on: a service or unit, a setting (max_batch_size=1), a path, enable/disable, a model';
COMMENT ON COLUMN commands.service IS 'the service, container or unit it restarts or scales, when it names one';
COMMENT ON COLUMN commands.elapsed_s IS 'seconds it ran (zsh extended history only)';
COMMENT ON COLUMN commands.output IS 'its output in a session log (cut at 256 KiB; parsed outputs go to captures instead)';
COMMENT ON COLUMN commands.attrs IS 'more as JSON text: actions (every meaning in a chain), sudo, session_start/session_end, ts_basis, captures: attrs->>''key''';

CREATE TABLE IF NOT EXISTS captures (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    line_no BIGINT,
    lines INTEGER,
    ts TIMESTAMPTZ,
    ts_source VARCHAR,
    host VARCHAR,
    tool VARCHAR,
    kind VARCHAR,
    subject VARCHAR,
    gpu INTEGER,
    pid BIGINT,
    name VARCHAR,
    state VARCHAR,
    used_bytes BIGINT,
    total_bytes BIGINT,
    free_bytes BIGINT,
    avail_bytes BIGINT,
    util_pct DOUBLE,
    use_pct DOUBLE,
    temp_c DOUBLE,
    power_w DOUBLE,
    attrs VARCHAR
);
COMMENT ON TABLE captures IS 'one row per value set of a saved command output: a GPU or GPU process (nvidia-smi), a filesystem (df), memory or swap (free), a container (docker-compose ps, docker stats)';
COMMENT ON COLUMN captures.id IS 'row id; evidence ref captures:<id>';
COMMENT ON COLUMN captures.source_id IS 'file it came from (sources.id)';
COMMENT ON COLUMN captures.line_no IS 'first line of the row in the decompressed file';
COMMENT ON COLUMN captures.lines IS 'physical lines of the row (table headers and borders are folded into the first row of a table)';
COMMENT ON COLUMN captures.ts IS 'when the output was taken, UTC (NULL when nothing tells)';
COMMENT ON COLUMN captures.ts_source IS 'where ts comes from: output (nvidia-smi''s own time), date_line (a date printed above it), file_name (nvidia-smi-20261120T140512Z.txt), session (a script session''s start or a later date: a lower bound)';
COMMENT ON COLUMN captures.host IS 'host, from a watch header, a session prompt or the file name';
COMMENT ON COLUMN captures.tool IS 'the command that printed it: nvidia-smi, nvidia-smi-query (--query-gpu --format=csv), df, free, docker-compose-ps, docker-stats';
COMMENT ON COLUMN captures.kind IS 'gpu, gpu_process, filesystem, memory, swap, container (ps), container_stats (docker stats)';
COMMENT ON COLUMN captures.subject IS 'what the row is about: GPU index, pid, mount point, Mem/Swap, container name';
COMMENT ON COLUMN captures.gpu IS 'GPU index (gpu, gpu_process)';
COMMENT ON COLUMN captures.pid IS 'process id (gpu_process)';
COMMENT ON COLUMN captures.name IS 'GPU model, process name, filesystem device, or the container''s image or service';
COMMENT ON COLUMN captures.state IS 'container state: running, exited, restarting, paused, created, dead, removing, none (an empty list)';
COMMENT ON COLUMN captures.used_bytes IS 'bytes used: GPU memory (MiB x 1048576), filesystem, memory, container memory';
COMMENT ON COLUMN captures.total_bytes IS 'bytes in all: GPU memory, filesystem size, memory, container memory limit';
COMMENT ON COLUMN captures.free_bytes IS 'bytes free: GPU memory, filesystem size - used, memory free';
COMMENT ON COLUMN captures.avail_bytes IS 'bytes available: df Avail, free available';
COMMENT ON COLUMN captures.util_pct IS 'GPU-Util %, or container CPU % (can exceed 100 on several cores)';
COMMENT ON COLUMN captures.use_pct IS 'filesystem Use %, container MEM %';
COMMENT ON COLUMN captures.temp_c IS 'GPU temperature, degrees Celsius';
COMMENT ON COLUMN captures.power_w IS 'GPU power draw, watts (attrs.power_cap_w holds the cap)';
COMMENT ON COLUMN captures.attrs IS 'every other field as JSON text (bus_id, perf, driver_version, ports, status, net_io, command ...): attrs->>''key''';

-- Commands in the super-timeline: kind command_<action>, so the timeline
-- tells investigation (command_look_only) from action.
CREATE OR REPLACE VIEW events_commands AS
SELECT ts, 'commands' AS source, 'command_' || action AS kind, 'info' AS severity, service,
       coalesce("user", '') || CASE WHEN host IS NOT NULL THEN '@' || host ELSE '' END
         || CASE WHEN "user" IS NOT NULL OR host IS NOT NULL THEN ' ' ELSE '' END
         || '$ ' || left(replace(command, chr(10), ' '), 500)
         || CASE WHEN ts_exact THEN '' ELSE ' (at or after this time)' END AS text,
       'commands:' || id AS ref
FROM commands
WHERE ts IS NOT NULL;
COMMENT ON VIEW events_commands IS 'the commands in events (those with a time): kind command_<action>, e.g. command_config_change, command_look_only';
COMMENT ON COLUMN events_commands.ts IS 'when the command ran, UTC (a lower bound when the text says at or after)';
COMMENT ON COLUMN events_commands.source IS 'commands';
COMMENT ON COLUMN events_commands.kind IS 'command_<action>: command_look_only for investigation, command_restart, command_config_change ... for actions';
COMMENT ON COLUMN events_commands.severity IS 'info';
COMMENT ON COLUMN events_commands.service IS 'the service it restarts, scales or reads, when it names one';
COMMENT ON COLUMN events_commands.text IS 'user@host $ command';
COMMENT ON COLUMN events_commands.ref IS 'evidence ref commands:<id>';

-- Captured values as metric samples, named as Prometheus exporters name
-- them (DCGM exporter, node exporter, cAdvisor), so that detectors can use
-- them where Prometheus has no data.
CREATE OR REPLACE VIEW capture_metrics AS
WITH c AS (SELECT * FROM captures WHERE ts IS NOT NULL),
m AS (
    SELECT c.*, 'DCGM_FI_DEV_FB_USED' AS metric, used_bytes / 1048576.0 AS value FROM c WHERE kind = 'gpu' AND used_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'DCGM_FI_DEV_FB_FREE', free_bytes / 1048576.0 FROM c WHERE kind = 'gpu' AND free_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'DCGM_FI_DEV_FB_TOTAL', total_bytes / 1048576.0 FROM c WHERE kind = 'gpu' AND total_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'DCGM_FI_DEV_GPU_UTIL', util_pct FROM c WHERE kind = 'gpu' AND util_pct IS NOT NULL
    UNION ALL SELECT c.*, 'DCGM_FI_DEV_GPU_TEMP', temp_c FROM c WHERE kind = 'gpu' AND temp_c IS NOT NULL
    UNION ALL SELECT c.*, 'DCGM_FI_DEV_POWER_USAGE', power_w FROM c WHERE kind = 'gpu' AND power_w IS NOT NULL
    UNION ALL SELECT c.*, 'nvidia_smi_process_used_memory_mib', used_bytes / 1048576.0 FROM c WHERE kind = 'gpu_process' AND used_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'node_filesystem_size_bytes', total_bytes FROM c WHERE kind = 'filesystem' AND total_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'node_filesystem_avail_bytes', avail_bytes FROM c WHERE kind = 'filesystem' AND avail_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'node_filesystem_free_bytes', free_bytes FROM c WHERE kind = 'filesystem' AND free_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'node_memory_MemTotal_bytes', total_bytes FROM c WHERE kind = 'memory' AND total_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'node_memory_MemAvailable_bytes', avail_bytes FROM c WHERE kind = 'memory' AND avail_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'node_memory_MemFree_bytes', free_bytes FROM c WHERE kind = 'memory' AND free_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'node_memory_SwapTotal_bytes', total_bytes FROM c WHERE kind = 'swap' AND total_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'node_memory_SwapFree_bytes', free_bytes FROM c WHERE kind = 'swap' AND free_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'container_memory_usage_bytes', used_bytes FROM c WHERE kind = 'container_stats' AND used_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'container_spec_memory_limit_bytes', total_bytes FROM c WHERE kind = 'container_stats' AND total_bytes IS NOT NULL
    UNION ALL SELECT c.*, 'docker_stats_cpu_percent', util_pct FROM c WHERE kind = 'container_stats' AND util_pct IS NOT NULL
)
SELECT ts, metric,
       -- labels without the unknown ones
       CASE WHEN kind = 'gpu' THEN to_json(map_from_entries(list_filter([{'k': 'gpu', 'v': gpu::VARCHAR}, {'k': 'UUID', 'v': attrs->>'uuid'}, {'k': 'modelName', 'v': name}, {'k': 'Hostname', 'v': host}], x -> x.v IS NOT NULL)))
            WHEN kind = 'gpu_process' THEN to_json(map_from_entries(list_filter([{'k': 'gpu', 'v': gpu::VARCHAR}, {'k': 'pid', 'v': pid::VARCHAR}, {'k': 'process_name', 'v': name}, {'k': 'Hostname', 'v': host}], x -> x.v IS NOT NULL)))
            WHEN kind = 'filesystem' THEN to_json(map_from_entries(list_filter([{'k': 'mountpoint', 'v': subject}, {'k': 'device', 'v': name}, {'k': 'fstype', 'v': attrs->>'fstype'}, {'k': 'instance', 'v': host}], x -> x.v IS NOT NULL)))
            WHEN kind IN ('container', 'container_stats') THEN to_json(map_from_entries(list_filter([{'k': 'name', 'v': subject}, {'k': 'id', 'v': attrs->>'container_id'}, {'k': 'instance', 'v': host}], x -> x.v IS NOT NULL)))
            ELSE to_json(map_from_entries(list_filter([{'k': 'instance', 'v': host}], x -> x.v IS NOT NULL))) END AS labels,
       value::DOUBLE AS value,
       gpu,
       CASE WHEN kind = 'filesystem' THEN subject END AS mountpoint,
       CASE WHEN kind IN ('container', 'container_stats') THEN subject END AS container,
       host, tool, source_id,
       'captures:' || id AS ref
FROM m;
COMMENT ON VIEW capture_metrics IS 'captured values as metric samples with Prometheus names: DCGM_FI_DEV_FB_USED/FREE/TOTAL (MiB), DCGM_FI_DEV_GPU_UTIL (%), DCGM_FI_DEV_GPU_TEMP, DCGM_FI_DEV_POWER_USAGE, node_filesystem_{size,avail,free}_bytes, node_memory_{MemTotal,MemAvailable,MemFree,SwapTotal,SwapFree}_bytes, container_memory_usage_bytes, container_spec_memory_limit_bytes, docker_stats_cpu_percent, nvidia_smi_process_used_memory_mib';
COMMENT ON COLUMN capture_metrics.ts IS 'when the output was taken, UTC';
COMMENT ON COLUMN capture_metrics.metric IS 'metric name, as the Prometheus exporter names it';
COMMENT ON COLUMN capture_metrics.labels IS 'labels as JSON (gpu, UUID, modelName, Hostname; mountpoint, device, fstype; name; instance): labels->>''gpu''';
COMMENT ON COLUMN capture_metrics.value IS 'the value, in the exporter''s unit (MiB for DCGM memory, bytes for node and container memory)';
COMMENT ON COLUMN capture_metrics.gpu IS 'GPU index (GPU metrics)';
COMMENT ON COLUMN capture_metrics.mountpoint IS 'mount point (filesystem metrics)';
COMMENT ON COLUMN capture_metrics.container IS 'container name (container metrics)';
COMMENT ON COLUMN capture_metrics.host IS 'host, when known';
COMMENT ON COLUMN capture_metrics.tool IS 'the command that printed it';
COMMENT ON COLUMN capture_metrics.source_id IS 'file (sources.id)';
COMMENT ON COLUMN capture_metrics.ref IS 'evidence ref captures:<id>';
