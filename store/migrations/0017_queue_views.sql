-- Generated from store/views.sql.tmpl by
--     go test ./store -run TestViewsMigrationIsCurrent -update
-- Do not edit: change the template and run that, which writes the views
-- again as a new migration (applied migrations are never edited).
--
-- Views for BI tools, with the names of METRICS.md ("The report row"): one
-- row per switch, queue, period start and hours ('all': every queue call;
-- 'in': those that joined while the queue was open), plus a row with switch
-- '*' summed over all switches (so filter on switch: summing every row of a
-- view counts each call twice). Only periods with rollup rows appear.
--
-- period_start is the UTC instant the local period begins (a DateTime:
-- Grafana's time filter needs it, and BI tools show it in their own zone).
-- period_start_local is that instant as local time with the zone's offset
-- then (ISO 8601), in every view: on the autumn day in Copenhagen the hour
-- view has 25 rows, two of them 2025-10-26T02:00:00+02:00 and, an hour
-- later, 2025-10-26T02:00:00+01:00. It is made from the offsets the rollup
-- job stores with each row (0006: 18.16 takes no per-row zone in date
-- functions) and is NULL where a row written before 0006 has none (0006
-- says what to run). Hours and days are those of cdr.Keys: a day that a
-- daylight-saving change cuts at midnight, and an hour that a half-hour
-- change cuts (Lord Howe), begin at the change.
--
-- Ratios are computed from summed counts with the sla_formula the period was
-- counted with and are NULL where the denominator is 0; p50/p90/p95 are
-- nearest-rank over the summed wait histogram. Reading rollup_15m FINAL keeps the newest version of
-- every row. The views of days, months, quarters and years read the day sums
-- of rollup_day (0016) instead, FINAL, the days with buckets: the same sums
-- from ~1/50 of the rows, so that a query of one queue-month reads one row
-- per switch, day and in_hours of the history, not one per 15 minutes
-- (18.16 does not push a WHERE on a view into its GROUP BY, so every
-- query of a view reads all of its source). Every row feeds both the 'all' and the 'in' keys, the 'in' one
-- only with its counts when in_hours = 1: the rollup job writes no empty
-- in_hours row for a bucket that never had calls, and a period with calls
-- only outside opening hours still has its 'in' row (of zeros).
--
-- The settings (0008): settings_version is the version of the queue settings
-- the period's rows were counted with; where they were counted with several,
-- the versions sorted and joined with ',' ('unrecorded' for rows counted
-- before 0008); NULL for an 'in' row without in-hours rows. sla_formula,
-- sla_s, short_abandon_s, sla_target and fcr_target are those of the row
-- counted last (the highest rollup version) of the rows the figures sum, so
-- the thresholds shown are those used, not today's. settings_current is 1
-- where every such row was counted with the current version (the newest of
-- queue_settings; the built-in defaults' before any was applied), 0 where a
-- period was counted with other settings (`acdstat rebuild` counts it
-- again), and 1 for a row that sums no row.
--
-- The histogram's keys and counts get aliases of their own: 18.16 saves
-- (t.1)[i] as t.1[i], which it cannot parse when it starts again
-- (store/reattach_test.go checks every saved definition).
--
-- Each view is dropped and created again (18.16 has no DROP VIEW: DROP TABLE
-- drops a view), so a file cut half-way runs again from its start; between
-- the two statements the view is missing for a moment.
DROP TABLE IF EXISTS queue_15m
-- +statement
CREATE VIEW IF NOT EXISTS queue_15m AS
SELECT
    v_switch AS switch,
    v_queue AS queue,
    '15m' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_hours AS hours,
    v_offered AS offered,
    v_answered AS answered,
    v_abandoned AS abandoned,
    v_short_abandoned AS short_abandoned,
    v_timeout AS timeout,
    v_exit_key AS exit_key,
    v_exit_other AS exit_other,
    v_unknown AS unknown,
    v_answered_within_sla AS answered_within_sla,
    v_abandoned_within_sla AS abandoned_within_sla,
    v_transferred AS transferred,
    multiIf(
        v_sla_formula = 'offered_excl_short', if(v_offered <= v_short_abandoned, NULL, v_answered_within_sla / (v_offered - v_short_abandoned)),
        v_sla_formula = 'offered', if(v_offered = 0, NULL, v_answered_within_sla / v_offered),
        v_sla_formula = 'answered', if(v_answered = 0, NULL, v_answered_within_sla / v_answered),
        v_sla_formula = 'answered_abandoned', if(v_answered + v_abandoned = 0, NULL, v_answered_within_sla / (v_answered + v_abandoned)),
        v_sla_formula = 'abandoned_after', if(v_answered + v_abandoned <= v_abandoned_within_sla, NULL, v_answered_within_sla / (v_answered + v_abandoned - v_abandoned_within_sla)),
        v_sla_formula = 'positive', if(v_answered + v_abandoned = 0, NULL, (v_answered_within_sla + v_abandoned_within_sla) / (v_answered + v_abandoned)),
        NULL) AS service_level,
    v_sla_formula AS sla_formula,
    v_sla_s AS sla_s,
    v_short_abandon_s AS short_abandon_s,
    v_sla_target AS sla_target,
    service_level >= v_sla_target AS sla_met,
    if(v_answered = 0, NULL, v_wait_answered_s / v_answered) AS asa_s,
    if(v_offered = 0, NULL, v_wait_all_s / v_offered) AS avg_wait_s,
    v_max_wait_s AS max_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 50 + 99, 100), arrayCumSum(v_hist_counts))))) AS p50_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 90 + 99, 100), arrayCumSum(v_hist_counts))))) AS p90_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 95 + 99, 100), arrayCumSum(v_hist_counts))))) AS p95_wait_s,
    if(v_offered = 0, NULL, v_abandoned / v_offered) AS abandon_rate,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_dispositions AS dispositions,
    if(v_dispositions = 0, NULL, v_resolved_first_contact / v_dispositions) AS fcr_rate,
    v_fcr_target AS fcr_target,
    fcr_rate >= v_fcr_target AS fcr_met,
    v_resolved_first_contact AS resolved_first_contact,
    v_wait_answered_s AS wait_answered_s,
    v_wait_all_s AS wait_all_s,
    v_talk_s AS talk_s,
    if(empty(v_versions), NULL, arrayStringConcat(arraySort(v_versions), ',')) AS settings_version,
    ifNull(settings_version = (SELECT if(count() = 0, 'e3b0c44298fc', argMax(version, applied_ns)) FROM queue_settings), 1) AS settings_current
