package cdr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	_ "time/tzdata" // Europe/Copenhagen on machines without zoneinfo
)

// qlDecode runs dec over input and returns everything it handed to fn, and
// how many batches there were.
func qlDecode(t testing.TB, dec DecodeFunc, input string, opt DecodeOptions) ([]Event, []*DecodeError, int) {
	t.Helper()
	var events []Event
	var rejects []*DecodeError
	batches := 0
	err := dec(strings.NewReader(input), opt, func(b Batch) error {
		batches++
		events = append(events, b.Events...)
		rejects = append(rejects, b.Rejects...)
		return nil
	})
	if err != nil {
		t.Fatalf("decode: got error %v; want nil", err)
	}
	return events, rejects, batches
}

// qlOne decodes one file-form line that must be accepted.
func qlOne(t *testing.T, line string, opt DecodeOptions) Event {
	t.Helper()
	events, rejects, _ := qlDecode(t, DecodeQueueLog, line+"\n", opt)
	if len(rejects) != 0 || len(events) != 1 {
		t.Fatalf("%q: got %d events, rejects %v; want 1 event", line, len(events), rejects)
	}
	return events[0]
}

func qlCopenhagen(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDecodeQueueLogVerbs(t *testing.T) {
	tests := []struct {
		line   string
		verb   string
		unix   int64
		micros uint32
		queue  string
		agent  string
		data   [5]string
	}{
		{"1717000100|c1|support|NONE|ENTERQUEUE||4522334455|1", "ENTERQUEUE", 1717000100, 0, "support", "NONE", [5]string{"", "4522334455", "1"}},
		{"1717000100|c1|support|NONE|ENTERQUEUE||4522334455|1|Jane Doe", "ENTERQUEUE", 1717000100, 0, "support", "NONE", [5]string{"", "4522334455", "1", "Jane Doe"}},
		{"1717000130|c1|support|PJSIP/201|CONNECT|30|1717000118.12|2", "CONNECT", 1717000130, 0, "support", "PJSIP/201", [5]string{"30", "1717000118.12", "2"}},
		{"1717000310|c1|support|PJSIP/201|COMPLETECALLER|30|180|1", "COMPLETECALLER", 1717000310, 0, "support", "PJSIP/201", [5]string{"30", "180", "1"}},
		{"1717000310|c1|support|PJSIP/201|COMPLETEAGENT|30|180|1", "COMPLETEAGENT", 1717000310, 0, "support", "PJSIP/201", [5]string{"30", "180", "1"}},
		{"1717000503|c1|support|NONE|ABANDON|1|2|3", "ABANDON", 1717000503, 0, "support", "NONE", [5]string{"1", "2", "3"}},
		{"1717000900|c1|sales|NONE|EXITWITHTIMEOUT|1|1|300", "EXITWITHTIMEOUT", 1717000900, 0, "sales", "NONE", [5]string{"1", "1", "300"}},
		{"1717000909|c1|support|NONE|EXITEMPTY|1|1|8", "EXITEMPTY", 1717000909, 0, "support", "NONE", [5]string{"1", "1", "8"}},
		{"1717001042|c1|support|NONE|EXITWITHKEY|5|1|3|42", "EXITWITHKEY", 1717001042, 0, "support", "NONE", [5]string{"5", "1", "3", "42"}},
		{"1717001120|c1|support|NONE|WITHDRAW|1|1|20|moved", "WITHDRAW", 1717001120, 0, "support", "NONE", [5]string{"1", "1", "20", "moved"}},
		{"1717001260|c1|support|PJSIP/201|TRANSFER|2000|from-internal|10|50|1", "TRANSFER", 1717001260, 0, "support", "PJSIP/201", [5]string{"2000", "from-internal", "10", "50", "1"}},
		{"1717001340|c1|support|PJSIP/202|BLINDTRANSFER|2001|from-internal|7|33|1", "BLINDTRANSFER", 1717001340, 0, "support", "PJSIP/202", [5]string{"2001", "from-internal", "7", "33", "1"}},
		{"1717001476|c1|support|PJSIP/201|ATTENDEDTRANSFER|BRIDGE|b1a2|6|70|1", "ATTENDEDTRANSFER", 1717001476, 0, "support", "PJSIP/201", [5]string{"BRIDGE", "b1a2", "6", "70", "1"}},
		// The LINK form has six parameters: the remainder lands in data5,
		// as in Asterisk's adaptive DB mode.
		{"1717001554|c1|support|PJSIP/202|ATTENDEDTRANSFER|LINK|PJSIP/202-a|PJSIP/203-b|9|45|1", "ATTENDEDTRANSFER", 1717001554, 0, "support", "PJSIP/202", [5]string{"LINK", "PJSIP/202-a", "PJSIP/203-b", "9", "45|1"}},
		{"1717000112|c1|support|PJSIP/202|RINGNOANSWER|12000", "RINGNOANSWER", 1717000112, 0, "support", "PJSIP/202", [5]string{"12000"}},
		{"1366720340|1366720340.303267|MYQUEUE|SIP/8007|RINGNOANSWER|1000", "RINGNOANSWER", 1366720340, 0, "MYQUEUE", "SIP/8007", [5]string{"1000"}},
		{"1717000503|c1|support|PJSIP/201|RINGCANCELED|3000", "RINGCANCELED", 1717000503, 0, "support", "PJSIP/201", [5]string{"3000"}},
		{"1717001600|c1|support|PJSIP/201|AGENTDUMP|", "AGENTDUMP", 1717001600, 0, "support", "PJSIP/201", [5]string{}},
		{"1717001601|c1|support|NONE|SYSCOMPAT|", "SYSCOMPAT", 1717001601, 0, "support", "NONE", [5]string{}},
		{"1717000011|CLI|support|PJSIP/202|ADDMEMBER|PAUSED", "ADDMEMBER", 1717000011, 0, "support", "PJSIP/202", [5]string{"PAUSED"}},
		{"1717007201|MANAGER|support|PJSIP/201|REMOVEMEMBER|", "REMOVEMEMBER", 1717007201, 0, "support", "PJSIP/201", [5]string{}},
		{"1717000013|NONE|support|PJSIP/202|PAUSE|lunch", "PAUSE", 1717000013, 0, "support", "PJSIP/202", [5]string{"lunch"}},
		{"1717000012|NONE|support|PJSIP/202|UNPAUSE|Auto-Unpause", "UNPAUSE", 1717000012, 0, "support", "PJSIP/202", [5]string{"Auto-Unpause"}},
		{"1717000015|NONE|NONE|PJSIP/202|PAUSEALL|meeting", "PAUSEALL", 1717000015, 0, "NONE", "PJSIP/202", [5]string{"meeting"}},
		{"1717000014|NONE|NONE|PJSIP/202|UNPAUSEALL|", "UNPAUSEALL", 1717000014, 0, "NONE", "PJSIP/202", [5]string{}},
		{"1717000016|NONE|support|PJSIP/201|PENALTY|3", "PENALTY", 1717000016, 0, "support", "PJSIP/201", [5]string{"3"}},
		{"1717000017|NONE|support|PJSIP/201|RINGINUSE|0", "RINGINUSE", 1717000017, 0, "support", "PJSIP/201", [5]string{"0"}},
		{"1717000020|c2|NONE|Agent/1001|AGENTLOGIN|PJSIP/201-00000001", "AGENTLOGIN", 1717000020, 0, "NONE", "Agent/1001", [5]string{"PJSIP/201-00000001"}},
		{"1717003600|c2|NONE|Agent/1001|AGENTLOGOFF|PJSIP/201-00000001|3580", "AGENTLOGOFF", 1717003600, 0, "NONE", "Agent/1001", [5]string{"PJSIP/201-00000001", "3580"}},
		{"1717000021|c3|NONE|Agent/1002|AGENTCALLBACKLOGIN|1002@agents", "AGENTCALLBACKLOGIN", 1717000021, 0, "NONE", "Agent/1002", [5]string{"1002@agents"}},
		{"1717007200|c3|NONE|Agent/1002|AGENTCALLBACKLOGOFF|1002@agents|7179|CommandLogoff", "AGENTCALLBACKLOGOFF", 1717007200, 0, "NONE", "Agent/1002", [5]string{"1002@agents", "7179", "CommandLogoff"}},
		{"1717001800|c4|NONE|PJSIP/201|OUTCALL|ANSWERED|95|x", "OUTCALL", 1717001800, 0, "NONE", "PJSIP/201", [5]string{"ANSWERED", "95", "x"}},
		{"1717000000|NONE|NONE|NONE|QUEUESTART|", "QUEUESTART", 1717000000, 0, "NONE", "NONE", [5]string{}},
		{"1717000005|NONE|NONE|NONE|CONFIGRELOAD|", "CONFIGRELOAD", 1717000005, 0, "NONE", "NONE", [5]string{}},
		// Custom verbs are kept as facts.
		{"1717000100|c1|support|NONE|DID|4570201234", "DID", 1717000100, 0, "support", "NONE", [5]string{"4570201234"}},
		{"1717001700|c1|support|NONE|FULL|", "FULL", 1717001700, 0, "support", "NONE", [5]string{}},
		{"1717001701|c1|support|NONE|JOINEMPTY|", "JOINEMPTY", 1717001701, 0, "support", "NONE", [5]string{}},
		{"1717001702|c1|support|NONE|JOINUNAVAIL|", "JOINUNAVAIL", 1717001702, 0, "support", "NONE", [5]string{}},
		{"1717001703|c1|support|NONE|CLOSED|", "CLOSED", 1717001703, 0, "support", "NONE", [5]string{}},
		{"1717001704|c1|support|NONE|INFO|a|b|c|d|e|f|g", "INFO", 1717001704, 0, "support", "NONE", [5]string{"a", "b", "c", "d", "e|f|g"}},
		{"1717001100|c1|NONE|Agent/2001|OUTDIAL|5550007777", "OUTDIAL", 1717001100, 0, "NONE", "Agent/2001", [5]string{"5550007777"}},
		// The verb is upper-cased and trimmed, the epoch may have a fraction,
		// and a line without any data field is accepted.
		{"1717000130.25| c1 |support|PJSIP/201| connect |30|u|2", "CONNECT", 1717000130, 250000, "support", "PJSIP/201", [5]string{"30", "u", "2"}},
		{"1717000130.1234567|c1|support|NONE|QUEUESTART", "QUEUESTART", 1717000130, 123456, "support", "NONE", [5]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.verb, func(t *testing.T) {
			e := qlOne(t, tt.line, DecodeOptions{Switch: "pbx1"})
			if e.Verb != tt.verb {
				t.Errorf("verb: got %q; want %q", e.Verb, tt.verb)
			}
			if !e.Time.Equal(time.Unix(tt.unix, 0)) || e.Time.Location() != time.UTC || e.Micros != tt.micros {
				t.Errorf("time: got %v +%dµs; want %v +%dµs UTC", e.Time, e.Micros, time.Unix(tt.unix, 0).UTC(), tt.micros)
			}
			if e.CallID != "c1" && !strings.Contains(tt.line, "|"+e.CallID+"|") {
				t.Errorf("callid: got %q", e.CallID)
			}
			if e.Queue != tt.queue || e.Agent != tt.agent {
				t.Errorf("queue, agent: got %q, %q; want %q, %q", e.Queue, e.Agent, tt.queue, tt.agent)
			}
			if e.Data != tt.data {
				t.Errorf("data: got %q; want %q", e.Data, tt.data)
			}
			if e.Switch != "pbx1" || e.Source != SourceQueueLog || e.Line != 1 {
				t.Errorf("switch, source, line: got %q, %q, %d; want pbx1, %s, 1", e.Switch, e.Source, e.Line, SourceQueueLog)
			}
			if e.ID != EventID(&e) {
				t.Errorf("id: got %x; want EventID %x", e.ID, EventID(&e))
			}
			// The same line again, later in another input, is the same fact.
			again, _, _ := qlDecode(t, DecodeQueueLog, "\n"+tt.line+"\r\n", DecodeOptions{Switch: "pbx1"})
			if len(again) != 1 || again[0].ID != e.ID {
				t.Errorf("same line twice: got %v; want id %x", again, e.ID)
			}
			other := qlOne(t, tt.line, DecodeOptions{Switch: "pbx2"})
			if other.ID == e.ID {
				t.Errorf("another switch: got the same id %x; want a different one", e.ID)
			}
		})
	}
}

func TestDecodeQueueLogDefaults(t *testing.T) {
	e := qlOne(t, "1717000100|c1|support|NONE|ENTERQUEUE||4522334455|1", DecodeOptions{})
	if e.Switch != DefaultSwitch {
		t.Errorf("switch: got %q; want %q", e.Switch, DefaultSwitch)
	}
	// Trailing empty data fields do not change the fact.
	e2 := qlOne(t, "1717000100|c1|support|NONE|ENTERQUEUE||4522334455|1||", DecodeOptions{})
	if e2.ID != e.ID {
		t.Errorf("trailing empty fields: got id %x; want %x", e2.ID, e.ID)
	}
}

// TestQueueLogSameIDAcrossForms checks that a fact has one id whichever form
// it came in: file, realtime table (local times with microseconds), a `data`
// column, or PBXware's layout.
func TestQueueLogSameIDAcrossForms(t *testing.T) {
	opt := DecodeOptions{Switch: "pbx1", Location: qlCopenhagen(t)}
	tests := []struct {
		name, file, csv string
	}{
		{"realtime", "1717000130|1717000100.11|support|PJSIP/201|CONNECT|30|1717000118.12|2",
			"time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n2024-05-29 18:28:50.000001,1717000100.11,support,PJSIP/201,CONNECT,30,1717000118.12,2,,\n"},
		{"realtime data5 remainder", "1717001554|c9|support|PJSIP/202|ATTENDEDTRANSFER|LINK|PJSIP/202-a|PJSIP/203-b|9|45|1",
			"time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n2024-05-29 18:52:34.5,c9,support,PJSIP/202,ATTENDEDTRANSFER,LINK,PJSIP/202-a,PJSIP/203-b,9,45|1\n"},
		{"data column", "1717000100|c1|support|NONE|ENTERQUEUE||4522334455|1",
			"time,callid,queuename,agent,event,data\n1717000100.303,c1,support,NONE,ENTERQUEUE,|4522334455|1\n"},
		{"pbxware connect", "1717000122|1717000098.7|helpdesk|Agent/2001|CONNECT|22|1717000117.9|4",
			"uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,htime,ttime,time\n6,1717000122,1717000098.7,helpdesk,Agent/2001,CONNECT,,1717000117.9,4,0,0,22,0,\"2024-05-29 18:28:42\"\n"},
		{"pbxware abandon", "1717000441|c3|helpdesk|NONE|ABANDON|1|1|41",
			"uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,htime,ttime,time\n12,1717000441,c3,helpdesk,NONE,ABANDON,5550003333,,,1,1,41,0,\"2024-05-29 18:34:01\"\n"},
		{"pbxware complete", "1717000250|c4|helpdesk|Agent/2001|COMPLETECALLER|22|128|1",
			"uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,htime,ttime,time\n7,1717000250,c4,helpdesk,Agent/2001,COMPLETECALLER,5550001111,,,1,0,22,128,\"2024-05-29 18:30:50\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := qlOne(t, tt.file, opt)
			events, rejects, _ := qlDecode(t, DecodeQueueLogDB, tt.csv, opt)
			if len(events) != 1 || len(rejects) != 0 {
				t.Fatalf("db form: got %d events, rejects %v; want 1 event", len(events), rejects)
			}
			d := events[0]
			if d.ID != f.ID || d.Data != f.Data || !d.Time.Equal(f.Time) {
				t.Errorf("db form: got id %x data %q time %v; want id %x data %q time %v", d.ID, d.Data, d.Time, f.ID, f.Data, f.Time)
			}
			if d.Source != SourceQueueLogDB || d.Line != 2 {
				t.Errorf("db form: got source %q line %d; want %s, 2", d.Source, d.Line, SourceQueueLogDB)
			}
		})
	}
}

