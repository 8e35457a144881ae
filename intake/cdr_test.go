package intake

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// fsPost posts body as mod_json_cdr does: with HTTP Basic credentials and
// ?uuid= appended to the URL.
func fsPost(t *testing.T, u, contentType, body, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if password != "" {
		req.SetBasicAuth("freeswitch", password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFreeSWITCHEveryEncoding posts one CDR in each of mod_json_cdr's
// encodings (encode=false, true, base64; encode-values on in the fixture and
// off in the plain copy): each gives the same events.
func TestFreeSWITCHEveryEncoding(t *testing.T) {
	raw, err := os.ReadFile("../cdr/testdata/freeswitch/break_out.json")
	if err != nil {
		t.Fatal(err)
	}
	plainValues, err := url.PathUnescape(string(raw)) // encode-values=false
	if err != nil {
		t.Fatal(err)
	}
	xml, err := os.ReadFile("../cdr/testdata/freeswitch/answered.xml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query, contentType, body string
		events                         int
	}{
		{"raw JSON", "", "application/json", string(raw), 2},
		{"raw JSON, plain values", "", "application/json", plainValues, 2},
		{"encode=true", "", "application/x-www-form-urlencoded", "cdr=" + url.QueryEscape(string(raw)), 2},
		{"encode=base64", "", "application/x-www-form-base64-encoded", "cdr=" + url.QueryEscape(base64.StdEncoding.EncodeToString(raw)), 2},
		{"mod_xml_cdr", "&format=freeswitch_xml", "application/x-www-form-urlencoded", "cdr=" + url.QueryEscape(string(xml)), 3},
	}
	var first []cdr.Event
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := &memSink{}
			srv := newServer(t, Config{IngestToken: "s3cret"}, sink)
			status, body := fsPost(t, srv.URL+"/v1/ingest/freeswitch?switch=fs1&uuid=22222222-2222-4222-8222-222222222222"+tc.query, tc.contentType, tc.body, "s3cret")
			if status != http.StatusOK || len(sink.events) != tc.events {
				t.Fatalf("status %d, %d events (%s); want 200 and %d events", status, len(sink.events), body, tc.events)
			}
			e := sink.events[0]
			if e.Switch != "fs1" || e.Source != cdr.SourceFreeSWITCH || e.Queue != "support@default" || e.Verb != cdr.FSVerbJoin || e.Data[1] != "+4570123456" {
				t.Errorf("got %+v; want a CCJOIN of fs1 in support@default from +4570123456", e)
			}
			if tc.events == 2 {
				if first == nil {
					first = sink.events
				} else if first[0].ID != e.ID || first[1].ID != sink.events[1].ID {
					t.Errorf("ids differ from the raw post: the same CDR must be the same fact")
				}
			}
		})
	}
}

// TestFreeSWITCHFailuresKeepTheCDRWithTheSwitch: what mod_json_cdr must
// keep and resend gets a non-2xx answer.
func TestFreeSWITCHFailuresKeepTheCDRWithTheSwitch(t *testing.T) {
	raw, err := os.ReadFile("../cdr/testdata/freeswitch/answered.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, Config{IngestToken: "s3cret"}, &memSink{fail: errors.New("clickhouse is down")})
	if status, _ := fsPost(t, srv.URL+"/v1/ingest/freeswitch", "application/json", string(raw), "s3cret"); status != http.StatusServiceUnavailable {
		t.Errorf("store down: status %d; want 503", status)
	}
	ok := newServer(t, Config{IngestToken: "s3cret"}, &memSink{})
	for _, tc := range []struct {
		name, contentType, body, password string
		want                              int
	}{
		{"wrong password", "application/json", string(raw), "nope", http.StatusForbidden},
		{"no credentials", "application/json", string(raw), "", http.StatusUnauthorized},
		{"not JSON", "application/json", "<html>", "s3cret", http.StatusBadRequest},
		{"form without cdr", "application/x-www-form-urlencoded", "x=1", "s3cret", http.StatusBadRequest},
		{"bad base64", "application/x-www-form-base64-encoded", "cdr=%%%", "s3cret", http.StatusBadRequest},
		{"empty", "application/json", "", "s3cret", http.StatusBadRequest},
	} {
		status, body := fsPost(t, ok.URL+"/v1/ingest/freeswitch", tc.contentType, tc.body, tc.password)
		if status != tc.want {
			t.Errorf("%s: status %d (%s); want %d", tc.name, status, body, tc.want)
		}
		if !strings.Contains(body, "{") {
			t.Errorf("%s: body %q; want a JSON answer", tc.name, body)
		}
	}
}
