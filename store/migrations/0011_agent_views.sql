-- Generated from store/agent_views.sql.tmpl by
--     go test ./store -run TestAgentViewsMigrationIsCurrent -update
-- Do not edit: change the template and run that, which writes the views
-- again as a new migration (applied migrations are never edited).
--
-- Views of the agent figures for BI tools, with the names of METRICS.md
-- ("Agents", "The agent row"): one row per agent, queue and period start,
-- plus a row with queue '*' for all the agent's queues. Time figures are
-- per agent: the '*' row has them (and the call figures of all queues), a
-- row of one queue has its call figures and NULL time figures (so filter on
-- queue: summing every row counts each call twice). Only periods with
-- figures appear.
--
-- logged_in_s is NULL where any 15-minute row of the period has it unknown
-- (a static member, a login not seen), and so are available_s and
-- occupancy; ratios are NULL where their denominator is 0. pause_reasons
-- and pause_reason_s are paused_s split by reason, as two arrays of the
-- same length. period_start is the UTC instant the local period begins in
-- the agent's zone (zone), period_start_local that instant as local time
-- with its offset, made from the offsets the agent job stores with each row.
-- The reasons are summed by sorting the flattened arrays and taking the
-- cumulative sums at the end of each run of a reason: 18.16's sumMap takes
-- no String keys, and it drops the columns a lambda captures from a view's
-- subquery (so every lambda here uses only its own arguments).
-- settings_version lists the settings versions the period was counted with
-- (sorted, joined with ','); display is that of the row counted last.
-- Reading agent_rollup_15m FINAL keeps the newest version of every row.
--
-- Each view is dropped and created again (18.16 has no DROP VIEW: DROP
-- TABLE drops a view), so a file cut half-way runs again from its start.
DROP TABLE IF EXISTS agent_15m
-- +statement
CREATE VIEW IF NOT EXISTS agent_15m AS
SELECT
    v_agent AS agent,
    v_display AS display,
    v_queue AS queue,
    '15m' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_zone AS zone,
    v_answered AS answered,
    v_talk_s AS talk_s,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_max_talk_s AS max_talk_s,
    v_transferred AS transferred,
    v_dispositions AS dispositions,
    v_resolved AS resolved_first_contact,
    if(v_dispositions = 0, NULL, v_resolved / v_dispositions) AS fcr_rate,
    v_ring_noanswer AS ring_noanswer,
    v_ring_noanswer_ms / 1000 AS ring_noanswer_s,
    v_ring_canceled AS ring_canceled,
    if(v_queue = '*' AND v_unknown = 0, toNullable(v_logged_in_s), NULL) AS logged_in_s,
    if(v_queue = '*', toNullable(v_in_call_s), NULL) AS in_call_s,
    if(v_queue = '*', toNullable(v_paused_s), NULL) AS paused_s,
    v_reason_keys AS pause_reasons,
    v_reason_secs AS pause_reason_s,
    if(v_queue = '*' AND v_unknown = 0, toNullable(toInt64(v_logged_in_s) - toInt64(v_paused_s)), NULL) AS available_s,
    if(available_s > 0, v_in_call_s / available_s, NULL) AS occupancy,
    if(v_queue = '*', toNullable(v_stale_sessions), NULL) AS stale_sessions,
    arrayStringConcat(arraySort(v_versions), ',') AS settings_version
