package simulate

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func agentSim(t *testing.T) *Sim {
	t.Helper()
	cfg := DefaultConfig()
	cfg.CallsPerDay, cfg.Agents = 150, true
	return mustGenerate(t, cfg)
}

// TestAgentsKeepTheCalls: with agents, the calls of the main switch and
// their truth are those of the same config without; the agents add who
// answered and rang, their member lines and a second switch.
func TestAgentsKeepTheCalls(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CallsPerDay = 150
	plain := mustGenerate(t, cfg).Truth().Calls
	var main []TruthCall
	for _, c := range agentSim(t).Truth().Calls {
		if c.Switch == "" {
			c.Agent = ""
			main = append(main, c)
		}
	}
	if !reflect.DeepEqual(main, plain) {
		t.Fatalf("the calls with agents differ from those without (%d and %d)", len(main), len(plain))
	}
	a, b := agentSim(t), agentSim(t)
	var x, y bytes.Buffer
	if err := a.WriteQueueLogOf(&x, "default-2"); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteQueueLogOf(&y, "default-2"); err != nil {
		t.Fatal(err)
	}
	if x.Len() == 0 || !bytes.Equal(x.Bytes(), y.Bytes()) || !reflect.DeepEqual(a.Truth().Agents, b.Truth().Agents) {
		t.Errorf("the same config gave different second switches or agent truths")
	}
	if got := a.Switches(); !reflect.DeepEqual(got, []string{"default", "default-2"}) {
		t.Errorf("switches %v", got)
	}
}

// TestAgentsTruthHasTheCases checks that the truth holds what the agent
// model promises, by the lines and the truth's own rows.
func TestAgentsTruthHasTheCases(t *testing.T) {
	s := agentSim(t)
	rows := map[string]TruthAgent{}
	for _, r := range s.Truth().Agents {
		rows[r.Agent+" "+r.Queue+" "+r.Day] = r
	}
	get := func(k string) TruthAgent {
		t.Helper()
		r, ok := rows[k]
		if !ok {
			t.Fatalf("no truth row %q", k)
		}
		return r
	}
	// Anna on two switches, one agent of the map, logged in once from
	// 07:50 on the first to 17:00 on the second.
	anna := get("anna * 2025-10-27")
	if anna.Display != "Anna Jensen" || *anna.LoggedInS != 9*3600+10*60 || anna.PausedByReason["lunch"] != 1800 {
		t.Errorf("anna on Monday: %+v", anna)
	}
	var onSecond int
	for _, c := range s.Truth().Calls {
		if c.Switch == "default-2" && c.Agent == "SIP/201" {
			onSecond++
		}
	}
	if onSecond == 0 || !strings.Contains(s.AgentMap(), `default-2: ["SIP/201"]`) {
		t.Errorf("anna answered %d calls on the second switch; map %q", onSecond, s.AgentMap())
	}
	// The night agent, logged in across midnight: 00:00–06:00 and 22:00–24:00.
	if n := get("default/Agent/3001 * 2025-10-28"); *n.LoggedInS != 8*3600 {
		t.Errorf("the night agent on Tuesday: %+v", n)
	}
	// A static member: logged-in time unknown.
	var static bool
	for k, r := range rows {
		if strings.HasPrefix(k, "default/PJSIP/2199 * ") {
			static = true
			if r.LoggedInS != nil || r.Occupancy != nil || r.InCallS == nil {
				t.Errorf("a static member: %+v", r)
			}
		}
	}
	if !static {
		t.Errorf("the static member of servicedesk has no row")
	}
	// The lost REMOVEMEMBER on the third day: one stale session.
	if r := get("default/PJSIP/2102 * 2025-10-28"); *r.StaleSessions != 1 || *r.LoggedInS >= 30300 {
		t.Errorf("the session without REMOVEMEMBER: %+v", r)
	}
	// The agent in two queues answers in both, pausing with PAUSEALL.
	if get("default/PJSIP/2201 servicedesk 2025-10-27").Answered+get("default/PJSIP/2201 klinisk 2025-10-27").Answered == 0 {
		t.Errorf("the shared agent answered nothing")
	}
	var pauseAll, unnamed bool
	for _, l := range s.Lines() {
		pauseAll = pauseAll || strings.Contains(l.Text, "|PJSIP/2201|PAUSEALL|lunch")
		unnamed = unnamed || strings.HasSuffix(l.Text, "|PAUSE|")
	}
	if !pauseAll || !unnamed {
		t.Errorf("no PAUSEALL of the shared agent (%v) or pause without a reason (%v)", pauseAll, unnamed)
	}
	// The agents' answered calls of a queue and day are the queue's.
	loc := Copenhagen()
	want := map[string]int{}
	for _, c := range s.Truth().Calls {
		if c.Outcome == OutcomeAnswered && c.Switch == "" {
			want[c.Queue+" "+c.Enter.In(loc).Format(time.DateOnly)]++
		}
	}
	got := map[string]int{}
	for _, r := range s.Truth().Agents {
		if r.Queue != "*" && !strings.HasPrefix(r.Agent, "default-2/") {
			got[r.Queue+" "+r.Day] += r.Answered
		}
	}
	for _, c := range s.Truth().Calls {
		if c.Switch == "default-2" && c.Agent == "SIP/201" {
			got["servicedesk "+c.Enter.In(loc).Format(time.DateOnly)]--
		}
	}
	for k, v := range got {
		if v == 0 {
			delete(got, k) // a day of rings alone
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answered per queue and day by the agents %v; by the calls %v", got, want)
	}
}
