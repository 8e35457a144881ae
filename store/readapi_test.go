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

func withCaller(c cdr.StoredCall, caller string, wait uint32) cdr.StoredCall {
	c.Caller, c.WaitS = caller, wait
	return c
}

func TestAbandonedCallersLeavesOutThoseAnsweredLater(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC)
	calls := []cdr.StoredCall{
		withCaller(call("pbx1", "a1", "support", 0, cdr.Abandoned, 1, t0), "4511111111", 40),
		// 4522222222 abandons, then gets through in another queue of pbx1.
		withCaller(call("pbx1", "a2", "support", 0, cdr.Abandoned, 1, t0.Add(time.Minute)), "4522222222", 50),
		withCaller(call("pbx1", "a3", "sales", 0, cdr.Answered, 1, t0.Add(10*time.Minute)), "4522222222", 5),
		// 4533333333 was answered before abandoning: still to ring back.
		withCaller(call("pbx1", "a4", "sales", 0, cdr.Answered, 1, t0.Add(-time.Hour)), "4533333333", 5),
		withCaller(call("pbx1", "a5", "support", 0, cdr.Abandoned, 1, t0.Add(2*time.Minute)), "4533333333", 70),
		// Answered later on another switch: a different line, still listed.
		withCaller(call("pbx2", "b1", "support", 0, cdr.Abandoned, 1, t0.Add(3*time.Minute)), "4544444444", 80),
		withCaller(call("pbx1", "a6", "sales", 0, cdr.Answered, 1, t0.Add(20*time.Minute)), "4544444444", 5),
		// No number: listed, never matched.
		withCaller(call("pbx1", "a7", "support", 0, cdr.Abandoned, 1, t0.Add(4*time.Minute)), "", 90),
		withCaller(call("pbx1", "a8", "sales", 0, cdr.Answered, 1, t0.Add(30*time.Minute)), "", 5),
		// Outside the range, or not abandoned.
		withCaller(call("pbx1", "a9", "support", 0, cdr.Abandoned, 1, t0.Add(-25*time.Hour)), "4555555555", 10),
		withCaller(call("pbx1", "a10", "support", 0, cdr.Timeout, 1, t0.Add(5*time.Minute)), "4566666666", 10),
	}
	// a1 was first stored as waiting and later as abandoned: one row.
	waiting := calls[0]
	waiting.Outcome, waiting.Version = cdr.Waiting, 0
	if err := s.WriteCalls(ctx, append([]cdr.StoredCall{waiting}, calls...)); err != nil {
		t.Fatal(err)
	}
	got, err := s.AbandonedCallers(ctx, "*", "support", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.CallID)
		if c.Outcome != cdr.Abandoned || c.Queue != "support" {
			t.Errorf("%s: outcome %v queue %s; want abandoned in support", c.CallID, c.Outcome, c.Queue)
		}
	}
	if want := []string{"a1", "a5", "b1", "a7"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("got %v; want %v", ids, want)
	}
	if got[0].Caller != "4511111111" || got[0].WaitS != 40 || !got[0].EnterTime.Equal(t0) {
		t.Errorf("got %+v; want caller 4511111111, wait 40, enter %v", got[0], t0)
	}
	one, err := s.AbandonedCallers(ctx, "pbx2", "support", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != 1 || one[0].CallID != "b1" {
		t.Errorf("switch pbx2: got %+v; want b1 alone", one)
	}
}

