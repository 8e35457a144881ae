package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/acdstat/acdstat/cdr"
)

// DistributionRollups sums the rollup rows of one queue whose 15-minute
// bucket is in [from, to) per slot of the distribution by (cdr.Bys): per
// local hour of day (0–23), the hour on the clock of the bucket's start, or
// per local weekday (ISO, 1 Monday … 7 Sunday), that of the local day the
// bucket belongs to; with the settings the rows were counted with, as
// PeriodRollups. Both 02:00 hours of an autumn daylight-saving day go to
// hour 2. Slots without rows are absent; switchName, inHoursOnly and the
// reader's switches filter as in PeriodRollups.
//
// The local clock is the one the rollup stored with each row (the offsets
// of migration 0006: the bucket's for the hour, the local day's for the
// weekday); rows written before 0006 have none, and get the offset of loc,
// the queue's zone, at their start (offsetSQL).
func (s *Store) DistributionRollups(ctx context.Context, switchName, queue, by string, from, to time.Time, inHoursOnly bool, loc *time.Location) (map[int]cdr.PeriodRollup, error) {
	var key string
	switch by {
	case cdr.ByHourOfDay:
		local := "(toInt64(toUInt32(bucket)) + ifNull(bucket_offset_s, " + offsetSQL("bucket", loc, from, to) + "))"
		key = "toUInt8(intDiv(" + local + " % 86400, 3600))"
	case cdr.ByWeekday:
		// A local day starts at most a day before its first bucket.
		local := "(toInt64(toUInt32(day_start)) + ifNull(day_offset_s, " + offsetSQL("day_start", loc, from.Add(-24*time.Hour), to) + "))"
		key = "toUInt8((intDiv(" + local + ", 86400) + 3) % 7 + 1)" // 1970-01-01 was a Thursday
	default:
		return nil, fmt.Errorf("cannot read the distribution of %s: unknown distribution %q", queue, by)
	}
	out := map[int]cdr.PeriodRollup{}
	err := s.sumRollups(ctx, key, switchName, queue, from, to, inHoursOnly, func(rows driver.Rows) error {
		var slot uint8
		r, err := scanSums(rows, &slot)
		if err != nil {
			return err
		}
		out[int(slot)] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the distribution of %s: %w", queue, err)
	}
	return out, nil
}

// sumsSelect is what a read of summed rollup rows selects after its key:
// the counts, the histograms merged with sumMap (the waits per outcome of
// migration 0014 among them), the offered calls of rows written before
// 0014, and the settings the rows were counted with (scanSums reads them).
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

// sumRollups sums the rows of rollup_15m with key (an expression of
// rollup_15m's columns, made by this package, never by a caller) in place
// of the period start, and calls each for every row, in the order of the
// key (DistributionRollups). It adds the filters of PeriodRollups: the queue, the buckets in
// [from, to), the switch, in_hours and the reader's switches.
func (s *Store) sumRollups(ctx context.Context, key, switchName, queue string, from, to time.Time, inHoursOnly bool, each func(driver.Rows) error) error {
	if !from.Before(to) {
		return nil
	}
	var q strings.Builder
	q.WriteString(`SELECT ` + key + ` AS k,` + sumsSelect + `
FROM rollup_15m FINAL
WHERE queue = ? AND bucket >= ? AND bucket < ?`)
	filter, filterArgs := rollupFilter(ctx, switchName, inHoursOnly)
	q.WriteString(filter)
	args := append([]any{queue, from.UTC(), to.UTC()}, filterArgs...)
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
