package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/chtest"
)

// yearOfCalls returns a call every 37 minutes of 2024 on switches a and b
// of queue support, with outcomes and waits that vary, and settings that
// put the queue in Copenhagen (two daylight-saving changes) open on
// weekdays from 8 to 16.
func yearOfCalls(t *testing.T) ([]cdr.QueueCall, *cdr.Settings) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	q := cdr.DefaultQueueSettings("support")
	q.Location = loc
	for d := time.Monday; d <= time.Friday; d++ {
		q.Hours[d] = []cdr.MinuteRange{{From: 8 * 60, To: 16 * 60}}
	}
	settings := &cdr.Settings{Queues: map[string]cdr.QueueSettings{"support": q}, Version: "v1"}
	outcomes := []cdr.Outcome{cdr.Answered, cdr.Answered, cdr.Abandoned, cdr.Timeout, cdr.ExitKey, cdr.Unknown}
	var calls []cdr.QueueCall
	start, end := time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	for i, at := 0, start; at.Before(end); i, at = i+1, at.Add(37*time.Minute) {
		calls = append(calls, cdr.QueueCall{
			Switch: []string{"a", "b"}[i%2], CallID: fmt.Sprint(i), Queue: "support",
			Outcome: outcomes[i%len(outcomes)], EnterTime: at.UTC(), WaitS: uint32(i % 900), TalkS: uint32(i % 300),
		})
	}
	return calls, settings
}

// expectedCounts sums rows per period start (of period) over the buckets
// in [from, to) of switch sw ("" for all), as PeriodCounts should.
func expectedCounts(rows []cdr.RollupRow, period, sw string, from, to time.Time, inHoursOnly bool) map[time.Time]cdr.Counts {
	out := map[time.Time]cdr.Counts{}
	for _, r := range rows {
		if r.Keys.Bucket.Before(from) || !r.Keys.Bucket.Before(to) || (sw != "" && r.Switch != sw) || (inHoursOnly && !r.InHours) {
			continue
		}
		start := map[string]time.Time{"day": r.Keys.Day, "month": r.Keys.Month, "year": r.Keys.Year}[period].UTC()
		c := out[start]
		c.Add(&r.Counts)
		out[start] = c
	}
	return out
}

// TestPeriodRollupsReadDaysNotBuckets writes a year of rollups as the
// rollup job does, then a second version of March and an emptied bucket,
// and checks that reports of months and of days, over whole days and over
// ranges that cut days, give the sums of the rows written, while a year of
// months reads far fewer rows than the year's 15-minute rows (the report of
// 12 months × 10 queues took 2.1 s reading every one: docs/BENCHMARKS.md).
func TestPeriodRollupsReadDaysNotBuckets(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	calls, settings := yearOfCalls(t)
	if err := s.WriteRollups(ctx, cdr.Rollup(calls, settings, nil), 1); err != nil {
		t.Fatal(err)
	}
	// Version 2 of March: every call abandoned, counted with other settings.
	settings2 := *settings
	settings2.Version = "v2"
	var march []cdr.QueueCall
	loc := settings.Queues["support"].Location
	for i := range calls {
		if l := calls[i].EnterTime.In(loc); l.Month() == time.March {
			calls[i].Outcome = cdr.Abandoned
			march = append(march, calls[i])
		}
	}
	if err := s.WriteRollups(ctx, cdr.Rollup(march, &settings2, nil), 2); err != nil {
		t.Fatal(err)
	}
	// A bucket of June emptied: its calls went away, zeros replace them.
	var june time.Time
	for _, c := range calls {
		if !c.EnterTime.Before(time.Date(2024, 6, 3, 10, 0, 0, 0, loc)) {
			june = cdr.BucketOf(c.EnterTime)
			break
		}
	}
	var kept []cdr.QueueCall
	var gone []cdr.BucketRef
	for _, c := range calls {
		if cdr.BucketOf(c.EnterTime).Equal(june) {
			gone = append(gone, cdr.BucketRef{Switch: c.Switch, Queue: c.Queue, Start: june})
			continue
		}
		kept = append(kept, c)
	}
	if len(gone) == 0 {
		t.Fatal("no call in the June bucket; the test would check nothing")
	}
	if err := s.WriteRollups(ctx, cdr.Rollup(nil, settings, gone), 3); err != nil {
		t.Fatal(err)
	}
	want := cdr.Rollup(kept, settings, nil)

	// Progress reports the rows the server read for the query.
	var read uint64
	readCtx := clickhouse.Context(ctx, clickhouse.WithProgress(func(p *clickhouse.Progress) { read += p.Rows }))
	year := [2]time.Time{time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc)}
	got, err := s.PeriodCounts(readCtx, "", "support", "month", year[0], year[1], false)
	if err != nil {
		t.Fatal(err)
	}
	if w := expectedCounts(want, "month", "", year[0], year[1], false); len(got) != 12 || !reflect.DeepEqual(got, w) {
		t.Fatalf("months of 2024:\ngot  %+v\nwant %+v", got, w)
	}
	var buckets int
	for _, r := range want {
		if !r.Keys.Bucket.Before(year[0]) && r.Keys.Bucket.Before(year[1]) {
			buckets++
		}
	}
	t.Logf("the months of a year read %d rows; the year has %d 15-minute rows", read, buckets)
	if read == 0 || read > uint64(buckets)/3 {
		t.Errorf("the months of a year read %d rows of %d 15-minute rows; want a third or less (days, not buckets)", read, buckets)
	}

	// Ranges that cut days, on both daylight-saving days, one switch or
	// both, all calls or those in hours.
	cut := [2]time.Time{time.Date(2024, 3, 31, 1, 30, 0, 0, loc), time.Date(2024, 10, 27, 14, 45, 0, 0, loc)}
	for _, period := range []string{"day", "month", "year"} {
		for _, sw := range []string{"", "b"} {
			for _, in := range []bool{false, true} {
				for _, r := range [][2]time.Time{year, cut} {
					got, err := s.PeriodCounts(ctx, sw, "support", period, r[0], r[1], in)
					if err != nil {
						t.Fatal(err)
					}
					if w := expectedCounts(want, period, sw, r[0], r[1], in); !reflect.DeepEqual(got, w) {
						t.Fatalf("%s of switch %q from %v to %v, in hours only %v: got %d periods, want %d; first difference %s",
							period, sw, r[0], r[1], in, len(got), len(w), firstDifference(got, w))
					}
				}
			}
		}
	}

	// The settings: the first quarter was counted with v1 (January,
	// February) and v2 (March, counted last).
	rs, err := s.PeriodRollups(ctx, "", "support", "quarter", year[0], year[1], false)
	if err != nil {
		t.Fatal(err)
	}
	q1 := rs[time.Date(2024, 1, 1, 0, 0, 0, 0, loc).UTC()]
	if !reflect.DeepEqual(q1.Versions, []string{"v1", "v2"}) || q1.With.Version != "v2" {
		t.Fatalf("first quarter counted with %v, last with %q; want [v1 v2], v2", q1.Versions, q1.With.Version)
	}
}

