package aggregate

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

var t0 = time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)

func TestWindowsCoverEveryIngestTime(t *testing.T) {
	margin, stale := 2*time.Minute, 4*time.Hour
	mark := t0
	upto := t0.Add(5 * time.Second)
	fresh, revisit := Windows(mark, upto, margin, stale)
	if got, want := fresh.From, mark.Add(-margin); !got.Equal(want) {
		t.Errorf("fresh.From = %v; want %v", got, want)
	}
	if !fresh.To.Equal(upto) {
		t.Errorf("fresh.To = %v; want %v", fresh.To, upto)
	}
	if got, want := revisit.To, upto.Add(-stale); !got.Equal(want) {
		t.Errorf("revisit.To = %v; want %v", got, want)
	}
	// Consecutive runs leave no gap: the next run's windows start at or
	// before this run's ends.
	nextFresh, nextRevisit := Windows(upto, upto.Add(5*time.Second), margin, stale)
	if nextFresh.From.After(fresh.To) || nextRevisit.From.After(revisit.To) {
		t.Errorf("gap between runs: fresh %v..%v then %v; revisit %v..%v then %v",
			fresh.From, fresh.To, nextFresh.From, revisit.From, revisit.To, nextRevisit.From)
	}
}

func TestWindowsFirstRunReadsAllHistoryOnce(t *testing.T) {
	fresh, revisit := Windows(time.Time{}, t0, time.Minute, time.Hour)
	if !fresh.From.Before(time.Unix(1, 0)) {
		t.Errorf("fresh.From = %v; want the beginning of time", fresh.From)
	}
	if !revisit.Empty() {
		t.Errorf("revisit = %v; want empty on the first run", revisit)
	}
}

func TestMergeRefsWidensSpans(t *testing.T) {
	got := MergeRefs([]cdr.CallRef{
		{Switch: "b", CallID: "1", MinTime: t0, MaxTime: t0},
		{Switch: "a", CallID: "1", MinTime: t0, MaxTime: t0.Add(time.Hour)},
		{Switch: "b", CallID: "1", MinTime: t0.Add(-time.Hour), MaxTime: t0.Add(time.Minute)},
	})
	want := []cdr.CallRef{
		{Switch: "a", CallID: "1", MinTime: t0, MaxTime: t0.Add(time.Hour)},
		{Switch: "b", CallID: "1", MinTime: t0.Add(-time.Hour), MaxTime: t0.Add(time.Minute)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ref %d: got %v; want %v", i, got[i], want[i])
		}
	}
}

func ev(sec int, callID, queue, agent, verb string, ingested time.Time, data ...string) cdr.Event {
	e := cdr.Event{Switch: "default", Source: cdr.SourceQueueLog, Time: t0.Add(time.Duration(sec) * time.Second),
		CallID: callID, Queue: queue, Agent: agent, Verb: verb, IngestedAt: ingested}
	copy(e.Data[:], data)
	e.ID = cdr.EventID(&e)
	return e
}

