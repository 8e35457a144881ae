package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/cdr"
)

// ChangedBuckets returns the 15-minute buckets (switch, queue, UTC start)
// that queue-call rows built (by server insert time, built_at) in [from, to)
// touch: the bucket of each row's enter_time and, where the row moved a stay,
// of its prev_enter_time. Each bucket appears once, sorted by switch, queue
// and start. The cost follows the rows built in the range (call_touches is
// ordered by built_at), not the table's size.
func (s *Store) ChangedBuckets(ctx context.Context, from, to time.Time) ([]cdr.BucketRef, error) {
	// The bucket is computed with integer arithmetic, not a date function,
	// so the server's own time zone plays no part.
	rows, err := s.conn.Query(ctx, `SELECT switch, queue, toDateTime(intDiv(toUInt32(t), 900) * 900) AS b
FROM call_touches
ARRAY JOIN arrayFilter(x -> toUInt32(x) > 0, [enter_time, prev_enter_time]) AS t
WHERE built_at >= ? AND built_at < ?
GROUP BY switch, queue, b
ORDER BY switch, queue, b`, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read changed buckets: %w", err)
	}
	defer rows.Close()
	var out []cdr.BucketRef
	for rows.Next() {
		var r cdr.BucketRef
		if err := rows.Scan(&r.Switch, &r.Queue, &r.Start); err != nil {
			return nil, fmt.Errorf("cannot read changed buckets: %w", err)
		}
		r.Start = r.Start.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read changed buckets: %w", err)
	}
	return out, nil
}

