package store

import (
	"context"
	"fmt"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// currentCallsBetween is queue_calls_current limited to the stays whose
// current enter_time lies in [from, to), as a subquery with the view's
// columns, and its arguments. queue_calls_current groups every row of
// queue_calls on every query (18.16 pushes no WHERE into a view's GROUP
// BY), so a read of one month through it reads all history; this reads the
// monthly partitions of [from - maxEnterMove, to + maxEnterMove) only. A
// zero to leaves the range open at its end: the stays that entered at or
// after from, reading the partitions from from - maxEnterMove on.
//
// It is exact for the same reason as CallsInBuckets: a rebuild moves a
// stay's enter time by less than maxEnterMove, so every version of a stay
// whose newest version enters in [from, to) is read, and the newest of
// them is the newest of the stay; a stay whose newest version enters
// outside [from, to) is left out, whichever of its versions are read.
// README.md ("BI tools") gives the same query for BI tools.
func currentCallsBetween(from, to time.Time) (string, []any) {
	return currentCallsWhere(from, to, "", nil)
}

// currentCallsWhere is currentCallsBetween with keyWhere (" AND …", with
// keyArgs) added to the rows read before they are grouped: conditions on
// the stay key (switch, call_id, queue, seq) alone, which every version of
// a stay shares, so that they leave out whole stays and never the newest
// version of one.
func currentCallsWhere(from, to time.Time, keyWhere string, keyArgs []any) (string, []any) {
	rows, current := "enter_time >= ?", "v_enter_time >= ?"
	rowArgs, currentArgs := []any{from.UTC().Add(-maxEnterMove)}, []any{from.UTC()}
	if !to.IsZero() {
		rows, current = rows+" AND enter_time < ?", current+" AND v_enter_time < ?"
		rowArgs, currentArgs = append(rowArgs, to.UTC().Add(maxEnterMove)), append(currentArgs, to.UTC())
	}
	args := append(append(rowArgs, keyArgs...), currentArgs...)
	return `SELECT
    switch, call_id, queue, seq,
    v_version AS version, v_outcome AS outcome, v_enter_time AS enter_time, v_answer_time AS answer_time,
    v_end_time AS end_time, v_wait_s AS wait_s, v_talk_s AS talk_s, v_transferred AS transferred,
    v_agent AS agent, v_caller AS caller, v_end_verb AS end_verb, v_last_event_time AS last_event_time,
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
    WHERE ` + rows + keyWhere + `
    GROUP BY switch, call_id, queue, seq
)
WHERE v_deleted = 0 AND ` + current, args
}

// CurrentCalls returns the current version of every stay of queue (every
// queue where queue is "") that entered in [from, to), as
// queue_calls_current has it, sorted by enter time, switch, call id and
// seq: at most limit of them. A switchName of "" or "*" means every switch
// (every switch of a reader limited to some, cdr.WithSwitches). The cost
// follows the calls of the range, not the history (currentCallsBetween).
func (s *Store) CurrentCalls(ctx context.Context, switchName, queue string, from, to time.Time, limit int) ([]cdr.QueueCall, error) {
	if !from.Before(to) || limit <= 0 {
		return nil, nil
	}
	sub, args := currentCallsBetween(from, to)
	q := `SELECT switch, call_id, queue, seq, outcome, enter_time, answer_time, end_time, wait_s, talk_s, transferred, agent, caller, end_verb
FROM (` + sub + `)
WHERE 1`
	if queue != "" {
		q += " AND queue = ?"
		args = append(args, queue)
	}
	if switchName != "" && switchName != cdr.AllSwitches {
		q += " AND switch = ?"
		args = append(args, switchName)
	}
	scope, scopeArgs := readScope(ctx)
	q += scope + "\nORDER BY enter_time, switch, call_id, seq\nLIMIT ?"
	args = append(append(args, scopeArgs...), limit)
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the calls from %v to %v: %w", from, to, err)
	}
	defer rows.Close()
	var out []cdr.QueueCall
	for rows.Next() {
		var (
			c  cdr.QueueCall
			o  string
			tr uint8
		)
		if err := rows.Scan(&c.Switch, &c.CallID, &c.Queue, &c.Seq, &o, &c.EnterTime, &c.AnswerTime, &c.EndTime,
			&c.WaitS, &c.TalkS, &tr, &c.Agent, &c.Caller, &c.EndVerb); err != nil {
			return nil, fmt.Errorf("cannot read the calls from %v to %v: %w", from, to, err)
		}
		c.Outcome = outcomeByName[o]
		c.Transferred = tr == 1
		c.EnterTime, c.AnswerTime, c.EndTime = c.EnterTime.UTC(), c.AnswerTime.UTC(), c.EndTime.UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the calls from %v to %v: %w", from, to, err)
	}
	return out, nil
}
