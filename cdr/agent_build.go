package cdr

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// How BuildAgentRows turns an agent's lines and calls into agent rows
// (METRICS.md, "Agents"; the verbs are those of research/acd-anchors.md §2a).
//
// Input. The events and queue calls of any number of agents, in any order,
// with any number of repeats: only the agent's own are used, those of its
// names (AgentDef.Matches) and the QUEUESTART of their switches. Events with
// the same ID are one fact and count once; queue calls are taken as stored
// (one row per stay), and only answered ones with the agent count. So the
// rows depend on the set of distinct events and the calls, never on their
// order or repeats.
//
// Names. Each name (switch, name) is walked alone, its lines in the order
// (whole second, tie rank, ID): QUEUESTART, then ends, then beginnings, then
// rings (agentVerbs). Micros are not used: the file form has none, so the
// file and the table export of one log give the same rows. The walk keeps
// the name's login (AGENTLOGIN…), its memberships (ADDMEMBER… per queue) and
// its pauses (PAUSEALL, and PAUSE per queue), and closes each as METRICS.md
// says: at its end line, at a QUEUESTART of its switch, at a new beginning
// of its kind (at the last sign before it), or by the stale timeout (at the
// last sign within StaleAfter of its start). A name's signs are the times of
// its lines and of the answers and ends of its calls.
//
// Time. The agent's sessions, pauses and calls are then swept together,
// cut at 15-minute bucket boundaries: an instant counts as logged in within
// a session of any name, or on a call answered within one; as on a call on
// any call; as paused where some name is paused and every name in a session
// is. Buckets holding a ring outside every session, or the joining, the
// answer or the talk of a call answered outside every session, have their
// logged-in time unknown.
//
// Rows. For each bucket in [opt.From, opt.To): a row of queue "" with the
// time figures, where any is not zero or the logged-in time is unknown, and
// a row per queue with the calls that joined in the bucket (as the queue
// figures count them, by enter_time) and the rings of the bucket. Rows are
// sorted by queue and bucket.

// DefaultAgentStaleAfter is how long a session or pause with no end seen
// may last (METRICS.md: ACDSTAT_AGENT_STALE_AFTER, default 24 h).
const DefaultAgentStaleAfter = 24 * time.Hour

// AgentBuildOptions steer BuildAgentRows.
type AgentBuildOptions struct {
	// From and To bound the 15-minute buckets of the rows, [From, To);
	// both are rounded down to a bucket.
	From, To time.Time
	// Now is the clock of the stale timeout of sessions still open at the
	// end of the events; zero makes none of them stale by time.
	Now time.Time
	// StaleAfter: 0 means DefaultAgentStaleAfter.
	StaleAfter time.Duration
	// SettingsVersion is recorded in every row.
	SettingsVersion string
}

// AgentCounts are the stored, additive figures of an agent for one queue
// (the call figures) or for all its queues (queue "", the time figures) and
// one 15-minute bucket (METRICS.md, "Agents"). Longer periods add them up.
type AgentCounts struct {
	Answered             uint64
	TalkS                uint64
	MaxTalkS             uint64
	Transferred          uint64
	Dispositions         uint64
	ResolvedFirstContact uint64
	RingNoAnswer         uint64
	RingNoAnswerMs       uint64
	RingCanceled         uint64

	LoggedInS uint64
	// LoginUnknown says the logged-in time of the bucket is unknown (a
	// static member, a login not seen); LoggedInS then holds only what
	// the sessions seen give.
	LoginUnknown bool
	InCallS      uint64
	PausedS      uint64
	// PausedByReason splits PausedS by the pause's reason ("" for none).
	PausedByReason map[string]uint64
	StaleSessions  uint64
}

// Add adds o to c. A sum is unknown where any part is.
func (c *AgentCounts) Add(o *AgentCounts) {
	c.Answered += o.Answered
	c.TalkS += o.TalkS
	c.MaxTalkS = max(c.MaxTalkS, o.MaxTalkS)
	c.Transferred += o.Transferred
	c.Dispositions += o.Dispositions
	c.ResolvedFirstContact += o.ResolvedFirstContact
	c.RingNoAnswer += o.RingNoAnswer
	c.RingNoAnswerMs += o.RingNoAnswerMs
	c.RingCanceled += o.RingCanceled
	c.LoggedInS += o.LoggedInS
	c.LoginUnknown = c.LoginUnknown || o.LoginUnknown
	c.InCallS += o.InCallS
	c.PausedS += o.PausedS
	for r, v := range o.PausedByReason {
		if c.PausedByReason == nil {
			c.PausedByReason = map[string]uint64{}
		}
		c.PausedByReason[r] += v
	}
	c.StaleSessions += o.StaleSessions
}

