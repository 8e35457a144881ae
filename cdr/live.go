package cdr

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// The live state of the queues (METRICS.md, "The live state"): who waits
// and who is free now, and today's figures so far, for the wallboard and
// GET /v1/live. Live is fed the events as they are stored (by any node) or
// acknowledged (by this one), in any order and with repeats, and answers
// State for any instant; it keeps the events of the last Lookback only.
//
// Calls are the queue calls of BuildCalls, so a call on the wall is the
// call of the reports: a stay that is Waiting (not stale at now) waits; an
// Answered stay with no end seen (EndVerb "", not stale) is on a call with
// its agent; today's figures are those of Rollup over the stays that
// joined today in the queue's zone (all hours, and in its opening hours),
// with stays that went stale counted as unknown, as the build job will.
//
// Agents are replayed from their queue_log lines by the session and pause
// rules of the agent figures (METRICS.md, "Sessions", "Pauses"): logged in
// while a login or a membership is open and began within AgentStaleAfter;
// paused while a pause is in force, with the reason of the pause that began
// first. Ringing is known only from a source that reports a ring while it
// rings: queue_log writes RINGNOANSWER and RINGCANCELED after the ring,
// so with queue_log alone no agent is ever ringing.
//
// Memory and work follow what is live, not the day's volume (a carrier's
// day of SIP does not fit): every call is built on its own, again only
// when it got events, and Prune seals the calls that are settled. A call
// of any source (queue_log, FreeSWITCH, CDR, and SIP, whose correlation
// groups are its (switch, call id) keys) is settled when none of its stays
// is open (waiting, or answered with no end seen, and not stale at now),
// its newest event is older than liveSettle and it got no event since the
// previous Prune. A sealed call keeps its built stays, which is all State
// needs of it (today's figures of the sealed stays are counted once and
// kept, liveSealedToday), and lets go of its events and of their ids in
// seen. An event for a sealed call reopens it: the call keeps its sealed
// stays, which State still shows, and gathers the events it gets, and
// Reopened lists it with the span of all the events it had. The follower
// (aggregate.LiveFollower) reads the events of a touched call within the
// span of its new events only, so it reads the reopened calls' whole
// spans as well, in the same poll, and hands them to AddReopened: the call
// is open again, built from all its events, well within a second, and
// until then its sealed stays stay on the state (the new event shows from
// that read on). MaxEvents is a last resort beyond that: the oldest open
// calls' events go, and the state says from when its figures are whole
// (LiveState.WholeSince).

// DefaultLiveLookback is how far back the live state reads events at start
// and keeps them: a local day (25 h on the day summer time ends) for
// today's figures, plus an hour, which also covers the agents' default
// stale timeout (an agent logged in for longer is logged out by it).
const DefaultLiveLookback = 26 * time.Hour

// LiveOptions steer Live; zero fields take the defaults.
type LiveOptions struct {
	// Lookback is how long events are kept (DefaultLiveLookback); the
	// caller reads this far back at start. It is raised to
	// AgentStaleAfter + 1 h where that is longer, so an open session is
	// never lost before it goes stale.
	Lookback time.Duration
	// StaleAfter is the stale timeout of calls (DefaultStaleAfter).
	StaleAfter time.Duration
	// AgentStaleAfter is that of agent sessions (DefaultAgentStaleAfter).
	AgentStaleAfter time.Duration
	// Sources are the builders of other sources (BuildOptions.Sources).
	Sources map[string]BuildFunc
	// Pseudonym, where set, turns an agent id into its pseudonym
	// (ACDSTAT_AGENT_FIGURES=pseudonymous): the state shows the pseudonym
	// as id, and as display where the map gives no display name.
	Pseudonym func(id string) string
	// NoAgents leaves the agents out (ACDSTAT_AGENT_FIGURES=off): the
	// state has queues, waiting calls and today's figures only.
	NoAgents bool
	// MaxEvents is the most events of open (not sealed) calls kept
	// (ACDSTAT_LIVE_MAX_EVENTS; 0: no cap). Beyond it Prune lets the
	// events of the open calls with the oldest newest event go, settled
	// or not, and the state's figures are whole from WholeSince only. The
	// agents' lines are not counted: the cap cannot free them, and
	// counting them would drop every open call, waiting callers included,
	// once they alone passed it.
	MaxEvents int

	// keepAll turns sealing off: the tests' reference of what the state
	// must answer.
	keepAll bool
}