FROM (
    SELECT
        agent AS v_agent,
        q_key AS v_queue,
        bucket AS v_period_start,
        argMax(display, version) AS v_display,
        argMax(tz, version) AS v_zone,
        any(bucket_offset_s) AS v_off,
        sum(answered) AS v_answered,
        sum(talk_s) AS v_talk_s,
        max(max_talk_s) AS v_max_talk_s,
        sum(transferred) AS v_transferred,
        sum(dispositions) AS v_dispositions,
        sum(resolved_first_contact) AS v_resolved,
        sum(ring_noanswer) AS v_ring_noanswer,
        sum(ring_noanswer_ms) AS v_ring_noanswer_ms,
        sum(ring_canceled) AS v_ring_canceled,
        sumIf(logged_in_s, queue = '') AS v_logged_in_s,
        maxIf(login_unknown, queue = '') AS v_unknown,
        sumIf(in_call_s, queue = '') AS v_in_call_s,
        sumIf(paused_s, queue = '') AS v_paused_s,
        sumIf(stale_sessions, queue = '') AS v_stale_sessions,
        groupArrayArray(if(queue = '', pause_reasons, emptyArrayString())) AS v_all_reasons,
        groupArrayArray(if(queue = '', pause_reason_s, emptyArrayUInt64())) AS v_all_reason_s,
        arraySort(v_all_reasons) AS v_sorted_reasons,
        arrayCumSum(arraySort((x, r) -> r, v_all_reason_s, v_all_reasons)) AS v_cum_reason_s,
        arrayMap((r, n) -> r != n, v_sorted_reasons, arrayPopFront(arrayPushBack(v_sorted_reasons, concat(arrayElement(v_sorted_reasons, -1), '.')))) AS v_reason_last,
        arrayFilter((r, l) -> l, v_sorted_reasons, v_reason_last) AS v_reason_keys,
        arrayFilter((c, l) -> l, v_cum_reason_s, v_reason_last) AS v_reason_ends,
        arrayMap((c, p) -> c - p, v_reason_ends, arrayPopBack(arrayPushFront(v_reason_ends, 0))) AS v_reason_secs,
        groupUniqArray(settings_version) AS v_versions
    FROM agent_rollup_15m FINAL
    ARRAY JOIN if(queue = '', ['*'], [queue, '*']) AS q_key
    GROUP BY v_agent, v_queue, v_period_start
    HAVING v_answered + v_talk_s + v_transferred + v_dispositions + v_ring_noanswer + v_ring_canceled
        + v_logged_in_s + v_unknown + v_in_call_s + v_paused_s + v_stale_sessions > 0
)
-- +statement
DROP TABLE IF EXISTS agent_hour
-- +statement
CREATE VIEW IF NOT EXISTS agent_hour AS
SELECT
    v_agent AS agent,
    v_display AS display,
    v_queue AS queue,
    'hour' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_zone AS zone,
    v_answered AS answered,
    v_talk_s AS talk_s,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_max_talk_s AS max_talk_s,
    v_transferred AS transferred,
    v_dispositions AS dispositions,
    v_resolved AS resolved_first_contact,
    if(v_dispositions = 0, NULL, v_resolved / v_dispositions) AS fcr_rate,
    v_ring_noanswer AS ring_noanswer,
    v_ring_noanswer_ms / 1000 AS ring_noanswer_s,
    v_ring_canceled AS ring_canceled,
    if(v_queue = '*' AND v_unknown = 0, toNullable(v_logged_in_s), NULL) AS logged_in_s,
    if(v_queue = '*', toNullable(v_in_call_s), NULL) AS in_call_s,
    if(v_queue = '*', toNullable(v_paused_s), NULL) AS paused_s,
    v_reason_keys AS pause_reasons,
    v_reason_secs AS pause_reason_s,
    if(v_queue = '*' AND v_unknown = 0, toNullable(toInt64(v_logged_in_s) - toInt64(v_paused_s)), NULL) AS available_s,
    if(available_s > 0, v_in_call_s / available_s, NULL) AS occupancy,
    if(v_queue = '*', toNullable(v_stale_sessions), NULL) AS stale_sessions,
    arrayStringConcat(arraySort(v_versions), ',') AS settings_version