// Empty says c holds nothing: no figure, and the logged-in time known.
func (c *AgentCounts) Empty() bool {
	return c.Answered == 0 && c.TalkS == 0 && c.MaxTalkS == 0 && c.Transferred == 0 && c.Dispositions == 0 &&
		c.ResolvedFirstContact == 0 && c.RingNoAnswer == 0 && c.RingNoAnswerMs == 0 && c.RingCanceled == 0 &&
		c.LoggedInS == 0 && !c.LoginUnknown && c.InCallS == 0 && c.PausedS == 0 && len(c.PausedByReason) == 0 &&
		c.StaleSessions == 0
}

// Equal says c and o hold the same figures.
func (c *AgentCounts) Equal(o *AgentCounts) bool {
	return c.Answered == o.Answered && c.TalkS == o.TalkS && c.MaxTalkS == o.MaxTalkS && c.Transferred == o.Transferred &&
		c.Dispositions == o.Dispositions && c.ResolvedFirstContact == o.ResolvedFirstContact && c.RingNoAnswer == o.RingNoAnswer &&
		c.RingNoAnswerMs == o.RingNoAnswerMs && c.RingCanceled == o.RingCanceled && c.LoggedInS == o.LoggedInS &&
		c.LoginUnknown == o.LoginUnknown && c.InCallS == o.InCallS && c.PausedS == o.PausedS && c.StaleSessions == o.StaleSessions &&
		maps.Equal(nonEmpty(c.PausedByReason), nonEmpty(o.PausedByReason))
}

func nonEmpty(m map[string]uint64) map[string]uint64 {
	if len(m) == 0 {
		return nil
	}
	return m
}

// AgentRow is one stored agent row: the AgentCounts of one agent, queue
// ("" for the time figures of all its queues) and 15-minute bucket, with
// the bucket's local period keys in the agent's zone.
type AgentRow struct {
	Agent, Display, Queue string
	Keys                  PeriodKeys // Keys.Bucket is the bucket's start (UTC)
	TZ                    string
	SettingsVersion       string
	Counts                AgentCounts
}

// BuildAgentRows computes the rows of agent def from events and calls by
// the rules at the top of this file. Rows carry def.ID and def.Display;
// def.Location is the zone of their period keys (nil: Europe/Copenhagen).
// It does not modify or retain events or calls, and is safe for concurrent
// use.
func BuildAgentRows(def AgentDef, events []Event, calls []QueueCall, opt AgentBuildOptions) []AgentRow {
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = DefaultAgentStaleAfter
	}
	loc := def.Location
	if loc == nil {
		loc = defaultLocation()
	}
	from, to := BucketOf(opt.From).Unix(), BucketOf(opt.To).Unix()
	if from >= to {
		return nil
	}
	b := &agentBuild{def: def, opt: opt, stale: int64(opt.StaleAfter / time.Second), from: from, to: to}
	b.collect(events, calls)
	for _, n := range b.names {
		b.walk(n)
	}
	return b.rows(loc)
}

// agentBuild is one agent being built.
type agentBuild struct {
	def      AgentDef
	opt      AgentBuildOptions
	stale    int64 // seconds
	from, to int64 // bucket range, Unix seconds
	names    []*agentNameState
	calls    []agentCall
	rings    []agentRing
	closes   []int64 // instants where a session closed without its end seen
}

// agentNameState is one name of the agent and what its walk found.
type agentNameState struct {
	name     AgentName
	events   []agentEvent
	signs    []int64 // sorted, distinct
	sessions []span
	logins   []span // the login sessions alone, for AGENTLOGOFF without a login
	pauses   []agentPause
}

type agentEvent struct {
	e    *Event
	unix int64
	rank uint8
	id   uint64
}

type span struct{ from, to int64 }

type agentPause struct {
	span
	reason string
}

type agentCall struct {
	c          *QueueCall
	answer, to int64
}

type agentRing struct {
	t        int64
	queue    string
	ms       uint64
	canceled bool
}

