package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestReadsKeepToTheReadersSwitches: a read whose context limits it to
// some switches (cdr.WithSwitches) sums, lists and returns theirs only,
// whatever switch it names: "*" is all of its switches, another switch is
// nothing.
func TestReadsKeepToTheReadersSwitches(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	at := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	var calls []cdr.QueueCall
	for sw, n := range map[string]int{"a": 2, "b": 3, "c": 7} {
		for i := range n {
			calls = append(calls, cdr.QueueCall{Switch: sw, CallID: sw + string(rune('0'+i)), Queue: "support", Outcome: cdr.Answered, EnterTime: at, WaitS: 10})
		}
	}
	calls = append(calls, cdr.QueueCall{Switch: "c", CallID: "own", Queue: "c_only", Outcome: cdr.Answered, EnterTime: at, WaitS: 10})
	if err := s.WriteRollups(ctx, cdr.Rollup(calls, nil, nil), 1); err != nil {
		t.Fatal(err)
	}
	for _, sw := range []string{"a", "c"} {
		if err := s.InsertRejects(ctx, "queue_log", []cdr.Reject{{Switch: sw, Line: 1, Field: "time", Reason: "bad", Raw: "x " + sw}}); err != nil {
			t.Fatal(err)
		}
	}
	ab := cdr.WithSwitches(ctx, []string{"a", "b"})
	offered := func(ctx context.Context, sw string) uint64 {
		t.Helper()
		rs, err := s.PeriodRollups(ctx, sw, "support", cdr.PeriodDay, at.Add(-time.Hour), at.Add(time.Hour), false)
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for _, r := range rs {
			n += r.Counts.Offered
		}
		return n
	}
	for _, tc := range []struct {
		ctx  context.Context
		sw   string
		want uint64
	}{{ctx, "*", 12}, {ab, "*", 5}, {ab, "", 5}, {ab, "b", 3}, {ab, "c", 0}} {
		if got := offered(tc.ctx, tc.sw); got != tc.want {
			_, limited := cdr.SwitchesOf(tc.ctx)
			t.Errorf("offered of switch %q (limited %v): %d; want %d", tc.sw, limited, got, tc.want)
		}
	}
	queues, err := s.RollupQueues(ab)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(queues, []string{"support"}) {
		t.Errorf("queues of a and b: %v; want [support]", queues)
	}
	rejects, err := s.RecentRejects(ab, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejects) != 1 || rejects[0].Switch != "a" {
		t.Errorf("rejects of a and b: %+v; want the one of a", rejects)
	}
	if rejects, err := s.RecentRejects(ab, "c", 10); err != nil || len(rejects) != 0 {
		t.Errorf("rejects of c for a reader of a and b: %+v, %v; want none", rejects, err)
	}
}
