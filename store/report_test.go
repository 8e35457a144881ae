package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// rollupDDL is rollup_15m as migration 0002 creates it; IF NOT EXISTS makes
// it a no-op where the migration already ran.
const rollupDDL = `CREATE TABLE IF NOT EXISTS rollup_15m (
  switch String, queue String, bucket DateTime, in_hours UInt8,
  hour_start DateTime, day_start DateTime, month_start DateTime, quarter_start DateTime, year_start DateTime,
  tz String, version UInt64,
  offered UInt64, answered UInt64, abandoned UInt64, timeout UInt64, exit_key UInt64, exit_other UInt64, unknown UInt64,
  short_abandoned UInt64, answered_within_sla UInt64, abandoned_within_sla UInt64, transferred UInt64,
  wait_answered_s UInt64, wait_all_s UInt64, talk_s UInt64, max_wait_s UInt64,
  wait_hist_keys Array(UInt32), wait_hist_counts Array(UInt64),
  dispositions UInt64, resolved_first_contact UInt64,
  sla_s UInt32, short_abandon_s UInt32, sla_formula String, sla_target Float64, fcr_target Float64,
  rolled_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(bucket) ORDER BY (queue, switch, bucket, in_hours)`

type testRollup struct {
	sw, queue string
	bucket    time.Time
	inHours   bool
	version   uint64
	c         cdr.Counts
}

// insertRollups writes rows in one batch (one part), with the period keys
// computed in Copenhagen time as the rollup job does, and counts their
// days again as WriteRollups does.
func insertRollups(t *testing.T, s *Store, rows ...testRollup) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO rollup_15m (switch, queue, bucket, in_hours,
hour_start, day_start, month_start, quarter_start, year_start, tz, version,
offered, answered, abandoned, timeout, exit_key, exit_other, unknown,
short_abandoned, answered_within_sla, abandoned_within_sla, transferred,
wait_answered_s, wait_all_s, talk_s, max_wait_s, wait_hist_keys, wait_hist_counts,
dispositions, resolved_first_contact, sla_s, short_abandon_s, sla_formula, sla_target, fcr_target)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		l := r.bucket.In(loc)
		hour := l.Truncate(time.Hour) // Copenhagen's offsets are whole hours
		day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		month := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
		quarter := time.Date(l.Year(), (l.Month()-1)/3*3+1, 1, 0, 0, 0, 0, loc)
		year := time.Date(l.Year(), 1, 1, 0, 0, 0, 0, loc)
		var keys []uint32
		var vals []uint64
		for k, v := range r.c.WaitHist {
			keys, vals = append(keys, k), append(vals, v)
		}
		var in uint8
		if r.inHours {
			in = 1
		}
		c := r.c
		if err := b.Append(r.sw, r.queue, r.bucket.UTC(), in,
			hour.UTC(), day.UTC(), month.UTC(), quarter.UTC(), year.UTC(), "Europe/Copenhagen", r.version,
			c.Offered, c.Answered, c.Abandoned, c.Timeout, c.ExitKey, c.ExitOther, c.Unknown,
			c.ShortAbandoned, c.AnsweredWithinSLA, c.AbandonedWithinSLA, c.Transferred,
			c.WaitAnsweredS, c.WaitAllS, c.TalkS, c.MaxWaitS, keys, vals,
			c.Dispositions, c.ResolvedFirstContact, uint32(300), uint32(5), cdr.FormulaOfferedExclShort, 0.8, 0.6); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	// And their days, as WriteRollups counts them, under the highest
	// version written.
	var refs []cdr.BucketRef
	var version uint64
	for _, r := range rows {
		refs = append(refs, cdr.BucketRef{Switch: r.sw, Queue: r.queue, Start: r.bucket})
		version = max(version, r.version)
	}
	if err := s.recountDays(ctx, refs, version); err != nil {
		t.Fatal(err)
	}
}

