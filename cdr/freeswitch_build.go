package cdr

import (
	"cmp"
	"slices"
	"time"
)

// BuildFreeSWITCHCalls turns the events of FreeSWITCH CDRs (SourceFreeSWITCH,
// the verbs at FSVerbJoin) into queue calls by METRICS.md. It is the builder
// BuildCalls uses for that source.
//
// Events with the same ID count once; the rest are grouped by (Switch,
// CallID, Queue) and ordered by time, CCJOIN before CCANSWER before CCEND
// within one second.
//
// Stays. One CDR is one leg at hang-up and tells one stay, its last: a
// stay is identified by its join time, cc_queue_joined_epoch, which no
// later post of the same CDR changes. A CDR posted again (mod_json_cdr
// retries from its error folder; a CDR regenerated) is the same events
// where nothing changed, and events of their own where a variable did
// (the caller's number, the hang-up cause, the bill, an end): they are
// versions of the same stay. So in each group:
//   - CCJOIN opens a stay at its time (EnterTime), unless the newest stay
//     was opened by a CCJOIN of the same second: that is the same stay.
//     A stay still open when a later one opens is left to go stale (the
//     caller demonstrably left it).
//   - CCANSWER and CCEND belong to the newest stay; before any stay they
//     open one at their time (the joining not seen).
//
// Versions. Of a stay's CCENDs one decides, by these rules in turn, none of
// which depends on the order of arrival: the one stored last (the newest
// IngestedAt), then the later end, then the higher ID. A stay with an end
// is decided, so a version without one (still waiting, or unknown once
// stale) never wins over it:
//   - data1 answered: Answered; AnswerTime, Agent and WaitS = answer −
//     enter from the CCANSWER of the same version where it can be told (the
//     same agent, stored with the CCEND), else by the rules above, else the
//     end itself; TalkS = end − answer; Transferred when data2 is
//     FSTransferred.
//   - data1 cancel: by cc_cancel_reason in data2: BREAK_OUT Abandoned,
//     TIMEOUT and NO_AGENT_TIMEOUT Timeout, EXIT_WITH_KEY ExitKey, anything
//     else (NONE: the caller's leg went down while an agent was being
//     connected) ExitOther; WaitS = end − enter. An answer of another
//     version does not count.
//
// EndVerb is "answered" or the cancel reason. A stay with a CCANSWER and no
// CCEND is Answered and open; one with neither is Waiting until stale, then
// Unknown, as in BuildCalls. The caller is that of the CCJOIN stored last
// (then the higher ID); LastEventTime is the newest event of any version.
//
// Events of other verbs (CDR) are ignored. The result is sorted by (Switch,
// CallID, Queue, Seq) and does not depend on the order or repeats of events.
func BuildFreeSWITCHCalls(events []Event, opt BuildOptions) []QueueCall {
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = DefaultStaleAfter
	}
	type fev struct {
		e    *Event
		id   uint64
		rank int
	}
	evs := make([]fev, 0, len(events))
	for i := range events {
		e := &events[i]
		rank := slices.Index([]string{FSVerbJoin, FSVerbAnswer, FSVerbEnd}, e.Verb)
		if rank < 0 || e.CallID == "" || e.Queue == "" {
			continue
		}
		id := e.ID
		if id == 0 {
			id = EventID(e)
		}
		evs = append(evs, fev{e, id, rank})
	}
	slices.SortFunc(evs, func(a, b fev) int {
		return cmp.Or(cmp.Compare(a.e.Switch, b.e.Switch), cmp.Compare(a.e.CallID, b.e.CallID),
			cmp.Compare(a.e.Queue, b.e.Queue), a.e.Time.Compare(b.e.Time), cmp.Compare(a.rank, b.rank), cmp.Compare(a.id, b.id))
	})
	evs = slices.CompactFunc(evs, func(a, b fev) bool { return a.id == b.id })

	var out []QueueCall
	var stays []bstay
	var facts []fsFacts // the events of stays[i]
	flush := func() {
		for i := range stays {
			fsDecide(&stays[i], &facts[i])
		}
		for i := range stays {
			if !stays[i].ended {
				buildClose(&stays[i], buildStale(stays, i, opt))
			}
			out = append(out, stays[i].c)
		}
		stays, facts = stays[:0], facts[:0]
	}
	for i, fe := range evs {
		e := fe.e
		if i > 0 {
			p := evs[i-1].e
			if p.Switch != e.Switch || p.CallID != e.CallID || p.Queue != e.Queue {
				flush()
			}
		}
		n := len(stays)
		sameJoin := n > 0 && len(facts[n-1].joins) > 0 && stays[n-1].c.EnterTime.Equal(e.Time)
		if n == 0 || (e.Verb == FSVerbJoin && !sameJoin) {
			stays = append(stays, bstay{c: QueueCall{
				Switch: e.Switch, CallID: e.CallID, Queue: e.Queue, Seq: uint16(n),
				EnterTime: e.Time, LastEventTime: e.Time,
			}})
			facts = append(facts, fsFacts{})
		}
		s, f := &stays[len(stays)-1], &facts[len(facts)-1]
		if e.Time.After(s.c.LastEventTime) {
			s.c.LastEventTime = e.Time
		}
		switch e.Verb {
		case FSVerbJoin:
			f.joins = append(f.joins, e)
		case FSVerbAnswer:
			f.answers = append(f.answers, e)
		case FSVerbEnd:
			f.ends = append(f.ends, e)
		}
	}
	flush()
	return out
}

