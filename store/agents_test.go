package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// farFuture bounds insert times from above: the server stamps them with
// its own clock.
var farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// agentLine is a queue_log agent line of switch sw at.
func agentLine(sw, agent, queue, verb string, at time.Time, data ...string) cdr.Event {
	e := cdr.Event{Switch: sw, Source: cdr.SourceQueueLog, Time: at.UTC(), CallID: "MANAGER", Queue: queue, Agent: agent, Verb: verb}
	copy(e.Data[:], data)
	e.ID = cdr.EventID(&e)
	return e
}

// TestAgentLinesAreKeptByAgentWhileOn: InsertEvents keeps an agent's lines
// (and QUEUESTART) a second time by agent only while agent figures are on;
// their touches name the agent, and AgentEvents reads them once however
// often they were sent, by exact name and by a name of every switch.
func TestAgentLinesAreKeptByAgentWhileOn(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 10, 27, 8, 0, 0, 0, time.UTC)
	off := []cdr.Event{agentLine("pbx1", "PJSIP/9", "sd", cdr.VerbAddMember, t0)}
	if err := s.InsertEvents(ctx, off); err != nil {
		t.Fatal(err)
	}
	s.KeepAgentEvents(true)
	on := []cdr.Event{
		agentLine("pbx1", "PJSIP/1", "sd", cdr.VerbAddMember, t0),
		agentLine("pbx1", "PJSIP/1", "sd", cdr.VerbPause, t0.Add(time.Minute), "lunch"),
		agentLine("pbx2", "Anna", "sd", cdr.VerbAddMember, t0.Add(2*time.Minute)),
		agentLine("pbx1", "NONE", "NONE", cdr.VerbQueueStart, t0.Add(time.Hour)),
		event("pbx1", "c1.1", "ENTERQUEUE", t0), // not an agent line
	}
	for range 2 {
		if err := s.InsertEvents(ctx, on); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AgentEvents(ctx, []cdr.AgentName{{Switch: "pbx1", Name: "PJSIP/1"}, {Switch: cdr.AgentAnySwitch, Name: "Anna"}, {Switch: "pbx1", Name: "PJSIP/9"}}, t0, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	verbs := map[string]int{}
	for _, e := range got {
		verbs[e.Switch+" "+e.Agent+" "+e.Verb]++
	}
	want := map[string]int{"pbx1 PJSIP/1 ADDMEMBER": 1, "pbx1 PJSIP/1 PAUSE": 1, "pbx2 Anna ADDMEMBER": 1, "pbx1 NONE QUEUESTART": 1}
	if !reflect.DeepEqual(verbs, want) {
		t.Errorf("agent lines: got %v; want %v (nothing of the time agent figures were off)", verbs, want)
	}
	touches, err := s.AgentTouches(ctx, time.Unix(0, 0), farFuture)
	if err != nil {
		t.Fatal(err)
	}
	names := map[cdr.AgentName]bool{}
	for _, tc := range touches {
		names[tc.Name] = true
	}
	for _, n := range []cdr.AgentName{{Switch: "pbx1", Name: "PJSIP/1"}, {Switch: "pbx2", Name: "Anna"}, {Switch: "pbx1", Name: "NONE"}} {
		if !names[n] {
			t.Errorf("touches %v lack %v", touches, n)
		}
	}

	// Rebuild copies the lines of a range from events, those stored while
	// agent figures were off included.
	if err := s.CopyAgentEvents(ctx, t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = s.AgentEvents(ctx, []cdr.AgentName{{Switch: "pbx1", Name: "PJSIP/9"}, {Switch: "pbx1", Name: "PJSIP/1"}}, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	verbs = map[string]int{}
	for _, e := range got {
		verbs[e.Agent+" "+e.Verb]++
	}
	want = map[string]int{"PJSIP/9 ADDMEMBER": 1, "PJSIP/1 ADDMEMBER": 1, "PJSIP/1 PAUSE": 1, "NONE QUEUESTART": 1}
	if !reflect.DeepEqual(verbs, want) {
		t.Errorf("after copying: %v; want %v", verbs, want)
	}
}

// TestAgentCallsAndTheirTouches: the build job's rows touch the agent, and
// the agent a rebuilt row replaces; AgentCalls reads the current answered
// stays of the names.
func TestAgentCallsAndTheirTouches(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	call := func(callID, agent string, version uint64, prev string) cdr.StoredCall {
		return cdr.StoredCall{QueueCall: cdr.QueueCall{Switch: "pbx1", CallID: callID, Queue: "sd", Outcome: cdr.Answered, Agent: agent,
			EnterTime: t0, AnswerTime: t0.Add(10 * time.Second), EndTime: t0.Add(70 * time.Second), WaitS: 10, TalkS: 60}, Version: version, PrevAgent: prev}
	}
	if err := s.WriteCalls(ctx, []cdr.StoredCall{call("c1", "PJSIP/1", 1, ""), call("c2", "PJSIP/2", 1, "")}); err != nil {
		t.Fatal(err)
	}
	// c1 rebuilt: PJSIP/3 answered it, not PJSIP/1.
	if err := s.WriteCalls(ctx, []cdr.StoredCall{call("c1", "PJSIP/3", 2, "PJSIP/1")}); err != nil {
		t.Fatal(err)
	}
	touches, err := s.AgentTouches(ctx, time.Unix(0, 0), farFuture)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tc := range touches {
		got = append(got, tc.Name.Name)
		if !tc.MinTime.Equal(t0) || !tc.MaxTime.Equal(t0.Add(70*time.Second)) {
			t.Errorf("touch %+v: want the span of the stay", tc)
		}
	}
	if !reflect.DeepEqual(got, []string{"PJSIP/1", "PJSIP/2", "PJSIP/3"}) {
		t.Errorf("touched agents %v; want PJSIP/1 (who lost c1), 2 and 3", got)
	}
	calls, err := s.AgentCalls(ctx, []cdr.AgentName{{Switch: "pbx1", Name: "PJSIP/1"}, {Switch: cdr.AgentAnySwitch, Name: "PJSIP/3"}}, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].CallID != "c1" || calls[0].Agent != "PJSIP/3" || calls[0].TalkS != 60 || !calls[0].AnswerTime.Equal(t0.Add(10*time.Second)) {
		t.Errorf("calls of PJSIP/1 and PJSIP/3: %+v; want c1, answered by PJSIP/3", calls)
	}
}

// TestAgentRowsAndViews writes agent rows twice (the second replacing the
// first) and reads them back, through StoredAgentRows, AgentPeriods and
// the views: the '*' row has the time figures, a queue row the calls, and
// a period with a 15-minute row of unknown logged-in time has none.
func TestAgentRowsAndViews(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	b0 := time.Date(2025, 10, 27, 9, 0, 0, 0, loc)
	row := func(agent, queue string, at time.Time, c cdr.AgentCounts) cdr.AgentRow {
		return cdr.AgentRow{Agent: agent, Display: "Anna Jensen", Queue: queue, Keys: cdr.Keys(at, loc), TZ: loc.String(), SettingsVersion: "v1", Counts: c}
	}
	first := []cdr.AgentRow{
		row("anna", "", b0, cdr.AgentCounts{LoggedInS: 900, InCallS: 100, PausedS: 1, PausedByReason: map[string]uint64{"x": 1}}),
		row("anna", "sd", b0, cdr.AgentCounts{Answered: 9}),
	}
	if err := s.WriteAgentRows(ctx, first, 1); err != nil {
		t.Fatal(err)
	}
	second := []cdr.AgentRow{
		row("anna", "", b0, cdr.AgentCounts{LoggedInS: 900, InCallS: 300, PausedS: 200, PausedByReason: map[string]uint64{"lunch": 150, "": 50}}),
		row("anna", "", b0.Add(15*time.Minute), cdr.AgentCounts{LoggedInS: 600, StaleSessions: 1}),
		row("anna", "sd", b0, cdr.AgentCounts{Answered: 2, TalkS: 300, MaxTalkS: 200, RingNoAnswer: 1, RingNoAnswerMs: 1500}),
		row("anna", "kl", b0.Add(15*time.Minute), cdr.AgentCounts{Answered: 1, TalkS: 60, MaxTalkS: 60, Transferred: 1, Dispositions: 1, ResolvedFirstContact: 1}),
		// bo: a static member, unknown on the second day.
		row("bo", "", b0.AddDate(0, 0, 1), cdr.AgentCounts{LoginUnknown: true, InCallS: 60}),
		row("bo", "sd", b0.AddDate(0, 0, 1), cdr.AgentCounts{Answered: 1, TalkS: 60, MaxTalkS: 60}),
	}
	if err := s.WriteAgentRows(ctx, second, 2); err != nil {
		t.Fatal(err)
	}
	stored, err := s.StoredAgentRows(ctx, []string{"anna"}, b0, b0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 4 {
		t.Fatalf("stored rows of anna: %d; want 4", len(stored))
	}
	for _, r := range stored {
		var w *cdr.AgentRow
		for i := range second {
			if second[i].Agent == r.Agent && second[i].Queue == r.Queue && second[i].Keys.Bucket.Equal(r.Keys.Bucket) {
				w = &second[i]
			}
		}
		if w == nil || !r.Counts.Equal(&w.Counts) || r.Keys != w.Keys || r.Display != w.Display || r.TZ != w.TZ || r.SettingsVersion != "v1" {
			t.Errorf("stored %+v; want %+v", r, w)
		}
	}

	ps, err := s.AgentPeriods(ctx, cdr.PeriodDay, b0.AddDate(0, 0, -1), b0.AddDate(0, 0, 2), "")
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]cdr.AgentPeriod{}
	for _, p := range ps {
		byKey[p.Agent+" "+p.Queue+" "+p.Start.In(loc).Format(time.DateOnly)] = p
	}
	all := byKey["anna * 2025-10-27"].Counts
	if all.Answered != 3 || all.TalkS != 360 || all.MaxTalkS != 200 || all.LoggedInS != 1500 || all.InCallS != 300 || all.PausedS != 200 ||
		all.PausedByReason["lunch"] != 150 || all.PausedByReason[""] != 50 || all.StaleSessions != 1 || all.LoginUnknown {
		t.Errorf("anna, all queues: %+v", all)
	}
	if sd := byKey["anna sd 2025-10-27"].Counts; sd.Answered != 2 || sd.LoggedInS != 0 || sd.RingNoAnswerMs != 1500 {
		t.Errorf("anna, sd: %+v", sd)
	}
	if bo := byKey["bo * 2025-10-28"].Counts; !bo.LoginUnknown || bo.Answered != 1 {
		t.Errorf("bo, all queues: %+v", bo)
	}

	type viewRow struct {
		queue                    string
		answered                 uint64
		logged, avail, in, pause *float64
		occupancy, fcr, avgTalk  *float64
		local                    string
		reasons                  []string
	}
	read := func(view, agent string) []viewRow {
		t.Helper()
		rows, err := s.conn.Query(ctx, `SELECT queue, answered, toNullable(toFloat64(logged_in_s)), toNullable(toFloat64(available_s)),
    toNullable(toFloat64(in_call_s)), toNullable(toFloat64(paused_s)), occupancy, fcr_rate, avg_talk_s, period_start_local, pause_reasons
FROM `+view+` WHERE agent = ? ORDER BY period_start, queue`, agent)
		if err != nil {
			t.Fatalf("%s: %v", view, err)
		}
		defer rows.Close()
		var out []viewRow
		for rows.Next() {
			var r viewRow
			if err := rows.Scan(&r.queue, &r.answered, &r.logged, &r.avail, &r.in, &r.pause, &r.occupancy, &r.fcr, &r.avgTalk, &r.local, &r.reasons); err != nil {
				t.Fatalf("%s: %v", view, err)
			}
			out = append(out, r)
		}
		return out
	}
	day := read("agent_day", "anna")
	if len(day) != 3 || day[0].queue != "*" || day[1].queue != "kl" || day[2].queue != "sd" {
		t.Fatalf("agent_day of anna: %+v; want rows *, kl, sd", day)
	}
	a := day[0]
	if a.answered != 3 || *a.logged != 1500 || *a.avail != 1300 || *a.in != 300 || *a.pause != 200 || *a.occupancy != 300.0/1300 ||
		*a.fcr != 1 || *a.avgTalk != 120 || a.local != "2025-10-27T00:00:00+01:00" || !reflect.DeepEqual(a.reasons, []string{"", "lunch"}) {
		t.Errorf("agent_day of anna, all queues: %+v", a)
	}
	if q := day[2]; q.answered != 2 || q.logged != nil || q.in != nil || q.occupancy != nil {
		t.Errorf("agent_day of anna, sd: %+v; want the calls and no time figures", q)
	}
	if q := read("agent_15m", "anna"); len(q) != 4 || q[0].local != "2025-10-27T09:00:00+01:00" {
		t.Errorf("agent_15m of anna: %+v", q)
	}
	bo := read("agent_month", "bo")
	if len(bo) != 2 || bo[0].logged != nil || bo[0].avail != nil || bo[0].occupancy != nil || *bo[0].in != 60 || bo[0].answered != 1 {
		t.Errorf("agent_month of bo: %+v; want the logged-in time unknown", bo)
	}
	for _, v := range agentViewDefs {
		if err := s.conn.Exec(ctx, "SELECT * FROM "+v.Name+" LIMIT 1"); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
	}
}
