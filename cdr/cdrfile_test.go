package cdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// The real Asterisk CDR files of ../shared/testdata/acd (PROVENANCE.md):
// read at test time, never copied into the repository.
const (
	realAstCSV    = "../../shared/testdata/acd/asterisk_cdr_csv_newcdrcolumns_Master.csv"
	realAstCustom = "../../shared/testdata/acd/asterisk_cdr_custom_Master.csv"
)

type cdrGoldenCall struct {
	CallID, Queue string
	Seq           uint16
	Outcome       string
	Enter, Answer string
	End           string
	WaitS, TalkS  uint32
	Agent, Caller string
}

// cdrGolden decodes in with dec and opt, builds the queue calls, and
// compares events, rejects and calls with golden (-update rewrites it).
func cdrGolden(t *testing.T, dec DecodeFunc, in, golden string, opt DecodeOptions) ([]Event, []*DecodeError, []QueueCall) {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	events, rejects, _ := qlDecode(t, dec, string(b), opt)
	calls := BuildCalls(events, BuildOptions{Now: opt.Now})
	g := struct {
		qlGolden
		Calls []cdrGoldenCall `json:"calls"`
	}{qlGolden{Events: []qlGoldenEvent{}, Rejects: []qlGoldenReject{}}, []cdrGoldenCall{}}
	for _, e := range events {
		g.Events = append(g.Events, qlGoldenEvent{e.Line, fmt.Sprintf("%016x", e.ID), e.Switch, e.Source,
			e.Time.Format(time.RFC3339), e.Micros, e.CallID, e.Queue, e.Agent, e.Verb, e.Data})
	}
	for _, r := range rejects {
		raw := r.Raw
		if len(raw) > 80 {
			raw = raw[:80]
		}
		g.Rejects = append(g.Rejects, qlGoldenReject{r.Line, r.Field, r.Reason, raw})
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for _, c := range calls {
		g.Calls = append(g.Calls, cdrGoldenCall{c.CallID, c.Queue, c.Seq, c.Outcome.String(), ts(c.EnterTime), ts(c.AnswerTime),
			ts(c.EndTime), c.WaitS, c.TalkS, c.Agent, c.Caller})
	}
	got, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return events, rejects, calls
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cdr -run TestCDRFileGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s; got:\n%s", in, golden, got)
	}
	return events, rejects, calls
}

func cdrOpt(t *testing.T) DecodeOptions {
	return DecodeOptions{Switch: "pbx1", Location: qlCopenhagen(t), Now: time.Unix(1717010000, 0)}
}

// TestCDRFileGolden decodes the hand-written inputs of testdata/cdrfile.
func TestCDRFileGolden(t *testing.T) {
	for _, c := range []struct {
		in  string
		dec DecodeFunc
	}{
		{"generic.csv", DecodeCDRCSV},
		{"generic.ndjson", DecodeCDRJSON},
		{"generic_array.json", DecodeCDRJSON},
		{"asterisk.csv", DecodeAsteriskCDR},
	} {
		t.Run(c.in, func(t *testing.T) {
			in := "testdata/cdrfile/" + c.in
			cdrGolden(t, c.dec, in, in+".golden", cdrOpt(t))
		})
	}
}

