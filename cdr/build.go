package cdr

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// How BuildCalls turns queue_log events into queue calls (METRICS.md, "The
// unit: a queue call"; the verbs and their data fields are those of
// research/acd-anchors.md §2a, in the canonical order the decoders produce).
//
// Input. Events of any number of (Switch, CallID) groups, in any order, with
// any number of exact repeats. Events with the same ID are one fact and count
// once; the rest are ordered by Time, Micros, a rank for ties within one
// instant (ENTERQUEUE and the refusals below; then RINGNOANSWER, RINGCANCELED
// and every other verb that decides nothing; then CONNECT; then the ends),
// then ID. Where the file form and the DB form of one log mix within one
// second of one (Switch, CallID, Queue), the microseconds are ignored (the
// file form has none to compare with) and the ranks order them. So the
// result is the same whatever the order of the input, the mix of forms, and
// however often an event repeats. Events of no call (CallID "", NONE,
// REALTIME, MANAGER, CLI) or of no queue (Queue "" or NONE) are agent and
// system events and are ignored. All times of a QueueCall are the events'
// whole-second Time; Micros only orders events, so the file form and the DB
// form of one log give the same calls.
//
// Stays. A queue call is one stay of one call id in one queue. Per (Switch,
// CallID, Queue), in that order:
//   - ENTERQUEUE opens a stay; EnterTime is its time, Caller its data2.
//   - JOINEMPTY, JOINUNAVAIL, FULL, and Wazo's CLOSED, DIVERT_CA_RATIO and
//     DIVERT_HOLDTIME are written instead of joining: each is a stay of its
//     own, ExitOther, wait 0, ending at once.
//   - CONNECT or an end with no stay of this queue before it opens one, with
//     EnterTime = time − wait (− talk for COMPLETE* and transfers), the
//     switch's figures where it wrote them ("where the joining was not seen,
//     end − wait").
//   - After a stay has ended, a CONNECT or an end whose own figures put its
//     caller's joining at or after that end opens a new stay the same way:
//     the caller joined again and that ENTERQUEUE was lost (each stay is its
//     own queue call). Any other CONNECT or second end before the next
//     ENTERQUEUE belongs to the ended stay and changes nothing but its
//     LastEventTime: the first end is kept (e.g. COMPLETEAGENT after ABANDON
//     stays abandoned). So a late or repeated event never makes a second
//     stay. While a stay is open, a CONNECT or an end is its own, whatever
//     its figures say.
//   - Every other verb (RINGNOANSWER, RINGCANCELED, DID, INFO, unknown custom
//     verbs, AGENTDUMP before a CONNECT) belongs to the newest stay of its
//     queue and only moves its LastEventTime; before any stay it is ignored.
//
// Seq numbers the stays of one (Switch, CallID, Queue) from 0 in time order.
//
// Outcomes and figures. The switch's own figures win over timestamp
// differences (METRICS.md, wait_s), when they are whole numbers from 0 to
// 24 h for waits or 0 and up for talk; otherwise the difference of the
// timestamps, rounded down and never below 0, is used. A stay whose wait is
// below 0 or over 24 h (METRICS.md, Validation), as the switch wrote it in
// the field the stay's figures come from or as the timestamps give it, is
// kept with its reason in Invalid: it is refused and not counted, and its
// Seq stays taken so the stays after it keep theirs.
//   - CONNECT: Answered; AnswerTime its time, WaitS data1, Agent its agent.
//     A second CONNECT in the same stay is ignored.
//   - COMPLETECALLER, COMPLETEAGENT end an answered stay, TalkS data2. Seen
//     without a CONNECT they still make it Answered: WaitS data1, AnswerTime
//     end − talk.
//   - BLINDTRANSFER, TRANSFER (holdtime data3, calltime data4) and
//     ATTENDEDTRANSFER (BRIDGE|APP form as BLINDTRANSFER; LINK form holdtime
//     data4, calltime the first "|" part of data5) end an answered stay with
//     Transferred; TalkS is the calltime (METRICS.md, talk_s "or the transfer
//     onward").
//   - AGENTDUMP after a CONNECT ends the answered stay, TalkS end − answer.
//   - ABANDON: Abandoned, WaitS data3. EXITWITHTIMEOUT: Timeout, WaitS data3.
//     EXITWITHKEY: ExitKey, WaitS data4. EXITEMPTY, WITHDRAW: ExitOther, WaitS
//     data3. SYSCOMPAT, LEAVEEMPTY: ExitOther, WaitS end − enter.
//   - One of these leaving verbs after a CONNECT (Asterisk writes ABANDON with
//     the member name when the caller hangs up just as the member answers):
//     the answer was logged, so the stay stays Answered, ends at that event
//     (EndVerb is the verb) with TalkS 0.
//
// No end. A stay whose end was not seen is open until it goes stale: when
// opt.Now − LastEventTime > StaleAfter, or when a later stay of the same call
// id (in any queue) began at or after its LastEventTime (the caller has
// demonstrably left it; its end line was lost or never written, e.g. a timeout
// Asterisk did not log). An open stay has EndTime = LastEventTime and:
//   - if answered: Answered, TalkS = LastEventTime − AnswerTime, EndVerb ""
//     while open and "stale" once stale;
//   - else Waiting (not an outcome of METRICS.md, never offered) while open
//     and Unknown with EndVerb "stale" once stale; WaitS = LastEventTime −
//     EnterTime in both cases.
//
// A zero opt.Now makes nothing stale by time. Since calls are rebuilt from
// all their events, a late end simply replaces Unknown (METRICS.md).