FROM (
    SELECT
        agent AS v_agent,
        q_key AS v_queue,
        hour_start AS v_period_start,
        argMax(display, version) AS v_display,
        argMax(tz, version) AS v_zone,
        any(hour_offset_s) AS v_off,
        sum(answered) AS v_answered,
        sum(talk_s) AS v_talk_s,
        max(max_talk_s) AS v_max_talk_s,
        sum(transferred) AS v_transferred,
        sum(dispositions) AS v_dispositions,
        sum(resolved_first_contact) AS v_resolved,
        sum(ring_noanswer) AS v_ring_noanswer,
        sum(ring_noanswer_ms) AS v_ring_noanswer_ms,
        sum(ring_canceled) AS v_ring_canceled,
        sumIf(logged_in_s, queue = '') AS v_logged_in_s,
        maxIf(login_unknown, queue = '') AS v_unknown,
        sumIf(in_call_s, queue = '') AS v_in_call_s,
        sumIf(paused_s, queue = '') AS v_paused_s,
        sumIf(stale_sessions, queue = '') AS v_stale_sessions,
        groupArrayArray(if(queue = '', pause_reasons, emptyArrayString())) AS v_all_reasons,
        groupArrayArray(if(queue = '', pause_reason_s, emptyArrayUInt64())) AS v_all_reason_s,
        arraySort(v_all_reasons) AS v_sorted_reasons,
        arrayCumSum(arraySort((x, r) -> r, v_all_reason_s, v_all_reasons)) AS v_cum_reason_s,
        arrayMap((r, n) -> r != n, v_sorted_reasons, arrayPopFront(arrayPushBack(v_sorted_reasons, concat(arrayElement(v_sorted_reasons, -1), '.')))) AS v_reason_last,
        arrayFilter((r, l) -> l, v_sorted_reasons, v_reason_last) AS v_reason_keys,
        arrayFilter((c, l) -> l, v_cum_reason_s, v_reason_last) AS v_reason_ends,
        arrayMap((c, p) -> c - p, v_reason_ends, arrayPopBack(arrayPushFront(v_reason_ends, 0))) AS v_reason_secs,
        groupUniqArray(settings_version) AS v_versions
    FROM agent_rollup_15m FINAL
    ARRAY JOIN if(queue = '', ['*'], [queue, '*']) AS q_key
    GROUP BY v_agent, v_queue, v_period_start
    HAVING v_answered + v_talk_s + v_transferred + v_dispositions + v_ring_noanswer + v_ring_canceled
        + v_logged_in_s + v_unknown + v_in_call_s + v_paused_s + v_stale_sessions > 0
)
-- +statement
DROP TABLE IF EXISTS agent_day
-- +statement
CREATE VIEW IF NOT EXISTS agent_day AS
SELECT
    v_agent AS agent,
    v_display AS display,
    v_queue AS queue,
    'day' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_zone AS zone,
    v_answered AS answered,
    v_talk_s AS talk_s,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_max_talk_s AS max_talk_s,
    v_transferred AS transferred,
    v_dispositions AS dispositions,
    v_resolved AS resolved_first_contact,
    if(v_dispositions = 0, NULL, v_resolved / v_dispositions) AS fcr_rate,
    v_ring_noanswer AS ring_noanswer,
    v_ring_noanswer_ms / 1000 AS ring_noanswer_s,
    v_ring_canceled AS ring_canceled,
    if(v_queue = '*' AND v_unknown = 0, toNullable(v_logged_in_s), NULL) AS logged_in_s,
    if(v_queue = '*', toNullable(v_in_call_s), NULL) AS in_call_s,
    if(v_queue = '*', toNullable(v_paused_s), NULL) AS paused_s,
    v_reason_keys AS pause_reasons,
    v_reason_secs AS pause_reason_s,
    if(v_queue = '*' AND v_unknown = 0, toNullable(toInt64(v_logged_in_s) - toInt64(v_paused_s)), NULL) AS available_s,
    if(available_s > 0, v_in_call_s / available_s, NULL) AS occupancy,
    if(v_queue = '*', toNullable(v_stale_sessions), NULL) AS stale_sessions,
    arrayStringConcat(arraySort(v_versions), ',') AS settings_version
