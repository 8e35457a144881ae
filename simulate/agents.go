package simulate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// The agents of a simulation (Config.Agents): who is logged in when, who
// pauses, who rings and who answers, written as Asterisk writes them, and
// the truth of every agent figure of METRICS.md ("Agents"), computed from
// this model second by second, never from the lines.
//
// The roster, per desk (queue index qi) of the main switch:
//   - the desk's Queue.Agents dynamic members PJSIP/2<qi+1>0<a+1> (as the
//     simulation without agents names them), each a member (ADDMEMBER) from
//     ten minutes before the desk opens to a quarter of an hour after it
//     closes, on the days it opens, a second apart;
//   - every second member pauses for lunch (reason "lunch") at 11:30 plus
//     its index in minutes, for 30 minutes; the member of index 1 goes to a
//     meeting (reason "meeting") 14:00–14:20, the one of index 3 pauses
//     without a reason 09:30–09:40;
//   - the first member of the second desk is a member of the first desk too
//     (an agent in two queues): it pauses with PAUSEALL and a PAUSE per
//     queue, and is unpaused with UNPAUSEALL and an UNPAUSE per queue, as
//     Asterisk 13 writes a pause of a member everywhere;
//   - a static member PJSIP/2<qi+1>99, listed in queues.conf and never
//     logged in: it takes the calls no member is free for;
//   - the agent Agent/3001, logged in with AGENTLOGIN from 22:00 to 06:00
//     every night (across midnight), a member of every desk: it takes the
//     calls of the night; its login of the night before the first day is
//     not in the log (it was written before the simulated range), so only
//     its AGENTLOGOFF with the login's length says it was logged in;
//   - on the third day the second member of the first desk leaves without
//     its REMOVEMEMBER being written: acdstat closes its session at its
//     last sign (a session without logoff, "stale").
//
// The first member of the first desk is also SIP/201 on a second switch
// (Sim.Switches: the main switch's name with "-2"), where it is a member
// of its desk "servicedesk" from 12:00 to 17:00 on the days the first desk
// opens; the same person on two switches, joined by the agent map
// (Sim.AgentMap) under the id "anna", display name "Anna Jensen". The
// second switch has six calls a day in that time, answered by SIP/201
// where she is free on both switches, else by the static member SIP/202.
//
// Every answered stay goes, in the order of their answers, to a member of
// its desk who is logged in, not paused and not on a call, at random;
// failing that to the night agent while it is logged in and free; failing
// that to the desk's static member (which takes calls at once). Every
// RINGNOANSWER goes to a member logged in, not paused and free at its time
// (failing that, the static member), and so does a RINGCANCELED. The
// agents' random choices have a generator of their own, so the calls and
// their queue truth are those of the same Config without agents.

// agentDef is the agent of the map: its id, display name and its name on
// each switch.
type agentDef struct {
	id, display string
	names       map[string]string // switch → name
}

// simAgent is one name of an agent on one switch, and what it does.
type simAgent struct {
	sw, name string
	id       string // acdstat's id of the agent (the map's, or "<switch>/<name>")
	static   bool
	queues   map[int]bool // the desks it takes calls of (-1: the second switch's desk)
	sessions []agentSpan
	pauses   []agentPause
	calls    []agentSpan // [answer, end) of the calls it answered
}

// agentSpan is a span of time, whole seconds; for a session, whether its
// end line was written (a session whose end is lost is closed by acdstat
// at the agent's last sign).
type agentSpan struct {
	from, to time.Time
	written  bool
	kind     string // "member:<queue>" or "login", for a session
}

type agentPause struct {
	from, to time.Time
	reason   string
}

func (a *simAgent) in(spans []agentSpan, t time.Time) bool {
	for _, s := range spans {
		if !t.Before(s.from) && t.Before(s.to) {
			return true
		}
	}
	return false
}

func (a *simAgent) paused(t time.Time) bool {
	for _, p := range a.pauses {
		if !t.Before(p.from) && t.Before(p.to) {
			return true
		}
	}
	return false
}