func TestWaitingNowAndRollupQueues(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC)
	w := func(id string, enter time.Time) cdr.StoredCall {
		c := call("pbx1", id, "support", 0, cdr.Waiting, 1, enter)
		c.EndVerb = ""
		return c
	}
	ended := w("w3", t0.Add(time.Minute))
	ended.Outcome, ended.Version = cdr.Answered, 2
	if err := s.WriteCalls(ctx, []cdr.StoredCall{
		w("w1", t0.Add(2*time.Minute)), w("w2", t0.Add(3*time.Minute)), w("w3", t0.Add(time.Minute)), ended,
		w("old", t0.Add(-24*time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	n, first, err := s.WaitingNow(ctx, "", "support", t0)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || !first.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("got %d waiting since %v; want 2 since %v", n, first, t0.Add(2*time.Minute))
	}
	if n, _, err := s.WaitingNow(ctx, "pbx9", "support", t0); err != nil || n != 0 {
		t.Errorf("switch pbx9: got %d, %v; want 0", n, err)
	}

	insertRollups(t, s, testRollup{sw: "pbx1", queue: "support", bucket: t0, version: 1, c: cdr.Counts{Offered: 1}},
		testRollup{sw: "pbx2", queue: "klinisk", bucket: t0, version: 1, c: cdr.Counts{Offered: 1}},
		testRollup{sw: "pbx1", queue: "klinisk", bucket: t0, version: 1, c: cdr.Counts{Offered: 1}})
	qs, err := s.RollupQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"klinisk", "support"}; !reflect.DeepEqual(qs, want) {
		t.Errorf("got %v; want %v", qs, want)
	}
}

// TestCallbackReadsReadTheirPeriodOnly stores a year-old history before the
// calls of TestAbandonedCallersLeavesOutThoseAnsweredLater and two stays
// rebuilt with a later enter time, and checks that AbandonedCallers and
// WaitingNow give the same answers as without the history while the server
// reads far fewer rows than the history holds: they read the partitions of
// their period, not all of queue_calls (docs/BENCHMARKS.md).
func TestCallbackReadsReadTheirPeriodOnly(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const old = 20000
	var history []cdr.StoredCall
	y := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range old {
		o := []cdr.Outcome{cdr.Abandoned, cdr.Answered, cdr.Waiting}[i%3]
		history = append(history, withCaller(call("pbx1", fmt.Sprint("h", i), "support", 0, o, 1, y.Add(time.Duration(i)*time.Minute)), "4522222222", 5))
	}
	t0 := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC)
	calls := append(history,
		withCaller(call("pbx1", "a1", "support", 0, cdr.Abandoned, 1, t0), "4511111111", 40),
		withCaller(call("pbx1", "a2", "support", 0, cdr.Abandoned, 1, t0.Add(time.Minute)), "4522222222", 50),
		withCaller(call("pbx1", "a3", "sales", 0, cdr.Answered, 1, t0.Add(10*time.Minute)), "4522222222", 5),
		withCaller(call("pbx1", "a5", "support", 0, cdr.Abandoned, 1, t0.Add(2*time.Minute)), "4533333333", 70),
		// Rebuilt: first stored two days before the range, now in it.
		withCaller(call("pbx1", "m1", "support", 0, cdr.Answered, 1, t0.Add(-48*time.Hour)), "4577777777", 5),
		withCaller(call("pbx1", "m1", "support", 0, cdr.Abandoned, 2, t0.Add(3*time.Minute)), "4577777777", 5),
		// Rebuilt the other way: now answered two days later, so the
		// abandoned stay of the same caller in the range is not listed.
		withCaller(call("pbx1", "a6", "support", 0, cdr.Abandoned, 1, t0.Add(4*time.Minute)), "4588888888", 5),
		withCaller(call("pbx1", "m2", "sales", 0, cdr.Answered, 1, t0.Add(-time.Hour)), "4588888888", 5),
		withCaller(call("pbx1", "m2", "sales", 0, cdr.Answered, 2, t0.Add(48*time.Hour)), "4588888888", 5),
		withCaller(call("pbx1", "w1", "support", 0, cdr.Waiting, 1, t0.Add(5*time.Minute)), "", 0),
		// Waiting, then ended after a rebuild that moved it out of the
		// range: not waiting.
		withCaller(call("pbx1", "w2", "support", 0, cdr.Waiting, 1, t0.Add(time.Minute)), "", 0),
		withCaller(call("pbx1", "w2", "support", 0, cdr.Answered, 2, t0.Add(-48*time.Hour)), "", 0),
	)
	if err := s.WriteCalls(ctx, calls); err != nil {
		t.Fatal(err)
	}
	var read uint64
	readCtx := clickhouse.Context(ctx, clickhouse.WithProgress(func(p *clickhouse.Progress) { read += p.Rows }))

	got, err := s.AbandonedCallers(readCtx, "*", "support", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.CallID)
	}
	if want := []string{"a1", "a5", "m1"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("abandoned callers: got %v; want %v", ids, want)
	}
	t.Logf("AbandonedCallers read %d rows; the history has %d", read, old)
	if read == 0 || read >= old/2 {
		t.Errorf("AbandonedCallers read %d rows; want some, and fewer than half of the %d of the history", read, old)
	}

	read = 0
	n, first, err := s.WaitingNow(readCtx, "", "support", t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || !first.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("waiting now: got %d since %v; want 1 since %v", n, first, t0.Add(5*time.Minute))
	}
	t.Logf("WaitingNow read %d rows; the history has %d", read, old)
	if read == 0 || read >= old/2 {
		t.Errorf("WaitingNow read %d rows; want some, and fewer than half of the %d of the history", read, old)
	}
}