// DefaultStaleAfter is how long a stay with no end waits before it is closed
// as Unknown (METRICS.md: default 4 h).
const DefaultStaleAfter = 4 * time.Hour

// BuildOptions steer the builder.
type BuildOptions struct {
	// Now is the reference for the stale timeout.
	Now time.Time
	// StaleAfter: 0 means DefaultStaleAfter.
	StaleAfter time.Duration
	// Sources builds the queue calls of events that are not queue_log
	// events, by their Source (for example SIP, whose correlation lives in
	// package sip, which cdr cannot import). Events of a source with no
	// builder here or in cdr's own table are ignored.
	Sources map[string]BuildFunc
}

// BuildFunc builds the queue calls of the events of one source.
type BuildFunc func(events []Event, opt BuildOptions) []QueueCall

// sourceBuilders are the builders cdr itself has for other sources.
var sourceBuilders = map[string]BuildFunc{
	SourceFreeSWITCH: BuildFreeSWITCHCalls,
	SourceCDR:        BuildCDRCalls,
}

// buildMaxWaitS is the longest wait a switch may report (METRICS.md,
// Validation: a wait over 24 h is rejected); a longer one is not trusted.
const buildMaxWaitS = 24 * 60 * 60

// StaleVerb is the EndVerb of a stay closed because no end was seen in time.
const StaleVerb = "stale"

// BuildCalls turns events into queue calls by the rules at the top of this
// file. The result is sorted by (Switch, CallID, Queue, Seq) and depends only
// on the set of distinct events (by ID) and opt, not on their order or
// repeats. Events with ID 0 get EventID. BuildCalls does not modify or retain
// events; it is safe for concurrent use.
func BuildCalls(events []Event, opt BuildOptions) []QueueCall {
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = DefaultStaleAfter
	}
	if rest, disps := buildSplitDispositions(events); disps != nil {
		out := BuildCalls(rest, opt)
		applyDispositions(out, disps)
		return out
	}
	if other := buildOtherSources(events, opt); other != nil {
		return other
	}
	evs := make([]bevent, 0, len(events))
	groups := make(map[bgroup]int32, len(events)/4+1)
	var names []bgroup
	for i := range events {
		e := &events[i]
		if !buildIsCallEvent(e) {
			continue
		}
		id := e.ID
		if id == 0 {
			id = EventID(e)
		}
		g := bgroup{e.Switch, e.CallID, e.Queue}
		n, ok := groups[g]
		if !ok {
			n = int32(len(names))
			groups[g] = n
			names = append(names, g)
		}
		evs = append(evs, bevent{
			e: e, unix: e.Time.Unix(), id: id, micros: e.Micros,
			rank: buildRank(e.Verb), grp: n,
		})
	}
	// Number the groups in (Switch, CallID, Queue) order, so that events
	// sort on inline keys alone.
	order := make([]int32, len(names))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return names[a].compare(names[b]) })
	pos := make([]int32, len(names))
	for p, g := range order {
		pos[g] = int32(p)
	}
	for i := range evs {
		evs[i].grp = pos[evs[i].grp]
	}
	slices.SortFunc(evs, buildCompare)
	buildMixedSeconds(evs)
	evs = buildDedupe(evs)

	if len(evs) == 0 {
		return nil
	}
	out := make([]QueueCall, 0, len(names))
	var stays []bstay // reused for each call id
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].e.Switch == evs[i].e.Switch && evs[j].e.CallID == evs[i].e.CallID {
			j++
		}
		out, stays = buildCallID(out, stays[:0], evs[i:j], opt)
		i = j
	}
	return out
}

