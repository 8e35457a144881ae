-- queue_settings: every application of the queue settings (the YAML of the
-- queue file), the one truth of settings for every process and node: serve,
-- rollup, rebuild, ingest, report and the read API read the current
-- version from here (`acdstat settings apply FILE` writes it), so that no
-- two processes count with different settings.
--
-- version is cdr.SettingsVersionOf(yaml), a hash of the text: the same file
-- applied twice, or by two nodes at once, is one version. The current
-- version is the row with the highest applied_ns; applying a text that is
-- not current adds a row (an older text applied again becomes current
-- again), and applied_ns is above the current row's, so a node whose clock
-- lags still makes its version current. Rows are never replaced: the table
-- is the history of applications, and a handful of rows a year.
CREATE TABLE IF NOT EXISTS queue_settings (
    version    String,
    yaml       String,
    applied_at DateTime,
    applied_ns UInt64,
    applied_by String
) ENGINE = MergeTree
ORDER BY (applied_ns, version)
-- +statement
-- The settings version a rollup row was counted with (METRICS.md: the
-- counts are made with the settings in force when the rollup ran, stored
-- beside them), so that reports and views say what was used and mark a
-- period counted with settings other than the current ones. Rows written
-- before this migration read 'unrecorded' (also those an older acdstat
-- still inserts during an upgrade); `acdstat rebuild --from D --to D`
-- counts them again with the current settings and records their version.
ALTER TABLE rollup_15m ADD COLUMN settings_version String DEFAULT 'unrecorded'