func TestPlanWritesOnlyWhatChanged(t *testing.T) {
	in := t0.Add(time.Hour)
	events := []cdr.Event{
		ev(0, "c1", "servicedesk", "NONE", "ENTERQUEUE", in, "", "4512345678", "1"),
		ev(30, "c1", "servicedesk", "PJSIP/2101", "CONNECT", in, "30", "c1.2", "3"),
		ev(90, "c1", "servicedesk", "PJSIP/2101", "COMPLETECALLER", in, "30", "60", "1"),
	}
	opt := cdr.BuildOptions{Now: t0.Add(2 * time.Hour)}
	first, _ := Plan(events, nil, opt, 0, seenAll)
	if len(first) != 1 || first[0].Outcome != cdr.Answered || first[0].Deleted {
		t.Fatalf("first plan = %+v; want one answered call", first)
	}
	stored := map[cdr.Key]cdr.StoredStay{first[0].Key(): {Version: first[0].Version, EnterTime: first[0].EnterTime}}
	if again, _ := Plan(events, stored, opt, 0, seenAll); len(again) != 0 {
		t.Errorf("plan over unchanged events = %+v; want nothing to write", again)
	}
	// The same events repeated (a resent batch) change nothing either.
	if again, _ := Plan(append(events, events...), stored, opt, 0, seenAll); len(again) != 0 {
		t.Errorf("plan over repeated events = %+v; want nothing to write", again)
	}
	// A late event raises the version so the rebuilt row wins.
	late := append(events, ev(10, "c1", "servicedesk", "PJSIP/2102", "RINGNOANSWER", in.Add(time.Minute), "1000"))
	next, _ := Plan(late, stored, opt, 0, seenAll)
	if len(next) != 1 || next[0].Version <= first[0].Version {
		t.Fatalf("plan after late event = %+v; want one row with a version above %d", next, first[0].Version)
	}
	if !next[0].PrevEnterTime.IsZero() {
		t.Errorf("PrevEnterTime = %v; want zero when the enter time did not move", next[0].PrevEnterTime)
	}
	// A stay whose enter time moves names the old one, so the bucket it left
	// is rolled up again.
	moved := map[cdr.Key]cdr.StoredStay{first[0].Key(): {Version: 1, EnterTime: t0.Add(-time.Hour)}}
	if out, _ := Plan(events, moved, opt, 0, seenAll); len(out) != 1 || !out[0].PrevEnterTime.Equal(t0.Add(-time.Hour)) {
		t.Errorf("plan over a moved stay = %+v; want PrevEnterTime %v", out, t0.Add(-time.Hour))
	}
}

func TestPlanTombstonesStaysThatVanished(t *testing.T) {
	in := t0.Add(time.Hour)
	events := []cdr.Event{
		ev(0, "c2", "klinisk", "NONE", "ENTERQUEUE", in, "", "4512345678", "1"),
		ev(20, "c2", "klinisk", "NONE", "ABANDON", in, "1", "1", "20"),
	}
	gone := cdr.Key{Switch: "default", CallID: "c2", Queue: "klinisk", Seq: 1}
	stored := map[cdr.Key]cdr.StoredStay{gone: {Version: 5, EnterTime: t0.Add(time.Hour)}}
	out, _ := Plan(events, stored, cdr.BuildOptions{Now: t0.Add(2 * time.Hour)}, 0, seenAll)
	var tomb *cdr.StoredCall
	for i := range out {
		if out[i].Key() == gone {
			tomb = &out[i]
		}
	}
	if tomb == nil || !tomb.Deleted || tomb.Version <= 5 {
		t.Fatalf("plan = %+v; want a tombstone for %v above version 5", out, gone)
	}
	// The tombstone keeps the stay's enter time, so its bucket is rolled up again.
	if !tomb.EnterTime.Equal(t0.Add(time.Hour)) || !tomb.PrevEnterTime.Equal(t0.Add(time.Hour)) {
		t.Errorf("tombstone enter %v prev %v; want both %v", tomb.EnterTime, tomb.PrevEnterTime, t0.Add(time.Hour))
	}
}

// TestPlanLeavesStaysOfAFullerBuild: another node built a call from more
// events (its second stay, in another queue, had arrived) and stored both
// stays while this build read only the first stay's events. This build
// writes nothing: it neither replaces the first stay nor hides the second.
func TestPlanLeavesStaysOfAFullerBuild(t *testing.T) {
	in := t0.Add(time.Hour)
	first := []cdr.Event{
		ev(0, "c5", "servicedesk", "NONE", "ENTERQUEUE", in, "", "4512345678", "1"),
		ev(20, "c5", "servicedesk", "PJSIP/2101", "CONNECT", in, "20", "c5.2", "1"),
		ev(80, "c5", "servicedesk", "PJSIP/2101", "BLINDTRANSFER", in, "702", "from-internal", "20", "60", "1"),
	}
	all := append(slices.Clone(first),
		ev(81, "c5", "klinisk", "NONE", "ENTERQUEUE", in.Add(time.Second), "", "4512345678", "1"),
		ev(91, "c5", "klinisk", "PJSIP/2201", "CONNECT", in.Add(time.Second), "10", "c5.3", "1"),
	)
	opt := cdr.BuildOptions{Now: t0.Add(3 * time.Hour)}
	fuller, _ := Plan(all, nil, opt, 0, seenAll)
	if len(fuller) != 2 {
		t.Fatalf("plan over all events = %+v; want two stays", fuller)
	}
	stored := map[cdr.Key]cdr.StoredStay{}
	for _, c := range fuller {
		stored[c.Key()] = cdr.StoredStay{Version: c.Version, EnterTime: c.EnterTime}
	}
	if out, _ := Plan(first, stored, opt, 0, seenAll); len(out) != 0 {
		t.Errorf("a build over the first stay's events wrote %+v; want nothing", out)
	}
}

