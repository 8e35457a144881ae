package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/cdr"
)

// DaysJob is the job_state entry that says rollup_day holds every day of
// rollup_15m (migration 0016): Migrate fills the table once and sets it,
// and until it is set readers keep to rollup_15m.
const DaysJob = "rollup_day"

// maxDaySpan bounds the buckets of one local day: they lie in [day_start,
// day_start + maxDaySpan). A day lasts 23 to 25 hours across a
// daylight-saving change, 26 across a two-hour one; the bound is wide so
// that no zone's day escapes it. It lets the day queries prune by bucket.
const maxDaySpan = 3 * 24 * time.Hour

// dayKey names one row of rollup_day.
type dayKey struct {
	sw, queue string
	day       int64
	inHours   uint8
}

// dayRow is one row of rollup_day: a day's rollup_15m rows summed.
type dayRow struct {
	key                  dayKey
	month, quarter, year time.Time
	tz                   string
	offsets              [4]*int32 // day, month, quarter, year
	first, last          time.Time
	buckets              uint64
	counts               cdr.Counts
	histKeys             []uint32
	histCounts           []uint64
	// The waits per outcome (migration 0015, as 0014 keeps them per
	// bucket); counts.UnsplitOffered the offered calls of buckets counted
	// without them.
	ansKeys, abKeys          []uint32
	ansCounts, abCounts      []uint64
	versions                 []string
	countedVersion           uint64
	settingsVersion, formula string
	slaS, shortS             uint32
	slaTarget, fcrTarget     float64
}

// recountDays writes again, under version, every rollup_day row of a day
// that one of the buckets of refs belongs to in any stored version of
// rollup_15m, counted from rollup_15m FINAL: the rows of the buckets must
// be written already. A day that has no bucket left (its buckets moved to
// other days with a change of the queue's zone) gets a row of zeros with
// buckets = 0, which readers skip. refs is not retained.
func (s *Store) recountDays(ctx context.Context, refs []cdr.BucketRef, version uint64) error {
	if len(refs) == 0 {
		return nil
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": maxQuerySize}))
	pairs := map[[2]string]bool{}
	starts := make([]time.Time, 0, len(refs))
	for _, r := range refs {
		pairs[[2]string{r.Queue, r.Switch}] = true
		starts = append(starts, cdr.BucketOf(r.Start))
	}
	set := make([]clickhouse.GroupSet, 0, len(pairs))
	for p := range pairs {
		set = append(set, clickhouse.GroupSet{Value: []any{p[0], p[1]}})
	}
	// The days of the buckets, in every version: a bucket whose newest row
	// moved to another day leaves its old day to be counted again.
	cond, args := bucketSpans(starts, 0, cdr.BucketMinutes*time.Minute)
	rows, err := s.conn.Query(ctx, `SELECT switch, queue, day_start, in_hours FROM rollup_15m
WHERE (queue, switch) IN (?) AND (`+cond+`)
GROUP BY switch, queue, day_start, in_hours`, append([]any{set}, args...)...)
	if err != nil {
		return fmt.Errorf("cannot read the days of %d buckets: %w", len(refs), err)
	}
	keys := map[dayKey]bool{}
	var days []time.Time
	for rows.Next() {
		var k dayKey
		var day time.Time
		if err := rows.Scan(&k.sw, &k.queue, &day, &k.inHours); err != nil {
			rows.Close()
			return fmt.Errorf("cannot read the days of %d buckets: %w", len(refs), err)
		}
		k.day = day.Unix()
		keys[k] = true
		days = append(days, day.UTC())
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("cannot read the days of %d buckets: %w", len(refs), err)
	}
	if len(keys) == 0 {
		return nil
	}
	cond, args = bucketSpans(days, 0, maxDaySpan)
	counted, err := s.sumDays(ctx, "(queue, switch) IN (?) AND ("+cond+")", append([]any{set}, args...))
	if err != nil {
		return err
	}
	out := make([]dayRow, 0, len(keys))
	for _, r := range counted {
		if keys[r.key] {
			out = append(out, r)
			delete(keys, r.key)
		}
	}
	for k := range keys { // days left without buckets
		out = append(out, dayRow{key: k})
	}
	return s.writeDays(ctx, out, version)
}

// bucketSpans returns a condition on bucket that holds for the instants of ts
// widened by before and after (bucket >= t-before AND bucket < t+after),
// as few ranges as cover them (ranges less than a day apart are joined),
// and its arguments.
func bucketSpans(ts []time.Time, before, after time.Duration) (string, []any) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	var (
		conds []string
		args  []any
	)
	lo, hi := ts[0].Add(-before), ts[0].Add(after)
	flush := func() {
		conds = append(conds, "(bucket >= ? AND bucket < ?)")
		args = append(args, lo.UTC(), hi.UTC())
	}
	for _, t := range ts[1:] {
		if t.Add(-before).Sub(hi) > 24*time.Hour {
			flush()
			lo = t.Add(-before)
		}
		hi = maxTime(hi, t.Add(after))
	}
	flush()
	return strings.Join(conds, " OR "), args
}

