package store

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/cdr"
)

// TestCurrentCallsReadsThePeriodOnly stores a year of queue calls and, at
// the end of March, stays whose rebuilds moved them across the month's
// end, replaced their outcome or deleted them, and reads March: the stays
// are those of queue_calls_current that entered in March, each in its
// newest version, and the read touches the partitions near March, not the
// year (queue_calls_current reads every row of the history).
func TestCurrentCallsReadsThePeriodOnly(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	at := func(v string) time.Time {
		t.Helper()
		x, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatal(err)
		}
		return x.UTC()
	}
	stay := func(id string, enter time.Time, o cdr.Outcome, version uint64) cdr.StoredCall {
		return cdr.StoredCall{QueueCall: cdr.QueueCall{Switch: "pbx", CallID: id, Queue: "support", Outcome: o,
			EnterTime: enter, EndTime: enter.Add(time.Minute), WaitS: 10, TalkS: 50, Agent: "PJSIP/1"}, Version: version}
	}
	var stored []cdr.StoredCall
	for i, t0 := 0, at("2024-01-01T00:00:00Z"); i < 6000; i++ {
		stored = append(stored, stay(fmt.Sprint("h", i), t0.Add(time.Duration(i)*87*time.Minute), cdr.Answered, 1))
	}
	moved := stay("moved-out", at("2024-03-31T23:00:00Z"), cdr.Answered, 1)
	movedOut := stay("moved-out", at("2024-04-01T01:00:00Z"), cdr.Answered, 2)
	movedOut.PrevEnterTime = moved.EnterTime
	back := stay("moved-in", at("2024-04-01T01:00:00Z"), cdr.Answered, 1)
	movedIn := stay("moved-in", at("2024-03-31T22:00:00Z"), cdr.Abandoned, 2)
	movedIn.PrevEnterTime = back.EnterTime
	gone := stay("deleted", at("2024-03-15T12:00:00Z"), cdr.Answered, 1)
	tomb := cdr.StoredCall{QueueCall: cdr.QueueCall{Switch: "pbx", CallID: "deleted", Queue: "support", EnterTime: gone.EnterTime}, Version: 2, Deleted: true, PrevEnterTime: gone.EnterTime}
	first := stay("replaced", at("2024-03-20T09:00:00Z"), cdr.Answered, 1)
	second := stay("replaced", at("2024-03-20T09:00:00Z"), cdr.Timeout, 2)
	// Newer versions first in some cases: the order of writes must not matter.
	for _, batch := range [][]cdr.StoredCall{stored, {movedOut, movedIn, tomb, first}, {moved, back, gone, second}} {
		if err := s.WriteCalls(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}

	from, to := at("2024-03-01T00:00:00Z"), at("2024-04-01T00:00:00Z")
	var read uint64
	readCtx := clickhouse.Context(ctx, clickhouse.WithProgress(func(p *clickhouse.Progress) { read += p.Rows }))
	got, err := s.CurrentCalls(readCtx, "*", "support", from, to, 100000)
	if err != nil {
		t.Fatal(err)
	}

	// What queue_calls_current says of March.
	rows, err := s.conn.Query(ctx, `SELECT call_id, toString(outcome), enter_time FROM queue_calls_current
WHERE enter_time >= ? AND enter_time < ? ORDER BY enter_time, call_id`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type brief struct {
		id, outcome string
		enter       time.Time
	}
	var want []brief
	for rows.Next() {
		var b brief
		if err := rows.Scan(&b.id, &b.outcome, &b.enter); err != nil {
			t.Fatal(err)
		}
		b.enter = b.enter.UTC()
		want = append(want, b)
	}
	var gotBrief []brief
	for _, c := range got {
		gotBrief = append(gotBrief, brief{c.CallID, c.Outcome.String(), c.EnterTime})
	}
	sort.Slice(gotBrief, func(i, j int) bool {
		if !gotBrief[i].enter.Equal(gotBrief[j].enter) {
			return gotBrief[i].enter.Before(gotBrief[j].enter)
		}
		return gotBrief[i].id < gotBrief[j].id
	})
	if len(want) < 400 || !reflect.DeepEqual(gotBrief, want) {
		t.Fatalf("March: got %d calls, want %d (queue_calls_current)", len(gotBrief), len(want))
	}
	ids := map[string]string{}
	for _, b := range gotBrief {
		ids[b.id] = b.outcome
	}
	if ids["moved-in"] != "abandoned" || ids["replaced"] != "timeout" || ids["moved-out"] != "" || ids["deleted"] != "" {
		t.Fatalf("the stays at March's end: got moved-in %q, replaced %q, moved-out %q, deleted %q; want abandoned, timeout and neither of the others",
			ids["moved-in"], ids["replaced"], ids["moved-out"], ids["deleted"])
	}
	if c := got[0]; c.Switch != "pbx" || c.Queue != "support" || c.Agent != "PJSIP/1" || c.WaitS != 10 || c.TalkS != 50 || !c.EndTime.Equal(c.EnterTime.Add(time.Minute)) {
		t.Fatalf("first call: got %+v", c)
	}
	total := uint64(len(stored) + 8)
	t.Logf("March read %d rows of %d", read, total)
	if read == 0 || read > total/3 {
		t.Errorf("March read %d rows of %d; want a third or less (the months around March)", read, total)
	}
	if got, err := s.CurrentCalls(ctx, "other", "support", from, to, 10); err != nil || len(got) != 0 {
		t.Fatalf("another switch: got %d calls, %v; want none", len(got), err)
	}
	if got, err := s.CurrentCalls(ctx, "", "", from, to, 5); err != nil || len(got) != 5 {
		t.Fatalf("limit 5: got %d calls, %v", len(got), err)
	}
}
