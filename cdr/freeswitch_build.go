package cdr

import (
	"cmp"
	"slices"
)

// BuildFreeSWITCHCalls turns the events of FreeSWITCH CDRs (SourceFreeSWITCH,
// the verbs at FSVerbJoin) into queue calls by METRICS.md. It is the builder
// BuildCalls uses for that source.
//
// Events with the same ID count once; the rest are grouped by (Switch,
// CallID, Queue) and ordered by time, CCJOIN before CCANSWER before CCEND
// within one second. In each group:
//   - CCJOIN opens a stay: EnterTime its time, Caller its data2. A CCJOIN
//     while a stay is open leaves that stay to go stale (the caller
//     demonstrably left it).
//   - CCANSWER answers the open stay (or opens one at its time, the joining
//     not seen): AnswerTime, Agent, WaitS = answer − enter.
//   - CCEND ends the open stay (or opens one at its time): data1 answered →
//     Answered, TalkS = end − answer; data1 cancel → by cc_cancel_reason in
//     data2: BREAK_OUT Abandoned, TIMEOUT and NO_AGENT_TIMEOUT Timeout,
//     EXIT_WITH_KEY ExitKey, anything else (NONE: the caller's leg went down
//     while an agent was being connected) ExitOther; WaitS = end − enter.
//     EndVerb is "answered" or the cancel reason. A second CCEND changes
//     nothing but LastEventTime.
//   - Stays with no end are Waiting until stale, then Unknown, as in
//     BuildCalls.
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
	flush := func() {
		for i := range stays {
			if !stays[i].ended {
				buildClose(&stays[i], buildStale(stays, i, opt))
			}
			out = append(out, stays[i].c)
		}
		stays = stays[:0]
	}
	for i, fe := range evs {
		e := fe.e
		if i > 0 {
			p := evs[i-1].e
			if p.Switch != e.Switch || p.CallID != e.CallID || p.Queue != e.Queue {
				flush()
			}
		}
		open := func() *bstay {
			stays = append(stays, bstay{c: QueueCall{
				Switch: e.Switch, CallID: e.CallID, Queue: e.Queue, Seq: uint16(len(stays)),
				EnterTime: e.Time, LastEventTime: e.Time,
			}})
			return &stays[len(stays)-1]
		}
		var s *bstay
		if n := len(stays); n > 0 && !stays[n-1].ended && fe.rank != 0 {
			s = &stays[n-1]
		}
		switch e.Verb {
		case FSVerbJoin:
			s = open()
			s.c.Caller = e.Data[1]
			continue
		case FSVerbAnswer:
			if s == nil {
				if n := len(stays); n > 0 {
					// The stay has ended: a repeat, or a late answer.
					fsTouch(&stays[n-1], e)
					continue
				}
				s = open()
			}
			fsTouch(s, e)
			if !s.answered {
				s.answered = true
				s.c.Outcome = Answered
				s.c.AnswerTime = e.Time
				s.c.Agent = e.Agent
				s.c.WaitS = buildDiff(e.Time, s.c.EnterTime)
			}
		case FSVerbEnd:
			if s == nil {
				if n := len(stays); n > 0 {
					fsTouch(&stays[n-1], e)
					continue
				}
				s = open()
			}
			fsTouch(s, e)
			s.ended = true
			s.c.EndTime = e.Time
			if e.Data[0] == "answered" {
				if !s.answered {
					s.answered = true
					s.c.Outcome = Answered
					s.c.AnswerTime = e.Time
					s.c.Agent = e.Agent
					s.c.WaitS = buildDiff(e.Time, s.c.EnterTime)
				}
				s.c.TalkS = buildDiff(e.Time, s.c.AnswerTime)
				s.c.EndVerb = "answered"
				continue
			}
			s.c.EndVerb = e.Data[1]
			if s.answered {
				// An answer was seen; the stay stays answered.
				s.c.TalkS = buildDiff(e.Time, s.c.AnswerTime)
				continue
			}
			s.c.Outcome = FSOutcome(e.Data[1])
			s.c.WaitS = buildDiff(e.Time, s.c.EnterTime)
		}
	}
	flush()
	return out
}

func fsTouch(s *bstay, e *Event) {
	if e.Time.After(s.c.LastEventTime) {
		s.c.LastEventTime = e.Time
	}
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
