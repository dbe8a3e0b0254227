-- 005: Prometheus TSDB data (a copied data directory or a single block):
-- series, float samples with staleness markers, native histogram samples,
-- and the views detectors read: alerts, metrics, counter_deltas (with the
-- counter_rate macro) and events_prom. Written re-runnable (IF NOT EXISTS,
-- OR REPLACE).

CREATE TABLE IF NOT EXISTS series (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    metric VARCHAR,
    labels JSON
);
COMMENT ON TABLE series IS 'one row per Prometheus series of a TSDB source (data directory or block); the same labels from two sources are two rows, and PromQL over the case merges them';
COMMENT ON COLUMN series.id IS 'row id; samples.series_id and histogram_samples.series_id point here; evidence ref series:<id>';
COMMENT ON COLUMN series.source_id IS 'the Prometheus data directory or block it came from (sources.id)';
COMMENT ON COLUMN series.metric IS 'the metric name (__name__)';
COMMENT ON COLUMN series.labels IS 'the other labels as a JSON object with sorted keys; query with (labels->>''job'')';

CREATE TABLE IF NOT EXISTS samples (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    series_id BIGINT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    value DOUBLE,
    stale BOOLEAN
);
COMMENT ON TABLE samples IS 'one row per float sample of a Prometheus series, exactly as the TSDB holds it (blocks, and the WAL/head)';
COMMENT ON COLUMN samples.id IS 'row id; evidence ref samples:<id>';
COMMENT ON COLUMN samples.source_id IS 'the Prometheus data directory or block it came from (sources.id)';
COMMENT ON COLUMN samples.series_id IS 'series.id';
COMMENT ON COLUMN samples.ts IS 'sample time, UTC (Prometheus keeps milliseconds)';
COMMENT ON COLUMN samples.value IS 'the float value (NaN for a staleness marker)';
COMMENT ON COLUMN samples.stale IS 'a staleness marker: the series stopped here (target down, rule output gone); PromQL treats the series as absent from this time';

CREATE TABLE IF NOT EXISTS histogram_samples (
    id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    series_id BIGINT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    is_float BOOLEAN,
    count DOUBLE,
    sum DOUBLE,
    stale BOOLEAN,
    histogram JSON
);
COMMENT ON TABLE histogram_samples IS 'one row per native histogram sample (integer or float counts) of a Prometheus series';
COMMENT ON COLUMN histogram_samples.id IS 'row id; evidence ref histogram_samples:<id>';
COMMENT ON COLUMN histogram_samples.source_id IS 'sources.id';
COMMENT ON COLUMN histogram_samples.series_id IS 'series.id';
COMMENT ON COLUMN histogram_samples.ts IS 'sample time, UTC';
COMMENT ON COLUMN histogram_samples.is_float IS 'a float histogram (float counts) rather than an integer one';
COMMENT ON COLUMN histogram_samples.count IS 'observations counted (NULL for a staleness marker)';
COMMENT ON COLUMN histogram_samples.sum IS 'sum of the observations (NULL for a staleness marker)';
COMMENT ON COLUMN histogram_samples.stale IS 'a staleness marker';
COMMENT ON COLUMN histogram_samples.histogram IS 'the whole histogram as JSON, the fields of prometheus histogram.FloatHistogram (Schema, ZeroThreshold, ZeroCount, Count, Sum, PositiveSpans, PositiveBuckets, NegativeSpans, NegativeBuckets, CustomValues); forensics promql rebuilds it from here';

-- Float samples with the common labels as columns; staleness markers left out.
CREATE OR REPLACE VIEW metrics AS
SELECT p.ts, s.metric, p.value,
       s.labels->>'job' AS job, s.labels->>'instance' AS instance, s.labels->>'handler' AS handler,
       s.labels->>'status' AS status, s.labels->>'gpu' AS gpu, s.labels->>'mountpoint' AS mountpoint,
       s.labels, p.series_id, p.id AS sample_id
