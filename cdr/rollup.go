package cdr

import (
	"sort"
	"time"
)

// BucketMinutes is the length of the smallest rollup period (METRICS.md
// "15m"). Every time zone's offset is a multiple of 15 minutes, so a UTC
// quarter hour is also a local one.
const BucketMinutes = 15

// BucketOf returns the start of the 15-minute bucket holding t, in UTC.
func BucketOf(t time.Time) time.Time {
	const step = BucketMinutes * 60
	s := t.Unix()
	s -= ((s % step) + step) % step
	return time.Unix(s, 0).UTC()
}

// BucketRef names one 15-minute bucket of one queue of one switch: the unit
// the rollup job recomputes. Start is the bucket's UTC start.
type BucketRef struct {
	Switch, Queue string
	Start         time.Time
}

// RollupRow is one stored rollup row: the Counts of the queue calls of one
// switch, queue, 15-minute bucket (of their enter_time) and in_hours value,
// with the bucket's local period keys and the queue settings the counts were
// made with (METRICS.md: stored beside them).
type RollupRow struct {
	Switch, Queue string
	InHours       bool
	Keys          PeriodKeys // Keys.Bucket is the bucket's start (UTC)
	TZ            string     // the queue's zone name
	Counts        Counts
	SLAS          int
	ShortAbandonS int
	SLAFormula    string
	SLATarget     float64
	FCRTarget     float64
	// SettingsVersion is the version of the settings the row was counted
	// with (Settings.Version).
	SettingsVersion string
}

// Rollup counts calls into rollup rows, one per (switch, queue, bucket,
// in_hours), with each queue's settings from settings (nil means defaults):
// its zone for the period keys and opening hours, sla_s and
// short_abandon_s for the counts. Every row records settings.Version (the
// built-in defaults' version, DefaultSettingsVersion, for nil).
//
// Every bucket in buckets gets both rows (in_hours 0 and 1) even when no
// call is in it any more, so rows written earlier for a stay that moved
// away or was deleted are replaced by zeros. Calls in buckets not listed
// are counted too, into rows of their own. Waiting stays are not offered
// and are skipped (METRICS.md). Dispositions and ResolvedFirstContact count
// answered stays with a disposition, and those resolved (disposition.go).
//
// The result is sorted by switch, queue, bucket and in_hours. Rollup is
// pure; it does not retain calls.
func Rollup(calls []QueueCall, settings *Settings, buckets []BucketRef) []RollupRow {
	type key struct {
		sw, queue string
		bucket    int64
		in        bool
	}
	qs := map[string]*QueueSettings{}
	queue := func(name string) *QueueSettings {
		q, ok := qs[name]
		if !ok {
			s := settings.Queue(name)
			if s.Location == nil {
				s.Location = time.UTC
			}
			q = &s
			qs[name] = q
		}
		return q
	}
	version := DefaultSettingsVersion
	if settings != nil {
		version = settings.Version
	}
	rows := map[key]*RollupRow{}
	row := func(k key) *RollupRow {
		r, ok := rows[k]
		if !ok {
			q := queue(k.queue)
			r = &RollupRow{
				Switch: k.sw, Queue: k.queue, InHours: k.in,
				Keys: Keys(time.Unix(k.bucket, 0), q.Location), TZ: q.Location.String(),
				SLAS: q.SLAS, ShortAbandonS: q.ShortAbandonS, SLAFormula: q.SLAFormula,
				SLATarget: q.SLATarget, FCRTarget: q.FCRTarget, SettingsVersion: version,
			}
			rows[k] = r
		}
		return r
	}
	for _, b := range buckets {
		start := BucketOf(b.Start).Unix()
		row(key{b.Switch, b.Queue, start, false})
		row(key{b.Switch, b.Queue, start, true})
	}
	for i := range calls {
		c := &calls[i]
		if c.Outcome == Waiting {
			continue
		}
		q := queue(c.Queue)
		r := row(key{c.Switch, c.Queue, BucketOf(c.EnterTime).Unix(), q.InHours(c.EnterTime)})
		count(&r.Counts, c, q)
	}
	out := make([]RollupRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Switch != b.Switch {
			return a.Switch < b.Switch
		}
		if a.Queue != b.Queue {
			return a.Queue < b.Queue
		}
		if !a.Keys.Bucket.Equal(b.Keys.Bucket) {
			return a.Keys.Bucket.Before(b.Keys.Bucket)
		}
		return !a.InHours && b.InHours
	})
	return out
}

// count adds one offered queue call to c (METRICS.md, "Counts").
func count(c *Counts, call *QueueCall, q *QueueSettings) {
	w := uint64(call.WaitS)
	c.Offered++
	switch call.Outcome {
	case Answered:
		c.Answered++
		c.WaitAnsweredS += w
		c.TalkS += uint64(call.TalkS)
		if w <= uint64(max(q.SLAS, 0)) {
			c.AnsweredWithinSLA++
		}
		if call.Transferred {
			c.Transferred++
		}
		if call.Disposition {
			c.Dispositions++
			if call.Resolved {
				c.ResolvedFirstContact++
			}
		}
		if c.AnsweredWaits == nil {
			c.AnsweredWaits = map[uint32]uint64{}
		}
		c.AnsweredWaits[call.WaitS]++
	case Abandoned:
		c.Abandoned++
		if c.AbandonedWaits == nil {
			c.AbandonedWaits = map[uint32]uint64{}
		}
		c.AbandonedWaits[call.WaitS]++
		if w < uint64(max(q.ShortAbandonS, 0)) {
			c.ShortAbandoned++
		}
		if w <= uint64(max(q.SLAS, 0)) {
			c.AbandonedWithinSLA++
		}
	case Timeout:
		c.Timeout++
	case ExitKey:
		c.ExitKey++
	case ExitOther:
		c.ExitOther++
	default:
		c.Unknown++
	}
	c.WaitAllS += w
	c.MaxWaitS = max(c.MaxWaitS, w)
	if c.WaitHist == nil {
		c.WaitHist = map[uint32]uint64{}
	}
	c.WaitHist[WaitBucket(call.WaitS)]++
}
