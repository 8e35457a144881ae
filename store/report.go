package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/cdr"
)

// periodColumns maps a period (cdr.Periods) to the rollup_15m column that
// holds its start. The column name goes into SQL, so it only ever comes from
// this map, never from the caller.
var periodColumns = map[string]string{
	"15m":     "bucket",
	"hour":    "hour_start",
	"day":     "day_start",
	"month":   "month_start",
	"quarter": "quarter_start",
	"year":    "year_start",
}

// dayPeriods are the periods whose starts rollup_day holds (migration
// 0016): a period of whole local days.
var dayPeriods = map[string]bool{"day": true, "month": true, "quarter": true, "year": true}

// periodSums sums the rows of a subquery that gives queue, period_start,
// the counts under their rollup_15m names, p_versions (the settings
// versions of the row) and p_counted (the rollup version whose
// settings_version and thresholds the row gives), per queue and period.
const periodSums = `SELECT queue, period_start,
	sum(offered), sum(answered), sum(abandoned), sum(timeout), sum(exit_key), sum(exit_other), sum(unknown),
	sum(short_abandoned), sum(answered_within_sla), sum(abandoned_within_sla), sum(transferred),
	sum(wait_answered_s), sum(wait_all_s), sum(talk_s), max(max_wait_s),
	tupleElement(sumMap(wait_hist_keys, wait_hist_counts) AS hist, 1), tupleElement(hist, 2),
	tupleElement(sumMap(answered_wait_keys, answered_wait_counts) AS ans, 1), tupleElement(ans, 2),
	tupleElement(sumMap(abandoned_wait_keys, abandoned_wait_counts) AS ab, 1), tupleElement(ab, 2),
	sum(p_unsplit),
	sum(dispositions), sum(resolved_first_contact),
	arraySort(groupUniqArrayArray(p_versions)), argMax(settings_version, p_counted),
	argMax(sla_s, p_counted), argMax(short_abandon_s, p_counted), argMax(sla_formula, p_counted), argMax(sla_target, p_counted), argMax(fcr_target, p_counted)`

// periodGroups ends the query of periodSums.
const periodGroups = `
GROUP BY queue, period_start
ORDER BY queue, period_start`

// sumColumns are the columns periodSums sums, as rollup_15m and rollup_day
// both name them.
const sumColumns = `queue, offered, answered, abandoned, timeout, exit_key, exit_other, unknown,
        short_abandoned, answered_within_sla, abandoned_within_sla, transferred,
        wait_answered_s, wait_all_s, talk_s, max_wait_s, wait_hist_keys, wait_hist_counts,
        dispositions, resolved_first_contact, settings_version, sla_s, short_abandon_s, sla_formula, sla_target, fcr_target,
        answered_wait_keys, answered_wait_counts, abandoned_wait_keys, abandoned_wait_counts`

// bucketColumns and dayColumns are what periodSums reads of a row of
// rollup_15m and of rollup_day.
const (
	bucketColumns = sumColumns + `, [settings_version] AS p_versions, version AS p_counted, if(waits_by_outcome = 0, offered, 0) AS p_unsplit`
	dayColumns    = sumColumns + `, settings_versions AS p_versions, counted_version AS p_counted, unsplit_offered AS p_unsplit`
)

// QueueRange is one queue of a read of several (PeriodRollupsOf) and the
// range [From, To) read of it: each queue has its own, since each has its
// own zone, in which its local periods begin.
type QueueRange struct {
	Queue    string
	From, To time.Time
}

// rangeSpan is the queues that share one range, in UTC.
type rangeSpan struct {
	queues   []string
	from, to time.Time
}

// spansOf groups the queues of rs by range, leaving out empty ranges, in
// the order of their first queue: the queues of one zone share a range,
// and the query then has one condition for all of them.
func spansOf(rs []QueueRange) []rangeSpan {
	var out []rangeSpan
	for _, r := range rs {
		if !r.From.Before(r.To) {
			continue
		}
		from, to := r.From.UTC(), r.To.UTC()
		i := slices.IndexFunc(out, func(s rangeSpan) bool { return s.from.Equal(from) && s.to.Equal(to) })
		if i < 0 {
			out = append(out, rangeSpan{from: from, to: to})
			i = len(out) - 1
		}
		out[i].queues = append(out[i].queues, r.Queue)
	}
	return out
}

