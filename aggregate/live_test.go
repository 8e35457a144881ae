package aggregate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// liveStored is an event and the server time it was stored at.
type liveStored struct {
	e  cdr.Event
	at time.Time
}

// fakeLiveSource reads as the store does (store/events.go): TouchedCalls
// gives each call stored in a range of insert times with the span of the
// event times stored then, and CallEvents gives the events of each call
// within its span widened by window, no more.
type fakeLiveSource struct {
	now    time.Time
	stored []liveStored
	// failReads makes the next reads of CallEvents fail: the first
	// failReads[0] succeed, the next fails.
	failReads []int
}

func (s *fakeLiveSource) store(evs ...cdr.Event) {
	for _, e := range evs {
		s.stored = append(s.stored, liveStored{e, s.now})
	}
}

func (s *fakeLiveSource) ServerNow(context.Context) (time.Time, error) { return s.now, nil }

func (s *fakeLiveSource) TouchedCalls(_ context.Context, from, to time.Time) ([]cdr.CallRef, error) {
	return s.refs(func(x liveStored) bool { return !x.at.Before(from) && x.at.Before(to) }), nil
}

func (s *fakeLiveSource) CallsWithEventsBetween(_ context.Context, from, to time.Time) ([]cdr.CallRef, error) {
	return s.refs(func(x liveStored) bool { return !x.e.Time.Before(from) && !x.e.Time.After(to) }), nil
}

func (s *fakeLiveSource) refs(keep func(liveStored) bool) []cdr.CallRef {
	byCall := map[[2]string]cdr.CallRef{}
	for _, x := range s.stored {
		if !keep(x) {
			continue
		}
		k := [2]string{x.e.Switch, x.e.CallID}
		r, ok := byCall[k]
		if !ok {
			r = cdr.CallRef{Switch: x.e.Switch, CallID: x.e.CallID, MinTime: x.e.Time, MaxTime: x.e.Time}
		}
		if x.e.Time.Before(r.MinTime) {
			r.MinTime = x.e.Time
		}
		if x.e.Time.After(r.MaxTime) {
			r.MaxTime = x.e.Time
		}
		byCall[k] = r
	}
	var out []cdr.CallRef
	for _, r := range byCall {
		out = append(out, r)
	}
	return out
}

func (s *fakeLiveSource) CallEvents(_ context.Context, refs []cdr.CallRef, window time.Duration) ([]cdr.Event, error) {
	if len(s.failReads) > 0 {
		if s.failReads[0] == 0 {
			s.failReads = s.failReads[1:]
			return nil, errors.New("the read failed")
		}
		s.failReads[0]--
	}
	var out []cdr.Event
	for _, x := range s.stored {
		for _, r := range refs {
			if r.Switch == x.e.Switch && r.CallID == x.e.CallID &&
				!x.e.Time.Before(r.MinTime.Add(-window)) && !x.e.Time.After(r.MaxTime.Add(window)) {
				out = append(out, x.e)
				break
			}
		}
	}
	return out, nil
}