// TestGenericCSVRows checks what a user reads in the calls of generic.csv.
func TestGenericCSVRows(t *testing.T) {
	b, err := os.ReadFile("testdata/cdrfile/generic.csv")
	if err != nil {
		t.Fatal(err)
	}
	events, rejects, _ := qlDecode(t, DecodeCDRCSV, string(b), cdrOpt(t))
	calls := BuildCalls(events, BuildOptions{})
	byID := map[string][]QueueCall{}
	for _, c := range calls {
		byID[c.CallID] = append(byID[c.CallID], c)
	}
	// c1 twice (two stays, in time order), c2 once (its row repeated), c3;
	// c5 is refused (answered with no talk_s and no end_time).
	if len(calls) != 4 {
		t.Fatalf("got %d calls; want 4: %+v", len(calls), calls)
	}
	c1 := byID["c1"]
	if len(c1) != 2 || c1[0].Outcome != Answered || c1[0].WaitS != 20 || c1[0].TalkS != 300 || c1[0].Agent != "alice" || c1[1].Seq != 1 || c1[1].TalkS != 60 {
		t.Errorf("c1: got %+v", c1)
	}
	if c := byID["c2"]; len(c) != 1 || c[0].Outcome != Abandoned || c[0].WaitS != 45 {
		t.Errorf("c2 (written twice): got %+v; want one abandoned stay, wait 45", c)
	}
	if c := byID["c3"]; len(c) != 1 || c[0].Outcome != Timeout || c[0].WaitS != 30 || c[0].EnterTime.Unix() != 1709290800 {
		t.Errorf("c3: got %+v; want a timeout after 30 s", c)
	}
	if c := byID["c4"]; len(c) != 0 {
		t.Errorf("c4 has no queue: got calls %+v", c)
	}
	want := map[int]string{ // line: field
		6: "talk_s", 7: "enter_time", 8: "answer_time", 9: "outcome", 10: "wait_s", 11: "call_id",
	}
	if len(rejects) != len(want) {
		t.Errorf("got %d rejects %v; want %d", len(rejects), rejects, len(want))
	}
	for _, r := range rejects {
		if want[r.Line] != r.Field {
			t.Errorf("line %d: rejected in field %q (%s); want %q", r.Line, r.Field, r.Reason, want[r.Line])
		}
		if r.Line == 7 && !strings.Contains(r.Reason, "has no seconds") {
			t.Errorf("line 7: reason %q; want it to say the time has no seconds", r.Reason)
		}
	}
}

// TestAsteriskCDRReal reads the real cdr_csv (newcdrcolumns, 21 columns) and
// cdr_custom files: every row is one CDR event, none is refused, and no
// queue call is made from them (their lastapp are Dial and Hangup).
func TestAsteriskCDRReal(t *testing.T) {
	for _, c := range []struct {
		path     string
		rows     int
		callIDs  int
		answered int
	}{
		// python3 csv.reader: rows, distinct linkedid (column 20), disposition ANSWERED
		{realAstCSV, 84, 36, 37},
		// cdr_custom has no linkedid: the uniqueid (column 17) names the call.
		{realAstCustom, 14, 14, 11},
	} {
		t.Run(c.path, func(t *testing.T) {
			b, err := os.ReadFile(c.path)
			if os.IsNotExist(err) {
				t.Skipf("%s is absent (../shared is not beside the repository)", c.path)
			}
			if err != nil {
				t.Fatal(err)
			}
			events, rejects, _ := qlDecode(t, DecodeAsteriskCDR, string(b), cdrOpt(t))
			if len(rejects) != 0 {
				t.Errorf("got rejects %v; want none", rejects)
			}
			ids := map[string]bool{}
			answered := 0
			for _, e := range events {
				if e.Source != SourceAsteriskCDR || e.Verb != FSVerbCDR {
					t.Fatalf("event %+v: want source asterisk_cdr, verb CDR", e)
				}
				ids[e.CallID] = true
				if e.Data[3] == "ANSWERED" {
					answered++
				}
			}
			if len(events) != c.rows || len(ids) != c.callIDs || answered != c.answered {
				t.Errorf("got %d events, %d call ids, %d answered; want %d, %d, %d", len(events), len(ids), answered, c.rows, c.callIDs, c.answered)
			}
			if calls := BuildCalls(events, BuildOptions{}); len(calls) != 0 {
				t.Errorf("got %d queue calls from CDRs; want none (queue figures need queue_log)", len(calls))
			}
		})
	}
}

