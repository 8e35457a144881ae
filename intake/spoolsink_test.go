package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/spool"
)

// TestRejectedLineReachesTheSpool: a bad line is answered with its line,
// field and reason (the JSON keys senders read), and spooled with its
// switch, source and raw text for GET /v1/rejects.
func TestRejectedLineReachesTheSpool(t *testing.T) {
	sp, err := spool.Open(t.TempDir(), spool.Config{MaxBytes: 1 << 20, SegmentBytes: 1 << 16, BatchBytes: 1 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	srv := newServer(t, Config{}, NewSpoolSink(sp))
	body := "1700000000|c1|servicedesk|NONE|ENTERQUEUE||4512345678|1\nnot-a-time|c1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n"
	status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log?switch=pbx7", body)
	if status != 200 {
		t.Fatalf("status %d: %s", status, raw)
	}
	// The answer's keys, as senders (acdstat ship, scripts) read them.
	var answer struct {
		Accepted, Duplicates *int
		Rejected             []map[string]any
	}
	if err := json.Unmarshal([]byte(raw), &answer); err != nil {
		t.Fatal(err)
	}
	if answer.Accepted == nil || *answer.Accepted != 1 || answer.Duplicates == nil || *answer.Duplicates != 0 || len(answer.Rejected) != 1 {
		t.Fatalf("answer %s; want accepted 1, duplicates 0 and one rejected line", raw)
	}
	rj := answer.Rejected[0]
	if len(rj) != 3 || rj["line"] != 2.0 || rj["field"] != "time" || rj["reason"] == "" {
		t.Errorf("rejected line %v; want exactly line 2, field time and a reason", rj)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := sp.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 1 {
		t.Fatalf("%d spool records; want 1", len(b.Records))
	}
	events, rejects, err := cdr.UnmarshalSpoolRecord(b.Records[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || len(rejects) != 1 {
		t.Fatalf("spooled %d events, %d rejects; want 1, 1", len(events), len(rejects))
	}
	r := rejects[0]
	if r.Switch != "pbx7" || r.Source != "queue_log" || r.Line != 2 || r.Field != "time" || r.Raw != "not-a-time|c1|servicedesk|NONE|ENTERQUEUE||4512345678|1" {
		t.Errorf("spooled reject %+v", r)
	}
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
			if _, _, err := cdr.UnmarshalSpoolRecord(r.Data); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("nothing was acknowledged before the spool filled")
	}
}
