package cdr

import (
	"testing"
	"time"
)

func TestFunnel(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	entries := []FunnelEntry{{Name: "main", Numbers: []string{"70000"}, Location: cph, Queues: []string{"servicedesk", "klinisk"}}}
	t0 := time.Date(2025, 3, 3, 7, 50, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	ast := func(id string, s int, dst, dstchan, disp, queue string) Event {
		return Event{Switch: "pbx", Source: SourceAsteriskCDR, Verb: FSVerbCDR, CallID: id, Time: at(s), Queue: queue, Agent: dstchan,
			Data: [5]string{dst, "4512345678", "10", disp, "ivr"}}
	}
	events := []Event{
		// a: IVR leg, then a queue leg into klinisk (from the CDR alone).
		ast("a", 0, "70000", "", "ANSWERED", ""),
		ast("a", 20, "s", "Local/100@agents", "ANSWERED", "klinisk"),
		// b: IVR leg; the queue stay comes from queue_log.
		ast("b", 0, "70000", "", "ANSWERED", ""),
		// c: hangs up in the menu.
		ast("c", 5, "70000", "", "ANSWERED", ""),
		// d: the menu transfers to a person's phone.
		ast("d", 5, "70000", "", "ANSWERED", ""),
		ast("d", 30, "200", "SIP/200-0001", "ANSWERED", ""),
		// e: another number, not in the funnel.
		ast("e", 5, "5555", "", "ANSWERED", ""),
		// f: FreeSWITCH caller leg into servicedesk, the IVR on the same uuid.
		{Switch: "fs", Source: SourceFreeSWITCH, Verb: FSVerbJoin, CallID: "f", Queue: "servicedesk", Time: at(900), Data: [5]string{"m", "4511", "70000"}},
		// g: reached a queue that is not one of the entry's.
		ast("g", 5, "70000", "", "ANSWERED", "sales"),
	}
	stays := []FunnelStay{
		{Switch: "pbx", CallID: "b", Queue: "servicedesk", EnterTime: at(25)},
		{Switch: "pbx", CallID: "b", Queue: "klinisk", EnterTime: at(300)}, // transferred later: first queue counts
		{Switch: "pbx", CallID: "e", Queue: "servicedesk", EnterTime: at(25)},
	}
	got := Funnel(events, stays, entries)
	want := map[string][2]string{
		"a": {FunnelQueue, "klinisk"}, "b": {FunnelQueue, "servicedesk"}, "c": {FunnelMenu, ""},
		"d": {FunnelOther, ""}, "f": {FunnelQueue, "servicedesk"}, "g": {FunnelOther, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d funnel calls, want %d: %+v", len(got), len(want), got)
	}
	for _, c := range got {
		w, ok := want[c.CallID]
		if !ok || c.Outcome != w[0] || c.Queue != w[1] || c.Entry != "main" {
			t.Errorf("call %s: got %s %q in %q, want %v", c.CallID, c.Outcome, c.Queue, c.Entry, w)
		}
	}
	// Period keys are of the call's start in the entry's zone.
	a := got[1] // ordered by switch, call id: fs/f, pbx/a, …
	if a.CallID != "a" || !a.Keys.Bucket.Equal(time.Date(2025, 3, 3, 7, 45, 0, 0, time.UTC)) ||
		!a.Keys.Day.Equal(time.Date(2025, 3, 2, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("call a: start %v keys %+v", a.Start, a.Keys)
	}
	if Funnel(events, stays, nil) != nil {
		t.Error("no entries: want no funnel calls")
	}
}