// QueuesBetween returns every (switch, queue) with a queue-call row or a
// rollup row whose time lies in [from, to), as bucket refs with a zero
// Start: the queues a rebuild of that range must roll up, including those
// whose calls all went away.
func (s *Store) QueuesBetween(ctx context.Context, from, to time.Time) ([]cdr.BucketRef, error) {
	rows, err := s.conn.Query(ctx, `SELECT switch, queue FROM (
    SELECT switch, queue FROM queue_calls WHERE enter_time >= ? AND enter_time < ? GROUP BY switch, queue
    UNION ALL
    SELECT switch, queue FROM rollup_15m WHERE bucket >= ? AND bucket < ? GROUP BY switch, queue
)
GROUP BY switch, queue
ORDER BY switch, queue`, from.UTC(), to.UTC(), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot list queues: %w", err)
	}
	defer rows.Close()
	var out []cdr.BucketRef
	for rows.Next() {
		var r cdr.BucketRef
		if err := rows.Scan(&r.Switch, &r.Queue); err != nil {
			return nil, fmt.Errorf("cannot list queues: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list queues: %w", err)
	}
	return out, nil
}

// Limits of one CallsInBuckets query: the buckets of a chunk span at most
// bucketChunkSpan (about a monthly partition), so a query reads one long
// time-ordered range instead of many small ones: every query costs the
// server a fixed 20-50 ms, and each reads maxEnterMove beyond both ends.
const (
	maxBucketsPerQuery = 50000
	bucketChunkSpan    = 31 * 24 * time.Hour
	// maxEnterMove bounds how far a rebuild may move a stay's enter time:
	// the builder reads a call's events within a 28 h window and rejects
	// waits over 24 h, so a move is under 52 h. It lets a query prune
	// partitions while it looks for the newer versions of moved stays.
	maxEnterMove = 3 * 24 * time.Hour
)

// chunkBuckets splits refs (sorted by start) into groups for one query.
func chunkBuckets(refs []cdr.BucketRef) [][]cdr.BucketRef {
	refs = append([]cdr.BucketRef(nil), refs...)
	sort.Slice(refs, func(i, j int) bool { return refs[i].Start.Before(refs[j].Start) })
	var out [][]cdr.BucketRef
	start := 0
	for i := range refs {
		if i > start && (i-start >= maxBucketsPerQuery || refs[i].Start.Sub(refs[start].Start) >= bucketChunkSpan) {
			out = append(out, refs[start:i])
			start = i
		}
	}
	if start < len(refs) {
		out = append(out, refs[start:])
	}
	return out
}

type bucketKey struct {
	sw, queue string
	start     int64
}

// CallsInBuckets returns the current version of every queue call whose
// enter_time lies in one of the given buckets, leaving out deleted and
// waiting stays: exactly the calls the rollup of those buckets counts.
//
// It is queue_calls_current with the filter inside the GROUP BY (18.16 does
// not push a WHERE into a view's subquery), and it must not pick the newest
// version among the rows in the buckets alone: a stay whose enter time a
// rebuild moved out of a bucket has an old row there. So the query reads
// every row of the stays within maxEnterMove of the range (the furthest a
// rebuild moves an enter time), takes the newest of each stay, and keeps it
// only when that one's enter_time is in range; a stay then counts in
// exactly one bucket, whatever order its versions were written in.
// Only fields the rollup uses are filled (key, outcome, times, waits,
// transferred, disposition, resolved). refs is not retained.
func (s *Store) CallsInBuckets(ctx context.Context, refs []cdr.BucketRef) ([]cdr.QueueCall, error) {
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": maxQuerySize}))
	var out []cdr.QueueCall
	for _, chunk := range chunkBuckets(refs) {
		want, set, lo, hi := bucketChunk(chunk, false)
		hi = hi.Add(cdr.BucketMinutes * time.Minute)
		rows, err := s.conn.Query(ctx, `SELECT switch, call_id, queue, seq,
    argMax(deleted, version) AS d, argMax(outcome, version) AS o, argMax(enter_time, version) AS e,
    argMax(answer_time, version), argMax(end_time, version), argMax(wait_s, version), argMax(talk_s, version), argMax(transferred, version),
    argMax(disposition, version), argMax(resolved, version)
FROM queue_calls
WHERE (switch, queue) IN (?)
    AND enter_time >= ? AND enter_time < ?
GROUP BY switch, call_id, queue, seq
HAVING d = 0 AND o != 'waiting' AND e >= ? AND e < ?`,
			set, lo.Add(-maxEnterMove), hi.Add(maxEnterMove), lo, hi)
		if err != nil {
			return nil, fmt.Errorf("cannot read calls of %d buckets: %w", len(chunk), err)
		}
		// One variable scanned into for every row: a fresh one per row
		// would escape to the heap, a large allocation per call.
		var (
			c                cdr.QueueCall
			d, tr, disp, res uint8
			o                string
		)
		for rows.Next() {
			c = cdr.QueueCall{}
			if err := rows.Scan(&c.Switch, &c.CallID, &c.Queue, &c.Seq, &d, &o, &c.EnterTime, &c.AnswerTime, &c.EndTime, &c.WaitS, &c.TalkS, &tr, &disp, &res); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read calls of %d buckets: %w", len(chunk), err)
			}
			c.EnterTime, c.AnswerTime, c.EndTime = c.EnterTime.UTC(), c.AnswerTime.UTC(), c.EndTime.UTC()
			if !want[bucketKey{c.Switch, c.Queue, cdr.BucketOf(c.EnterTime).Unix()}] {
				continue
			}
			c.Outcome = outcomeByName[o]
			c.Transferred = tr == 1
			c.Disposition, c.Resolved = disp == 1, res == 1
			out = append(out, c)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("cannot read calls of %d buckets: %w", len(chunk), err)
		}
	}
	return out, nil
}

var outcomeByName = func() map[string]cdr.Outcome {
	m := map[string]cdr.Outcome{}
	for _, o := range append([]cdr.Outcome{cdr.Waiting}, cdr.Outcomes...) {
		m[o.String()] = o
	}
	return m
}()