// collect picks the agent's own events (deduplicated) and calls, by name.
func (b *agentBuild) collect(events []Event, calls []QueueCall) {
	byName := map[AgentName]*agentNameState{}
	name := func(sw, n string) *agentNameState {
		k := AgentName{sw, n}
		s := byName[k]
		if s == nil {
			s = &agentNameState{name: k}
			byName[k] = s
		}
		return s
	}
	restarts := map[string][]agentEvent{}
	seen := map[uint64]bool{}
	for i := range events {
		e := &events[i]
		rank, ok := agentVerbs[e.Verb]
		if !ok || !IsAgentEvent(e) {
			continue
		}
		if e.Verb != VerbQueueStart && !b.def.Matches(e.Switch, e.Agent) {
			continue
		}
		id := e.ID
		if id == 0 {
			id = EventID(e)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		ae := agentEvent{e: e, unix: e.Time.Unix(), rank: rank, id: id}
		if e.Verb == VerbQueueStart {
			restarts[e.Switch] = append(restarts[e.Switch], ae)
			continue
		}
		s := name(e.Switch, e.Agent)
		s.events = append(s.events, ae)
		s.signs = append(s.signs, ae.unix)
	}
	for i := range calls {
		c := &calls[i]
		if c.Outcome != Answered || c.Agent == "" || !b.def.Matches(c.Switch, c.Agent) || c.AnswerTime.IsZero() {
			continue
		}
		a := c.AnswerTime.Unix()
		ac := agentCall{c: c, answer: a, to: a + int64(c.TalkS)}
		b.calls = append(b.calls, ac)
		s := name(c.Switch, c.Agent)
		s.signs = append(s.signs, ac.answer, ac.to)
	}
	for _, s := range byName {
		s.events = append(s.events, restarts[s.name.Switch]...)
		slices.SortFunc(s.events, func(x, y agentEvent) int {
			return cmp.Or(cmp.Compare(x.unix, y.unix), cmp.Compare(x.rank, y.rank), cmp.Compare(x.id, y.id))
		})
		slices.Sort(s.signs)
		s.signs = slices.Compact(s.signs)
		b.names = append(b.names, s)
	}
	slices.SortFunc(b.names, func(x, y *agentNameState) int {
		return cmp.Or(strings.Compare(x.name.Switch, y.name.Switch), strings.Compare(x.name.Name, y.name.Name))
	})
	// Calls in a stable order: the sweep below does not depend on it, but
	// rows list calls' figures in no order-dependent way either.
	slices.SortFunc(b.calls, func(x, y agentCall) int {
		return cmp.Or(cmp.Compare(x.answer, y.answer), strings.Compare(x.c.Switch, y.c.Switch), strings.Compare(x.c.CallID, y.c.CallID),
			strings.Compare(x.c.Queue, y.c.Queue), cmp.Compare(x.c.Seq, y.c.Seq))
	})
}

// lastSign is the name's latest sign in [lo, hi], or lo where it has none.
func (s *agentNameState) lastSign(lo, hi int64) int64 {
	i := sort.Search(len(s.signs), func(i int) bool { return s.signs[i] > hi })
	if i > 0 && s.signs[i-1] >= lo {
		return s.signs[i-1]
	}
	return lo
}

// openItem is a session or pause being walked.
type openItem struct {
	start  int64
	reason string
}

// walk runs through one name's lines and records its sessions, pauses,
// rings and the sessions closed without their end.
func (b *agentBuild) walk(s *agentNameState) {
	var login *openItem
	members := map[string]*openItem{}
	var pauseAll *openItem
	pauseQ := map[string]*openItem{}

	closeSession := func(it *openItem, at int64, stale bool, isLogin bool) {
		sp := span{it.start, max(at, it.start)}
		s.sessions = append(s.sessions, sp)
		if isLogin {
			s.logins = append(s.logins, sp)
		}
		if stale {
			b.closes = append(b.closes, sp.to)
		}
	}
	closePause := func(it *openItem, at int64) {
		s.pauses = append(s.pauses, agentPause{span{it.start, max(at, it.start)}, it.reason})
	}
	liftAll := func(at int64) {
		if pauseAll != nil {
			closePause(pauseAll, at)
			pauseAll = nil
		}
		for _, q := range slices.Sorted(maps.Keys(pauseQ)) {
			closePause(pauseQ[q], at)
			delete(pauseQ, q)
		}
	}
	staleEnd := func(it *openItem) int64 { return s.lastSign(it.start, it.start+b.stale) }
	// expire closes what the stale timeout closed before t.
	expire := func(t int64) {
		if login != nil && login.start+b.stale < t {
			closeSession(login, staleEnd(login), true, true)
			login = nil
		}
		for _, q := range slices.Sorted(maps.Keys(members)) {
			if m := members[q]; m.start+b.stale < t {
				closeSession(m, staleEnd(m), true, false)
				delete(members, q)
			}
		}
		if pauseAll != nil && pauseAll.start+b.stale < t {
			closePause(pauseAll, staleEnd(pauseAll))
			pauseAll = nil
		}
		for _, q := range slices.Sorted(maps.Keys(pauseQ)) {
			if p := pauseQ[q]; p.start+b.stale < t {
				closePause(p, staleEnd(p))
				delete(pauseQ, q)
			}
		}
	}
	for _, ae := range s.events {
		e, t := ae.e, ae.unix
		expire(t)
		queue := e.Queue
		if queue == "NONE" {
			queue = ""
		}
		switch e.Verb {
		case VerbQueueStart:
			if login != nil {
				closeSession(login, t, true, true)
				login = nil
			}
			for _, q := range slices.Sorted(maps.Keys(members)) {
				closeSession(members[q], t, true, false)
				delete(members, q)
			}
			liftAll(t)
		case VerbAgentLogin, VerbAgentCallbackLogin:
			if login != nil {
				closeSession(login, s.lastSign(login.start, t-1), true, true)
			}
			liftAll(t)
			login = &openItem{start: t}
		case VerbAgentLogoff, VerbAgentCallbackLogoff:
			switch {
			case login != nil:
				closeSession(login, t, false, true)
				login = nil
			default:
				// The login was not seen: its length is in data2.
				if n, ok := e.DataInt(1); ok && n >= 0 && n <= b.stale && !overlaps(s.logins, span{t - n, t}) {
					closeSession(&openItem{start: t - n}, t, false, true)
				}
			}
			liftAll(t)
		case VerbAddMember:
			if m := members[queue]; m != nil {
				closeSession(m, s.lastSign(m.start, t-1), true, false)
			}
			members[queue] = &openItem{start: t}
			if strings.EqualFold(strings.TrimSpace(e.Data[0]), "PAUSED") {
				if pauseQ[queue] == nil {
					pauseQ[queue] = &openItem{start: t}
				}
			} else if p := pauseQ[queue]; p != nil {
				closePause(p, t)
				delete(pauseQ, queue)
			}
		case VerbRemoveMember:
			if m := members[queue]; m != nil {
				closeSession(m, t, false, false)
				delete(members, queue)
			}
			if p := pauseQ[queue]; p != nil {
				closePause(p, t)
				delete(pauseQ, queue)
			}
		case VerbPause, VerbPauseAll:
			if e.Verb == VerbPauseAll || queue == "" {
				if pauseAll == nil {
					pauseAll = &openItem{start: t, reason: e.Data[0]}
				}
			} else if pauseQ[queue] == nil {
				pauseQ[queue] = &openItem{start: t, reason: e.Data[0]}
			}
		case VerbUnpause:
			if pauseAll != nil {
				closePause(pauseAll, t)
				pauseAll = nil
			}
			if p := pauseQ[queue]; p != nil {
				closePause(p, t)
				delete(pauseQ, queue)
			}
		case VerbUnpauseAll:
			liftAll(t)
		case VerbRingNoAnswer, VerbRingCanceled:
			ms, _ := e.DataInt(0)
			b.rings = append(b.rings, agentRing{t: t, queue: e.Queue, ms: uint64(max(ms, 0)), canceled: e.Verb == VerbRingCanceled})
		}
	}
	// What is still open: stale once the timeout has passed by the clock,
	// else open; either way it counts up to its last sign.
	stale := func(it *openItem) bool {
		return !b.opt.Now.IsZero() && b.opt.Now.Unix()-it.start > b.stale
	}
	if login != nil {
		closeSession(login, staleEnd(login), stale(login), true)
	}
	for _, q := range slices.Sorted(maps.Keys(members)) {
		closeSession(members[q], staleEnd(members[q]), stale(members[q]), false)
	}
	if pauseAll != nil {
		closePause(pauseAll, staleEnd(pauseAll))
	}
	for _, q := range slices.Sorted(maps.Keys(pauseQ)) {
		closePause(pauseQ[q], staleEnd(pauseQ[q]))
	}
}

func overlaps(spans []span, x span) bool {
	for _, s := range spans {
		if s.from < x.to && x.from < s.to {
			return true
		}
	}
	return false
}

// union merges spans into sorted, disjoint, non-empty spans.
func union(spans []span) []span {
	ss := slices.Clone(spans)
	slices.SortFunc(ss, func(a, b span) int { return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to)) })
	var out []span
	for _, s := range ss {
		if s.to <= s.from {
			continue
		}
		if n := len(out); n > 0 && s.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}