// free says name a can take a call of desk qi at t: a static member
// always; any other name while logged in and not paused, and its agent is
// on no call, under any of its names.
func (m *agentModel) free(a *simAgent, qi int, t time.Time) bool {
	if !a.queues[qi] {
		return false
	}
	if a.static {
		return true
	}
	if !a.in(a.sessions, t) || a.paused(t) {
		return false
	}
	for _, o := range m.agents {
		if o.id == a.id && o.in(o.calls, t) {
			return false
		}
	}
	return true
}

// agentModel is the simulation's agents.
type agentModel struct {
	g       *gen
	rng     *rand.Rand
	switch2 string
	agents  []*simAgent // the main switch's, then the second's
	anna    agentDef
	lines   []Line // the main switch's agent lines
	lines2  []Line // the second switch's lines
	calls2  []TruthCall
	night   *simAgent
	member  map[int][]*simAgent // desk → its dynamic members
	statics map[int]*simAgent
}

func newAgentModel(g *gen) *agentModel {
	m := &agentModel{
		g:       g,
		rng:     rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0x6167656e7473)),
		switch2: g.cfg.Switch + "-2",
		member:  map[int][]*simAgent{},
		statics: map[int]*simAgent{},
	}
	sw := g.cfg.Switch
	for qi, q := range g.cfg.Queues {
		for a := range q.Agents {
			n := &simAgent{sw: sw, name: agentName(qi, a), queues: map[int]bool{qi: true}}
			n.id = sw + "/" + n.name
			m.agents = append(m.agents, n)
			m.member[qi] = append(m.member[qi], n)
		}
		st := &simAgent{sw: sw, name: fmt.Sprintf("PJSIP/%d", 2000+(qi+1)*100+99), static: true, queues: map[int]bool{qi: true}}
		st.id = sw + "/" + st.name
		m.agents = append(m.agents, st)
		m.statics[qi] = st
	}
	if len(g.cfg.Queues) > 1 && len(m.member[1]) > 0 {
		shared := m.member[1][0]
		shared.queues[0] = true
		m.member[0] = append(m.member[0], shared)
	}
	m.night = &simAgent{sw: sw, name: "Agent/3001", queues: map[int]bool{}}
	m.night.id = sw + "/" + m.night.name
	for qi := range g.cfg.Queues {
		m.night.queues[qi] = true
	}
	m.agents = append(m.agents, m.night)
	anna2 := &simAgent{sw: m.switch2, name: "SIP/201", queues: map[int]bool{-1: true}}
	static2 := &simAgent{sw: m.switch2, name: "SIP/202", static: true, queues: map[int]bool{-1: true}}
	static2.id = m.switch2 + "/" + static2.name
	m.anna = agentDef{id: "anna", display: "Anna Jensen", names: map[string]string{sw: agentName(0, 0), m.switch2: anna2.name}}
	anna2.id = "anna"
	if len(m.member[0]) > 0 {
		m.member[0][0].id = "anna"
	}
	m.agents = append(m.agents, anna2, static2)
	return m
}

// line formats a line of switch sw (lines of the main switch go through
// gen.line, those of the second switch likewise: the same format).
func (m *agentModel) line(sw string, t time.Time, callid, queue, agent, verb string, params ...string) {
	l := m.g.line(t, callid, queue, agent, verb, params...)
	if t.Before(m.g.from) {
		return // left out, like calls before the start
	}
	if sw == m.switch2 {
		m.lines2 = append(m.lines2, l)
		return
	}
	m.lines = append(m.lines, l)
}

