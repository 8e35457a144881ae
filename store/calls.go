package store

import (
	"context"
	"fmt"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

const insertCallsSQL = "INSERT INTO queue_calls (switch, call_id, queue, seq, version, deleted, outcome, enter_time, answer_time, end_time, wait_s, talk_s, transferred, agent, caller, end_verb, last_event_time, prev_enter_time, disposition, resolved, disposition_code, prev_agent)"

// WriteCalls writes queue calls in one INSERT (built_at is the server's
// clock). A row with a higher version replaces the stored one of the same
// key; a Deleted row (a tombstone, written with deleted = 1 and only its key)
// hides the stay from queue_calls_current. Writing the same rows twice is
// harmless. The slice is not retained.
func (s *Store) WriteCalls(ctx context.Context, calls []cdr.StoredCall) error {
	n := len(calls)
	if n == 0 {
		return nil
	}
	var (
		sw, callID, queue, agent, caller, endVerb, outcome = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		seq                                                = make([]uint16, n)
		version                                            = make([]uint64, n)
		deleted, transferred                               = make([]uint8, n), make([]uint8, n)
		enter, answer, end, last, prev                     = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		waitS, talkS                                       = make([]uint32, n), make([]uint32, n)
		disp, resolved, dispCode                           = make([]uint8, n), make([]uint8, n), make([]string, n)
		prevAgent                                          = make([]string, n)
	)
	epoch := time.Unix(0, 0).UTC()
	for i := range calls {
		c := &calls[i]
		prevAgent[i] = c.PrevAgent
		if c.Deleted {
			sw[i], callID[i], queue[i], seq[i] = c.Switch, c.CallID, c.Queue, c.Seq
			version[i], deleted[i], outcome[i] = c.Version, 1, cdr.Unknown.String()
			enter[i], answer[i], end[i], last[i], prev[i] = orEpoch(c.EnterTime), epoch, epoch, epoch, orEpoch(c.PrevEnterTime)
			continue
		}
		if c.Outcome.String() == "invalid" {
			return fmt.Errorf("cannot write queue call %s/%s: invalid outcome %d", c.Switch, c.CallID, c.Outcome)
		}
		sw[i], callID[i], queue[i], seq[i] = c.Switch, c.CallID, c.Queue, c.Seq
		version[i], outcome[i] = c.Version, c.Outcome.String()
		enter[i], answer[i], end[i], last[i], prev[i] = orEpoch(c.EnterTime), orEpoch(c.AnswerTime), orEpoch(c.EndTime), orEpoch(c.LastEventTime), orEpoch(c.PrevEnterTime)
		waitS[i], talkS[i] = c.WaitS, c.TalkS
		if c.Transferred {
			transferred[i] = 1
		}
		agent[i], caller[i], endVerb[i] = c.Agent, c.Caller, c.EndVerb
		if c.Disposition {
			disp[i], dispCode[i] = 1, c.DispositionCode
			if c.Resolved {
				resolved[i] = 1
			}
		}
	}
	cols := []any{sw, callID, queue, seq, version, deleted, outcome, enter, answer, end, waitS, talkS, transferred, agent, caller, endVerb, last, prev, disp, resolved, dispCode, prevAgent}
	return s.sendColumns(ctx, "queue_calls", insertCallsSQL, cols)
}

// orEpoch stores a zero time as DateTime 0 (1970-01-01), the "none" value.
func orEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// CurrentStays returns the version, enter time and agent of every stored
// stay of the given calls (by switch and call id): the newest version of
// each stay, marked Deleted when that version is a tombstone (the build
// job sends a tombstone again after a failed write, aggregate.Plan).
func (s *Store) CurrentStays(ctx context.Context, refs []CallRef) (map[cdr.Key]cdr.StoredStay, error) {
	out := map[cdr.Key]cdr.StoredStay{}
	for _, chunk := range chunkRefs(refs) {
		qctx, err := refsContext(ctx, chunk)
		if err != nil {
			return nil, err
		}
		// The same as queue_calls_current, with the filter inside the GROUP BY
		// so the primary key (switch, call_id, …) is used: 18.16 does not push
		// a WHERE into a view's subquery.
		rows, err := s.conn.Query(qctx, `SELECT switch, call_id, queue, seq, max(version) AS v, argMax(deleted, version) AS d, argMax(enter_time, version) AS e, argMax(agent, version) AS a
FROM queue_calls
WHERE (switch, call_id) IN (SELECT switch, call_id FROM `+refsTable+`)
GROUP BY switch, call_id, queue, seq`)
		if err != nil {
			return nil, fmt.Errorf("cannot read current stays: %w", err)
		}
		for rows.Next() {
			var k cdr.Key
			var st cdr.StoredStay
			var d uint8
			if err := rows.Scan(&k.Switch, &k.CallID, &k.Queue, &k.Seq, &st.Version, &d, &st.EnterTime, &st.Agent); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read current stays: %w", err)
			}
			st.EnterTime, st.Deleted = st.EnterTime.UTC(), d == 1
			out[k] = st
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("cannot read current stays: %w", err)
		}
	}
	return out, nil
}

// QueueOutcomeCounts returns, per queue, the number of offered stays (every
// stay that is not waiting) by outcome name, from queue_calls_current.
func (s *Store) QueueOutcomeCounts(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.conn.Query(ctx, `SELECT queue, toString(outcome), count()
FROM queue_calls_current
WHERE outcome != 'waiting'
GROUP BY queue, outcome`)
	if err != nil {
		return nil, fmt.Errorf("cannot count outcomes: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var q, o string
		var n uint64
		if err := rows.Scan(&q, &o, &n); err != nil {
			return nil, fmt.Errorf("cannot count outcomes: %w", err)
		}
		if out[q] == nil {
			out[q] = map[string]int{}
		}
		out[q][o] = int(n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot count outcomes: %w", err)
	}
	return out, nil
}