FROM (
    SELECT
        agent AS v_agent,
        q_key AS v_queue,
        day_start AS v_period_start,
        argMax(display, version) AS v_display,
        argMax(tz, version) AS v_zone,
        any(day_offset_s) AS v_off,
        sum(answered) AS v_answered,
        sum(talk_s) AS v_talk_s,
        max(max_talk_s) AS v_max_talk_s,
        sum(transferred) AS v_transferred,
        sum(dispositions) AS v_dispositions,
        sum(resolved_first_contact) AS v_resolved,
        sum(ring_noanswer) AS v_ring_noanswer,
        sum(ring_noanswer_ms) AS v_ring_noanswer_ms,
        sum(ring_canceled) AS v_ring_canceled,
        sumIf(logged_in_s, queue = '') AS v_logged_in_s,
        maxIf(login_unknown, queue = '') AS v_unknown,
        sumIf(in_call_s, queue = '') AS v_in_call_s,
        sumIf(paused_s, queue = '') AS v_paused_s,
        sumIf(stale_sessions, queue = '') AS v_stale_sessions,
        groupArrayArray(if(queue = '', pause_reasons, emptyArrayString())) AS v_all_reasons,
        groupArrayArray(if(queue = '', pause_reason_s, emptyArrayUInt64())) AS v_all_reason_s,
        arraySort(v_all_reasons) AS v_sorted_reasons,
        arrayCumSum(arraySort((x, r) -> r, v_all_reason_s, v_all_reasons)) AS v_cum_reason_s,
        arrayMap((r, n) -> r != n, v_sorted_reasons, arrayPopFront(arrayPushBack(v_sorted_reasons, concat(arrayElement(v_sorted_reasons, -1), '.')))) AS v_reason_last,
        arrayFilter((r, l) -> l, v_sorted_reasons, v_reason_last) AS v_reason_keys,
        arrayFilter((c, l) -> l, v_cum_reason_s, v_reason_last) AS v_reason_ends,
        arrayMap((c, p) -> c - p, v_reason_ends, arrayPopBack(arrayPushFront(v_reason_ends, 0))) AS v_reason_secs,
        groupUniqArray(settings_version) AS v_versions
    FROM agent_rollup_15m FINAL
    ARRAY JOIN if(queue = '', ['*'], [queue, '*']) AS q_key
    GROUP BY v_agent, v_queue, v_period_start
    HAVING v_answered + v_talk_s + v_transferred + v_dispositions + v_ring_noanswer + v_ring_canceled
        + v_logged_in_s + v_unknown + v_in_call_s + v_paused_s + v_stale_sessions > 0
)
-- +statement
DROP TABLE IF EXISTS agent_month
-- +statement
CREATE VIEW IF NOT EXISTS agent_month AS
SELECT
    v_agent AS agent,
    v_display AS display,
    v_queue AS queue,
    'month' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_zone AS zone,
    v_answered AS answered,
    v_talk_s AS talk_s,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_max_talk_s AS max_talk_s,
    v_transferred AS transferred,
    v_dispositions AS dispositions,
    v_resolved AS resolved_first_contact,
    if(v_dispositions = 0, NULL, v_resolved / v_dispositions) AS fcr_rate,
    v_ring_noanswer AS ring_noanswer,
    v_ring_noanswer_ms / 1000 AS ring_noanswer_s,
    v_ring_canceled AS ring_canceled,
    if(v_queue = '*' AND v_unknown = 0, toNullable(v_logged_in_s), NULL) AS logged_in_s,
    if(v_queue = '*', toNullable(v_in_call_s), NULL) AS in_call_s,
    if(v_queue = '*', toNullable(v_paused_s), NULL) AS paused_s,
    v_reason_keys AS pause_reasons,
    v_reason_secs AS pause_reason_s,
    if(v_queue = '*' AND v_unknown = 0, toNullable(toInt64(v_logged_in_s) - toInt64(v_paused_s)), NULL) AS available_s,
    if(available_s > 0, v_in_call_s / available_s, NULL) AS occupancy,
    if(v_queue = '*', toNullable(v_stale_sessions), NULL) AS stale_sessions,
    arrayStringConcat(arraySort(v_versions), ',') AS settings_version