FROM (
    SELECT
        tupleElement(r_key, 1) AS v_switch,
        queue AS v_queue,
        bucket AS v_period_start,
        tupleElement(r_key, 2) AS v_hours,
        sumIf(offered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_offered,
        sumIf(answered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered,
        sumIf(abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned,
        sumIf(short_abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_short_abandoned,
        sumIf(timeout, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_timeout,
        sumIf(exit_key, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_key,
        sumIf(exit_other, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_other,
        sumIf(unknown, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_unknown,
        sumIf(answered_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered_within_sla,
        sumIf(abandoned_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned_within_sla,
        sumIf(transferred, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_transferred,
        sumIf(wait_answered_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_answered_s,
        sumIf(wait_all_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_all_s,
        sumIf(talk_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_talk_s,
        maxIf(max_wait_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_max_wait_s,
        sumMap(if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_keys, emptyArrayUInt32()), if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_counts, emptyArrayUInt64())) AS v_hist,
        arraySum(tupleElement(v_hist, 2)) AS v_n,
        tupleElement(v_hist, 1) AS v_hist_keys,
        tupleElement(v_hist, 2) AS v_hist_counts,
        sumIf(dispositions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_dispositions,
        sumIf(resolved_first_contact, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_resolved_first_contact,
        groupUniqArrayIf(settings_version, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_versions,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_formula, version), argMaxIf(sla_formula, version, in_hours = 1)) AS v_sla_formula,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_s, version), argMaxIf(sla_s, version, in_hours = 1)) AS v_sla_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(short_abandon_s, version), argMaxIf(short_abandon_s, version, in_hours = 1)) AS v_short_abandon_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_target, version), argMaxIf(sla_target, version, in_hours = 1)) AS v_sla_target,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(fcr_target, version), argMaxIf(fcr_target, version, in_hours = 1)) AS v_fcr_target,
        any(bucket_offset_s) AS v_off
    FROM rollup_15m FINAL
    ARRAY JOIN [(switch, 'all'), (switch, 'in'), ('*', 'all'), ('*', 'in')] AS r_key
    GROUP BY v_switch, queue, bucket, v_hours
)
-- +statement
DROP TABLE IF EXISTS queue_hour
-- +statement
CREATE VIEW IF NOT EXISTS queue_hour AS
SELECT
    v_switch AS switch,
    v_queue AS queue,
    'hour' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_hours AS hours,
    v_offered AS offered,
    v_answered AS answered,
    v_abandoned AS abandoned,
    v_short_abandoned AS short_abandoned,
    v_timeout AS timeout,
    v_exit_key AS exit_key,
    v_exit_other AS exit_other,
    v_unknown AS unknown,
    v_answered_within_sla AS answered_within_sla,
    v_abandoned_within_sla AS abandoned_within_sla,
    v_transferred AS transferred,
    multiIf(
        v_sla_formula = 'offered_excl_short', if(v_offered <= v_short_abandoned, NULL, v_answered_within_sla / (v_offered - v_short_abandoned)),
        v_sla_formula = 'offered', if(v_offered = 0, NULL, v_answered_within_sla / v_offered),
        v_sla_formula = 'answered', if(v_answered = 0, NULL, v_answered_within_sla / v_answered),
        v_sla_formula = 'answered_abandoned', if(v_answered + v_abandoned = 0, NULL, v_answered_within_sla / (v_answered + v_abandoned)),
        v_sla_formula = 'abandoned_after', if(v_answered + v_abandoned <= v_abandoned_within_sla, NULL, v_answered_within_sla / (v_answered + v_abandoned - v_abandoned_within_sla)),
        v_sla_formula = 'positive', if(v_answered + v_abandoned = 0, NULL, (v_answered_within_sla + v_abandoned_within_sla) / (v_answered + v_abandoned)),
        NULL) AS service_level,
    v_sla_formula AS sla_formula,
    v_sla_s AS sla_s,
    v_short_abandon_s AS short_abandon_s,
    v_sla_target AS sla_target,
    service_level >= v_sla_target AS sla_met,
    if(v_answered = 0, NULL, v_wait_answered_s / v_answered) AS asa_s,
    if(v_offered = 0, NULL, v_wait_all_s / v_offered) AS avg_wait_s,
    v_max_wait_s AS max_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 50 + 99, 100), arrayCumSum(v_hist_counts))))) AS p50_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 90 + 99, 100), arrayCumSum(v_hist_counts))))) AS p90_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 95 + 99, 100), arrayCumSum(v_hist_counts))))) AS p95_wait_s,
    if(v_offered = 0, NULL, v_abandoned / v_offered) AS abandon_rate,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_dispositions AS dispositions,
    if(v_dispositions = 0, NULL, v_resolved_first_contact / v_dispositions) AS fcr_rate,
    v_fcr_target AS fcr_target,
    fcr_rate >= v_fcr_target AS fcr_met,
    v_resolved_first_contact AS resolved_first_contact,
    v_wait_answered_s AS wait_answered_s,
    v_wait_all_s AS wait_all_s,
    v_talk_s AS talk_s,
    if(empty(v_versions), NULL, arrayStringConcat(arraySort(v_versions), ',')) AS settings_version,
    ifNull(settings_version = (SELECT if(count() = 0, 'e3b0c44298fc', argMax(version, applied_ns)) FROM queue_settings), 1) AS settings_current