// bgroup is the (Switch, CallID, Queue) whose stays are built together.
type bgroup struct{ sw, call, queue string }

func (g bgroup) compare(h bgroup) int {
	if c := strings.Compare(g.sw, h.sw); c != 0 {
		return c
	}
	if c := strings.Compare(g.call, h.call); c != 0 {
		return c
	}
	return strings.Compare(g.queue, h.queue)
}

// bevent is an event with its id and tie rank, as the builder sorts them.
type bevent struct {
	e      *Event
	unix   int64
	id     uint64
	micros uint32
	grp    int32 // the position of its bgroup in (Switch, CallID, Queue) order
	rank   uint8
}

// The tie ranks of events within one instant.
const (
	brankJoin    = iota // ENTERQUEUE and the refusals
	brankNoise          // verbs that decide nothing
	brankConnect        // CONNECT
	brankEnd            // every end
)

// bkind is what a verb does to a stay.
type bkind uint8

const (
	bkNoise     bkind = iota
	bkEnter           // ENTERQUEUE
	bkRefusal         // a join refused: its own stay, ExitOther
	bkConnect         // CONNECT
	bkComplete        // COMPLETECALLER, COMPLETEAGENT
	bkTransfer        // BLINDTRANSFER, TRANSFER, ATTENDEDTRANSFER
	bkAgentDump       // AGENTDUMP
	bkLeave           // the caller left unanswered: ABANDON, EXIT*, …
)

// buildVerbs maps the verbs that matter to their kind, outcome when leaving,
// and the data field (1-based, 0 for none) holding the switch's waittime.
var buildVerbs = map[string]struct {
	kind    bkind
	outcome Outcome
	waitF   int
}{
	"ENTERQUEUE":       {bkEnter, Waiting, 0},
	"JOINEMPTY":        {bkRefusal, ExitOther, 0},
	"JOINUNAVAIL":      {bkRefusal, ExitOther, 0},
	"FULL":             {bkRefusal, ExitOther, 0},
	"CLOSED":           {bkRefusal, ExitOther, 0},
	"DIVERT_CA_RATIO":  {bkRefusal, ExitOther, 0},
	"DIVERT_HOLDTIME":  {bkRefusal, ExitOther, 0},
	"CONNECT":          {bkConnect, Answered, 1},
	"COMPLETECALLER":   {bkComplete, Answered, 1},
	"COMPLETEAGENT":    {bkComplete, Answered, 1},
	"BLINDTRANSFER":    {bkTransfer, Answered, 3},
	"TRANSFER":         {bkTransfer, Answered, 3},
	"ATTENDEDTRANSFER": {bkTransfer, Answered, 3},
	"AGENTDUMP":        {bkAgentDump, Answered, 0},
	"ABANDON":          {bkLeave, Abandoned, 3},
	"EXITWITHTIMEOUT":  {bkLeave, Timeout, 3},
	"EXITWITHKEY":      {bkLeave, ExitKey, 4},
	"EXITEMPTY":        {bkLeave, ExitOther, 3},
	"WITHDRAW":         {bkLeave, ExitOther, 3},
	"SYSCOMPAT":        {bkLeave, ExitOther, 0},
	"LEAVEEMPTY":       {bkLeave, ExitOther, 0},
}

