package cdr

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// largeDeskDay is a large desk's day of queue_log: calls callers over 24
// hours in 20 queues, answered by one of 400 agents (a third after a ring
// of another agent that was not answered) or abandoned, and the agents'
// memberships and pauses. Events are in time order.
func largeDeskDay(calls int) []Event {
	start := time.Date(2025, 10, 27, 0, 0, 0, 0, time.UTC)
	var evs []Event
	add := func(at time.Time, call, queue, agent, verb string, data ...string) {
		e := Event{Switch: "pbx1", Source: SourceQueueLog, Time: at, CallID: call, Queue: queue, Agent: agent, Verb: verb}
		copy(e.Data[:], data)
		e.ID = EventID(&e)
		evs = append(evs, e)
	}
	const agents, queues = 400, 20
	for a := range agents {
		name, queue := fmt.Sprintf("PJSIP/%d", 1000+a), fmt.Sprintf("q%d", a%queues)
		shift := start.Add(time.Duration(a%3) * 8 * time.Hour)
		add(shift, "NONE", queue, name, VerbAddMember)
		for p := range 4 {
			at := shift.Add(time.Duration(90*(p+1)+a%60) * time.Minute)
			add(at, "NONE", queue, name, VerbPause, "Frokost")
			add(at.Add(10*time.Minute), "NONE", queue, name, VerbUnpause)
		}
		add(shift.Add(8*time.Hour-time.Second), "NONE", queue, name, VerbRemoveMember)
	}
	step := 24 * time.Hour / time.Duration(calls)
	for i := range calls {
		at := start.Add(time.Duration(i) * step)
		call, queue := fmt.Sprintf("c%d", i), fmt.Sprintf("q%d", i%queues)
		agent := fmt.Sprintf("PJSIP/%d", 1000+(i*7)%agents)
		add(at, call, queue, "NONE", "ENTERQUEUE", "", "1234", "1")
		if i%10 == 0 {
			add(at.Add(30*time.Second), call, queue, "NONE", "ABANDON", "1", "1", "30")
			continue
		}
		if i%3 == 0 {
			add(at.Add(10*time.Second), call, queue, fmt.Sprintf("PJSIP/%d", 1000+(i*11)%agents), VerbRingNoAnswer, "8000")
		}
		add(at.Add(20*time.Second), call, queue, agent, "CONNECT", "20", "1", "2")
		add(at.Add(200*time.Second), call, queue, agent, "COMPLETECALLER", "20", "180", "1")
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return evs
}

// liveRun is what feeding a Live a stream of events cost: the CPU of
// Add, State and Prune, the heap held at the end, and the cost of the
// last simulated minute (which grows with what is kept where State or
// Add does work over all of it).
type liveRun struct {
	total, lastMinute time.Duration
	heapMiB           float64
}

// livePruneEvery is how often the benchmarks prune, as the follower does
// (aggregate.livePruneEvery; a minute before sealing).
const livePruneEvery = 10 * time.Second

// feedLive feeds evs (in time order) to l as serve does: the events of
// every batch of the stream at once, State every stateEvery (a wallboard
// that follows the changes) and Prune every livePruneEvery. It measures the wall time of the calls, not of the feeding.
func feedLive(l *Live, evs []Event, batch, stateEvery time.Duration) liveRun {
	var r liveRun
	if len(evs) == 0 {
		return r
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	end := evs[len(evs)-1].Time
	now := evs[0].Time.Truncate(batch).Add(batch)
	lastState, lastPrune := now, now
	i := 0
	for ; i < len(evs); now = now.Add(batch) {
		j := i
		for j < len(evs) && evs[j].Time.Before(now) {
			j++
		}
		t0 := time.Now()
		l.Add(evs[i:j])
		if now.Sub(lastState) >= stateEvery {
			l.State(now, nil)
			lastState = now
		}
		if now.Sub(lastPrune) >= livePruneEvery {
			l.Prune(now)
			lastPrune = now
		}
		d := time.Since(t0)
		r.total += d
		if end.Sub(now) < time.Minute {
			r.lastMinute += d
		}
		i = j
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	r.heapMiB = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
	runtime.KeepAlive(l)
	return r
}

// BenchmarkLiveLargeDesk feeds a day of a large desk (26,000 calls) to
// the live state in 10-second batches, with a state every minute: the
// CPU of the day's Add, State and Prune, the heap the state holds at the
// end of the day, and the cost of the day's last minute.
func BenchmarkLiveLargeDesk(b *testing.B) {
	evs := largeDeskDay(26000)
	var r liveRun
	for range b.N {
		l := NewLive(LiveOptions{})
		r = feedLive(l, evs, 10*time.Second, time.Minute)
		b.ReportMetric(float64(l.Kept()), "events-kept")
	}
	b.ReportMetric(float64(len(evs)), "events")
	b.ReportMetric(r.heapMiB, "MiB-heap")
	b.ReportMetric(r.total.Seconds(), "s-cpu-day")
	b.ReportMetric(float64(r.lastMinute.Microseconds())/1000, "ms-last-minute")
}