FROM (
    SELECT
        tupleElement(r_key, 1) AS v_switch,
        queue AS v_queue,
        hour_start AS v_period_start,
        tupleElement(r_key, 2) AS v_hours,
        sumIf(offered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_offered,
        sumIf(answered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered,
        sumIf(abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned,
        sumIf(short_abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_short_abandoned,
        sumIf(timeout, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_timeout,
        sumIf(exit_key, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_key,
        sumIf(exit_other, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_other,
        sumIf(unknown, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_unknown,
        sumIf(answered_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered_within_sla,
        sumIf(abandoned_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned_within_sla,
        sumIf(transferred, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_transferred,
        sumIf(wait_answered_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_answered_s,
        sumIf(wait_all_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_all_s,
        sumIf(talk_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_talk_s,
        maxIf(max_wait_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_max_wait_s,
        sumMap(if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_keys, emptyArrayUInt32()), if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_counts, emptyArrayUInt64())) AS v_hist,
        arraySum(tupleElement(v_hist, 2)) AS v_n,
        tupleElement(v_hist, 1) AS v_hist_keys,
        tupleElement(v_hist, 2) AS v_hist_counts,
        sumIf(dispositions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_dispositions,
        sumIf(resolved_first_contact, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_resolved_first_contact,
        groupUniqArrayIf(settings_version, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_versions,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_formula, version), argMaxIf(sla_formula, version, in_hours = 1)) AS v_sla_formula,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_s, version), argMaxIf(sla_s, version, in_hours = 1)) AS v_sla_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(short_abandon_s, version), argMaxIf(short_abandon_s, version, in_hours = 1)) AS v_short_abandon_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_target, version), argMaxIf(sla_target, version, in_hours = 1)) AS v_sla_target,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(fcr_target, version), argMaxIf(fcr_target, version, in_hours = 1)) AS v_fcr_target,
        any(hour_offset_s) AS v_off
    FROM rollup_15m FINAL
    ARRAY JOIN [(switch, 'all'), (switch, 'in'), ('*', 'all'), ('*', 'in')] AS r_key
    GROUP BY v_switch, queue, hour_start, v_hours
)
-- +statement
DROP TABLE IF EXISTS queue_day
-- +statement
CREATE VIEW IF NOT EXISTS queue_day AS
SELECT
    v_switch AS switch,
    v_queue AS queue,
    'day' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_hours AS hours,
    v_offered AS offered,
    v_answered AS answered,
    v_abandoned AS abandoned,
    v_short_abandoned AS short_abandoned,
    v_timeout AS timeout,
    v_exit_key AS exit_key,
    v_exit_other AS exit_other,
    v_unknown AS unknown,
    v_answered_within_sla AS answered_within_sla,
    v_abandoned_within_sla AS abandoned_within_sla,
    v_transferred AS transferred,
    multiIf(
        v_sla_formula = 'offered_excl_short', if(v_offered <= v_short_abandoned, NULL, v_answered_within_sla / (v_offered - v_short_abandoned)),
        v_sla_formula = 'offered', if(v_offered = 0, NULL, v_answered_within_sla / v_offered),
        v_sla_formula = 'answered', if(v_answered = 0, NULL, v_answered_within_sla / v_answered),
        v_sla_formula = 'answered_abandoned', if(v_answered + v_abandoned = 0, NULL, v_answered_within_sla / (v_answered + v_abandoned)),
        v_sla_formula = 'abandoned_after', if(v_answered + v_abandoned <= v_abandoned_within_sla, NULL, v_answered_within_sla / (v_answered + v_abandoned - v_abandoned_within_sla)),
        v_sla_formula = 'positive', if(v_answered + v_abandoned = 0, NULL, (v_answered_within_sla + v_abandoned_within_sla) / (v_answered + v_abandoned)),
        NULL) AS service_level,
    v_sla_formula AS sla_formula,
    v_sla_s AS sla_s,
    v_short_abandon_s AS short_abandon_s,
    v_sla_target AS sla_target,
    service_level >= v_sla_target AS sla_met,
    if(v_answered = 0, NULL, v_wait_answered_s / v_answered) AS asa_s,
    if(v_offered = 0, NULL, v_wait_all_s / v_offered) AS avg_wait_s,
    v_max_wait_s AS max_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 50 + 99, 100), arrayCumSum(v_hist_counts))))) AS p50_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 90 + 99, 100), arrayCumSum(v_hist_counts))))) AS p90_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 95 + 99, 100), arrayCumSum(v_hist_counts))))) AS p95_wait_s,
    if(v_offered = 0, NULL, v_abandoned / v_offered) AS abandon_rate,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_dispositions AS dispositions,
    if(v_dispositions = 0, NULL, v_resolved_first_contact / v_dispositions) AS fcr_rate,
    v_fcr_target AS fcr_target,
    fcr_rate >= v_fcr_target AS fcr_met,
    v_resolved_first_contact AS resolved_first_contact,
    v_wait_answered_s AS wait_answered_s,
    v_wait_all_s AS wait_all_s,
    v_talk_s AS talk_s,
    if(empty(v_versions), NULL, arrayStringConcat(arraySort(v_versions), ',')) AS settings_version,
    ifNull(settings_version = (SELECT if(count() = 0, 'e3b0c44298fc', argMax(version, applied_ns)) FROM queue_settings), 1) AS settings_current
