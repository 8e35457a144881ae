-- First-contact resolution on queue calls (cdr/disposition.go): whether an
-- answered stay got a disposition, whether it was resolved at first contact,
-- and its code. 18.16 has no ADD COLUMN IF NOT EXISTS (current releases do):
-- the migrator treats "column already exists" (code 44) of an ALTER … ADD
-- COLUMN as done, so each column has its own statement and a file cut half-way
-- runs again. queue_calls_current is recreated to show them (18.16 has no
-- DROP VIEW: DROP TABLE drops a view).
ALTER TABLE queue_calls ADD COLUMN disposition UInt8 DEFAULT 0
-- +statement
ALTER TABLE queue_calls ADD COLUMN resolved UInt8 DEFAULT 0
-- +statement
ALTER TABLE queue_calls ADD COLUMN disposition_code String DEFAULT ''
-- +statement
DROP TABLE IF EXISTS queue_calls_current
-- +statement
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
    v_disposition AS disposition,
    v_resolved AS resolved,
    v_disposition_code AS disposition_code,
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
        argMax(disposition, version) AS v_disposition,
        argMax(resolved, version) AS v_resolved,
        argMax(disposition_code, version) AS v_disposition_code,
        argMax(built_at, version) AS v_built_at
    FROM queue_calls
    GROUP BY switch, call_id, queue, seq
)
WHERE v_deleted = 0
