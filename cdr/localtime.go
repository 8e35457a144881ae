package cdr

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Local wall-clock times in the repeated hour of a change back of the clock
// (in Europe the autumn change: 02:00 to 03:00 happens twice, first in summer
// time, then in winter time) mean two instants. Sources that write local
// times (the queue_log table export here) resolve the ambiguity per call, by
// the rule of docs/METRICS.md ("Local times in the repeated hour"):
//
//  1. the reading that keeps the call's events in the order the switch wrote
//     them and agrees with the waits the switch reports (an event whose
//     wait says its caller joined at the time of the stay's ENTERQUEUE);
//  2. where several readings fit equally, the one that agrees most with the
//     order of the input itself: an export in the order of the table's rows
//     is in time order, so a row whose first reading lies well before the
//     rows above it was written after the change;
//  3. failing that, the first reading (summer time).
//
// Since time goes forward within a call, only the readings where the call's
// ambiguous events are first, first, …, second, second are tried.

// localCandidates returns the instants that the wall-clock time of t (as
// time.ParseInLocation read it in loc) can mean: t alone, or, in a repeated
// hour, the first and the second occurrence.
func localCandidates(t time.Time, loc *time.Location) (first, second time.Time, ambiguous bool) {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	wall := time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
	var found []time.Time
	for _, probe := range []time.Time{t.Add(-12 * time.Hour), t, t.Add(12 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		u := wall.Add(-time.Duration(off) * time.Second)
		ly, lmo, ld := u.In(loc).Date()
		lh, lmi, ls := u.In(loc).Clock()
		if ly == y && lmo == mo && ld == d && lh == h && lmi == mi && ls == s && !slices.ContainsFunc(found, u.Equal) {
			found = append(found, u)
		}
	}
	if len(found) < 2 {
		return t, t, false
	}
	slices.SortFunc(found, func(a, b time.Time) int { return a.Compare(b) })
	return found[0], found[len(found)-1], true
}

// nearChange says whether a change of loc's offset lies within reach of t:
// events so near a repeated hour are kept to resolve its ambiguous ones.
func nearChange(t time.Time, loc *time.Location, reach time.Duration) bool {
	_, a := t.Add(-reach).In(loc).Zone()
	_, b := t.Add(reach).In(loc).Zone()
	return a != b
}

// foldReach is how far from a change of offset the events of a call are
// kept as context: the calls that span the repeated hour.
const foldReach = 3 * time.Hour

// foldEvent is an event of a call near a repeated hour: ambiguous (its two
// readings, and the reading the input's order prefers) or not.
type foldEvent struct {
	e             *Event
	first, second time.Time
	ambiguous     bool
	preferFirst   bool
}

// folder holds back the ambiguous events of one input until its end and
// then resolves them per call.
type folder struct {
	loc *time.Location
	// latest is the latest instant of the rows read so far.
	latest time.Time
	calls  map[string][]*foldEvent // by call id, in input order
	held   int                     // ambiguous events held back
}

func newFolder(loc *time.Location) *folder {
	return &folder{loc: loc, calls: map[string][]*foldEvent{}}
}

// add looks at a decoded event whose local time parsed as e.Time. It returns
// false when the event is ambiguous and held back (it comes out of resolve),
// true when it may be passed on now.
func (f *folder) add(e Event) (pass bool) {
	first, second, amb := localCandidates(e.Time.In(f.loc), f.loc)
	if !amb {
		if e.Time.After(f.latest) {
			f.latest = e.Time
		}
		if nearChange(e.Time, f.loc, foldReach) {
			ev := e
			f.calls[e.CallID] = append(f.calls[e.CallID], &foldEvent{e: &ev})
		}
		return true
	}
	// The input's own order: a first reading well before the rows above it
	// was written after the clock went back.
	slack := second.Sub(first) / 2
	fe := &foldEvent{e: &e, first: first, second: second, ambiguous: true,
		preferFirst: f.latest.IsZero() || !first.Before(f.latest.Add(-slack))}
	chosen := second
	if fe.preferFirst {
		chosen = first
	}
	if chosen.After(f.latest) {
		f.latest = chosen
	}
	f.calls[e.CallID] = append(f.calls[e.CallID], fe)
	f.held++
	return false
}

// resolve gives every held-back event its reading, with its id computed
// again, and passes it to emit in input order.
func (f *folder) resolve(emit func(Event)) {
	if f.held == 0 {
		return
	}
	ids := make([]string, 0, len(f.calls))
	for id := range f.calls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []Event
	for _, id := range ids {
		evs := f.calls[id]
		var amb []*foldEvent
		for _, fe := range evs {
			if fe.ambiguous {
				amb = append(amb, fe)
			}
		}
		if len(amb) == 0 {
			continue
		}
		best, bestCost, bestAgree := 0, -1, -1
		for k := len(amb); k >= 0; k-- { // k first readings, then second ones
			for i, fe := range amb {
				fe.e.Time = fe.second
				if i < k {
					fe.e.Time = fe.first
				}
			}
			cost := foldCost(evs)
			agree := 0
			for i, fe := range amb {
				if fe.preferFirst == (i < k) {
					agree++
				}
			}
			if bestCost < 0 || cost < bestCost || (cost == bestCost && agree > bestAgree) {
				best, bestCost, bestAgree = k, cost, agree
			}
		}
		for i, fe := range amb {
			fe.e.Time = fe.second
			if i < best {
				fe.e.Time = fe.first
			}
			fe.e.ID = EventID(fe.e)
			out = append(out, *fe.e)
		}
	}
	slices.SortFunc(out, func(a, b Event) int { return a.Line - b.Line })
	for _, e := range out {
		emit(e)
	}
}

// foldCost counts what a reading of a call's events gets wrong: an event
// earlier than the one the switch wrote before it, and an event whose wait
// disagrees with the time of its stay's ENTERQUEUE by more than 2 s.
func foldCost(evs []*foldEvent) int {
	cost := 0
	enter := map[string]time.Time{} // the queue's latest ENTERQUEUE so far
	for i, fe := range evs {
		e := fe.e
		if i > 0 && e.Time.Before(evs[i-1].e.Time.Add(-time.Second)) {
			cost++
		}
		if e.Verb == "ENTERQUEUE" {
			enter[e.Queue] = e.Time
			continue
		}
		in, ok := enter[e.Queue]
		if !ok {
			continue
		}
		for _, tf := range qlVerbs[e.Verb] {
			if tf.what != "wait" {
				continue
			}
			w, err := strconv.ParseInt(strings.TrimSpace(e.Data[tf.idx]), 10, 64)
			if err != nil || w < 0 || w > maxSeconds {
				continue
			}
			if d := e.Time.Add(-time.Duration(w) * time.Second).Sub(in); d > 2*time.Second || d < -2*time.Second {
				cost++
			}
		}
	}
	return cost
}

// resolveRecord resolves the local times of one record, a whole stay or call
// (its enter, answer and end, say; a zero time where one is absent): every
// combination of the readings of its ambiguous local times is tried and the
// one cost rates lowest wins; where costs tie, the one with the earlier
// readings (summer time). local says which of ts were read as local
// wall-clock times in loc; the others are instants already.
func resolveRecord(ts []time.Time, local []bool, loc *time.Location, cost func([]time.Time) int) []time.Time {
	type pair struct{ first, second time.Time }
	var amb []int
	reads := make([]pair, len(ts))
	for i, t := range ts {
		if t.IsZero() || !local[i] {
			continue
		}
		if f, s, ok := localCandidates(t.In(loc), loc); ok {
			reads[i] = pair{f, s}
			amb = append(amb, i)
		}
	}
	if len(amb) == 0 {
		return ts
	}
	out := slices.Clone(ts)
	try := slices.Clone(ts)
	best := -1
	// Bit j of mask set: the second reading of amb[j]. Counting up tries
	// the earlier readings first, so a tie keeps them.
	for mask := 0; mask < 1<<len(amb); mask++ {
		for j, i := range amb {
			try[i] = reads[i].first
			if mask&(1<<j) != 0 {
				try[i] = reads[i].second
			}
		}
		if c := cost(try); best < 0 || c < best {
			best = c
			copy(out, try)
		}
	}
	return out
}

// recordCost rates a reading of a record's times: one for each time before
// the one it follows (ts in their natural order, zero ones skipped), and one
// for each span that disagrees by more than 2 s with the seconds the record
// states (spans[k] = {from, to, seconds}; a negative seconds is unknown).
func recordCost(ts []time.Time, spans [][3]int64) int {
	cost := 0
	var prev time.Time
	for _, t := range ts {
		if t.IsZero() {
			continue
		}
		if !prev.IsZero() && t.Before(prev) {
			cost++
		}
		prev = t
	}
	for _, sp := range spans {
		from, to, want := ts[sp[0]], ts[sp[1]], sp[2]
		if want < 0 || from.IsZero() || to.IsZero() {
			continue
		}
		if d := int64(to.Sub(from)/time.Second) - want; d > 2 || d < -2 {
			cost++
		}
	}
	return cost
}