// bucketChunk is what a query over a chunk of buckets binds and checks:
// the buckets asked for, their (switch, queue) pairs as bound tuples (in
// the order (queue, switch) when queueFirst, to match a table's key), and
// the first and last bucket start.
func bucketChunk(chunk []cdr.BucketRef, queueFirst bool) (want map[bucketKey]bool, set []clickhouse.GroupSet, first, last time.Time) {
	want = make(map[bucketKey]bool, len(chunk))
	pairs := map[[2]string]bool{}
	first, last = cdr.BucketOf(chunk[0].Start), cdr.BucketOf(chunk[0].Start)
	for _, r := range chunk {
		start := cdr.BucketOf(r.Start)
		want[bucketKey{r.Switch, r.Queue, start.Unix()}] = true
		if queueFirst {
			pairs[[2]string{r.Queue, r.Switch}] = true
		} else {
			pairs[[2]string{r.Switch, r.Queue}] = true
		}
		first, last = minTime(first, start), maxTime(last, start)
	}
	set = make([]clickhouse.GroupSet, 0, len(pairs))
	for p := range pairs {
		set = append(set, clickhouse.GroupSet{Value: []any{p[0], p[1]}})
	}
	return want, set, first, last
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

const insertRollupsSQL = `INSERT INTO rollup_15m (switch, queue, bucket, in_hours,
hour_start, day_start, month_start, quarter_start, year_start, tz, version,
offered, answered, abandoned, timeout, exit_key, exit_other, unknown,
short_abandoned, answered_within_sla, abandoned_within_sla, transferred,
wait_answered_s, wait_all_s, talk_s, max_wait_s, wait_hist_keys, wait_hist_counts,
dispositions, resolved_first_contact, sla_s, short_abandon_s, sla_formula, sla_target, fcr_target,
bucket_offset_s, hour_offset_s, day_offset_s, month_offset_s, quarter_offset_s, year_offset_s,
settings_version,
answered_wait_keys, answered_wait_counts, abandoned_wait_keys, abandoned_wait_counts, waits_by_outcome)`

// WriteRollups writes rollup rows in one INSERT under version, appending
// whole columns. A row replaces the stored row of the same (switch, queue,
// bucket, in_hours) with a lower version; readers use FINAL. The wait
// histogram is written with its keys sorted; the UTC offsets of the period
// starts (migration 0006) are written with the starts, the settings version
// (0008) after them, the waits per outcome (0014) last, marked as written
// (waits_by_outcome 1) even where a row has no answered or abandoned call.
// Then it counts the days of the rows' buckets again into rollup_day under
// the same version (0016, recountDays), so that the day sums follow every
// write of the rows they sum. rows is not retained.
func (s *Store) WriteRollups(ctx context.Context, rows []cdr.RollupRow, version uint64) error {
	if len(rows) == 0 {
		return nil
	}
	if err := s.sendColumns(ctx, "rollup_15m", insertRollupsSQL, rollupColumns(rows, version)); err != nil {
		return err
	}
	refs := make([]cdr.BucketRef, len(rows))
	for i, r := range rows {
		refs[i] = cdr.BucketRef{Switch: r.Switch, Queue: r.Queue, Start: r.Keys.Bucket}
	}
	return s.recountDays(ctx, refs, version)
}

// rollupColumns returns the columns of insertRollupsSQL for rows under
// version, the offsets, the settings version and the waits per outcome
// last.
func rollupColumns(rows []cdr.RollupRow, version uint64) []any {
	n := len(rows)
	var (
		sw, queue, tz, formula                  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		settingsVersion                         = make([]string, n)
		inHours                                 = make([]uint8, n)
		bucket, hour, day, month, quarter, year = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		versions                                = make([]uint64, n)
		offsets                                 [6][]int32
		counts                                  [17][]uint64
		histKeys                                = make([][]uint32, n)
		histCounts                              = make([][]uint64, n)
		slaS, shortS                            = make([]uint32, n), make([]uint32, n)
		slaTarget, fcrTarget                    = make([]float64, n), make([]float64, n)
		ansKeys, abKeys                         = make([][]uint32, n), make([][]uint32, n)
		ansCounts, abCounts                     = make([][]uint64, n), make([][]uint64, n)
		split                                   = make([]uint8, n)
	)
	for i := range counts {
		counts[i] = make([]uint64, n)
	}
	for i := range offsets {
		offsets[i] = make([]int32, n)
	}
	for i := range rows {
		r := &rows[i]
		sw[i], queue[i], tz[i], formula[i] = r.Switch, r.Queue, r.TZ, r.SLAFormula
		settingsVersion[i] = r.SettingsVersion
		if r.InHours {
			inHours[i] = 1
		}
		k := r.Keys
		bucket[i], hour[i], day[i], month[i], quarter[i], year[i] = k.Bucket.UTC(), k.Hour.UTC(), k.Day.UTC(), k.Month.UTC(), k.Quarter.UTC(), k.Year.UTC()
		offsets[0][i], offsets[1][i], offsets[2][i] = k.BucketOffset, k.HourOffset, k.DayOffset
		offsets[3][i], offsets[4][i], offsets[5][i] = k.MonthOffset, k.QuarterOffset, k.YearOffset
		versions[i] = version
		c := &r.Counts
		for j, v := range []uint64{c.Offered, c.Answered, c.Abandoned, c.Timeout, c.ExitKey, c.ExitOther, c.Unknown,
			c.ShortAbandoned, c.AnsweredWithinSLA, c.AbandonedWithinSLA, c.Transferred,
			c.WaitAnsweredS, c.WaitAllS, c.TalkS, c.MaxWaitS} {
			counts[j][i] = v
		}
		counts[15][i], counts[16][i] = c.Dispositions, c.ResolvedFirstContact
		keys := make([]uint32, 0, len(c.WaitHist))
		for k := range c.WaitHist {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
		vals := make([]uint64, len(keys))
		for j, k := range keys {
			vals[j] = c.WaitHist[k]
		}
		histKeys[i], histCounts[i] = keys, vals
		ansKeys[i], ansCounts[i] = cdr.SortedHist(c.AnsweredWaits)
		abKeys[i], abCounts[i] = cdr.SortedHist(c.AbandonedWaits)
		split[i] = 1
		slaS[i], shortS[i] = uint32(max(r.SLAS, 0)), uint32(max(r.ShortAbandonS, 0))
		slaTarget[i], fcrTarget[i] = r.SLATarget, r.FCRTarget
	}
	cols := []any{sw, queue, bucket, inHours, hour, day, month, quarter, year, tz, versions}
	for j := 0; j < 15; j++ {
		cols = append(cols, counts[j])
	}
	cols = append(cols, histKeys, histCounts, counts[15], counts[16], slaS, shortS, formula, slaTarget, fcrTarget)
	for _, o := range offsets {
		cols = append(cols, o)
	}
	return append(cols, settingsVersion, ansKeys, ansCounts, abKeys, abCounts, split)
}

// BucketsWithCounts returns those of refs that have a stored rollup row with
// an offered call, in any version: the buckets whose rows a recount must
// write again even where they are now empty, so zeros replace them. A
// bucket that never had a call needs no zero rows, which halves what the
// rollup writes (one of the two in_hours rows of a bucket is nearly always
// empty). Reading every version, not FINAL, errs on the safe side: it may
// name a bucket whose newest rows are already zeros. refs is not retained.
func (s *Store) BucketsWithCounts(ctx context.Context, refs []cdr.BucketRef) ([]cdr.BucketRef, error) {
	var out []cdr.BucketRef
	for _, chunk := range chunkBuckets(refs) {
		want, set, lo, hi := bucketChunk(chunk, true)
		rows, err := s.conn.Query(ctx, `SELECT switch, queue, bucket FROM rollup_15m
WHERE (queue, switch) IN (?) AND bucket >= ? AND bucket <= ? AND offered > 0
GROUP BY switch, queue, bucket`, set, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("cannot read stored rollup buckets: %w", err)
		}
		for rows.Next() {
			var r cdr.BucketRef
			if err := rows.Scan(&r.Switch, &r.Queue, &r.Start); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read stored rollup buckets: %w", err)
			}
			r.Start = r.Start.UTC()
			if want[bucketKey{r.Switch, r.Queue, r.Start.Unix()}] {
				out = append(out, r)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("cannot read stored rollup buckets: %w", err)
		}
	}
	return out, nil
}