// sumDays sums the rollup_15m rows (FINAL) that where selects per switch,
// queue, day and in_hours. The period starts, zone and offsets are those
// of the newest row (all rows of a day share them); the settings are those
// of the row counted last, as PeriodRollups takes them.
func (s *Store) sumDays(ctx context.Context, where string, args []any) ([]dayRow, error) {
	rows, err := s.conn.Query(ctx, `SELECT switch, queue, day_start, in_hours,
    argMax(month_start, version), argMax(quarter_start, version), argMax(year_start, version), argMax(tz, version),
    any(day_offset_s), any(month_offset_s), any(quarter_offset_s), any(year_offset_s),
    min(bucket), max(bucket), count(),
    sum(offered), sum(answered), sum(abandoned), sum(timeout), sum(exit_key), sum(exit_other), sum(unknown),
    sum(short_abandoned), sum(answered_within_sla), sum(abandoned_within_sla), sum(transferred),
    sum(wait_answered_s), sum(wait_all_s), sum(talk_s), max(max_wait_s),
    tupleElement(sumMap(wait_hist_keys, wait_hist_counts) AS hist, 1), tupleElement(hist, 2),
    tupleElement(sumMap(answered_wait_keys, answered_wait_counts) AS ans, 1), tupleElement(ans, 2),
    tupleElement(sumMap(abandoned_wait_keys, abandoned_wait_counts) AS ab, 1), tupleElement(ab, 2),
    sumIf(offered, waits_by_outcome = 0),
    sum(dispositions), sum(resolved_first_contact),
    arraySort(groupUniqArray(settings_version)), max(version), argMax(settings_version, version),
    argMax(sla_s, version), argMax(short_abandon_s, version), argMax(sla_formula, version), argMax(sla_target, version), argMax(fcr_target, version)
FROM rollup_15m FINAL
WHERE `+where+`
GROUP BY switch, queue, day_start, in_hours`, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot sum rollup days: %w", err)
	}
	defer rows.Close()
	var out []dayRow
	for rows.Next() {
		var (
			r   dayRow
			day time.Time
			c   = &r.counts
		)
		if err := rows.Scan(&r.key.sw, &r.key.queue, &day, &r.key.inHours,
			&r.month, &r.quarter, &r.year, &r.tz,
			&r.offsets[0], &r.offsets[1], &r.offsets[2], &r.offsets[3],
			&r.first, &r.last, &r.buckets,
			&c.Offered, &c.Answered, &c.Abandoned, &c.Timeout, &c.ExitKey, &c.ExitOther, &c.Unknown,
			&c.ShortAbandoned, &c.AnsweredWithinSLA, &c.AbandonedWithinSLA, &c.Transferred,
			&c.WaitAnsweredS, &c.WaitAllS, &c.TalkS, &c.MaxWaitS,
			&r.histKeys, &r.histCounts, &r.ansKeys, &r.ansCounts, &r.abKeys, &r.abCounts, &c.UnsplitOffered,
			&c.Dispositions, &c.ResolvedFirstContact,
			&r.versions, &r.countedVersion, &r.settingsVersion,
			&r.slaS, &r.shortS, &r.formula, &r.slaTarget, &r.fcrTarget); err != nil {
			return nil, fmt.Errorf("cannot sum rollup days: %w", err)
		}
		r.key.day = day.Unix()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot sum rollup days: %w", err)
	}
	return out, nil
}

const insertDaysSQL = `INSERT INTO rollup_day (switch, queue, day_start, in_hours,
month_start, quarter_start, year_start, tz, day_offset_s, month_offset_s, quarter_offset_s, year_offset_s,
version, first_bucket, last_bucket, buckets,
offered, answered, abandoned, timeout, exit_key, exit_other, unknown,
short_abandoned, answered_within_sla, abandoned_within_sla, transferred,
wait_answered_s, wait_all_s, talk_s, max_wait_s, wait_hist_keys, wait_hist_counts,
dispositions, resolved_first_contact,
settings_versions, counted_version, settings_version, sla_s, short_abandon_s, sla_formula, sla_target, fcr_target,
answered_wait_keys, answered_wait_counts, abandoned_wait_keys, abandoned_wait_counts, unsplit_offered)`