FROM (
    SELECT
        agent AS v_agent,
        q_key AS v_queue,
        month_start AS v_period_start,
        argMax(display, version) AS v_display,
        argMax(tz, version) AS v_zone,
        any(month_offset_s) AS v_off,
        sum(answered) AS v_answered,
        sum(talk_s) AS v_talk_s,
        max(max_talk_s) AS v_max_talk_s,
        sum(transferred) AS v_transferred,
        sum(dispositions) AS v_dispositions,
        sum(resolved_first_contact) AS v_resolved,
        sum(ring_noanswer) AS v_ring_noanswer,
        sum(ring_noanswer_ms) AS v_ring_noanswer_ms,
        sum(ring_canceled) AS v_ring_canceled,
        sumIf(logged_in_s, queue = '') AS v_logged_in_s,
        maxIf(login_unknown, queue = '') AS v_unknown,
        sumIf(in_call_s, queue = '') AS v_in_call_s,
        sumIf(paused_s, queue = '') AS v_paused_s,
        sumIf(stale_sessions, queue = '') AS v_stale_sessions,
        groupArrayArray(if(queue = '', pause_reasons, emptyArrayString())) AS v_all_reasons,
        groupArrayArray(if(queue = '', pause_reason_s, emptyArrayUInt64())) AS v_all_reason_s,
        arraySort(v_all_reasons) AS v_sorted_reasons,
        arrayCumSum(arraySort((x, r) -> r, v_all_reason_s, v_all_reasons)) AS v_cum_reason_s,
        arrayMap((r, n) -> r != n, v_sorted_reasons, arrayPopFront(arrayPushBack(v_sorted_reasons, concat(arrayElement(v_sorted_reasons, -1), '.')))) AS v_reason_last,
        arrayFilter((r, l) -> l, v_sorted_reasons, v_reason_last) AS v_reason_keys,
        arrayFilter((c, l) -> l, v_cum_reason_s, v_reason_last) AS v_reason_ends,
        arrayMap((c, p) -> c - p, v_reason_ends, arrayPopBack(arrayPushFront(v_reason_ends, 0))) AS v_reason_secs,
        groupUniqArray(settings_version) AS v_versions
    FROM agent_rollup_15m FINAL
    ARRAY JOIN if(queue = '', ['*'], [queue, '*']) AS q_key
    GROUP BY v_agent, v_queue, v_period_start
    HAVING v_answered + v_talk_s + v_transferred + v_dispositions + v_ring_noanswer + v_ring_canceled
        + v_logged_in_s + v_unknown + v_in_call_s + v_paused_s + v_stale_sessions > 0
)
-- +statement
DROP TABLE IF EXISTS agent_quarter
-- +statement
CREATE VIEW IF NOT EXISTS agent_quarter AS
SELECT
    v_agent AS agent,
    v_display AS display,
    v_queue AS queue,
    'quarter' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_zone AS zone,
    v_answered AS answered,
    v_talk_s AS talk_s,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_max_talk_s AS max_talk_s,
    v_transferred AS transferred,
    v_dispositions AS dispositions,
    v_resolved AS resolved_first_contact,
    if(v_dispositions = 0, NULL, v_resolved / v_dispositions) AS fcr_rate,
    v_ring_noanswer AS ring_noanswer,
    v_ring_noanswer_ms / 1000 AS ring_noanswer_s,
    v_ring_canceled AS ring_canceled,
    if(v_queue = '*' AND v_unknown = 0, toNullable(v_logged_in_s), NULL) AS logged_in_s,
    if(v_queue = '*', toNullable(v_in_call_s), NULL) AS in_call_s,
    if(v_queue = '*', toNullable(v_paused_s), NULL) AS paused_s,
    v_reason_keys AS pause_reasons,
    v_reason_secs AS pause_reason_s,
    if(v_queue = '*' AND v_unknown = 0, toNullable(toInt64(v_logged_in_s) - toInt64(v_paused_s)), NULL) AS available_s,
    if(available_s > 0, v_in_call_s / available_s, NULL) AS occupancy,
    if(v_queue = '*', toNullable(v_stale_sessions), NULL) AS stale_sessions,
    arrayStringConcat(arraySort(v_versions), ',') AS settings_version