// day adds the sessions and pauses of day i (a local day [day, next)).
func (m *agentModel) day(i int, day, next time.Time) {
	g := m.g
	loc := g.cfg.Location
	y, mo, d := day.Date()
	at := func(min, sec int) time.Time { return time.Date(y, mo, d, 0, min, sec, 0, loc) }
	sw := g.cfg.Switch
	// The night agent: 22:00 to 06:00 the next day; the login of the night
	// before the first day was not written (before the range).
	nightLogin := func(from time.Time) {
		to := time.Date(from.Year(), from.Month(), from.Day()+1, 6, 0, 0, 0, loc)
		m.night.sessions = append(m.night.sessions, agentSpan{from: from, to: to, written: true, kind: "login"})
		id := fmt.Sprintf("%d.%d", from.Unix(), 700000+i)
		m.line(sw, from, id, "NONE", m.night.name, "AGENTLOGIN", "PJSIP/3001")
		m.line(sw, to, id, "NONE", m.night.name, "AGENTLOGOFF", "PJSIP/3001", itoa(int(to.Sub(from)/time.Second)))
	}
	if i == 0 {
		nightLogin(time.Date(y, mo, d-1, 22, 0, 0, 0, loc))
	}
	nightLogin(at(22*60, 0))

	wd := day.Weekday()
	added := map[*simAgent]bool{}
	for qi := range g.cfg.Queues {
		q := &g.cfg.Queues[qi]
		rs := q.Hours[wd]
		if len(rs) == 0 || slices.Contains(q.Closed, day.Format(time.DateOnly)) {
			continue
		}
		openAt, closeAt := at(rs[0].From-10, 0), at(rs[len(rs)-1].To+15, 0)
		for a, n := range m.member[qi] {
			if added[n] {
				continue // the shared member: added with its own desk
			}
			added[n] = true
			from, to := openAt.Add(time.Duration(a)*time.Second), closeAt.Add(time.Duration(a)*time.Second)
			lost := i == 2 && qi == 0 && a == 1 // its REMOVEMEMBER is not written
			for _, qj := range sortedQueues(n.queues) {
				qn := g.cfg.Queues[qj].Name
				n.sessions = append(n.sessions, agentSpan{from: from, to: to, written: !lost, kind: "member:" + qn})
				m.line(sw, from, "MANAGER", qn, n.name, "ADDMEMBER", "")
				if !lost {
					m.line(sw, to, "MANAGER", qn, n.name, "REMOVEMEMBER", "")
				}
			}
			pause := func(from time.Time, minutes int, reason string) {
				to := from.Add(time.Duration(minutes) * time.Minute)
				n.pauses = append(n.pauses, agentPause{from: from, to: to, reason: reason})
				qs := sortedQueues(n.queues)
				if len(qs) > 1 {
					m.line(sw, from, "NONE", "NONE", n.name, "PAUSEALL", reason)
				}
				for _, qj := range qs {
					m.line(sw, from, "NONE", g.cfg.Queues[qj].Name, n.name, "PAUSE", reason)
				}
				if len(qs) > 1 {
					m.line(sw, to, "NONE", "NONE", n.name, "UNPAUSEALL", "")
				}
				for _, qj := range qs {
					m.line(sw, to, "NONE", g.cfg.Queues[qj].Name, n.name, "UNPAUSE", "")
				}
			}
			if a%2 == 0 {
				pause(time.Date(y, mo, d, 11, 30+a, 0, 0, loc), 30, "lunch")
			}
			if a == 1 && rs[len(rs)-1].To >= 14*60+20 {
				pause(time.Date(y, mo, d, 14, 0, 0, 0, loc), 20, "meeting")
			}
			if a == 3 {
				pause(time.Date(y, mo, d, 9, 30, 0, 0, loc), 10, "")
			}
			if n.id == "anna" {
				m.secondSwitch(i, day)
			}
		}
	}
}

func sortedQueues(qs map[int]bool) []int {
	var out []int
	for q := range qs {
		out = append(out, q)
	}
	sort.Ints(out)
	return out
}