// TestLiveFollowerReopensSealedCall: a call the state sealed that gets an
// event stored late (a ring line from a node's spool drained half an hour
// later), or enters another queue with the same call id minutes after it
// left one, keeps all its stays on the wallboard after the follower's
// poll: today's figures are those of a state that read every event. A
// failed read of the reopened call keeps its sealed stays on the state
// and is tried again at the next poll.
func TestLiveFollowerReopensSealedCall(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	ev := func(at time.Duration, queue, agent, verb string, data ...string) cdr.Event {
		e := cdr.Event{Switch: "pbx1", Source: cdr.SourceQueueLog, Time: t0.Add(at), CallID: "1700000000.1", Queue: queue, Agent: agent, Verb: verb}
		copy(e.Data[:], data)
		return e
	}
	src := &fakeLiveSource{now: t0.Add(10 * time.Second)}
	src.store(ev(0, "qA", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		ev(10*time.Second, "qA", "NONE", "ABANDON", "1", "1", "10"))
	live := cdr.NewLive(cdr.LiveOptions{})
	now := src.now
	f := NewLiveFollower(src, live, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now }, 0)
	ctx := context.Background()
	if err := f.Load(ctx); err != nil {
		t.Fatal(err)
	}
	step := func(d time.Duration, evs ...cdr.Event) {
		t.Helper()
		now = now.Add(d)
		src.now = now
		src.store(evs...)
		if _, err := f.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		live.Prune(now)
	}
	check := func(when string) {
		t.Helper()
		all := cdr.NewLive(cdr.LiveOptions{})
		for _, x := range src.stored {
			all.Add([]cdr.Event{x.e})
		}
		if g, w := live.State(now, nil), all.State(now, nil); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: got %+v; want %+v", when, g.Queues, w.Queues)
		}
	}
	for range 6 { // a minute of polls and prunes: the call is sealed
		step(10 * time.Second)
	}
	if kept := live.Kept(); kept != 0 {
		t.Fatalf("%d events kept a minute after the call; want it sealed", kept)
	}
	// The poll's read of the touched call succeeds, that of the reopened
	// call fails.
	src.failReads = []int{1}
	now = now.Add(30 * time.Minute)
	src.now = now
	src.store(ev(5*time.Second, "qA", "SIP/101", cdr.VerbRingNoAnswer, "5000"))
	if _, err := f.Poll(ctx); err == nil {
		t.Fatal("poll with a failed read: no error")
	}
	if q := live.State(now, nil).Queues; len(q) != 1 || q[0].Today.Abandoned != 1 {
		t.Errorf("after a failed read: got %+v; want qA with the abandoned call", q)
	}
	step(250 * time.Millisecond)
	check("after the late ring line")
	for range 6 {
		step(10 * time.Second)
	}
	step(5*time.Minute, ev(35*time.Minute, "qB", "NONE", "ENTERQUEUE", "", "4512345678", "1"))
	check("after it entered qB")
	if q := live.State(now, nil).Queues; len(q) != 2 || q[0].Today.Abandoned != 1 || len(q[1].Waiting) != 1 {
		t.Errorf("got %+v; want qA with the abandoned call, qB with the caller waiting", q)
	}
}

// countingSource counts the events CallEvents hands over.
type countingSource struct {
	*fakeLiveSource
	read int
}

func (s *countingSource) CallEvents(ctx context.Context, refs []cdr.CallRef, window time.Duration) ([]cdr.Event, error) {
	evs, err := s.fakeLiveSource.CallEvents(ctx, refs, window)
	s.read += len(evs)
	return evs, err
}

// TestLiveFollowerReadsLateInsertsOnce: an insert that becomes visible
// seconds after its ingested_at (a long INSERT) still reaches the state,
// within the overlap; and the follower does not read each event again at
// every poll of the overlap: a call an event a poll, over two minutes of
// polls every 250 ms, is read a few times, not twenty (the whole 5 s
// overlap at every poll).
func TestLiveFollowerReadsLateInsertsOnce(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	src := &countingSource{fakeLiveSource: &fakeLiveSource{now: t0}}
	live := cdr.NewLive(cdr.LiveOptions{})
	now := t0
	f := NewLiveFollower(src, live, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now }, 0)
	ctx := context.Background()
	if err := f.Load(ctx); err != nil {
		t.Fatal(err)
	}
	enter := func(id string, at time.Time) cdr.Event {
		e := cdr.Event{Switch: "pbx1", Source: cdr.SourceQueueLog, Time: at, CallID: id, Queue: "q", Agent: "NONE", Verb: "ENTERQUEUE"}
		copy(e.Data[:], []string{"", "4512345678", "1"})
		return e
	}
	polls := 0
	poll := func() int {
		t.Helper()
		now = now.Add(DefaultLiveEvery)
		src.now = now
		n, err := f.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		polls++
		return n
	}
	for i := range 480 { // two minutes
		src.store(enter(fmt.Sprintf("c%d", i), now))
		poll()
	}
	if per := float64(src.read) / 480; per > 8 {
		t.Errorf("each event read %.1f times over %d polls; want at most 8", per, polls)
	}
	// An insert visible 4 s after its ingested_at, just after a poll.
	late := liveStored{enter("late", now.Add(-4*time.Second)), now.Add(-4 * time.Second)}
	src.stored = append(src.stored, late)
	got := 0
	for range int(liveOverlap/DefaultLiveEvery) + 1 {
		got += poll()
	}
	if got != 1 {
		t.Errorf("the late insert: %d new events within %s; want it read", got, liveOverlap+DefaultLiveEvery)
	}
}
