package cdr

import (
	"testing"
	"time"
)

func TestBuildCallsHandsOtherSourcesToTheirBuilders(t *testing.T) {
	ql := bev(0, "c1", "sd", "NONE", "ENTERQUEUE")
	other := Event{Switch: DefaultSwitch, Source: "test", Time: bt(5), CallID: "c2", Queue: "sd", Verb: "X"}
	other.ID = EventID(&other)
	orphan := Event{Switch: DefaultSwitch, Source: "nobody", Time: bt(6), CallID: "c3", Queue: "sd", Verb: "Y"}
	var seen int
	opt := BuildOptions{Now: bt(3600 * 24), StaleAfter: time.Hour, Sources: map[string]BuildFunc{
		"test": func(evs []Event, _ BuildOptions) []QueueCall {
			seen = len(evs)
			return []QueueCall{{Switch: DefaultSwitch, CallID: "c2", Queue: "sd", Outcome: Answered}}
		},
	}}
	got := BuildCalls([]Event{other, orphan, ql}, opt)
	if seen != 1 {
		t.Errorf("the test builder saw %d events; want 1", seen)
	}
	if len(got) != 2 || got[0].CallID != "c1" || got[0].Outcome != Unknown || got[1].CallID != "c2" || got[1].Outcome != Answered {
		t.Errorf("got %+v; want c1 unknown (queue_log, stale) then c2 answered (test source), nothing from the unknown source", got)
	}
}