func TestPlanStaleClosureRaisesVersion(t *testing.T) {
	in := t0
	events := []cdr.Event{ev(0, "c3", "sp_helpdesk", "NONE", "ENTERQUEUE", in, "", "4512345678", "1")}
	waiting, _ := Plan(events, nil, cdr.BuildOptions{Now: t0.Add(time.Minute), StaleAfter: time.Hour}, 0, seenAll)
	if len(waiting) != 1 || waiting[0].Outcome != cdr.Waiting {
		t.Fatalf("before the stale timeout: %+v; want one waiting stay", waiting)
	}
	stored := map[cdr.Key]cdr.StoredStay{waiting[0].Key(): {Version: waiting[0].Version, EnterTime: waiting[0].EnterTime}}
	closed, _ := Plan(events, stored, cdr.BuildOptions{Now: t0.Add(2 * time.Hour), StaleAfter: time.Hour}, 0, seenAll)
	if len(closed) != 1 || closed[0].Outcome != cdr.Unknown || closed[0].Version <= waiting[0].Version {
		t.Fatalf("after the stale timeout: %+v; want unknown with a version above %d", closed, waiting[0].Version)
	}
}

func TestPlanVersionsAcrossInstancesAndGenerations(t *testing.T) {
	in := t0.Add(time.Hour)
	all := []cdr.Event{
		ev(0, "c4", "servicedesk", "NONE", "ENTERQUEUE", in, "", "4512345678", "1"),
		ev(30, "c4", "servicedesk", "PJSIP/2101", "CONNECT", in, "30", "c4.2", "3"),
		ev(90, "c4", "servicedesk", "PJSIP/2101", "COMPLETECALLER", in, "30", "60", "1"),
	}
	opt := cdr.BuildOptions{Now: t0.Add(3 * time.Hour)}
	full, _ := Plan(all, nil, opt, 0, seenAll)
	if len(full) != 1 {
		t.Fatalf("plan = %+v; want one call", full)
	}
	stored := map[cdr.Key]cdr.StoredStay{full[0].Key(): {Version: full[0].Version, EnterTime: full[0].EnterTime}}
	// An instance that read fewer events (the ENTERQUEUE not yet visible)
	// must not replace the row built from all of them.
	if out, _ := Plan(all[1:], stored, opt, 0, seenAll); len(out) != 0 {
		t.Errorf("a build over fewer events wrote %+v; want nothing", out)
	}
	// A rebuild starts a new generation: the same events replace the row.
	next, _ := Plan(all, stored, opt, 1, seenAll)
	if len(next) != 1 || next[0].Version <= full[0].Version {
		t.Fatalf("plan in generation 1 = %+v; want one row above version %d", next, full[0].Version)
	}
	// Within the new generation, a stale closure still raises the version.
	waitOnly := all[:1]
	g1 := map[cdr.Key]cdr.StoredStay{}
	w, _ := Plan(waitOnly, g1, cdr.BuildOptions{Now: t0.Add(30 * time.Minute), StaleAfter: time.Hour}, 1, seenAll)
	if len(w) != 1 || w[0].Outcome != cdr.Waiting {
		t.Fatalf("plan before the stale timeout = %+v; want one waiting stay", w)
	}
	g1[w[0].Key()] = cdr.StoredStay{Version: w[0].Version, EnterTime: w[0].EnterTime}
	closed, _ := Plan(waitOnly, g1, cdr.BuildOptions{Now: t0.Add(3 * time.Hour), StaleAfter: time.Hour}, 1, seenAll)
	if len(closed) != 1 || closed[0].Outcome != cdr.Unknown {
		t.Errorf("stale closure in generation 1 = %+v; want the stay closed as unknown", closed)
	}
}

