package cdr

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// aD0 is the first day of the agent tests (a Monday), in UTC.
var aD0 = time.Date(2025, 10, 27, 0, 0, 0, 0, time.UTC)

// agentLog decodes queue_log lines of switch sw written as
// "+D HH:MM:SS|callid|queue|agent|VERB|data…": day D after aD0, UTC.
func agentLog(t *testing.T, sw, text string) []Event {
	t.Helper()
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		when, rest, _ := strings.Cut(l, "|")
		day, clock, _ := strings.Cut(strings.TrimPrefix(when, "+"), " ")
		d, err := strconv.Atoi(day)
		if err != nil {
			t.Fatalf("line %q: day %q", l, day)
		}
		c, err := time.Parse("15:04:05", clock)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		at := aD0.AddDate(0, 0, d).Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute + time.Duration(c.Second())*time.Second)
		fmt.Fprintf(&b, "%d|%s\n", at.Unix(), rest)
	}
	var out []Event
	err := DecodeQueueLog(strings.NewReader(b.String()), DecodeOptions{Switch: sw}, func(bt Batch) error {
		if len(bt.Rejects) > 0 {
			t.Fatalf("rejected: %v", bt.Rejects[0])
		}
		out = append(out, bt.Events...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// agentScenario is the log of the agent tests: pbx1 and pbx2 (see the
// comments for what each agent does). Its expected figures are worked out
// by hand in TestAgentFigures.
func agentScenario(t *testing.T) []Event {
	pbx1 := agentLog(t, "pbx1", `
# anna: PJSIP/1001 on pbx1 in two queues, SIP/201 on pbx2, "Anna Jensen" on any switch
+0 07:50:00|MANAGER|servicedesk|PJSIP/1001|ADDMEMBER|
+0 07:50:00|MANAGER|klinisk|PJSIP/1001|ADDMEMBER|
+0 09:00:00|c1.1|servicedesk|NONE|ENTERQUEUE||4511|1
+0 09:00:10|c1.1|servicedesk|PJSIP/1001|RINGNOANSWER|15000
+0 09:00:30|c1.1|servicedesk|PJSIP/1001|CONNECT|30|c1.2|5
+0 09:05:30|c1.1|servicedesk|PJSIP/1001|COMPLETECALLER|30|300|1
+0 10:00:00|NONE|NONE|PJSIP/1001|PAUSEALL|lunch
+0 10:00:00|NONE|servicedesk|PJSIP/1001|PAUSE|lunch
+0 10:00:00|NONE|klinisk|PJSIP/1001|PAUSE|lunch
+0 10:30:00|NONE|NONE|PJSIP/1001|UNPAUSEALL|
+0 10:30:00|NONE|servicedesk|PJSIP/1001|UNPAUSE|
+0 10:30:00|NONE|klinisk|PJSIP/1001|UNPAUSE|
+0 11:00:00|c2.1|klinisk|NONE|ENTERQUEUE||4512|1
+0 11:00:20|c2.1|klinisk|PJSIP/1001|CONNECT|20|c2.2|5
+0 11:05:00|NONE|servicedesk|PJSIP/1001|PAUSE|meeting
+0 11:10:20|c2.1|klinisk|PJSIP/1001|BLINDTRANSFER|7002|from-internal|20|600|1
+0 11:20:00|NONE|servicedesk|PJSIP/1001|UNPAUSE|
+0 13:00:00|MANAGER|servicedesk|PJSIP/1001|REMOVEMEMBER|
+0 13:00:00|MANAGER|klinisk|PJSIP/1001|REMOVEMEMBER|
# anna logs in as an agent by her member name, across midnight
+0 22:00:00|1761602400.5|NONE|Anna Jensen|AGENTLOGIN|PJSIP/1001
+1 02:00:00|1761602400.5|NONE|Anna Jensen|AGENTLOGOFF|PJSIP/1001|14400
# pbx1/PJSIP/1999: a static member, never logged in
+0 15:00:00|c4.1|servicedesk|NONE|ENTERQUEUE||4514|1
+0 15:00:05|c4.1|servicedesk|PJSIP/1999|RINGNOANSWER|5000
+0 15:00:20|c4.1|servicedesk|PJSIP/1999|CONNECT|20|c4.2|5
+0 15:10:20|c4.1|servicedesk|PJSIP/1999|COMPLETECALLER|20|600|1
# 1002: a pause and a restart, then logged in again
+3 08:00:00|MANAGER|servicedesk|PJSIP/1002|ADDMEMBER|
+3 09:30:00|NONE|servicedesk|PJSIP/1002|PAUSE|
+3 10:00:00|NONE|NONE|NONE|QUEUESTART|
+3 10:05:00|MANAGER|servicedesk|PJSIP/1002|ADDMEMBER|
+3 12:00:00|MANAGER|servicedesk|PJSIP/1002|REMOVEMEMBER|
# 1003: a second ADDMEMBER, its REMOVEMEMBER lost: closed at the ring
+2 08:00:00|MANAGER|klinisk|PJSIP/1003|ADDMEMBER|
+2 08:30:00|c6.1|klinisk|PJSIP/1003|RINGNOANSWER|3000
+2 09:00:00|MANAGER|klinisk|PJSIP/1003|ADDMEMBER|
+2 09:15:00|MANAGER|klinisk|PJSIP/1003|REMOVEMEMBER|
# 1004: never logged off: the stale timeout closes it at its ring
+2 08:00:00|MANAGER|servicedesk|PJSIP/1004|ADDMEMBER|
+2 09:00:00|c7.1|servicedesk|PJSIP/1004|RINGNOANSWER|4000
# 1005: an AGENTLOGOFF whose login was lost: its data2 gives an hour
+2 12:00:00|1761820000.9|NONE|Agent/1005|AGENTLOGOFF|PJSIP/1005|3600
# 1006: removed and added again in one second: still a member
+2 08:00:00|MANAGER|servicedesk|PJSIP/1006|ADDMEMBER|
+2 09:00:00|MANAGER|servicedesk|PJSIP/1006|REMOVEMEMBER|
+2 09:00:00|MANAGER|servicedesk|PJSIP/1006|ADDMEMBER|
+2 10:00:00|MANAGER|servicedesk|PJSIP/1006|REMOVEMEMBER|
# 1007: a call that goes on after the REMOVEMEMBER counts as logged in
+2 08:00:00|MANAGER|servicedesk|PJSIP/1007|ADDMEMBER|
+2 08:49:50|c5.1|servicedesk|NONE|ENTERQUEUE||4515|1
+2 08:50:00|c5.1|servicedesk|PJSIP/1007|CONNECT|10|c5.2|2
+2 09:00:00|MANAGER|servicedesk|PJSIP/1007|REMOVEMEMBER|
+2 09:10:00|c5.1|servicedesk|PJSIP/1007|COMPLETECALLER|10|1200|1
# 1008: rung after its REMOVEMEMBER: its logged-in time is unknown
+2 08:00:00|MANAGER|servicedesk|PJSIP/1008|ADDMEMBER|
+2 09:00:00|MANAGER|servicedesk|PJSIP/1008|REMOVEMEMBER|
+2 09:30:00|c8.1|servicedesk|PJSIP/1008|RINGNOANSWER|2000
+2 09:30:02|c8.1|servicedesk|PJSIP/1008|RINGCANCELED|2000
`)
	pbx2 := agentLog(t, "pbx2", `
+0 12:00:00|MANAGER|servicedesk|SIP/201|ADDMEMBER|
# paused on pbx2 while available on pbx1: not paused
+0 12:30:00|NONE|servicedesk|SIP/201|PAUSE|tea
+0 12:40:00|NONE|servicedesk|SIP/201|UNPAUSE|
+0 13:29:50|c3.1|servicedesk|NONE|ENTERQUEUE||4513|1
+0 13:30:00|c3.1|servicedesk|SIP/201|CONNECT|10|c3.2|2
+0 13:32:00|c3.1|servicedesk|SIP/201|COMPLETEAGENT|10|120|1
+0 14:00:00|MANAGER|servicedesk|SIP/201|REMOVEMEMBER|
`)
	return append(pbx1, pbx2...)
}

// annaMap is the agent map of the scenario.
func annaMap(t *testing.T) *Settings {
	t.Helper()
	m, err := NewAgentMap([]AgentDef{{ID: "anna", Display: "Anna Jensen", Location: time.UTC,
		Names: []AgentName{{"pbx1", "PJSIP/1001"}, {"pbx2", "SIP/201"}, {AgentAnySwitch, "Anna Jensen"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return &Settings{Agents: m, DefaultSwitchZone: time.UTC}
}

// agentDay sums rows per (queue, local day) in UTC: "" is the time row.
func agentDay(rows []AgentRow) map[string]map[string]AgentCounts {
	out := map[string]map[string]AgentCounts{}
	for _, r := range rows {
		d := r.Keys.Day.UTC().Format(time.DateOnly)
		if out[r.Queue] == nil {
			out[r.Queue] = map[string]AgentCounts{}
		}
		c := out[r.Queue][d]
		c.Add(&r.Counts)
		out[r.Queue][d] = c
	}
	return out
}

// agentWant is what TestAgentFigures expects of one agent.
type agentWant map[string]map[string]AgentCounts

func TestAgentFigures(t *testing.T) {
	evs := agentScenario(t)
	calls := BuildCalls(evs, BuildOptions{})
	s := annaMap(t)
	d := func(n int) string { return aD0.AddDate(0, 0, n).Format(time.DateOnly) }
	opt := AgentBuildOptions{From: aD0.AddDate(0, 0, -1), To: aD0.AddDate(0, 0, 5), Now: aD0.AddDate(0, 0, 6), SettingsVersion: "v1"}
	cases := []struct {
		sw, name string
		want     agentWant
	}{
		{"pbx2", "SIP/201", agentWant{
			// Sessions 07:50–13:00 (pbx1) and 12:00–14:00 (pbx2): 6 h 10 m, and
			// 22:00–24:00; lunch 10:00–10:30, the meeting from the end of the
			// call at 11:10:20 to 11:20:00; the tea on pbx2 is no pause.
			"": {d(0): {LoggedInS: 22200 + 7200, InCallS: 300 + 600 + 120, PausedS: 1800 + 580,
				PausedByReason: map[string]uint64{"lunch": 1800, "meeting": 580}},
				d(1): {LoggedInS: 7200}},
			"servicedesk": {d(0): {Answered: 2, TalkS: 420, MaxTalkS: 300, RingNoAnswer: 1, RingNoAnswerMs: 15000}},
			"klinisk":     {d(0): {Answered: 1, TalkS: 600, MaxTalkS: 600, Transferred: 1}},
		}},
		{"pbx1", "PJSIP/1999", agentWant{
			"":            {d(0): {LoginUnknown: true, InCallS: 600}},
			"servicedesk": {d(0): {Answered: 1, TalkS: 600, MaxTalkS: 600, RingNoAnswer: 1, RingNoAnswerMs: 5000}},
		}},
		{"pbx1", "PJSIP/1002", agentWant{
			"": {d(3): {LoggedInS: 7200 + 6900, PausedS: 1800, PausedByReason: map[string]uint64{"": 1800}, StaleSessions: 1}},
		}},
		{"pbx1", "PJSIP/1003", agentWant{
			"":        {d(2): {LoggedInS: 1800 + 900, StaleSessions: 1}},
			"klinisk": {d(2): {RingNoAnswer: 1, RingNoAnswerMs: 3000}},
		}},
		{"pbx1", "PJSIP/1004", agentWant{
			"":            {d(2): {LoggedInS: 3600, StaleSessions: 1}},
			"servicedesk": {d(2): {RingNoAnswer: 1, RingNoAnswerMs: 4000}},
		}},
		{"pbx1", "Agent/1005", agentWant{"": {d(2): {LoggedInS: 3600}}}},
		{"pbx1", "PJSIP/1006", agentWant{"": {d(2): {LoggedInS: 7200}}}},
		{"pbx1", "PJSIP/1007", agentWant{
			"":            {d(2): {LoggedInS: 4200, InCallS: 1200}},
			"servicedesk": {d(2): {Answered: 1, TalkS: 1200, MaxTalkS: 1200}},
		}},
		{"pbx1", "PJSIP/1008", agentWant{
			"":            {d(2): {LoggedInS: 3600, LoginUnknown: true}},
			"servicedesk": {d(2): {RingNoAnswer: 1, RingNoAnswerMs: 2000, RingCanceled: 1}},
		}},
	}
	for _, tc := range cases {
		def := s.Agent(tc.sw, tc.name)
		rows := BuildAgentRows(def, evs, calls, opt)
		got := agentDay(rows)
		checkAgentDays(t, def.ID, got, tc.want)
		for _, r := range rows {
			if r.Agent != def.ID || r.Display != def.Display || r.SettingsVersion != "v1" || r.TZ != "UTC" {
				t.Errorf("%s: row %+v; want agent %q, display %q, version v1, UTC", def.ID, r, def.ID, def.Display)
			}
		}
	}
	if def := s.Agent("pbx2", "SIP/201"); def.ID != "anna" || def.Display != "Anna Jensen" {
		t.Errorf("SIP/201 of pbx2 is %+v; want anna", def)
	}
	if def := s.Agent("pbx3", "Anna Jensen"); def.ID != "anna" {
		t.Errorf("Anna Jensen on any switch is %+v; want anna", def)
	}
	if def := s.Agent("pbx2", "PJSIP/1001"); def.ID != "pbx2/PJSIP/1001" || def.Display != "PJSIP/1001" {
		t.Errorf("an unmapped name is %+v; want an agent of its own", def)
	}
}

func checkAgentDays(t *testing.T, id string, got map[string]map[string]AgentCounts, want agentWant) {
	t.Helper()
	for _, q := range slices.Sorted(maps.Keys(want)) {
		for _, day := range slices.Sorted(maps.Keys(want[q])) {
			w, g := want[q][day], got[q][day]
			if !g.Equal(&w) {
				t.Errorf("%s queue %q %s:\n got %+v\nwant %+v", id, q, day, g, w)
			}
		}
	}
	for q, days := range got {
		for day, g := range days {
			if _, ok := want[q][day]; !ok && !g.Empty() {
				t.Errorf("%s queue %q %s: got %+v; want nothing", id, q, day, g)
			}
		}
	}
}

// TestAgentQuarterHours checks where figures fall among 15-minute buckets:
// a session starting 07:50 gives its first bucket 10 minutes, a pause is
// cut at bucket boundaries, and the login across midnight is cut there.
func TestAgentQuarterHours(t *testing.T) {
	evs := agentScenario(t)
	rows := BuildAgentRows(annaMap(t).Agent("pbx1", "PJSIP/1001"), evs, BuildCalls(evs, BuildOptions{}),
		AgentBuildOptions{From: aD0, To: aD0.AddDate(0, 0, 2)})
	at := func(day int, clock string) time.Time {
		c, _ := time.Parse("15:04", clock)
		return aD0.AddDate(0, 0, day).Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute)
	}
	byBucket := map[time.Time]AgentCounts{}
	for _, r := range rows {
		if r.Queue == "" {
			byBucket[r.Keys.Bucket] = r.Counts
		}
	}
	for _, tc := range []struct {
		at     time.Time
		logged uint64
		paused uint64
		inCall uint64
	}{
		{at(0, "07:45"), 600, 0, 0},
		{at(0, "09:00"), 900, 0, 300},
		{at(0, "10:15"), 900, 900, 0},
		{at(0, "11:00"), 900, 280, 600},
		{at(0, "11:15"), 900, 300, 0},
		{at(0, "13:45"), 900, 0, 0},
		{at(0, "23:45"), 900, 0, 0},
		{at(1, "00:00"), 900, 0, 0},
		{at(1, "01:45"), 900, 0, 0},
	} {
		got := byBucket[tc.at]
		if got.LoggedInS != tc.logged || got.PausedS != tc.paused || got.InCallS != tc.inCall {
			t.Errorf("bucket %v: logged %d paused %d in call %d; want %d %d %d", tc.at, got.LoggedInS, got.PausedS, got.InCallS, tc.logged, tc.paused, tc.inCall)
		}
	}
	if _, ok := byBucket[at(0, "14:00")]; ok {
		t.Errorf("a bucket after the sessions has a row: %+v", byBucket[at(0, "14:00")])
	}
}

// TestAgentStaleByClock: a session still open at the end of the lines
// counts up to its last sign either way, and as stale only once the
// stale timeout has passed by the clock.
func TestAgentStaleByClock(t *testing.T) {
	var evs []Event
	for _, e := range agentScenario(t) {
		if e.Agent == "PJSIP/1004" {
			evs = append(evs, e)
		}
	}
	def := annaMap(t).Agent("pbx1", "PJSIP/1004")
	for _, tc := range []struct {
		now   time.Time
		stale uint64
	}{{time.Time{}, 0}, {aD0.AddDate(0, 0, 2).Add(23 * time.Hour), 0}, {aD0.AddDate(0, 0, 3).Add(8*time.Hour + time.Second), 1}} {
		rows := BuildAgentRows(def, evs, nil, AgentBuildOptions{From: aD0, To: aD0.AddDate(0, 0, 4), Now: tc.now})
		got := agentDay(rows)[""][aD0.AddDate(0, 0, 2).Format(time.DateOnly)]
		if got.LoggedInS != 3600 || got.StaleSessions != tc.stale {
			t.Errorf("now %v: logged %d, stale %d; want 3600, %d", tc.now, got.LoggedInS, got.StaleSessions, tc.stale)
		}
	}
}

// TestAgentRowsOrderAndRepeats: the rows depend on the set of distinct
// events, not on their order or repeats, nor on the order of the calls,
// nor on the file or table form of the lines, nor on how far around the
// range the events reach (a window of the stale timeout's reach).
func TestAgentRowsOrderAndRepeats(t *testing.T) {
	evs := agentScenario(t)
	calls := BuildCalls(evs, BuildOptions{})
	s := annaMap(t)
	opt := AgentBuildOptions{From: aD0, To: aD0.AddDate(0, 0, 4), Now: aD0.AddDate(0, 0, 6)}
	defs := []AgentDef{s.Agent("pbx1", "PJSIP/1001"), s.Agent("pbx1", "PJSIP/1002"), s.Agent("pbx1", "PJSIP/1003"),
		s.Agent("pbx1", "PJSIP/1006"), s.Agent("pbx1", "PJSIP/1008"), s.Agent("pbx1", "PJSIP/1999")}
	want := map[string][]AgentRow{}
	for _, d := range defs {
		want[d.ID] = BuildAgentRows(d, evs, calls, opt)
		if len(want[d.ID]) == 0 {
			t.Fatalf("%s: no rows", d.ID)
		}
	}
	rng := rand.New(rand.NewPCG(15, 1))
	for i := range 100 {
		var in []Event
		for _, e := range evs {
			for range 1 + rng.IntN(3) {
				if rng.IntN(2) == 0 {
					// The table export of the line: the same fact, with
					// microseconds (its id is the same).
					e.Source, e.Micros = SourceQueueLogDB, uint32(rng.IntN(1000000))
				}
				in = append(in, e)
			}
		}
		rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		cs := slices.Clone(calls)
		rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
		for _, d := range defs {
			if got := BuildAgentRows(d, in, cs, opt); !reflect.DeepEqual(got, want[d.ID]) {
				t.Fatalf("shuffle %d, %s:\n got %+v\nwant %+v", i, d.ID, got, want[d.ID])
			}
		}
	}
	// One day alone, from the events of a wider window, is the same day.
	day := AgentBuildOptions{From: aD0, To: aD0.AddDate(0, 0, 1), Now: opt.Now}
	for _, d := range defs {
		var wantDay []AgentRow
		for _, r := range want[d.ID] {
			if r.Keys.Bucket.Before(day.To) {
				wantDay = append(wantDay, r)
			}
		}
		if got := BuildAgentRows(d, evs, calls, day); !reflect.DeepEqual(got, wantDay) {
			t.Errorf("%s, one day: got %+v; want %+v", d.ID, got, wantDay)
		}
	}
}

func TestAgentMapRefusesANameTwice(t *testing.T) {
	_, err := NewAgentMap([]AgentDef{{ID: "a", Names: []AgentName{{"pbx1", "PJSIP/1"}}}, {ID: "b", Names: []AgentName{{"pbx1", "PJSIP/1"}}}})
	if err == nil || !strings.Contains(err.Error(), `"a" and "b"`) {
		t.Errorf("a name of two agents: %v", err)
	}
	_, err = NewAgentMap([]AgentDef{{ID: "a", Names: []AgentName{{AgentAnySwitch, "Anna"}}}, {ID: "b", Names: []AgentName{{"pbx1", "Anna"}}}})
	if err == nil {
		t.Errorf("a name of one agent on every switch and of another on one: no error")
	}
}

func TestAgentPseudonym(t *testing.T) {
	k := []byte("0123456789abcdef")
	a, b := AgentPseudonym(k, "anna"), AgentPseudonym(k, "anna")
	if a != b || !strings.HasPrefix(a, "a-") || len(a) != 14 || strings.Contains(a, "anna") {
		t.Errorf("pseudonyms %q %q: want the same a- and 12 hex digits", a, b)
	}
	if AgentPseudonym([]byte("another key 0123"), "anna") == a || AgentPseudonym(k, "bo") == a {
		t.Errorf("another key or agent gives the same pseudonym")
	}
}

// TestAgentUnknownWhereTheCallJoined: a static member's call that joined
// before midnight and was answered after it makes both days' logged-in
// time unknown: the first holds the call, the second its talk.
func TestAgentUnknownWhereTheCallJoined(t *testing.T) {
	evs := agentLog(t, "pbx1", `
+0 23:59:59|c9.1|sd|NONE|ENTERQUEUE||4519|1
+1 00:00:29|c9.1|sd|PJSIP/1999|CONNECT|30|c9.2|5
+1 00:02:29|c9.1|sd|PJSIP/1999|COMPLETECALLER|30|120|1
`)
	rows := BuildAgentRows(annaMap(t).Agent("pbx1", "PJSIP/1999"), evs, BuildCalls(evs, BuildOptions{}), AgentBuildOptions{From: aD0, To: aD0.AddDate(0, 0, 2)})
	checkAgentDays(t, "PJSIP/1999", agentDay(rows), agentWant{
		"":   {aD0.Format(time.DateOnly): {LoginUnknown: true}, aD0.AddDate(0, 0, 1).Format(time.DateOnly): {LoginUnknown: true, InCallS: 120}},
		"sd": {aD0.Format(time.DateOnly): {Answered: 1, TalkS: 120, MaxTalkS: 120}},
	})
}