FROM (
    SELECT
        tupleElement(r_key, 1) AS v_switch,
        queue AS v_queue,
        day_start AS v_period_start,
        tupleElement(r_key, 2) AS v_hours,
        sumIf(offered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_offered,
        sumIf(answered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered,
        sumIf(abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned,
        sumIf(short_abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_short_abandoned,
        sumIf(timeout, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_timeout,
        sumIf(exit_key, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_key,
        sumIf(exit_other, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_other,
        sumIf(unknown, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_unknown,
        sumIf(answered_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered_within_sla,
        sumIf(abandoned_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned_within_sla,
        sumIf(transferred, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_transferred,
        sumIf(wait_answered_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_answered_s,
        sumIf(wait_all_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_all_s,
        sumIf(talk_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_talk_s,
        maxIf(max_wait_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_max_wait_s,
        sumMap(if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_keys, emptyArrayUInt32()), if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_counts, emptyArrayUInt64())) AS v_hist,
        arraySum(tupleElement(v_hist, 2)) AS v_n,
        tupleElement(v_hist, 1) AS v_hist_keys,
        tupleElement(v_hist, 2) AS v_hist_counts,
        sumIf(dispositions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_dispositions,
        sumIf(resolved_first_contact, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_resolved_first_contact,
        groupUniqArrayArrayIf(settings_versions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_versions,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_formula, counted_version), argMaxIf(sla_formula, counted_version, in_hours = 1)) AS v_sla_formula,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_s, counted_version), argMaxIf(sla_s, counted_version, in_hours = 1)) AS v_sla_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(short_abandon_s, counted_version), argMaxIf(short_abandon_s, counted_version, in_hours = 1)) AS v_short_abandon_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_target, counted_version), argMaxIf(sla_target, counted_version, in_hours = 1)) AS v_sla_target,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(fcr_target, counted_version), argMaxIf(fcr_target, counted_version, in_hours = 1)) AS v_fcr_target,
        any(day_offset_s) AS v_off
    FROM rollup_day FINAL
    ARRAY JOIN [(switch, 'all'), (switch, 'in'), ('*', 'all'), ('*', 'in')] AS r_key
    WHERE buckets > 0
    GROUP BY v_switch, queue, day_start, v_hours
)
-- +statement
DROP TABLE IF EXISTS queue_month
-- +statement
CREATE VIEW IF NOT EXISTS queue_month AS
SELECT
    v_switch AS switch,
    v_queue AS queue,
    'month' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_hours AS hours,
    v_offered AS offered,
    v_answered AS answered,
    v_abandoned AS abandoned,
    v_short_abandoned AS short_abandoned,
    v_timeout AS timeout,
    v_exit_key AS exit_key,
    v_exit_other AS exit_other,
    v_unknown AS unknown,
    v_answered_within_sla AS answered_within_sla,
    v_abandoned_within_sla AS abandoned_within_sla,
    v_transferred AS transferred,
    multiIf(
        v_sla_formula = 'offered_excl_short', if(v_offered <= v_short_abandoned, NULL, v_answered_within_sla / (v_offered - v_short_abandoned)),
        v_sla_formula = 'offered', if(v_offered = 0, NULL, v_answered_within_sla / v_offered),
        v_sla_formula = 'answered', if(v_answered = 0, NULL, v_answered_within_sla / v_answered),
        v_sla_formula = 'answered_abandoned', if(v_answered + v_abandoned = 0, NULL, v_answered_within_sla / (v_answered + v_abandoned)),
        v_sla_formula = 'abandoned_after', if(v_answered + v_abandoned <= v_abandoned_within_sla, NULL, v_answered_within_sla / (v_answered + v_abandoned - v_abandoned_within_sla)),
        v_sla_formula = 'positive', if(v_answered + v_abandoned = 0, NULL, (v_answered_within_sla + v_abandoned_within_sla) / (v_answered + v_abandoned)),
        NULL) AS service_level,
    v_sla_formula AS sla_formula,
    v_sla_s AS sla_s,
    v_short_abandon_s AS short_abandon_s,
    v_sla_target AS sla_target,
    service_level >= v_sla_target AS sla_met,
    if(v_answered = 0, NULL, v_wait_answered_s / v_answered) AS asa_s,
    if(v_offered = 0, NULL, v_wait_all_s / v_offered) AS avg_wait_s,
    v_max_wait_s AS max_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 50 + 99, 100), arrayCumSum(v_hist_counts))))) AS p50_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 90 + 99, 100), arrayCumSum(v_hist_counts))))) AS p90_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 95 + 99, 100), arrayCumSum(v_hist_counts))))) AS p95_wait_s,
    if(v_offered = 0, NULL, v_abandoned / v_offered) AS abandon_rate,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_dispositions AS dispositions,
    if(v_dispositions = 0, NULL, v_resolved_first_contact / v_dispositions) AS fcr_rate,
    v_fcr_target AS fcr_target,
    fcr_rate >= v_fcr_target AS fcr_met,
    v_resolved_first_contact AS resolved_first_contact,
    v_wait_answered_s AS wait_answered_s,
    v_wait_all_s AS wait_all_s,
    v_talk_s AS talk_s,
    if(empty(v_versions), NULL, arrayStringConcat(arraySort(v_versions), ',')) AS settings_version,
    ifNull(settings_version = (SELECT if(count() = 0, 'e3b0c44298fc', argMax(version, applied_ns)) FROM queue_settings), 1) AS settings_current