func (o LiveOptions) withDefaults() LiveOptions {
	if o.Lookback <= 0 {
		o.Lookback = DefaultLiveLookback
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	if o.AgentStaleAfter <= 0 {
		o.AgentStaleAfter = DefaultAgentStaleAfter
	}
	if o.Lookback < o.AgentStaleAfter+time.Hour {
		o.Lookback = o.AgentStaleAfter + time.Hour
	}
	return o
}

// Live is the live state machine. It is safe for concurrent use.
type Live struct {
	opt LiveOptions

	mu sync.Mutex
	// seen holds the id and time of every event kept, so a repeat (the
	// overlap of two reads, this node's own events read back) is ignored.
	seen map[uint64]time.Time
	// calls holds the events of each call and their stays, built again
	// only when the call got an event (dirty): queue_log, FreeSWITCH and
	// CDR files by (switch, call id), the sources of LiveOptions.Sources
	// (SIP) by (switch, call id, source), which is how SIP correlates its
	// legs (sip.BuildCalls: the agent legs carry the caller's call id).
	calls map[liveKey]*liveCall
	// agents holds the session and pause lines of each name (not the ring
	// lines, which the replay does not read); restarts the QUEUESTART
	// times of each switch.
	agents   map[AgentName][]Event
	restarts map[string][]time.Time
	changes  uint64
	// passes counts the Prunes: a call is sealed only once a whole pass
	// went by without an event for it.
	passes uint64
	// wholeSince is from when the kept events are whole (MaxEvents); zero
	// while none went early.
	wholeSince time.Time
	// changed is closed (and replaced) when Add takes a new event or the
	// state is marked loaded.
	changed chan struct{}
	loaded  bool
	// today is State's scratch space.
	today []QueueCall
	// sealedToday is today's figures of the sealed calls' stays.
	sealedToday liveSealedToday
	// reopened holds the sealed calls that got an event again and wait
	// for the read of all their events (Reopened, AddReopened).
	reopened map[liveKey]bool
}

// liveSealedToday is today's figures of the sealed calls' stays, by queue:
// State adds them instead of counting those stays again at every state (a
// day of a large desk is tens of thousands of them, and the rollup is
// most of a state's cost). The calls sealed since it was made are added
// to it (pending); it is made again when a sealed call is opened again,
// for other settings, and when the local day of a queue with sealed stays
// turns. A sealed call that Prune forgets changes nothing: its newest
// event is older than the lookback, longer than a day, so none of its
// stays joined today. Prune adds pending to the figures (or drops it
// while they are not made), so what it holds does not depend on State
// being asked (serve with no wallboard open).
type liveSealedToday struct {
	ok       bool
	pending  []*liveCall
	settings *Settings
	version  string
	// days is the local day each queue with a sealed stay was counted on;
	// locs the zone of each queue by settings.
	days           map[string][3]int
	locs           map[string]*time.Location
	today, inHours map[string]*Counts
}

// liveKey is a call: src is "" for the sources cdr builds, the source's
// name for those of LiveOptions.Sources.
type liveKey struct{ sw, call, src string }

type liveCall struct {
	evs   []Event
	stays []QueueCall
	dirty bool
	// sealed: the call is settled; evs are let go and stays are kept.
	// A sealed call that got an event again (Live.reopened) stays sealed,
	// with its sealed stays, and gathers the events it gets in evs until
	// AddReopened brings all its events.
	sealed bool
	// first and last are the times of the oldest and the newest event
	// (the span Reopened asks for); pass the Prune pass it last got an
	// event in.
	first, last time.Time
	pass        uint64
}

// liveSettle is how old a call's newest event must be before Prune seals
// it. A call's events come again after they came first: the follower reads
// back every call touched since its last read, up to its overlap (5 s)
// before it, every ACDSTAT_LIVE_EVERY (250 ms), after the writer's linger
// (up to a second) and its INSERT: about 6.5 s in all. 20 s is three
// times that, so the repeats of a call's events find it open, and short
// enough that a carrier's SIP does not pile up (what is kept is about
// this long of its events); an event later than that reopens the call and
// the follower's read of its whole span makes it whole (Reopened). Prune
// also waits a whole pass (10 s in serve) after the call's last event
// arrived, for events that come long after their time (a CDR file read
// late).
const liveSettle = 20 * time.Second

// NewLive returns an empty live state.
func NewLive(opt LiveOptions) *Live {
	return &Live{
		opt: opt.withDefaults(), seen: map[uint64]time.Time{}, calls: map[liveKey]*liveCall{},
		agents: map[AgentName][]Event{}, restarts: map[string][]time.Time{},
		changed: make(chan struct{}), reopened: map[liveKey]bool{},
	}
}

// Lookback is how far back the caller reads events at start.
func (l *Live) Lookback() time.Duration { return l.opt.Lookback }

// Add takes events into the state and says how many were new (not seen
// before by id). Events with ID 0 get EventID. Add copies what it keeps.
func (l *Live) Add(evs []Event) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range evs {
		if l.take(e, nil) {
			n++
		}
	}
	l.changed1(n)
	return n
}

