package simulate

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestProbeTruthHasItsEdgeCases checks that the default simulation holds
// what its tests rely on: a month with probes at only some locations,
// probes exactly at their threshold, failed ones, late ones, and a figure
// that misses its level beside ones that meet it.
func TestProbeTruthHasItsEdgeCases(t *testing.T) {
	s, err := GenerateProbes(DefaultProbeConfig())
	if err != nil {
		t.Fatal(err)
	}
	var atLimit, failed, late int
	for _, p := range s.Probes {
		limit := s.limit(ProbeAction{Name: p.Action, Class: p.Class, OwnThreshold: p.OwnThreshold})
		switch {
		case p.Failed:
			failed++
		case p.Duration == limit:
			atLimit++
		case p.Duration > limit:
			late++
		}
	}
	if atLimit == 0 || failed == 0 || late == 0 {
		t.Errorf("got %d at the threshold, %d failed, %d late; want some of each", atLimit, failed, late)
	}
	for sys, months := range s.Truth.Months {
		if oct, nov := months["2016-10"], months["2016-11"]; oct.Locations != 3 || nov.Locations != 2 {
			t.Errorf("%s: got %d locations in October and %d in November; want 3 and 2", sys, oct.Locations, nov.Locations)
		}
	}
	if m := s.Truth.Months["EPM3"]["2016-10"]; m.Met || m.BP == 0 {
		t.Errorf("EPM3 in October: got %+v; want a figure that misses its level", m)
	}
	if m := s.Truth.Months["Orbit"]["2016-11"]; !m.Met {
		t.Errorf("Orbit in November: got %+v; want a figure that meets its level", m)
	}
	// The 25-hour day of the change back of the clock.
	if d := s.Truth.Days["Orbit"]["2016-10-30"]; d.Measured != 3*3*25*3 {
		t.Errorf("Orbit on 30 October: got %d probes; want 25 hours of 3 rounds at 3 locations of 3 actions", d.Measured)
	}
	var arr []map[string]any
	if err := json.Unmarshal(s.JSON(0, len(s.Probes)), &arr); err != nil || len(arr) != len(s.Probes) {
		t.Fatalf("JSON: %v, %d objects", err, len(arr))
	}
	if n := bytes.Count(s.CSV(0, len(s.Probes)), []byte("\n")); n != len(s.Probes)+1 {
		t.Errorf("CSV: got %d lines; want a header and %d probes", n, len(s.Probes))
	}
	if s.Probes[0].Time.Before(time.Date(2016, 10, 27, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("first probe at %v; want none before local midnight of 28 October", s.Probes[0].Time)
	}
}