func buildRank(verb string) uint8 {
	switch buildVerbs[verb].kind {
	case bkEnter, bkRefusal:
		return brankJoin
	case bkConnect:
		return brankConnect
	case bkComplete, bkTransfer, bkAgentDump, bkLeave:
		return brankEnd
	}
	return brankNoise
}

func buildIsCallEvent(e *Event) bool {
	switch e.CallID {
	case "", "NONE", "REALTIME", "MANAGER", "CLI":
		return false
	}
	return e.Queue != "" && e.Queue != "NONE"
}

// buildCompare orders events by (Switch, CallID, Queue), Time, Micros, rank
// and ID. Repeats of one fact (same ID) share all but Micros (the file and DB
// forms of one line), so they fall within one run of equal group and second.
func buildCompare(a, b bevent) int {
	if c := cmp.Compare(a.grp, b.grp); c != 0 {
		return c
	}
	if c := cmp.Compare(a.unix, b.unix); c != 0 {
		return c
	}
	if c := cmp.Compare(a.micros, b.micros); c != 0 {
		return c
	}
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// buildMixedSeconds handles the file form and the DB form of one log mixed
// within one second of one (Switch, CallID, Queue): the file form has whole
// seconds (Micros 0), so the microseconds of the DB form cannot order events
// across the two forms (an ENTERQUEUE at .7 by one path would come after the
// ABANDON at .0 by the other). In such a run the microseconds are ignored
// and the verbs' tie ranks order the events, as they do in the file form
// alone. evs is sorted by buildCompare and stays so.
func buildMixedSeconds(evs []bevent) {
	for i := 0; i < len(evs); {
		j, file, db := i, false, false
		for ; j < len(evs) && evs[j].grp == evs[i].grp && evs[j].unix == evs[i].unix; j++ {
			switch evs[j].e.Source {
			case SourceQueueLog:
				file = true
			case SourceQueueLogDB:
				db = true
			}
		}
		if file && db {
			run := evs[i:j]
			for k := range run {
				run[k].micros = 0
			}
			slices.SortFunc(run, buildCompare)
		}
		i = j
	}
}

// buildDedupe drops repeats of an ID from sorted events, keeping the first
// (the smallest Micros). Repeats lie within one run of equal group and second.
func buildDedupe(evs []bevent) []bevent {
	out := evs[:0]
	runStart := 0
	var seen map[uint64]struct{}
	for i := range evs {
		if i > 0 && (evs[i].grp != evs[i-1].grp || evs[i].unix != evs[i-1].unix) {
			runStart = len(out)
			seen = nil
		}
		run := out[runStart:]
		dup := false
		if len(run) < 16 {
			for _, r := range run {
				if r.id == evs[i].id {
					dup = true
					break
				}
			}
		} else {
			if seen == nil {
				seen = make(map[uint64]struct{}, 2*len(run))
				for _, r := range run {
					seen[r.id] = struct{}{}
				}
			}
			_, dup = seen[evs[i].id]
			seen[evs[i].id] = struct{}{}
		}
		if !dup {
			out = append(out, evs[i])
		}
	}
	return out
}

// bstay is a stay being built.
type bstay struct {
	c        QueueCall
	ended    bool
	answered bool
}

// buildCallID builds the stays of one (Switch, CallID) from its sorted,
// deduplicated events and appends them to out in (Queue, Seq) order; stays is
// scratch space, returned for reuse.
func buildCallID(out []QueueCall, stays []bstay, evs []bevent, opt BuildOptions) ([]QueueCall, []bstay) {
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].grp == evs[i].grp {
			j++
		}
		stays = buildQueue(stays, evs[i:j])
		i = j
	}
	for i := range stays {
		s := &stays[i]
		if !s.ended {
			buildClose(s, buildStale(stays, i, opt))
		}
		if s.c.Invalid == "" && s.c.WaitS > buildMaxWaitS {
			s.c.Invalid = fmt.Sprintf("a wait of %d s from the timestamps is over 24 h", s.c.WaitS)
		}
		out = append(out, s.c)
	}
	return out, stays
}