// changed1 counts n changes of the state (new events) and wakes the
// waiters on Changed if there are any.
func (l *Live) changed1(n int) {
	l.changes += uint64(n)
	if n > 0 {
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

// take keeps e unless seen holds its id, and says whether it did. whole
// holds, for the reopened calls whose whole events AddReopened brings,
// the ids their evs hold: an event of one of them joins its call unless
// the call holds it, whether seen holds its id or not (seal keeps in seen
// the ids of the agent lines, which the agents keep, and a call may hold
// one).
func (l *Live) take(e Event, whole map[liveKey]map[uint64]bool) bool {
	if e.ID == 0 {
		e.ID = EventID(&e)
	}
	k, call := liveCallKey(&e)
	if ids := whole[k]; call && ids != nil {
		if !ids[e.ID] {
			ids[e.ID] = true
			c := l.calls[k]
			c.evs = append(c.evs, e)
			c.first, c.last = minTime(c.first, e.Time), maxTime(c.last, e.Time)
		}
		call = false // joined its call above
	}
	if _, ok := l.seen[e.ID]; ok {
		return false
	}
	l.seen[e.ID] = e.Time
	switch {
	case e.Verb == VerbQueueStart && (e.Source == SourceQueueLog || e.Source == SourceQueueLogDB):
		l.restarts[e.Switch] = append(l.restarts[e.Switch], e.Time)
	case IsAgentEvent(&e) && liveAgentLine(&e):
		a := AgentName{e.Switch, e.Agent}
		l.agents[a] = append(l.agents[a], e)
	}
	if call {
		l.addCall(e, k)
	}
	return true
}

// liveCallKey says whether e is an event of a call the state builds, and
// of which (liveKey).
func liveCallKey(e *Event) (liveKey, bool) {
	switch {
	case e.Verb == VerbQueueStart && (e.Source == SourceQueueLog || e.Source == SourceQueueLogDB):
		return liveKey{}, false
	case IsAgentEvent(e): // a ring line of a call is the call's too (its last event)
		return liveKey{e.Switch, e.CallID, ""}, buildIsCallEvent(e)
	case e.Verb == VerbDisposition:
		return liveKey{}, false
	case IsContactOrCase(e): // not calls: the case job counts them (cases.go)
		return liveKey{}, false
	case e.Source != SourceQueueLog && e.Source != SourceQueueLogDB && sourceBuilders[e.Source] == nil:
		return liveKey{e.Switch, e.CallID, e.Source}, true
	case sourceBuilders[e.Source] != nil || buildIsCallEvent(e):
		return liveKey{e.Switch, e.CallID, ""}, true
	}
	return liveKey{}, false
}

// Reopened returns the sealed calls that got an event again and wait for
// all their events, each with the span of every event it had (sealed and
// new): the follower reads their events in that span (CallEvents with
// window 0) and hands them to AddReopened. A call is listed until then,
// so a failed read is tried again at the next poll.
func (l *Live) Reopened() []CallRef {
	l.mu.Lock()
	defer l.mu.Unlock()
	refs := make([]CallRef, 0, len(l.reopened))
	for k := range l.reopened {
		c := l.calls[k]
		refs = append(refs, CallRef{Switch: k.sw, CallID: k.call, MinTime: c.first, MaxTime: c.last})
	}
	return refs
}

// AddReopened takes the events of the calls of refs as read from the
// store for Reopened (all their events) and says how many were new, as
// Add. The reopened calls of refs are open again, built from all their
// events; their sealed stays leave today's sealed figures.
func (l *Live) AddReopened(refs []CallRef, evs []Event) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	want := make(map[[2]string]bool, len(refs))
	for _, r := range refs {
		want[[2]string{r.Switch, r.CallID}] = true
	}
	whole := map[liveKey]map[uint64]bool{}
	for k := range l.reopened {
		if !want[[2]string{k.sw, k.call}] {
			continue
		}
		ids := make(map[uint64]bool, len(l.calls[k].evs))
		for i := range l.calls[k].evs {
			ids[l.calls[k].evs[i].ID] = true
		}
		whole[k] = ids
	}
	n := 0
	for _, e := range evs {
		if l.take(e, whole) {
			n++
		}
	}
	for k := range whole {
		c := l.calls[k]
		c.sealed, c.stays, c.dirty, c.pass = false, nil, true, l.passes
		delete(l.reopened, k)
		l.sealedToday.ok = false
	}
	if n == 0 && len(whole) > 0 {
		// The events were all seen, but the calls show them only now:
		// the state changed.
		l.changed1(1)
		return 0
	}
	l.changed1(n)
	return n
}

// MarkLoaded says the events of the lookback are in (the caller read
// them at start): until then the state is not whole, and a wallboard
// should keep what it shows.
func (l *Live) MarkLoaded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		l.loaded = true
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

// Loaded says whether MarkLoaded was called.
func (l *Live) Loaded() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loaded
}