// secondSwitch adds anna's session on the second switch, 12:00–17:00, and
// its desk's six calls of the day.
func (m *agentModel) secondSwitch(i int, day time.Time) {
	loc := m.g.cfg.Location
	y, mo, d := day.Date()
	var anna2 *simAgent
	for _, a := range m.agents {
		if a.sw == m.switch2 && !a.static {
			anna2 = a
		}
	}
	from, to := time.Date(y, mo, d, 12, 0, 0, 0, loc), time.Date(y, mo, d, 17, 0, 0, 0, loc)
	anna2.sessions = append(anna2.sessions, agentSpan{from: from, to: to, written: true, kind: "member:servicedesk"})
	m.line(m.switch2, from, "MANAGER", "servicedesk", anna2.name, "ADDMEMBER", "")
	m.line(m.switch2, to, "MANAGER", "servicedesk", anna2.name, "REMOVEMEMBER", "")
	for k := range 6 {
		enter := from.Add(time.Duration(30+35*k)*time.Minute + time.Duration(m.rng.IntN(600))*time.Second)
		wait, talk := 5+m.rng.IntN(36), 60+m.rng.IntN(341)
		m.calls2 = append(m.calls2, TruthCall{CallID: fmt.Sprintf("%d.%d", enter.Unix()-5, 900000+10*i+k), Queue: "servicedesk", Seq: 1,
			Outcome: OutcomeAnswered, Enter: enter.In(loc), WaitS: wait, TalkS: talk, InHours: true, Verb: "COMPLETECALLER", Switch: m.switch2})
	}
}

// assign gives every answered stay, ring and canceled ring of the main
// switch an agent, and the second switch's calls theirs, in the order of
// their times; then prints the second switch's call lines.
func (m *agentModel) assign(calls []*call) {
	type answer struct {
		at   time.Time
		s    *stay
		c    int // order, for ties
		sw2  int // index into calls2, or -1
		desk int
	}
	var answers []answer
	for ci, c := range calls {
		for _, s := range c.stays {
			if s.fate == fAnswered {
				answers = append(answers, answer{at: s.enter.Add(time.Duration(s.wait) * time.Second), s: s, c: ci, sw2: -1, desk: s.qi})
			}
		}
	}
	for k, tc := range m.calls2 {
		answers = append(answers, answer{at: tc.Enter.Add(time.Duration(tc.WaitS) * time.Second), c: len(calls) + k, sw2: k, desk: -1})
	}
	slices.SortStableFunc(answers, func(a, b answer) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.c - b.c
	})
	for _, an := range answers {
		var n *simAgent
		if an.sw2 >= 0 {
			tc := &m.calls2[an.sw2]
			for _, a := range m.agents {
				if a.sw == m.switch2 && !a.static && m.free(a, -1, an.at) {
					n = a
				}
			}
			if n == nil {
				for _, a := range m.agents {
					if a.sw == m.switch2 && a.static {
						n = a
					}
				}
			}
			end := an.at.Add(time.Duration(tc.TalkS) * time.Second)
			n.calls = append(n.calls, agentSpan{from: an.at, to: end})
			tc.Agent = n.name
			continue
		}
		s := an.s
		n = m.pick(s.qi, an.at)
		s.agent = n.name
		end := an.at.Add(time.Duration(s.talk) * time.Second)
		n.calls = append(n.calls, agentSpan{from: an.at, to: end})
	}
	for _, c := range calls {
		for _, s := range c.stays {
			for k, off := range s.rings {
				s.ringAgent[k] = m.pick(s.qi, s.enter.Add(time.Duration(off)*time.Second)).name
			}
			if s.fate == fAbandoned && s.cancel {
				s.cancelAgent = m.pick(s.qi, s.enter.Add(time.Duration(s.wait)*time.Second)).name
			}
		}
	}
	for _, tc := range m.calls2 {
		at := tc.Enter
		answer := at.Add(time.Duration(tc.WaitS) * time.Second)
		end := answer.Add(time.Duration(tc.TalkS) * time.Second)
		m.line(m.switch2, at, tc.CallID, "servicedesk", "NONE", "ENTERQUEUE", "", "4570000000", "1")
		m.line(m.switch2, answer, tc.CallID, "servicedesk", tc.Agent, "CONNECT", itoa(tc.WaitS), tc.CallID+"1", "3")
		m.line(m.switch2, end, tc.CallID, "servicedesk", tc.Agent, "COMPLETECALLER", itoa(tc.WaitS), itoa(tc.TalkS), "1")
	}
}