// writeDays writes rows into rollup_day in one INSERT under version,
// appending whole columns.
func (s *Store) writeDays(ctx context.Context, rows []dayRow, version uint64) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	var (
		sw, queue, tz, sv, formula = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		inHours                    = make([]uint8, n)
		day, month, quarter, year  = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		first, last                = make([]time.Time, n), make([]time.Time, n)
		offsets                    [4][]*int32
		versions, counted          = make([]uint64, n), make([]uint64, n)
		buckets                    = make([]uint32, n)
		counts                     [17][]uint64
		histKeys                   = make([][]uint32, n)
		histCounts                 = make([][]uint64, n)
		settingsVersions           = make([][]string, n)
		ansKeys, abKeys            = make([][]uint32, n), make([][]uint32, n)
		ansCounts, abCounts        = make([][]uint64, n), make([][]uint64, n)
		unsplit                    = make([]uint64, n)
		slaS, shortS               = make([]uint32, n), make([]uint32, n)
		slaTarget, fcrTarget       = make([]float64, n), make([]float64, n)
	)
	for i := range offsets {
		offsets[i] = make([]*int32, n)
	}
	for i := range counts {
		counts[i] = make([]uint64, n)
	}
	for i := range rows {
		r := &rows[i]
		sw[i], queue[i], inHours[i] = r.key.sw, r.key.queue, r.key.inHours
		day[i] = time.Unix(r.key.day, 0).UTC()
		month[i], quarter[i], year[i], tz[i] = r.month.UTC(), r.quarter.UTC(), r.year.UTC(), r.tz
		for j := range offsets {
			offsets[j][i] = r.offsets[j]
		}
		versions[i] = version
		first[i], last[i], buckets[i] = r.first.UTC(), r.last.UTC(), uint32(r.buckets)
		c := &r.counts
		for j, v := range []uint64{c.Offered, c.Answered, c.Abandoned, c.Timeout, c.ExitKey, c.ExitOther, c.Unknown,
			c.ShortAbandoned, c.AnsweredWithinSLA, c.AbandonedWithinSLA, c.Transferred,
			c.WaitAnsweredS, c.WaitAllS, c.TalkS, c.MaxWaitS, c.Dispositions, c.ResolvedFirstContact} {
			counts[j][i] = v
		}
		histKeys[i], histCounts[i] = nonNil(r.histKeys), nonNil(r.histCounts)
		ansKeys[i], ansCounts[i], abKeys[i], abCounts[i] = nonNil(r.ansKeys), nonNil(r.ansCounts), nonNil(r.abKeys), nonNil(r.abCounts)
		unsplit[i] = c.UnsplitOffered
		settingsVersions[i] = nonNil(r.versions)
		counted[i], sv[i], formula[i] = r.countedVersion, r.settingsVersion, r.formula
		slaS[i], shortS[i], slaTarget[i], fcrTarget[i] = r.slaS, r.shortS, r.slaTarget, r.fcrTarget
	}
	cols := []any{sw, queue, day, inHours, month, quarter, year, tz, offsets[0], offsets[1], offsets[2], offsets[3],
		versions, first, last, buckets}
	for j := 0; j < 15; j++ {
		cols = append(cols, counts[j])
	}
	cols = append(cols, histKeys, histCounts, counts[15], counts[16],
		settingsVersions, counted, sv, slaS, shortS, formula, slaTarget, fcrTarget,
		ansKeys, ansCounts, abKeys, abCounts, unsplit)
	return s.sendColumns(ctx, "rollup_day", insertDaysSQL, cols)
}

// nonNil returns s, or an empty slice where s is nil: an array column
// takes no nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// fillDays fills rollup_day from every row of rollup_15m, a month of
// days at a time, unless job_state says it was done (DaysJob), and then
// says so. Migrate runs it, for the rollups written before migration 0016;
// on a new database it finds nothing to sum. The rows' version is the
// local clock, as a rollup run's (aggregate.RollupVersion): a run that
// writes a day afterwards replaces the row.
func (s *Store) fillDays(ctx context.Context) error {
	if _, done, err := s.Watermark(ctx, DaysJob); err != nil || done {
		return err
	}
	version := uint64(time.Now().UnixNano())
	var lo, hi time.Time
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT min(day_start), max(day_start), count() FROM rollup_15m").Scan(&lo, &hi, &n); err != nil {
		return fmt.Errorf("cannot fill rollup_day: %w", err)
	}
	if n > 0 {
		for from := lo.UTC(); !from.After(hi); from = from.AddDate(0, 1, 0) {
			to := from.AddDate(0, 1, 0)
			rows, err := s.sumDays(ctx, "day_start >= ? AND day_start < ? AND bucket >= ? AND bucket < ?",
				[]any{from, to, from, to.Add(maxDaySpan)})
			if err != nil {
				return fmt.Errorf("cannot fill rollup_day: %w", err)
			}
			if err := s.writeDays(ctx, rows, version); err != nil {
				return fmt.Errorf("cannot fill rollup_day: %w", err)
			}
		}
	}
	return s.SetWatermark(ctx, DaysJob, time.Unix(0, 0))
}

// daysReady says whether rollup_day may be read: whether fillDays has
// run. Once it has, it stays so for the life of the store.
func (s *Store) daysReady(ctx context.Context) (bool, error) {
	if s.daysFilled.Load() {
		return true, nil
	}
	_, done, err := s.Watermark(ctx, DaysJob)
	if err != nil {
		return false, err
	}
	if done {
		s.daysFilled.Store(true)
	}
	return done, nil
}

// dayBefore is the earliest day_start of a day with a bucket at or after
// t: t less maxDaySpan, but not before 1970, which a DateTime cannot hold
// (the dashboard asks for every year from the epoch).
func dayBefore(t time.Time) time.Time {
	return maxTime(t.Add(-maxDaySpan), time.Unix(0, 0).UTC())
}
