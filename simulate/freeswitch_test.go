package simulate

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestFreeSWITCHRenderingCoversTheRenderableTruth(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Days, cfg.CallsPerDay = 2, 200
	sim, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	truth := sim.FreeSWITCHTruth()
	cdrs := sim.FreeSWITCHCDRs()
	members, agents := 0, 0
	for _, d := range cdrs {
		var doc struct {
			Variables map[string]string `json:"variables"`
		}
		if err := json.Unmarshal(d, &doc); err != nil {
			t.Fatal(err)
		}
		switch doc.Variables["cc_side"] {
		case "member":
			members++
		case "agent":
			agents++
		default:
			t.Errorf("a CDR without cc_side: %s", d)
		}
	}
	answered := truth.ByQueueOutcome()
	nAnswered := 0
	for _, m := range answered {
		nAnswered += m[OutcomeAnswered]
	}
	if members != len(truth.Calls) || agents != nAnswered {
		t.Errorf("got %d member and %d agent legs; want %d and %d", members, agents, len(truth.Calls), nAnswered)
	}
	if len(truth.Calls) < len(sim.Truth().Calls)/2 {
		t.Errorf("the rendering has %d of %d calls; want most of them", len(truth.Calls), len(sim.Truth().Calls))
	}
	for _, c := range truth.Calls {
		if c.Transferred || c.Outcome == OutcomeUnknown || c.Outcome == OutcomeExitOther {
			t.Errorf("rendered a call mod_callcenter cannot give: %+v", c)
		}
	}
	var buf bytes.Buffer
	if err := sim.WriteFreeSWITCH(&buf); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != len(cdrs) {
		t.Errorf("WriteFreeSWITCH wrote %d lines; want %d", n, len(cdrs))
	}
	if a, b := FreeSWITCHUUID("1.2"), FreeSWITCHUUID("1.2"); a != b || a == FreeSWITCHUUID("1.3") || len(a) != 36 {
		t.Errorf("FreeSWITCHUUID is not a deterministic, distinct id")
	}
}
