package cdr

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLocalCandidates(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	lhi, _ := time.LoadLocation("Australia/Lord_Howe")
	for _, tc := range []struct {
		loc           *time.Location
		wall          string
		first, second string // UTC; equal when not ambiguous
	}{
		{cph, "2025-10-26 02:30:00", "2025-10-26T00:30:00Z", "2025-10-26T01:30:00Z"},
		{cph, "2025-10-26 02:00:00", "2025-10-26T00:00:00Z", "2025-10-26T01:00:00Z"},
		{cph, "2025-10-26 01:59:59", "2025-10-25T23:59:59Z", "2025-10-25T23:59:59Z"},
		{cph, "2025-10-26 03:00:00", "2025-10-26T02:00:00Z", "2025-10-26T02:00:00Z"},
		{cph, "2025-03-30 02:30:00", "", ""}, // skipped by the spring change: whatever Go makes of it, once
		{cph, "2025-07-01 12:00:00", "2025-07-01T10:00:00Z", "2025-07-01T10:00:00Z"},
		// Lord Howe goes back half an hour: 01:30 to 02:00 happens twice.
		{lhi, "2025-04-06 01:45:00", "2025-04-05T14:45:00Z", "2025-04-05T15:15:00Z"},
	} {
		p, err := time.ParseInLocation(time.DateTime, tc.wall, tc.loc)
		if err != nil {
			t.Fatal(err)
		}
		first, second, amb := localCandidates(p, tc.loc)
		if tc.first == "" {
			if amb {
				t.Errorf("%s %s: got two readings %s, %s; want one", tc.loc, tc.wall, first, second)
			}
			continue
		}
		got := first.UTC().Format(time.RFC3339) + " " + second.UTC().Format(time.RFC3339)
		if want := tc.first + " " + tc.second; got != want || amb != (tc.first != tc.second) {
			t.Errorf("%s %s: got %s (ambiguous %v); want %s", tc.loc, tc.wall, got, amb, want)
		}
	}
}

// TestDBFormRepeatedHourIsResolvedPerCall: an export of the queue_log table,
// in the order of its rows, around the autumn change in Copenhagen (02:00
// to 03:00 local happens twice). Each event must get the instant the
// switch wrote it at, so that the DB form and the pipe file of the same
// lines are one set of facts.
func TestDBFormRepeatedHourIsResolvedPerCall(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	type row struct {
		utc                       string // when it happened
		call, queue, agent, event string
		data                      string
	}
	rows := []row{
		// Before the change, wholly in summer time: 02:10 to 02:15 CEST.
		{"2025-10-26T00:10:00Z", "a.1", "sd", "NONE", "ENTERQUEUE", "|4511|1"},
		{"2025-10-26T00:15:00Z", "a.1", "sd", "NONE", "ABANDON", "1|1|300"},
		// Spanning the change: joins at 02:50 CEST, answered at 02:05 CET.
		{"2025-10-26T00:50:00Z", "b.1", "sd", "NONE", "ENTERQUEUE", "|4512|1"},
		{"2025-10-26T01:05:00Z", "b.1", "sd", "PJSIP/1", "CONNECT", "900|b.2|1"},
		{"2025-10-26T01:10:00Z", "b.1", "sd", "PJSIP/1", "COMPLETECALLER", "900|300|1"},
		// After the change, wholly in winter time: 02:20 to 02:25 CET,
		// nothing in the call itself says which 02:20 it is.
		{"2025-10-26T01:20:00Z", "c.1", "sd", "NONE", "ENTERQUEUE", "|4513|1"},
		{"2025-10-26T01:25:00Z", "c.1", "sd", "NONE", "ABANDON", "1|1|300"},
	}
	var db, file strings.Builder
	db.WriteString("id,time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n")
	for i, r := range rows {
		at, err := time.Parse(time.RFC3339, r.utc)
		if err != nil {
			t.Fatal(err)
		}
		d := strings.Split(r.data+"||||", "|")
		fmt.Fprintf(&db, "%d,%s.123456,%s,%s,%s,%s,%s,%s,%s,,\n", i+1, at.In(cph).Format(time.DateTime), r.call, r.queue, r.agent, r.event, d[0], d[1], d[2])
		fmt.Fprintf(&file, "%d|%s|%s|%s|%s|%s\n", at.Unix(), r.call, r.queue, r.agent, r.event, r.data)
	}
	dbEvents, rejects, _ := qlDecode(t, DecodeQueueLogDB, db.String(), DecodeOptions{Location: cph})
	if len(rejects) != 0 {
		t.Fatalf("rejects: %v", rejects)
	}
	fileEvents, _, _ := qlDecode(t, DecodeQueueLog, file.String(), DecodeOptions{})
	if len(dbEvents) != len(rows) {
		t.Fatalf("got %d events; want %d", len(dbEvents), len(rows))
	}
	byLine := map[int]Event{}
	for _, e := range dbEvents {
		byLine[e.Line] = e
	}
	for i, r := range rows {
		e := byLine[i+2] // the header is line 1
		if got := e.Time.Format(time.RFC3339); got != r.utc {
			t.Errorf("row %d %s %s: got %s; want %s", i+1, r.call, r.event, got, r.utc)
		}
		if e.ID != fileEvents[i].ID {
			t.Errorf("row %d %s %s: the DB form's id differs from the file form's", i+1, r.call, r.event)
		}
	}
	calls := BuildCalls(dbEvents, BuildOptions{})
	if len(calls) != 3 || calls[1].Outcome != Answered || calls[1].WaitS != 900 || !calls[1].EnterTime.Equal(time.Date(2025, 10, 26, 0, 50, 0, 0, time.UTC)) {
		t.Errorf("calls: got %+v; want the call across the change answered after 900 s", calls)
	}
}