// TestPlanRefusesInvalidStays: a stay with a wait over 24 h is not written
// and is returned for the rejects; one that an earlier build stored (before
// its end arrived) gets a tombstone, so it is no longer counted.
func TestPlanRefusesInvalidStays(t *testing.T) {
	in := t0.Add(time.Hour)
	enter := ev(0, "c1", "servicedesk", "NONE", "ENTERQUEUE", in)
	opt := cdr.BuildOptions{Now: t0.Add(6 * time.Hour)}
	// Before the end: an unknown stay, stored.
	first, invalid := Plan([]cdr.Event{enter}, nil, opt, 0, seenAll)
	if len(first) != 1 || first[0].Outcome != cdr.Unknown || len(invalid) != 0 {
		t.Fatalf("first plan = %+v, %+v; want one unknown stay", first, invalid)
	}
	stored := map[cdr.Key]cdr.StoredStay{first[0].Key(): {Version: first[0].Version, EnterTime: first[0].EnterTime}}
	// The end says the caller waited 25 h.
	end := ev(100, "c1", "servicedesk", "NONE", "ABANDON", in.Add(time.Minute), "1", "1", "90000")
	rows, invalid := Plan([]cdr.Event{enter, end}, stored, opt, 0, seenAll)
	if len(rows) != 1 || !rows[0].Deleted || rows[0].Key() != first[0].Key() {
		t.Errorf("rows = %+v; want a tombstone of the stored stay", rows)
	}
	if len(invalid) != 1 || !strings.Contains(invalid[0].Invalid, "90000 s is over 24 h") {
		t.Fatalf("invalid = %+v; want the stay with its reason", invalid)
	}
	r := cdr.InvalidStayReject(&invalid[0], in)
	if r.Source != cdr.SourceBuild || !strings.Contains(r.Reason, "not counted") || !strings.Contains(r.Raw, "call c1 in queue servicedesk") {
		t.Errorf("reject = %+v; want the build's reject naming the call and the reason", r)
	}
	// Never stored: nothing to write.
	if rows, invalid := Plan([]cdr.Event{enter, end}, nil, opt, 0, seenAll); len(rows) != 0 || len(invalid) != 1 {
		t.Errorf("fresh: rows %+v, invalid %+v; want no row and one refused stay", rows, invalid)
	}
}

// TestPlanNamesTheAgentWhoLostTheCall: a rebuilt stay answered by another
// agent than the stored one, and a tombstone, name the stored stay's agent
// (PrevAgent), so the agent job counts that agent's figures again.
func TestPlanNamesTheAgentWhoLostTheCall(t *testing.T) {
	in := t0.Add(time.Hour)
	events := []cdr.Event{
		ev(0, "c3", "servicedesk", "NONE", "ENTERQUEUE", in, "", "4512345678", "1"),
		ev(30, "c3", "servicedesk", "PJSIP/2102", "CONNECT", in, "30", "c3.2", "3"),
		ev(90, "c3", "servicedesk", "PJSIP/2102", "COMPLETECALLER", in, "30", "60", "1"),
	}
	opt := cdr.BuildOptions{Now: t0.Add(2 * time.Hour)}
	k := cdr.Key{Switch: "default", CallID: "c3", Queue: "servicedesk"}
	gone := cdr.Key{Switch: "default", CallID: "c3", Queue: "servicedesk", Seq: 1}
	stored := map[cdr.Key]cdr.StoredStay{
		k:    {Version: 1, EnterTime: t0, Agent: "PJSIP/2101"},
		gone: {Version: 1, EnterTime: t0.Add(time.Minute), Agent: "PJSIP/2103"},
	}
	out, _ := Plan(events, stored, opt, 0, seenAll)
	got := map[cdr.Key]string{}
	for _, r := range out {
		got[r.Key()] = r.PrevAgent
	}
	if got[k] != "PJSIP/2101" || got[gone] != "PJSIP/2103" || len(out) != 2 {
		t.Errorf("plan = %+v; want the rebuilt stay naming PJSIP/2101 and the tombstone PJSIP/2103", out)
	}
	// The same agent: nothing to name.
	stored = map[cdr.Key]cdr.StoredStay{k: {Version: 1, EnterTime: t0, Agent: "PJSIP/2102"}}
	if out, _ := Plan(events, stored, opt, 0, seenAll); len(out) != 1 || out[0].PrevAgent != "" {
		t.Errorf("plan = %+v; want no PrevAgent where the agent is the same", out)
	}
}