FROM (
    SELECT
        agent AS v_agent,
        q_key AS v_queue,
        quarter_start AS v_period_start,
        argMax(display, version) AS v_display,
        argMax(tz, version) AS v_zone,
        any(quarter_offset_s) AS v_off,
        sum(answered) AS v_answered,
        sum(talk_s) AS v_talk_s,
        max(max_talk_s) AS v_max_talk_s,
        sum(transferred) AS v_transferred,
        sum(dispositions) AS v_dispositions,
        sum(resolved_first_contact) AS v_resolved,
        sum(ring_noanswer) AS v_ring_noanswer,
        sum(ring_noanswer_ms) AS v_ring_noanswer_ms,
        sum(ring_canceled) AS v_ring_canceled,
        sumIf(logged_in_s, queue = '') AS v_logged_in_s,
        maxIf(login_unknown, queue = '') AS v_unknown,
        sumIf(in_call_s, queue = '') AS v_in_call_s,
        sumIf(paused_s, queue = '') AS v_paused_s,
        sumIf(stale_sessions, queue = '') AS v_stale_sessions,
        groupArrayArray(if(queue = '', pause_reasons, emptyArrayString())) AS v_all_reasons,
        groupArrayArray(if(queue = '', pause_reason_s, emptyArrayUInt64())) AS v_all_reason_s,
        arraySort(v_all_reasons) AS v_sorted_reasons,
        arrayCumSum(arraySort((x, r) -> r, v_all_reason_s, v_all_reasons)) AS v_cum_reason_s,
        arrayMap((r, n) -> r != n, v_sorted_reasons, arrayPopFront(arrayPushBack(v_sorted_reasons, concat(arrayElement(v_sorted_reasons, -1), '.')))) AS v_reason_last,
        arrayFilter((r, l) -> l, v_sorted_reasons, v_reason_last) AS v_reason_keys,
        arrayFilter((c, l) -> l, v_cum_reason_s, v_reason_last) AS v_reason_ends,
        arrayMap((c, p) -> c - p, v_reason_ends, arrayPopBack(arrayPushFront(v_reason_ends, 0))) AS v_reason_secs,
        groupUniqArray(settings_version) AS v_versions
    FROM agent_rollup_15m FINAL
    ARRAY JOIN if(queue = '', ['*'], [queue, '*']) AS q_key
    GROUP BY v_agent, v_queue, v_period_start
    HAVING v_answered + v_talk_s + v_transferred + v_dispositions + v_ring_noanswer + v_ring_canceled
        + v_logged_in_s + v_unknown + v_in_call_s + v_paused_s + v_stale_sessions > 0
)
-- +statement
DROP TABLE IF EXISTS agent_year
-- +statement
CREATE VIEW IF NOT EXISTS agent_year AS
SELECT
    v_agent AS agent,
    v_display AS display,
    v_queue AS queue,
    'year' AS period,
    v_period_start AS period_start,
    concat(formatDateTime(toDateTime(toInt64(toUInt32(v_period_start)) + v_off), '%Y-%m-%dT%H:%M:%S', 'UTC'),
           if(v_off < 0, '-', '+'), formatDateTime(toDateTime(abs(v_off)), '%H:%M', 'UTC')) AS period_start_local,
    v_zone AS zone,
    v_answered AS answered,
    v_talk_s AS talk_s,
    if(v_answered = 0, NULL, v_talk_s / v_answered) AS avg_talk_s,
    v_max_talk_s AS max_talk_s,
    v_transferred AS transferred,
    v_dispositions AS dispositions,
    v_resolved AS resolved_first_contact,
    if(v_dispositions = 0, NULL, v_resolved / v_dispositions) AS fcr_rate,
    v_ring_noanswer AS ring_noanswer,
    v_ring_noanswer_ms / 1000 AS ring_noanswer_s,
    v_ring_canceled AS ring_canceled,
    if(v_queue = '*' AND v_unknown = 0, toNullable(v_logged_in_s), NULL) AS logged_in_s,
    if(v_queue = '*', toNullable(v_in_call_s), NULL) AS in_call_s,
    if(v_queue = '*', toNullable(v_paused_s), NULL) AS paused_s,
    v_reason_keys AS pause_reasons,
    v_reason_secs AS pause_reason_s,
    if(v_queue = '*' AND v_unknown = 0, toNullable(toInt64(v_logged_in_s) - toInt64(v_paused_s)), NULL) AS available_s,
    if(available_s > 0, v_in_call_s / available_s, NULL) AS occupancy,
    if(v_queue = '*', toNullable(v_stale_sessions), NULL) AS stale_sessions,
    arrayStringConcat(arraySort(v_versions), ',') AS settings_version
