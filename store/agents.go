package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/cdr"
)

// The agent figures' SQL (migration 0010, METRICS.md "Agents"): the agent
// lines kept by agent, the touch logs of the agent job, and the agent rows.

// KeepAgentEvents says whether InsertEvents keeps the agent lines
// (cdr.IsAgentEvent) a second time, by agent, in agent_events: on while
// agent figures are on, off when they are off (ACDSTAT_AGENT_FIGURES=off:
// nothing of agents is stored beyond the events themselves). Set it once,
// before the first insert; it is safe for concurrent use.
func (s *Store) KeepAgentEvents(on bool) { s.agentEvents.Store(on) }

const insertAgentEventsSQL = "INSERT INTO agent_events (switch, agent, time, time_us, id, source, call_id, queue, verb, data1, data2, data3, data4, data5)"

// insertAgentEvents writes the agent lines of evs to agent_events, in one
// INSERT (none when there are none).
func (s *Store) insertAgentEvents(ctx context.Context, evs []cdr.Event) error {
	var n int
	for i := range evs {
		if cdr.IsAgentEvent(&evs[i]) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	var (
		sw, agent, src, callID, queue, verb = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		data                                [5][]string
		ids                                 = make([]uint64, 0, n)
		times                               = make([]time.Time, 0, n)
		micros                              = make([]uint32, 0, n)
	)
	for i := range data {
		data[i] = make([]string, 0, n)
	}
	for i := range evs {
		e := &evs[i]
		if !cdr.IsAgentEvent(e) {
			continue
		}
		sw, agent, src, callID, queue, verb = append(sw, e.Switch), append(agent, e.Agent), append(src, e.Source), append(callID, e.CallID), append(queue, e.Queue), append(verb, e.Verb)
		ids, times, micros = append(ids, e.ID), append(times, e.Time), append(micros, e.Micros)
		for j := range data {
			data[j] = append(data[j], e.Data[j])
		}
	}
	cols := []any{sw, agent, times, micros, ids, src, callID, queue, verb, data[0], data[1], data[2], data[3], data[4]}
	return s.sendColumns(ctx, "agent_events", insertAgentEventsSQL, cols)
}

// agentEventVerbs lists the verbs of cdr.IsAgentEvent for SQL.
var agentEventVerbs = []string{cdr.VerbQueueStart, cdr.VerbAgentLogin, cdr.VerbAgentLogoff, cdr.VerbAgentCallbackLogin, cdr.VerbAgentCallbackLogoff,
	cdr.VerbAddMember, cdr.VerbRemoveMember, cdr.VerbPause, cdr.VerbUnpause, cdr.VerbPauseAll, cdr.VerbUnpauseAll, cdr.VerbRingNoAnswer, cdr.VerbRingCanceled}

// CopyAgentEvents copies the agent lines of events whose time lies in
// [from, to) into agent_events, for `acdstat rebuild` (events stored while
// agent figures were off, or before they existed). Lines already there are
// copied again and read once (readers group by id).
func (s *Store) CopyAgentEvents(ctx context.Context, from, to time.Time) error {
	err := s.conn.Exec(ctx, `INSERT INTO agent_events (switch, agent, time, time_us, id, source, call_id, queue, verb, data1, data2, data3, data4, data5)
SELECT switch, agent, time, time_us, id, source, call_id, queue, verb, data1, data2, data3, data4, data5
FROM events
WHERE time >= ? AND time < ? AND source IN (?, ?) AND has(?, verb) AND (verb = ? OR agent NOT IN ('', 'NONE'))`,
		from.UTC(), to.UTC(), cdr.SourceQueueLog, cdr.SourceQueueLogDB, agentEventVerbs, cdr.VerbQueueStart)
	if err != nil {
		return fmt.Errorf("cannot copy agent lines: %w", err)
	}
	return nil
}

// AgentTouches returns the names whose lines were stored (agent_touches)
// or whose queue-call rows were built (agent_call_touches, the agent and
// the agent a row replaced) in [from, to) of server insert time, each once.
func (s *Store) AgentTouches(ctx context.Context, from, to time.Time) ([]cdr.AgentTouch, error) {
	rows, err := s.conn.Query(ctx, `SELECT switch, agent, min(lo), max(hi) FROM (
    SELECT switch, agent, time AS lo, time AS hi FROM agent_touches WHERE ingested_at >= ? AND ingested_at < ?
    UNION ALL
    SELECT switch, name AS agent, if(toUInt32(prev_enter_time) > 0, least(enter_time, prev_enter_time), enter_time) AS lo,
        greatest(enter_time, end_time) AS hi
    FROM agent_call_touches WHERE built_at >= ? AND built_at < ?
)
GROUP BY switch, agent
ORDER BY switch, agent`, from.UTC(), to.UTC(), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read touched agents: %w", err)
	}
	defer rows.Close()
	var out []cdr.AgentTouch
	for rows.Next() {
		var t cdr.AgentTouch
		if err := rows.Scan(&t.Name.Switch, &t.Name.Name, &t.MinTime, &t.MaxTime); err != nil {
			return nil, fmt.Errorf("cannot read touched agents: %w", err)
		}
		t.MinTime, t.MaxTime = t.MinTime.UTC(), t.MaxTime.UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read touched agents: %w", err)
	}
	return out, nil
}

// AgentNamesBetween returns the names of agents with lines in agent_events
// or answered queue calls (by enter time) in [from, to), of switch sw, or
// of every switch where sw is empty: the agents a restart of sw touches,
// and those a rebuild of the range recomputes.
func (s *Store) AgentNamesBetween(ctx context.Context, sw string, from, to time.Time) ([]cdr.AgentName, error) {
	rows, err := s.conn.Query(ctx, `SELECT switch, agent FROM (
    SELECT switch, agent FROM agent_events
    WHERE time >= ? AND time < ? AND (? = '' OR switch = ?) AND agent NOT IN ('', 'NONE')
    GROUP BY switch, agent
    UNION ALL
    SELECT switch, agent FROM queue_calls
    WHERE enter_time >= ? AND enter_time < ? AND (? = '' OR switch = ?) AND agent != '' AND outcome = 'answered'
    GROUP BY switch, agent
)
GROUP BY switch, agent
ORDER BY switch, agent`, from.UTC(), to.UTC(), sw, sw, from.UTC(), to.UTC(), sw, sw)
	if err != nil {
		return nil, fmt.Errorf("cannot list agents: %w", err)
	}
	defer rows.Close()
	var out []cdr.AgentName
	for rows.Next() {
		var n cdr.AgentName
		if err := rows.Scan(&n.Switch, &n.Name); err != nil {
			return nil, fmt.Errorf("cannot list agents: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list agents: %w", err)
	}
	return out, nil
}

// nameSets binds agent names: the (switch, name) pairs, and the names of
// every switch (AgentAnySwitch). Each holds a value no switch writes, so
// neither is ever empty (an empty IN list is not SQL).
func nameSets(names []cdr.AgentName) (pairs []clickhouse.GroupSet, anySwitch []string) {
	pairs = []clickhouse.GroupSet{{Value: []any{"\x00", "\x00"}}}
	anySwitch = []string{"\x00"}
	for _, n := range names {
		if n.Switch == cdr.AgentAnySwitch {
			anySwitch = append(anySwitch, n.Name)
			continue
		}
		pairs = append(pairs, clickhouse.GroupSet{Value: []any{n.Switch, n.Name}})
	}
	return pairs, anySwitch
}

// AgentEvents returns the agent lines of the given names (and every
// QUEUESTART) whose time lies in [from, to], each once.
func (s *Store) AgentEvents(ctx context.Context, names []cdr.AgentName, from, to time.Time) ([]cdr.Event, error) {
	pairs, anyName := nameSets(names)
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": maxQuerySize}))
	rows, err := s.conn.Query(ctx, `SELECT switch, agent, id,
    any(source), any(time), any(time_us), any(call_id), any(queue), any(verb),
    any(data1), any(data2), any(data3), any(data4), any(data5)
FROM agent_events
WHERE time >= ? AND time <= ? AND ((switch, agent) IN (?) OR has(?, agent) OR verb = ?)
GROUP BY switch, agent, id`, from.UTC(), to.UTC(), pairs, anyName, cdr.VerbQueueStart)
	if err != nil {
		return nil, fmt.Errorf("cannot read agent lines: %w", err)
	}
	defer rows.Close()
	var out []cdr.Event
	for rows.Next() {
		var e cdr.Event
		if err := rows.Scan(&e.Switch, &e.Agent, &e.ID, &e.Source, &e.Time, &e.Micros, &e.CallID, &e.Queue, &e.Verb,
			&e.Data[0], &e.Data[1], &e.Data[2], &e.Data[3], &e.Data[4]); err != nil {
			return nil, fmt.Errorf("cannot read agent lines: %w", err)
		}
		e.Time = e.Time.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read agent lines: %w", err)
	}
	return out, nil
}

// AgentCalls returns the current version of every answered queue call of
// the given names (its agent) that joined in [from, to): the calls the
// agent job counts. Only the fields it uses are filled (key, agent, enter,
// answer, end, talk, transferred, disposition, resolved). The newest
// version of each stay is taken among the rows within maxEnterMove of the
// range, as CallsInBuckets does, so a stay moved out of the range by a
// rebuild is not counted by its old row.
func (s *Store) AgentCalls(ctx context.Context, names []cdr.AgentName, from, to time.Time) ([]cdr.QueueCall, error) {
	pairs, anyName := nameSets(names)
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": maxQuerySize}))
	rows, err := s.conn.Query(ctx, `SELECT switch, call_id, queue, seq, argMax(agent, version) AS a, argMax(enter_time, version) AS e,
    argMax(answer_time, version), argMax(end_time, version), argMax(talk_s, version), argMax(transferred, version),
    argMax(disposition, version), argMax(resolved, version), argMax(deleted, version) AS d, argMax(outcome, version) AS o
FROM queue_calls
WHERE enter_time >= ? AND enter_time < ?
GROUP BY switch, call_id, queue, seq
HAVING d = 0 AND o = 'answered' AND a != '' AND e >= ? AND e < ? AND ((switch, a) IN (?) OR has(?, a))`,
		from.Add(-maxEnterMove).UTC(), to.Add(maxEnterMove).UTC(), from.UTC(), to.UTC(), pairs, anyName)
	if err != nil {
		return nil, fmt.Errorf("cannot read agent calls: %w", err)
	}
	defer rows.Close()
	var out []cdr.QueueCall
	for rows.Next() {
		c := cdr.QueueCall{Outcome: cdr.Answered}
		var tr, disp, res, d uint8
		var o string
		if err := rows.Scan(&c.Switch, &c.CallID, &c.Queue, &c.Seq, &c.Agent, &c.EnterTime, &c.AnswerTime, &c.EndTime, &c.TalkS, &tr, &disp, &res, &d, &o); err != nil {
			return nil, fmt.Errorf("cannot read agent calls: %w", err)
		}
		c.EnterTime, c.AnswerTime, c.EndTime = c.EnterTime.UTC(), c.AnswerTime.UTC(), c.EndTime.UTC()
		if c.AnswerTime.Unix() <= 0 {
			c.AnswerTime = time.Time{}
		}
		c.Transferred, c.Disposition, c.Resolved = tr == 1, disp == 1, res == 1
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read agent calls: %w", err)
	}
	return out, nil
}

const insertAgentRowsSQL = `INSERT INTO agent_rollup_15m (agent, queue, bucket,
hour_start, day_start, month_start, quarter_start, year_start,
bucket_offset_s, hour_offset_s, day_offset_s, month_offset_s, quarter_offset_s, year_offset_s,
tz, display, settings_version, version,
answered, talk_s, max_talk_s, transferred, dispositions, resolved_first_contact,
ring_noanswer, ring_noanswer_ms, ring_canceled,
logged_in_s, login_unknown, in_call_s, paused_s, pause_reasons, pause_reason_s, stale_sessions)`

// WriteAgentRows writes agent rows in one INSERT under version; a row
// replaces the stored one of the same (agent, queue, bucket) with a lower
// version. rows is not retained.
func (s *Store) WriteAgentRows(ctx context.Context, rows []cdr.AgentRow, version uint64) error {
	n := len(rows)
	if n == 0 {
		return nil
	}
	var (
		agent, queue, tz, display, sv = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		starts                        [6][]time.Time
		offsets                       [6][]int32
		versions                      = make([]uint64, n)
		counts                        [13][]uint64
		unknown                       = make([]uint8, n)
		reasons                       = make([][]string, n)
		reasonS                       = make([][]uint64, n)
	)
	for i := range starts {
		starts[i], offsets[i] = make([]time.Time, n), make([]int32, n)
	}
	for i := range counts {
		counts[i] = make([]uint64, n)
	}
	for i := range rows {
		r := &rows[i]
		agent[i], queue[i], tz[i], display[i], sv[i], versions[i] = r.Agent, r.Queue, r.TZ, r.Display, r.SettingsVersion, version
		k := r.Keys
		for j, t := range []time.Time{k.Bucket, k.Hour, k.Day, k.Month, k.Quarter, k.Year} {
			starts[j][i] = t.UTC()
		}
		for j, o := range []int32{k.BucketOffset, k.HourOffset, k.DayOffset, k.MonthOffset, k.QuarterOffset, k.YearOffset} {
			offsets[j][i] = o
		}
		c := &r.Counts
		for j, v := range []uint64{c.Answered, c.TalkS, c.MaxTalkS, c.Transferred, c.Dispositions, c.ResolvedFirstContact,
			c.RingNoAnswer, c.RingNoAnswerMs, c.RingCanceled, c.LoggedInS, c.InCallS, c.PausedS, c.StaleSessions} {
			counts[j][i] = v
		}
		if c.LoginUnknown {
			unknown[i] = 1
		}
		keys := make([]string, 0, len(c.PausedByReason))
		for k := range c.PausedByReason {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		secs := make([]uint64, len(keys))
		for j, k := range keys {
			secs[j] = c.PausedByReason[k]
		}
		reasons[i], reasonS[i] = keys, secs
	}
	cols := []any{agent, queue, starts[0], starts[1], starts[2], starts[3], starts[4], starts[5]}
	for _, o := range offsets {
		cols = append(cols, o)
	}
	cols = append(cols, tz, display, sv, versions)
	cols = append(cols, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7], counts[8],
		counts[9], unknown, counts[10], counts[11], reasons, reasonS, counts[12])
	return s.sendColumns(ctx, "agent_rollup_15m", insertAgentRowsSQL, cols)
}

// agentRowColumns are the columns StoredAgentRows reads, in scan order.
const agentRowColumns = `agent, queue, bucket, hour_start, day_start, month_start, quarter_start, year_start,
    bucket_offset_s, hour_offset_s, day_offset_s, month_offset_s, quarter_offset_s, year_offset_s,
    tz, display, settings_version,
    answered, talk_s, max_talk_s, transferred, dispositions, resolved_first_contact,
    ring_noanswer, ring_noanswer_ms, ring_canceled, logged_in_s, login_unknown, in_call_s, paused_s,
    pause_reasons, pause_reason_s, stale_sessions`

// StoredAgentRows returns the newest version of the stored rows of the
// given agents whose bucket lies in [from, to), all zero rows included.
func (s *Store) StoredAgentRows(ctx context.Context, agents []string, from, to time.Time) ([]cdr.AgentRow, error) {
	if len(agents) == 0 {
		return nil, nil
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": maxQuerySize}))
	rows, err := s.conn.Query(ctx, `SELECT `+agentRowColumns+`
FROM agent_rollup_15m FINAL
WHERE agent IN ? AND bucket >= ? AND bucket < ?`, agentSet(agents), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read stored agent rows: %w", err)
	}
	defer rows.Close()
	var out []cdr.AgentRow
	for rows.Next() {
		var (
			r       cdr.AgentRow
			k       = &r.Keys
			c       = &r.Counts
			unknown uint8
			keys    []string
			secs    []uint64
		)
		if err := rows.Scan(&r.Agent, &r.Queue, &k.Bucket, &k.Hour, &k.Day, &k.Month, &k.Quarter, &k.Year,
			&k.BucketOffset, &k.HourOffset, &k.DayOffset, &k.MonthOffset, &k.QuarterOffset, &k.YearOffset,
			&r.TZ, &r.Display, &r.SettingsVersion,
			&c.Answered, &c.TalkS, &c.MaxTalkS, &c.Transferred, &c.Dispositions, &c.ResolvedFirstContact,
			&c.RingNoAnswer, &c.RingNoAnswerMs, &c.RingCanceled, &c.LoggedInS, &unknown, &c.InCallS, &c.PausedS,
			&keys, &secs, &c.StaleSessions); err != nil {
			return nil, fmt.Errorf("cannot read stored agent rows: %w", err)
		}
		k.Bucket, k.Hour, k.Day, k.Month, k.Quarter, k.Year = k.Bucket.UTC(), k.Hour.UTC(), k.Day.UTC(), k.Month.UTC(), k.Quarter.UTC(), k.Year.UTC()
		c.LoginUnknown = unknown == 1
		if len(keys) != len(secs) {
			return nil, fmt.Errorf("cannot read stored agent rows: %d pause reasons and %d durations", len(keys), len(secs))
		}
		for i, key := range keys {
			if c.PausedByReason == nil {
				c.PausedByReason = map[string]uint64{}
			}
			c.PausedByReason[key] += secs[i]
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read stored agent rows: %w", err)
	}
	return out, nil
}

// agentSet binds agent ids as a list: agent IN ('a', 'b').
func agentSet(agents []string) clickhouse.GroupSet {
	v := make([]any, len(agents))
	for i, a := range agents {
		v[i] = a
	}
	return clickhouse.GroupSet{Value: v}
}

// AgentIDsBetween returns the agents with a stored row (any version) whose
// bucket lies in [from, to): those a rebuild of the range must write again,
// zeros where the agent no longer has figures there (its name left the
// map, pseudonyms were turned on).
func (s *Store) AgentIDsBetween(ctx context.Context, from, to time.Time) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT agent FROM agent_rollup_15m WHERE bucket >= ? AND bucket < ? GROUP BY agent ORDER BY agent`, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot list agents: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("cannot list agents: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list agents: %w", err)
	}
	return out, nil
}

// AgentPeriods sums the stored agent rows whose bucket lies in [from, to)
// per agent, queue and start of the given period (in each agent's zone, as
// the rows were keyed): a row per queue with its call figures, and a row of
// queue cdr.AgentAllQueues with the call figures of all queues and the time
// figures. agent, when not empty, keeps one agent. Periods without rows are
// absent (report.BuildAgents fills them). Sorted by agent, queue and start.
func (s *Store) AgentPeriods(ctx context.Context, period string, from, to time.Time, agent string) ([]cdr.AgentPeriod, error) {
	col, ok := periodColumns[period]
	if !ok {
		return nil, fmt.Errorf("cannot read agent figures: unknown period %q", period)
	}
	if !from.Before(to) {
		return nil, nil
	}
	// col is one of periodColumns' constants; every input is bound.
	rows, err := s.conn.Query(ctx, `SELECT agent, q_key, `+col+` AS p, argMax(display, version), argMax(tz, version),
    sum(answered), sum(talk_s), max(max_talk_s), sum(transferred), sum(dispositions), sum(resolved_first_contact),
    sum(ring_noanswer), sum(ring_noanswer_ms), sum(ring_canceled),
    sumIf(logged_in_s, queue = ''), maxIf(login_unknown, queue = ''), sumIf(in_call_s, queue = ''), sumIf(paused_s, queue = ''),
    groupArrayArray(if(queue = '', pause_reasons, emptyArrayString())), groupArrayArray(if(queue = '', pause_reason_s, emptyArrayUInt64())),
    sumIf(stale_sessions, queue = ''), arraySort(groupUniqArray(settings_version))
FROM agent_rollup_15m FINAL
ARRAY JOIN if(queue = '', [?], [queue, ?]) AS q_key
WHERE bucket >= ? AND bucket < ? AND (? = '' OR agent = ?)
GROUP BY agent, q_key, p
ORDER BY agent, q_key, p`, cdr.AgentAllQueues, cdr.AgentAllQueues, from.UTC(), to.UTC(), agent, agent)
	if err != nil {
		return nil, fmt.Errorf("cannot read agent figures: %w", err)
	}
	defer rows.Close()
	var out []cdr.AgentPeriod
	for rows.Next() {
		var (
			p       cdr.AgentPeriod
			c       = &p.Counts
			unknown uint8
			keys    []string
			secs    []uint64
		)
		if err := rows.Scan(&p.Agent, &p.Queue, &p.Start, &p.Display, &p.TZ,
			&c.Answered, &c.TalkS, &c.MaxTalkS, &c.Transferred, &c.Dispositions, &c.ResolvedFirstContact,
			&c.RingNoAnswer, &c.RingNoAnswerMs, &c.RingCanceled,
			&c.LoggedInS, &unknown, &c.InCallS, &c.PausedS, &keys, &secs, &c.StaleSessions, &p.Versions); err != nil {
			return nil, fmt.Errorf("cannot read agent figures: %w", err)
		}
		p.Start = p.Start.UTC()
		c.LoginUnknown = unknown == 1
		// 18.16's sumMap takes no String keys: the reasons are summed here.
		for i, k := range keys {
			if i < len(secs) && secs[i] > 0 {
				if c.PausedByReason == nil {
					c.PausedByReason = map[string]uint64{}
				}
				c.PausedByReason[k] += secs[i]
			}
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read agent figures: %w", err)
	}
	return out, nil
}