func TestDecodeQueueLogDBTimes(t *testing.T) {
	loc := qlCopenhagen(t)
	head := "time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n"
	tests := []struct {
		time   string
		loc    *time.Location
		want   time.Time
		micros uint32
	}{
		{"2024-05-29 18:28:50.303267", loc, time.Date(2024, 5, 29, 16, 28, 50, 0, time.UTC), 303267},
		{"2024-05-29 18:28:50", nil, time.Date(2024, 5, 29, 18, 28, 50, 0, time.UTC), 0},
		{"2024-01-10 08:00:00.5", loc, time.Date(2024, 1, 10, 7, 0, 0, 0, time.UTC), 500000},
		{"2024-05-29T18:28:50", loc, time.Date(2024, 5, 29, 16, 28, 50, 0, time.UTC), 0},
		{"1717000130", loc, time.Unix(1717000130, 0).UTC(), 0},
		{"1717000130.000042", loc, time.Unix(1717000130, 0).UTC(), 42},
	}
	for _, tt := range tests {
		events, rejects, _ := qlDecode(t, DecodeQueueLogDB, head+tt.time+",c1,q,NONE,ENTERQUEUE,,,,,\n", DecodeOptions{Location: tt.loc})
		if len(events) != 1 {
			t.Errorf("%s: got rejects %v; want 1 event", tt.time, rejects)
			continue
		}
		if e := events[0]; !e.Time.Equal(tt.want) || e.Time.Location() != time.UTC || e.Micros != tt.micros {
			t.Errorf("%s: got %v +%dµs; want %v +%dµs", tt.time, e.Time, e.Micros, tt.want, tt.micros)
		}
	}
}