FROM (
    SELECT
        tupleElement(r_key, 1) AS v_switch,
        queue AS v_queue,
        month_start AS v_period_start,
        tupleElement(r_key, 2) AS v_hours,
        sumIf(offered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_offered,
        sumIf(answered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered,
        sumIf(abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned,
        sumIf(short_abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_short_abandoned,
        sumIf(timeout, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_timeout,
        sumIf(exit_key, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_key,
        sumIf(exit_other, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_other,
        sumIf(unknown, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_unknown,
        sumIf(answered_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered_within_sla,
        sumIf(abandoned_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned_within_sla,
        sumIf(transferred, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_transferred,
        sumIf(wait_answered_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_answered_s,
        sumIf(wait_all_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_all_s,
        sumIf(talk_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_talk_s,
        maxIf(max_wait_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_max_wait_s,
        sumMap(if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_keys, emptyArrayUInt32()), if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_counts, emptyArrayUInt64())) AS v_hist,
        arraySum(tupleElement(v_hist, 2)) AS v_n,
        tupleElement(v_hist, 1) AS v_hist_keys,
        tupleElement(v_hist, 2) AS v_hist_counts,
        sumIf(dispositions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_dispositions,
        sumIf(resolved_first_contact, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_resolved_first_contact,
        groupUniqArrayArrayIf(settings_versions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_versions,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_formula, counted_version), argMaxIf(sla_formula, counted_version, in_hours = 1)) AS v_sla_formula,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_s, counted_version), argMaxIf(sla_s, counted_version, in_hours = 1)) AS v_sla_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(short_abandon_s, counted_version), argMaxIf(short_abandon_s, counted_version, in_hours = 1)) AS v_short_abandon_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_target, counted_version), argMaxIf(sla_target, counted_version, in_hours = 1)) AS v_sla_target,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(fcr_target, counted_version), argMaxIf(fcr_target, counted_version, in_hours = 1)) AS v_fcr_target,
        any(month_offset_s) AS v_off
    FROM rollup_day FINAL
    ARRAY JOIN [(switch, 'all'), (switch, 'in'), ('*', 'all'), ('*', 'in')] AS r_key
    WHERE buckets > 0
    GROUP BY v_switch, queue, month_start, v_hours
)
-- +statement
DROP TABLE IF EXISTS queue_quarter
-- +statement
CREATE VIEW IF NOT EXISTS queue_quarter AS
SELECT
    v_switch AS switch,
    v_queue AS queue,
    'quarter' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_hours AS hours,
    v_offered AS offered,
    v_answered AS answered,
    v_abandoned AS abandoned,
    v_short_abandoned AS short_abandoned,
    v_timeout AS timeout,
    v_exit_key AS exit_key,
    v_exit_other AS exit_other,
    v_unknown AS unknown,
    v_answered_within_sla AS answered_within_sla,
    v_abandoned_within_sla AS abandoned_within_sla,
    v_transferred AS transferred,
    multiIf(
        v_sla_formula = 'offered_excl_short', if(v_offered <= v_short_abandoned, NULL, v_answered_within_sla / (v_offered - v_short_abandoned)),
        v_sla_formula = 'offered', if(v_offered = 0, NULL, v_answered_within_sla / v_offered),
        v_sla_formula = 'answered', if(v_answered = 0, NULL, v_answered_within_sla / v_answered),
        v_sla_formula = 'answered_abandoned', if(v_answered + v_abandoned = 0, NULL, v_answered_within_sla / (v_answered + v_abandoned)),
        v_sla_formula = 'abandoned_after', if(v_answered + v_abandoned <= v_abandoned_within_sla, NULL, v_answered_within_sla / (v_answered + v_abandoned - v_abandoned_within_sla)),
        v_sla_formula = 'positive', if(v_answered + v_abandoned = 0, NULL, (v_answered_within_sla + v_abandoned_within_sla) / (v_answered + v_abandoned)),
        NULL) AS service_level,
    v_sla_formula AS sla_formula,
    v_sla_s AS sla_s,
    v_short_abandon_s AS short_abandon_s,
    v_sla_target AS sla_target,
    service_level >= v_sla_target AS sla_met,
    if(v_answered = 0, NULL, v_wait_answered_s / v_answered) AS asa_s,
    if(v_offered = 0, NULL, v_wait_all_s / v_offered) AS avg_wait_s,
    v_max_wait_s AS max_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 50 + 99, 100), arrayCumSum(v_hist_counts))))) AS p50_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 90 + 99, 100), arrayCumSum(v_hist_counts))))) AS p90_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 95 + 99, 100), arrayCumSum(v_hist_counts))))) AS p95_wait_s,
    if(v_offered = 0, NULL, v_abandoned / v_offered) AS abandon_rate,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_dispositions AS dispositions,
    if(v_dispositions = 0, NULL, v_resolved_first_contact / v_dispositions) AS fcr_rate,
    v_fcr_target AS fcr_target,
    fcr_rate >= v_fcr_target AS fcr_met,
    v_resolved_first_contact AS resolved_first_contact,
    v_wait_answered_s AS wait_answered_s,
    v_wait_all_s AS wait_all_s,
    v_talk_s AS talk_s,
    if(empty(v_versions), NULL, arrayStringConcat(arraySort(v_versions), ',')) AS settings_version,
    ifNull(settings_version = (SELECT if(count() = 0, 'e3b0c44298fc', argMax(version, applied_ns)) FROM queue_settings), 1) AS settings_current
