package store

import (
	"context"
	"fmt"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

const insertFunnelSQL = `INSERT INTO funnel_calls (entry, switch, call_id, start, bucket, day_start, month_start, tz, outcome, queue, version)`

// WriteFunnelCalls stores funnel calls with version; a call's row replaces
// the stored one of the same (entry, switch, call id) with a lower version.
func (s *Store) WriteFunnelCalls(ctx context.Context, calls []cdr.FunnelCall, tz map[string]string, version uint64) error {
	n := len(calls)
	if n == 0 {
		return nil
	}
	entry, sw, id, zone, outcome, queue := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	start, bucket, day, month := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	versions := make([]uint64, n)
	for i := range calls {
		c := &calls[i]
		entry[i], sw[i], id[i], zone[i], outcome[i], queue[i] = c.Entry, c.Switch, c.CallID, tz[c.Entry], c.Outcome, c.Queue
		start[i], bucket[i], day[i], month[i] = c.Start.UTC(), c.Keys.Bucket.UTC(), c.Keys.Day.UTC(), c.Keys.Month.UTC()
		versions[i] = version
	}
	return s.sendColumns(ctx, "funnel_calls", insertFunnelSQL,
		[]any{entry, sw, id, start, bucket, day, month, zone, outcome, queue, versions})
}

// FunnelStays returns the current queue stays of the given calls.
func (s *Store) FunnelStays(ctx context.Context, refs []CallRef) ([]cdr.FunnelStay, error) {
	cur, err := s.CurrentStays(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := make([]cdr.FunnelStay, 0, len(cur))
	for k, st := range cur {
		if st.Deleted {
			continue
		}
		out = append(out, cdr.FunnelStay{Switch: k.Switch, CallID: k.CallID, Queue: k.Queue, EnterTime: st.EnterTime})
	}
	return out, nil
}

// FunnelPeriod is one period of an entry's funnel, summed over switches (or
// of one switch).
type FunnelPeriod struct {
	Start                                      time.Time
	Entered, ReachedQueue, HungUpInMenu, Other uint64
	Reached                                    map[string]uint64 // by queue
}

// FunnelPeriods returns the funnel of entry per period ("day" or "month",
// local in the entry's zone, as stored) of the calls whose 15-minute bucket
// lies in [from, to), over every switch or of switchName, ordered by start.
// A from or to inside a period counts that period's calls in the range only
// (acdstat report marks the row partial), as PeriodCounts does.
func (s *Store) FunnelPeriods(ctx context.Context, entry, switchName, period string, from, to time.Time) ([]FunnelPeriod, error) {
	col := map[string]string{"day": "day_start", "month": "month_start"}[period]
	if col == "" {
		return nil, fmt.Errorf("cannot read funnel: period %q is not day or month", period)
	}
	// col is one of two constants; every input is a bound parameter.
	rows, err := s.conn.Query(ctx, `SELECT `+col+` AS p, outcome, queue, count()
FROM funnel_calls FINAL
WHERE entry = ? AND (? = '' OR switch = ?) AND bucket >= ? AND bucket < ?
GROUP BY p, outcome, queue
ORDER BY p, outcome, queue`, entry, switchName, switchName, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read funnel: %w", err)
	}
	defer rows.Close()
	var out []FunnelPeriod
	for rows.Next() {
		var p time.Time
		var outcome, queue string
		var n uint64
		if err := rows.Scan(&p, &outcome, &queue, &n); err != nil {
			return nil, fmt.Errorf("cannot read funnel: %w", err)
		}
		p = p.UTC()
		if len(out) == 0 || !out[len(out)-1].Start.Equal(p) {
			out = append(out, FunnelPeriod{Start: p, Reached: map[string]uint64{}})
		}
		f := &out[len(out)-1]
		f.Entered += n
		switch outcome {
		case cdr.FunnelQueue:
			f.ReachedQueue += n
			f.Reached[queue] += n
		case cdr.FunnelMenu:
			f.HungUpInMenu += n
		default:
			f.Other += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read funnel: %w", err)
	}
	return out, nil
}