// TestAsteriskCDRLocalTime: cdr_csv's times are the switch's wall clock.
func TestAsteriskCDRLocalTime(t *testing.T) {
	line := `"","1","2","ctx","c","SIP/a-1","","Hangup","","2024-01-27 15:07:24","","2024-01-27 15:07:51",27,0,"NO ANSWER","DOCUMENTATION"` + "\n"
	events, rejects, _ := qlDecode(t, DecodeAsteriskCDR, line, DecodeOptions{Location: qlCopenhagen(t)})
	if len(rejects) != 0 || len(events) != 1 {
		t.Fatalf("got %v, %v", events, rejects)
	}
	if got := events[0].Time.Format(time.RFC3339); got != "2024-01-27T14:07:24Z" {
		t.Errorf("got %s; want 14:07:24 UTC (15:07:24 in Copenhagen)", got)
	}
	if events[0].CallID != "SIP/a-1" {
		t.Errorf("16 columns: CallID %q; want the channel", events[0].CallID)
	}
}

// TestCDRFormatsAreRegistered: the formats are known by name.
func TestCDRFormatsAreRegistered(t *testing.T) {
	for _, f := range []string{"asterisk_cdr", "csv", "json"} {
		if _, err := Decoder(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestBuildCDRCallsOrderAndRepeats: the calls do not depend on the order or
// repeats of events.
func TestBuildCDRCallsOrderAndRepeats(t *testing.T) {
	b, err := os.ReadFile("testdata/cdrfile/generic.csv")
	if err != nil {
		t.Fatal(err)
	}
	events, _, _ := qlDecode(t, DecodeCDRCSV, string(b), cdrOpt(t))
	want := fmt.Sprint(BuildCalls(events, BuildOptions{}))
	rev := make([]Event, 0, 2*len(events))
	for i := len(events) - 1; i >= 0; i-- {
		rev = append(rev, events[i], events[i])
	}
	if got := fmt.Sprint(BuildCalls(rev, BuildOptions{})); got != want {
		t.Errorf("reversed and doubled: got %s; want %s", got, want)
	}
}

func FuzzDecodeAsteriskCDR(f *testing.F) {
	for _, p := range []string{"testdata/cdrfile/asterisk.csv", realAstCustom} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("\"a\",\"b\nc")
	f.Fuzz(func(t *testing.T, in string) {
		cdrFuzzCheck(t, DecodeAsteriskCDR, in, nil)
	})
}

func FuzzDecodeCDRCSV(f *testing.F) {
	if b, err := os.ReadFile("testdata/cdrfile/generic.csv"); err == nil {
		f.Add(string(b))
	}
	f.Add("call_id,enter_time\n1,1\n")
	// A stay exported twice, and the transferred field.
	f.Add("call_id,queue,enter_time,outcome,wait_s,talk_s,transferred\nr,q,1,unknown,4,,\nr,q,1,answered,2,9,yes\nr,q,1,abandoned,3,,TRUE\nr,q,5,answered,1,1,maybe\n")
	f.Fuzz(func(t *testing.T, in string) {
		cdrFuzzCheck(t, DecodeCDRCSV, in, nil)
		cdrFuzzCheck(t, DecodeCDRCSV, in, &CDRMap{NoHeader: true, Columns: map[string]string{"call_id": "1", "enter_time": "2", "queue": "3", "outcome": "4"}, TimeFormat: "2006/1/2 15:04:05"})
	})
}

func FuzzDecodeCDRJSON(f *testing.F) {
	for _, p := range []string{"testdata/cdrfile/generic.ndjson", "testdata/cdrfile/generic_array.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(`[{"call_id":"x","enter_time":1,"queue":"q","outcome":"answered","wait_s":1e9}`)
	f.Add(`{"call_id":"r","queue":"q","enter_time":1,"outcome":"unknown","wait_s":4}
{"call_id":"r","queue":"q","enter_time":1,"outcome":"answered","wait_s":2,"talk_s":9,"transferred":true}
{"call_id":"r","queue":"q","enter_time":1,"outcome":"answered","wait_s":2,"talk_s":9,"transferred":"0"}`)
	f.Fuzz(func(t *testing.T, in string) {
		cdrFuzzCheck(t, DecodeCDRJSON, in, nil)
	})
}

// cdrFuzzCheck: decoding never fails on bytes alone, events are well formed
// and building them never panics.
func cdrFuzzCheck(t *testing.T, dec DecodeFunc, in string, m *CDRMap) {
	var events []Event
	err := dec(strings.NewReader(in), DecodeOptions{Map: m}, func(b Batch) error {
		events = append(events, b.Events...)
		for _, r := range b.Rejects {
			if r.Line < 1 {
				t.Fatalf("reject with line %d: %v", r.Line, r)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("decode error %v", err)
	}
	for _, e := range events {
		if e.CallID == "" || e.ID != EventID(&e) || e.Time.Unix() < 0 || e.Time.Unix() > maxEpoch {
			t.Fatalf("bad event %+v", e)
		}
	}
	stays := map[string]bool{}
	for _, c := range BuildCalls(events, BuildOptions{}) {
		if c.WaitS > buildMaxWaitS || c.EndTime.Before(c.EnterTime) || (c.Transferred && c.Outcome != Answered) {
			t.Fatalf("bad call %+v", c)
		}
		// However often a stay is exported, it is one queue call.
		k := fmt.Sprintf("%q %q %q %d", c.Switch, c.CallID, c.Queue, c.EnterTime.Unix())
		if stays[k] {
			t.Fatalf("two queue calls for the stay %s", k)
		}
		stays[k] = true
	}
}

// cdrCalls decodes a generic CDR input and builds its queue calls as the
// build job does (through BuildCalls); every row must be accepted.
func cdrCalls(t *testing.T, dec DecodeFunc, in string) ([]Event, []QueueCall) {
	t.Helper()
	events, rejects, _ := qlDecode(t, dec, in, cdrOpt(t))
	if len(rejects) != 0 {
		t.Fatalf("got rejects %v; want none", rejects)
	}
	return events, BuildCalls(events, BuildOptions{Now: cdrOpt(t).Now})
}

// TestGenericCDRResentWithChangedFieldsIsOneStay: an export sent again
// with the outcome, wait, talk, end time and agent of the stay filled in
// (first unknown, later answered) is one queue call with the final
// figures, in CSV and in JSON and whatever the order of the rows; a second
// stay of the same call in the same queue (a later enter_time) stays a
// stay of its own.
func TestGenericCDRResentWithChangedFieldsIsOneStay(t *testing.T) {
	csv := `call_id,queue,enter_time,answer_time,end_time,outcome,wait_s,talk_s,agent,caller
r1,support,2024-03-01 09:00:00,,2024-03-01 09:00:40,unknown,,,,+4511111111
r1,support,2024-03-01 09:00:00,2024-03-01 09:00:20,2024-03-01 09:05:20,answered,,,alice,+4511111111
r1,support,2024-03-01 09:00:00,,2024-03-01 09:00:40,unknown,,,,+4511111111
r1,support,2024-03-01 09:30:00,,,abandoned,12,,,+4511111111
`
	ndjson := `{"call_id":"r1","queue":"support","enter_time":"2024-03-01T08:00:00Z","outcome":"unknown","wait_s":40,"caller":"+4511111111"}
{"call_id":"r1","queue":"support","enter_time":"2024-03-01T08:00:00Z","outcome":"answered","wait_s":20,"talk_s":300,"agent":"alice","caller":"+4511111111"}
{"call_id":"r1","queue":"support","enter_time":"2024-03-01T08:30:00Z","outcome":"abandoned","wait_s":12,"caller":"+4511111111"}
`
	for _, c := range []struct {
		name string
		dec  DecodeFunc
		in   string
	}{{"csv", DecodeCDRCSV, csv}, {"json", DecodeCDRJSON, ndjson}} {
		t.Run(c.name, func(t *testing.T) {
			events, calls := cdrCalls(t, c.dec, c.in)
			rev := slices.Clone(events)
			slices.Reverse(rev)
			for _, got := range [][]QueueCall{calls, BuildCalls(rev, BuildOptions{Now: cdrOpt(t).Now})} {
				if len(got) != 2 {
					t.Fatalf("got %d queue calls %+v; want 2: the answered stay once, and the later abandoned one", len(got), got)
				}
				a, b := got[0], got[1]
				if a.Seq != 0 || a.Outcome != Answered || a.WaitS != 20 || a.TalkS != 300 || a.Agent != "alice" || a.EnterTime.Unix() != 1709280000 {
					t.Errorf("first stay: got seq %d %v wait %d talk %d agent %q enter %v; want seq 0 answered wait 20 talk 300 alice at 08:00Z",
						a.Seq, a.Outcome, a.WaitS, a.TalkS, a.Agent, a.EnterTime)
				}
				if b.Seq != 1 || b.Outcome != Abandoned || b.WaitS != 12 {
					t.Errorf("second stay: got seq %d %v wait %d; want seq 1 abandoned wait 12", b.Seq, b.Outcome, b.WaitS)
				}
			}
		})
	}
}

// TestGenericCDRVersionRule: of several rows of one stay, a decided
// outcome wins over unknown whenever it was stored; between decided rows
// the one stored last (IngestedAt) wins; stored at the same time, the one
// that ends last, then the higher event id.
func TestGenericCDRVersionRule(t *testing.T) {
	row := func(outcome string, wait, talk int) string {
		return fmt.Sprintf(`{"call_id":"v1","queue":"support","enter_time":1709280000,"outcome":%q,"wait_s":%d,"talk_s":%d,"agent":"alice"}`+"\n", outcome, wait, talk)
	}
	t0 := time.Unix(1709290000, 0).UTC()
	tests := []struct {
		name    string
		rows    []string
		stored  []time.Duration // IngestedAt of each row after t0; nil: none known
		outcome Outcome
		wait    uint32
		talk    uint32
	}{
		{"decided beats a later unknown", []string{row("answered", 20, 100), row("unknown", 400, 0)}, []time.Duration{0, time.Hour}, Answered, 20, 100},
		{"the decided row stored last", []string{row("answered", 20, 300), row("answered", 20, 100)}, []time.Duration{0, time.Hour}, Answered, 20, 100},
		{"stored last, whatever it says", []string{row("answered", 20, 100), row("abandoned", 30, 0)}, []time.Duration{time.Hour, 2 * time.Hour}, Abandoned, 30, 0},
		{"same ingest: the one that ends last", []string{row("answered", 20, 100), row("answered", 20, 300)}, []time.Duration{time.Hour, time.Hour}, Answered, 20, 300},
		{"not stored: the one that ends last", []string{row("answered", 20, 300), row("abandoned", 30, 0)}, nil, Answered, 20, 300},
		{"two unknown: the one stored last", []string{row("unknown", 90, 0), row("unknown", 40, 0)}, []time.Duration{0, time.Hour}, Unknown, 40, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, _, _ := qlDecode(t, DecodeCDRJSON, strings.Join(tc.rows, ""), cdrOpt(t))
			if len(events) != len(tc.rows) {
				t.Fatalf("got %d events; want %d", len(events), len(tc.rows))
			}
			for i := range events {
				if tc.stored != nil {
					events[i].IngestedAt = t0.Add(tc.stored[i])
				}
			}
			for _, evs := range [][]Event{events, {events[1], events[0]}} {
				got := BuildCalls(evs, BuildOptions{})
				if len(got) != 1 {
					t.Fatalf("got %d queue calls %+v; want 1", len(got), got)
				}
				if c := got[0]; c.Outcome != tc.outcome || c.WaitS != tc.wait || c.TalkS != tc.talk {
					t.Errorf("got %v wait %d talk %d; want %v wait %d talk %d", c.Outcome, c.WaitS, c.TalkS, tc.outcome, tc.wait, tc.talk)
				}
			}
		})
	}
}

// TestGenericCDRTransferred: the transferred field marks an answered stay
// transferred onward (true/false, 1/0, yes/no, any case); the stay stays
// answered. On a row that was not answered it means nothing; any other
// value refuses the row, naming the field.
func TestGenericCDRTransferred(t *testing.T) {
	in := `call_id,queue,enter_time,outcome,wait_s,talk_s,transferred
t1,support,1709280000,answered,10,60,true
t2,support,1709280000,answered,10,60,Yes
t3,support,1709280000,answered,10,60,1
t4,support,1709280000,answered,10,60,false
t5,support,1709280000,answered,10,60,
t6,support,1709280000,abandoned,10,,true
t7,support,1709280000,answered,10,60,maybe
`
	events, rejects, _ := qlDecode(t, DecodeCDRCSV, in, cdrOpt(t))
	if len(rejects) != 1 || rejects[0].Line != 8 || rejects[0].Field != "transferred" {
		t.Errorf("got rejects %v; want one, line 8, field transferred", rejects)
	}
	got := map[string]QueueCall{}
	for _, c := range BuildCalls(events, BuildOptions{}) {
		got[c.CallID] = c
	}
	want := map[string]bool{"t1": true, "t2": true, "t3": true, "t4": false, "t5": false, "t6": false}
	if len(got) != len(want) {
		t.Errorf("got %d queue calls; want %d", len(got), len(want))
	}
	for id, tr := range want {
		c := got[id]
		if c.Transferred != tr {
			t.Errorf("%s: transferred %v; want %v", id, c.Transferred, tr)
		}
		wantOut := Answered
		if id == "t6" {
			wantOut = Abandoned
		}
		if c.Outcome != wantOut {
			t.Errorf("%s: outcome %v; want %v", id, c.Outcome, wantOut)
		}
	}
	// The same through a map, in JSON with a boolean.
	m := &CDRMap{Columns: map[string]string{"transferred": "Xfer"}}
	events, rejects, _ = qlDecode(t, DecodeCDRJSON, `{"call_id":"j","queue":"q","enter_time":1709280000,"outcome":"answered","wait_s":1,"talk_s":2,"Xfer":true}`, DecodeOptions{Map: m})
	if calls := BuildCalls(events, BuildOptions{}); len(rejects) != 0 || len(calls) != 1 || !calls[0].Transferred || calls[0].Outcome != Answered {
		t.Errorf("mapped JSON boolean: got %+v, rejects %v; want one answered transferred call", calls, rejects)
	}
}

// TestAsteriskCDRResentIsOneCall: Asterisk CDRs make no queue calls (their
// events are kept for the IVR funnel, which counts calls by linkedid), so a
// cdr_csv row written again with fields changed (the bill, the
// disposition, the sequence) is still no queue call and one funnel call.
// A guard: the whole-record defect of the generic and FreeSWITCH builders
// has no place to arise here.
func TestAsteriskCDRResentIsOneCall(t *testing.T) {
	row := `"","+4512345678","70000","from-pstn","","SIP/trunk-00000001","Local/200@agents-00000002;1","Queue","support,t,,,300","2024-03-01 09:00:20","2024-03-01 09:00:20","2024-03-01 09:03:00",160,%d,"%s","DOCUMENTATION","1709280000.1","","","1709280000.1",%d` + "\n"
	in := fmt.Sprintf(row, 0, "NO ANSWER", 1) + fmt.Sprintf(row, 160, "ANSWERED", 2) + fmt.Sprintf(row, 160, "ANSWERED", 2)
	events, rejects, _ := qlDecode(t, DecodeAsteriskCDR, in, cdrOpt(t))
	if len(rejects) != 0 || len(events) != 3 {
		t.Fatalf("got %d events, rejects %v; want 3 events", len(events), rejects)
	}
	if calls := BuildCalls(events, BuildOptions{}); len(calls) != 0 {
		t.Errorf("got queue calls %+v; want none from Asterisk CDRs", calls)
	}
	fc := Funnel(events, nil, []FunnelEntry{{Name: "main", Numbers: []string{"70000"}}})
	if len(fc) != 1 || fc[0].Outcome != FunnelQueue || fc[0].Queue != "support" {
		t.Errorf("got funnel calls %+v; want one call that reached support", fc)
	}
}
