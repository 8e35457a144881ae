-- The waits of the answered and of the abandoned calls apart, per rollup
-- row (cdr.Counts.AnsweredWaits, AbandonedWaits), so that the figures at
-- any threshold (METRICS.md, "Any threshold": answered and abandoned within
-- T, service level at T) are summed for any period without a rebuild: the
-- wait distribution of 0002 holds every outcome together, and from it they
-- cannot be told apart. Keys are the waits themselves, to the second at
-- every length (0002's coarse steps above 30 minutes would make a threshold
-- there inexact), values the number of calls; sparse and sorted by key.
--
-- waits_by_outcome is 1 on the rows the rollup job writes from now on. Rows
-- written before this migration, and those an older acdstat still inserts
-- during an upgrade, read 0 and empty distributions: their calls' waits per
-- outcome are unknown, and a period that sums such a row with offered calls
-- gives no threshold figures (null) rather than figures that leave those
-- calls out. `acdstat rebuild --from FIRST --to LAST` over the stored range
-- writes every row again with the distributions (METRICS.md, upgrade notes).
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS (current releases do): the migrator
-- treats "column already exists" (code 44) of an ALTER … ADD COLUMN as done,
-- so each column has its own statement and a file cut half-way runs again.
ALTER TABLE rollup_15m ADD COLUMN answered_wait_keys Array(UInt32)
-- +statement
ALTER TABLE rollup_15m ADD COLUMN answered_wait_counts Array(UInt64)
-- +statement
ALTER TABLE rollup_15m ADD COLUMN abandoned_wait_keys Array(UInt32)
-- +statement
ALTER TABLE rollup_15m ADD COLUMN abandoned_wait_counts Array(UInt64)
-- +statement
ALTER TABLE rollup_15m ADD COLUMN waits_by_outcome UInt8 DEFAULT 0