// Changed returns a channel that is closed when Add next takes a new
// event: a server pushing the state waits on it, then asks for the
// channel again.
func (l *Live) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// liveAgentLine says whether the agent line e is one the replay reads:
// ring lines are not (they are kept with their call).
func liveAgentLine(e *Event) bool {
	return e.Verb != VerbRingNoAnswer && e.Verb != VerbRingCanceled
}

// addCall keeps e with the events of its call k. A sealed call is
// reopened (Reopened): it keeps its sealed stays and gathers e until
// AddReopened brings all its events, since a call built from e alone would
// lose the stays its sealed events made.
func (l *Live) addCall(e Event, k liveKey) {
	c := l.calls[k]
	if c == nil {
		c = &liveCall{first: e.Time}
		l.calls[k] = c
	}
	if c.sealed {
		l.reopened[k] = true
	} else {
		c.dirty = true
	}
	c.evs = append(c.evs, e)
	c.first, c.last = minTime(c.first, e.Time), maxTime(c.last, e.Time)
	c.pass = l.passes
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Changes counts the new events taken since the start: the state is the
// same as long as it is the same (and the clock does not matter).
func (l *Live) Changes() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changes
}

// Prune forgets the events older than now − Lookback (a call with an
// event that old goes as a whole once its newest event is that old), seals
// the calls that are settled at now (see Live), adds the calls it sealed
// to today's sealed figures and, beyond MaxEvents, lets the oldest open
// calls' events go. The caller calls it as the clock goes (the
// follower: every 10 s); State is asked for instants after it.
func (l *Live) Prune(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.passes++
	cut := now.Add(-l.opt.Lookback)
	for id, t := range l.seen {
		if t.Before(cut) {
			delete(l.seen, id)
		}
	}
	opt := l.buildOptions()
	open := 0 // the events of open calls: what cap can let go
	for k, c := range l.calls {
		switch {
		case c.last.Before(cut):
			delete(l.calls, k)
			delete(l.reopened, k)
			continue
		case !l.opt.keepAll && !c.sealed && c.pass+1 < l.passes && now.Sub(c.last) > liveSettle:
			l.seal(c, now, opt)
		}
		if !c.sealed {
			open += len(c.evs)
		}
	}
	was := l.wholeSince
	if l.wholeSince.Before(cut) {
		l.wholeSince = time.Time{}
	}
	l.foldSealed(now)
	if l.opt.MaxEvents > 0 && open > l.opt.MaxEvents {
		l.cap(open)
	}
	if !l.wholeSince.Equal(was) { // the state changed: its figures did
		l.changes++
		close(l.changed)
		l.changed = make(chan struct{})
	}
	for k, evs := range l.agents {
		if evs = slices.DeleteFunc(evs, func(e Event) bool { return e.Time.Before(cut) }); len(evs) == 0 {
			delete(l.agents, k)
		} else {
			l.agents[k] = evs
		}
	}
	for sw, ts := range l.restarts {
		l.restarts[sw] = slices.DeleteFunc(ts, func(t time.Time) bool { return t.Before(cut) })
	}
}

// seal lets go of the events of c when c is settled at now: its stays
// are built, and none is open (waiting, or answered with no end seen,
// and not stale at now). The ids of its events leave seen, but those of
// agent lines, which the agents keep.
func (l *Live) seal(c *liveCall, now time.Time, opt BuildOptions) {
	if c.dirty {
		c.stays, c.dirty = BuildCalls(c.evs, opt), false
	}
	for i := range c.stays {
		s := &c.stays[i]
		open := s.Outcome == Waiting || (s.Outcome == Answered && s.EndVerb == "")
		if s.Invalid == "" && open && now.Sub(s.LastEventTime) <= l.opt.StaleAfter {
			return
		}
	}
	for i := range c.evs {
		if e := &c.evs[i]; !IsAgentEvent(e) || !liveAgentLine(e) {
			delete(l.seen, e.ID)
		}
	}
	c.evs, c.sealed, c.stays = nil, true, slices.Clip(c.stays)
	if l.sealedToday.ok { // else the next State counts every sealed call
		l.sealedToday.pending = append(l.sealedToday.pending, c)
	}
}

// foldSealed adds the calls sealed since the figures were made (pending)
// to today's sealed figures at now with their settings, or lets them go
// while the figures are not made (State makes them from every sealed
// call), so pending holds one pass's calls at most. Its rules are those
// of sealedFigures, whose check of the local day at State's now comes
// after: a day that turned makes them again there.
func (l *Live) foldSealed(now time.Time) {
	st := &l.sealedToday
	if st.ok {
		st.fold(st.pending, now)
	}
	clear(st.pending)
	st.pending = st.pending[:0]
}

