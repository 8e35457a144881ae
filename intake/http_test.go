package intake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// memSink keeps what it is given; the end-to-end tests in cmd/acdstat run
// the same handler against ClickHouse.
type memSink struct {
	mu      sync.Mutex
	events  []cdr.Event
	rejects []cdr.Reject
	fail    error
}

func (s *memSink) Accept(_ context.Context, events []cdr.Event, rejects []cdr.Reject) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.events = append(s.events, events...)
	s.rejects = append(s.rejects, rejects...)
	return nil
}

// testNow is the intake's clock in these tests: after every time they
// send, so no test depends on the day it runs.
var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newServer(t *testing.T, cfg Config, sink Sink) *httptest.Server {
	t.Helper()
	return newServerWith(t, cfg, nil, sink)
}

// newServerWith is newServer with the queue file's switch settings.
func newServerWith(t *testing.T, cfg Config, settings *cdr.Settings, sink Sink) *httptest.Server {
	t.Helper()
	if cfg.SwitchTimezone == "" {
		cfg.SwitchTimezone = "Europe/Copenhagen"
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	h, err := NewHandler(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, func() time.Time { return testNow }, settings, sink)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) (int, http.Header, Answer, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a Answer
	_ = json.Unmarshal(raw, &a)
	return resp.StatusCode, resp.Header, a, string(raw)
}

const enter = "1700000000|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1\n"

func TestDuplicatesWithinARequestAreCountedOnce(t *testing.T) {
	sink := &memSink{}
	srv := newServer(t, Config{}, sink)
	status, _, a, raw := post(t, srv.URL+"/v1/ingest/queue_log?switch=pbx1", enter+enter+enter)
	if status != 200 || a.Accepted != 1 || a.Duplicates != 2 {
		t.Fatalf("status %d answer %s; want 200, accepted 1, duplicates 2", status, raw)
	}
	if len(sink.events) != 1 || sink.events[0].Switch != "pbx1" {
		t.Errorf("sink got %+v; want one event of switch pbx1", sink.events)
	}
}

func TestTooLargeBodyIs413(t *testing.T) {
	srv := newServer(t, Config{MaxBodyBytes: 100}, &memSink{})
	status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", strings.Repeat(enter, 10))
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(raw, "smaller requests") {
		t.Errorf("status %d body %s; want 413 saying to send smaller requests", status, raw)
	}
}

func TestBadSwitchAndFormatAre400(t *testing.T) {
	srv := newServer(t, Config{}, &memSink{})
	for _, q := range []string{"?switch=bad%20name", "?format=cdr"} {
		status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log"+q, enter)
		if status != http.StatusBadRequest || !strings.Contains(raw, `"error"`) {
			t.Errorf("%s: status %d body %s; want 400 with an error", q, status, raw)
		}
	}
	status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", "\n\n")
	if status != http.StatusBadRequest || !strings.Contains(raw, "no lines") {
		t.Errorf("empty body: status %d body %s; want 400 saying there are no lines", status, raw)
	}
}

func TestDBFormIsReadInTheSwitchZone(t *testing.T) {
	sink := &memSink{}
	srv := newServer(t, Config{SwitchTimezone: "Europe/Copenhagen"}, sink)
	body := "time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n" +
		"2025-07-01 10:00:00,c1.1,servicedesk,NONE,ENTERQUEUE,,4512345678,1,,\n"
	status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log?format=queue_log_db", body)
	if status != 200 || len(sink.events) != 1 {
		t.Fatalf("status %d body %s; want one event", status, raw)
	}
	if got := sink.events[0].Time.UTC().Format("15:04"); got != "08:00" {
		t.Errorf("10:00 Copenhagen summer time stored as %s UTC; want 08:00", got)
	}
}

// TestLocalTimesAreReadInTheZoneOfTheNamedSwitch posts a local 09:00 in
// every format that has local times, for a switch the queue file puts in
// London and for one it does not list, while ACDSTAT_SWITCH_TIMEZONE is
// Copenhagen: each is stored at the instant of its own switch's zone
// (cdr.Settings.SwitchZone), and an unlisted switch takes the file's
// defaults.timezone where it sets one.
func TestLocalTimesAreReadInTheZoneOfTheNamedSwitch(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	listed := &cdr.Settings{SwitchZones: map[string]*time.Location{"lon": load("Europe/London")}}
	withDefault := &cdr.Settings{SwitchZones: listed.SwitchZones, DefaultSwitchZone: load("Asia/Tokyo")}
	bodies := map[string]struct{ path, body string }{
		"queue_log_db": {"/v1/ingest/queue_log?format=queue_log_db",
			"time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n" +
				"DAY 09:00:00,c1.1,servicedesk,NONE,ENTERQUEUE,,4512345678,1,,\n"},
		"csv": {"/v1/ingest/cdr?format=csv",
			"call_id,queue,enter_time,outcome,wait_s,talk_s\nc1.2,servicedesk,DAY 09:00:00,answered,20,60\n"},
		"json": {"/v1/ingest/cdr?format=json",
			`{"call_id": "c1.3", "queue": "servicedesk", "enter_time": "DAY 09:00:00", "outcome": "answered", "wait_s": 20, "talk_s": 60}`},
		"asterisk_cdr": {"/v1/ingest/cdr?format=asterisk_cdr",
			`"","4512345678","100","from-pstn","""Jens"" <4512345678>","SIP/trunk-1","","BackGround","welcome","DAY 09:00:00","DAY 09:00:01","DAY 09:00:20",20,19,"ANSWERED","DOCUMENTATION"` + "\n"},
	}
	for _, tc := range []struct {
		name     string
		settings *cdr.Settings
		switches string // ?switch= or, with a leading "H:", the header
		day      string
		want     string // the stored instant, UTC
	}{
		{"listed switch, winter", listed, "lon", "2025-01-15", "2025-01-15T09:00:00Z"},
		{"listed switch, summer", listed, "lon", "2025-07-16", "2025-07-16T08:00:00Z"},
		{"listed switch by header", listed, "H:lon", "2025-07-16", "2025-07-16T08:00:00Z"},
		{"unlisted switch: ACDSTAT_SWITCH_TIMEZONE", listed, "other", "2025-07-16", "2025-07-16T07:00:00Z"},
		{"no switch named: ACDSTAT_SWITCH_TIMEZONE", listed, "", "2025-01-15", "2025-01-15T08:00:00Z"},
		{"no queue file: ACDSTAT_SWITCH_TIMEZONE", nil, "lon", "2025-01-15", "2025-01-15T08:00:00Z"},
		{"unlisted switch: defaults.timezone", withDefault, "other", "2025-01-15", "2025-01-15T00:00:00Z"},
		{"listed switch over defaults.timezone", withDefault, "lon", "2025-01-15", "2025-01-15T09:00:00Z"},
	} {
		for format, b := range bodies {
			sink := &memSink{}
			srv := newServerWith(t, Config{SwitchTimezone: "Europe/Copenhagen"}, tc.settings, sink)
			req, err := http.NewRequest(http.MethodPost, srv.URL+b.path, strings.NewReader(strings.ReplaceAll(b.body, "DAY", tc.day)))
			if err != nil {
				t.Fatal(err)
			}
			if sw, ok := strings.CutPrefix(tc.switches, "H:"); ok {
				req.Header.Set("X-Acdstat-Switch", sw)
			} else if tc.switches != "" {
				req.URL.RawQuery += "&switch=" + tc.switches
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || len(sink.events) != 1 {
				t.Fatalf("%s, %s: status %d, %d events (%s); want 200 and one event", tc.name, format, resp.StatusCode, len(sink.events), raw)
			}
			if got := sink.events[0].Time.UTC().Format(time.RFC3339); got != tc.want {
				t.Errorf("%s, %s: 09:00 local stored as %s; want %s", tc.name, format, got, tc.want)
			}
		}
	}
}

func TestStoreFailureIs503AndNothingIsAcknowledged(t *testing.T) {
	srv := newServer(t, Config{}, &memSink{fail: errors.New("clickhouse down")})
	status, h, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", enter)
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(raw, "send it again") {
		t.Errorf("status %d Retry-After %q body %s; want 503 with Retry-After asking to resend", status, h.Get("Retry-After"), raw)
	}
}