// firstDifference names the first period start where got and want differ.
func firstDifference(got, want map[time.Time]cdr.Counts) string {
	for k, w := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
			return fmt.Sprintf("at %v: got %+v (present %v), want %+v", k, g, ok, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			return fmt.Sprintf("at %v: got %+v, want none", k, g)
		}
	}
	return "none"
}

// TestMonthViewReadsDays writes a year of rollups as the rollup job does
// and reads queue_month as a BI tool would: every month's figures are the
// sums of the rows written, and a query for one queue-month reads far fewer
// rows than the year's 15-minute rows (the view groups all of its source on
// every query: 18.16 does not push the WHERE into it).
func TestMonthViewReadsDays(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	calls, settings := yearOfCalls(t)
	rows := cdr.Rollup(calls, settings, nil)
	if err := s.WriteRollups(ctx, rows, 1); err != nil {
		t.Fatal(err)
	}
	loc := settings.Queues["support"].Location
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	for _, hours := range []string{"all", "in"} {
		want := expectedCounts(rows, "month", "", from, to, hours == "in")
		got := s.readView(t, "queue_month", "queue = 'support' AND switch = '*' AND hours = ?", hours)
		if len(got) != len(want) {
			t.Fatalf("hours %s: got %d months; want %d", hours, len(got), len(want))
		}
		for _, g := range got {
			w := want[g.Start.UTC()]
			if g.Offered != w.Offered || g.Answered != w.Answered || g.Abandoned != w.Abandoned || g.Short != w.ShortAbandoned ||
				g.AWithin != w.AnsweredWithinSLA || g.BWithin != w.AbandonedWithinSLA || g.MaxWait != w.MaxWaitS {
				t.Fatalf("hours %s, month %v: got %+v; want %+v", hours, g.Start, g, w)
			}
		}
	}

	var read uint64
	readCtx := clickhouse.Context(ctx, clickhouse.WithProgress(func(p *clickhouse.Progress) { read += p.Rows }))
	var offered uint64
	if err := s.conn.QueryRow(readCtx, `SELECT offered FROM queue_month
WHERE queue = 'support' AND switch = '*' AND hours = 'all' AND period_start = ?`, time.Date(2024, 4, 1, 0, 0, 0, 0, loc).UTC()).Scan(&offered); err != nil {
		t.Fatal(err)
	}
	if w := expectedCounts(rows, "month", "", from, to, false)[time.Date(2024, 4, 1, 0, 0, 0, 0, loc).UTC()]; offered != w.Offered {
		t.Fatalf("April: got %d offered; want %d", offered, w.Offered)
	}
	t.Logf("one queue-month of the view read %d rows; the year has %d 15-minute rows", read, len(rows))
	if read == 0 || read > uint64(len(rows))/3 {
		t.Errorf("one queue-month of the view read %d rows of %d 15-minute rows; want a third or less (days, not buckets)", read, len(rows))
	}
}