// within says whether t lies in one of the sorted, disjoint spans, its
// end included: an offer at the instant a session was closed (at its last
// sign, which may be that very offer) was made within it.
func within(spans []span, t int64) bool {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].to >= t })
	return i < len(spans) && spans[i].from <= t
}

// sweep point kinds.
const (
	ptSession = iota
	ptPause
	ptCall
	ptCallIn
)

type sweepPoint struct {
	t     int64
	delta int
	kind  int
	name  int
	pause int // index into pauses, for ptPause
}

// rows sweeps the agent's time and writes the rows of [from, to).
func (b *agentBuild) rows(loc *time.Location) []AgentRow {
	var all []span
	for _, n := range b.names {
		all = append(all, n.sessions...)
	}
	sessions := union(all)

	type bucketFig struct {
		logged, inCall, pausedK, pausedAll uint64
		reasonsK, reasonsAll               map[string]uint64
		unknown                            bool
		stale                              uint64
	}
	const step = BucketMinutes * 60
	figs := map[int64]*bucketFig{}
	fig := func(t int64) *bucketFig {
		k := t - ((t%step)+step)%step
		f := figs[k]
		if f == nil {
			f = &bucketFig{}
			figs[k] = f
		}
		return f
	}
	inRange := func(t int64) bool { return t >= b.from && t < b.to }

	// Offers and talk outside every session make their buckets unknown.
	for _, r := range b.rings {
		if inRange(r.t) && !within(sessions, r.t) {
			fig(r.t).unknown = true
		}
	}
	var pts []sweepPoint
	type pauseRef struct {
		began  int64
		reason string
	}
	var pauses []pauseRef
	for i, n := range b.names {
		for _, s := range n.sessions {
			if s.to > s.from {
				pts = append(pts, sweepPoint{t: s.from, delta: 1, kind: ptSession, name: i}, sweepPoint{t: s.to, delta: -1, kind: ptSession, name: i})
			}
		}
		for _, p := range n.pauses {
			if p.to > p.from {
				j := len(pauses)
				pauses = append(pauses, pauseRef{p.from, p.reason})
				pts = append(pts, sweepPoint{t: p.from, delta: 1, kind: ptPause, name: i, pause: j}, sweepPoint{t: p.to, delta: -1, kind: ptPause, name: i, pause: j})
			}
		}
	}
	for _, c := range b.calls {
		in := within(sessions, c.answer)
		if !in {
			// The call counts in the bucket it joined in, and the agent
			// was busy from its answer to its end, all outside every
			// session seen.
			for _, t := range []int64{c.c.EnterTime.Unix(), c.answer} {
				if inRange(t) {
					fig(t).unknown = true
				}
			}
			for t := c.answer - ((c.answer%step)+step)%step; t < c.to; t += step {
				if inRange(t) {
					fig(t).unknown = true
				}
			}
		}
		if c.to > c.answer {
			pts = append(pts, sweepPoint{t: c.answer, delta: 1, kind: ptCall}, sweepPoint{t: c.to, delta: -1, kind: ptCall})
			if in {
				pts = append(pts, sweepPoint{t: c.answer, delta: 1, kind: ptCallIn}, sweepPoint{t: c.to, delta: -1, kind: ptCallIn})
			}
		}
	}
	for t := b.from; t <= b.to; t += step {
		pts = append(pts, sweepPoint{t: t, kind: -1}) // a cut, changes nothing
	}
	slices.SortFunc(pts, func(x, y sweepPoint) int { return cmp.Compare(x.t, y.t) })

	inS := make([]int, len(b.names))
	paused := make([]int, len(b.names))
	active := map[int]bool{} // pauses in force
	calls, callsIn := 0, 0
	for i := 0; i < len(pts); {
		t := pts[i].t
		for ; i < len(pts) && pts[i].t == t; i++ {
			p := pts[i]
			switch p.kind {
			case ptSession:
				inS[p.name] += p.delta
			case ptPause:
				paused[p.name] += p.delta
				if p.delta > 0 {
					active[p.pause] = true
				} else {
					delete(active, p.pause)
				}
			case ptCall:
				calls += p.delta
			case ptCallIn:
				callsIn += p.delta
			}
		}
		if i == len(pts) {
			break
		}
		lo, hi := max(t, b.from), min(pts[i].t, b.to)
		if lo >= hi {
			continue
		}
		d := uint64(hi - lo)
		f := fig(lo) // segments never cross a bucket: every boundary is a point
		anyS, anyP, allP := false, false, true
		for n := range b.names {
			anyS = anyS || inS[n] > 0
			anyP = anyP || paused[n] > 0
			if inS[n] > 0 && paused[n] == 0 {
				allP = false
			}
		}
		k := anyS || callsIn > 0
		if k {
			f.logged += d
		}
		if calls > 0 {
			f.inCall += d
		}
		if anyP && allP && calls == 0 {
			// The reason of the pause in force that began first.
			first := -1
			for j := range active {
				if first < 0 || pauses[j].began < pauses[first].began ||
					pauses[j].began == pauses[first].began && pauses[j].reason < pauses[first].reason {
					first = j
				}
			}
			reason := pauses[first].reason
			f.pausedAll += d
			if f.reasonsAll == nil {
				f.reasonsAll = map[string]uint64{}
			}
			f.reasonsAll[reason] += d
			if k {
				f.pausedK += d
				if f.reasonsK == nil {
					f.reasonsK = map[string]uint64{}
				}
				f.reasonsK[reason] += d
			}
		}
	}
	for _, t := range b.closes {
		if inRange(t) {
			fig(t).stale++
		}
	}

	rows := map[[2]string]*AgentRow{} // (queue, bucket) → row
	row := func(queue string, t int64) *AgentRow {
		bucket := t - ((t%step)+step)%step
		k := [2]string{queue, strconv.FormatInt(bucket, 10)}
		r := rows[k]
		if r == nil {
			r = &AgentRow{Agent: b.def.ID, Display: b.def.Display, Queue: queue,
				Keys: Keys(time.Unix(bucket, 0), loc), TZ: loc.String(), SettingsVersion: b.opt.SettingsVersion}
			rows[k] = r
		}
		return r
	}
	for t, f := range figs {
		if !inRange(t) {
			continue
		}
		c := AgentCounts{LoggedInS: f.logged, InCallS: f.inCall, LoginUnknown: f.unknown, StaleSessions: f.stale,
			PausedS: f.pausedK, PausedByReason: f.reasonsK}
		if f.unknown {
			c.PausedS, c.PausedByReason = f.pausedAll, f.reasonsAll
		}
		if !c.Empty() {
			row("", t).Counts = c
		}
	}
	for _, ac := range b.calls {
		c := ac.c
		if t := c.EnterTime.Unix(); inRange(t) {
			r := row(c.Queue, t)
			r.Counts.Answered++
			r.Counts.TalkS += uint64(c.TalkS)
			r.Counts.MaxTalkS = max(r.Counts.MaxTalkS, uint64(c.TalkS))
			if c.Transferred {
				r.Counts.Transferred++
			}
			if c.Disposition {
				r.Counts.Dispositions++
				if c.Resolved {
					r.Counts.ResolvedFirstContact++
				}
			}
		}
	}
	for _, rg := range b.rings {
		if !inRange(rg.t) {
			continue
		}
		r := row(rg.queue, rg.t)
		if rg.canceled {
			r.Counts.RingCanceled++
		} else {
			r.Counts.RingNoAnswer++
			r.Counts.RingNoAnswerMs += rg.ms
		}
	}
	var out []AgentRow
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(x, y AgentRow) int {
		return cmp.Or(strings.Compare(x.Queue, y.Queue), x.Keys.Bucket.Compare(y.Keys.Bucket))
	})
	return out
}
