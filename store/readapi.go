package store

import (
	"context"
	"fmt"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// RollupQueues returns the names of the queues that have rollup rows, sorted:
// with the queue file, the queues a reader can ask about (a reader limited
// to some switches, cdr.WithSwitches: the queues with rows of those).
func (s *Store) RollupQueues(ctx context.Context) ([]string, error) {
	scope, args := readScope(ctx)
	rows, err := s.conn.Query(ctx, `SELECT queue FROM rollup_15m WHERE 1`+scope+` GROUP BY queue ORDER BY queue`, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot list queues: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			return nil, fmt.Errorf("cannot list queues: %w", err)
		}
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list queues: %w", err)
	}
	return out, nil
}

// MaxCallbacks bounds the callers one AbandonedCallers call returns.
const MaxCallbacks = 10000

// AbandonedCallers returns the abandoned queue calls of a queue that joined
// in [from, to), oldest first, leaving out each caller who later (at or
// after the abandoned stay's enter time) joined a queue of the same switch
// and was answered: the callers still to ring back. A switchName of "" or
// "*" means every switch (every switch of a reader limited to some,
// cdr.WithSwitches). Only Switch, CallID, Queue, Seq, Outcome,
// EnterTime, WaitS and Caller are set; Caller is what intake stored (empty
// when the switch sent none or the privacy setting dropped it; such calls
// are never matched to a later answer). At most MaxCallbacks are returned.
//
// The answered calls are looked for from from onwards in every queue. Both
// sides read the current versions of the stays as queue_calls_current
// has them, but through currentCallsWhere: only the monthly partitions
// from from less maxEnterMove on (to plus maxEnterMove for the abandoned
// stays), so the cost follows the calls stored since from, not the
// history (docs/BENCHMARKS.md).
func (s *Store) AbandonedCallers(ctx context.Context, switchName, queue string, from, to time.Time) ([]cdr.QueueCall, error) {
	keys, keyArgs := " AND queue = ?", []any{queue}
	if switchName != "" && switchName != cdr.AllSwitches {
		keys, keyArgs = keys+" AND switch = ?", append(keyArgs, switchName)
	}
	scope, scopeArgs := readScope(ctx)
	abandoned, args := currentCallsWhere(from, to, keys+scope, append(keyArgs, scopeArgs...))
	answered, answeredArgs := currentCallsWhere(from, time.Time{}, "", nil)
	rows, err := s.conn.Query(ctx, `SELECT switch, call_id, queue, seq, enter_time, wait_s, caller
FROM (
    SELECT switch, call_id, queue, seq, enter_time, wait_s, caller
    FROM (`+abandoned+`)
    WHERE outcome = 'abandoned'
)
ANY LEFT JOIN (
    SELECT switch, caller, max(enter_time) AS last_answered
    FROM (`+answered+`)
    WHERE outcome = 'answered' AND caller != ''
    GROUP BY switch, caller
) USING (switch, caller)
WHERE caller = '' OR last_answered < enter_time
ORDER BY enter_time, switch, call_id, seq
LIMIT ?`, append(append(args, answeredArgs...), MaxCallbacks)...)
	if err != nil {
		return nil, fmt.Errorf("cannot read abandoned callers of %s: %w", queue, err)
	}
	defer rows.Close()
	var out []cdr.QueueCall
	for rows.Next() {
		c := cdr.QueueCall{Outcome: cdr.Abandoned}
		if err := rows.Scan(&c.Switch, &c.CallID, &c.Queue, &c.Seq, &c.EnterTime, &c.WaitS, &c.Caller); err != nil {
			return nil, fmt.Errorf("cannot read abandoned callers of %s: %w", queue, err)
		}
		c.EnterTime = c.EnterTime.UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read abandoned callers of %s: %w", queue, err)
	}
	return out, nil
}

// WaitingNow counts the queue calls of a queue that joined at or after since
// and have no end yet (outcome waiting), and returns the earliest enter time
// among them (zero when none wait). A switchName of "" or "*" means every
// switch (every switch of a reader limited to some, cdr.WithSwitches). A
// stay with no end is closed as unknown after the stale timeout, so since
// bounds how far back a forgotten stay can count. The stays are read as
// queue_calls_current has them, from the monthly partitions of since less
// maxEnterMove on (currentCallsWhere), not from all history.
func (s *Store) WaitingNow(ctx context.Context, switchName, queue string, since time.Time) (int, time.Time, error) {
	keys, keyArgs := " AND queue = ?", []any{queue}
	if switchName != "" && switchName != cdr.AllSwitches {
		keys, keyArgs = keys+" AND switch = ?", append(keyArgs, switchName)
	}
	var (
		n     uint64
		first time.Time
	)
	scope, scopeArgs := readScope(ctx)
	sub, args := currentCallsWhere(since, time.Time{}, keys+scope, append(keyArgs, scopeArgs...))
	row := s.conn.QueryRow(ctx, `SELECT count(), min(enter_time)
FROM (`+sub+`)
WHERE outcome = 'waiting'`, args...)
	if err := row.Scan(&n, &first); err != nil {
		return 0, time.Time{}, fmt.Errorf("cannot count waiting calls of %s: %w", queue, err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	return int(n), first.UTC(), nil
}
