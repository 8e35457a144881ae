package cdr

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// FunnelEntry is one entry of the IVR funnel: the common number(s) callers
// dial, which route through a menu to the desks (the queues).
type FunnelEntry struct {
	Name     string // the key in the queue file, e.g. "main"
	Title    string // for people; default Name
	Numbers  []string
	Location *time.Location // the zone of the local period keys
	// Queues are the desks the menu routes to; empty: any queue.
	Queues []string
}

// The outcomes of a funnel call.
const (
	FunnelQueue = "queue" // reached one of the entry's queues
	FunnelMenu  = "menu"  // hung up in the menu
	FunnelOther = "other" // left the menu for something else
)

// FunnelCall is one call to an entry number and what became of it. One
// call (switch, call id) counts under the first entry whose number it
// dialled.
type FunnelCall struct {
	Switch, CallID, Entry string
	Start                 time.Time  // the earliest event of the call
	Keys                  PeriodKeys // of Start in the entry's zone
	Outcome               string     // FunnelQueue, FunnelMenu or FunnelOther
	Queue                 string     // the first of the entry's queues reached, with FunnelQueue
}

// FunnelStay is a queue stay of a call, as stored (queue_calls_current).
type FunnelStay struct {
	Switch, CallID, Queue string
	EnterTime             time.Time
}

// funnelSources are the sources whose events can name an entry number.
var funnelSources = []string{SourceAsteriskCDR, SourceFreeSWITCH, SourceCDR}

// FunnelNumber returns the number an event says its call dialled, or "":
//
//	asterisk_cdr  CDR        data1 (dst)
//	freeswitch    CDR        data1 (destination_number)
//	freeswitch    CCJOIN     data3 (destination_number of the caller's leg)
//	cdr           CDR        data1 (entry_number)
//	cdr           QUEUECALL  data3 (entry_number)
func FunnelNumber(e *Event) string {
	if !slices.Contains(funnelSources, e.Source) {
		return ""
	}
	switch e.Verb {
	case FSVerbCDR:
		return e.Data[0]
	case FSVerbJoin, CDRVerbCall:
		return e.Data[2]
	}
	return ""
}

// Funnel classifies the calls of events that dialled an entry number. events
// are all events of some calls (any source, in any order); stays are the
// current queue stays of the same calls. A call is one (switch, call id):
// Asterisk CDRs carry the linkedid, which the legs of one call share,
// FreeSWITCH the caller leg's uuid, the generic CDR its call_id; queue_log
// and SIP stays of the same call id count as the call reaching their queue.
//
// A funnel call is FunnelQueue when it has a stay, or an event naming a
// queue (an Asterisk CDR leg whose lastapp is Queue, a FreeSWITCH CCJOIN, a
// generic QUEUECALL row), in one of the entry's queues (any queue when the
// entry lists none); Queue is the earliest such. Otherwise it is
// FunnelOther when the call reached another queue or was bridged to someone
// (a CDR event with an agent: Asterisk's dstchannel on an ANSWERED leg,
// FreeSWITCH's bridge_uuid or cc_agent, the generic CDR's agent), and
// FunnelMenu otherwise: a CDR is written when its leg ends, so a call known
// only from CDRs that never reached a desk hung up in the menu. The result
// is ordered by switch and call id.
func Funnel(events []Event, stays []FunnelStay, entries []FunnelEntry) []FunnelCall {
	if len(entries) == 0 {
		return nil
	}
	byNumber := map[string]int{}
	for i := len(entries) - 1; i >= 0; i-- {
		for _, n := range entries[i].Numbers {
			byNumber[n] = i
		}
	}
	type reach struct {
		queue string
		at    time.Time
	}
	type call struct {
		entry   int
		start   time.Time
		reached []reach
		bridged bool
	}
	calls := map[[2]string]*call{}
	get := func(sw, id string) *call {
		k := [2]string{sw, id}
		c := calls[k]
		if c == nil {
			c = &call{entry: -1}
			calls[k] = c
		}
		return c
	}
	for i := range events {
		e := &events[i]
		c := get(e.Switch, e.CallID)
		if c.start.IsZero() || e.Time.Before(c.start) {
			c.start = e.Time
		}
		if n := FunnelNumber(e); n != "" {
			if idx, ok := byNumber[n]; ok && (c.entry < 0 || idx < c.entry) {
				c.entry = idx
			}
		}
		switch {
		case e.Queue != "" && slices.Contains(funnelSources, e.Source):
			c.reached = append(c.reached, reach{e.Queue, e.Time})
		case e.Verb == FSVerbCDR && funnelBridged(e):
			c.bridged = true
		}
	}
	for _, s := range stays {
		c := calls[[2]string{s.Switch, s.CallID}]
		if c != nil {
			c.reached = append(c.reached, reach{s.Queue, s.EnterTime})
		}
	}
	var out []FunnelCall
	for k, c := range calls {
		if c.entry < 0 {
			continue
		}
		ent := &entries[c.entry]
		loc := ent.Location
		if loc == nil {
			loc = time.UTC
		}
		fc := FunnelCall{Switch: k[0], CallID: k[1], Entry: ent.Name, Start: c.start, Keys: Keys(c.start, loc), Outcome: FunnelMenu}
		slices.SortStableFunc(c.reached, func(a, b reach) int { return a.at.Compare(b.at) })
		for _, r := range c.reached {
			if len(ent.Queues) == 0 || slices.Contains(ent.Queues, r.queue) {
				fc.Outcome, fc.Queue = FunnelQueue, r.queue
				break
			}
		}
		if fc.Outcome == FunnelMenu && (c.bridged || len(c.reached) > 0) {
			fc.Outcome = FunnelOther
		}
		out = append(out, fc)
	}
	slices.SortFunc(out, func(a, b FunnelCall) int {
		if c := strings.Compare(a.Switch, b.Switch); c != 0 {
			return c
		}
		return strings.Compare(a.CallID, b.CallID)
	})
	return out
}

// funnelBridged says a plain CDR leg was connected to someone: Asterisk's
// dstchannel on an ANSWERED leg, FreeSWITCH's cc_agent or bridge_uuid, the
// generic CDR's agent with talk time.
func funnelBridged(e *Event) bool {
	switch e.Source {
	case SourceAsteriskCDR:
		return e.Agent != "" && strings.EqualFold(e.Data[3], "ANSWERED")
	case SourceFreeSWITCH:
		return e.Agent != "" || e.Data[4] != ""
	case SourceCDR:
		n, err := strconv.Atoi(e.Data[2])
		return e.Agent != "" && (err != nil || n > 0)
	}
	return false
}
