package store

import (
	"context"
	"fmt"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// QueueCalls returns the current version of every offered queue call of
// queue whose enter_time lies in [from, to), oldest first (then by switch,
// call id and stay): exactly the calls the rollup counts into the buckets
// of that range (CallsInBuckets, whose query this is, for one queue), with
// every stored field, so that a list of them filtered as a figure is
// filtered (report.SelectCalls) adds up to the figure. Deleted and waiting
// stays are left out. A switchName of "" or "*" means every switch (every
// switch of a reader limited to some, cdr.WithSwitches: readScope keeps the
// read to them). Caller is what intake stored: hashed or empty per the
// privacy setting. It returns at most max+1 calls: more than max says the
// range holds more than the caller lists, without reading them all.
//
// The newest version of a stay is looked for within maxEnterMove of the
// range, as in CallsInBuckets, so a stay a rebuild moved out of the range
// is not listed by an old row; the enter_time bounds prune the monthly
// partitions and the queue the rows read.
func (s *Store) QueueCalls(ctx context.Context, switchName, queue string, from, to time.Time, max int) ([]cdr.QueueCall, error) {
	if !from.Before(to) {
		return nil, nil
	}
	all := uint8(0)
	if switchName == "" || switchName == cdr.AllSwitches {
		all = 1
	}
	scope, scopeArgs := readScope(ctx)
	args := append([]any{queue, from.Add(-maxEnterMove).UTC(), to.Add(maxEnterMove).UTC(), all, switchName}, scopeArgs...)
	args = append(args, from.UTC(), to.UTC(), max+1)
	rows, err := s.conn.Query(ctx, `SELECT switch, call_id, queue, seq,
    argMax(deleted, version) AS d, toString(argMax(outcome, version)) AS o, argMax(enter_time, version) AS e,
    argMax(answer_time, version), argMax(end_time, version), argMax(wait_s, version), argMax(talk_s, version),
    argMax(transferred, version), argMax(agent, version), argMax(caller, version), argMax(end_verb, version),
    argMax(disposition, version), argMax(resolved, version), argMax(disposition_code, version)
FROM queue_calls
WHERE queue = ? AND enter_time >= ? AND enter_time < ? AND (? = 1 OR switch = ?)`+scope+`
GROUP BY switch, call_id, queue, seq
HAVING d = 0 AND o != 'waiting' AND e >= ? AND e < ?
ORDER BY e, switch, call_id, seq
LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the calls of %s: %w", queue, err)
	}
	defer rows.Close()
	var out []cdr.QueueCall
	for rows.Next() {
		var (
			c                cdr.QueueCall
			d, tr, disp, res uint8
			o                string
		)
		if err := rows.Scan(&c.Switch, &c.CallID, &c.Queue, &c.Seq, &d, &o, &c.EnterTime, &c.AnswerTime, &c.EndTime,
			&c.WaitS, &c.TalkS, &tr, &c.Agent, &c.Caller, &c.EndVerb, &disp, &res, &c.DispositionCode); err != nil {
			return nil, fmt.Errorf("cannot read the calls of %s: %w", queue, err)
		}
		if c.Outcome, err = outcomeOf(o); err != nil {
			return nil, fmt.Errorf("cannot read the calls of %s: %w", queue, err)
		}
		c.EnterTime, c.AnswerTime, c.EndTime = c.EnterTime.UTC(), c.AnswerTime.UTC(), c.EndTime.UTC()
		c.Transferred, c.Disposition, c.Resolved = tr == 1, disp == 1, res == 1
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the calls of %s: %w", queue, err)
	}
	return out, nil
}

// CallDetail returns one call of one switch as stored: its current stays
// (every queue it joined, oldest first, deleted stays left out, waiting
// ones kept) and every event stored with its call id, from every source,
// once each, ordered by time, microseconds and id. Both are empty where
// the switch has no such call, or where the reader may not read the switch
// (readScope).
func (s *Store) CallDetail(ctx context.Context, switchName, callID string) ([]cdr.QueueCall, []cdr.Event, error) {
	scope, scopeArgs := readScope(ctx)
	args := append([]any{switchName, callID}, scopeArgs...)
	rows, err := s.conn.Query(ctx, `SELECT switch, call_id, queue, seq,
    argMax(deleted, version) AS d, toString(argMax(outcome, version)) AS o, argMax(enter_time, version) AS e,
    argMax(answer_time, version), argMax(end_time, version), argMax(wait_s, version), argMax(talk_s, version),
    argMax(transferred, version), argMax(agent, version), argMax(caller, version), argMax(end_verb, version),
    argMax(disposition, version), argMax(resolved, version), argMax(disposition_code, version)
FROM queue_calls
WHERE switch = ? AND call_id = ?`+scope+`
GROUP BY switch, call_id, queue, seq
HAVING d = 0
ORDER BY e, queue, seq`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read call %s/%s: %w", switchName, callID, err)
	}
	var stays []cdr.QueueCall
	for rows.Next() {
		var (
			c                cdr.QueueCall
			d, tr, disp, res uint8
			o                string
		)
		if err := rows.Scan(&c.Switch, &c.CallID, &c.Queue, &c.Seq, &d, &o, &c.EnterTime, &c.AnswerTime, &c.EndTime,
			&c.WaitS, &c.TalkS, &tr, &c.Agent, &c.Caller, &c.EndVerb, &disp, &res, &c.DispositionCode); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("cannot read call %s/%s: %w", switchName, callID, err)
		}
		if c.Outcome, err = outcomeOf(o); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("cannot read call %s/%s: %w", switchName, callID, err)
		}
		c.EnterTime, c.AnswerTime, c.EndTime = c.EnterTime.UTC(), c.AnswerTime.UTC(), c.EndTime.UTC()
		c.Transferred, c.Disposition, c.Resolved = tr == 1, disp == 1, res == 1
		stays = append(stays, c)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read call %s/%s: %w", switchName, callID, err)
	}

	// events is ordered by (switch, call_id, id): the key reads the call's
	// rows alone, in every partition.
	rows, err = s.conn.Query(ctx, `SELECT switch, call_id, id,
    any(source), any(time) AS t, any(time_us) AS us, any(queue), any(agent), any(verb),
    any(data1), any(data2), any(data3), any(data4), any(data5), min(ingested_at)
FROM events
WHERE switch = ? AND call_id = ?`+scope+`
GROUP BY switch, call_id, id
ORDER BY t, us, id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the events of call %s/%s: %w", switchName, callID, err)
	}
	defer rows.Close()
	var events []cdr.Event
	for rows.Next() {
		var e cdr.Event
		if err := rows.Scan(&e.Switch, &e.CallID, &e.ID, &e.Source, &e.Time, &e.Micros, &e.Queue, &e.Agent, &e.Verb,
			&e.Data[0], &e.Data[1], &e.Data[2], &e.Data[3], &e.Data[4], &e.IngestedAt); err != nil {
			return nil, nil, fmt.Errorf("cannot read the events of call %s/%s: %w", switchName, callID, err)
		}
		e.Time, e.IngestedAt = e.Time.UTC(), e.IngestedAt.UTC()
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("cannot read the events of call %s/%s: %w", switchName, callID, err)
	}
	return stays, events, nil
}

// outcomeOf is the outcome of a stored outcome name, waiting included.
func outcomeOf(name string) (cdr.Outcome, error) {
	if name == cdr.Waiting.String() {
		return cdr.Waiting, nil
	}
	o, ok := cdr.ParseOutcome(name)
	if !ok {
		return 0, fmt.Errorf("unknown outcome %q", name)
	}
	return o, nil
}