// qlWantReject is one expected refusal: line, field and a piece of the reason.
type qlWantReject struct {
	line         int
	field, words string
}

func qlCheckRejects(t *testing.T, got []*DecodeError, want []qlWantReject, lines []string) {
	t.Helper()
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("reject: %v", g)
		}
		t.Fatalf("got %d rejects; want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.line || g.Field != w.field || !strings.Contains(g.Reason, w.words) {
			t.Errorf("reject %d: got line %d field %q reason %q; want line %d field %q reason with %q", i, g.Line, g.Field, g.Reason, w.line, w.field, w.words)
		}
		if lines != nil && g.Raw != lines[g.Line-1] {
			t.Errorf("reject %d: got raw %q; want %q", i, g.Raw, lines[g.Line-1])
		}
		if !errors.Is(g, ErrInvalid) {
			t.Errorf("reject %d: errors.Is(ErrInvalid) is false", i)
		}
		if g.Reason != strings.ToLower(g.Reason[:1])+g.Reason[1:] {
			t.Errorf("reject %d: reason %q starts upper case", i, g.Reason)
		}
	}
}

func TestDecodeQueueLogRejects(t *testing.T) {
	b, err := os.ReadFile("testdata/queuelog/bad.log")
	if err != nil {
		t.Fatal(err)
	}
	opt := DecodeOptions{Now: time.Unix(1717010000, 0)}
	events, rejects, _ := qlDecode(t, DecodeQueueLog, string(b), opt)
	lines := strings.Split(string(b), "\n")
	qlCheckRejects(t, rejects, []qlWantReject{
		{2, "agent", "too few fields: 3 of at least 5"},
		{3, "time", "is not unix seconds"},
		{4, "time", "is not unix seconds"},
		{5, "time", "out of range"},
		{6, "time", "in the future"},
		{7, "callid", "empty call id"},
		{8, "event", "empty event"},
		{9, "event", "is not a word"},
		// Lines 10, 11, 13 and 14 have waits below 0 or over 24 h: facts
		// kept, whose stays the builder refuses (TestBuildCallsInvalidWaits).
		{12, "data1", `wait "5s" is not a whole number`},
		{15, "data4", `wait "abc" is not a whole number`},
		{16, "data2", "talk -60 s is negative"},
		{17, "data2", "talk 100000 s is over 24 h"},
	}, lines)
	// The good lines around the bad ones are all kept.
	var got []int
	for _, e := range events {
		got = append(got, e.Line)
	}
	if fmt.Sprint(got) != "[1 10 11 13 14 18 19]" {
		t.Errorf("kept lines: got %v; want [1 10 11 13 14 18 19]", got)
	}
	if r := rejects[4].Reason; !strings.Contains(r, "in the future") || !strings.Contains(r, "80h") {
		t.Errorf("future reason: got %q; want how far ahead (80h…)", r)
	}
	// Without Now there is no future check.
	_, rejects, _ = qlDecode(t, DecodeQueueLog, lines[5], DecodeOptions{})
	if len(rejects) != 0 {
		t.Errorf("zero Now: got %v; want no reject", rejects)
	}
	// Four minutes ahead is allowed.
	_, rejects, _ = qlDecode(t, DecodeQueueLog, "1717000240|c1|q|NONE|ENTERQUEUE", DecodeOptions{Now: time.Unix(1717000000, 0)})
	if len(rejects) != 0 {
		t.Errorf("4 min ahead: got %v; want no reject", rejects)
	}
}

