-- Agent figures (METRICS.md, "Agents"; cdr/agent_build.go).
--
-- agent_events: the queue_log lines of agents that the agent job reads (a
-- session, pause or ring line of an agent, and QUEUESTART: cdr.IsAgentEvent),
-- kept a second time by agent, because events is sorted by call and an
-- agent's lines have many call ids. The store writes them beside events in
-- the same InsertEvents while agent figures are on (ACDSTAT_AGENT_FIGURES),
-- never when they are off; `acdstat rebuild` copies those of its range from
-- events. A resent line has the same id and lands beside its twin; readers
-- group by id.
CREATE TABLE IF NOT EXISTS agent_events (
    switch      String,
    agent       String,
    time        DateTime,
    time_us     UInt32,
    id          UInt64,
    source      String,
    call_id     String,
    queue       String,
    verb        String,
    data1       String,
    data2       String,
    data3       String,
    data4       String,
    data5       String,
    ingested_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (switch, agent, time, id)
-- +statement
-- agent_touches: which names of agents got lines when, by server insert
-- time, so the agent job finds what arrived since its watermark (as
-- event_touches does for the build job). QUEUESTART is noted with its
-- agent NONE: every agent of its switch.
CREATE TABLE IF NOT EXISTS agent_touches (
    ingested_at DateTime,
    switch      String,
    agent       String,
    time        DateTime
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (ingested_at, switch, agent)
-- +statement
CREATE MATERIALIZED VIEW IF NOT EXISTS agent_touches_mv TO agent_touches AS
SELECT ingested_at, switch, agent, time FROM agent_events
-- +statement
-- prev_agent: the agent of the stored version a queue-call row replaces,
-- where it differs (and of the stay a tombstone hides), so the agent job
-- recomputes the agent who lost the call too. 18.16 has no ADD COLUMN IF
-- NOT EXISTS: the migrator treats "already exists" as done.
ALTER TABLE queue_calls ADD COLUMN prev_agent String DEFAULT ''
-- +statement
-- agent_call_touches: which agents had a queue-call row built when, by
-- server insert time (built_at), with the stay's times, for the agent job.
-- The agent's column is "name": 18.16 cannot alias the array join of
-- [agent, prev_agent] as a column of the same name, nor through a subquery.
CREATE TABLE IF NOT EXISTS agent_call_touches (
    built_at        DateTime,
    switch          String,
    name            String,
    enter_time      DateTime,
    prev_enter_time DateTime,
    end_time        DateTime
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(built_at)
ORDER BY (built_at, switch, name)
-- +statement
CREATE MATERIALIZED VIEW IF NOT EXISTS agent_call_touches_mv TO agent_call_touches AS
SELECT built_at, switch, arrayJoin(arrayFilter(x -> x != '', [agent, prev_agent])) AS name, enter_time, prev_enter_time, end_time
FROM queue_calls
-- +statement
-- agent_rollup_15m: the additive figures of cdr.AgentCounts per agent (its
-- id, or its pseudonym), queue ('' for the time figures of all its queues)
-- and 15-minute bucket, with the local period keys and their offsets in
-- the agent's zone (computed in Go, as for rollup_15m), the display name
-- and the settings version the row was counted with. The agent job writes
-- a row again, under a higher version, where its figures changed (zeros
-- where they went away), so a row is replaced, never added to; readers use
-- FINAL. Sorted by agent first: reports and views ask for agents.
CREATE TABLE IF NOT EXISTS agent_rollup_15m (
    agent String, queue String, bucket DateTime,
    hour_start DateTime, day_start DateTime, month_start DateTime, quarter_start DateTime, year_start DateTime,
    bucket_offset_s Int32, hour_offset_s Int32, day_offset_s Int32, month_offset_s Int32, quarter_offset_s Int32, year_offset_s Int32,
    tz String, display String, settings_version String, version UInt64,
    answered UInt64, talk_s UInt64, max_talk_s UInt64, transferred UInt64, dispositions UInt64, resolved_first_contact UInt64,
    ring_noanswer UInt64, ring_noanswer_ms UInt64, ring_canceled UInt64,
    logged_in_s UInt64, login_unknown UInt8, in_call_s UInt64, paused_s UInt64,
    pause_reasons Array(String), pause_reason_s Array(UInt64), stale_sessions UInt64,
    rolled_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(bucket) ORDER BY (agent, queue, bucket)
SETTINGS index_granularity = 1024