// spanCondition returns the condition, OR over spans, that a row is of one
// of a span's queues and cond holds of that span's range, and its
// arguments; cond's arguments are given by args of the span's from and to.
func spanCondition(spans []rangeSpan, cond string, args func(from, to time.Time) []any) (string, []any) {
	conds := make([]string, len(spans))
	var out []any
	for i, s := range spans {
		set := clickhouse.GroupSet{Value: make([]any, len(s.queues))}
		for j, q := range s.queues {
			set.Value[j] = q
		}
		// A GroupSet binds as a parenthesized list: queue IN ('a', 'b').
		conds[i] = "(queue IN ? AND " + cond + ")"
		out = append(append(out, set), args(s.from, s.to)...)
	}
	return "(" + strings.Join(conds, " OR ") + ")", out
}

// periodDaysQuery is the query of PeriodRollupsOf over whole local days,
// and its arguments: a day of rollup_day counts where every bucket it sums
// lies in its queue's range; the buckets in the range of the days in cut
// (the days the range cuts, cutDays) come from rollup_15m. where holds the
// conditions on switch and in_hours, with whereArgs, for both tables.
func periodDaysQuery(col string, spans []rangeSpan, where string, whereArgs []any, cut []clickhouse.GroupSet) (string, []any) {
	days, args := spanCondition(spans, "day_start >= ? AND day_start < ? AND first_bucket >= ? AND last_bucket < ?",
		func(from, to time.Time) []any { return []any{dayBefore(from), to, from, to} })
	q := periodSums + `
FROM (
    SELECT ` + col + ` AS period_start, ` + dayColumns + `
    FROM rollup_day FINAL
    WHERE buckets > 0 AND ` + days + where
	args = append(args, whereArgs...)
	if len(cut) > 0 {
		var starts []time.Time
		for _, k := range cut {
			starts = append(starts, k.Value[2].(time.Time))
		}
		dayspans, spanArgs := bucketSpans(starts, 0, maxDaySpan)
		buckets, bucketArgs := spanCondition(spans, "bucket >= ? AND bucket < ?",
			func(from, to time.Time) []any { return []any{from, to} })
		q += `
    UNION ALL
    SELECT ` + col + ` AS period_start, ` + bucketColumns + `
    FROM rollup_15m FINAL
    WHERE ` + buckets + ` AND (` + dayspans + `) AND (queue, switch, day_start, in_hours) IN (?)` + where
		args = append(append(args, bucketArgs...), spanArgs...)
		args = append(append(args, cut), whereArgs...)
	}
	return q + `
)` + periodGroups, args
}

