-- rollup_day: the rollup rows of rollup_15m summed per local day, so that a
-- report or a view of days, months, quarters or years reads one row per
-- switch, queue, day and in_hours instead of up to 96 (a report of 12
-- months of one queue read ~35 k rows of rollup_15m FINAL, 1.6-2.1 s for ten
-- queues; docs/BENCHMARKS.md, "Rollups and reports").
--
-- It is kept exact by the store, never by hand: every write of rollup_15m
-- rows (Store.WriteRollups) then recomputes, from rollup_15m FINAL, every
-- day that the written buckets belong to in any stored version (a change of
-- the queue's zone moves a bucket to another day), and writes those days'
-- rows again under the same version, a row of zeros with buckets = 0 for a
-- day left without buckets. So a day row is replaced, never added to, by
-- the same rule as the 15-minute rows, and two concurrent rollup runs end as
-- theirs do (aggregate.Roller). Readers use FINAL; the key never moves to
-- another partition.
--
-- first_bucket and last_bucket are the first and last 15-minute bucket the
-- row sums and buckets how many rows of rollup_15m it sums: a reader uses a
-- day row only where all of its buckets lie in the range asked for, and
-- reads the days cut by the range's ends from rollup_15m. counted_version
-- is the highest rollup_15m version of the day, settings_version and the
-- thresholds those of that row (the row counted last), settings_versions
-- every settings version of the day's rows, sorted.
--
-- index_granularity 128: a monthly partition holds ~30 rows per switch,
-- queue and in_hours, so a report of one queue reads its own rows, not
-- those of its neighbours in a granule.
--
-- Rows before this migration: Store.Migrate fills the table from
-- rollup_15m once, and records that in job_state (job 'rollup_day'); until
-- then readers keep to rollup_15m.
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