// TestPeriodRollupsDayCutForOneSwitchOnly reads from 09:00 of a day on
// which one switch had a call at 08:00 and both had one at 10:00: the range
// cuts that switch's day but holds all of the other's, and each call of the
// range counts once.
func TestPeriodRollupsDayCutForOneSwitchOnly(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	q := cdr.DefaultQueueSettings("x")
	q.Location = loc
	settings := &cdr.Settings{Queues: map[string]cdr.QueueSettings{"x": q}}
	at := func(h int) time.Time { return time.Date(2024, 5, 7, h, 0, 0, 0, loc).UTC() }
	calls := []cdr.QueueCall{
		{Switch: "a", CallID: "1", Queue: "x", Outcome: cdr.Answered, EnterTime: at(10)},
		{Switch: "b", CallID: "2", Queue: "x", Outcome: cdr.Answered, EnterTime: at(8)},
		{Switch: "b", CallID: "3", Queue: "x", Outcome: cdr.Answered, EnterTime: at(10)},
	}
	if err := s.WriteRollups(ctx, cdr.Rollup(calls, settings, nil), 1); err != nil {
		t.Fatal(err)
	}
	// From the epoch, as the dashboard asks for every year.
	all, err := s.PeriodCounts(ctx, "", "x", "year", time.Unix(0, 0), at(24*365), false)
	if err != nil || len(all) != 1 || all[time.Date(2024, 1, 1, 0, 0, 0, 0, loc).UTC()].Offered != 3 {
		t.Fatalf("years from the epoch: got %v, %v; want 3 offered in 2024", all, err)
	}
	for _, period := range []string{"day", "month"} {
		got, err := s.PeriodCounts(ctx, "", "x", period, at(9), at(24*3), false)
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for _, c := range got {
			n += c.Offered
		}
		if n != 2 || len(got) != 1 {
			t.Fatalf("%s from 09:00: got %d offered in %d periods; want 2 in 1", period, n, len(got))
		}
	}
}

// TestClusterDaySums runs the day sums on the test cluster (make
// test-cluster): rollups written through the jobs' store, read through the
// readers' from another node, give the sums of the rows written for whole
// and cut ranges, and queue_month gives the same months.
func TestClusterDaySums(t *testing.T) {
	tc := chtest.Cluster(t)
	db := tc.NewDatabase(t)
	ctx := context.Background()
	w := openCluster(t, db, true, tc.Addrs[0]).ConsistentReads()
	r := openCluster(t, db, false, tc.Addrs[3])
	calls, settings := yearOfCalls(t)
	rows := cdr.Rollup(calls, settings, nil)
	if err := w.WriteRollups(ctx, rows, 1); err != nil {
		t.Fatal(err)
	}
	loc := settings.Queues["support"].Location
	year := [2]time.Time{time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc)}
	cut := [2]time.Time{time.Date(2024, 3, 31, 1, 30, 0, 0, loc), time.Date(2024, 10, 27, 14, 45, 0, 0, loc)}
	for _, rg := range [][2]time.Time{year, cut} {
		got, err := r.PeriodCounts(ctx, "", "support", "month", rg[0], rg[1], false)
		if err != nil {
			t.Fatal(err)
		}
		if want := expectedCounts(rows, "month", "", rg[0], rg[1], false); !reflect.DeepEqual(got, want) {
			t.Fatalf("months from %v to %v: %s", rg[0], rg[1], firstDifference(got, want))
		}
	}
	// Several queues in one read, as acdstat report --queue a,b reads them.
	both, err := r.PeriodRollupsOf(ctx, "", "month", []QueueRange{{Queue: "support", From: cut[0], To: cut[1]}, {Queue: "nothing", From: year[0], To: year[1]}}, false)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := r.PeriodRollups(ctx, "", "support", "month", cut[0], cut[1], false)
	if err != nil {
		t.Fatal(err)
	}
	if len(both) != 2 || len(both["nothing"]) != 0 || len(alone) == 0 || !reflect.DeepEqual(both["support"], alone) {
		t.Fatalf("support and nothing together: got %d queues, %d and %d months; support alone %d months, or they differ", len(both), len(both["support"]), len(both["nothing"]), len(alone))
	}
	want := expectedCounts(rows, "month", "", year[0], year[1], false)
	got := r.readView(t, "queue_month", "queue = 'support' AND switch = '*' AND hours = 'all'")
	if len(got) != 12 {
		t.Fatalf("queue_month: got %d months; want 12", len(got))
	}
	for _, g := range got {
		if w := want[g.Start.UTC()]; g.Offered != w.Offered || g.Answered != w.Answered || g.MaxWait != w.MaxWaitS {
			t.Fatalf("queue_month %v: got %+v; want %+v", g.Start, g, w)
		}
	}
}