FROM (
    SELECT
        agent AS v_agent,
        q_key AS v_queue,
        year_start AS v_period_start,
        argMax(display, version) AS v_display,
        argMax(tz, version) AS v_zone,
        any(year_offset_s) AS v_off,
        sum(answered) AS v_answered,
        sum(talk_s) AS v_talk_s,
        max(max_talk_s) AS v_max_talk_s,
        sum(transferred) AS v_transferred,
        sum(dispositions) AS v_dispositions,
        sum(resolved_first_contact) AS v_resolved,
        sum(ring_noanswer) AS v_ring_noanswer,
        sum(ring_noanswer_ms) AS v_ring_noanswer_ms,
        sum(ring_canceled) AS v_ring_canceled,
        sumIf(logged_in_s, queue = '') AS v_logged_in_s,
        maxIf(login_unknown, queue = '') AS v_unknown,
        sumIf(in_call_s, queue = '') AS v_in_call_s,
        sumIf(paused_s, queue = '') AS v_paused_s,
        sumIf(stale_sessions, queue = '') AS v_stale_sessions,
        groupArrayArray(if(queue = '', pause_reasons, emptyArrayString())) AS v_all_reasons,
        groupArrayArray(if(queue = '', pause_reason_s, emptyArrayUInt64())) AS v_all_reason_s,
        arraySort(v_all_reasons) AS v_sorted_reasons,
        arrayCumSum(arraySort((x, r) -> r, v_all_reason_s, v_all_reasons)) AS v_cum_reason_s,
        arrayMap((r, n) -> r != n, v_sorted_reasons, arrayPopFront(arrayPushBack(v_sorted_reasons, concat(arrayElement(v_sorted_reasons, -1), '.')))) AS v_reason_last,
        arrayFilter((r, l) -> l, v_sorted_reasons, v_reason_last) AS v_reason_keys,
        arrayFilter((c, l) -> l, v_cum_reason_s, v_reason_last) AS v_reason_ends,
        arrayMap((c, p) -> c - p, v_reason_ends, arrayPopBack(arrayPushFront(v_reason_ends, 0))) AS v_reason_secs,
        groupUniqArray(settings_version) AS v_versions
    FROM agent_rollup_15m FINAL
    ARRAY JOIN if(queue = '', ['*'], [queue, '*']) AS q_key
    GROUP BY v_agent, v_queue, v_period_start
    HAVING v_answered + v_talk_s + v_transferred + v_dispositions + v_ring_noanswer + v_ring_canceled
        + v_logged_in_s + v_unknown + v_in_call_s + v_paused_s + v_stale_sessions > 0
)