FROM samples p JOIN series s ON s.id = p.series_id
WHERE NOT p.stale;
COMMENT ON VIEW metrics IS 'Prometheus float samples with the common labels flattened (staleness markers left out); e.g. SELECT ts, gpu, value FROM metrics WHERE metric = ''DCGM_FI_DEV_FB_USED''';
COMMENT ON COLUMN metrics.ts IS 'sample time, UTC';
COMMENT ON COLUMN metrics.metric IS 'metric name';
COMMENT ON COLUMN metrics.value IS 'float value';
COMMENT ON COLUMN metrics.job IS 'label job';
COMMENT ON COLUMN metrics.instance IS 'label instance';
COMMENT ON COLUMN metrics.handler IS 'label handler';
COMMENT ON COLUMN metrics.status IS 'label status';
COMMENT ON COLUMN metrics.gpu IS 'label gpu';
COMMENT ON COLUMN metrics.mountpoint IS 'label mountpoint';
COMMENT ON COLUMN metrics.labels IS 'all labels but __name__ (JSON)';
COMMENT ON COLUMN metrics.series_id IS 'series.id';
COMMENT ON COLUMN metrics.sample_id IS 'samples.id; evidence ref samples:<sample_id>';

-- Consecutive samples of counters, with resets handled as Prometheus'
-- rate() does: a value below the previous one means the counter restarted
-- from zero, so the increase is the new value.
CREATE OR REPLACE VIEW counter_deltas AS
WITH c AS (
  SELECT p.id, p.series_id, s.metric, s.labels, p.ts, p.value,
         lag(p.ts) OVER w AS prev_ts, lag(p.value) OVER w AS prev_value
  FROM samples p JOIN series s ON s.id = p.series_id
  WHERE NOT p.stale AND NOT isnan(p.value)
    AND regexp_matches(s.metric, '(_total|_count|_bucket|_sum)$')
  WINDOW w AS (PARTITION BY p.series_id ORDER BY p.ts)
)
SELECT series_id, metric, labels, prev_ts, ts, prev_value, value,
       value < prev_value AS reset,
       CASE WHEN value < prev_value THEN value ELSE value - prev_value END AS increase,
       (CASE WHEN value < prev_value THEN value ELSE value - prev_value END) / nullif(epoch(ts) - epoch(prev_ts), 0) AS rate_per_s,
       id AS sample_id
FROM c WHERE prev_ts IS NOT NULL;
COMMENT ON VIEW counter_deltas IS 'counters (metric names ending _total, _count, _bucket, _sum): each pair of consecutive samples of a series, its increase with resets handled like rate() (a drop means a restart from zero), and the rate per second';
COMMENT ON COLUMN counter_deltas.series_id IS 'series.id';
COMMENT ON COLUMN counter_deltas.metric IS 'metric name';
COMMENT ON COLUMN counter_deltas.labels IS 'labels but __name__ (JSON)';
COMMENT ON COLUMN counter_deltas.prev_ts IS 'previous sample time';
COMMENT ON COLUMN counter_deltas.ts IS 'sample time';
COMMENT ON COLUMN counter_deltas.prev_value IS 'previous value';
COMMENT ON COLUMN counter_deltas.value IS 'value';
COMMENT ON COLUMN counter_deltas.reset IS 'the counter went down: the process restarted';
COMMENT ON COLUMN counter_deltas.increase IS 'increase since the previous sample, reset-corrected';
COMMENT ON COLUMN counter_deltas.rate_per_s IS 'increase per second between the two samples';
COMMENT ON COLUMN counter_deltas.sample_id IS 'samples.id of the later sample';

-- counter_rate(name, width): per series and time bucket of width, the
-- reset-corrected increase and the mean rate per second, e.g.
-- SELECT * FROM counter_rate('http_requests_total', INTERVAL 1 MINUTE).
CREATE OR REPLACE MACRO counter_rate(name, width) AS TABLE
SELECT series_id, metric, labels, time_bucket(width, ts) AS bucket,
       sum(increase) AS increase, sum(increase) / epoch(width) AS rate_per_s,
       count(*) FILTER (WHERE reset) AS resets
FROM counter_deltas WHERE metric = name
GROUP BY ALL ORDER BY series_id, bucket;

