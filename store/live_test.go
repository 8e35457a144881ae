package store

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
)

// TestLiveFollowerReadsWhatAnyNodeStored: the live state of a node is made
// of what every node stored. One follower starts after an agent joined
// yesterday and a caller joined; it sees both; an answer stored later
// reaches it by Poll; a follower started afresh (a restarted serve) has
// the same state.
func TestLiveFollowerReadsWhatAnyNodeStored(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	// The lines are of 27 October 2025; "now" is 09:00:30 that day.
	now := func() time.Time { return time.Date(2025, 10, 27, 9, 0, 30, 0, time.UTC) }
	yesterday := agentJobLines(t, "pbx1", `00:00:00|NONE|support|PJSIP/1001|ADDMEMBER|`)
	yesterday[0].Time = yesterday[0].Time.Add(-10 * time.Hour)
	yesterday[0].ID = cdr.EventID(&yesterday[0])
	if err := s.InsertEvents(ctx, yesterday); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertEvents(ctx, agentJobLines(t, "pbx1", `09:00:00|c1|support|NONE|ENTERQUEUE||111|1`)); err != nil {
		t.Fatal(err)
	}
	live := cdr.NewLive(cdr.LiveOptions{})
	f := aggregate.NewLiveFollower(s, live, log, now, 0)
	if err := f.Load(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(l *cdr.Live, waiting int, agent string) {
		t.Helper()
		st := l.State(now(), nil)
		if len(st.Queues) != 1 || len(st.Queues[0].Waiting) != waiting {
			t.Fatalf("queues: got %+v; want support with %d waiting", st.Queues, waiting)
		}
		if len(st.Agents) != 1 || st.Agents[0].State != agent {
			t.Fatalf("agents: got %+v; want PJSIP/1001 %s", st.Agents, agent)
		}
	}
	check(live, 1, cdr.AgentAvailable)

	if err := s.InsertEvents(ctx, agentJobLines(t, "pbx1", `09:00:20|c1|support|PJSIP/1001|CONNECT|20|1700000000.1|2`)); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("poll: got %d new events, %v; want 1", n, err)
	}
	check(live, 0, cdr.AgentOnCall)
	if n, err := f.Poll(ctx); err != nil || n != 0 {
		t.Fatalf("poll again: got %d new events, %v; want 0", n, err)
	}

	again := cdr.NewLive(cdr.LiveOptions{})
	if err := aggregate.NewLiveFollower(s, again, log, now, 0).Load(ctx); err != nil {
		t.Fatal(err)
	}
	check(again, 0, cdr.AgentOnCall)
}