// pick chooses who takes a call (or a ring) of desk qi at t.
func (m *agentModel) pick(qi int, t time.Time) *simAgent {
	var free []*simAgent
	for _, n := range m.member[qi] {
		if m.free(n, qi, t) {
			free = append(free, n)
		}
	}
	if len(free) > 0 {
		return free[m.rng.IntN(len(free))]
	}
	if m.free(m.night, qi, t) {
		return m.night
	}
	return m.statics[qi]
}

// ---- the truth ----

// TruthAgent is the truth of one agent, one queue (or "*" for all its
// queues) and one local day of the simulation, by the definitions of
// METRICS.md ("Agents"). Agent is acdstat's id of the agent: the agent
// map's id ("anna", Sim.AgentMap) or "<switch>/<name>". The time figures
// are on the rows of queue "*" only (nil on the others); LoggedInS is nil
// where it is unknown (a static member); AvailableS and Occupancy follow
// it. RingNoAnswerMs is the ring time of the RINGNOANSWER lines.
type TruthAgent struct {
	Agent          string         `json:"agent"`
	Display        string         `json:"display"`
	Queue          string         `json:"queue"`
	Day            string         `json:"day"`
	Answered       int            `json:"answered"`
	TalkS          int            `json:"talk_s"`
	MaxTalkS       int            `json:"max_talk_s"`
	Transferred    int            `json:"transferred"`
	RingNoAnswer   int            `json:"ring_noanswer"`
	RingNoAnswerMs int            `json:"ring_noanswer_ms"`
	RingCanceled   int            `json:"ring_canceled"`
	LoggedInS      *int           `json:"logged_in_s"`
	InCallS        *int           `json:"in_call_s"`
	PausedS        *int           `json:"paused_s"`
	PausedByReason map[string]int `json:"paused_by_reason,omitempty"`
	AvailableS     *int           `json:"available_s"`
	Occupancy      *float64       `json:"occupancy"`
	StaleSessions  *int           `json:"stale_sessions"`
}

// AgentMap returns the agent map of the simulation as the `agents:`
// section of a queue file: the person on two switches.
func (s *Sim) AgentMap() string {
	if s.agents == nil {
		return ""
	}
	a := s.agents.anna
	var sws []string
	for sw := range a.names {
		sws = append(sws, sw)
	}
	sort.Strings(sws)
	var b strings.Builder
	fmt.Fprintf(&b, "agents:\n  %s:\n    name: %s\n    names:\n", a.id, a.display)
	for _, sw := range sws {
		fmt.Fprintf(&b, "      %s: [%q]\n", sw, a.names[sw])
	}
	return b.String()
}