// sealedFigures returns today's figures of the sealed stays at now with
// settings, counting them again where they are not current. Its rules of
// "today" are State's.
func (l *Live) sealedFigures(now time.Time, settings *Settings) *liveSealedToday {
	st := &l.sealedToday
	version := ""
	if settings != nil {
		version = settings.Version
	}
	if st.ok && st.settings == settings && st.version == version {
		for name, day := range st.days {
			if localDay(now, st.loc(name)) != day {
				st.ok = false
				break
			}
		}
	} else {
		st.ok = false
	}
	calls := st.pending
	if !st.ok {
		clear(st.pending)
		*st = liveSealedToday{ok: true, settings: settings, version: version, days: map[string][3]int{},
			today: map[string]*Counts{}, inHours: map[string]*Counts{}, locs: map[string]*time.Location{}}
		calls = make([]*liveCall, 0, len(l.calls))
		for _, c := range l.calls {
			calls = append(calls, c)
		}
	}
	st.fold(calls, now)
	clear(st.pending)
	st.pending = st.pending[:0]
	return st
}

// loc is the zone of queue name by the figures' settings.
func (st *liveSealedToday) loc(name string) *time.Location {
	z, ok := st.locs[name]
	if !ok {
		if z = st.settings.Queue(name).Location; z == nil {
			z = time.UTC
		}
		st.locs[name] = z
	}
	return z
}

// fold adds the stays of the sealed calls of calls that joined on the
// local day of now in their queue's zone (the day the figures count for
// the queue, once it has one) to the figures.
func (st *liveSealedToday) fold(calls []*liveCall, now time.Time) {
	var stays []QueueCall
	for _, c := range calls {
		if !c.sealed {
			continue
		}
		for i := range c.stays {
			c := &c.stays[i]
			if c.Invalid != "" {
				continue
			}
			day, ok := st.days[c.Queue]
			if !ok {
				day = localDay(now, st.loc(c.Queue))
				st.days[c.Queue] = day
			}
			if localDay(c.EnterTime, st.loc(c.Queue)) == day && !c.EnterTime.After(now) {
				stays = append(stays, *c)
				if c.Outcome == Waiting { // stale when sealed: the build job will count it unknown
					stays[len(stays)-1].Outcome, stays[len(stays)-1].EndVerb = Unknown, StaleVerb
				}
			}
		}
	}
	add := func(m map[string]*Counts, r *RollupRow) {
		if m[r.Queue] == nil {
			m[r.Queue] = &Counts{}
		}
		m[r.Queue].Add(&r.Counts)
	}
	for _, r := range Rollup(stays, st.settings, nil) {
		add(st.today, &r)
		if r.InHours {
			add(st.inHours, &r)
		}
	}
}

// cap lets the events of the open calls with the oldest newest event go
// until at most MaxEvents events of open calls (kept, as Prune counted
// them) are kept: those calls go as a whole, and the figures are whole
// only from after the newest event that went. It counts what it can
// free: sealed calls keep no events (a reopened one, those of a poll) and
// stay, and the agents' lines, restarts, dispositions and contacts are
// not calls'.
func (l *Live) cap(kept int) {
	type old struct {
		k    liveKey
		last time.Time
		n    int
	}
	var open []old
	for k, c := range l.calls {
		if !c.sealed {
			open = append(open, old{k, c.last, len(c.evs)})
		}
	}
	slices.SortFunc(open, func(a, b old) int { return a.last.Compare(b.last) })
	for _, o := range open {
		if kept <= l.opt.MaxEvents {
			break
		}
		c := l.calls[o.k]
		for i := range c.evs {
			if e := &c.evs[i]; !IsAgentEvent(e) || !liveAgentLine(e) {
				delete(l.seen, e.ID)
			}
		}
		delete(l.calls, o.k)
		kept -= o.n
		if t := o.last.Add(time.Second); t.After(l.wholeSince) {
			l.wholeSince = t
		}
	}
}

// Kept is the number of events the state holds (of calls and agents):
// what its memory follows.
func (l *Live) Kept() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.calls {
		n += len(c.evs)
	}
	for _, evs := range l.agents {
		n += len(evs)
	}
	return n
}

func (l *Live) buildOptions() BuildOptions {
	return BuildOptions{StaleAfter: l.opt.StaleAfter, Sources: l.opt.Sources} // Now zero: staleness is judged at State
}

// LiveState is the state at one instant.
type LiveState struct {
	Now time.Time
	// WholeSince is zero while the state holds every event of its
	// lookback; after MaxEvents let old events go, it is the time from
	// which it does: a stay that joined earlier may be missing from the
	// figures.
	WholeSince time.Time
	// Queues are every queue with a call or an agent in the kept events,
	// and every queue of the settings, by name.
	Queues []LiveQueue
	// Agents are the agents logged in or on a call, by display name.
	Agents []LiveAgent
}

