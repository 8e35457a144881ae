package intake

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/spool"
)

func sampleBatch(t testing.TB) ([]cdr.Event, []Reject) {
	t.Helper()
	body := "1700000000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" +
		"not-a-time|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n" +
		"1700000030|c1.1|servicedesk|PJSIP/2101|CONNECT|30|c1.2|2\n" +
		"1700000090|c1.1|servicedesk|PJSIP/2101|COMPLETECALLER|30|60|1\n"
	decode, _ := cdr.Decoder(cdr.SourceQueueLog)
	var events []cdr.Event
	var rejects []Reject
	err := decode(strings.NewReader(body), cdr.DecodeOptions{Switch: "pbx1", Location: time.UTC, Now: time.Unix(1700000100, 0)}, func(b cdr.Batch) error {
		events = append(events, b.Events...)
		for _, de := range b.Rejects {
			rejects = append(rejects, Reject{Switch: "pbx1", Source: cdr.SourceQueueLog, DecodeError: de})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || len(rejects) != 1 {
		t.Fatalf("sample: %d events, %d rejects", len(events), len(rejects))
	}
	// A DB-form event has micros.
	events[1].Micros = 123456
	return events, rejects
}

func TestBatchRoundTrip(t *testing.T) {
	events, rejects := sampleBatch(t)
	b := MarshalBatch(events, rejects)
	if b[0] != batchVersion {
		t.Fatalf("first byte %d; want the version %d", b[0], batchVersion)
	}
	gotE, gotR, err := UnmarshalBatch(b)
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
		t.Fatalf("rejects:\n got %+v\nwant %+v", gotR[0].DecodeError, rejects[0].DecodeError)
	}
	for i := range gotE {
		if cdr.EventID(&gotE[i]) != gotE[i].ID {
			t.Errorf("event %d: id no longer matches its fields", i)
		}
	}
	if e, r, err := UnmarshalBatch(MarshalBatch(nil, nil)); err != nil || len(e) != 0 || len(r) != 0 {
		t.Fatalf("empty batch: %v %v %v", e, r, err)
	}
}

func TestBatchIsStrict(t *testing.T) {
	events, rejects := sampleBatch(t)
	b := MarshalBatch(events, rejects)
	for name, bad := range map[string][]byte{
		"empty":          {},
		"other version":  append([]byte{9}, b[1:]...),
		"cut short":      b[:len(b)-1],
		"trailing bytes": append(append([]byte{}, b...), 0),
		"huge count":     {batchVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		if _, _, err := UnmarshalBatch(bad); !errors.Is(err, ErrBadBatch) {
			t.Errorf("%s: err %v; want ErrBadBatch", name, err)
		}
	}
}

func FuzzUnmarshalBatch(f *testing.F) {
	events, rejects := sampleBatch(f)
	f.Add(MarshalBatch(events, rejects))
	f.Add(MarshalBatch(events[:1], nil))
	f.Add(MarshalBatch(nil, rejects))
	f.Add([]byte{batchVersion, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, r, err := UnmarshalBatch(b)
		if err != nil {
			if !errors.Is(err, ErrBadBatch) {
				t.Fatalf("error %v does not wrap ErrBadBatch", err)
			}
			return
		}
		// What decodes re-encodes to the same bytes.
		if again := MarshalBatch(e, r); string(again) != string(b) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
		}
	})
}

func TestSpoolFullIs503SpoolFull(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(dir, spool.Config{MaxBytes: 8192, SegmentBytes: 4096, BatchBytes: 1 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	srv := newServer(t, Config{}, NewSpoolSink(sp))
	line := "1700000000|c%d|servicedesk|NONE|ENTERQUEUE||4512345678|1\n"
	full := false
	for i := 0; i < 500 && !full; i++ {
		body := fmt.Sprintf(line, i)
		status, hdr, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", body)
		switch status {
		case 200:
		case 503:
			full = true
			if hdr.Get("Retry-After") == "" || !strings.Contains(raw, "spool full") {
				t.Fatalf("503 without Retry-After or 'spool full': %v %s", hdr, raw)
			}
		default:
			t.Fatalf("status %d: %s", status, raw)
		}
	}
	if !full {
		t.Fatal("the spool never filled")
	}
	// Everything acknowledged is in the spool, readable as sent.
	st := sp.Stats()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := int64(0)
	for n < st.Pending {
		b, err := sp.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b.Records {
			if _, _, err := UnmarshalBatch(r.Data); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("nothing was acknowledged before the spool filled")
	}
}
