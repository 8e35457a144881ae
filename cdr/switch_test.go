package cdr

import (
	"strings"
	"testing"
	"time"
)

func TestSwitchName(t *testing.T) {
	long := strings.Repeat("a", 64)
	for in, want := range map[string]string{
		"": DefaultSwitch, "pbx1": "pbx1", "a": "a", "hep-4294967295": "hep-4294967295",
		"site:pbx_2.b-c": "site:pbx_2.b-c", long: long, "9": "9",
	} {
		if got, err := SwitchName(in); err != nil || got != want {
			t.Errorf("SwitchName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{AllSwitches, "bad name", "-pbx", "_pbx", long + "a", "pbx/1", "pbx*", "pbx\n", "pbx1 ", "ø"} {
		got, err := SwitchName(in)
		if err == nil || got != "" {
			t.Errorf("SwitchName(%q) = %q, %v; want an error", in, got, err)
			continue
		}
		if !strings.Contains(err.Error(), SwitchRule) {
			t.Errorf("SwitchName(%q): %v; want the rule in the message", in, err)
		}
	}
}

// TestDispositionSwitchFollowsTheRule: a disposition's switch field is one
// more intake path; it takes the names SwitchName takes and refuses the
// rest, saying the rule.
func TestDispositionSwitchFollowsTheRule(t *testing.T) {
	at := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	for _, sw := range []string{"pbx1", "hep-2001", "site:pbx_2.b-c"} {
		evs, rejects := dispDecode(t, `{"switch": "`+sw+`", "call_id": "a", "resolved": true}`, DecodeOptions{Switch: "other", Now: at})
		if len(rejects) != 0 || len(evs) != 1 || evs[0].Switch != sw {
			t.Errorf("switch %q: events %v, rejects %v; want one event of that switch", sw, evs, rejects)
		}
	}
	for _, sw := range []string{AllSwitches, "bad name", "-x"} {
		_, rejects := dispDecode(t, `{"switch": "`+sw+`", "call_id": "a", "resolved": true}`, DecodeOptions{Now: at})
		if len(rejects) != 1 || rejects[0].Field != "switch" || !strings.Contains(rejects[0].Reason, SwitchRule) {
			t.Errorf("switch %q: rejects %v; want one on field switch that says the rule", sw, rejects)
		}
	}
}