// seenAll is the since of Plan for a run after one that wrote all that the
// test's events give: nothing is resent.
var seenAll = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// TestPlanResendsWhatAFailedWriteMayHaveLeft: a row stored at this build's
// own version, or a tombstone of a stay that vanished, is written again when
// its call has events at or after the watermark the run started from (a
// failed run may have left it without its touch, and nothing else would
// make the rollup count its bucket again), and not when all its events lie
// before the watermark (the run that moved the watermark wrote it whole).
func TestPlanResendsWhatAFailedWriteMayHaveLeft(t *testing.T) {
	ingested := t0.Add(time.Hour)
	opt := cdr.BuildOptions{Now: t0.Add(2 * time.Hour)}
	events := []cdr.Event{
		ev(0, "c1", "support", "NONE", "ENTERQUEUE", ingested, "", "", "4512345678"),
		ev(20, "c1", "support", "Agent/1", "CONNECT", ingested, "20", "c1.1", "1"),
		ev(200, "c1", "support", "Agent/1", "COMPLETECALLER", ingested, "20", "180", "1"),
	}
	first, _ := Plan(events, nil, opt, 0, time.Time{})
	if len(first) != 1 {
		t.Fatalf("first build: %d rows, want 1", len(first))
	}
	gone := cdr.Key{Switch: first[0].Switch, CallID: "c1", Queue: "sales", Seq: 0}
	stored := map[cdr.Key]cdr.StoredStay{
		first[0].Key(): {Version: first[0].Version, EnterTime: first[0].EnterTime, Agent: "Agent/1"},
		gone:           {Version: 3, EnterTime: t0.Add(-time.Hour), Deleted: true},
	}
	// The failed run started from a watermark below the events' ingest.
	out, _ := Plan(events, stored, opt, 0, ingested.Add(-time.Minute))
	if len(out) != 2 {
		t.Fatalf("after a failed write: %d rows, want the stay and the tombstone again: %+v", len(out), out)
	}
	for _, r := range out {
		switch r.Key() {
		case first[0].Key():
			if r.Deleted || r.Version != first[0].Version || r.Outcome != cdr.Answered {
				t.Errorf("the stay resent as %+v, want it as written", r)
			}
		case gone:
			if !r.Deleted || r.Version != 3 || !r.PrevEnterTime.Equal(t0.Add(-time.Hour)) {
				t.Errorf("the tombstone resent as %+v, want version 3 at its enter time", r)
			}
		default:
			t.Errorf("unexpected row %+v", r)
		}
	}
	// A watermark in the same second as the newest event still resends.
	if out, _ := Plan(events, stored, opt, 0, ingested); len(out) != 2 {
		t.Errorf("watermark at the events' ingest second: %d rows, want 2", len(out))
	}
	// After a run that moved the watermark past the events: nothing.
	if out, _ := Plan(events, stored, opt, 0, ingested.Add(time.Second)); len(out) != 0 {
		t.Errorf("watermark past the events: %d rows, want none: %+v", len(out), out)
	}
	// A tombstone newer than the stay the events give wins: the stay is not
	// written below it, resend or not.
	buried := map[cdr.Key]cdr.StoredStay{first[0].Key(): {Version: first[0].Version + 1, EnterTime: first[0].EnterTime, Deleted: true}}
	if out, _ := Plan(events, buried, opt, 0, time.Time{}); len(out) != 0 {
		t.Errorf("stay under a newer tombstone: %+v, want nothing", out)
	}
}