// buildCheckWait marks s invalid when data field f (1-based; 0 for none) of
// e holds a wait below 0 or over 24 h (METRICS.md, Validation). The
// figures of the stay fall back to the timestamps; the reason is kept.
func buildCheckWait(s *bstay, e *Event, f int) {
	if f <= 0 || s.c.Invalid != "" {
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(e.Data[f-1]), 10, 64)
	switch {
	case err != nil:
	case n < 0:
		s.c.Invalid = fmt.Sprintf("%s data%d: the switch's wait of %d s is negative", e.Verb, f, n)
	case n > buildMaxWaitS:
		s.c.Invalid = fmt.Sprintf("%s data%d: the switch's wait of %d s is over 24 h", e.Verb, f, n)
	}
}

// buildHoldField is the data field (1-based) of the holdtime of a COMPLETE*
// or transfer event (buildAnsweredFields).
func buildHoldField(e *Event, kind bkind) int {
	switch {
	case kind == bkComplete:
		return 1
	case e.Verb == "ATTENDEDTRANSFER" && strings.TrimSpace(e.Data[0]) == "LINK":
		return 4
	}
	return 3
}

// buildStale says whether the open stay i has gone stale: by time, or because
// a later stay of the same call id began at or after its last event.
func buildStale(stays []bstay, i int, opt BuildOptions) bool {
	s := &stays[i].c
	if !opt.Now.IsZero() && opt.Now.Sub(s.LastEventTime) > opt.StaleAfter {
		return true
	}
	for j := range stays {
		t := &stays[j].c
		if j != i && t.EnterTime.After(s.EnterTime) && !t.EnterTime.Before(s.LastEventTime) {
			return true
		}
	}
	return false
}

// buildClose fills in a stay whose end was not seen.
func buildClose(s *bstay, stale bool) {
	c := &s.c
	c.EndTime = c.LastEventTime
	if s.answered {
		c.TalkS = buildDiff(c.LastEventTime, c.AnswerTime)
	} else {
		c.WaitS = buildDiff(c.LastEventTime, c.EnterTime)
		c.Outcome = Waiting
		if stale {
			c.Outcome = Unknown
		}
	}
	if stale {
		c.EndVerb = StaleVerb
	}
}

// buildQueue walks the sorted events of one (Switch, CallID, Queue) and
// appends its stays.
func buildQueue(stays []bstay, evs []bevent) []bstay {
	first := len(stays)
	cur := -1 // index in stays of the newest stay of this queue
	for i := range evs {
		if cur >= 0 && !stays[cur].ended && buildVerbs[evs[i].e.Verb].kind == bkEnter {
			buildEndFirst(evs[i:])
		}
		be := evs[i]
		e := be.e
		v := buildVerbs[e.Verb]
		switch v.kind {
		case bkEnter, bkRefusal:
			if len(stays)-first > math.MaxUint16 {
				break // no Seq left; treat as noise below
			}
			stays = append(stays, bstay{c: QueueCall{
				Switch:        e.Switch,
				CallID:        e.CallID,
				Queue:         e.Queue,
				Seq:           uint16(len(stays) - first),
				EnterTime:     e.Time,
				LastEventTime: e.Time,
			}})
			cur = len(stays) - 1
			s := &stays[cur]
			if v.kind == bkEnter {
				s.c.Caller = e.Data[1]
			} else {
				s.ended = true
				s.c.Outcome = v.outcome
				s.c.EndTime = e.Time
				s.c.EndVerb = e.Verb
			}
			continue
		case bkConnect, bkComplete, bkTransfer, bkLeave:
			enter, figures := buildImpliedEnter(e, v.kind, v.waitF)
			if (cur < 0 || buildJoinedAfter(&stays[cur], enter, figures)) && len(stays)-first <= math.MaxUint16 {
				stays = append(stays, bstay{c: QueueCall{
					Switch:        e.Switch,
					CallID:        e.CallID,
					Queue:         e.Queue,
					Seq:           uint16(len(stays) - first),
					EnterTime:     enter,
					LastEventTime: e.Time,
				}})
				cur = len(stays) - 1
			}
		}
		if cur < 0 {
			continue // noise before any stay of this queue
		}
		s := &stays[cur]
		if e.Time.After(s.c.LastEventTime) {
			s.c.LastEventTime = e.Time
		}
		if s.ended {
			continue // the first end is kept
		}
		switch v.kind {
		case bkConnect:
			if !s.answered {
				s.answered = true
				s.c.Outcome = Answered
				s.c.AnswerTime = e.Time
				s.c.Agent = buildAgent(e.Agent)
				s.c.WaitS = buildWait(e, 1, e.Time, s.c.EnterTime)
				buildCheckWait(s, e, 1)
			}
		case bkComplete, bkTransfer:
			hold, talk := buildAnsweredFields(e, v.kind)
			if !s.answered {
				buildCheckWait(s, e, buildHoldField(e, v.kind))
			}
			buildEndAnswered(s, e, hold, talk)
			s.c.Transferred = v.kind == bkTransfer
		case bkAgentDump:
			if s.answered {
				buildEndAnswered(s, e, "", "")
			}
		case bkLeave:
			if s.answered {
				buildEnd(s, e)
				s.c.TalkS = 0
				break
			}
			buildEnd(s, e)
			s.c.Outcome = v.outcome
			s.c.WaitS = buildWait(e, v.waitF, e.Time, s.c.EnterTime)
			buildCheckWait(s, e, v.waitF)
		}
	}
	return stays
}

