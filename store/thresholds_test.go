package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestPeriodRollupsKeepWaitsPerOutcome writes rollup rows as the rollup job
// does (with the answered and abandoned waits apart, migration 0014) and
// as rows written before 0014 read (insertRollups: without them), and
// checks what a period sums: the exact waits per outcome where every row
// has them, so any threshold is known; the offered calls of the older rows
// (UnsplitOffered) where some have not, so the thresholds are unknown
// instead of counting those calls as never within; a row of zeros written
// before 0014 changes nothing.
func TestPeriodRollupsKeepWaitsPerOutcome(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	settings := &cdr.Settings{Queues: map[string]cdr.QueueSettings{"support": cdr.DefaultQueueSettings("support")}}
	call := func(id string, at time.Time, o cdr.Outcome, wait uint32) cdr.QueueCall {
		return cdr.QueueCall{Switch: "pbx", CallID: id, Queue: "support", Outcome: o, EnterTime: at.UTC(), WaitS: wait}
	}
	jan := time.Date(2024, 1, 15, 9, 0, 0, 0, loc)
	feb := time.Date(2024, 2, 15, 9, 0, 0, 0, loc)
	mar := time.Date(2024, 3, 15, 9, 0, 0, 0, loc)
	apr := time.Date(2024, 4, 15, 9, 0, 0, 0, loc)
	calls := []cdr.QueueCall{
		call("a1", jan, cdr.Answered, 10), call("a2", jan.Add(time.Hour), cdr.Answered, 20), call("a3", jan, cdr.Answered, 21),
		call("b1", jan, cdr.Abandoned, 20), call("b2", jan, cdr.Abandoned, 30), call("t1", jan, cdr.Timeout, 5),
		call("a4", mar, cdr.Answered, 3), call("a5", apr, cdr.Answered, 3),
	}
	if err := s.WriteRollups(ctx, cdr.Rollup(calls, settings, nil), 1); err != nil {
		t.Fatal(err)
	}
	insertRollups(t, s,
		testRollup{"pbx", "support", feb.UTC(), true, 1, cdr.Counts{Offered: 4, Answered: 4, AnsweredWithinSLA: 4, WaitHist: map[uint32]uint64{10: 4}}},
		testRollup{"pbx", "support", mar.Add(time.Hour).UTC(), true, 1, cdr.Counts{Offered: 2, Abandoned: 2, WaitHist: map[uint32]uint64{50: 2}}},
		testRollup{"pbx", "support", apr.Add(time.Hour).UTC(), true, 1, cdr.Counts{}},
	)
	got, err := s.PeriodRollups(ctx, "*", "support", "month", time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2024, 5, 1, 0, 0, 0, 0, loc), false)
	if err != nil {
		t.Fatal(err)
	}
	month := func(m time.Month) cdr.Counts { return got[time.Date(2024, m, 1, 0, 0, 0, 0, loc).UTC()].Counts }
	j := month(time.January)
	if !reflect.DeepEqual(j.AnsweredWaits, map[uint32]uint64{10: 1, 20: 1, 21: 1}) || !reflect.DeepEqual(j.AbandonedWaits, map[uint32]uint64{20: 1, 30: 1}) || j.UnsplitOffered != 0 {
		t.Errorf("January: got answered waits %v, abandoned waits %v, unsplit %d; want {10:1 20:1 21:1}, {20:1 30:1}, 0", j.AnsweredWaits, j.AbandonedWaits, j.UnsplitOffered)
	}
	if a, b, ok := j.Within(20); !ok || a != 2 || b != 1 {
		t.Errorf("January within 20 s: got %d answered, %d abandoned, known %v; want 2, 1, true", a, b, ok)
	}
	for _, m := range []time.Month{time.February, time.March} {
		c := month(m)
		if _, _, ok := c.Within(20); ok {
			t.Errorf("%v, counted (partly) before 0014: thresholds known; want unknown (unsplit %d)", m, c.UnsplitOffered)
		}
	}
	if c := month(time.February); c.UnsplitOffered != 4 {
		t.Errorf("February: got %d unsplit calls; want its 4", c.UnsplitOffered)
	}
	if c := month(time.March); c.UnsplitOffered != 2 || c.Offered != 3 {
		t.Errorf("March: got %d unsplit of %d offered; want 2 of 3", c.UnsplitOffered, c.Offered)
	}
	a4 := month(time.April)
	if a, _, ok := a4.Within(20); !ok || a != 1 {
		t.Errorf("April, with an empty row from before 0014: got %d answered within 20 s, known %v (unsplit %d); want 1, true", a, ok, a4.UnsplitOffered)
	}
}
