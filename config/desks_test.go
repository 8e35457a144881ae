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

// TestRecordMaps: --map for contacts and cases is a shipped tool's name or
// a YAML map of the contact or case fields, with value translations; a
// field of another schema, or a value translated to nothing ours, is
// refused with its name.
func TestRecordMaps(t *testing.T) {
	m, err := ParseRecordMap([]byte(`
columns: {id: Nummer, desk: Gruppe, channel: Kanal, time: Oprettet}
time_format: "02-01-2006 15:04"
timezone: Europe/Copenhagen
values:
  channel: {Selvbetjening: portal, "E-mail": email}
`), "contacts.yaml", cdr.FormatContacts)
	if err != nil {
		t.Fatal(err)
	}
	var evs []cdr.Event
	err = cdr.DecodeContacts(strings.NewReader("Nummer,Gruppe,Kanal,Oprettet,Beskrivelse\nK1,sd,Selvbetjening,03-10-2016 09:00,cpr 0101\n"),
		cdr.DecodeOptions{Switch: "portal", Map: m}, func(b cdr.Batch) error {
			if len(b.Rejects) > 0 {
				t.Fatalf("refused: %v", b.Rejects[0])
			}
			evs = append(evs, b.Events...)
			return nil
		})
	if err != nil || len(evs) != 1 || evs[0].Agent != "portal" || evs[0].Time.Unix() != 1475478000 {
		t.Fatalf("decoded %+v (%v); want the contact K1 on the portal at 09:00 local", evs, err)
	}
	if m, err := LoadRecordMap("servicenow", cdr.FormatCases); err != nil || m != cdr.ShippedCaseMaps["servicenow"] {
		t.Errorf("--map servicenow: %v, %v", m, err)
	}
	for _, tc := range []struct{ yaml, format, want string }{
		{"columns: {call_id: x}", cdr.FormatCases, `columns: "call_id" is not a field of cases (fields: id, desk`},
		{"columns: {criticality: x}", cdr.FormatContacts, `columns: "criticality" is not a field of contacts`},
		{"values: {criticality: {P1: urgent}}", cdr.FormatCases, `values: criticality: "P1" maps to "urgent", which is not critical, high, medium or normal`},
		{"values: {opened: {x: y}}", cdr.FormatCases, `values: opened takes no values (only channel, criticality, first_contact)`},
	} {
		if _, err := ParseRecordMap([]byte(tc.yaml), "m.yaml", tc.format); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v; want %q", tc.yaml, err, tc.want)
		}
	}
}
