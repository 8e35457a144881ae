package config

import (
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

func TestSystems(t *testing.T) {
	s, err := ParseQueues([]byte(`
defaults:
  timezone: Europe/Berlin
systems:
  Orbit:
    name: Orbit
    agreed_level: 0.998
  "Mail/kalender":
    agreed_level: 0.994
    timezone: Europe/Copenhagen
    thresholds: {standard: 2.5, Bulk-Export: 60}
    actions: {login: data_heavy, export: bulk_export}
  EPM3:
    name: EPM 3
`), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sys := range s.Systems {
		names = append(names, sys.Name)
	}
	// The order of the file: the report's columns.
	if strings.Join(names, ",") != "Orbit,Mail/kalender,EPM3" {
		t.Fatalf("got systems %v; want them in the file's order", names)
	}
	o := s.System("Orbit")
	if o.Display != "Orbit" || o.AgreedLevel != 9980 || o.Location.String() != "Europe/Berlin" || o.Thresholds[cdr.ClassDataHeavy] != 15_000_000 {
		t.Errorf("Orbit: got %+v", o)
	}
	m := s.System("Mail/kalender")
	if m.Display != "Mail/kalender" || m.AgreedLevel != 9940 || m.Location.String() != "Europe/Copenhagen" ||
		m.Thresholds[cdr.ClassStandard] != 2_500_000 || m.Thresholds["bulk_export"] != 60_000_000 || m.Thresholds[cdr.ClassDataHeavy] != 15_000_000 ||
		m.ActionClass("export") != "bulk_export" || m.ActionClass("search") != cdr.ClassStandard {
		t.Errorf("Mail/kalender: got %+v", m)
	}
	if e := s.System("EPM3"); e.Display != "EPM 3" || e.AgreedLevel != 0 {
		t.Errorf("EPM3: got %+v; want no agreed level", e)
	}
	if d := s.System("unlisted"); d.AgreedLevel != 0 || d.Display != "unlisted" {
		t.Errorf("a system not listed: got %+v", d)
	}
}

func TestSystemErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"a percentage", "systems:\n  Orbit:\n    agreed_level: 99.8\n", `q.yaml:3: system "Orbit": agreed_level: 99.8: must be a fraction above 0 and at most 1 (0.998 is 99.80 %)`},
		{"finer than shown", "systems:\n  Orbit:\n    agreed_level: 0.99805\n", `q.yaml:3: system "Orbit": agreed_level: 0.99805: is compared at the two decimals of a percent that people read`},
		{"unknown key", "systems:\n  Orbit: {agreed: 0.99}\n", `q.yaml:2: system "Orbit": agreed: unknown key (allowed: name, agreed_level, timezone, thresholds, actions)`},
		{"bad class name", "systems:\n  Orbit:\n    thresholds: {\"a/b\": 3}\n", `q.yaml:3: system "Orbit": thresholds: "a/b" is not a class name`},
		{"bad threshold", "systems:\n  Orbit:\n    thresholds: {standard: 0}\n", `q.yaml:3: system "Orbit": thresholds.standard: 0: must be more than 0 s and at most 86400 s`},
		{"unknown class", "systems:\n  Orbit:\n    actions: {login: heavy}\n", `q.yaml:3: system "Orbit": actions.login: "heavy" is not a class of this system (data_heavy, standard)`},
		{"bad zone", "systems:\n  Orbit: {timezone: Mars/Base}\n", `system "Orbit": timezone: "Mars/Base": unknown time zone`},
		{"wrong type", "systems:\n  Orbit:\n    thresholds: [3, 15]\n", `q.yaml:3: system "Orbit": thresholds: cannot unmarshal !!seq into a mapping of numbers`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQueues([]byte(tc.yaml), "q.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v;\nwant an error with %q", err, tc.want)
			}
		})
	}
}

func TestDiffQueuesNamesSystemChanges(t *testing.T) {
	parse := func(text string) *cdr.Settings {
		t.Helper()
		s, err := ParseQueues([]byte(text), "q.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old := parse("systems:\n  Orbit: {agreed_level: 0.998}\n  GS: {agreed_level: 0.994}\n")
	new := parse("systems:\n  Orbit: {agreed_level: 0.995, thresholds: {standard: 2}}\n  SP: {agreed_level: 0.998}\n")
	got := strings.Join(DiffQueues(old, new), "\n")
	for _, want := range []string{"systems added: SP", "systems removed: GS", "system Orbit changed: agreed_level 99.80 % → 99.50 %, thresholds changed"} {
		if !strings.Contains(got, want) {
			t.Errorf("got:\n%s\nwant a line %q", got, want)
		}
	}
}