// LiveQueue is one queue now, over all switches.
type LiveQueue struct {
	Settings QueueSettings
	// Waiting are the callers waiting now, longest waiting first.
	Waiting []LiveCall
	Agents  LiveAgentCounts
	// Today and TodayInHours are the counts of the stays that joined
	// since local midnight in the queue's zone (all, and in its opening
	// hours); calls still waiting are not yet offered.
	Today, TodayInHours Counts
}

// LongestWaitS is the wait of the caller waiting longest now, in whole
// seconds; 0 when nobody waits.
func (q *LiveQueue) LongestWaitS(now time.Time) int64 {
	if len(q.Waiting) == 0 {
		return 0
	}
	return q.Waiting[0].WaitS(now)
}

// LiveCall is one caller waiting.
type LiveCall struct {
	Switch    string
	EnterTime time.Time
}

// WaitS is how long the caller has waited at now, whole seconds.
func (c LiveCall) WaitS(now time.Time) int64 {
	return max(int64(now.Sub(c.EnterTime)/time.Second), 0)
}

// LiveAgentCounts count a queue's agents by state: an agent counts in
// every queue it is a member of or on a call of. Available, OnCall and
// Paused are disjoint and make up LoggedIn, but for agents on a call
// outside every session (static members), who count as OnCall only.
type LiveAgentCounts struct {
	LoggedIn, Available, Ringing, OnCall, Paused int
}

// Agent states, as LiveAgent.State gives them.
const (
	AgentAvailable = "available"
	AgentRinging   = "ringing"
	AgentOnCall    = "on_call"
	AgentPaused    = "paused"
)

// LiveAgent is one agent now.
type LiveAgent struct {
	ID, Display string
	// State is AgentOnCall while on a queue call (paused or not), else
	// AgentPaused or AgentAvailable.
	State string
	// LoggedIn is false for an agent on a call outside every session.
	LoggedIn bool
	// Paused and PauseReason: a pause in force (also while on a call).
	Paused      bool
	PauseReason string
	// Since is when the state began: the answer of the call, the pause;
	// for a free agent the latest of the login, the end of its last call
	// and the end of its last pause.
	Since time.Time
	// Queues are the queues the agent is a member of or on a call of,
	// sorted; "" is not listed (a login of no queue, AGENTLOGIN).
	Queues []string
}

// State returns the state at now with settings (nil: the defaults). It
// rebuilds only the calls that got events since the last call.
func (l *Live) State(now time.Time, settings *Settings) LiveState {
	l.mu.Lock()
	defer l.mu.Unlock()
	opt := l.buildOptions()
	queues := map[string]*LiveQueue{}
	queue := func(name string) *LiveQueue {
		q := queues[name]
		if q == nil {
			q = &LiveQueue{Settings: settings.Queue(name)}
			if q.Settings.Location == nil {
				q.Settings.Location = time.UTC
			}
			queues[name] = q
		}
		return q
	}
	if settings != nil {
		for name := range settings.Queues {
			queue(name)
		}
	}
	// today is scratch space kept between calls: a busy day holds tens
	// of thousands of stays, and growing it afresh on every state cost
	// more than the rest (BenchmarkLiveState).
	today := l.today[:0]
	onCall := map[AgentName]QueueCall{}  // the newest open answered stay of each name
	lastEnd := map[AgentName]time.Time{} // the end of each name's last call
	sealed := l.sealedFigures(now, settings)
	for _, c := range l.calls {
		if c.dirty {
			c.stays, c.dirty = BuildCalls(c.evs, opt), false
		}
		counted := c.sealed // in sealed
		for i := range c.stays {
			c := &c.stays[i]
			if c.Invalid != "" {
				continue
			}
			q := queue(c.Queue)
			stale := now.Sub(c.LastEventTime) > l.opt.StaleAfter
			switch {
			case c.Outcome == Waiting && !stale:
				q.Waiting = append(q.Waiting, LiveCall{Switch: c.Switch, EnterTime: c.EnterTime})
				continue // not offered yet
			case c.Outcome == Answered && c.EndVerb == "" && !stale && c.Agent != "":
				k := AgentName{c.Switch, c.Agent}
				if o, ok := onCall[k]; !ok || c.AnswerTime.After(o.AnswerTime) {
					onCall[k] = *c
				}
			case c.Outcome == Answered && c.Agent != "" && !c.EndTime.After(now):
				k := AgentName{c.Switch, c.Agent}
				if c.EndTime.After(lastEnd[k]) {
					lastEnd[k] = c.EndTime
				}
			}
			if !counted && localDay(c.EnterTime, q.Settings.Location) == localDay(now, q.Settings.Location) && !c.EnterTime.After(now) {
				today = append(today, *c)
				if c.Outcome == Waiting { // stale: the build job will count it unknown
					today[len(today)-1].Outcome, today[len(today)-1].EndVerb = Unknown, StaleVerb
				}
			}
		}
	}
	l.today = today
	for name, c := range sealed.today {
		queue(name).Today.Add(c)
	}
	for name, c := range sealed.inHours {
		queue(name).TodayInHours.Add(c)
	}
	for _, r := range Rollup(today, settings, nil) {
		q := queue(r.Queue)
		q.Today.Add(&r.Counts)
		if r.InHours {
			q.TodayInHours.Add(&r.Counts)
		}
	}

	var agents []LiveAgent
	if !l.opt.NoAgents {
		agents = l.agentStates(now, settings, onCall, lastEnd)
		for _, a := range agents {
			for _, name := range a.Queues {
				c := &queue(name).Agents
				if a.LoggedIn {
					c.LoggedIn++
				}
				switch a.State {
				case AgentOnCall:
					c.OnCall++
				case AgentPaused:
					c.Paused++
				case AgentRinging:
					c.Ringing++
				default:
					c.Available++
				}
			}
		}
	}
	st := LiveState{Now: now, WholeSince: l.wholeSince, Agents: agents}
	for _, q := range queues {
		slices.SortFunc(q.Waiting, func(a, b LiveCall) int {
			return cmp.Or(a.EnterTime.Compare(b.EnterTime), cmp.Compare(a.Switch, b.Switch))
		})
		st.Queues = append(st.Queues, *q)
	}
	slices.SortFunc(st.Queues, func(a, b LiveQueue) int { return cmp.Compare(a.Settings.Name, b.Settings.Name) })
	return st
}