// fsFacts are the events of one stay, of every version of its CDR.
type fsFacts struct {
	joins, answers, ends []*Event
}

// fsNewer orders two versions of one fact: stored later, then later, then
// the higher ID wins (a positive result means a wins).
func fsNewer(a, b *Event) int {
	return cmp.Or(a.IngestedAt.Compare(b.IngestedAt), a.Time.Compare(b.Time), cmp.Compare(fsID(a), fsID(b)))
}

func fsID(e *Event) uint64 {
	if e.ID != 0 {
		return e.ID
	}
	return EventID(e)
}

// fsBest returns the winning version among evs (nil for none); pref, when
// not nil, ranks first the events it accepts.
func fsBest(evs []*Event, pref func(*Event) int) *Event {
	var best *Event
	for _, e := range evs {
		if best == nil {
			best = e
			continue
		}
		c := 0
		if pref != nil {
			c = cmp.Compare(pref(e), pref(best))
		}
		if c > 0 || (c == 0 && fsNewer(e, best) > 0) {
			best = e
		}
	}
	return best
}

// fsDecide fills in a stay from its winning versions (BuildFreeSWITCHCalls).
// A stay left open is closed by the caller.
func fsDecide(s *bstay, f *fsFacts) {
	if j := fsBest(f.joins, nil); j != nil {
		s.c.Caller = j.Data[1]
	}
	end := fsBest(f.ends, nil)
	if end == nil {
		if a := fsBest(f.answers, nil); a != nil {
			fsAnswer(s, a.Time, a.Agent)
		}
		return
	}
	s.ended = true
	s.c.EndTime = end.Time
	if end.Data[0] != "answered" {
		s.c.EndVerb = end.Data[1]
		s.c.Outcome = FSOutcome(end.Data[1])
		s.c.WaitS = buildDiff(end.Time, s.c.EnterTime)
		return
	}
	// The answer of the end's own version: the same agent, stored with it,
	// at or before it.
	var answers []*Event
	for _, a := range f.answers {
		if !a.Time.After(end.Time) {
			answers = append(answers, a)
		}
	}
	a := fsBest(answers, func(a *Event) int {
		n := 0
		if a.Agent == end.Agent {
			n += 2
		}
		if a.IngestedAt.Equal(end.IngestedAt) {
			n++
		}
		return n
	})
	if a != nil {
		fsAnswer(s, a.Time, a.Agent)
	} else {
		fsAnswer(s, end.Time, end.Agent)
	}
	s.c.TalkS = buildDiff(end.Time, s.c.AnswerTime)
	s.c.EndVerb = "answered"
	s.c.Transferred = end.Data[1] == FSTransferred
}

// fsAnswer makes the stay answered at at by agent.
func fsAnswer(s *bstay, at time.Time, agent string) {
	s.answered = true
	s.c.Outcome = Answered
	s.c.AnswerTime = at
	s.c.Agent = agent
	s.c.WaitS = buildDiff(at, s.c.EnterTime)
}

// FSOutcome maps mod_callcenter's cc_cancel_reason to an outcome
// (METRICS.md): BREAK_OUT is the caller hanging up while waiting.
func FSOutcome(reason string) Outcome {
	switch reason {
	case "BREAK_OUT":
		return Abandoned
	case "TIMEOUT", "NO_AGENT_TIMEOUT":
		return Timeout
	case "EXIT_WITH_KEY":
		return ExitKey
	}
	return ExitOther
}
