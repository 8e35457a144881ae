-- Rollups: the additive counts of METRICS.md per switch, queue, 15-minute
-- bucket (of enter_time, UTC) and in_hours, with the local period keys of
-- the bucket in the queue's zone computed in Go (18.16 takes only constant
-- zones, CLICKHOUSE.md) and the settings the counts were made with.
-- The rollup job recomputes a bucket from the deduplicated queue calls and
-- writes its rows again with a higher version (the in_hours rows with calls,
-- and zeros where a stored row had calls), so a row is replaced, never added
-- to; readers use FINAL (the views of 0003 do).
-- dispositions and resolved_first_contact stay 0 until dispositions are
-- stored (a later issue); the columns exist so the views and reports keep
-- their shape. The sort key starts with queue: reports and views ask for one
-- queue over all switches, and 18.16 uses the key only from its first column.
CREATE TABLE IF NOT EXISTS rollup_15m (
  switch String, queue String, bucket DateTime, in_hours UInt8,
  hour_start DateTime, day_start DateTime, month_start DateTime, quarter_start DateTime, year_start DateTime,
  tz String, version UInt64,
  offered UInt64, answered UInt64, abandoned UInt64, timeout UInt64, exit_key UInt64, exit_other UInt64, unknown UInt64,
  short_abandoned UInt64, answered_within_sla UInt64, abandoned_within_sla UInt64, transferred UInt64,
  wait_answered_s UInt64, wait_all_s UInt64, talk_s UInt64, max_wait_s UInt64,
  wait_hist_keys Array(UInt32), wait_hist_counts Array(UInt64),
  dispositions UInt64, resolved_first_contact UInt64,
  sla_s UInt32, short_abandon_s UInt32, sla_formula String, sla_target Float64, fcr_target Float64,
  rolled_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(bucket) ORDER BY (queue, switch, bucket, in_hours)
SETTINGS index_granularity = 1024
-- +statement
-- call_touches: which buckets got a new queue-call row when, by server
-- insert time (built_at, the DEFAULT of queue_calls, filled before the view
-- sees the block: verified on 18.16.1 by TestCallTouchesFilled). The rollup
-- job reads the rows built since its watermark and recomputes the buckets of
-- their enter_time and prev_enter_time, so its cost follows new calls, not
-- history. Rows are small and partitioned by day for retention.
CREATE TABLE IF NOT EXISTS call_touches (
    built_at        DateTime,
    switch          String,
    queue           String,
    enter_time      DateTime,
    prev_enter_time DateTime
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(built_at)
ORDER BY (built_at, switch, queue)
-- +statement
CREATE MATERIALIZED VIEW IF NOT EXISTS call_touches_mv TO call_touches AS
SELECT built_at, switch, queue, enter_time, prev_enter_time FROM queue_calls
