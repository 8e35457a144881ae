package cdr

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decodeAll decodes body in format, with the rejects as Reject of switch sw
// and source format.
func decodeAll(t testing.TB, format, sw, body string, loc *time.Location, now time.Time) ([]Event, []Reject) {
	t.Helper()
	decode, err := Decoder(format)
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	var rejects []Reject
	err = decode(strings.NewReader(body), DecodeOptions{Switch: sw, Location: loc, Now: now}, func(b Batch) error {
		events = append(events, b.Events...)
		for _, de := range b.Rejects {
			rejects = append(rejects, RejectOf(sw, format, de, time.Time{}))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return events, rejects
}

// sampleRecord is what one queue_log request gives: three events (one in
// the DB form, with micros) and a reject.
func sampleRecord(t testing.TB) ([]Event, []Reject) {
	t.Helper()
	body := "1700000000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" +
		"not-a-time|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" +
		"1700000030|c1.1|servicedesk|PJSIP/2101|CONNECT|30|c1.2|2\n" +
		"1700000090|c1.1|servicedesk|PJSIP/2101|COMPLETECALLER|30|60|1\n"
	events, rejects := decodeAll(t, SourceQueueLog, "pbx1", body, time.UTC, time.Unix(1700000100, 0))
	if len(events) != 3 || len(rejects) != 1 {
		t.Fatalf("sample: %d events, %d rejects", len(events), len(rejects))
	}
	// A DB-form event has micros.
	events[1].Micros = 123456
	return events, rejects
}

// spooled is what one spool record holds.
type spooled struct {
	events  []Event
	rejects []Reject
}

// version1Records are the inputs of the records in testdata/spoolrecord/v1,
// which the release before issue 11 encoded: each as the events and
// rejects that the decoders make of it.
func version1Records(t *testing.T) map[string]spooled {
	t.Helper()
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]spooled{}
	var r spooled
	r.events, r.rejects = sampleRecord(t)
	out["queue_log"] = r
	fs := `{"variables": {"uuid": "11111111-1111-4111-8111-111111111111",
			"caller_id_number": "%2B4570123456", "cc_side": "member", "cc_queue": "support%40default",
			"cc_member_uuid": "9a1b2c3d-0000-4000-8000-001717000010", "cc_queue_joined_epoch": "1717000010",
			"cc_agent": "1001%40default", "cc_queue_answered_epoch": "1717000040",
			"cc_queue_terminated_epoch": "1717000340", "cc_cause": "answered", "end_epoch": "1717000340"}}
{"variables": 5}
`
	r.events, r.rejects = decodeAll(t, FormatFreeSWITCHJSON, "fs1", fs, time.UTC, time.Unix(1717010000, 0))
	out["freeswitch"] = r
	_, rejects := decodeAll(t, SourceQueueLogDB, "pbx-2", "time,callid,queuename,agent,event,data\nnot-a-time,c9,Ærø,NONE,ENTERQUEUE,|1|1\n",
		cph, time.Unix(1717010000, 0))
	out["rejects"] = spooled{rejects: rejects}
	// The facts of a SIP INVITE (sip.Facts), which package cdr cannot make.
	sip := Event{Switch: "pbx1", Source: "sip", Time: time.Unix(1700000001, 0).UTC(), Micros: 250000,
		CallID: "caller-leg-1", Verb: "INVITE",
		Data: [5]string{"agent-leg-1", "a1", "", "7 INVITE", "from=%2B4512345678&link=caller-leg-1&q=support&ruri=agent7&src=10.0.0.1%3A5060&to=agent7"}}
	sip.ID = EventID(&sip)
	out["sip"] = spooled{events: []Event{sip}}
	out["empty"] = spooled{}
	return out
}

// TestSpoolRecordVersion1: the records that the previous release left in
// a spool decode into the events and rejects it encoded, and this release
// encodes the same values into the same bytes.
func TestSpoolRecordVersion1(t *testing.T) {
	files, err := filepath.Glob("testdata/spoolrecord/v1/*.bin")
	if err != nil {
		t.Fatal(err)
	}
	records := version1Records(t)
	if len(files) != len(records) {
		t.Fatalf("%d files for %d records", len(files), len(records))
	}
	for name, want := range records {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/spoolrecord/v1", name+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			events, rejects, err := UnmarshalSpoolRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want.events {
				want.events[i].Time = want.events[i].Time.UTC()
			}
			if len(events) != len(want.events) || len(events) > 0 && !reflect.DeepEqual(events, want.events) {
				t.Errorf("events:\n got %+v\nwant %+v", events, want.events)
			}
			if len(rejects) != len(want.rejects) || len(rejects) > 0 && !reflect.DeepEqual(rejects, want.rejects) {
				t.Errorf("rejects:\n got %+v\nwant %+v", rejects, want.rejects)
			}
			if again := MarshalSpoolRecord(want.events, want.rejects); string(again) != string(b) {
				t.Errorf("encoding differs from the previous release's:\n got %x\nwant %x", again, b)
			}
		})
	}
}

