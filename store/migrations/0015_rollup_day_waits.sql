-- The waits per outcome of migration 0014 in rollup_day (0016) too, so
-- that a period of days read from the day rows gives the figures at any
-- threshold (METRICS.md, "Any threshold") as one read of rollup_15m does:
-- answered_wait_* and abandoned_wait_* are the sums of those of the day's
-- 15-minute rows, unsplit_offered the offered calls of the day's rows
-- written before 0014 (waits_by_outcome 0), whose waits per outcome are
-- unknown. Store.WriteRollups writes them with every day it counts again.
--
-- Day rows written before this migration read unsplit_offered = offered
-- (its DEFAULT): their threshold figures are unknown, never wrong, until
-- a rollup or `acdstat rebuild` writes their days again.
--
-- Numbered before 0016, which creates rollup_day (0014-0015 is this
-- change's range): on a fresh database this file runs first, so it creates
-- the table exactly as 0016 does (0016's CREATE ... IF NOT EXISTS then
-- leaves it) and adds the columns; where 0016 ran already, the CREATE
-- leaves the table and the columns are added. 18.16 has no ADD COLUMN IF
-- NOT EXISTS: the migrator takes "column already exists" (code 44) as done.
CREATE TABLE IF NOT EXISTS rollup_day (
  switch String, queue String, day_start DateTime, in_hours UInt8,
  month_start DateTime, quarter_start DateTime, year_start DateTime, tz String,
  day_offset_s Nullable(Int32), month_offset_s Nullable(Int32), quarter_offset_s Nullable(Int32), year_offset_s Nullable(Int32),
  version UInt64,
  first_bucket DateTime, last_bucket DateTime, buckets UInt32,
  offered UInt64, answered UInt64, abandoned UInt64, timeout UInt64, exit_key UInt64, exit_other UInt64, unknown UInt64,
  short_abandoned UInt64, answered_within_sla UInt64, abandoned_within_sla UInt64, transferred UInt64,
  wait_answered_s UInt64, wait_all_s UInt64, talk_s UInt64, max_wait_s UInt64,
  wait_hist_keys Array(UInt32), wait_hist_counts Array(UInt64),
  dispositions UInt64, resolved_first_contact UInt64,
  settings_versions Array(String), counted_version UInt64, settings_version String,
  sla_s UInt32, short_abandon_s UInt32, sla_formula String, sla_target Float64, fcr_target Float64,
  rolled_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(day_start) ORDER BY (queue, switch, day_start, in_hours)
SETTINGS index_granularity = 128
-- +statement
ALTER TABLE rollup_day ADD COLUMN answered_wait_keys Array(UInt32)
-- +statement
ALTER TABLE rollup_day ADD COLUMN answered_wait_counts Array(UInt64)
-- +statement
ALTER TABLE rollup_day ADD COLUMN abandoned_wait_keys Array(UInt32)
-- +statement
ALTER TABLE rollup_day ADD COLUMN abandoned_wait_counts Array(UInt64)
-- +statement
ALTER TABLE rollup_day ADD COLUMN unsplit_offered UInt64 DEFAULT offered

