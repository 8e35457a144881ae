-- The first schema: raw events, the touch log the build job reads, queue
-- calls with their current view, job watermarks and rejected lines.
-- Every statement is idempotent (IF NOT EXISTS): two processes may migrate
-- at once, and a file cut half-way is simply run again.

-- events: one row per fact a switch reported. A resent event has the same id
-- and the same time, so it lands in the partition and sort position of its
-- twin and merges away; readers deduplicate with GROUP BY meanwhile.
CREATE TABLE IF NOT EXISTS events (
    switch      String,
    source      String,
    id          UInt64,
    time        DateTime,
    time_us     UInt32,
    call_id     String,
    queue       String,
    agent       String,
    verb        String,
    data1       String,
    data2       String,
    data3       String,
    data4       String,
    data5       String,
    ingested_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (switch, call_id, id)
-- +statement
-- event_touches: which calls got events when, by server insert time, so the
-- build job finds what arrived since its watermark at a cost that follows new
-- data (not the age of the events: a spool drained after an outage still
-- shows up). ingested_at is the DEFAULT of events, filled before the view
-- sees the block (verified on 18.16.1 by TestMaterializedViewFillsTouches).
CREATE TABLE IF NOT EXISTS event_touches (
    ingested_at DateTime,
    switch      String,
    call_id     String,
    time        DateTime
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (ingested_at, switch, call_id)
-- +statement
CREATE MATERIALIZED VIEW IF NOT EXISTS event_touches_mv TO event_touches AS
SELECT ingested_at, switch, call_id, time FROM events
-- +statement
-- queue_calls: one row per version of a caller's stay in a queue. A rebuilt
-- stay gets a higher version; a stay that no longer exists gets a tombstone
-- (deleted = 1). enter_time may move on a rebuild, so the newest version can
-- sit in another partition: read through queue_calls_current, never FINAL.
CREATE TABLE IF NOT EXISTS queue_calls (
    switch          String,
    call_id         String,
    queue           String,
    seq             UInt16,
    version         UInt64,
    deleted         UInt8,
    outcome         Enum8('waiting' = 0, 'answered' = 1, 'abandoned' = 2, 'timeout' = 3, 'exit_key' = 4, 'exit_other' = 5, 'unknown' = 6),
    enter_time      DateTime,
    answer_time     DateTime,
    end_time        DateTime,
    wait_s          UInt32,
    talk_s          UInt32,
    transferred     UInt8,
    agent           String,
    caller          String,
    end_verb        String,
    last_event_time DateTime,
    prev_enter_time DateTime,
    built_at        DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(enter_time)
ORDER BY (switch, call_id, queue, seq)
-- +statement
-- queue_calls_current: exactly one row per stay, its newest version, without
-- deleted stays. The inner names are prefixed because an alias named like a
-- column (max(version) AS version) would shadow it inside the other argMax.
CREATE VIEW IF NOT EXISTS queue_calls_current AS
SELECT
    switch, call_id, queue, seq,
    v_version AS version,
    v_outcome AS outcome,
    v_enter_time AS enter_time,
    v_answer_time AS answer_time,
    v_end_time AS end_time,
    v_wait_s AS wait_s,
    v_talk_s AS talk_s,
    v_transferred AS transferred,
    v_agent AS agent,
    v_caller AS caller,
    v_end_verb AS end_verb,
    v_last_event_time AS last_event_time,
    v_built_at AS built_at
FROM (
    SELECT
        switch, call_id, queue, seq,
        max(version) AS v_version,
        argMax(deleted, version) AS v_deleted,
        argMax(outcome, version) AS v_outcome,
        argMax(enter_time, version) AS v_enter_time,
        argMax(answer_time, version) AS v_answer_time,
        argMax(end_time, version) AS v_end_time,
        argMax(wait_s, version) AS v_wait_s,
        argMax(talk_s, version) AS v_talk_s,
        argMax(transferred, version) AS v_transferred,
        argMax(agent, version) AS v_agent,
        argMax(caller, version) AS v_caller,
        argMax(end_verb, version) AS v_end_verb,
        argMax(last_event_time, version) AS v_last_event_time,
        argMax(built_at, version) AS v_built_at
    FROM queue_calls
    GROUP BY switch, call_id, queue, seq
)
WHERE v_deleted = 0
-- +statement
-- job_state: one watermark per job; the newest version wins.
CREATE TABLE IF NOT EXISTS job_state (
    job        String,
    watermark  DateTime,
    updated_at DateTime,
    version    UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY job
-- +statement
-- rejects: lines a decoder refused, with the reason. id is a hash of switch,
-- raw line and reason computed in Go, so a resent bad line is one reject.
CREATE TABLE IF NOT EXISTS rejects (
    switch      String,
    source      String,
    id          UInt64,
    received_at DateTime,
    line        UInt32,
    field       String,
    reason      String,
    raw         String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (switch, id)
