package cdr

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// liveArrival is an event of a feed and when it reaches the node.
type liveArrival struct {
	e       Event
	arrives time.Time
}

// liveFeed is a day of a large desk as serve gets it: each event arrives
// at its time, but the ring line of every 21st call, which arrives half an
// hour late (a node's spool drained late), when its call is long over.
func liveFeed(calls int) []liveArrival {
	var out []liveArrival
	for _, e := range largeDeskDay(calls) {
		a := liveArrival{e, e.Time}
		var n int
		if e.Verb == VerbRingNoAnswer && scanned(e.CallID, &n) && n%21 == 0 {
			a.arrives = e.Time.Add(30 * time.Minute)
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b liveArrival) int { return a.arrives.Compare(b.arrives) })
	return out
}

// liveStep feeds the events that arrive before now to each Live as serve
// does: this node's intake adds them at once (here, in a random order),
// then the follower's read, which reads as aggregate.LiveFollower.Poll
// does against the store: each call that got an event (byCall: the
// indexes of each call's events in feed) with its events between the
// oldest and the newest time of the events it got (the span of its touch
// rows; CallEvents with window 0), and repeats the previous read now and
// then (its overlap); then, as Poll does, each Live's reopened calls
// with their events in the span Reopened gives (AddReopened). It returns
// the index of the next event.
func liveStep(r *rand.Rand, feed []liveArrival, byCall map[string][]int, i int, now time.Time, prev *[]Event, lives ...*Live) int {
	j := i
	for j < len(feed) && feed[j].arrives.Before(now) {
		j++
	}
	own := make([]Event, 0, j-i)
	touched := map[string]CallRef{}
	for _, a := range feed[i:j] {
		own = append(own, a.e)
		if !buildIsCallEvent(&a.e) {
			continue
		}
		ref, ok := touched[a.e.CallID]
		if !ok {
			ref = CallRef{Switch: a.e.Switch, CallID: a.e.CallID, MinTime: a.e.Time, MaxTime: a.e.Time}
		}
		ref.MinTime, ref.MaxTime = minTime(ref.MinTime, a.e.Time), maxTime(ref.MaxTime, a.e.Time)
		touched[a.e.CallID] = ref
	}
	read := liveRead(feed, byCall, j, touched)
	r.Shuffle(len(own), func(a, b int) { own[a], own[b] = own[b], own[a] })
	if r.IntN(4) == 0 {
		read = append(read, *prev...)
	}
	r.Shuffle(len(read), func(a, b int) { read[a], read[b] = read[b], read[a] })
	for _, l := range lives {
		l.Add(own)
		l.Add(read)
		refs := l.Reopened()
		byID := map[string]CallRef{}
		for _, r := range refs {
			byID[r.CallID] = r
		}
		l.AddReopened(refs, liveRead(feed, byCall, j, byID))
	}
	*prev = read
	return j
}

// liveRead is the store's CallEvents with window 0 over the events of feed
// stored so far (before index j): the events of each call of refs whose
// time lies in its span.
func liveRead(feed []liveArrival, byCall map[string][]int, j int, refs map[string]CallRef) []Event {
	var read []Event
	for id, ref := range refs {
		for _, p := range byCall[id] {
			if t := feed[p].e.Time; p < j && !t.Before(ref.MinTime) && !t.After(ref.MaxTime) {
				read = append(read, feed[p].e)
			}
		}
	}
	return read
}