// buildEndFirst handles a file-form tie: an agent transfers the caller back
// into the same queue, and the switch writes the transfer and the new
// ENTERQUEUE in the same second, which the tie rank would put the wrong way
// round. While a stay is open, an end in the same instant as the ENTERQUEUE
// at evs[0] belongs to the open stay, so it is moved in front of it.
func buildEndFirst(evs []bevent) {
	for j := 1; j < len(evs) && evs[j].unix == evs[0].unix && evs[j].micros == evs[0].micros; j++ {
		switch buildVerbs[evs[j].e.Verb].kind {
		case bkComplete, bkTransfer, bkLeave:
			end := evs[j]
			copy(evs[1:j+1], evs[:j])
			evs[0] = end
			return
		}
	}
}

// buildImpliedEnter is when the caller of a CONNECT or an end joined by the
// switch's own figures: the event's time less its wait (and talk, for
// COMPLETE* and transfers). figures is false when the event carries none, and
// enter is then the event's time.
func buildImpliedEnter(e *Event, kind bkind, waitF int) (enter time.Time, figures bool) {
	var back int64
	switch kind {
	case bkComplete, bkTransfer:
		hold, talk := buildAnsweredFields(e, kind)
		h, holdOK := buildSecs(hold, buildMaxWaitS)
		n, talkOK := buildSecs(talk, math.MaxUint32)
		back, figures = h+n, holdOK && talkOK
	default:
		if waitF > 0 {
			back, figures = buildSecs(e.Data[waitF-1], buildMaxWaitS)
		}
	}
	return e.Time.Add(-time.Duration(back) * time.Second), figures
}

// buildJoinedAfter says whether an answer or end whose own figures put its
// caller's joining at enter belongs to a new stay rather than to s: a stay
// whose ENTERQUEUE was lost (METRICS.md: where the joining was not seen,
// enter = end − wait; each stay is its own queue call). That is so when s has
// ended at or before enter: a late event of s would put its joining before
// s's end. Without the switch's figures nothing says so, and the event is
// s's. While s is open, an answer or end is s's, whatever its figures: they
// may disagree with the timestamps by more than a lost joining would.
func buildJoinedAfter(s *bstay, enter time.Time, figures bool) bool {
	return figures && s.ended && !enter.Before(s.c.EndTime)
}

