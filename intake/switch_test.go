package intake

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// goodSwitches and badSwitches are names every intake path takes or
// refuses alike (cdr.SwitchName).
var (
	goodSwitches = []string{"pbx1", "hep-2001", "site:pbx_2.b-c", strings.Repeat("p", 64)}
	badSwitches  = []string{cdr.AllSwitches, "bad name", "-pbx", strings.Repeat("p", 65)}
)

// TestHTTPSwitchFollowsTheRule: ?switch= and X-Acdstat-Switch, on every
// ingest endpoint, take the good names (no name is "default") and refuse
// the bad ones with 400, naming where the name came from and the rule.
func TestHTTPSwitchFollowsTheRule(t *testing.T) {
	sink := &memSink{}
	srv := newServer(t, Config{}, sink)
	bodies := map[string]string{
		"/v1/ingest/queue_log": enter,
		"/v1/dispositions":     `{"call_id": "c1.1", "resolved": true, "time": "2025-01-01T10:00:00Z"}`,
	}
	send := func(path, sw string, header bool) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(bodies[path]))
		if err != nil {
			t.Fatal(err)
		}
		if header {
			req.Header.Set("X-Acdstat-Switch", sw)
		} else if sw != "" {
			req.URL.RawQuery = "switch=" + strings.ReplaceAll(sw, " ", "%20")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var e struct{ Error string }
		_ = json.Unmarshal(raw, &e)
		return resp.StatusCode, e.Error
	}
	for path := range bodies {
		for _, header := range []bool{false, true} {
			where := "the switch query parameter"
			if header {
				where = "the X-Acdstat-Switch header"
			}
			for _, sw := range badSwitches {
				status, msg := send(path, sw, header)
				if status != http.StatusBadRequest || !strings.Contains(msg, where) || !strings.Contains(msg, cdr.SwitchRule) {
					t.Errorf("%s, %s %q: status %d error %q; want 400 naming %s and the rule", path, where, sw, status, msg, where)
				}
			}
			for _, sw := range append(goodSwitches, "") {
				sink.events = nil
				status, msg := send(path, sw, header)
				want := sw
				if sw == "" {
					want = cdr.DefaultSwitch
				}
				if status != http.StatusOK || len(sink.events) != 1 || sink.events[0].Switch != want {
					t.Errorf("%s, %s %q: status %d error %q, events %v; want 200 and one event of switch %s", path, where, sw, status, msg, sink.events, want)
				}
			}
		}
	}
}

// TestShipSwitchFollowsTheRule: `acdstat ship --switch` takes the good
// names (none is "default") and refuses the bad ones, naming the flag and
// the rule.
func TestShipSwitchFollowsTheRule(t *testing.T) {
	ship := func(sw string) (*Shipper, error) {
		return NewShipper(ShipConfig{Path: "/var/log/asterisk/queue_log", URL: "http://127.0.0.1:8080", Switch: sw}, slog.New(slog.DiscardHandler))
	}
	for _, sw := range badSwitches {
		if _, err := ship(sw); err == nil || !strings.Contains(err.Error(), "--switch") || !strings.Contains(err.Error(), cdr.SwitchRule) {
			t.Errorf("--switch %q: %v; want an error naming --switch and the rule", sw, err)
		}
	}
	for _, sw := range append(goodSwitches, "") {
		s, err := ship(sw)
		want := sw
		if sw == "" {
			want = cdr.DefaultSwitch
		}
		if err != nil || !strings.HasSuffix(s.target, "?switch="+strings.ReplaceAll(want, ":", "%3A")) {
			t.Errorf("--switch %q: %v; want it posted as switch %s", sw, err, want)
		}
	}
}

// TestSIPSwitchFollowsTheRule: ACDSTAT_SIP_SWITCH takes the good names and
// refuses the bad ones, naming the variable and the rule.
func TestSIPSwitchFollowsTheRule(t *testing.T) {
	cfg := Config{SIP: SIPConfig{HEPAddr: "127.0.0.1:0", SIPAddr: Off, QueueSize: 1, BatchSize: 1}}
	for _, sw := range badSwitches {
		cfg.SIP.Switch = sw
		if err := cfg.ValidateSIP(); err == nil || !strings.Contains(err.Error(), "ACDSTAT_SIP_SWITCH") || !strings.Contains(err.Error(), cdr.SwitchRule) {
			t.Errorf("ACDSTAT_SIP_SWITCH=%s: %v; want an error naming the variable and the rule", sw, err)
		}
	}
	for _, sw := range append(goodSwitches, "") {
		cfg.SIP.Switch = sw
		if err := cfg.ValidateSIP(); err != nil {
			t.Errorf("ACDSTAT_SIP_SWITCH=%s: %v", sw, err)
		}
	}
}