// localDay is the local date of t in loc, as a comparable value.
func localDay(t time.Time, loc *time.Location) [3]int {
	y, m, d := t.In(loc).Date()
	return [3]int{y, int(m), d}
}

// liveName is the state of one name of an agent on one switch.
type liveName struct {
	login      time.Time            // an open AGENTLOGIN; zero when none
	members    map[string]time.Time // open memberships by queue
	pauses     map[string]livePause // pauses in force by queue; "" is PAUSEALL
	loggedInAt time.Time            // the earliest open session's start
	unpausedAt time.Time            // when the last pause in force was lifted
}

type livePause struct {
	since  time.Time
	reason string
}

// agentStates replays the lines of every name and joins the names into
// agents (Settings.Agent). onCall holds the open answered stay of each
// name, lastEnd the end of its last call: an agent is free since the
// latest of its login, its last call's end and its last pause's end.
func (l *Live) agentStates(now time.Time, settings *Settings, onCall map[AgentName]QueueCall, lastEnd map[AgentName]time.Time) []LiveAgent {
	type agent struct {
		def                 AgentDef
		inSession, paused   int // names in a session; of them paused
		pause               livePause
		freeSince           time.Time
		call                *QueueCall
		queues              map[string]bool
		loggedIn, anyPaused bool
	}
	byID := map[string]*agent{}
	get := func(n AgentName) *agent {
		def := settings.Agent(n.Switch, n.Name)
		a := byID[def.ID]
		if a == nil {
			a = &agent{def: def, queues: map[string]bool{}}
			byID[def.ID] = a
		}
		return a
	}
	cut := now.Add(-l.opt.AgentStaleAfter)
	for n, evs := range l.agents {
		s := l.replay(n.Switch, evs, now)
		open := false
		if !s.login.IsZero() && !s.login.Before(cut) {
			open = true
		}
		for q, t := range s.members {
			if t.Before(cut) {
				delete(s.members, q)
			}
		}
		open = open || len(s.members) > 0
		if !open {
			continue
		}
		a := get(n)
		a.loggedIn = true
		a.inSession++
		for q := range s.members {
			a.queues[q] = true
		}
		for _, t := range []time.Time{s.loggedInAt, s.unpausedAt, lastEnd[n]} {
			if t.After(a.freeSince) {
				a.freeSince = t
			}
		}
		if len(s.pauses) > 0 {
			a.paused++
			p := firstPause(s.pauses)
			if !a.anyPaused || p.since.Before(a.pause.since) || (p.since.Equal(a.pause.since) && p.reason < a.pause.reason) {
				a.pause = p
			}
			a.anyPaused = true
		}
	}
	for n, c := range onCall {
		a := get(n)
		a.queues[c.Queue] = true
		if a.call == nil || c.AnswerTime.After(a.call.AnswerTime) {
			a.call = &c
		}
	}
	out := make([]LiveAgent, 0, len(byID))
	for _, a := range byID {
		la := LiveAgent{ID: a.def.ID, Display: a.def.Display, LoggedIn: a.loggedIn}
		if l.opt.Pseudonym != nil {
			la.ID = l.opt.Pseudonym(a.def.ID)
			if !a.def.Mapped {
				la.Display = la.ID
			}
		}
		// Paused while at least one name is paused and every name in a
		// session is (METRICS.md, "Pauses").
		la.Paused = a.anyPaused && a.paused == a.inSession
		if la.Paused {
			la.PauseReason = a.pause.reason
		}
		switch {
		case a.call != nil:
			la.State, la.Since = AgentOnCall, a.call.AnswerTime
		case la.Paused:
			la.State, la.Since = AgentPaused, a.pause.since
		default:
			la.State, la.Since = AgentAvailable, a.freeSince
		}
		for q := range a.queues {
			la.Queues = append(la.Queues, q)
		}
		slices.Sort(la.Queues)
		out = append(out, la)
	}
	slices.SortFunc(out, func(a, b LiveAgent) int { return cmp.Or(cmp.Compare(a.Display, b.Display), cmp.Compare(a.ID, b.ID)) })
	return out
}

