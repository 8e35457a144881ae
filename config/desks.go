package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/acdstat/acdstat/cdr"
)

// The desks section of the queue file: the service desks of contacts and
// cases (METRICS.md, "Contacts and cases"; cdr.DeskSettings).
//
//	desks:
//	  servicedesk:                # the desk as the cases and contacts name it
//	    name: CIMT Servicedesk    # for people; default the key
//	    queues: [servicedesk]     # the queues whose answered calls are its phone contacts
//	    timezone: Europe/Copenhagen
//	    days: working             # a case's time in working or calendar days (default calendar)
//	    hours:                    # its working days: weekdays with hours (as for queues)
//	      mon-thu: "08:00-16:00"
//	      fri: "08:00-15:00"
//	    closed: ["2016-12-24"]
//	    danish_holidays: true
//	    critical_days: 1          # the time of a critical case; none when not set
//	    phone: calls              # calls (answered calls of queues) or cases (cases with channel phone)
//	    target: 0.90              # the share resolved within time, 0..1, default 0.90
//
// Desks not listed get cdr.DefaultDeskSettings (Europe/Copenhagen, calendar
// days, phone from calls of no queue, 0.90).

// deskEntry is one desk of the queue file.
type deskEntry struct {
	Name           string            `yaml:"name"`
	Queues         []string          `yaml:"queues"`
	Timezone       string            `yaml:"timezone"`
	Days           string            `yaml:"days"`
	Hours          map[string]string `yaml:"hours"`
	Closed         []string          `yaml:"closed"`
	DanishHolidays bool              `yaml:"danish_holidays"`
	CriticalDays   *int              `yaml:"critical_days"`
	Phone          string            `yaml:"phone"`
	Target         *float64          `yaml:"target"`
}

// checkDeskKeys reports unknown keys of each desk.
func (p *queueParser) checkDeskKeys(v *yaml.Node, check func(n *yaml.Node, allowed []string, kind, name, where string)) {
	if v.Kind != yaml.MappingNode {
		return
	}
	for j := 0; j+1 < len(v.Content); j += 2 {
		check(v.Content[j+1], yamlKeys(reflect.TypeFor[deskEntry]()), "desk", v.Content[j].Value, "")
	}
}

// desks validates the desks section; def is the zone of desks that give
// none.
func (p *queueParser) desks(f *queueFile, def *time.Location) map[string]cdr.DeskSettings {
	if len(f.Desks) == 0 {
		return nil
	}
	out := map[string]cdr.DeskSettings{}
	for _, name := range sortedKeys(f.Desks) {
		e := f.Desks[name]
		fail := func(field, msg string, path ...string) {
			p.fail("desk", name, field, msg, append([]string{"desks", name}, path...)...)
		}
		d := cdr.DefaultDeskSettings(name)
		if strings.TrimSpace(name) == "" {
			fail("", "a desk name must not be empty")
		}
		if e.Name != "" {
			d.Display = e.Name
		}
		for _, q := range e.Queues {
			switch {
			case strings.TrimSpace(q) == "":
				fail("queues", "an empty queue name", "queues")
			case slices.Contains(d.Queues, q):
				fail("queues", fmt.Sprintf("%q is listed twice", q), "queues")
			default:
				d.Queues = append(d.Queues, q)
			}
		}
		switch {
		case e.Timezone != "":
			d.Calendar.Location = p.zone(e.Timezone, "desk", name, "timezone", "desks", name, "timezone")
		case def != nil:
			d.Calendar.Location = def
		}
		switch e.Days {
		case "", "calendar":
		case "working":
			d.WorkingDays = true
		default:
			fail("days", fmt.Sprintf("%q: use working or calendar", e.Days), "days")
		}
		for _, key := range sortedKeys(e.Hours) {
			field := "hours." + key
			days, err := parseDays(key)
			if err != nil {
				fail(field, err.Error(), "hours", key)
				continue
			}
			rs, err := parseRanges(e.Hours[key])
			if err != nil {
				fail(field, fmt.Sprintf("%q: %v", e.Hours[key], err), "hours", key)
				continue
			}
			for _, wd := range days {
				if d.Calendar.Hours[wd] != nil {
					fail(field, fmt.Sprintf("%s is given twice (each day may appear in one key only)", dayNames[wd]), "hours", key)
					continue
				}
				d.Calendar.Hours[wd] = slices.Clone(rs)
			}
		}
		for _, c := range e.Closed {
			t, err := time.Parse(time.DateOnly, c)
			if err != nil || t.Format(time.DateOnly) != c {
				fail("closed", fmt.Sprintf("%q: not a date (use YYYY-MM-DD, e.g. 2025-12-24)", c), "closed")
				continue
			}
			if d.Calendar.ClosedDates == nil {
				d.Calendar.ClosedDates = map[string]bool{}
			}
			d.Calendar.ClosedDates[c] = true
		}
		d.Calendar.DanishHolidays = e.DanishHolidays
		if e.CriticalDays != nil {
			if *e.CriticalDays < 1 || *e.CriticalDays > 365 {
				fail("critical_days", fmt.Sprintf("%d: must be 1 to 365 days", *e.CriticalDays), "critical_days")
			}
			d.CriticalDays = *e.CriticalDays
		}
		switch e.Phone {
		case "", cdr.PhoneCalls:
		case cdr.PhoneCases:
			d.Phone = cdr.PhoneCases
		default:
			fail("phone", fmt.Sprintf("%q: use calls (answered calls of the desk's queues) or cases (cases registered with channel phone)", e.Phone), "phone")
		}
		if e.Target != nil {
			if !(*e.Target >= 0 && *e.Target <= 1) {
				fail("target", fmt.Sprintf("%v: must be a fraction from 0 to 1 (0.90 is 90 %%)", *e.Target), "target")
			}
			d.Target = *e.Target
		}
		out[name] = d
	}
	return out
}
