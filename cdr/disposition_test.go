package cdr

import (
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// dispCall is an answered stay in queue from s (enter) to s+10 (answer)
// to s+70 (hang-up), in queue_log events.
func dispCall(s int, callid, queue string) []Event {
	return []Event{
		bev(s, callid, queue, "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(s+10, callid, queue, "Agent/1", "CONNECT", "10", "1.2", "3"),
		bev(s+70, callid, queue, "Agent/1", "COMPLETECALLER", "10", "60", "1"),
	}
}

// dispQL is a disposition written with QueueLog() into queue_log.
func dispQL(s int, callid, queue, resolved, code string) Event {
	return bev(s, callid, queue, "Agent/1", VerbDisposition, resolved, code)
}

// dispDecode decodes posted dispositions, failing on a read error.
func dispDecode(t *testing.T, body string, opt DecodeOptions) ([]Event, []*DecodeError) {
	t.Helper()
	var evs []Event
	var rejects []*DecodeError
	err := DecodeDispositions(strings.NewReader(body), opt, func(b Batch) error {
		evs = append(evs, b.Events...)
		rejects = append(rejects, b.Rejects...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, rejects
}

// dispOf returns the disposition fields of the stay of queue (seq 0).
func dispOf(t *testing.T, calls []QueueCall, callid, queue string) (has, resolved bool, code string) {
	t.Helper()
	for _, c := range calls {
		if c.CallID == callid && c.Queue == queue && c.Seq == 0 {
			return c.Disposition, c.Resolved, c.DispositionCode
		}
	}
	t.Fatalf("no stay of %s in %s among %+v", callid, queue, calls)
	return
}

func TestDispositionAttachesToTheAnsweredStay(t *testing.T) {
	opt := BuildOptions{Now: bt(3600)}
	tests := []struct {
		name string
		disp Event
	}{
		{"after the call", dispQL(200, "c1", "q1", "1", "PWRESET")},
		{"before the call (clocks apart, or sent early)", dispQL(-300, "c1", "q1", "1", "PWRESET")},
		{"by call id alone (queue NONE)", dispQL(200, "c1", "NONE", "1", "PWRESET")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs := append(dispCall(0, "c1", "q1"), tc.disp)
			rng := rand.New(rand.NewPCG(3, 4))
			for i := range 20 {
				rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
				calls := BuildCalls(evs, opt)
				if len(calls) != 1 || calls[0].Outcome != Answered || calls[0].TalkS != 60 {
					t.Fatalf("shuffle %d: got %+v; want one answered stay, talk 60 s", i, calls)
				}
				has, res, code := dispOf(t, calls, "c1", "q1")
				if !has || !res || code != "PWRESET" {
					t.Fatalf("shuffle %d: disposition %v resolved %v code %q; want true true PWRESET", i, has, res, code)
				}
			}
		})
	}
}

func TestDispositionGoesToTheLastAnsweredStay(t *testing.T) {
	opt := BuildOptions{Now: bt(3600)}
	// The caller is answered in q1, transferred into q2 and answered again,
	// then a third stay in q3 is abandoned.
	call := []Event{
		bev(0, "c1", "q1", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(10, "c1", "q1", "Agent/1", "CONNECT", "10", "1.2", "3"),
		bev(40, "c1", "q1", "Agent/1", "BLINDTRANSFER", "ext", "ctx", "10", "30", "1"),
		bev(40, "c1", "q2", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(55, "c1", "q2", "Agent/2", "CONNECT", "15", "1.3", "2"),
		bev(100, "c1", "q2", "Agent/2", "COMPLETEAGENT", "15", "45", "1"),
		bev(100, "c1", "q3", "NONE", "ENTERQUEUE", "", "4512345678", "1"),
		bev(120, "c1", "q3", "NONE", "ABANDON", "1", "1", "20"),
	}
	got := BuildCalls(append(call, dispQL(300, "c1", "NONE", "0", "CALLBACK")), opt)
	if has, res, code := dispOf(t, got, "c1", "q2"); !has || res || code != "CALLBACK" {
		t.Errorf("by call id: q2 has %v resolved %v code %q; want the last answered stay (q2), not resolved, CALLBACK", has, res, code)
	}
	if has, _, _ := dispOf(t, got, "c1", "q1"); has {
		t.Error("by call id: q1 got the disposition too; want only the last answered stay")
	}
	if has, _, _ := dispOf(t, got, "c1", "q3"); has {
		t.Error("by call id: the abandoned stay in q3 got a disposition; only answered stays count")
	}

	got = BuildCalls(append(call, dispQL(300, "c1", "q1", "1", "")), opt)
	if has, res, _ := dispOf(t, got, "c1", "q1"); !has || !res {
		t.Errorf("with queue q1: q1 has %v resolved %v; want true true", has, res)
	}
	if has, _, _ := dispOf(t, got, "c1", "q2"); has {
		t.Error("with queue q1: q2 got it too")
	}

	// A disposition naming the abandoned queue finds no answered stay.
	got = BuildCalls(append(call, dispQL(300, "c1", "q3", "1", "")), opt)
	for _, c := range got {
		if c.Disposition {
			t.Errorf("disposition for the abandoned q3 landed on %s", c.Queue)
		}
	}
}

func TestDispositionNewestWins(t *testing.T) {
	evs := append(dispCall(0, "c1", "q1"), dispQL(200, "c1", "q1", "1", "FIRST"), dispQL(500, "c1", "q1", "0", "REOPENED"))
	got := BuildCalls(evs, BuildOptions{Now: bt(3600)})
	if has, res, code := dispOf(t, got, "c1", "q1"); !has || res || code != "REOPENED" {
		t.Errorf("got %v %v %q; want the newest: true false REOPENED", has, res, code)
	}
}

// TestDispositionPostedEqualsQueueLog checks that a disposition posted as
// JSON and the same one written into queue_log give the same queue calls.
func TestDispositionPostedEqualsQueueLog(t *testing.T) {
	opt := BuildOptions{Now: bt(3600)}
	call := append(dispCall(0, "c1", "q1"), dispCall(1000, "c2", "q1")...)
	fromLog := BuildCalls(append(call, dispQL(200, "c1", "q1", "1", "PWRESET"), dispQL(1200, "c2", "NONE", "0", "")), opt)

	posted, rejects := dispDecode(t, `[
  {"call_id": "c1", "queue": "q1", "resolved": true, "code": "PWRESET", "time": "2016-10-03T08:03:20Z"},
  {"call_id": "c2", "resolved": false, "time": 1475482800}
]`, DecodeOptions{})
	if len(rejects) > 0 || len(posted) != 2 {
		t.Fatalf("decoded %d events, rejects %v; want 2 and none", len(posted), rejects)
	}
	fromPost := BuildCalls(append(call, posted...), opt)
	if !reflect.DeepEqual(fromLog, fromPost) {
		t.Errorf("queue_log path %+v\nposted path %+v\nwant equal", fromLog, fromPost)
	}
	n := 0
	for _, c := range fromPost {
		if c.Disposition {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d stays with a disposition; want 2", n)
	}
}

// TestDispositionOnAFreeSWITCHCall attaches a posted disposition to a call
// built from a FreeSWITCH CDR: dispositions work for every source.
func TestDispositionOnAFreeSWITCHCall(t *testing.T) {
	b, err := os.ReadFile("testdata/freeswitch/answered.json")
	if err != nil {
		t.Fatal(err)
	}
	evs, rejects, _ := qlDecode(t, DecodeFreeSWITCHJSON, string(b), DecodeOptions{Switch: "fs1", Now: fsNow})
	if len(rejects) > 0 {
		t.Fatal(rejects[0])
	}
	disp, rejects := dispDecode(t, `{"switch": "fs1", "call_id": "11111111-1111-4111-8111-111111111111", "resolved": true, "code": "X"}`, DecodeOptions{Switch: "other", Now: fsNow})
	if len(rejects) > 0 {
		t.Fatal(rejects[0])
	}
	calls := BuildCalls(append(evs, disp...), BuildOptions{Now: fsNow})
	if len(calls) != 1 || calls[0].Outcome != Answered || !calls[0].Disposition || !calls[0].Resolved || calls[0].DispositionCode != "X" {
		t.Fatalf("got %+v; want the one answered FreeSWITCH stay with a resolved disposition X", calls)
	}
}

func TestDecodeDispositions(t *testing.T) {
	now := time.Date(2025, 3, 4, 9, 0, 0, 500, time.UTC)
	evs, rejects := dispDecode(t, `{"call_id": " 1475478000.1 ", "queue": "q1", "seq": 1, "resolved": false, "code": "C"}`, DecodeOptions{Switch: "pbx1", Now: now})
	if len(rejects) > 0 || len(evs) != 1 {
		t.Fatalf("got %v %v; want one event", evs, rejects)
	}
	want := Event{Switch: "pbx1", Source: SourceDisposition, Verb: VerbDisposition, CallID: "1475478000.1", Queue: "q1",
		Time: now.Truncate(time.Second), Data: [5]string{"0", "C", "1"}, Line: 1}
	want.ID = EventID(&want)
	if !reflect.DeepEqual(evs[0], want) {
		t.Errorf("got %+v; want %+v", evs[0], want)
	}
	again, _ := dispDecode(t, `[{"call_id":"1475478000.1","queue":"q1","seq":1,"resolved":false,"code":"C"}]`, DecodeOptions{Switch: "pbx1", Now: now})
	if len(again) != 1 || again[0].ID != want.ID {
		t.Errorf("the same disposition in an array has id %v; want %d", again, want.ID)
	}

	bad := []struct{ body, field string }{
		{`{"resolved": true}`, "call_id"},
		{`{"call_id": "a"}`, "resolved"},
		{`{"call_id": "a", "resolved": "yes"}`, "resolved"},
		{`{"call_id": "a", "resolved": true, "resolvd": true}`, "resolvd"},
		{`{"call_id": "a", "resolved": true, "seq": 1}`, "seq"},
		{`{"call_id": "a", "queue": "q", "resolved": true, "seq": -1}`, "seq"},
		{`{"call_id": "a", "resolved": true, "time": "2025-03-04 10:00"}`, "time"},
		{`{"call_id": "a", "resolved": true, "time": "2025-03-04T10:00:00Z"}`, "time"}, // an hour ahead of now
		{`{"call_id": "a", "resolved": true, "switch": "bad name"}`, "switch"},
		{`{"call_id": "a", "resolved": true, "code": "a|b"}`, "code"},
		{`[1]`, "json"},
		{`{"call_id": "a", "resolved": tru`, "json"},
	}
	for _, tc := range bad {
		evs, rejects := dispDecode(t, tc.body, DecodeOptions{Now: now})
		if len(evs) != 0 || len(rejects) != 1 || rejects[0].Field != tc.field || rejects[0].Line != 1 {
			t.Errorf("%s: got %d events, rejects %v; want one reject in field %s on line 1", tc.body, len(evs), rejects, tc.field)
		}
	}

	// Without a time of receipt (a file import), time is required.
	if _, rejects := dispDecode(t, `{"call_id": "a", "resolved": true}`, DecodeOptions{}); len(rejects) != 1 || rejects[0].Field != "time" {
		t.Errorf("no time and no Now: rejects %v; want one on time", rejects)
	}
	// A bad object beside good ones: the good ones are kept, the bad one is
	// named by its position.
	evs, rejects = dispDecode(t, `[{"call_id":"a","resolved":true},{"call_id":"b"},{"call_id":"c","resolved":false}]`, DecodeOptions{Now: now})
	if len(evs) != 2 || len(rejects) != 1 || rejects[0].Line != 2 {
		t.Errorf("got %d events, rejects %v; want 2 events and object 2 refused", len(evs), rejects)
	}
}

func FuzzDecodeDispositions(f *testing.F) {
	f.Add(`{"call_id": "a", "queue": "q", "seq": 0, "resolved": true, "code": "x", "time": 1475478000}`)
	f.Add(`[{"call_id":"a","resolved":false},{"call_id":"b"}]`)
	f.Add(`{"call_id": "a", "resolved": true, "time": "2016-10-03T08:00:00+02:00"} [1] {`)
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		var evs []Event
		err := DecodeDispositions(strings.NewReader(body), DecodeOptions{Now: now}, func(b Batch) error {
			for _, e := range b.Events {
				if e.CallID == "" || e.Verb != VerbDisposition || (e.Data[0] != "0" && e.Data[0] != "1") || e.ID != EventID(&e) {
					t.Fatalf("bad event %+v", e)
				}
				evs = append(evs, e)
			}
			for _, r := range b.Rejects {
				if r.Field == "" || r.Reason == "" {
					t.Fatalf("reject without field or reason: %+v", r)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("a reader that cannot fail failed: %v", err)
		}
		BuildCalls(evs, BuildOptions{Now: now})
	})
}

// TestRollupCountsDispositions: dispositions counts answered stays with a
// disposition, resolved_first_contact those resolved; a disposition on a
// stay that is not answered is not counted.
func TestRollupCountsDispositions(t *testing.T) {
	mk := func(id string, o Outcome, disp, res bool) QueueCall {
		c := bcall(id, "q1", 0, o)
		c.EnterTime, c.EndTime, c.LastEventTime = bt(0), bt(60), bt(60)
		c.Disposition, c.Resolved = disp, res
		return c
	}
	calls := []QueueCall{mk("a", Answered, true, true), mk("b", Answered, true, false), mk("c", Answered, false, false),
		mk("d", Answered, true, true), mk("e", Abandoned, true, true)}
	var sum Counts
	for _, r := range Rollup(calls, nil, nil) {
		sum.Add(&r.Counts)
	}
	if sum.Offered != 5 || sum.Dispositions != 3 || sum.ResolvedFirstContact != 2 {
		t.Errorf("offered %d, dispositions %d, resolved %d; want 5, 3, 2", sum.Offered, sum.Dispositions, sum.ResolvedFirstContact)
	}
}
