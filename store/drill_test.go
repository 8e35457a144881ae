package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestQueueCallsListsWhatTheRollupCounts writes stays as the build job
// does, some moved, deleted, waiting, of another queue or switch, and
// checks that QueueCalls lists of a range exactly the current, offered
// stays of the queue that joined in it (a stay moved out of the range is
// not listed by its old row, one moved in is), oldest first, that a reader
// limited to a switch reads that switch only, that max is honoured, and
// that CallDetail gives one call's stays and events in order.
func TestQueueCallsListsWhatTheRollupCounts(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	a := time.Date(2025, 10, 28, 9, 1, 0, 0, time.UTC)
	b := time.Date(2025, 11, 2, 9, 1, 0, 0, time.UTC) // another month: another partition
	movedOut := stored("moved-out", b, cdr.Answered, 7, 2)
	movedOut.PrevEnterTime = a
	movedIn := stored("moved-in", a.Add(time.Minute), cdr.Abandoned, 9, 2)
	movedIn.PrevEnterTime = b
	tomb := cdr.StoredCall{QueueCall: cdr.QueueCall{Switch: "pbx", CallID: "gone", Queue: "servicedesk", EnterTime: a}, Version: 2, Deleted: true, PrevEnterTime: a}
	rows := []cdr.StoredCall{
		stored("moved-out", a, cdr.Waiting, 0, 1), movedOut,
		stored("moved-in", b, cdr.Answered, 3, 1), movedIn,
		stored("gone", a, cdr.Answered, 1, 1), tomb,
		stored("waiting", a, cdr.Waiting, 5, 1),
		stored("stays", a.Add(2*time.Minute), cdr.Abandoned, 2, 1), stored("stays", a.Add(2*time.Minute), cdr.Abandoned, 4, 3),
		stored("other", a, cdr.Answered, 1, 1),
		stored("pbx2", a.Add(3*time.Minute), cdr.Answered, 6, 1),
	}
	rows[len(rows)-2].Queue = "klinisk"
	rows[len(rows)-1].Switch = "pbx2"
	if err := s.WriteCalls(ctx, rows); err != nil {
		t.Fatal(err)
	}
	list := func(ctx context.Context, sw string, max int) []string {
		t.Helper()
		calls, err := s.QueueCalls(ctx, sw, "servicedesk", a.Add(-time.Hour), a.Add(time.Hour), max)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range calls {
			out = append(out, c.Switch+"/"+c.CallID+"/"+c.Outcome.String())
		}
		return out
	}
	if got, want := list(ctx, cdr.AllSwitches, 100), []string{"pbx/moved-in/abandoned", "pbx/stays/abandoned", "pbx2/pbx2/answered"}; !reflect.DeepEqual(got, want) {
		t.Errorf("all switches: %v; want %v", got, want)
	}
	if got, want := list(ctx, "pbx2", 100), []string{"pbx2/pbx2/answered"}; !reflect.DeepEqual(got, want) {
		t.Errorf("switch pbx2: %v; want %v", got, want)
	}
	if got, want := list(cdr.WithSwitches(ctx, []string{"pbx"}), cdr.AllSwitches, 100), []string{"pbx/moved-in/abandoned", "pbx/stays/abandoned"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a reader of pbx: %v; want %v", got, want)
	}
	if got := list(ctx, cdr.AllSwitches, 1); len(got) != 2 {
		t.Errorf("max 1: %d calls; want 2 (one more than max says there are more)", len(got))
	}

	at := a.Add(2 * time.Minute)
	evs := []cdr.Event{
		{Switch: "pbx", Source: cdr.SourceQueueLog, Time: at.Add(4 * time.Second), CallID: "stays", Queue: "servicedesk", Agent: "NONE", Verb: "ABANDON"},
		{Switch: "pbx", Source: cdr.SourceQueueLog, Time: at, CallID: "stays", Queue: "servicedesk", Agent: "NONE", Verb: "ENTERQUEUE"},
		{Switch: "pbx", Source: cdr.SourceQueueLog, Time: at, CallID: "other-call", Queue: "servicedesk", Agent: "NONE", Verb: "ENTERQUEUE"},
	}
	for i := range evs {
		evs[i].ID = cdr.EventID(&evs[i])
	}
	if err := s.InsertEvents(ctx, append(evs, evs[0])); err != nil { // the ABANDON sent twice
		t.Fatal(err)
	}
	stays, events, err := s.CallDetail(ctx, "pbx", "stays")
	if err != nil {
		t.Fatal(err)
	}
	var verbs []string
	for _, e := range events {
		verbs = append(verbs, e.Verb)
	}
	if len(stays) != 1 || stays[0].WaitS != 4 || !reflect.DeepEqual(verbs, []string{"ENTERQUEUE", "ABANDON"}) {
		t.Errorf("call pbx/stays: stays %v, events %v; want its stay of 4 s and ENTERQUEUE, ABANDON", stays, verbs)
	}
	if stays, events, err := s.CallDetail(cdr.WithSwitches(ctx, []string{"pbx2"}), "pbx", "stays"); err != nil || len(stays)+len(events) != 0 {
		t.Errorf("a reader of pbx2 reading pbx/stays: %d stays, %d events, %v; want none", len(stays), len(events), err)
	}
}