func TestDecodeQueueLogTooFewFields(t *testing.T) {
	for in, field := range map[string]string{
		"1717000100":               "callid",
		"1717000100|c1":            "queuename",
		"1717000100|c1|q":          "agent",
		"1717000100|c1|q|NONE":     "event",
		"1717000100|c1|q|NONE|":    "event", // five fields, the event empty
		"1717000100|c1|q|NONE|X|1": "",
	} {
		events, rejects, _ := qlDecode(t, DecodeQueueLog, in, DecodeOptions{})
		if field == "" {
			if len(events) != 1 {
				t.Errorf("%q: got rejects %v; want an event", in, rejects)
			}
			continue
		}
		if len(rejects) != 1 || rejects[0].Field != field {
			t.Errorf("%q: got %v; want one reject in field %s", in, rejects, field)
		}
	}
}

func TestDecodeQueueLogLongLines(t *testing.T) {
	good := "1717000100|c1|q|NONE|ENTERQUEUE||4522334455|1"
	long := "1717000100|c2|q|NONE|INFO|" + strings.Repeat("x", 200)
	in := good + "\n" + long + "\n" + good + "\n" + long // the last without newline
	events, rejects, _ := qlDecode(t, DecodeQueueLog, in, DecodeOptions{MaxLineBytes: 100})
	if len(events) != 2 || events[0].Line != 1 || events[1].Line != 3 {
		t.Errorf("events: got %v; want lines 1 and 3", events)
	}
	qlCheckRejects(t, rejects, []qlWantReject{{2, "", "longer than 100 bytes"}, {4, "", "longer than 100 bytes"}}, nil)
	// A line of exactly the limit is fine, with or without CR.
	exact := good[:len(good)-1] + strings.Repeat("1", 100-len(good)+1)
	events, rejects, _ = qlDecode(t, DecodeQueueLog, exact+"\r\n"+exact, DecodeOptions{MaxLineBytes: 100})
	if len(events) != 2 || len(rejects) != 0 {
		t.Errorf("exact limit: got %d events, rejects %v; want 2 events", len(events), rejects)
	}
	// The DB form rejects a long record too, and goes on.
	csvIn := "time,callid,queuename,agent,event,data\n1717000100,c1,q,NONE,INFO,x\n1717000100,c2,q,NONE,INFO," + strings.Repeat("y", 200) + "\n1717000100,c3,q,NONE,INFO,z\n"
	events, rejects, _ = qlDecode(t, DecodeQueueLogDB, csvIn, DecodeOptions{MaxLineBytes: 100})
	if len(events) != 2 || events[1].CallID != "c3" {
		t.Errorf("db form: got events %v; want c1 and c3", events)
	}
	qlCheckRejects(t, rejects, []qlWantReject{{3, "", "longer than 100 bytes"}}, nil)
}

