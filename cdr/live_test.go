package cdr

import (
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"
)

// at is a time of the agent tests' days: day d after aD0, h:m UTC.
func at(d, h, m int) time.Time {
	return aD0.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// liveQueue returns the queue name of st, failing when it is missing.
func liveQueue(t *testing.T, st LiveState, name string) LiveQueue {
	t.Helper()
	for _, q := range st.Queues {
		if q.Settings.Name == name {
			return q
		}
	}
	t.Fatalf("queue %q: missing from %+v", name, st.Queues)
	return LiveQueue{}
}

// liveAgent returns agent id of st; ok false when it is not listed.
func liveAgent(st LiveState, id string) (LiveAgent, bool) {
	for _, a := range st.Agents {
		if a.ID == id {
			return a, true
		}
	}
	return LiveAgent{}, false
}

// TestLiveFollowsOneCall walks the wallboard's story: an agent who logged
// in yesterday evening is still logged in; a caller joins and waits; the
// agent answers; hangs up; pauses with a reason.
func TestLiveFollowsOneCall(t *testing.T) {
	l := NewLive(LiveOptions{})
	l.Add(agentLog(t, "pbx1", `
+0 20:00:00|NONE|support|PJSIP/1001|ADDMEMBER|
+0 20:00:00|NONE|sales|PJSIP/1002|ADDMEMBER|
+0 20:30:00|NONE|sales|PJSIP/1002|REMOVEMEMBER|
+1 08:00:00|c1|support|NONE|ENTERQUEUE||11111111|1
`))
	st := l.State(at(1, 8, 0).Add(35*time.Second), nil)
	q := liveQueue(t, st, "support")
	if len(q.Waiting) != 1 || q.LongestWaitS(st.Now) != 35 {
		t.Fatalf("waiting: got %+v (longest %d s); want one caller waiting 35 s", q.Waiting, q.LongestWaitS(st.Now))
	}
	if want := (LiveAgentCounts{LoggedIn: 1, Available: 1}); q.Agents != want {
		t.Errorf("agents of support: got %+v; want %+v", q.Agents, want)
	}
	if q.Today.Offered != 0 {
		t.Errorf("offered today while the caller waits: got %d; want 0", q.Today.Offered)
	}
	if _, ok := liveAgent(st, "pbx1/PJSIP/1002"); ok {
		t.Errorf("PJSIP/1002 left sales yesterday: got it listed; want it gone")
	}

	l.Add(agentLog(t, "pbx1", `+1 08:00:40|c1|support|PJSIP/1001|CONNECT|40|1700000000.1|3`))
	st = l.State(at(1, 8, 2), nil)
	q = liveQueue(t, st, "support")
	a, _ := liveAgent(st, "pbx1/PJSIP/1001")
	if len(q.Waiting) != 0 || a.State != AgentOnCall || !a.Since.Equal(at(1, 8, 0).Add(40*time.Second)) {
		t.Fatalf("after CONNECT: got waiting %+v, agent %+v; want nobody waiting and the agent on a call since 08:00:40", q.Waiting, a)
	}
	if want := (LiveAgentCounts{LoggedIn: 1, OnCall: 1}); q.Agents != want {
		t.Errorf("agents after CONNECT: got %+v; want %+v", q.Agents, want)
	}
	if q.Today.Offered != 1 || q.Today.Answered != 1 || q.Today.AnsweredWithinSLA != 1 {
		t.Errorf("today after CONNECT: got %+v; want offered 1, answered 1 within the SLA", q.Today)
	}

	l.Add(agentLog(t, "pbx1", `+1 08:03:00|c1|support|PJSIP/1001|COMPLETECALLER|40|140|1`))
	st = l.State(at(1, 8, 4), nil)
	if a, _ := liveAgent(st, "pbx1/PJSIP/1001"); a.State != AgentAvailable || !a.Since.Equal(at(1, 8, 3)) {
		t.Errorf("after the call: got %+v; want free since the call ended at 08:03", a)
	}
	l.Add(agentLog(t, "pbx1", `+1 08:05:00|NONE|support|PJSIP/1001|PAUSE|Frokost`))
	st = l.State(at(1, 8, 6), nil)
	a, _ = liveAgent(st, "pbx1/PJSIP/1001")
	if a.State != AgentPaused || a.PauseReason != "Frokost" || !a.Since.Equal(at(1, 8, 5)) {
		t.Errorf("after PAUSE: got %+v; want paused for Frokost since 08:05", a)
	}
	if q := liveQueue(t, st, "support"); q.Agents != (LiveAgentCounts{LoggedIn: 1, Paused: 1}) {
		t.Errorf("agents after PAUSE: got %+v; want one logged in, paused", q.Agents)
	}
}

// TestLiveOrderAndRepeatsDoNotMatter feeds one log in random orders, in
// pieces, with repeats (two nodes' reads overlap, and a node reads its own
// events back): the state is the same.
func TestLiveOrderAndRepeatsDoNotMatter(t *testing.T) {
	evs := agentLog(t, "pbx1", `
+1 07:55:00|NONE|support|PJSIP/1001|ADDMEMBER|
+1 07:56:00|NONE|support|PJSIP/1002|ADDMEMBER|
+1 07:57:00|NONE|NONE|PJSIP/1002|PAUSEALL|Møde
+1 08:00:00|c1|support|NONE|ENTERQUEUE||111|1
+1 08:00:10|c2|support|NONE|ENTERQUEUE||222|1
+1 08:00:20|c3|support|NONE|ENTERQUEUE||333|1
+1 08:00:30|c1|support|PJSIP/1001|CONNECT|30|1700000000.1|3
+1 08:00:50|c2|support|NONE|ABANDON|1|1|40
`)
	now := at(1, 8, 1)
	want := NewLive(LiveOptions{})
	want.Add(evs)
	ws := want.State(now, nil)
	q := liveQueue(t, ws, "support")
	if len(q.Waiting) != 1 || q.Today.Offered != 2 || q.Today.Abandoned != 1 {
		t.Fatalf("got waiting %+v, today %+v; want c3 waiting, 2 offered, 1 abandoned", q.Waiting, q.Today)
	}
	if a, _ := liveAgent(ws, "pbx1/PJSIP/1002"); a.State != AgentPaused || a.PauseReason != "Møde" {
		t.Fatalf("PJSIP/1002: got %+v; want paused for Møde", a)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		l := NewLive(LiveOptions{})
		mixed := append(append([]Event(nil), evs...), evs[r.IntN(len(evs))], evs[r.IntN(len(evs))])
		r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
		cut := r.IntN(len(mixed))
		l.Add(mixed[:cut])
		l.State(now, nil) // a state in between builds some calls early
		l.Add(mixed[cut:])
		if got := l.State(now, nil); !reflect.DeepEqual(got, ws) {
			t.Fatalf("order %v: got %+v; want %+v", mixed, got, ws)
		}
	}
}

// TestLiveEndsSessions: a restart of the switch (QUEUESTART) logs every
// agent of it out, and a session older than the stale timeout is over; a
// caller waiting longer than the call stale timeout no longer waits and
// counts as unknown.
func TestLiveEndsSessions(t *testing.T) {
	l := NewLive(LiveOptions{})
	l.Add(agentLog(t, "pbx1", `
+0 06:00:00|NONE|support|PJSIP/1001|ADDMEMBER|
+1 07:00:00|NONE|support|PJSIP/1002|ADDMEMBER|
+1 07:10:00|NONE|NONE|NONE|QUEUESTART|
+1 07:20:00|NONE|support|PJSIP/1003|ADDMEMBER|
+1 02:00:00|c9|support|NONE|ENTERQUEUE||999|1
`))
	st := l.State(at(1, 8, 0), nil)
	for _, id := range []string{"pbx1/PJSIP/1001", "pbx1/PJSIP/1002"} {
		if a, ok := liveAgent(st, id); ok {
			t.Errorf("%s: got %+v; want logged out (stale timeout, restart)", id, a)
		}
	}
	if _, ok := liveAgent(st, "pbx1/PJSIP/1003"); !ok {
		t.Errorf("PJSIP/1003 joined after the restart: got it missing; want it logged in")
	}
	q := liveQueue(t, st, "support")
	if len(q.Waiting) != 0 || q.Today.Unknown != 1 {
		t.Errorf("a caller of 02:00 with nothing since: got waiting %+v, today %+v; want none waiting, 1 unknown", q.Waiting, q.Today)
	}
}

// TestLiveToday counts the calls of the local day only: in Copenhagen
// (UTC+1 on the test days), a call at 23:30 UTC belongs to the next day.
func TestLiveToday(t *testing.T) {
	l := NewLive(LiveOptions{})
	l.Add(agentLog(t, "pbx1", `
+0 22:50:00|y1|support|NONE|ENTERQUEUE||1|1
+0 22:50:05|y1|support|NONE|ABANDON|1|1|5
+0 23:30:00|t1|support|NONE|ENTERQUEUE||1|1
+0 23:30:05|t1|support|NONE|ABANDON|1|1|5
`))
	q := liveQueue(t, l.State(at(1, 8, 0), nil), "support")
	if q.Today.Offered != 1 || q.Today.Abandoned != 1 {
		t.Errorf("today: got %+v; want the call of 00:30 local only", q.Today)
	}
	l.Prune(at(2, 8, 0))
	set := &Settings{Queues: map[string]QueueSettings{"support": DefaultQueueSettings("support")}}
	if q := liveQueue(t, l.State(at(2, 8, 0), set), "support"); q.Today.Offered != 0 {
		t.Errorf("next day: got %+v; want nothing", q.Today)
	}
}

// TestLiveCountsFreeSWITCHCalls: a FreeSWITCH CDR is a whole call; the
// live state counts it today as the builder builds it (answered, with its
// agent, not on a call any more).
func TestLiveCountsFreeSWITCHCalls(t *testing.T) {
	b, err := os.ReadFile("testdata/freeswitch/answered.json")
	if err != nil {
		t.Fatal(err)
	}
	evs, _, _ := qlDecode(t, DecodeFreeSWITCHJSON, string(b), DecodeOptions{Switch: "fs1", Now: fsNow})
	calls := BuildCalls(evs, BuildOptions{})
	if len(calls) != 1 || calls[0].Outcome != Answered {
		t.Fatalf("the builder: got %+v; want one answered call", calls)
	}
	l := NewLive(LiveOptions{})
	l.Add(evs)
	st := l.State(calls[0].EndTime.Add(time.Minute), nil)
	q := liveQueue(t, st, calls[0].Queue)
	if q.Today.Offered != 1 || q.Today.Answered != 1 || len(q.Waiting) != 0 {
		t.Errorf("got today %+v, waiting %+v; want one answered call, nobody waiting", q.Today, q.Waiting)
	}
	for _, a := range st.Agents {
		if a.State == AgentOnCall {
			t.Errorf("agent %+v: on a call that ended", a)
		}
	}
}

// TestLiveRingLinesBelongToTheCallToo: a RINGNOANSWER is an agent's line
// and the last event of the caller's stay, as the builder takes it: a
// stay rung at 11:59 is not stale at 12:30 (four hours after its last
// event), though it joined at 08:00.
func TestLiveRingLinesBelongToTheCallToo(t *testing.T) {
	l := NewLive(LiveOptions{})
	l.Add(agentLog(t, "pbx1", `
+1 08:00:00|c1|support|NONE|ENTERQUEUE||111|1
+1 11:59:00|c1|support|PJSIP/1001|RINGNOANSWER|15000
`))
	if q := liveQueue(t, l.State(at(1, 12, 30), nil), "support"); len(q.Waiting) != 1 {
		t.Errorf("got waiting %+v, today %+v; want the caller still waiting", q.Waiting, q.Today)
	}
}