// TestLiveSealedEqualsNeverSealed is the equivalence of sealing: across a
// day of a large desk fed as serve gets it (in random order, with
// repeats, late events of calls long over), at every minute the state of
// a Live that seals settled calls (Prune every minute, a wallboard's state
// 10 s after it) equals that of a Live that keeps every event (compared every
// five minutes, between two Prunes: the test's time), and the sealing one
// keeps the events of the last minutes only.
func TestLiveSealedEqualsNeverSealed(t *testing.T) {
	feed := liveFeed(2000)
	r := rand.New(rand.NewPCG(3, 4))
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	q := DefaultQueueSettings("q1")
	q.Location = cph
	set := &Settings{Queues: map[string]QueueSettings{"q1": q}}
	got, want := NewLive(LiveOptions{}), NewLive(LiveOptions{keepAll: true})
	byCall := map[string][]int{}
	for p, a := range feed {
		if buildIsCallEvent(&a.e) {
			byCall[a.e.CallID] = append(byCall[a.e.CallID], p)
		}
	}
	var prev []Event
	start := feed[0].arrives.Truncate(time.Minute)
	late, lateSealed, maxKept := 0, 0, 0
	i := 0
	for now := start.Add(10 * time.Second); i < len(feed); now = now.Add(10 * time.Second) {
		// A late ring line finds its call sealed (the test means that).
		for _, a := range feed[i:] {
			if !a.arrives.Before(now) {
				break
			}
			if a.arrives.After(a.e.Time) {
				late++
				if c := got.calls[liveKey{a.e.Switch, a.e.CallID, ""}]; c != nil && c.sealed {
					lateSealed++
				}
			}
		}
		i = liveStep(r, feed, byCall, i, now, &prev, got, want)
		if now.Sub(start)%time.Minute == 10*time.Second {
			got.State(now, set) // a wallboard: today's figures of the sealed calls are counted once a pass
		}
		if now.Sub(start)%time.Minute == 0 {
			got.Prune(now)
			want.Prune(now)
		}
		if now.Sub(start)%(5*time.Minute) != 30*time.Second {
			continue
		}
		for _, s := range []*Settings{set, nil} {
			if g, w := got.State(now, s), want.State(now, s); !reflect.DeepEqual(g, w) {
				t.Fatalf("at %s: got %+v; want %+v", now, g, w)
			}
		}
		if n := keptOfCalls(got); n > maxKept {
			maxKept = n
		}
	}
	if late == 0 || lateSealed != late {
		t.Errorf("late ring lines: %d, of them %d found their call sealed; want all of them", late, lateSealed)
	}
	// Of the calls, the events of the last few minutes stay: 2,000 calls
	// a day are 1.4 a minute, of 3 or 4 events each.
	if all := keptOfCalls(want); maxKept > 100 {
		t.Errorf("events of calls kept: at most %d of %d; want those of the last minutes only", maxKept, all)
	}
}

// TestLiveLateEventOfSealedCall: a sealed call that gets an event again
// keeps its sealed stays until the follower's read of all its events
// (Reopened, AddReopened), and after that read its state is that of a Live
// that never sealed it.
func TestLiveLateEventOfSealedCall(t *testing.T) {
	evs := agentLog(t, "pbx1", `
+1 08:00:00|c1|support|NONE|ENTERQUEUE||111|1
+1 08:00:20|c1|support|PJSIP/1001|CONNECT|20|1700000000.1|3
+1 08:03:00|c1|support|PJSIP/1001|COMPLETECALLER|20|160|1
`)
	ring := agentLog(t, "pbx1", `+1 08:00:10|c1|support|PJSIP/1002|RINGNOANSWER|9000`)
	got, want := NewLive(LiveOptions{}), NewLive(LiveOptions{keepAll: true})
	for _, l := range []*Live{got, want} {
		l.Add(evs)
		l.Prune(at(1, 8, 10))
		l.Prune(at(1, 8, 11))
	}
	if c := got.calls[liveKey{"pbx1", "c1", ""}]; c == nil || !c.sealed || got.Kept() != 0 {
		t.Fatalf("the call: got %+v, %d events kept; want it sealed with no events", c, got.Kept())
	}
	now := at(1, 8, 40)
	if q := liveQueue(t, got.State(now, nil), "support"); q.Today.Answered != 1 {
		t.Fatalf("sealed: got today %+v; want the answered call", q.Today)
	}
	// This node's intake takes the late ring line first.
	got.Add(ring)
	want.Add(ring)
	// Built from the ring line alone it would have no stay.
	if q := liveQueue(t, got.State(now, nil), "support"); q.Today.Answered != 1 {
		t.Errorf("before the follower's read: got today %+v; want the sealed answered call", q.Today)
	}
	// The follower's read of the touch: the ring line's span holds it alone.
	got.Add(ring)
	want.Add(ring)
	refs := got.Reopened()
	if len(refs) != 1 || refs[0].CallID != "c1" || !refs[0].MinTime.Equal(evs[0].Time) || !refs[0].MaxTime.Equal(evs[2].Time) {
		t.Fatalf("reopened: got %+v; want c1 from its first to its last event", refs)
	}
	all := append(evs, ring...)
	got.AddReopened(refs, all)
	want.Add(all)
	if refs := got.Reopened(); len(refs) != 0 {
		t.Errorf("after the read: reopened %+v; want none", refs)
	}
	if g, w := got.State(now, nil), want.State(now, nil); !reflect.DeepEqual(g, w) {
		t.Errorf("after the follower's read: got %+v; want %+v", g, w)
	}
}