// firstPause is the pause that began first (of two of one second, the
// smaller reason).
func firstPause(ps map[string]livePause) livePause {
	var out livePause
	first := true
	for _, p := range ps {
		if first || p.since.Before(out.since) || (p.since.Equal(out.since) && p.reason < out.reason) {
			out, first = p, false
		}
	}
	return out
}

// replay runs the lines of one name of switch sw up to now, with the
// restarts of its switch, by the rules of METRICS.md ("Sessions",
// "Pauses"); lines of one second go in the order of agentVerbs.
func (l *Live) replay(sw string, evs []Event, now time.Time) liveName {
	type line struct {
		e       *Event
		restart bool
	}
	lines := make([]line, 0, len(evs)+len(l.restarts[sw]))
	for i := range evs {
		if !evs[i].Time.After(now) {
			lines = append(lines, line{e: &evs[i]})
		}
	}
	for _, t := range l.restarts[sw] {
		if !t.After(now) {
			lines = append(lines, line{e: &Event{Time: t, Verb: VerbQueueStart}, restart: true})
		}
	}
	slices.SortFunc(lines, func(a, b line) int {
		return cmp.Or(cmp.Compare(a.e.Time.Unix(), b.e.Time.Unix()), cmp.Compare(agentVerbs[a.e.Verb], agentVerbs[b.e.Verb]),
			cmp.Compare(a.e.Micros, b.e.Micros), cmp.Compare(a.e.ID, b.e.ID))
	})
	s := liveName{members: map[string]time.Time{}, pauses: map[string]livePause{}}
	queueOf := func(e *Event) string {
		if e.Queue == "NONE" {
			return ""
		}
		return e.Queue
	}
	for _, ln := range lines {
		e := ln.e
		switch e.Verb {
		case VerbQueueStart:
			s.login = time.Time{}
			clear(s.members)
			clear(s.pauses)
		case VerbAgentLogin, VerbAgentCallbackLogin:
			s.login = e.Time
			clear(s.pauses)
		case VerbAgentLogoff, VerbAgentCallbackLogoff:
			s.login = time.Time{}
			clear(s.pauses)
		case VerbAddMember:
			s.members[queueOf(e)] = e.Time
			if e.Data[0] == "PAUSED" {
				s.pauses[queueOf(e)] = livePause{since: e.Time}
			}
		case VerbRemoveMember:
			delete(s.members, queueOf(e))
			delete(s.pauses, queueOf(e))
		case VerbPause:
			if _, ok := s.pauses[queueOf(e)]; !ok {
				s.pauses[queueOf(e)] = livePause{since: e.Time, reason: e.Data[0]}
			}
		case VerbPauseAll:
			if _, ok := s.pauses[""]; !ok {
				s.pauses[""] = livePause{since: e.Time, reason: e.Data[0]}
			}
		case VerbUnpause:
			n := len(s.pauses)
			delete(s.pauses, queueOf(e))
			delete(s.pauses, "")
			if n > 0 && len(s.pauses) == 0 {
				s.unpausedAt = e.Time
			}
		case VerbUnpauseAll:
			if len(s.pauses) > 0 {
				s.unpausedAt = e.Time
			}
			clear(s.pauses)
		}
	}
	for _, t := range s.members {
		if s.loggedInAt.IsZero() || t.Before(s.loggedInAt) {
			s.loggedInAt = t
		}
	}
	if !s.login.IsZero() && (s.loggedInAt.IsZero() || s.login.Before(s.loggedInAt)) {
		s.loggedInAt = s.login
	}
	return s
}
