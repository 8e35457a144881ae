package intake_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/sip"
)

// collect is a Sink that keeps what it is given.
type collect struct{ events []cdr.Event }

func (c *collect) Accept(_ context.Context, events []cdr.Event, _ []cdr.Reject) error {
	c.events = append(c.events, events...)
	return nil
}

// TestEventIDsOfEveryInputPath pins the event id of one fixed input of
// every format that HTTP intake, `acdstat ship` and `acdstat ingest` take
// (all through intake.Ingest), and of one SIP message through sip.Facts
// (HEP and plain SIP). The ids are cdr.EventID: a hash of the switch and
// the normalised record. A stored event and its resend must have the same
// id across releases, or the resend would be counted twice (DESIGN.md,
// "Intake"): a change of any id here is a change of identity, and needs an
// upgrade plan, not a new golden value. The wanted ids were computed by the
// release before the redesign of issue 11.
func TestEventIDsOfEveryInputPath(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		format, input string
		want          []string
	}{
		{cdr.SourceQueueLog, "1717000100|1717000100.11|support|NONE|ENTERQUEUE||4522334455|1\n" +
			"1717000130|1717000100.11|support|PJSIP/201|CONNECT|30|1717000118.12|2\n",
			[]string{"d14d1ab5edfe4179", "64ec37422db2c970"}},
		// The first line again, as a row of the queue_log table in local
		// time with milliseconds: the same fact, so the same id.
		{cdr.SourceQueueLogDB, "time,callid,queuename,agent,event,data\n" +
			"2024-05-29 18:28:20.250,1717000100.11,support,NONE,ENTERQUEUE,|4522334455|1\n",
			[]string{"d14d1ab5edfe4179"}},
		{cdr.FormatFreeSWITCHJSON, `{"variables": {"uuid": "11111111-1111-4111-8111-111111111111",
			"caller_id_number": "%2B4570123456", "cc_side": "member", "cc_queue": "support%40default",
			"cc_member_uuid": "9a1b2c3d-0000-4000-8000-001717000010", "cc_queue_joined_epoch": "1717000010",
			"cc_agent": "1001%40default", "cc_queue_answered_epoch": "1717000040",
			"cc_queue_terminated_epoch": "1717000340", "cc_cause": "answered", "end_epoch": "1717000340"}}`,
			[]string{"537c138d5c9c5004", "0e3060d36c5d0507", "6cdf846e14952efd"}},
		{cdr.FormatFreeSWITCHXML, `<cdr><variables><uuid>22222222-2222-4222-8222-222222222222</uuid>
			<caller_id_number>%2B4570123456</caller_id_number><cc_side>member</cc_side>
			<cc_queue>support%40default</cc_queue><cc_member_uuid>9a1b2c3d-0000-4000-8000-001717000020</cc_member_uuid>
			<cc_queue_joined_epoch>1717000020</cc_queue_joined_epoch><cc_queue_terminated_epoch>1717000080</cc_queue_terminated_epoch>
			<cc_cause>cancel</cc_cause><end_epoch>1717000080</end_epoch></variables></cdr>`,
			[]string{"979e8cc0fc6ecf2a", "fb962b4932fd59cf"}},
		{cdr.FormatAsteriskCDR, `"","+4512345678","100","from-pstn","""Jens"" <+4512345678>","SIP/trunk-00000001",` +
			`"Local/200@agents-00000002;1","Queue","support,t,,,300","2024-03-01 09:00:20","2024-03-01 09:00:20",` +
			`"2024-03-01 09:03:00",160,160,"ANSWERED","DOCUMENTATION","1709280000.1","","","1709280000.1",2` + "\n",
			[]string{"cc85937bf41272f7"}},
		{cdr.FormatCSV, "call_id,queue,enter_time,answer_time,end_time,outcome,wait_s,talk_s,agent,caller,entry_number\n" +
			"c1,support,2024-03-01 09:00:00,2024-03-01 09:00:20,2024-03-01 09:05:20,answered,,,alice,+4512345678,70101010\n",
			[]string{"27fe5fb0a8cbda0a"}},
		{cdr.FormatJSON, `{"call_id":"j1","queue":"support","enter_time":"2024-03-01T09:00:00+01:00","outcome":"answered",` +
			`"wait_s":12,"talk_s":300,"agent":"alice","caller":"+4512345678"}` + "\n",
			[]string{"219c8ed94ac47e42"}},
		{cdr.FormatDisposition, `{"call_id":"1717000100.11","queue":"support","resolved":true,"code":"PW","time":"2024-05-29T18:40:00+02:00"}`,
			[]string{"587b1a134d220609"}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			decode, err := cdr.Decoder(tc.format)
			if err != nil {
				t.Fatal(err)
			}
			var sink collect
			res, err := intake.Ingest(context.Background(), tc.format, decode, strings.NewReader(tc.input),
				cdr.DecodeOptions{Switch: "pbx1", Location: cph, Now: now}, &sink)
			if err != nil || len(res.Rejects) > 0 {
				t.Fatalf("ingest: %v, rejects %v", err, res.Rejects)
			}
			checkIDs(t, sink.events, tc.want)
		})
	}
	t.Run(sip.SourceSIP, func(t *testing.T) {
		msg := "INVITE sip:agent7@10.0.0.9 SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n" +
			"From: <sip:+4512345678@10.0.0.1>;tag=a1\r\n" +
			"To: <sip:agent7@10.0.0.9>\r\n" +
			"Call-ID: agent-leg-1\r\n" +
			"CSeq: 7 INVITE\r\n" +
			"X-Caller-Call-ID: caller-leg-1\r\n" +
			"X-Queue: support\r\n" +
			"Content-Length: 0\r\n\r\n"
		ev, err := sip.Facts([]byte(msg), sip.Meta{Switch: "pbx1", Time: time.Unix(1700000001, 250000000),
			Src: netip.MustParseAddrPort("10.0.0.1:5060"), Dst: netip.MustParseAddrPort("10.0.0.9:5060"),
			Headers: sip.Headers{Queue: "X-Queue", Link: "X-Caller-Call-ID"}})
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, []cdr.Event{ev}, []string{"fdb8fc0f5f3ce476"})
	})
}

// checkIDs compares the events' ids, in order, with want, and each id with
// the hash of the event's own fields (what the writer stores).
func checkIDs(t *testing.T, events []cdr.Event, want []string) {
	t.Helper()
	got := make([]string, len(events))
	for i := range events {
		got[i] = fmt.Sprintf("%016x", events[i].ID)
		if id := cdr.EventID(&events[i]); id != events[i].ID {
			t.Errorf("event %d: id %016x is not the hash of its fields (%016x)", i, events[i].ID, id)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("ids of %+v:\n got %q\nwant %q", events, got, want)
	}
}
