package config

import (
	"strings"
	"testing"
)

func TestEntries(t *testing.T) {
	s, err := ParseQueues([]byte(`
entries:
  main: {name: "Hospital IT", numbers: ["70000", "70001"], timezone: Europe/Copenhagen, queues: [servicedesk, klinisk]}
  other: {numbers: ["80000"]}
`), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) != 2 {
		t.Fatalf("got %d entries, want 2", len(s.Entries))
	}
	m := s.Entries[0]
	if m.Name != "main" || m.Title != "Hospital IT" || strings.Join(m.Numbers, ",") != "70000,70001" ||
		strings.Join(m.Queues, ",") != "servicedesk,klinisk" || m.Location.String() != "Europe/Copenhagen" {
		t.Errorf("main: got %+v", m)
	}
	if o := s.Entries[1]; o.Title != "other" || len(o.Queues) != 0 || o.Location.String() != "Europe/Copenhagen" {
		t.Errorf("other: got %+v", o)
	}
}

func TestEntryErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"no numbers", "entries:\n  main: {name: x}\n", `q.yaml:2: entry "main": numbers: missing`},
		{"shared number", "entries:\n  a: {numbers: [\"1\"]}\n  b: {numbers: [\"1\"]}\n", `entry "b": numbers: "1" is also a number of entry "a"`},
		{"bad zone", "entries:\n  main: {numbers: [\"1\"], timezone: Mars/Base}\n", `entry "main": timezone: "Mars/Base": unknown time zone`},
		{"queue twice", "entries:\n  main: {numbers: [\"1\"], queues: [a, a]}\n", `entry "main": queues: "a" is listed twice`},
		{"unknown key", "entries:\n  main: {numbers: [\"1\"], queue: a}\n", `entry "main": queue: unknown key (allowed: name, numbers, timezone, queues)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQueues([]byte(tc.yaml), "q.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