func TestDecodeQueueLogDBRejects(t *testing.T) {
	b, err := os.ReadFile("testdata/queuelog/bad.csv")
	if err != nil {
		t.Fatal(err)
	}
	opt := DecodeOptions{Location: qlCopenhagen(t), Now: time.Unix(1717010000, 0)}
	events, rejects, _ := qlDecode(t, DecodeQueueLogDB, string(b), opt)
	lines := strings.Split(string(b), "\n")
	qlCheckRejects(t, rejects, []qlWantReject{
		{3, "agent", "too few fields: 3 of 10"},
		{4, "time", "neither unix seconds nor"},
		{5, "callid", "empty call id"},
		{6, "event", "empty event"},
		// Lines 7 and 8 have waits below 0 or over 24 h: kept, for the
		// builder to refuse their stays.
		{9, "time", "in the future"},
		{10, "data4", `wait "4.5" is not a whole number`},
	}, lines)
	if len(events) != 4 || events[0].Line != 2 || events[1].Line != 7 || events[2].Line != 8 || events[3].Line != 12 {
		t.Errorf("kept: got %v; want lines 2, 7, 8 and 12", events)
	}
}

func TestDecodeQueueLogDBHeader(t *testing.T) {
	tests := []struct {
		in, field string
	}{
		{"callid,queuename,agent,event\nc1,q,NONE,ENTERQUEUE\n", "time"},
		{"time,queuename,agent,event\n1717000100,q,NONE,ENTERQUEUE\n", "callid"},
		{"time,callid,agent,event\n1717000100,c1,NONE,ENTERQUEUE\n", "queuename"},
		{"time,callid,queuename,event\n1717000100,c1,q,ENTERQUEUE\n", "agent"},
		{"time,callid,queuename,agent,data1\n1717000100,c1,q,NONE,x\n", "event"},
		{"uid,date_time,callid,queue_name,event,param1\n1,1717000100,c1,q,ENTERQUEUE,x\n", "agent"},
		{"time;callid;queuename;agent;event\n1717000100;c1;q;NONE;ENTERQUEUE\n", "time"},
	}
	for _, tt := range tests {
		events, rejects, _ := qlDecode(t, DecodeQueueLogDB, tt.in, DecodeOptions{})
		if len(events) != 0 || len(rejects) != 1 {
			t.Errorf("%q: got %d events, %d rejects; want one reject", tt.in, len(events), len(rejects))
			continue
		}
		r := rejects[0]
		if r.Line != 1 || r.Field != tt.field || !strings.Contains(r.Reason, "header has no "+tt.field+" column") {
			t.Errorf("%q: got %v; want line 1 field %s", tt.in, r, tt.field)
		}
	}
	// An empty input or a header alone decodes to nothing.
	for _, in := range []string{"", "time,callid,queuename,agent,event\n"} {
		events, rejects, batches := qlDecode(t, DecodeQueueLogDB, in, DecodeOptions{})
		if len(events)+len(rejects)+batches != 0 {
			t.Errorf("%q: got %d events, %d rejects, %d batches; want nothing", in, len(events), len(rejects), batches)
		}
	}
}