FROM (
    SELECT
        tupleElement(r_key, 1) AS v_switch,
        queue AS v_queue,
        quarter_start AS v_period_start,
        tupleElement(r_key, 2) AS v_hours,
        sumIf(offered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_offered,
        sumIf(answered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered,
        sumIf(abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned,
        sumIf(short_abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_short_abandoned,
        sumIf(timeout, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_timeout,
        sumIf(exit_key, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_key,
        sumIf(exit_other, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_other,
        sumIf(unknown, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_unknown,
        sumIf(answered_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered_within_sla,
        sumIf(abandoned_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned_within_sla,
        sumIf(transferred, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_transferred,
        sumIf(wait_answered_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_answered_s,
        sumIf(wait_all_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_all_s,
        sumIf(talk_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_talk_s,
        maxIf(max_wait_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_max_wait_s,
        sumMap(if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_keys, emptyArrayUInt32()), if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_counts, emptyArrayUInt64())) AS v_hist,
        arraySum(tupleElement(v_hist, 2)) AS v_n,
        tupleElement(v_hist, 1) AS v_hist_keys,
        tupleElement(v_hist, 2) AS v_hist_counts,
        sumIf(dispositions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_dispositions,
        sumIf(resolved_first_contact, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_resolved_first_contact,
        groupUniqArrayArrayIf(settings_versions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_versions,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_formula, counted_version), argMaxIf(sla_formula, counted_version, in_hours = 1)) AS v_sla_formula,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_s, counted_version), argMaxIf(sla_s, counted_version, in_hours = 1)) AS v_sla_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(short_abandon_s, counted_version), argMaxIf(short_abandon_s, counted_version, in_hours = 1)) AS v_short_abandon_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_target, counted_version), argMaxIf(sla_target, counted_version, in_hours = 1)) AS v_sla_target,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(fcr_target, counted_version), argMaxIf(fcr_target, counted_version, in_hours = 1)) AS v_fcr_target,
        any(quarter_offset_s) AS v_off
    FROM rollup_day FINAL
    ARRAY JOIN [(switch, 'all'), (switch, 'in'), ('*', 'all'), ('*', 'in')] AS r_key
    WHERE buckets > 0
    GROUP BY v_switch, queue, quarter_start, v_hours
)
-- +statement
DROP TABLE IF EXISTS queue_year
-- +statement
CREATE VIEW IF NOT EXISTS queue_year AS
SELECT
    v_switch AS switch,
    v_queue AS queue,
    'year' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_hours AS hours,
    v_offered AS offered,
    v_answered AS answered,
    v_abandoned AS abandoned,
    v_short_abandoned AS short_abandoned,
    v_timeout AS timeout,
    v_exit_key AS exit_key,
    v_exit_other AS exit_other,
    v_unknown AS unknown,
    v_answered_within_sla AS answered_within_sla,
    v_abandoned_within_sla AS abandoned_within_sla,
    v_transferred AS transferred,
    multiIf(
        v_sla_formula = 'offered_excl_short', if(v_offered <= v_short_abandoned, NULL, v_answered_within_sla / (v_offered - v_short_abandoned)),
        v_sla_formula = 'offered', if(v_offered = 0, NULL, v_answered_within_sla / v_offered),
        v_sla_formula = 'answered', if(v_answered = 0, NULL, v_answered_within_sla / v_answered),
        v_sla_formula = 'answered_abandoned', if(v_answered + v_abandoned = 0, NULL, v_answered_within_sla / (v_answered + v_abandoned)),
        v_sla_formula = 'abandoned_after', if(v_answered + v_abandoned <= v_abandoned_within_sla, NULL, v_answered_within_sla / (v_answered + v_abandoned - v_abandoned_within_sla)),
        v_sla_formula = 'positive', if(v_answered + v_abandoned = 0, NULL, (v_answered_within_sla + v_abandoned_within_sla) / (v_answered + v_abandoned)),
        NULL) AS service_level,
    v_sla_formula AS sla_formula,
    v_sla_s AS sla_s,
    v_short_abandon_s AS short_abandon_s,
    v_sla_target AS sla_target,
    service_level >= v_sla_target AS sla_met,
    if(v_answered = 0, NULL, v_wait_answered_s / v_answered) AS asa_s,
    if(v_offered = 0, NULL, v_wait_all_s / v_offered) AS avg_wait_s,
    v_max_wait_s AS max_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 50 + 99, 100), arrayCumSum(v_hist_counts))))) AS p50_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 90 + 99, 100), arrayCumSum(v_hist_counts))))) AS p90_wait_s,
    if(v_n = 0, NULL, toFloat64(arrayElement(v_hist_keys, arrayFirstIndex(x -> x >= intDiv(v_n * 95 + 99, 100), arrayCumSum(v_hist_counts))))) AS p95_wait_s,
    if(v_offered = 0, NULL, v_abandoned / v_offered) AS abandon_rate,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_dispositions AS dispositions,
    if(v_dispositions = 0, NULL, v_resolved_first_contact / v_dispositions) AS fcr_rate,
    v_fcr_target AS fcr_target,
    fcr_rate >= v_fcr_target AS fcr_met,
    v_resolved_first_contact AS resolved_first_contact,
    v_wait_answered_s AS wait_answered_s,
    v_wait_all_s AS wait_all_s,
    v_talk_s AS talk_s,
    if(empty(v_versions), NULL, arrayStringConcat(arraySort(v_versions), ',')) AS settings_version,
    ifNull(settings_version = (SELECT if(count() = 0, 'e3b0c44298fc', argMax(version, applied_ns)) FROM queue_settings), 1) AS settings_current
