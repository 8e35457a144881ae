package config

import (
	"strings"
	"testing"
)

func TestAgents(t *testing.T) {
	s, err := ParseQueues([]byte(`
defaults: {timezone: Europe/London}
agents:
  anna:
    name: Anna Jensen
    timezone: Europe/Copenhagen
    names: {pbx1: [PJSIP/1001], pbx2: [SIP/201], "*": [Anna Jensen]}
  bo:
    names: {pbx1: [PJSIP/1002]}
`), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sw, name, id, display, zone string }{
		{"pbx1", "PJSIP/1001", "anna", "Anna Jensen", "Europe/Copenhagen"},
		{"pbx2", "SIP/201", "anna", "Anna Jensen", "Europe/Copenhagen"},
		{"pbx9", "Anna Jensen", "anna", "Anna Jensen", "Europe/Copenhagen"},
		{"pbx1", "PJSIP/1002", "bo", "bo", "Europe/London"},
		{"pbx2", "PJSIP/1002", "pbx2/PJSIP/1002", "PJSIP/1002", "Europe/London"},
	} {
		d := s.Agent(tc.sw, tc.name)
		if d.ID != tc.id || d.Display != tc.display || d.Location.String() != tc.zone {
			t.Errorf("%s %s: got %s %q %v; want %s %q %s", tc.sw, tc.name, d.ID, d.Display, d.Location, tc.id, tc.display, tc.zone)
		}
	}
	// Without defaults.timezone an agent's zone is Europe/Copenhagen.
	s, err = ParseQueues([]byte("agents:\n  bo: {names: {pbx1: [PJSIP/1002]}}\n"), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Agent("pbx1", "PJSIP/1002"); d.ID != "bo" || d.Location.String() != "Europe/Copenhagen" {
		t.Errorf("bo: got %+v", d)
	}
}

func TestAgentErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"no names", "agents:\n  anna: {name: Anna}\n", `q.yaml:2: agent "anna": names: missing`},
		{"bad id", "agents:\n  a/b: {names: {pbx1: [x]}}\n", `agent "a/b": an agent's id is 1 to 64 letters`},
		{"bad switch", "agents:\n  anna: {names: {\"pbx 1\": [x]}}\n", `agent "anna": names.pbx 1: "pbx 1" is not a switch name`},
		{"shared name", "agents:\n  a: {names: {pbx1: [x]}}\n  b: {names: {pbx1: [x]}}\n", `agent "b": names.pbx1: "x" is also a name of agent "a"`},
		{"shared on every switch", "agents:\n  a: {names: {\"*\": [x]}}\n  b: {names: {pbx1: [x]}}\n", `"x" is also a name of agent "a"`},
		{"empty name", "agents:\n  a: {names: {pbx1: [\"\"]}}\n", `agent "a": names.pbx1: "" is not a name`},
		{"bad zone", "agents:\n  a: {timezone: Mars/Base, names: {pbx1: [x]}}\n", `agent "a": timezone: "Mars/Base": unknown time zone`},
		{"unknown key", "agents:\n  a: {interfaces: [x]}\n", `agent "a": interfaces: unknown key (allowed: name, timezone, names)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQueues([]byte(tc.yaml), "q.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