// truth computes the agent truth second by second over the simulated days.
func (m *agentModel) truth(calls []*call) []TruthAgent {
	g := m.g
	loc := g.cfg.Location
	ids := map[string][]*simAgent{}
	for _, a := range m.agents {
		ids[a.id] = append(ids[a.id], a)
	}
	type key struct{ agent, queue, day string }
	rows := map[key]*TruthAgent{}
	row := func(id, queue, day string) *TruthAgent {
		k := key{id, queue, day}
		r := rows[k]
		if r == nil {
			r = &TruthAgent{Agent: id, Display: ids[id][0].name, Queue: queue, Day: day}
			if id == m.anna.id {
				r.Display = m.anna.display
			}
			rows[k] = r
		}
		return r
	}
	dayOf := func(t time.Time) string { return t.In(loc).Format(time.DateOnly) }
	inRange := func(t time.Time) bool { return !t.Before(g.from) && t.Before(g.to) }
	byName := map[string]*simAgent{}
	for _, a := range m.agents {
		byName[a.sw+"\x00"+a.name] = a
	}
	// Calls by the desk and day of their enter time; rings by the day of
	// their line.
	answered := func(sw, agent, queue string, enter time.Time, talk int, transferred bool) {
		n := byName[sw+"\x00"+agent]
		if n == nil || !inRange(enter) {
			return
		}
		r := row(n.id, queue, dayOf(enter))
		r.Answered++
		r.TalkS += talk
		r.MaxTalkS = max(r.MaxTalkS, talk)
		if transferred {
			r.Transferred++
		}
	}
	for _, c := range calls {
		for _, s := range c.stays {
			q := g.cfg.Queues[s.qi].Name
			if s.fate == fAnswered {
				answered(g.cfg.Switch, s.agent, q, s.enter, s.talk, s.end == endBlind || s.end == endAttended)
			}
			for k, off := range s.rings {
				t := s.enter.Add(time.Duration(off) * time.Second)
				if n := byName[g.cfg.Switch+"\x00"+s.ringAgent[k]]; n != nil && inRange(t) {
					r := row(n.id, q, dayOf(t))
					r.RingNoAnswer++
					r.RingNoAnswerMs += 15000
				}
			}
			if s.fate == fAbandoned && s.cancel {
				t := s.enter.Add(time.Duration(s.wait) * time.Second)
				if n := byName[g.cfg.Switch+"\x00"+s.cancelAgent]; n != nil && inRange(t) {
					row(n.id, q, dayOf(t)).RingCanceled++
				}
			}
		}
	}
	for _, tc := range m.calls2 {
		answered(m.switch2, tc.Agent, tc.Queue, tc.Enter, tc.TalkS, false)
	}

	// The time figures, second by second over the range (and a day either
	// side, for what reaches into it).
	type timeFig struct{ logged, inCall, paused, stale int }
	times := map[key]*timeFig{}
	reasons := map[key]map[string]int{}
	lo, hi := g.from.AddDate(0, 0, -1), g.to.AddDate(0, 0, 1)
	n := int(hi.Sub(lo) / time.Second)
	idx := func(t time.Time) int { return min(max(int(t.Sub(lo)/time.Second), 0), n) }
	for id, names := range ids {
		sess := make([][]bool, len(names))
		paused := make([][]bool, len(names))
		reason := make([][]string, len(names))
		inCall := make([]bool, n)
		callIn := make([]bool, n) // on a call answered within a session
		fig := func(t time.Time) *timeFig {
			k := key{id, "*", dayOf(t)}
			if times[k] == nil {
				times[k] = &timeFig{}
			}
			return times[k]
		}
		for i, a := range names {
			sess[i], paused[i], reason[i] = make([]bool, n), make([]bool, n), make([]string, n)
			for _, sp := range m.recorded(a) {
				for t := idx(sp.from); t < idx(sp.to); t++ {
					sess[i][t] = true
				}
				if !sp.written && inRange(sp.to) {
					fig(sp.to).stale++
				}
			}
			for _, p := range a.pauses {
				for t := idx(p.from); t < idx(p.to); t++ {
					paused[i][t], reason[i][t] = true, p.reason
				}
			}
		}
		inSession := func(t int) bool {
			for i := range names {
				if t < n && sess[i][t] {
					return true
				}
			}
			return false
		}
		for _, a := range names {
			for _, c := range a.calls {
				within := inSession(idx(c.from))
				for t := idx(c.from); t < idx(c.to); t++ {
					inCall[t] = true
					callIn[t] = callIn[t] || within
				}
			}
		}
		for t := range n {
			at := lo.Add(time.Duration(t) * time.Second)
			if !inRange(at) {
				continue
			}
			// The model never has two pauses of different reasons in
			// force at once, so any paused name's reason is the reason.
			anyS, anyP, allP, why := false, false, true, ""
			for i := range names {
				anyS = anyS || sess[i][t]
				if paused[i][t] {
					anyP, why = true, reason[i][t]
				}
				if sess[i][t] && !paused[i][t] {
					allP = false
				}
			}
			logged := anyS || callIn[t]
			if !logged && !inCall[t] {
				continue
			}
			f := fig(at)
			if logged {
				f.logged++
			}
			if inCall[t] {
				f.inCall++
			}
			if anyP && allP && !inCall[t] && logged {
				f.paused++
				k := key{id, "*", dayOf(at)}
				if reasons[k] == nil {
					reasons[k] = map[string]int{}
				}
				reasons[k][why]++
			}
		}
	}
	// The rows of all queues: the calls of every queue, and the time.
	for k, r := range rows {
		if k.queue == "*" {
			continue
		}
		all := row(k.agent, "*", k.day)
		all.Answered += r.Answered
		all.TalkS += r.TalkS
		all.MaxTalkS = max(all.MaxTalkS, r.MaxTalkS)
		all.Transferred += r.Transferred
		all.RingNoAnswer += r.RingNoAnswer
		all.RingNoAnswerMs += r.RingNoAnswerMs
		all.RingCanceled += r.RingCanceled
	}
	for k := range times {
		row(k.agent, "*", k.day)
	}
	for k, r := range rows {
		if k.queue != "*" {
			continue
		}
		f := times[k]
		if f == nil {
			f = &timeFig{}
		}
		logged, inCall, paused, stale := f.logged, f.inCall, f.paused, f.stale
		r.InCallS, r.PausedS, r.StaleSessions = &inCall, &paused, &stale
		r.PausedByReason = reasons[k]
		static := true
		for _, a := range ids[k.agent] {
			static = static && a.static
		}
		if static {
			continue // logged-in time unknown
		}
		avail := logged - paused
		r.LoggedInS, r.AvailableS = &logged, &avail
		if avail > 0 {
			occ := float64(inCall) / float64(avail)
			r.Occupancy = &occ
		}
	}
	out := make([]TruthAgent, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b TruthAgent) int {
		return strings.Compare(a.Agent+"\x00"+a.Day+"\x00"+a.Queue, b.Agent+"\x00"+b.Day+"\x00"+b.Queue)
	})
	return out
}

