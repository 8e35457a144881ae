-- The UTC offset, in seconds east, of the queue's zone at each period start
-- of a rollup row (cdr.PeriodKeys: the offset in force at that start), so
-- that the views can give every period start as local time with its offset
-- (METRICS.md, "The report row"): 18.16 takes no per-row zone in date
-- functions (CLICKHOUSE.md), so the offsets are computed in Go where the
-- keys are, and stored beside them.
--
-- Rows written before this migration have no offsets, and the views give
-- period_start_local NULL where an offset is NULL. The DEFAULTs below are
-- what such rows read: NULL for 15m and hour starts (nothing in a row says
-- which offset a quarter hour had); for day, month, quarter and year, which
-- begin at local midnight, the offset is minus the start's UTC time of day
-- modulo a day, taken west (up to UTC-10) or east (above UTC+12), and UTC+12
-- for a start at 12:00 UTC (UTC-12 is inhabited by no one), but NULL for a
-- start from 10:00 to 12:00 UTC, which could be either of two offsets a day
-- apart (UTC-10 or UTC+14, UTC-11 or UTC+13, and the half hours between:
-- 0003 took the eastern one and got Honolulu wrong). A day that does not
-- begin at midnight (a daylight-saving change at midnight, as in
-- America/Santiago) is guessed wrong, as in 0003. The same DEFAULTs fill
-- the rows an older acdstat still inserts during an upgrade.
--
-- After this migration an operator runs
--     acdstat rebuild --from FIRST --to LAST
-- over the range of stored rollups (local dates, --to excluded): it writes
-- every rollup row of the range again, with its offsets. Periods older than
-- the raw-event retention (ACDSTAT_RETENTION_EVENTS) cannot be rebuilt and
-- keep the DEFAULTs.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS (current releases do): the migrator
-- treats "column already exists" (code 44) of an ALTER … ADD COLUMN as done,
-- so each column has its own statement and a file cut half-way runs again.
ALTER TABLE rollup_15m ADD COLUMN bucket_offset_s Nullable(Int32) DEFAULT NULL
-- +statement
ALTER TABLE rollup_15m ADD COLUMN hour_offset_s Nullable(Int32) DEFAULT NULL
-- +statement
ALTER TABLE rollup_15m ADD COLUMN day_offset_s Nullable(Int32) DEFAULT
    if(toUInt32(day_start) % 86400 >= 43200 OR toUInt32(day_start) % 86400 = 0, toInt32((86400 - toUInt32(day_start) % 86400) % 86400),
        if(toUInt32(day_start) % 86400 < 36000, -toInt32(toUInt32(day_start) % 86400), NULL))
-- +statement
ALTER TABLE rollup_15m ADD COLUMN month_offset_s Nullable(Int32) DEFAULT
    if(toUInt32(month_start) % 86400 >= 43200 OR toUInt32(month_start) % 86400 = 0, toInt32((86400 - toUInt32(month_start) % 86400) % 86400),
        if(toUInt32(month_start) % 86400 < 36000, -toInt32(toUInt32(month_start) % 86400), NULL))
-- +statement
ALTER TABLE rollup_15m ADD COLUMN quarter_offset_s Nullable(Int32) DEFAULT
    if(toUInt32(quarter_start) % 86400 >= 43200 OR toUInt32(quarter_start) % 86400 = 0, toInt32((86400 - toUInt32(quarter_start) % 86400) % 86400),
        if(toUInt32(quarter_start) % 86400 < 36000, -toInt32(toUInt32(quarter_start) % 86400), NULL))
-- +statement
ALTER TABLE rollup_15m ADD COLUMN year_offset_s Nullable(Int32) DEFAULT
    if(toUInt32(year_start) % 86400 >= 43200 OR toUInt32(year_start) % 86400 = 0, toInt32((86400 - toUInt32(year_start) % 86400) % 86400),
        if(toUInt32(year_start) % 86400 < 36000, -toInt32(toUInt32(year_start) % 86400), NULL))
