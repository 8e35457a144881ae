package store

import (
	"context"
	"fmt"
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

// periodSums sums the rows of a subquery that gives period_start, the
// counts under their rollup_15m names, p_versions (the settings versions of
// the row) and p_counted (the rollup version whose settings_version and
// thresholds the row gives).
const periodSums = `SELECT period_start,
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

// sumColumns are the columns periodSums sums, as rollup_15m and rollup_day
// both name them.
const sumColumns = `offered, answered, abandoned, timeout, exit_key, exit_other, unknown,
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

// periodDaysQuery is the query of PeriodRollups over whole local days, and
// its arguments: a day of rollup_day counts where every bucket it sums lies
// in [from, to); the buckets in the range of the days in cut (the days the
// range cuts, cutDays) come from rollup_15m. where holds the conditions on
// switch and in_hours, with whereArgs, for both tables.
func periodDaysQuery(col, queue string, from, to time.Time, where string, whereArgs []any, cut []clickhouse.GroupSet) (string, []any) {
	q := periodSums + `
FROM (
    SELECT ` + col + ` AS period_start, ` + dayColumns + `
    FROM rollup_day FINAL
    WHERE queue = ? AND day_start >= ? AND day_start < ? AND buckets > 0 AND first_bucket >= ? AND last_bucket < ?` + where
	args := append([]any{queue, dayBefore(from), to, from, to}, whereArgs...)
	if len(cut) > 0 {
		var days []time.Time
		for _, k := range cut {
			days = append(days, k.Value[1].(time.Time))
		}
		spans, spanArgs := bucketSpans(days, 0, maxDaySpan)
		q += `
    UNION ALL
    SELECT ` + col + ` AS period_start, ` + bucketColumns + `
    FROM rollup_15m FINAL
    WHERE queue = ? AND bucket >= ? AND bucket < ? AND (` + spans + `) AND (switch, day_start, in_hours) IN (?)` + where
		args = append(args, queue, from, to)
		args = append(append(args, spanArgs...), cut)
		args = append(args, whereArgs...)
	}
	q += `
)
GROUP BY period_start
ORDER BY period_start`
	return q, args
}

// cutDays returns the keys (switch, day_start, in_hours) of the day rows of
// queue that have buckets both in [from, to) and outside it: the days whose
// buckets in the range PeriodRollups reads from rollup_15m. A range from
// local midnight to local midnight cuts none, and the report then reads
// rollup_day alone. where and whereArgs are PeriodRollups'.
func (s *Store) cutDays(ctx context.Context, queue string, from, to time.Time, where string, whereArgs []any) ([]clickhouse.GroupSet, error) {
	rows, err := s.conn.Query(ctx, `SELECT switch, day_start, in_hours FROM rollup_day FINAL
WHERE queue = ? AND day_start >= ? AND day_start < ? AND buckets > 0 AND last_bucket >= ? AND first_bucket < ?
    AND (first_bucket < ? OR last_bucket >= ?)`+where,
		append([]any{queue, dayBefore(from), to, from, to, from, to}, whereArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the days %v to %v cuts: %w", from, to, err)
	}
	defer rows.Close()
	var out []clickhouse.GroupSet
	for rows.Next() {
		var (
			sw  string
			day time.Time
			in  uint8
		)
		if err := rows.Scan(&sw, &day, &in); err != nil {
			return nil, fmt.Errorf("cannot read the days %v to %v cuts: %w", from, to, err)
		}
		out = append(out, clickhouse.GroupSet{Value: []any{sw, day.UTC(), in}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the days %v to %v cuts: %w", from, to, err)
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
// sums only theirs.
//
// The tables are read with FINAL: a rollup row's key (switch, queue, bucket,
// in_hours) never moves to another partition, so FINAL sees every version of
// a key together and keeps the newest. The histograms are merged with sumMap
// and max_wait_s with max; every other count is a sum. The offered calls of
// rows written before the waits per outcome (migrations 0014 and 0015) are
// summed into UnsplitOffered, so the thresholds of their period read as
// unknown.
//
// A period of days (day, month, quarter, year) sums the day rows of
// rollup_day (migration 0016) whose buckets all lie in [from, to), and the
// 15-minute rows of the days that from or to cuts (cutDays, a first small
// query; none where from and to are local midnights): a queue-year is ~730
// rows instead of ~35,000 (docs/BENCHMARKS.md). The sums are the same,
// since a day row is its buckets' rows summed, counted again by every
// write of them (WriteRollups). Until Migrate has filled rollup_day from
// older rollups, every period is read from rollup_15m.
func (s *Store) PeriodRollups(ctx context.Context, switchName, queue, period string, from, to time.Time, inHoursOnly bool) (map[time.Time]cdr.PeriodRollup, error) {
	col, ok := periodColumns[period]
	if !ok {
		return nil, fmt.Errorf("cannot read period counts: unknown period %q", period)
	}
	out := map[time.Time]cdr.PeriodRollup{}
	if !from.Before(to) {
		return out, nil
	}
	ready := false
	if dayPeriods[period] {
		var err error
		if ready, err = s.daysReady(ctx); err != nil {
			return nil, fmt.Errorf("cannot read period counts of %s: %w", queue, err)
		}
	}
	var where strings.Builder
	var whereArgs []any
	if switchName != "" && switchName != cdr.AllSwitches {
		where.WriteString(" AND switch = ?")
		whereArgs = append(whereArgs, switchName)
	}
	if inHoursOnly {
		where.WriteString(" AND in_hours = 1")
	}
	scope, scopeArgs := readScope(ctx)
	where.WriteString(scope)
	whereArgs = append(whereArgs, scopeArgs...)

	var (
		q    string
		args []any
	)
	if ready {
		cut, err := s.cutDays(ctx, queue, from.UTC(), to.UTC(), where.String(), whereArgs)
		if err != nil {
			return nil, fmt.Errorf("cannot read period counts of %s: %w", queue, err)
		}
		q, args = periodDaysQuery(col, queue, from.UTC(), to.UTC(), where.String(), whereArgs, cut)
	} else {
		q = periodSums + `
FROM (
    SELECT ` + col + ` AS period_start, ` + bucketColumns + `
    FROM rollup_15m FINAL
    WHERE queue = ? AND bucket >= ? AND bucket < ?` + where.String() + `
)
GROUP BY period_start
ORDER BY period_start`
		args = append([]any{queue, from.UTC(), to.UTC()}, whereArgs...)
	}

	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read period counts of %s: %w", queue, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			start       time.Time
			r           cdr.PeriodRollup
			c           = &r.Counts
			keys        []uint32
			vals        []uint64
			ansK, abK   []uint32
			ansV, abV   []uint64
			slaS, short uint32
		)
		if err := rows.Scan(&start,
			&c.Offered, &c.Answered, &c.Abandoned, &c.Timeout, &c.ExitKey, &c.ExitOther, &c.Unknown,
			&c.ShortAbandoned, &c.AnsweredWithinSLA, &c.AbandonedWithinSLA, &c.Transferred,
			&c.WaitAnsweredS, &c.WaitAllS, &c.TalkS, &c.MaxWaitS,
			&keys, &vals, &ansK, &ansV, &abK, &abV, &c.UnsplitOffered,
			&c.Dispositions, &c.ResolvedFirstContact,
			&r.Versions, &r.With.Version,
			&slaS, &short, &r.With.SLAFormula, &r.With.SLATarget, &r.With.FCRTarget); err != nil {
			return nil, fmt.Errorf("cannot read period counts of %s: %w", queue, err)
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
		out[start.UTC()] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read period counts of %s: %w", queue, err)
	}
	return out, nil
}