func TestPeriodCounts(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.conn.Exec(ctx, rollupDDL); err != nil {
		t.Fatalf("create rollup_15m: %v", err)
	}
	t.Logf("server version %s", s.ServerVersion())
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	jan15 := at("2024-01-15 09:00")
	// The first version of a key, replaced below by version 2 in another part.
	insertRollups(t, s, testRollup{"a", "support", jan15, true, 1, cdr.Counts{
		Offered: 10, Answered: 10, WaitAllS: 100, MaxWaitS: 40, WaitHist: map[uint32]uint64{5: 3, 40: 7},
	}})
	insertRollups(t, s,
		testRollup{"a", "support", jan15, true, 2, cdr.Counts{
			Offered: 12, Answered: 9, Abandoned: 2, Unknown: 1, ShortAbandoned: 1, AnsweredWithinSLA: 8, AbandonedWithinSLA: 2,
			Transferred: 1, WaitAnsweredS: 90, WaitAllS: 200, TalkS: 1800, MaxWaitS: 40,
			WaitHist: map[uint32]uint64{5: 4, 40: 8}, Dispositions: 6, ResolvedFirstContact: 4,
		}},
		// Midnight on the 1st, local: January, although it is 31 December in UTC.
		testRollup{"a", "support", at("2024-01-01 00:00"), false, 1, cdr.Counts{
			Offered: 3, Answered: 1, Abandoned: 1, Timeout: 1, WaitAnsweredS: 10, WaitAllS: 4010, MaxWaitS: 2000,
			WaitHist: map[uint32]uint64{5: 1, cdr.WaitBucket(2000): 2},
		}},
		testRollup{"b", "support", jan15, true, 1, cdr.Counts{
			Offered: 5, Answered: 5, AnsweredWithinSLA: 5, WaitAnsweredS: 200, WaitAllS: 200, MaxWaitS: 40,
			WaitHist: map[uint32]uint64{40: 5}, Dispositions: 5, ResolvedFirstContact: 5,
		}},
		testRollup{"a", "support", at("2024-02-01 10:00"), true, 1, cdr.Counts{Offered: 7, ExitKey: 7, WaitAllS: 70, MaxWaitS: 10, WaitHist: map[uint32]uint64{10: 7}}},
		testRollup{"a", "sales", jan15, true, 1, cdr.Counts{Offered: 100, ExitOther: 100, WaitHist: map[uint32]uint64{0: 100}}},
		// At the end of the range: excluded.
		testRollup{"a", "support", at("2024-03-01 00:00"), true, 1, cdr.Counts{Offered: 1000, WaitHist: map[uint32]uint64{0: 1000}}},
	)

	from, to := at("2024-01-01 00:00"), at("2024-03-01 00:00")
	got, err := s.PeriodCounts(ctx, "*", "support", "month", from, to, false)
	if err != nil {
		t.Fatalf("PeriodCounts: %v", err)
	}
	jan := cdr.Counts{
		Offered: 12 + 3 + 5, Answered: 9 + 1 + 5, Abandoned: 2 + 1, Timeout: 1, Unknown: 1, ShortAbandoned: 1,
		AnsweredWithinSLA: 8 + 5, AbandonedWithinSLA: 2, Transferred: 1,
		WaitAnsweredS: 90 + 10 + 200, WaitAllS: 200 + 4010 + 200, TalkS: 1800, MaxWaitS: 2000,
		WaitHist:     map[uint32]uint64{5: 4 + 1, 40: 8 + 5, 1980: 2},
		Dispositions: 6 + 5, ResolvedFirstContact: 4 + 5,
		// insertRollups writes rows as before migration 0014: without
		// the waits per outcome.
		UnsplitOffered: 12 + 3 + 5,
	}
	feb := cdr.Counts{Offered: 7, ExitKey: 7, WaitAllS: 70, MaxWaitS: 10, WaitHist: map[uint32]uint64{10: 7}, UnsplitOffered: 7}
	want := map[time.Time]cdr.Counts{at("2024-01-01 00:00"): jan, at("2024-02-01 00:00"): feb}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("month, all switches, all hours:\ngot  %+v\nwant %+v", got, want)
	}

	// One switch, in hours only.
	got, err = s.PeriodCounts(ctx, "b", "support", "month", from, to, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[at("2024-01-01 00:00")].Offered != 5 {
		t.Fatalf("switch b: got %+v; want 5 offered in January", got)
	}
	got, err = s.PeriodCounts(ctx, "", "support", "month", from, to, true)
	if err != nil {
		t.Fatal(err)
	}
	if g := got[at("2024-01-01 00:00")]; g.Offered != 17 || !reflect.DeepEqual(g.WaitHist, map[uint32]uint64{5: 4, 40: 13}) {
		t.Fatalf("in hours: got %+v; want 17 offered", g)
	}

	// Per 15 minutes the key is the bucket itself.
	got, err = s.PeriodCounts(ctx, "a", "support", "15m", from, to, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[jan15].Offered != 12 || got[at("2024-01-01 00:00")].Offered != 3 {
		t.Fatalf("15m: got %+v", got)
	}
	for _, p := range []string{"hour", "day", "quarter", "year"} {
		got, err = s.PeriodCounts(ctx, "*", "support", p, from, to, false)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var n uint64
		for _, c := range got {
			n += c.Offered
		}
		if n != 27 {
			t.Fatalf("%s: got %d offered in total; want 27", p, n)
		}
	}

	// An input meant to break out of its string literal is matched literally.
	got, err = s.PeriodCounts(ctx, "a' OR 1=1 --", "support' OR '1'='1", "month", from, to, false)
	if err != nil || len(got) != 0 {
		t.Fatalf("injection attempt: got %v, %v; want no rows", got, err)
	}
	if _, err := s.PeriodCounts(ctx, "*", "support", "week", from, to, false); err == nil {
		t.Fatalf("period week: got no error; want one")
	}
	if got, err := s.PeriodCounts(ctx, "*", "support", "month", to, from, false); err != nil || len(got) != 0 {
		t.Fatalf("empty range: got %v, %v", got, err)
	}
}

// TestPeriodRollupsSayWhatTheyWereCountedWith writes rollup rows as the
// rollup job does, with three settings versions in one month, and reads
// per period the versions its rows were counted with and the settings of
// the row counted last, for all calls and for in-hours calls alone.
func TestPeriodRollupsSayWhatTheyWereCountedWith(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	settings := func(version string, sla int) *cdr.Settings {
		q := cdr.DefaultQueueSettings("support")
		for d := time.Monday; d <= time.Friday; d++ {
			q.Hours[d] = []cdr.MinuteRange{{From: 8 * 60, To: 16 * 60}}
		}
		q.SLAS = sla
		return &cdr.Settings{Queues: map[string]cdr.QueueSettings{"support": q}, Version: version}
	}
	call := func(id string, at time.Time, wait uint32) cdr.QueueCall {
		return cdr.QueueCall{Switch: "pbx", CallID: id, Queue: "support", Outcome: cdr.Answered, EnterTime: at.UTC(), WaitS: wait}
	}
	jan15 := time.Date(2024, 1, 15, 9, 0, 0, 0, loc) // a Monday
	for _, w := range []struct {
		settings *cdr.Settings
		calls    []cdr.QueueCall
		version  uint64
	}{
		{settings("aaaaaaaaaaaa", 60), []cdr.QueueCall{call("a", jan15, 30)}, 1},                                  // in hours
		{settings("bbbbbbbbbbbb", 20), []cdr.QueueCall{call("b", jan15.AddDate(0, 0, 1), 30)}, 2},                 // in hours, the next day
		{settings("cccccccccccc", 40), []cdr.QueueCall{call("c", jan15.Add(11*time.Hour), 30)}, 3},                // out of hours, counted last
		{settings("aaaaaaaaaaaa", 60), []cdr.QueueCall{call("d", time.Date(2024, 2, 5, 9, 0, 0, 0, loc), 30)}, 1}, // February
	} {
		if err := s.WriteRollups(ctx, cdr.Rollup(w.calls, w.settings, nil), w.version); err != nil {
			t.Fatal(err)
		}
	}
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2024, 3, 1, 0, 0, 0, 0, loc)
	type want struct {
		versions []string
		sla      int
		version  string
		offered  uint64
		within   uint64
	}
	check := func(period string, inHours bool, wants map[time.Time]want) {
		t.Helper()
		got, err := s.PeriodRollups(ctx, "*", "support", period, from, to, inHours)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(wants) {
			t.Fatalf("%s in_hours %v: got %d periods; want %d: %+v", period, inHours, len(got), len(wants), got)
		}
		for start, w := range wants {
			g := got[start.UTC()]
			if !reflect.DeepEqual(g.Versions, w.versions) || g.With.SLAS != w.sla || g.With.Version != w.version ||
				g.With.SLAFormula != cdr.FormulaOfferedExclShort || g.With.SLATarget != 0.8 || g.Counts.Offered != w.offered || g.Counts.AnsweredWithinSLA != w.within {
				t.Errorf("%s %s in_hours %v: got versions %v, with %+v, offered %d, within %d; want %v, sla_s %d of %s, %d, %d",
					period, start.Format(time.DateOnly), inHours, g.Versions, g.With, g.Counts.Offered, g.Counts.AnsweredWithinSLA, w.versions, w.sla, w.version, w.offered, w.within)
			}
		}
	}
	jan, feb := time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2024, 2, 1, 0, 0, 0, 0, loc)
	check("month", false, map[time.Time]want{
		jan: {[]string{"aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"}, 40, "cccccccccccc", 3, 2},
		feb: {[]string{"aaaaaaaaaaaa"}, 60, "aaaaaaaaaaaa", 1, 1},
	})
	check("month", true, map[time.Time]want{
		jan: {[]string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}, 20, "bbbbbbbbbbbb", 2, 1},
		feb: {[]string{"aaaaaaaaaaaa"}, 60, "aaaaaaaaaaaa", 1, 1},
	})
	check("day", false, map[time.Time]want{
		time.Date(2024, 1, 15, 0, 0, 0, 0, loc): {[]string{"aaaaaaaaaaaa", "cccccccccccc"}, 40, "cccccccccccc", 2, 2},
		time.Date(2024, 1, 16, 0, 0, 0, 0, loc): {[]string{"bbbbbbbbbbbb"}, 20, "bbbbbbbbbbbb", 1, 0},
		time.Date(2024, 2, 5, 0, 0, 0, 0, loc):  {[]string{"aaaaaaaaaaaa"}, 60, "aaaaaaaaaaaa", 1, 1},
	})
}