// TestClusterCallbackReads runs the callbacks and the callers waiting on the
// test cluster (make test-cluster): the calls of
// TestCallbackReadsReadTheirPeriodOnly, written through the jobs' store and
// so spread over both shards by switch and call id (a caller's abandoned
// and answered stays on different shards), read through another node's,
// give the same answers as on one server.
func TestClusterCallbackReads(t *testing.T) {
	tc := chtest.Cluster(t)
	db := tc.NewDatabase(t)
	ctx := context.Background()
	w := openCluster(t, db, true, tc.Addrs[0]).ConsistentReads()
	r := openCluster(t, db, false, tc.Addrs[3])
	t0 := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC)
	calls := []cdr.StoredCall{
		withCaller(call("pbx1", "a1", "support", 0, cdr.Abandoned, 1, t0), "4511111111", 40),
		withCaller(call("pbx1", "a2", "support", 0, cdr.Abandoned, 1, t0.Add(time.Minute)), "4522222222", 50),
		withCaller(call("pbx1", "a3", "sales", 0, cdr.Answered, 1, t0.Add(10*time.Minute)), "4522222222", 5),
		withCaller(call("pbx1", "a5", "support", 0, cdr.Abandoned, 1, t0.Add(2*time.Minute)), "4533333333", 70),
		withCaller(call("pbx1", "m1", "support", 0, cdr.Answered, 1, t0.Add(-48*time.Hour)), "4577777777", 5),
		withCaller(call("pbx1", "m1", "support", 0, cdr.Abandoned, 2, t0.Add(3*time.Minute)), "4577777777", 5),
		withCaller(call("pbx1", "a6", "support", 0, cdr.Abandoned, 1, t0.Add(4*time.Minute)), "4588888888", 5),
		withCaller(call("pbx1", "m2", "sales", 0, cdr.Answered, 1, t0.Add(-time.Hour)), "4588888888", 5),
		withCaller(call("pbx1", "m2", "sales", 0, cdr.Answered, 2, t0.Add(48*time.Hour)), "4588888888", 5),
		withCaller(call("pbx1", "w1", "support", 0, cdr.Waiting, 1, t0.Add(5*time.Minute)), "", 0),
		withCaller(call("pbx1", "w2", "support", 0, cdr.Waiting, 1, t0.Add(time.Minute)), "", 0),
		withCaller(call("pbx1", "w2", "support", 0, cdr.Answered, 2, t0.Add(-48*time.Hour)), "", 0),
	}
	if err := w.WriteCalls(ctx, calls); err != nil {
		t.Fatal(err)
	}
	got, err := r.AbandonedCallers(ctx, "*", "support", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.CallID)
	}
	if want := []string{"a1", "a5", "m1"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("abandoned callers: got %v; want %v", ids, want)
	}
	n, first, err := r.WaitingNow(ctx, "", "support", t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || !first.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("waiting now: got %d since %v; want 1 since %v", n, first, t0.Add(5*time.Minute))
	}
}