func TestDecodeQueueLogBatches(t *testing.T) {
	var lines []string
	for i := range 10 {
		lines = append(lines, fmt.Sprintf("17170001%02d|c%d|q|NONE|ENTERQUEUE||1|1", i, i))
	}
	lines[4] = "bad"
	lines[7] = ""
	in := strings.Join(lines, "\n")
	var got []Batch
	err := DecodeQueueLog(strings.NewReader(in), DecodeOptions{BatchSize: 3}, func(b Batch) error {
		got = append(got, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Lines 1–3, 4–6, 7–9 and 10: 4 batches; 8 events, 1 reject.
	var sizes []string
	for _, b := range got {
		sizes = append(sizes, fmt.Sprintf("%d+%d", len(b.Events), len(b.Rejects)))
	}
	if s := strings.Join(sizes, " "); s != "3+0 2+1 2+0 1+0" {
		t.Errorf("batches (events+rejects): got %s; want 3+0 2+1 2+0 1+0", s)
	}
	// No batch shares memory with another.
	got[0].Events[0].CallID = "changed"
	for _, b := range got[1:] {
		for _, e := range b.Events {
			if e.CallID == "changed" {
				t.Errorf("batches share their backing arrays")
			}
		}
	}
	// An error from fn stops decoding and is returned.
	stop := errors.New("stop")
	calls := 0
	err = DecodeQueueLog(strings.NewReader(in), DecodeOptions{BatchSize: 3}, func(Batch) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn error: got %v after %d calls; want stop after 1", err, calls)
	}
	err = DecodeQueueLogDB(strings.NewReader("time,callid,queuename,agent,event\n1,c,q,a,X\n1,c,q,a,Y\n"), DecodeOptions{BatchSize: 1}, func(Batch) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("db fn error: got %v; want stop", err)
	}
}

func TestDecodeQueueLogReadError(t *testing.T) {
	boom := errors.New("boom")
	for name, dec := range map[string]DecodeFunc{"file": DecodeQueueLog, "db": DecodeQueueLogDB} {
		err := dec(iotest.ErrReader(boom), DecodeOptions{}, func(Batch) error { return nil })
		if !errors.Is(err, boom) {
			t.Errorf("%s: got %v; want boom", name, err)
		}
	}
	// TimeoutReader fails its second read: the first line is read whole
	// and the error is still returned.
	r := iotest.TimeoutReader(strings.NewReader("1717000100|c1|q|NONE|ENTERQUEUE\n"))
	err := DecodeQueueLog(r, DecodeOptions{}, func(Batch) error { return nil })
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("second read: got %v; want ErrTimeout", err)
	}
}

// qlGoldenEvent and qlGoldenReject are the normalised JSON of the golden
// files; the id is hex so that JSON readers lose no bits.
type qlGoldenEvent struct {
	Line   int       `json:"line"`
	ID     string    `json:"id"`
	Switch string    `json:"switch"`
	Source string    `json:"source"`
	Time   string    `json:"time"`
	Micros uint32    `json:"micros"`
	CallID string    `json:"callid"`
	Queue  string    `json:"queue"`
	Agent  string    `json:"agent"`
	Verb   string    `json:"verb"`
	Data   [5]string `json:"data"`
}

type qlGoldenReject struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
}

type qlGolden struct {
	Events  []qlGoldenEvent  `json:"events"`
	Rejects []qlGoldenReject `json:"rejects"`
}

// TestQueueLogGolden decodes every testdata/queuelog/*.log (file form) and
// *.csv (DB form) and compares with its .golden; -update rewrites them.
func TestQueueLogGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/queuelog/*.*")
	if err != nil {
		t.Fatal(err)
	}
	opt := DecodeOptions{Switch: "pbx1", Location: qlCopenhagen(t), Now: time.Unix(1717010000, 0)}
	n := 0
	for _, in := range inputs {
		var dec DecodeFunc
		switch filepath.Ext(in) {
		case ".log":
			dec = DecodeQueueLog
		case ".csv":
			dec = DecodeQueueLogDB
		default:
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			b, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			events, rejects, _ := qlDecode(t, dec, string(b), opt)
			g := qlGolden{Events: []qlGoldenEvent{}, Rejects: []qlGoldenReject{}}
			for _, e := range events {
				g.Events = append(g.Events, qlGoldenEvent{e.Line, fmt.Sprintf("%016x", e.ID), e.Switch, e.Source,
					e.Time.Format(time.RFC3339), e.Micros, e.CallID, e.Queue, e.Agent, e.Verb, e.Data})
			}
			for _, r := range rejects {
				g.Rejects = append(g.Rejects, qlGoldenReject{r.Line, r.Field, r.Reason, r.Raw})
			}
			got, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := in + ".golden"
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cdr -run TestQueueLogGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; got:\n%s", in, path, got)
			}
		})
	}
	if n < 8 {
		t.Errorf("got %d inputs in testdata/queuelog; want at least 8", n)
	}
}

// TestQueueLogGoldenSameFacts checks that the realtime-table samples hold the
// same facts (ids) as the file-form sample they were written from.
func TestQueueLogGoldenSameFacts(t *testing.T) {
	opt := DecodeOptions{Switch: "pbx1", Location: qlCopenhagen(t)}
	read := func(name string, dec DecodeFunc) []Event {
		b, err := os.ReadFile("testdata/queuelog/" + name)
		if err != nil {
			t.Fatal(err)
		}
		events, rejects, _ := qlDecode(t, dec, string(b), opt)
		if len(rejects) != 0 {
			t.Fatalf("%s: got rejects %v; want none", name, rejects)
		}
		return events
	}
	ids := map[uint64]bool{}
	for _, e := range read("verbs.log", DecodeQueueLog) {
		ids[e.ID] = true
	}
	for _, name := range []string{"realtime_adaptive.csv", "realtime_data.csv", "freepbx_both.csv"} {
		for _, e := range read(name, DecodeQueueLogDB) {
			if e.CallID == "1717000401.21" { // the one row written only in the DB form
				continue
			}
			if !ids[e.ID] {
				t.Errorf("%s line %d (%s %s): got an id not in verbs.log", name, e.Line, e.Verb, e.Time)
			}
		}
	}
}

// TestDecodeQueueLogDBPBXwareExport reads a real 1,000-row export of a Bicom
// PBXware queue_log table (research/acd-anchors.md §4; not shipped in this
// repository, see its PROVENANCE.md). The expected numbers were counted from
// the file itself, not from the decoder:
//
//	awk -F, 'NR>1{print $6}' pbxware_queue_log_dbexport.csv | sort | uniq -c
//	12 ABANDON, 26 ADDMEMBER, 14 AGENTCALLBACKLOGIN, 10 AGENTCALLBACKLOGOFF,
//	1 ATTENDEDTRANSFER, 1 BLINDTRANSFER, 51 COMPLETEAGENT, 38 COMPLETECALLER,
//	11 CONFIGRELOAD, 93 CONNECT, 108 ENTERQUEUE, 1 EXITWITHTIMEOUT,
//	77 OUTANSWER, 24 OUTCANCEL, 18 OUTCHANUNAVAIL, 9 OUTCONGESTION,
//	128 OUTDIAL, 1 OUTTRANSFER, 7 QUEUESTART, 10 REMOVEMEMBER, 360 RINGNOANSWER
//	wc -l → 1001 lines: a header and 1000 rows, every one with 14 fields
//	(awk -F, 'NR>1 && NF!=14' prints nothing), so 1000 events, 0 rejects.
//
// Row uid 19 (file line 20) is a CONNECT whose htime 76 is the wait: its
// ENTERQUEUE (uid 13) is 76 s earlier. The EXITWITHTIMEOUT (uid 526, line 527)
// has htime 300, and the BLINDTRANSFER (uid 928, line 929) reads
// param1..3 = caller 14154246089, extension 1142, context transfer.
// A python csv.DictReader pass found 106 CONNECT/ABANDON/EXITWITHTIMEOUT rows
// whose ENTERQUEUE is in the file, and in all of them htime equals the seconds
// since that ENTERQUEUE (±1 s): that is the check at the end.
func TestDecodeQueueLogDBPBXwareExport(t *testing.T) {
	const path = "../../shared/testdata/acd/pbxware_queue_log_dbexport.csv"
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent (the shared reference data is not checked out)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	events, rejects, _ := qlDecode(t, DecodeQueueLogDB, string(b), DecodeOptions{Switch: "pbxware"})
	if len(events) != 1000 || len(rejects) != 0 {
		t.Fatalf("got %d events, %d rejects (%v); want 1000 and 0", len(events), len(rejects), rejects)
	}
	counts := map[string]int{}
	for _, e := range events {
		counts[e.Verb]++
	}
	want := map[string]int{
		"ABANDON": 12, "ADDMEMBER": 26, "AGENTCALLBACKLOGIN": 14, "AGENTCALLBACKLOGOFF": 10,
		"ATTENDEDTRANSFER": 1, "BLINDTRANSFER": 1, "COMPLETEAGENT": 51, "COMPLETECALLER": 38,
		"CONFIGRELOAD": 11, "CONNECT": 93, "ENTERQUEUE": 108, "EXITWITHTIMEOUT": 1,
		"OUTANSWER": 77, "OUTCANCEL": 24, "OUTCHANUNAVAIL": 18, "OUTCONGESTION": 9,
		"OUTDIAL": 128, "OUTTRANSFER": 1, "QUEUESTART": 7, "REMOVEMEMBER": 10, "RINGNOANSWER": 360,
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("verbs: got %v; want %v", counts, want)
	}
	byLine := map[int]Event{}
	for _, e := range events {
		byLine[e.Line] = e
	}
	for _, tt := range []struct {
		line  int
		verb  string
		unix  int64
		agent string
		data  [5]string
	}{
		{2, "QUEUESTART", 1543527289, "NONE", [5]string{}},
		{14, "ENTERQUEUE", 1543602677, "NONE", [5]string{"", "17038225596", "1"}},
		{15, "RINGNOANSWER", 1543602687, "Agent/1141", [5]string{"10000"}},
		{20, "CONNECT", 1543602753, "Agent/1127", [5]string{"76", "1543602746.232", "6"}},
		{21, "COMPLETECALLER", 1543603600, "Agent/1127", [5]string{"76", "847", "1"}},
		{28, "COMPLETEAGENT", 1543605087, "Agent/1141", [5]string{"5", "60", "1"}},
		{295, "ABANDON", 1543852202, "NONE", [5]string{"1", "1", "191"}},
		{296, "ABANDON", 1543852316, "NONE", [5]string{"1", "2", "197"}},
		{527, "EXITWITHTIMEOUT", 1543860763, "NONE", [5]string{"1", "2", "300"}},
		{178, "ATTENDEDTRANSFER", 1543833653, "Agent/1128", [5]string{"", "", "6", "30", "1"}},
		{929, "BLINDTRANSFER", 1543938963, "Agent/1128", [5]string{"1142", "transfer", "6", "38", "1"}},
		{135, "AGENTCALLBACKLOGOFF", 1543625964, "Agent/1141", [5]string{"hint:1141@default", "25195"}},
		{13, "OUTANSWER", 1543602424, "Agent/1127", [5]string{"3318", "COMPLETEAGENT", "", "2", "398"}},
	} {
		e, ok := byLine[tt.line]
		if !ok {
			t.Errorf("line %d: no event", tt.line)
			continue
		}
		if e.Verb != tt.verb || e.Time.Unix() != tt.unix || e.Agent != tt.agent || e.Data != tt.data {
			t.Errorf("line %d: got %s %d %s %q; want %s %d %s %q", tt.line, e.Verb, e.Time.Unix(), e.Agent, e.Data, tt.verb, tt.unix, tt.agent, tt.data)
		}
		if e.Queue != "IT" && e.Queue != "NONE" {
			t.Errorf("line %d: got queue %q; want IT or NONE", tt.line, e.Queue)
		}
	}
	// The wait field of CONNECT, ABANDON and EXITWITHTIMEOUT equals the
	// seconds since the call's ENTERQUEUE, wherever that is in the file.
	enter := map[string]int64{}
	checked := 0
	for _, e := range events {
		key := e.CallID + "\x00" + e.Queue
		waitField := map[string]int{"CONNECT": 0, "ABANDON": 2, "EXITWITHTIMEOUT": 2}
		switch i, ok := waitField[e.Verb]; {
		case e.Verb == "ENTERQUEUE":
			enter[key] = e.Time.Unix()
		case ok:
			t0, seen := enter[key]
			if !seen {
				continue
			}
			w, _ := e.DataInt(i)
			if d := e.Time.Unix() - t0 - w; d < -1 || d > 1 {
				t.Errorf("line %d %s: got wait %d; want %d s since ENTERQUEUE", e.Line, e.Verb, w, e.Time.Unix()-t0)
			}
			checked++
		}
	}
	if checked != 106 {
		t.Errorf("checked waits: got %d; want 106", checked)
	}
}
