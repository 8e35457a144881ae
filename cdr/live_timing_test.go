package cdr

import (
	"fmt"
	"testing"
	"time"
)

// liveDay is a busy desk's day for the live state: calls callers in four
// queues over 10 hours (joined, answered by one of 50 agents or
// abandoned), the agents' logins and pauses.
func liveDay(calls int) []Event {
	start := time.Date(2025, 10, 27, 6, 0, 0, 0, time.UTC)
	var evs []Event
	add := func(at time.Time, call, queue, agent, verb string, data ...string) {
		e := Event{Switch: "pbx1", Source: SourceQueueLog, Time: at, CallID: call, Queue: queue, Agent: agent, Verb: verb}
		copy(e.Data[:], data)
		e.ID = EventID(&e)
		evs = append(evs, e)
	}
	for a := range 50 {
		name := fmt.Sprintf("PJSIP/%d", 1000+a)
		add(start.Add(time.Duration(a)*time.Minute), "NONE", fmt.Sprintf("q%d", a%4), name, VerbAddMember)
		for p := range 4 {
			at := start.Add(time.Duration(90*(p+1)+a) * time.Minute)
			add(at, "NONE", fmt.Sprintf("q%d", a%4), name, VerbPause, "Frokost")
			add(at.Add(10*time.Minute), "NONE", fmt.Sprintf("q%d", a%4), name, VerbUnpause)
		}
	}
	step := 10 * time.Hour / time.Duration(calls)
	for i := range calls {
		at := start.Add(time.Duration(i) * step)
		call, queue, agent := fmt.Sprintf("c%d", i), fmt.Sprintf("q%d", i%4), fmt.Sprintf("PJSIP/%d", 1000+i%50)
		add(at, call, queue, "NONE", "ENTERQUEUE", "", "1234", "1")
		if i%10 == 0 {
			add(at.Add(30*time.Second), call, queue, "NONE", "ABANDON", "1", "1", "30")
			continue
		}
		add(at.Add(20*time.Second), call, queue, agent, "CONNECT", "20", "1", "2")
		add(at.Add(200*time.Second), call, queue, agent, "COMPLETECALLER", "20", "180", "1")
	}
	return evs
}

// BenchmarkLiveState is the cost of one state (what every change costs
// each wallboard) over a day of 20,000 calls, once the calls are built:
// the rollup of today's calls and the replay of the agents' lines.
func BenchmarkLiveState(b *testing.B) {
	evs := liveDay(20000)
	l := NewLive(LiveOptions{})
	l.Add(evs)
	now := time.Date(2025, 10, 27, 16, 0, 0, 0, time.UTC)
	l.State(now, nil) // builds every call once
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l.State(now, nil)
	}
	b.ReportMetric(float64(len(evs)), "events")
}
