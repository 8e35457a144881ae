-- System response-time compliance (docs/METRICS.md, "System response-time
-- compliance"; cdr/systems.go, cdr/probes.go). Probes arrive as events of
-- their own sources through the spool like every intake, and InsertEvents
-- puts them here, not among the switches' events (the build job never
-- reads them). The systems job counts them per location and local day and
-- computes the figures per system and day or month, which every reader
-- takes from system_compliance.

-- probes: one row per timed action. A resent probe has the same id and
-- time, so it lands in the partition and sort position of its twin; the
-- job reads with FINAL. duration_us is 0 and ok 0 for an action that
-- failed without a duration; threshold_us is the probe's own threshold (0:
-- none, its class decides).
CREATE TABLE IF NOT EXISTS probes (
    switch       String,
    id           UInt64,
    time         DateTime,
    time_us      UInt32,
    system       String,
    location     String,
    action       String,
    class        String,
    duration_us  UInt64,
    threshold_us UInt64,
    ok           UInt8,
    probe_id     String,
    ingested_at  DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (system, time, id)
-- +statement
-- probe_touches: which systems got probes of which times when, by server
-- insert time, so the job finds what arrived since its watermark at a cost
-- that follows new probes (as event_touches does for calls).
CREATE TABLE IF NOT EXISTS probe_touches (
    ingested_at DateTime,
    system      String,
    time        DateTime
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (ingested_at, system)
-- +statement
CREATE MATERIALIZED VIEW IF NOT EXISTS probe_touches_mv TO probe_touches AS
SELECT ingested_at, system, time FROM probes
-- +statement
-- probe_months: a month's compliance per system and location from a tool
-- that exports no single measurements (location '' for the system as a
-- whole). month is the month's label, its first day. compliance is the
-- percentage as canonical decimal text ('' where measured and within are
-- given). Of the rows of one system, location and month the one stored
-- last wins (cdr.LatestProbeMonths); a resent row has the same id. Not
-- partitioned by time: a summary kept like the rollups, and small.
CREATE TABLE IF NOT EXISTS probe_months (
    switch      String,
    id          UInt64,
    system      String,
    location    String,
    month       Date,
    compliance  String,
    measured    UInt64,
    within      UInt64,
    ingested_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
ORDER BY (system, month, location, id)
-- +statement
-- system_location_days: the systems job's counts of one system's probes at
-- one location in one local day (day_start: the UTC instant the day begins
-- in the system's zone), with the settings version they were judged with.
-- A recount replaces the row (a higher version); read with FINAL.
CREATE TABLE IF NOT EXISTS system_location_days (
    system           String,
    location         String,
    day_start        DateTime,
    measured         UInt64,
    within           UInt64,
    unjudged         UInt64,
    settings_version String,
    version          UInt64,
    rolled_at        DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day_start)
ORDER BY (system, day_start, location)
-- +statement
-- system_compliance: one row per system and day or month with
-- measurements (cdr.SystemRow); a period without has no row, and one whose
-- measurements could none be judged has locations 0 (both N/A). compliance is
-- the mean of the locations' shares (a fraction), compliance_bp the same
-- rounded half up to hundredths of a percent, the value shown and compared
-- with agreed_level_bp (0: no level), met NULL without a level. pooled is
-- the alternative figure, within / measured over all locations (NULL where
-- a location gave a share only). period_start_local is the start as local
-- ISO 8601 with its offset, computed in Go (18.16 takes no per-row zone).
-- A recount replaces the row (a higher version); read with FINAL.
CREATE TABLE IF NOT EXISTS system_compliance (
    system             String,
    display            String,
    period             String,
    period_start       DateTime,
    period_start_local String,
    tz                 String,
    locations          UInt32,
    imported           UInt32,
    measured           UInt64,
    within             UInt64,
    unjudged           UInt64,
    compliance         Float64,
    compliance_bp      UInt32,
    pooled             Nullable(Float64),
    agreed_level_bp    UInt32,
    met                Nullable(UInt8),
    settings_version   String,
    version            UInt64,
    rolled_at          DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
ORDER BY (system, period, period_start)
-- +statement
-- Views for BI tools, with the names of METRICS.md ("System response-time
-- compliance"): one row per system and month (or day) with a figure; a
-- period without one has no row (N/A). Shares are fractions:
-- compliance is the value shown (two decimals of a percent) and the one
-- met compares with agreed_level; compliance_unrounded is the mean itself.
CREATE VIEW IF NOT EXISTS system_month AS
SELECT system, display AS name, period, period_start, period_start_local, tz AS zone,
    compliance_bp / 10000 AS compliance,
    compliance AS compliance_unrounded,
    if(agreed_level_bp = 0, NULL, agreed_level_bp / 10000) AS agreed_level,
    met, locations, imported AS imported_locations, measured, within, unjudged,
    pooled AS pooled_compliance, settings_version
FROM system_compliance FINAL
WHERE period = 'month' AND locations > 0
-- +statement
CREATE VIEW IF NOT EXISTS system_day AS
SELECT system, display AS name, period, period_start, period_start_local, tz AS zone,
    compliance_bp / 10000 AS compliance,
    compliance AS compliance_unrounded,
    if(agreed_level_bp = 0, NULL, agreed_level_bp / 10000) AS agreed_level,
    met, locations, imported AS imported_locations, measured, within, unjudged,
    pooled AS pooled_compliance, settings_version
FROM system_compliance FINAL
WHERE period = 'day' AND locations > 0
-- +statement
-- The report's reading per month ("8 of 12 systems meet their agreed
-- level"): month is the local month (YYYY-MM), systems those with a
-- figure, with_level those of them with an agreed level, met those that
-- meet it.
CREATE VIEW IF NOT EXISTS system_month_met AS
SELECT substring(period_start_local, 1, 7) AS month,
    count() AS systems,
    countIf(agreed_level_bp > 0) AS with_level,
    countIf(met = 1) AS met
FROM system_compliance FINAL
WHERE period = 'month' AND locations > 0
GROUP BY month