// TestPeriodRollupsOfSeveralQueues writes a year of rollups of two queues
// in different zones and reads them in one call of PeriodRollupsOf, each
// queue with its own range (a whole local year, a range that cuts days on
// both daylight-saving days), beside a queue without rows and one with an
// empty range: every queue's periods are those PeriodRollups gives it
// alone, counts, versions and settings, and the sums of the rows written.
func TestPeriodRollupsOfSeveralQueues(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	calls, settings := yearOfCalls(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	sales := settings.Queues["support"]
	sales.Name, sales.Location = "sales", ny
	settings.Queues["sales"] = sales
	for _, c := range calls[:len(calls)/2] {
		c.Queue, c.CallID = "sales", "s"+c.CallID
		calls = append(calls, c)
	}
	rows := cdr.Rollup(calls, settings, nil)
	if err := s.WriteRollups(ctx, rows, 1); err != nil {
		t.Fatal(err)
	}
	// Version 2 of the sales calls of May: counted with other settings.
	settings2 := *settings
	settings2.Version = "v2"
	var may []cdr.QueueCall
	for _, c := range calls {
		if c.Queue == "sales" && c.EnterTime.In(ny).Month() == time.May {
			may = append(may, c)
		}
	}
	if err := s.WriteRollups(ctx, cdr.Rollup(may, &settings2, nil), 2); err != nil {
		t.Fatal(err)
	}
	cph := settings.Queues["support"].Location
	ranges := []QueueRange{
		{Queue: "support", From: time.Date(2024, 1, 1, 0, 0, 0, 0, cph), To: time.Date(2025, 1, 1, 0, 0, 0, 0, cph)},
		{Queue: "sales", From: time.Date(2024, 3, 10, 1, 30, 0, 0, ny), To: time.Date(2024, 11, 3, 14, 45, 0, 0, ny)},
		{Queue: "nothing", From: time.Date(2024, 1, 1, 0, 0, 0, 0, cph), To: time.Date(2025, 1, 1, 0, 0, 0, 0, cph)},
		{Queue: "backwards", From: time.Date(2025, 1, 1, 0, 0, 0, 0, cph), To: time.Date(2024, 1, 1, 0, 0, 0, 0, cph)},
	}
	for _, period := range []string{"15m", "day", "month", "year"} {
		for _, sw := range []string{"", "b"} {
			for _, in := range []bool{false, true} {
				got, err := s.PeriodRollupsOf(ctx, sw, period, ranges, in)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(ranges) {
					t.Fatalf("%s of switch %q, in hours %v: got %d queues; want %d", period, sw, in, len(got), len(ranges))
				}
				for _, r := range ranges {
					alone, err := s.PeriodRollups(ctx, sw, r.Queue, period, r.From, r.To, in)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got[r.Queue], alone) {
						t.Fatalf("%s of %s, switch %q, in hours %v: together %d periods, alone %d", period, r.Queue, sw, in, len(got[r.Queue]), len(alone))
					}
					if period == "15m" {
						continue // expectedCounts keys days, months and years
					}
					counts := map[time.Time]cdr.Counts{}
					for k, v := range got[r.Queue] {
						counts[k] = v.Counts
					}
					var of []cdr.RollupRow
					for _, row := range rows {
						if row.Queue == r.Queue {
							of = append(of, row)
						}
					}
					if w := expectedCounts(of, period, sw, r.From, r.To, in); !reflect.DeepEqual(counts, w) {
						t.Fatalf("%s of %s, switch %q, in hours %v: %s", period, r.Queue, sw, in, firstDifference(counts, w))
					}
				}
			}
		}
	}
	got, err := s.PeriodRollupsOf(ctx, "", "month", ranges, false)
	if err != nil {
		t.Fatal(err)
	}
	if m := got["sales"][time.Date(2024, 5, 1, 0, 0, 0, 0, ny).UTC()]; m.With.Version != "v2" || got["sales"][time.Date(2024, 4, 1, 0, 0, 0, 0, ny).UTC()].With.Version != "v1" {
		t.Fatalf("sales: May counted with %q, April with %q; want v2, v1", m.With.Version, got["sales"][time.Date(2024, 4, 1, 0, 0, 0, 0, ny).UTC()].With.Version)
	}
	if _, err := s.PeriodRollupsOf(ctx, "", "month", append(ranges, ranges[0]), false); err == nil {
		t.Fatal("a queue asked twice: got no error; want one")
	}
}