// recorded are a name's sessions as its lines give them (METRICS.md,
// "Sessions"): a session whose end line was not written ends at the
// name's last sign within the stale timeout (24 h) of its start and
// before its next session of the same kind.
func (m *agentModel) recorded(a *simAgent) []agentSpan {
	var out []agentSpan
	for _, s := range a.sessions {
		if s.written {
			out = append(out, s)
			continue
		}
		limit := s.from.Add(24 * time.Hour)
		for _, o := range a.sessions {
			if o.kind == s.kind && o.from.After(s.from) && !o.from.After(limit) {
				limit = o.from.Add(-time.Second)
			}
		}
		last := s.from
		sign := func(t time.Time) {
			if t.After(last) && !t.After(limit) {
				last = t
			}
		}
		for _, o := range a.sessions {
			sign(o.from)
			if o.written {
				sign(o.to)
			}
		}
		for _, p := range a.pauses {
			sign(p.from)
			sign(p.to)
		}
		for _, c := range a.calls {
			sign(c.from)
			sign(c.to)
		}
		for _, t := range m.ringsOf(a) {
			sign(t)
		}
		s.to = last
		out = append(out, s)
	}
	return out
}

// ringsOf lists the times of the rings (RINGNOANSWER, RINGCANCELED) of a
// name of the main switch.
func (m *agentModel) ringsOf(a *simAgent) []time.Time {
	if a.sw != m.g.cfg.Switch {
		return nil
	}
	var out []time.Time
	for _, c := range m.g.calls {
		for _, s := range c.stays {
			for k, off := range s.rings {
				if s.ringAgent[k] == a.name {
					out = append(out, s.enter.Add(time.Duration(off)*time.Second))
				}
			}
			if s.fate == fAbandoned && s.cancel && s.cancelAgent == a.name {
				out = append(out, s.enter.Add(time.Duration(s.wait)*time.Second))
			}
		}
	}
	return out
}