// buildAnsweredFields returns the holdtime and calltime fields of a COMPLETE*
// or transfer event.
func buildAnsweredFields(e *Event, kind bkind) (hold, talk string) {
	if kind == bkComplete {
		return e.Data[0], e.Data[1]
	}
	if e.Verb == "ATTENDEDTRANSFER" && strings.TrimSpace(e.Data[0]) == "LINK" {
		talk, _, _ = strings.Cut(e.Data[4], "|")
		return e.Data[3], talk
	}
	return e.Data[2], e.Data[3]
}

// buildEndAnswered ends a stay at an event that means it was answered; hold
// and talk are the switch's fields ("" when it has none).
func buildEndAnswered(s *bstay, e *Event, hold, talk string) {
	buildEnd(s, e)
	n, talkOK := buildSecs(talk, math.MaxUint32)
	if !s.answered {
		s.answered = true
		s.c.Outcome = Answered
		s.c.Agent = buildAgent(e.Agent)
		w, holdOK := buildSecs(hold, buildMaxWaitS)
		switch {
		case talkOK:
			s.c.AnswerTime = e.Time.Add(-time.Duration(n) * time.Second)
		case holdOK:
			s.c.AnswerTime = s.c.EnterTime.Add(time.Duration(w) * time.Second)
		default:
			s.c.AnswerTime = e.Time
		}
		if holdOK {
			s.c.WaitS = uint32(w)
		} else {
			s.c.WaitS = buildDiff(s.c.AnswerTime, s.c.EnterTime)
		}
	}
	if s.c.Agent == "" {
		s.c.Agent = buildAgent(e.Agent)
	}
	if talkOK {
		s.c.TalkS = uint32(n)
	} else {
		s.c.TalkS = buildDiff(e.Time, s.c.AnswerTime)
	}
}

func buildEnd(s *bstay, e *Event) {
	s.ended = true
	s.c.EndTime = e.Time
	s.c.EndVerb = e.Verb
}

// buildWait is the switch's wait in data field f (1-based) where valid, else
// the seconds from enter to t.
func buildWait(e *Event, f int, t, enter time.Time) uint32 {
	if f > 0 {
		if n, ok := buildSecs(e.Data[f-1], buildMaxWaitS); ok {
			return uint32(n)
		}
	}
	return buildDiff(t, enter)
}

// buildSecs parses a field of whole seconds from 0 to max.
func buildSecs(s string, max int64) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > max {
		return 0, false
	}
	return n, true
}

// buildDiff is b to a in whole seconds, rounded down, clamped to uint32.
func buildDiff(a, b time.Time) uint32 {
	d := a.Sub(b)
	if d <= 0 {
		return 0
	}
	s := int64(d / time.Second)
	if s > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(s)
}

func buildAgent(a string) string {
	if a == "NONE" {
		return ""
	}
	return a
}

// buildOtherSources hands the events of sources other than queue_log to
// their builders and returns all queue calls, sorted; it returns nil when
// every event is a queue_log event, the common case, which BuildCalls then
// builds itself without copying.
func buildOtherSources(events []Event, opt BuildOptions) []QueueCall {
	bySource := map[string][]Event{}
	for i := range events {
		if s := events[i].Source; s != SourceQueueLog && s != SourceQueueLogDB {
			bySource[s] = append(bySource[s], events[i])
		}
	}
	if len(bySource) == 0 {
		return nil
	}
	var queueLog []Event
	for i := range events {
		if s := events[i].Source; s == SourceQueueLog || s == SourceQueueLogDB {
			queueLog = append(queueLog, events[i])
		}
	}
	out := BuildCalls(queueLog, opt)
	sources := make([]string, 0, len(bySource))
	for s := range bySource {
		sources = append(sources, s)
	}
	slices.Sort(sources)
	for _, s := range sources {
		build := opt.Sources[s]
		if build == nil {
			build = sourceBuilders[s]
		}
		if build != nil {
			out = append(out, build(bySource[s], opt)...)
		}
	}
	slices.SortStableFunc(out, func(a, b QueueCall) int {
		return cmp.Or(cmp.Compare(a.Switch, b.Switch), cmp.Compare(a.CallID, b.CallID), cmp.Compare(a.Queue, b.Queue), cmp.Compare(a.Seq, b.Seq))
	})
	return out
}