// TestLiveKeepsOpenCalls: a caller waiting, an answered call with no end
// and a call whose newest event is recent are not sealed, however many
// Prunes go by.
func TestLiveKeepsOpenCalls(t *testing.T) {
	l := NewLive(LiveOptions{})
	l.Add(agentLog(t, "pbx1", `
+1 08:00:00|w1|support|NONE|ENTERQUEUE||111|1
+1 08:00:00|a1|support|NONE|ENTERQUEUE||222|1
+1 08:00:05|a1|support|PJSIP/1001|CONNECT|5|1700000000.1|3
+1 08:00:00|r1|support|NONE|ENTERQUEUE||333|1
+1 08:09:30|r1|support|NONE|ABANDON|1|1|570
`))
	for m := range 3 {
		l.Prune(at(1, 8, 10+m))
	}
	for _, id := range []string{"w1", "a1"} {
		if c := l.calls[liveKey{"pbx1", id, ""}]; c.sealed {
			t.Errorf("%s: sealed while open", id)
		}
	}
	if c := l.calls[liveKey{"pbx1", "r1", ""}]; !c.sealed {
		t.Errorf("r1: open three minutes after it ended; want it sealed")
	}
	// Past the stale timeout an open call is decided (unknown, or answered
	// to its last event) and goes too.
	l.Prune(at(1, 12, 1))
	l.Prune(at(1, 12, 2))
	if n := l.Kept(); n != 0 {
		t.Errorf("after the stale timeout: %d events kept; want none", n)
	}
	q := liveQueue(t, l.State(at(1, 12, 3), nil), "support")
	if len(q.Waiting) != 0 || q.Today.Unknown != 1 || q.Today.Answered != 1 || q.Today.Abandoned != 1 {
		t.Errorf("at 12:03: got waiting %+v, today %+v; want none waiting, 1 unknown, 1 answered, 1 abandoned", q.Waiting, q.Today)
	}
}

// TestLiveMaxEvents: beyond MaxEvents the oldest calls' events go and the
// state says from when its figures are whole; the calls after that are
// all there.
func TestLiveMaxEvents(t *testing.T) {
	// Callers who all wait (nothing to seal): 100 calls, one event each.
	var evs []Event
	for i := range 100 {
		e := Event{Switch: "pbx1", Source: SourceQueueLog, Time: at(1, 8, 0).Add(time.Duration(i) * time.Second),
			CallID: fmt.Sprintf("c%d", i), Queue: "support", Agent: "NONE", Verb: "ENTERQUEUE", Data: [5]string{"", "1", "1"}}
		e.ID = EventID(&e)
		evs = append(evs, e)
	}
	l := NewLive(LiveOptions{MaxEvents: 40})
	l.Add(evs)
	now := at(1, 8, 5)
	if st := l.State(now, nil); !st.WholeSince.IsZero() {
		t.Fatalf("before the cap: whole since %s; want zero", st.WholeSince)
	}
	l.Prune(now)
	st := l.State(now, nil)
	q := liveQueue(t, st, "support")
	if n := l.Kept(); n > 40 {
		t.Errorf("kept %d events; want at most 40", n)
	}
	if !st.WholeSince.Equal(q.Waiting[0].EnterTime) || len(q.Waiting) != l.Kept() {
		t.Errorf("whole since %s, %d waiting from %s, %d kept; want whole from the first caller kept, all kept callers waiting",
			st.WholeSince, len(q.Waiting), q.Waiting[0].EnterTime, l.Kept())
	}
	for _, c := range q.Waiting {
		if c.EnterTime.Before(st.WholeSince) {
			t.Errorf("caller of %s kept, before %s", c.EnterTime, st.WholeSince)
		}
	}
	// It clears when what went is out of the lookback.
	l.Prune(now.Add(27 * time.Hour))
	if st := l.State(now.Add(27*time.Hour), nil); !st.WholeSince.IsZero() {
		t.Errorf("a day later: whole since %s; want zero", st.WholeSince)
	}
}

