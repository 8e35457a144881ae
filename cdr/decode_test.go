package cdr

import (
	"strings"
	"testing"
	"time"
)

// TestEveryDecoderRefusesTimesTheStoreCannotHold: a time before 1970 or
// after 2106 would be stored wrapped (1900 as 2036, year 1 as 0000-00-00);
// one older than the accepted range would be dropped by the retention.
// Every input path refuses them with the reason.
func TestEveryDecoderRefusesTimesTheStoreCannotHold(t *testing.T) {
	now := time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC)
	opt := DecodeOptions{Switch: "pbx", Now: now, Oldest: now.AddDate(0, 0, -400), Location: time.UTC}
	for _, tc := range []struct {
		name   string
		dec    DecodeFunc
		input  string
		reason string
	}{
		{"disposition in 1900", DecodeDispositions, `{"call_id": "1.1", "resolved": true, "time": "1900-01-01T00:00:00Z"}`, "outside what can be stored"},
		{"disposition in year 1", DecodeDispositions, `{"call_id": "1.1", "resolved": true, "time": "0001-01-01T00:00:00Z"}`, "outside what can be stored"},
		{"disposition in 2200", DecodeDispositions, `{"call_id": "1.1", "resolved": true, "time": "2200-01-01T00:00:00Z"}`, "outside what can be stored"},
		{"queue_log line older than the accepted range", DecodeQueueLog, "1383904389|1.1|q|NONE|ENTERQUEUE||4512|1", "older than 2025-02-22T12:00:00Z, the oldest accepted"},
		{"queue_log table row in 1900", DecodeQueueLogDB, "time,callid,queuename,agent,event\n1900-01-01 00:00:00,1.1,q,NONE,ENTERQUEUE\n", "out of range"},
		{"generic CDR in 1969", DecodeCDRCSV, "call_id,queue,enter_time,outcome,wait_s\n1.1,q,1969-12-31T23:59:59Z,abandoned,5\n", "out of range"},
		{"generic CDR older than the accepted range", DecodeCDRCSV, "call_id,queue,enter_time,outcome,wait_s\n1.1,q,2020-01-01T00:00:00Z,abandoned,5\n", "the oldest accepted"},
		{"FreeSWITCH CDR older than the accepted range", DecodeFreeSWITCHJSON, `{"variables": {"uuid": "u1", "start_epoch": "1383904389"}}`, "the oldest accepted"},
		{"cdr_csv older than the accepted range", DecodeAsteriskCDR, `"","1","2","ctx","c","SIP/a-1","","Hangup","","2013-11-08 10:00:00","","2013-11-08 10:01:00",60,0,"NO ANSWER","DOCUMENTATION"` + "\n", "the oldest accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, rejects, _ := qlDecode(t, tc.dec, tc.input, opt)
			if len(events) != 0 || len(rejects) != 1 || !strings.Contains(rejects[0].Reason, tc.reason) {
				t.Fatalf("got events %v, rejects %v; want one reject saying %q", events, rejects, tc.reason)
			}
		})
	}
	// Without Oldest, old history is taken (a backfill: ingest --allow-old).
	opt.Oldest = time.Time{}
	if events, rejects, _ := qlDecode(t, DecodeQueueLog, "1383904389|1.1|q|NONE|ENTERQUEUE||4512|1", opt); len(events) != 1 || len(rejects) != 0 {
		t.Errorf("without a bound: got %v, %v; want the 2013 line", events, rejects)
	}
}
