-- Contacts and cases (METRICS.md, "Contacts and cases"; cdr/cases.go).
--
-- contacts: the contacts posted from channels other than the phone, one
-- row per decoded contact event. A resent contact has the same event id and
-- merges with its twin; a contact sent again with other fields is another
-- row of the same (system, contact_id), and readers keep one per contact
-- (cdr.LatestContacts). Only the mapped columns are kept. Not partitioned by
-- time: a contact resent with a corrected time must meet its earlier row.
CREATE TABLE IF NOT EXISTS contacts (
    system      String,
    contact_id  String,
    desk        String,
    channel     String,
    time        DateTime,
    event_id    UInt64,
    ingested_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
ORDER BY (system, contact_id, event_id)
-- +statement
-- cases: the states of the service-management tool's cases. A case seen
-- again replaces its earlier state: the version is the state's updated time
-- in the high 32 bits and the high half of its event id in the low ones, so
-- merges keep the state that readers pick (cdr.LatestCases: the newest
-- updated, then the higher event id) and a resent state merges with its
-- twin. Readers never count a case twice: they keep the latest state of
-- each (system, case_id) whatever the merges have done so far. Free text
-- (subject, description, notes) is never stored. opened, resolved and
-- reopened are 0 (1970) where unknown; first_contact is 1, 0 or -1
-- (unknown); reopen_count -1 where unknown.
CREATE TABLE IF NOT EXISTS cases (
    system        String,
    case_id       String,
    desk          String,
    channel       String,
    criticality   String,
    opened        DateTime,
    resolved      DateTime,
    reopened      DateTime,
    updated       DateTime,
    first_contact Int8,
    reopen_count  Int32,
    event_id      UInt64,
    version       UInt64,
    ingested_at   DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
ORDER BY (system, case_id)
-- +statement
-- desk_months: the case job's counts per desk and local month (month is
-- the instant the month starts in the desk's zone tz, computed in Go:
-- CLICKHOUSE.md). The job recomputes every month of the desks that new
-- contacts or case states touched and writes them again with a higher
-- version, zeros where a stored month has nothing left, so a row is
-- replaced, never added to; readers use FINAL.
CREATE TABLE IF NOT EXISTS desk_months (
    desk                String,
    month               DateTime,
    tz                  String,
    version             UInt64,
    registered          UInt64,
    first_contact_known UInt64,
    first_contact       UInt64,
    phone_cases         UInt64,
    closed              UInt64,
    deadline_cases      UInt64,
    within_deadline     UInt64,
    computed_at         DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
ORDER BY (desk, month)
-- +statement
-- desk_month_channels: the posted contacts per desk, local month and
-- channel, replaced like desk_months.
CREATE TABLE IF NOT EXISTS desk_month_channels (
    desk        String,
    month       DateTime,
    channel     String,
    tz          String,
    version     UInt64,
    contacts    UInt64,
    computed_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
ORDER BY (desk, month, channel)
-- +statement
-- The views for BI: one row per desk and month with the counts and the
-- ratios of METRICS.md (null where the denominator is 0), and the posted
-- contacts by channel. The phone's share needs the answered calls of the
-- desk's queues (a setting): GET /v1/contacts gives it.
CREATE VIEW IF NOT EXISTS cases_month AS
SELECT
    desk, month, tz, registered, closed, first_contact_known, first_contact,
    if(first_contact_known = 0, NULL, first_contact / first_contact_known) AS fcr_rate,
    deadline_cases, within_deadline,
    if(deadline_cases = 0, NULL, within_deadline / deadline_cases) AS within_rate,
    phone_cases
FROM desk_months FINAL
WHERE registered > 0 OR closed > 0 OR phone_cases > 0
-- +statement
CREATE VIEW IF NOT EXISTS contacts_month AS
SELECT desk, month, tz, channel, contacts
FROM desk_month_channels FINAL
WHERE contacts > 0