// scanned reads the number of a call id "c<n>".
func scanned(id string, n *int) bool {
	_, err := fmt.Sscanf(id, "c%d", n)
	return err == nil
}

// keptOfCalls is the number of events l keeps of its calls.
func keptOfCalls(l *Live) int {
	n := 0
	for _, c := range l.calls {
		n += len(c.evs)
	}
	return n
}

// TestLiveSealedPendingBounded: a Live that seals calls pass after pass
// with no State asked (serve with no wallboard open) holds no list of
// them beyond the pass, and the state asked at last equals that of a Live
// that never sealed.
func TestLiveSealedPendingBounded(t *testing.T) {
	got, want := NewLive(LiveOptions{}), NewLive(LiveOptions{keepAll: true})
	evs := largeDeskDay(2000)
	start := evs[0].Time.Truncate(time.Minute)
	got.State(start, nil) // a wallboard was open once: the sealed figures are made
	i, sealed := 0, 0
	for now := start.Add(time.Minute); i < len(evs); now = now.Add(time.Minute) {
		j := i
		for j < len(evs) && evs[j].Time.Before(now) {
			j++
		}
		for _, l := range []*Live{got, want} {
			l.Add(evs[i:j])
			l.Prune(now)
		}
		i = j
		if n := len(got.sealedToday.pending); n != 0 {
			t.Fatalf("at %s: %d sealed calls pending after Prune; want none (added to the figures)", now, n)
		}
		sealed = 0
		for _, c := range got.calls {
			if c.sealed {
				sealed++
			}
		}
	}
	if sealed < 1000 {
		t.Fatalf("%d calls sealed; want most of the day's", sealed)
	}
	now := evs[len(evs)-1].Time.Add(time.Minute)
	if g, w := got.State(now, nil), want.State(now, nil); !reflect.DeepEqual(g, w) {
		t.Errorf("got %+v; want %+v", g, w)
	}
}

// TestLiveCapCountsCallEvents: MaxEvents counts the events of the calls
// it can let go; agent lines beyond it leave a waiting caller on the
// state, and whole from the start.
func TestLiveCapCountsCallEvents(t *testing.T) {
	var evs []Event
	for i := range 50 {
		e := Event{Switch: "pbx1", Source: SourceQueueLog, Time: at(1, 7, 0).Add(time.Duration(i) * time.Second),
			CallID: "NONE", Queue: "support", Agent: fmt.Sprintf("PJSIP/%d", 1000+i), Verb: VerbAddMember}
		evs = append(evs, e)
	}
	evs = append(evs, agentLog(t, "pbx1", `+1 08:00:00|w1|support|NONE|ENTERQUEUE||111|1`)...)
	l := NewLive(LiveOptions{MaxEvents: 10})
	l.Add(evs)
	now := at(1, 8, 1)
	l.Prune(now)
	st := l.State(now, nil)
	if q := liveQueue(t, st, "support"); len(q.Waiting) != 1 || q.Agents.LoggedIn != 50 || !st.WholeSince.IsZero() {
		t.Errorf("got %d waiting, %d agents logged in, whole since %s; want the caller waiting, 50 agents, whole",
			len(q.Waiting), q.Agents.LoggedIn, st.WholeSince)
	}
}