func TestSpoolRecordRoundTrip(t *testing.T) {
	events, rejects := sampleRecord(t)
	b := MarshalSpoolRecord(events, rejects)
	if b[0] != spoolRecordVersion {
		t.Fatalf("first byte %d; want the version %d", b[0], spoolRecordVersion)
	}
	gotE, gotR, err := UnmarshalSpoolRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		events[i].Time = events[i].Time.UTC()
	}
	if !reflect.DeepEqual(gotE, events) {
		t.Fatalf("events:\n got %+v\nwant %+v", gotE, events)
	}
	if !reflect.DeepEqual(gotR, rejects) {
		t.Fatalf("rejects:\n got %+v\nwant %+v", gotR, rejects)
	}
	for i := range gotE {
		if EventID(&gotE[i]) != gotE[i].ID {
			t.Errorf("event %d: id no longer matches its fields", i)
		}
	}
	// The spool reuses its read buffers: what was decoded must not change
	// when b does.
	clear(b)
	if !reflect.DeepEqual(gotE, events) || !reflect.DeepEqual(gotR, rejects) {
		t.Fatalf("decoded record changed with its bytes:\n got %+v %+v", gotE, gotR)
	}
	if e, r, err := UnmarshalSpoolRecord(MarshalSpoolRecord(nil, nil)); err != nil || len(e) != 0 || len(r) != 0 {
		t.Fatalf("empty record: %v %v %v", e, r, err)
	}
}

func TestSpoolRecordIsStrict(t *testing.T) {
	events, rejects := sampleRecord(t)
	b := MarshalSpoolRecord(events, rejects)
	for name, bad := range map[string][]byte{
		"empty":          {},
		"other version":  append([]byte{9}, b[1:]...),
		"cut short":      b[:len(b)-1],
		"trailing bytes": append(append([]byte{}, b...), 0),
		"huge count":     {spoolRecordVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		if _, _, err := UnmarshalSpoolRecord(bad); !errors.Is(err, ErrBadSpoolRecord) {
			t.Errorf("%s: err %v; want ErrBadSpoolRecord", name, err)
		}
	}
}

func FuzzUnmarshalSpoolRecord(f *testing.F) {
	events, rejects := sampleRecord(f)
	f.Add(MarshalSpoolRecord(events, rejects))
	f.Add(MarshalSpoolRecord(events[:1], nil))
	f.Add(MarshalSpoolRecord(nil, rejects))
	f.Add([]byte{spoolRecordVersion, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, r, err := UnmarshalSpoolRecord(b)
		if err != nil {
			if !errors.Is(err, ErrBadSpoolRecord) {
				t.Fatalf("error %v does not wrap ErrBadSpoolRecord", err)
			}
			return
		}
		// What decodes re-encodes to the same bytes.
		if again := MarshalSpoolRecord(e, r); string(again) != string(b) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
		}
	})
}
