package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

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
// The table is read with FINAL: a rollup row's key (switch, queue, bucket,
// in_hours) never moves to another partition, so FINAL sees every version of
// a key together and keeps the newest. The histograms are merged with sumMap
// and max_wait_s with max; every other count is a sum. The offered calls of
// rows written before the waits per outcome (migration 0014) are summed
// into UnsplitOffered, so the thresholds of their period read as unknown.
func (s *Store) PeriodRollups(ctx context.Context, switchName, queue, period string, from, to time.Time, inHoursOnly bool) (map[time.Time]cdr.PeriodRollup, error) {
	col, ok := periodColumns[period]
	if !ok {
		return nil, fmt.Errorf("cannot read period counts: unknown period %q", period)
	}
	out := map[time.Time]cdr.PeriodRollup{}
	err := s.sumRollups(ctx, col, switchName, queue, from, to, inHoursOnly, func(rows driver.Rows) error {
		var start time.Time
		r, err := scanSums(rows, &start)
		if err != nil {
			return err
		}
		out[start.UTC()] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read period counts of %s: %w", queue, err)
	}
	return out, nil
}

// sumsSelect is what a read of summed rollup rows selects after its key:
// the counts, the histograms merged with sumMap (the waits per outcome of
// migration 0010 among them), the offered calls of rows written before
// 0010, and the settings the rows were counted with (scanSums reads them).
const sumsSelect = `
	sum(offered), sum(answered), sum(abandoned), sum(timeout), sum(exit_key), sum(exit_other), sum(unknown),
	sum(short_abandoned), sum(answered_within_sla), sum(abandoned_within_sla), sum(transferred),
	sum(wait_answered_s), sum(wait_all_s), sum(talk_s), max(max_wait_s),
	tupleElement(sumMap(wait_hist_keys, wait_hist_counts) AS hist, 1), tupleElement(hist, 2),
	tupleElement(sumMap(answered_wait_keys, answered_wait_counts) AS ans, 1), tupleElement(ans, 2),
	tupleElement(sumMap(abandoned_wait_keys, abandoned_wait_counts) AS ab, 1), tupleElement(ab, 2),
	sumIf(offered, waits_by_outcome = 0),
	sum(dispositions), sum(resolved_first_contact),
	arraySort(groupUniqArray(settings_version)), argMax(settings_version, version),
	argMax(sla_s, version), argMax(short_abandon_s, version), argMax(sla_formula, version), argMax(sla_target, version), argMax(fcr_target, version)`

// sumRollups runs the read of PeriodRollups with key (an expression of
// rollup_15m's columns, made by this package, never by a caller) in place
// of the period start, and calls each for every row, in the order of the
// key. It adds the filters of PeriodRollups: the queue, the buckets in
// [from, to), the switch, in_hours and the reader's switches.
func (s *Store) sumRollups(ctx context.Context, key, switchName, queue string, from, to time.Time, inHoursOnly bool, each func(driver.Rows) error) error {
	if !from.Before(to) {
		return nil
	}
	var q strings.Builder
	q.WriteString(`SELECT ` + key + ` AS k,` + sumsSelect + `
FROM rollup_15m FINAL
WHERE queue = ? AND bucket >= ? AND bucket < ?`)
	args := []any{queue, from.UTC(), to.UTC()}
	if switchName != "" && switchName != cdr.AllSwitches {
		q.WriteString(" AND switch = ?")
		args = append(args, switchName)
	}
	if inHoursOnly {
		q.WriteString(" AND in_hours = 1")
	}
	scope, scopeArgs := readScope(ctx)
	q.WriteString(scope)
	args = append(args, scopeArgs...)
	q.WriteString("\nGROUP BY k\nORDER BY k")

	rows, err := s.conn.Query(ctx, q.String(), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanSums reads one row of sumRollups: its key into key, and the sums.
func scanSums(rows driver.Rows, key any) (cdr.PeriodRollup, error) {
	var (
		r           cdr.PeriodRollup
		c           = &r.Counts
		keys        []uint32
		vals        []uint64
		ansK, abK   []uint32
		ansV, abV   []uint64
		slaS, short uint32
	)
	if err := rows.Scan(key,
		&c.Offered, &c.Answered, &c.Abandoned, &c.Timeout, &c.ExitKey, &c.ExitOther, &c.Unknown,
		&c.ShortAbandoned, &c.AnsweredWithinSLA, &c.AbandonedWithinSLA, &c.Transferred,
		&c.WaitAnsweredS, &c.WaitAllS, &c.TalkS, &c.MaxWaitS,
		&keys, &vals, &ansK, &ansV, &abK, &abV, &c.UnsplitOffered,
		&c.Dispositions, &c.ResolvedFirstContact,
		&r.Versions, &r.With.Version,
		&slaS, &short, &r.With.SLAFormula, &r.With.SLATarget, &r.With.FCRTarget); err != nil {
		return r, err
	}
	for _, h := range []struct {
		to   *map[uint32]uint64
		keys []uint32
		vals []uint64
	}{{&c.WaitHist, keys, vals}, {&c.AnsweredWaits, ansK, ansV}, {&c.AbandonedWaits, abK, abV}} {
		if len(h.keys) != len(h.vals) {
			return r, fmt.Errorf("histogram of %d keys and %d counts", len(h.keys), len(h.vals))
		}
		if len(h.keys) > 0 {
			*h.to = make(map[uint32]uint64, len(h.keys))
			for i, k := range h.keys {
				(*h.to)[k] += h.vals[i]
			}
		}
	}
	r.With.SLAS, r.With.ShortAbandonS = int(slaS), int(short)
	return r, nil
}
