package intake

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// TestCDRFileIngest posts each CDR file format to /v1/ingest/cdr and reads
// the answer a sender reads.
func TestCDRFileIngest(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("../cdr/testdata/cdrfile/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, query, body        string
		status, events, rejected int
	}{
		{"csv", "?format=csv&switch=pbx9", read("generic.csv"), 200, 5, 6}, // c2 twice: 1 duplicate,
		{"json array", "?format=json", read("generic_array.json"), 200, 2, 1},
		{"ndjson", "?format=json", read("generic.ndjson"), 200, 3, 3}, // [1,2] is two values that are not objects
		{"asterisk cdr_csv", "?format=asterisk_cdr", read("asterisk.csv"), 200, 4, 4},
		{"nothing usable", "?format=csv", "call_id,enter_time\n,\n", 400, 0, 1},
		{"no format", "", "x", 400, 0, 0},
		{"freeswitch format here", "?format=freeswitch_json", "{}", 400, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &memSink{}
			srv := newServer(t, Config{IngestToken: "s3cret"}, sink)
			status, body := fsPost(t, srv.URL+"/v1/ingest/cdr"+tc.query, "text/csv", tc.body, "s3cret")
			if status != tc.status || len(sink.events) != tc.events {
				t.Fatalf("status %d, %d events (%s); want %d and %d events", status, len(sink.events), body, tc.status, tc.events)
			}
			var ans struct {
				Accepted int               `json:"accepted"`
				Rejected []json.RawMessage `json:"rejected"`
				Error    string            `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &ans); err != nil {
				t.Fatalf("body %q is not JSON: %v", body, err)
			}
			if len(ans.Rejected) != tc.rejected {
				t.Errorf("rejected %d (%s); want %d", len(ans.Rejected), body, tc.rejected)
			}
			if tc.name == "csv" && sink.events[0].Switch != "pbx9" {
				t.Errorf("switch %q; want pbx9", sink.events[0].Switch)
			}
		})
	}
	srv := newServer(t, Config{IngestToken: "s3cret"}, &memSink{})
	if status, _ := fsPost(t, srv.URL+"/v1/ingest/cdr?format=csv", "text/csv", read("generic.csv"), ""); status != http.StatusUnauthorized {
		t.Errorf("no credentials: status %d; want 401", status)
	}
}

// TestPrivacyCoversCDRFileCallers: hash reaches the caller of generic and
// Asterisk CDR rows (QUEUECALL and CDR, data2).
func TestPrivacyCoversCDRFileCallers(t *testing.T) {
	hash, err := NewPrivacy("hash", testKey, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file string
		dec  cdr.DecodeFunc
	}{{"generic.csv", cdr.DecodeCDRCSV}, {"asterisk.csv", cdr.DecodeAsteriskCDR}} {
		b, err := os.ReadFile("../cdr/testdata/cdrfile/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = hash.Wrap(c.dec)(strings.NewReader(string(b)), cdr.DecodeOptions{}, func(b cdr.Batch) error {
			for _, e := range b.Events {
				if e.Data[1] == "" {
					continue
				}
				n++
				if !strings.HasPrefix(e.Data[1], "h:") {
					t.Errorf("%s %s: caller %q not hashed", c.file, e.Verb, e.Data[1])
				}
			}
			return nil
		})
		if err != nil || n == 0 {
			t.Errorf("%s: err %v, %d callers seen; want some", c.file, err, n)
		}
	}
}
