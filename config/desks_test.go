package config

import (
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func TestDesks(t *testing.T) {
	s, err := ParseQueues([]byte(`
desks:
  klinisk:
    name: Klinisk Servicedesk
    queues: [klinisk]
    days: working
    hours: {mon-thu: "08:00-16:00", fri: "08:00-15:00"}
    closed: ["2016-12-24"]
    danish_holidays: true
    critical_days: 1
    phone: cases
    target: 0.85
  servicedesk: {queues: [servicedesk, sd2]}
`), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k := s.Desk("klinisk")
	if k.Display != "Klinisk Servicedesk" || strings.Join(k.Queues, ",") != "klinisk" || !k.WorkingDays ||
		k.CriticalDays != 1 || k.Phone != cdr.PhoneCases || k.Target != 0.85 || !k.Calendar.DanishHolidays ||
		!k.Calendar.ClosedDates["2016-12-24"] || len(k.Calendar.Hours[time.Friday]) != 1 || len(k.Calendar.Hours[time.Saturday]) != 0 ||
		k.Location().String() != "Europe/Copenhagen" {
		t.Errorf("klinisk: %+v", k)
	}
	// 24 December 2016 is a Saturday: closed anyway; Friday 23 is a working day.
	if !k.WorkingDay(2016, 12, 23) || k.WorkingDay(2016, 12, 26) {
		t.Error("working days: 23 December 2016 is one, 26 December (2. juledag) is not")
	}
	sd := s.Desk("servicedesk")
	if sd.WorkingDays || sd.Phone != cdr.PhoneCalls || sd.Target != 0.90 || strings.Join(sd.Queues, ",") != "servicedesk,sd2" {
		t.Errorf("servicedesk: %+v", sd)
	}
	if d := s.Desk("other"); d.Name != "other" || d.Phone != cdr.PhoneCalls {
		t.Errorf("unlisted desk: %+v", d)
	}
}

func TestDeskErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"days", "desks:\n  sd:\n    days: weekdays\n", `q.yaml:3: desk "sd": days: "weekdays": use working or calendar`},
		{"phone", "desks:\n  sd:\n    phone: both\n", `q.yaml:3: desk "sd": phone: "both": use calls`},
		{"critical", "desks:\n  sd:\n    critical_days: 0\n", `q.yaml:3: desk "sd": critical_days: 0: must be 1 to 365 days`},
		{"target", "desks:\n  sd:\n    target: 90\n", `q.yaml:3: desk "sd": target: 90: must be a fraction`},
		{"hours", "desks:\n  sd:\n    hours: {mon: \"16:00-08:00\"}\n", `q.yaml:3: desk "sd": hours.mon:`},
		{"unknown key", "desks:\n  sd:\n    critical: 1\n", `q.yaml:3: desk "sd": critical: unknown key (allowed: name, queues, timezone, days, hours, closed, danish_holidays, critical_days, phone, target)`},
		{"type", "desks:\n  sd:\n    critical_days: one\n", `q.yaml:3: desk "sd": critical_days:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQueues([]byte(tc.yaml), "q.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestDiffQueuesNamesDeskChanges: settings apply says which desks a new
// version adds, removes or changes.
func TestDiffQueuesNamesDeskChanges(t *testing.T) {
	parse := func(text string) *cdr.Settings {
		t.Helper()
		s, err := ParseQueues([]byte(text), "q.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old := parse("desks:\n  sd: {critical_days: 1}\n  gone: {}\n")
	new := parse("desks:\n  sd: {critical_days: 2, days: working}\n  added: {}\n")
	got := strings.Join(DiffQueues(old, new), "; ")
	want := "desks added: added; desks removed (they get the defaults): gone; desk sd changed: critical_days 1 → 2, days calendar → working"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
