-- The IVR funnel (cdr/funnel.go): one row per call to an entry number, with
-- what became of it (outcome 'queue' with the first of the entry's queues it
-- reached, 'menu': hung up in the menu, 'other': went elsewhere) and the
-- local period keys of its start in the entry's zone, computed in Go. The
-- funnel job rewrites the rows of the calls that got events or queue stays
-- with a higher version, so a call is replaced, never added twice (also when
-- it moves to another entry: the entry is not part of the key); the sort
-- key is the call's identity (a call's start, hence its bucket, can move
-- when an earlier leg arrives late), so the table is not partitioned by
-- time: a call's rows must meet in one partition to replace each other.
-- Readers use FINAL (the views below do).
CREATE TABLE IF NOT EXISTS funnel_calls (
  entry String, switch String, call_id String,
  start DateTime, bucket DateTime, day_start DateTime, month_start DateTime, tz String,
  outcome String, queue String,
  version UInt64, rolled_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version) ORDER BY (switch, call_id)
SETTINGS index_granularity = 1024
-- +statement
-- Views for BI tools: per entry, switch and local day or month (period_start
-- is the UTC instant the local period begins), entered = reached_queue +
-- hung_up_in_menu + other; the per-queue split of reached_queue is in
-- ivr_funnel_queue_day / _month, one row per queue (the first of the entry's
-- queues each call reached). Only periods with calls appear.
CREATE VIEW IF NOT EXISTS ivr_funnel_day AS
SELECT entry, switch, 'day' AS period, day_start AS period_start,
    count() AS entered,
    countIf(outcome = 'queue') AS reached_queue,
    countIf(outcome = 'menu') AS hung_up_in_menu,
    countIf(outcome = 'other') AS other
FROM funnel_calls FINAL
GROUP BY entry, switch, day_start
-- +statement
CREATE VIEW IF NOT EXISTS ivr_funnel_month AS
SELECT entry, switch, 'month' AS period, month_start AS period_start,
    count() AS entered,
    countIf(outcome = 'queue') AS reached_queue,
    countIf(outcome = 'menu') AS hung_up_in_menu,
    countIf(outcome = 'other') AS other
FROM funnel_calls FINAL
GROUP BY entry, switch, month_start
-- +statement
CREATE VIEW IF NOT EXISTS ivr_funnel_queue_day AS
SELECT entry, switch, 'day' AS period, day_start AS period_start, queue, count() AS reached
FROM funnel_calls FINAL
WHERE outcome = 'queue'
GROUP BY entry, switch, day_start, queue
-- +statement
CREATE VIEW IF NOT EXISTS ivr_funnel_queue_month AS
SELECT entry, switch, 'month' AS period, month_start AS period_start, queue, count() AS reached
FROM funnel_calls FINAL
WHERE outcome = 'queue'
GROUP BY entry, switch, month_start, queue