// TestCDRRepeatedHourIsResolvedPerRecord: a generic CDR row and a cdr_csv
// record of a call that joined in summer time and was answered after the
// clock went back: their local times read as the record's own figures
// say, not all as summer time (which made the answer come before the
// joining).
func TestCDRRepeatedHourIsResolvedPerRecord(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	opt := DecodeOptions{Switch: "pbx", Location: cph}
	csv := "call_id,queue,enter_time,answer_time,end_time,outcome,wait_s,talk_s\n" +
		"b.1,sd,2025-10-26 02:50:00,2025-10-26 02:05:00,2025-10-26 02:10:00,answered,900,300\n" +
		// Wholly in the repeated hour, and nothing says which: summer time.
		"c.1,sd,2025-10-26 02:20:00,,2025-10-26 02:25:00,abandoned,,\n"
	events, rejects, _ := qlDecode(t, DecodeCDRCSV, csv, opt)
	if len(rejects) != 0 || len(events) != 2 {
		t.Fatalf("got %v, rejects %v; want two rows", events, rejects)
	}
	calls := BuildCalls(events, BuildOptions{})
	if len(calls) != 2 {
		t.Fatalf("got %d calls; want 2", len(calls))
	}
	b := calls[0]
	if b.Outcome != Answered || b.WaitS != 900 || b.TalkS != 300 || !b.EnterTime.Equal(time.Date(2025, 10, 26, 0, 50, 0, 0, time.UTC)) {
		t.Errorf("across the change: got %+v; want answered, joined 00:50 UTC, wait 900, talk 300", b)
	}
	if c := calls[1]; !c.EnterTime.Equal(time.Date(2025, 10, 26, 0, 20, 0, 0, time.UTC)) || c.WaitS != 300 {
		t.Errorf("in the repeated hour: got %+v; want the summer-time reading, 00:20 UTC, wait 300", c)
	}

	// cdr_csv: start in summer time, answer and end after the change.
	line := `"","4512","7001","ctx","c","SIP/a-1","SIP/b-2","Queue","sd","2025-10-26 02:50:00","2025-10-26 02:05:00","2025-10-26 02:10:00",1200,300,"ANSWERED","DOCUMENTATION"` + "\n"
	events, rejects, _ = qlDecode(t, DecodeAsteriskCDR, line, opt)
	if len(rejects) != 0 || len(events) != 1 {
		t.Fatalf("cdr_csv: got %v, rejects %v", events, rejects)
	}
	if got := events[0].Time; !got.Equal(time.Date(2025, 10, 26, 0, 50, 0, 0, time.UTC)) {
		t.Errorf("cdr_csv start: got %s; want 00:50 UTC (its duration puts it 20 minutes before its end)", got)
	}
}