FROM (
    SELECT
        tupleElement(r_key, 1) AS v_switch,
        queue AS v_queue,
        year_start AS v_period_start,
        tupleElement(r_key, 2) AS v_hours,
        sumIf(offered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_offered,
        sumIf(answered, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered,
        sumIf(abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned,
        sumIf(short_abandoned, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_short_abandoned,
        sumIf(timeout, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_timeout,
        sumIf(exit_key, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_key,
        sumIf(exit_other, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_exit_other,
        sumIf(unknown, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_unknown,
        sumIf(answered_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_answered_within_sla,
        sumIf(abandoned_within_sla, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_abandoned_within_sla,
        sumIf(transferred, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_transferred,
        sumIf(wait_answered_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_answered_s,
        sumIf(wait_all_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_wait_all_s,
        sumIf(talk_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_talk_s,
        maxIf(max_wait_s, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_max_wait_s,
        sumMap(if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_keys, emptyArrayUInt32()), if(tupleElement(r_key, 2) = 'all' OR in_hours = 1, wait_hist_counts, emptyArrayUInt64())) AS v_hist,
        arraySum(tupleElement(v_hist, 2)) AS v_n,
        tupleElement(v_hist, 1) AS v_hist_keys,
        tupleElement(v_hist, 2) AS v_hist_counts,
        sumIf(dispositions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_dispositions,
        sumIf(resolved_first_contact, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_resolved_first_contact,
        groupUniqArrayArrayIf(settings_versions, tupleElement(r_key, 2) = 'all' OR in_hours = 1) AS v_versions,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_formula, counted_version), argMaxIf(sla_formula, counted_version, in_hours = 1)) AS v_sla_formula,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_s, counted_version), argMaxIf(sla_s, counted_version, in_hours = 1)) AS v_sla_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(short_abandon_s, counted_version), argMaxIf(short_abandon_s, counted_version, in_hours = 1)) AS v_short_abandon_s,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(sla_target, counted_version), argMaxIf(sla_target, counted_version, in_hours = 1)) AS v_sla_target,
        if(tupleElement(r_key, 2) = 'all' OR countIf(in_hours = 1) = 0, argMax(fcr_target, counted_version), argMaxIf(fcr_target, counted_version, in_hours = 1)) AS v_fcr_target,
        any(year_offset_s) AS v_off
    FROM rollup_day FINAL
    ARRAY JOIN [(switch, 'all'), (switch, 'in'), ('*', 'all'), ('*', 'in')] AS r_key
    WHERE buckets > 0
    GROUP BY v_switch, queue, year_start, v_hours
)