// cutDays returns the keys (queue, switch, day_start, in_hours) of the day
// rows of the queues of spans that have buckets both in their queue's
// range and outside it: the days whose buckets in the range
// PeriodRollupsOf reads from rollup_15m. A range from local midnight to
// local midnight cuts none, and the report then reads rollup_day alone.
// where and whereArgs are PeriodRollupsOf's.
func (s *Store) cutDays(ctx context.Context, spans []rangeSpan, where string, whereArgs []any) ([]clickhouse.GroupSet, error) {
	days, args := spanCondition(spans, "day_start >= ? AND day_start < ? AND last_bucket >= ? AND first_bucket < ? AND (first_bucket < ? OR last_bucket >= ?)",
		func(from, to time.Time) []any { return []any{dayBefore(from), to, from, to, from, to} })
	rows, err := s.conn.Query(ctx, `SELECT queue, switch, day_start, in_hours FROM rollup_day FINAL
WHERE buckets > 0 AND `+days+where, append(args, whereArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the days the ranges cut: %w", err)
	}
	defer rows.Close()
	var out []clickhouse.GroupSet
	for rows.Next() {
		var (
			queue, sw string
			day       time.Time
			in        uint8
		)
		if err := rows.Scan(&queue, &sw, &day, &in); err != nil {
			return nil, fmt.Errorf("cannot read the days the ranges cut: %w", err)
		}
		out = append(out, clickhouse.GroupSet{Value: []any{queue, sw, day.UTC(), in}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the days the ranges cut: %w", err)
	}
	return out, nil
}

// PeriodCounts is PeriodRollups without the settings the counts were
// made with.
func (s *Store) PeriodCounts(ctx context.Context, switchName, queue, period string, from, to time.Time, inHoursOnly bool) (map[time.Time]cdr.Counts, error) {
	rs, err := s.PeriodRollups(ctx, switchName, queue, period, from, to, inHoursOnly)
	if err != nil {
		return nil, err
	}
	out := make(map[time.Time]cdr.Counts, len(rs))
	for k, r := range rs {
		out[k] = r.Counts
	}
	return out, nil
}

// PeriodRollups sums the rollup rows of one queue whose 15-minute bucket is
// in [from, to), per period start of the given period (the UTC instant
// where the local period begins, as the rollup stored it in the queue's
// zone), and says what they were counted with: the settings versions of
// the rows, and the settings of the row counted last (migration 0008). from
// and to may lie inside a period (on a bucket boundary): that period's
// counts are then those of its buckets in the range, still keyed by its
// start, and report.Build marks its row partial. A switchName of "" or "*"
// sums every switch; inHoursOnly keeps the calls that joined while the
// queue was open (and the versions and settings of their rows). Periods
// without rows are absent from the map: the caller (report.Build) fills
// them with zero counts. A read limited to some switches (cdr.WithSwitches)
// sums only theirs. It is PeriodRollupsOf of the one queue.
func (s *Store) PeriodRollups(ctx context.Context, switchName, queue, period string, from, to time.Time, inHoursOnly bool) (map[time.Time]cdr.PeriodRollup, error) {
	out, err := s.PeriodRollupsOf(ctx, switchName, period, []QueueRange{{Queue: queue, From: from, To: to}}, inHoursOnly)
	if err != nil {
		return nil, err
	}
	return out[queue], nil
}

// PeriodRollupsOf is PeriodRollups of several queues at once, each with
// its own range (QueueRange), in at most two queries whatever their
// number: a report of ten queues is two round trips, not twenty
// (docs/BENCHMARKS.md). The answer has a map, possibly empty, for every
// queue of queues; a queue may be named once only.
//
// The tables are read with FINAL: a rollup row's key (switch, queue, bucket,
// in_hours) never moves to another partition, so FINAL sees every version of
// a key together and keeps the newest. It stays needed with one query for
// many queues: summing rollup_day without it would count every version of
// a day rewritten since the last merge. The histograms are merged with
// sumMap and max_wait_s with max; every other count is a sum. The offered
// calls of rows written before the waits per outcome (migrations 0014 and
// 0015) are summed into UnsplitOffered, so the thresholds of their period
// read as unknown.
//
// A period of days (day, month, quarter, year) sums the day rows of
// rollup_day (migration 0016) whose buckets all lie in their queue's
// range, and the 15-minute rows of the days that a range cuts (cutDays, a
// first small query for all queues; none where every range runs from local
// midnight to local midnight): a queue-year is ~730 rows instead of
// ~35,000 (docs/BENCHMARKS.md). The sums are the same, since a day row is
// its buckets' rows summed, counted again by every write of them
// (WriteRollups). Until Migrate has filled rollup_day from older rollups,
// every period is read from rollup_15m. Each queue's rows are selected by
// its own range and summed per queue, so a queue's periods are those it
// would have alone.
func (s *Store) PeriodRollupsOf(ctx context.Context, switchName, period string, queues []QueueRange, inHoursOnly bool) (map[string]map[time.Time]cdr.PeriodRollup, error) {
	col, ok := periodColumns[period]
	if !ok {
		return nil, fmt.Errorf("cannot read period counts: unknown period %q", period)
	}
	out := make(map[string]map[time.Time]cdr.PeriodRollup, len(queues))
	for _, r := range queues {
		if _, ok := out[r.Queue]; ok {
			return nil, fmt.Errorf("cannot read period counts: queue %q asked twice", r.Queue)
		}
		out[r.Queue] = map[time.Time]cdr.PeriodRollup{}
	}
	spans := spansOf(queues)
	if len(spans) == 0 {
		return out, nil
	}
	names := func() string {
		var n []string
		for _, r := range queues {
			n = append(n, r.Queue)
		}
		return strings.Join(n, ", ")
	}
	ready := false
	if dayPeriods[period] {
		var err error
		if ready, err = s.daysReady(ctx); err != nil {
			return nil, fmt.Errorf("cannot read period counts of %s: %w", names(), err)
		}
	}
	where, whereArgs := rollupFilter(ctx, switchName, inHoursOnly)

	var (
		q    string
		args []any
	)
	if ready {
		cut, err := s.cutDays(ctx, spans, where, whereArgs)
		if err != nil {
			return nil, fmt.Errorf("cannot read period counts of %s: %w", names(), err)
		}
		q, args = periodDaysQuery(col, spans, where, whereArgs, cut)
	} else {
		buckets, bucketArgs := spanCondition(spans, "bucket >= ? AND bucket < ?",
			func(from, to time.Time) []any { return []any{from, to} })
		q = periodSums + `
FROM (
    SELECT ` + col + ` AS period_start, ` + bucketColumns + `
    FROM rollup_15m FINAL
    WHERE ` + buckets + where + `
)` + periodGroups
		args = append(bucketArgs, whereArgs...)
	}

	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read period counts of %s: %w", names(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			queue       string
			start       time.Time
			r           cdr.PeriodRollup
			c           = &r.Counts
			keys        []uint32
			vals        []uint64
			ansK, abK   []uint32
			ansV, abV   []uint64
			slaS, short uint32
		)
		if err := rows.Scan(&queue, &start,
			&c.Offered, &c.Answered, &c.Abandoned, &c.Timeout, &c.ExitKey, &c.ExitOther, &c.Unknown,
			&c.ShortAbandoned, &c.AnsweredWithinSLA, &c.AbandonedWithinSLA, &c.Transferred,
			&c.WaitAnsweredS, &c.WaitAllS, &c.TalkS, &c.MaxWaitS,
			&keys, &vals, &ansK, &ansV, &abK, &abV, &c.UnsplitOffered,
			&c.Dispositions, &c.ResolvedFirstContact,
			&r.Versions, &r.With.Version,
			&slaS, &short, &r.With.SLAFormula, &r.With.SLATarget, &r.With.FCRTarget); err != nil {
			return nil, fmt.Errorf("cannot read period counts of %s: %w", names(), err)
		}
		for _, h := range []struct {
			to   *map[uint32]uint64
			keys []uint32
			vals []uint64
		}{{&c.WaitHist, keys, vals}, {&c.AnsweredWaits, ansK, ansV}, {&c.AbandonedWaits, abK, abV}} {
			if len(h.keys) != len(h.vals) {
				return nil, fmt.Errorf("cannot read period counts of %s: histogram of %d keys and %d counts", queue, len(h.keys), len(h.vals))
			}
			if len(h.keys) > 0 {
				*h.to = make(map[uint32]uint64, len(h.keys))
				for i, k := range h.keys {
					(*h.to)[k] += h.vals[i]
				}
			}
		}
		r.With.SLAS, r.With.ShortAbandonS = int(slaS), int(short)
		m, ok := out[queue]
		if !ok {
			return nil, fmt.Errorf("cannot read period counts of %s: a row of queue %q, not asked for", names(), queue)
		}
		m[start.UTC()] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read period counts of %s: %w", names(), err)
	}
	return out, nil
}

// rollupFilter is the conditions of a rollup read beyond queue and time:
// the switch (none for all switches), opening hours only, and the
// reader's scope (readScope), each as " AND …", with their arguments.
func rollupFilter(ctx context.Context, switchName string, inHoursOnly bool) (string, []any) {
	var where strings.Builder
	var args []any
	if switchName != "" && switchName != cdr.AllSwitches {
		where.WriteString(" AND switch = ?")
		args = append(args, switchName)
	}
	if inHoursOnly {
		where.WriteString(" AND in_hours = 1")
	}
	scope, scopeArgs := readScope(ctx)
	where.WriteString(scope)
	return where.String(), append(args, scopeArgs...)
}