-- ALERTS: one row per interval in which an alert was active (pending,
-- then maybe firing). An interval ends when the alert's series went stale
-- (resolved) or had no sample for 5 minutes (Prometheus' lookback).
CREATE OR REPLACE VIEW alerts AS
WITH a AS (
  SELECT p.ts, p.stale, p.id, s.labels->>'alertstate' AS state,
         json_merge_patch(s.labels, '{"alertstate":null}')::VARCHAR AS ident
  FROM samples p JOIN series s ON s.id = p.series_id
  WHERE s.metric = 'ALERTS'
),
b AS (
  SELECT *, lag(stale) OVER w AS prev_stale, lag(state) OVER w AS prev_state,
         max(CASE WHEN NOT stale THEN ts END) OVER (PARTITION BY ident ORDER BY ts, stale DESC, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_live
  FROM a WINDOW w AS (PARTITION BY ident ORDER BY ts, stale DESC, id)
),
c AS (
  SELECT *, sum(CASE WHEN NOT stale AND (prev_live IS NULL OR ts - prev_live > INTERVAL 5 MINUTE
                     OR (prev_stale AND NOT (prev_state = 'pending' AND state = 'firing'))) THEN 1 ELSE 0 END)
            OVER (PARTITION BY ident ORDER BY ts, stale DESC, id) AS grp
  FROM b
)
SELECT ident::JSON->>'alertname' AS alertname,
       CASE WHEN bool_or(state = 'firing' AND NOT stale) THEN 'firing' ELSE 'pending' END AS alertstate,
       ident::JSON->>'severity' AS severity,
       min(ts) FILTER (WHERE NOT stale) AS ts,
       min(ts) FILTER (WHERE state = 'firing' AND NOT stale) AS firing_from,
       max(ts) AS "until",
       arg_max(stale, ts) AS resolved,
       ident::JSON AS labels,
       'samples:' || min(id) FILTER (WHERE NOT stale) AS ref
FROM c WHERE grp > 0
GROUP BY ident, grp;
COMMENT ON VIEW alerts IS 'the ALERTS series as intervals: one row per time an alert was active (pending, maybe then firing); detected = the first firing_from';
COMMENT ON COLUMN alerts.alertname IS 'label alertname';
COMMENT ON COLUMN alerts.alertstate IS 'firing when the alert fired in the interval, else pending';
COMMENT ON COLUMN alerts.severity IS 'label severity';
COMMENT ON COLUMN alerts.ts IS 'first sample of the interval (pending or firing), UTC';
COMMENT ON COLUMN alerts.firing_from IS 'first firing sample (NULL when it never fired)';
COMMENT ON COLUMN alerts."until" IS 'last sample of the interval, or the staleness marker when it resolved';
COMMENT ON COLUMN alerts.resolved IS 'the interval ended with a staleness marker (resolved) rather than the end of the data';
COMMENT ON COLUMN alerts.labels IS 'the alert''s labels but alertstate (JSON)';
COMMENT ON COLUMN alerts.ref IS 'evidence ref samples:<id> of the first sample';

-- Prometheus in the super-timeline: counter resets (a restart of the
-- process behind the target, one event per target and time) and alerts
-- starting to fire.
CREATE OR REPLACE VIEW events_prom AS
SELECT ts, 'samples' AS source, 'counter_reset' AS kind, 'warning' AS severity,
       labels->>'job' AS service,
       'counter reset on ' || coalesce(labels->>'job', '?') || coalesce(' ' || (labels->>'instance'), '') ||
         ' (process restart?): ' || count(*) || ' counter(s), e.g. ' || min(metric) AS text,
       'samples:' || min(sample_id) AS ref
FROM counter_deltas WHERE reset
GROUP BY ts, labels->>'job', labels->>'instance'
UNION ALL
SELECT firing_from, 'samples', 'alert_firing',
       CASE lower(coalesce(severity, '')) WHEN 'critical' THEN 'critical' WHEN 'page' THEN 'critical' WHEN 'info' THEN 'info' WHEN 'none' THEN 'info' ELSE 'error' END,
       labels->>'job',
       'alert ' || alertname || ' firing' || coalesce(' (' || severity || ')', ''),
       ref
FROM alerts WHERE firing_from IS NOT NULL;
COMMENT ON VIEW events_prom IS 'Prometheus in events: counter_reset (counters of a target went down: its process restarted) and alert_firing (an ALERTS series starts firing)';
COMMENT ON COLUMN events_prom.ts IS 'UTC';
COMMENT ON COLUMN events_prom.source IS 'samples';
COMMENT ON COLUMN events_prom.kind IS 'counter_reset or alert_firing';
COMMENT ON COLUMN events_prom.severity IS 'warning for resets; from the alert''s severity label for alerts';
COMMENT ON COLUMN events_prom.service IS 'label job';
COMMENT ON COLUMN events_prom.text IS 'what happened';
COMMENT ON COLUMN events_prom.ref IS 'evidence ref samples:<id>';
