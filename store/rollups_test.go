package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func stored(id string, enter time.Time, o cdr.Outcome, wait uint32, version uint64) cdr.StoredCall {
	return cdr.StoredCall{QueueCall: cdr.QueueCall{Switch: "pbx", CallID: id, Queue: "servicedesk", Outcome: o, EnterTime: enter, EndTime: enter.Add(time.Duration(wait) * time.Second), WaitS: wait}, Version: version}
}

// TestCallTouchesFilled checks on the real server that built_at, the
// DEFAULT of queue_calls, reaches call_touches through the materialized
// view, and that ChangedBuckets names the buckets of enter and prev enter.
func TestCallTouchesFilled(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	before, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := time.Date(2025, 10, 28, 9, 7, 0, 0, time.UTC)
	moved := stored("c2", a.Add(time.Hour), cdr.Answered, 3, 2)
	moved.PrevEnterTime = a.Add(-20 * time.Minute)
	if err := s.WriteCalls(ctx, []cdr.StoredCall{stored("c1", a, cdr.Answered, 3, 1), moved}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ChangedBuckets(ctx, before, before.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []cdr.BucketRef{
		{Switch: "pbx", Queue: "servicedesk", Start: time.Date(2025, 10, 28, 8, 45, 0, 0, time.UTC)},
		{Switch: "pbx", Queue: "servicedesk", Start: time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC)},
		{Switch: "pbx", Queue: "servicedesk", Start: time.Date(2025, 10, 28, 10, 0, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	if got, _ := s.ChangedBuckets(ctx, before.Add(-time.Hour), before); len(got) != 0 {
		t.Fatalf("before the insert: got %v; want none (built_at not filled?)", got)
	}
}

func TestCallsInBucketsTakesTheNewestVersion(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	a := time.Date(2025, 10, 28, 9, 1, 0, 0, time.UTC)
	b := time.Date(2025, 11, 2, 9, 1, 0, 0, time.UTC) // another month: another partition
	bucketA := cdr.BucketRef{Switch: "pbx", Queue: "servicedesk", Start: cdr.BucketOf(a)}
	bucketB := cdr.BucketRef{Switch: "pbx", Queue: "servicedesk", Start: cdr.BucketOf(b)}
	v2 := stored("moved", b, cdr.Answered, 7, 2)
	v2.PrevEnterTime = a
	gone := stored("gone", a, cdr.Answered, 1, 1)
	tomb := cdr.StoredCall{QueueCall: cdr.QueueCall{Switch: "pbx", CallID: "gone", Queue: "servicedesk", EnterTime: a}, Version: 2, Deleted: true, PrevEnterTime: a}
	rows := []cdr.StoredCall{
		stored("moved", a, cdr.Waiting, 0, 1), v2,
		gone, tomb,
		stored("waiting", a, cdr.Waiting, 5, 1),
		stored("stays", a, cdr.Abandoned, 2, 1), stored("stays", a, cdr.Abandoned, 4, 3),
		stored("other", a, cdr.Answered, 1, 1),
	}
	rows[len(rows)-1].Queue = "klinisk"
	if err := s.WriteCalls(ctx, rows); err != nil {
		t.Fatal(err)
	}
	ids := func(refs ...cdr.BucketRef) map[string]uint32 {
		t.Helper()
		calls, err := s.CallsInBuckets(ctx, refs)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]uint32{}
		for _, c := range calls {
			m[c.CallID] = c.WaitS
		}
		return m
	}
	if got, want := ids(bucketA), map[string]uint32{"stays": 4}; !reflect.DeepEqual(got, want) {
		t.Fatalf("bucket A: got %v; want %v", got, want)
	}
	if got, want := ids(bucketB), map[string]uint32{"moved": 7}; !reflect.DeepEqual(got, want) {
		t.Fatalf("bucket B: got %v; want %v", got, want)
	}
	if got, want := ids(bucketA, bucketB), map[string]uint32{"stays": 4, "moved": 7}; !reflect.DeepEqual(got, want) {
		t.Fatalf("both: got %v; want %v", got, want)
	}
}

// viewRow is what a BI user reads from a queue_* view.
type viewRow struct {
	Switch, Queue, Period, Hours, Local, Formula                         string
	Start                                                                time.Time
	Offered, Answered, Abandoned, Short, AWithin, BWithin, MaxWait       uint64
	ServiceLevel, ASA, AvgWait, P50, P90, P95, AbandonRate, AvgTalk, FCR *float64
	SLAMet, FCRMet                                                       *uint8
}

func (s *Store) readView(t *testing.T, view, where string, args ...any) []viewRow {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), `SELECT switch, queue, period, hours, period_start_local, sla_formula, period_start,
    offered, answered, abandoned, short_abandoned, answered_within_sla, abandoned_within_sla, max_wait_s,
    service_level, asa_s, avg_wait_s, p50_wait_s, p90_wait_s, p95_wait_s, abandon_rate, avg_talk_s, fcr_rate, sla_met, fcr_met
FROM `+view+` WHERE `+where+` ORDER BY switch, period_start, hours`, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []viewRow
	for rows.Next() {
		var r viewRow
		if err := rows.Scan(&r.Switch, &r.Queue, &r.Period, &r.Hours, &r.Local, &r.Formula, &r.Start,
			&r.Offered, &r.Answered, &r.Abandoned, &r.Short, &r.AWithin, &r.BWithin, &r.MaxWait,
			&r.ServiceLevel, &r.ASA, &r.AvgWait, &r.P50, &r.P90, &r.P95, &r.AbandonRate, &r.AvgTalk, &r.FCR, &r.SLAMet, &r.FCRMet); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRollupsAndTheMonthView(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	q := cdr.DefaultQueueSettings("servicedesk")
	q.Hours[time.Tuesday] = []cdr.MinuteRange{{From: 8 * 60, To: 16 * 60}}
	settings := &cdr.Settings{Queues: map[string]cdr.QueueSettings{"servicedesk": q}}
	open := time.Date(2025, 10, 28, 10, 0, 0, 0, loc)   // a Tuesday, open
	closed := time.Date(2025, 10, 28, 17, 0, 0, 0, loc) // closed
	first := time.Date(2025, 10, 1, 0, 0, 0, 0, loc)    // local midnight on the 1st
	mk := func(id string, at time.Time, o cdr.Outcome, wait uint32) cdr.QueueCall {
		return cdr.QueueCall{Switch: "pbx", CallID: id, Queue: "servicedesk", Outcome: o, EnterTime: at.UTC(), WaitS: wait, TalkS: 10}
	}
	calls := []cdr.QueueCall{
		mk("a", open, cdr.Answered, 10), mk("b", open, cdr.Answered, 400), mk("c", open, cdr.Abandoned, 2),
		mk("d", closed, cdr.Abandoned, 60), mk("e", first, cdr.Answered, 20),
	}
	if err := s.WriteRollups(ctx, cdr.Rollup(calls, settings, nil), 1); err != nil {
		t.Fatal(err)
	}
	got := s.readView(t, "queue_month", "queue = 'servicedesk' AND switch = 'pbx'")
	if len(got) != 2 {
		t.Fatalf("got %d rows; want 2 (all, in): %+v", len(got), got)
	}
	all, in := got[0], got[1]
	if all.Hours != "all" || in.Hours != "in" || all.Period != "month" || all.Local != "2025-10-01T00:00:00+02:00" || !all.Start.Equal(first) {
		t.Fatalf("row keys: %+v", all)
	}
	if all.Offered != 5 || all.Answered != 3 || all.Abandoned != 2 || all.Short != 1 || all.AWithin != 2 || all.BWithin != 2 || all.MaxWait != 400 {
		t.Fatalf("all: %+v", all)
	}
	// offered_excl_short: 2 / (5 − 1); asa (10+400+20)/3; p50 of 2,10,20,60,400 is 20.
	if *all.ServiceLevel != 0.5 || *all.ASA != 430.0/3 || *all.AvgWait != 492.0/5 || *all.P50 != 20 || *all.P95 != 400 || *all.SLAMet != 0 || all.FCR != nil || all.FCRMet != nil {
		t.Fatalf("all ratios: sl %v asa %v avg %v p50 %v p95 %v met %v fcr %v", *all.ServiceLevel, *all.ASA, *all.AvgWait, *all.P50, *all.P95, *all.SLAMet, all.FCR)
	}
	if in.Offered != 3 || *in.ServiceLevel != 0.5 {
		t.Fatalf("in: %+v", in)
	}
	star := s.readView(t, "queue_month", "queue = 'servicedesk' AND switch = '*'")
	if len(star) != 2 || star[0].Offered != 5 {
		t.Fatalf("switch *: %+v", star)
	}

	// Recomputed with a higher version, the bucket of the open calls now
	// holds one call: the row is replaced, not added to.
	buckets := []cdr.BucketRef{{Switch: "pbx", Queue: "servicedesk", Start: open}}
	if err := s.WriteRollups(ctx, cdr.Rollup(calls[:1], settings, buckets), 2); err != nil {
		t.Fatal(err)
	}
	got = s.readView(t, "queue_month", "queue = 'servicedesk' AND switch = 'pbx'")
	if got[0].Offered != 3 || got[1].Offered != 1 || got[1].Abandoned != 0 {
		t.Fatalf("after replacing: %+v", got)
	}
	// A queue with no calls answers nothing; a period with only zero rows
	// gives null ratios.
	if err := s.WriteRollups(ctx, cdr.Rollup(nil, settings, []cdr.BucketRef{{Switch: "pbx", Queue: "empty", Start: open}}), 3); err != nil {
		t.Fatal(err)
	}
	e := s.readView(t, "queue_day", "queue = 'empty' AND switch = 'pbx'")
	if len(e) != 2 || e[0].Offered != 0 || e[0].ServiceLevel != nil || e[0].ASA != nil || e[0].P50 != nil || e[0].SLAMet != nil || e[0].AbandonRate != nil {
		t.Fatalf("empty: %+v", e)
	}
}

// TestBucketsWithCounts checks that the rollup job's lookup names exactly
// the asked buckets with a stored row that has calls, in any version: the
// buckets whose rows must be written again as zeros when they are emptied.
func TestBucketsWithCounts(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	at := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC)
	call := func(queue string, enter time.Time) cdr.QueueCall {
		return cdr.QueueCall{Switch: "pbx", CallID: queue + enter.String(), Queue: queue, Outcome: cdr.Answered, EnterTime: enter, WaitS: 5}
	}
	counted, empty, other := at, at.Add(15*time.Minute), at.Add(30*time.Minute)
	// counted has a call; empty only zero rows; other a call in another queue.
	rows := cdr.Rollup([]cdr.QueueCall{call("sd", counted), call("hr", other)}, nil, []cdr.BucketRef{{Switch: "pbx", Queue: "sd", Start: empty}})
	if err := s.WriteRollups(ctx, rows, 1); err != nil {
		t.Fatal(err)
	}
	ask := []cdr.BucketRef{
		{Switch: "pbx", Queue: "sd", Start: counted.Add(7 * time.Minute)}, // any instant of the bucket
		{Switch: "pbx", Queue: "sd", Start: empty},
		{Switch: "pbx", Queue: "sd", Start: other},
		{Switch: "other", Queue: "sd", Start: counted},
	}
	got, err := s.BucketsWithCounts(ctx, ask)
	if err != nil {
		t.Fatal(err)
	}
	want := []cdr.BucketRef{{Switch: "pbx", Queue: "sd", Start: counted}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	// Zeros written over the counted bucket leave an older version with
	// calls: it is still named (writing zeros again is harmless).
	if err := s.WriteRollups(ctx, cdr.Rollup(nil, nil, want), 2); err != nil {
		t.Fatal(err)
	}
	if got, err = s.BucketsWithCounts(ctx, ask); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after zeros: got %v, %v; want %v", got, err, want)
	}
}

// TestWriteRollupsKeepsOffsets checks that every rollup row keeps the UTC
// offset of its zone at each of its period starts (the views print the
// local starts from them): in Copenhagen on the autumn day, where the
// second 02:00 hour is at +01:00 but its day and month began at +02:00,
// and in Honolulu, ten hours west of UTC.
func TestWriteRollupsKeepsOffsets(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	hnl, err := time.LoadLocation("Pacific/Honolulu")
	if err != nil {
		t.Fatal(err)
	}
	hq := cdr.DefaultQueueSettings("hnl")
	hq.Location = hnl
	settings := &cdr.Settings{Queues: map[string]cdr.QueueSettings{"hnl": hq}} // "cph" gets the default zone
	call := func(queue, at string) cdr.QueueCall {
		enter, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		return cdr.QueueCall{Switch: "pbx", CallID: queue + at, Queue: queue, Outcome: cdr.Answered, EnterTime: enter.UTC(), WaitS: 5}
	}
	calls := []cdr.QueueCall{call("cph", "2025-10-26T02:20:00+01:00"), call("hnl", "2025-07-04T23:50:00-10:00")}
	if err := s.WriteRollups(ctx, cdr.Rollup(calls, settings, nil), 1); err != nil {
		t.Fatal(err)
	}
	rows, err := s.conn.Query(ctx, `SELECT queue, bucket_offset_s, hour_offset_s, day_offset_s, month_offset_s, quarter_offset_s, year_offset_s
FROM rollup_15m FINAL ORDER BY queue`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][6]*int32{}
	for rows.Next() {
		var q string
		var o [6]*int32
		if err := rows.Scan(&q, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5]); err != nil {
			t.Fatal(err)
		}
		got[q] = o
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	const h = 3600
	want := map[string][6]int32{
		"cph": {1 * h, 1 * h, 2 * h, 2 * h, 2 * h, 1 * h}, // 02:15+01:00, 02:00+01:00, 26 October, October, Q4 at +02:00; 2025 at +01:00
		"hnl": {-10 * h, -10 * h, -10 * h, -10 * h, -10 * h, -10 * h},
	}
	for q, w := range want {
		o, ok := got[q]
		if !ok {
			t.Fatalf("%s: got no row; want one", q)
		}
		for i := range w {
			if o[i] == nil {
				t.Errorf("%s %s offset: got NULL; want %d", q, cdr.Periods[i], w[i])
			} else if *o[i] != w[i] {
				t.Errorf("%s %s offset: got %d; want %d", q, cdr.Periods[i], *o[i], w[i])
			}
		}
	}
}
