package simulate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// Contacts and cases of a service desk's portal and service-management
// tool, with their own truth (METRICS.md, "Contacts and cases"). The model
// is a list of cases, each with the states the tool exports as it changes
// (opened, resolved, reopened, resolved again); the truth counts them by
// the contract's words, with its own calendar, never with acdstat's code.
//
// Scenarios on top of the random cases: cases opened on a Friday afternoon
// whose time runs over the weekend and the desk's closed dates, resolved on
// the last day of their time or the day after; reopenings within 7 days
// (the closure moves to the new resolution); reopenings after 7 days (the
// tool opens a new case, as ServiceNow does once a resolved incident has
// closed itself after 7 days: the first case stays closed); cases still
// open at the end; resent states and contacts.

// CaseDesk is one simulated service desk.
type CaseDesk struct {
	// Name is the desk as the cases name it.
	Name string
	// WorkingDays counts a case's time in working days: the weekdays of
	// Weekdays that are not Closed.
	WorkingDays bool
	// Weekdays are the working weekdays (index time.Weekday).
	Weekdays [7]bool
	// Closed lists local dates ("2006-01-02") that are not working days.
	Closed []string
	// CriticalDays is the time of a critical case; 0: none.
	CriticalDays int
	// PhoneFromCases makes the phone's contacts the cases with channel
	// phone (else the answered calls of its queues, which this model has
	// not).
	PhoneFromCases bool
}

// CaseConfig describes one simulation of contacts and cases.
type CaseConfig struct {
	// System names the tool (the switch of the records); default "tool".
	System string
	// Start is the first local day; Days the number of days.
	Start time.Time
	Days  int
	// Location is the desks' zone; default Europe/Copenhagen.
	Location *time.Location
	// Desks; empty means DefaultCaseDesks.
	Desks []CaseDesk
	// CasesPerDay on a working weekday per desk (a fifth of it on other
	// days, at least one); default 30.
	CasesPerDay int
	// Seed makes the run reproducible.
	Seed int64
}

// DefaultCaseDesks are a desk counting calendar days with phone from calls
// and a clinical desk counting working days (Monday to Friday, closed on
// the given dates) with phone from its cases and a 1-day critical time.
func DefaultCaseDesks() []CaseDesk {
	week := [7]bool{false, true, true, true, true, true, false}
	return []CaseDesk{
		{Name: "servicedesk", CriticalDays: 1},
		{Name: "klinisk", WorkingDays: true, Weekdays: week, Closed: []string{"2016-10-14", "2016-11-04"}, CriticalDays: 2, PhoneFromCases: true},
	}
}

// caseDaysOf are the days of each criticality but critical (METRICS.md).
var caseDaysOf = map[string]int{"high": 3, "medium": 5, "normal": 10}

// CaseState is one exported state of a case, as a tool writes it.
type CaseState struct {
	ID, Desk, Channel, Criticality string
	Opened, Resolved, Reopened     time.Time // zero: not set
	Updated                        time.Time
	FirstContact                   string // "true", "false" or "" (unknown)
	ReopenCount                    int
}

// Contact is one contact from a channel other than the phone.
type Contact struct {
	ID, Desk, Channel string
	Time              time.Time
}

// CaseSim is a generated run: the states and contacts in the order they
// are sent (shuffled, some twice), and what the model knows.
type CaseSim struct {
	cfg      CaseConfig
	end      time.Time // the end of the run: nothing later is exported
	States   []CaseState
	Contacts []Contact
	cases    [][]CaseState // each case's states, oldest first
}

// CaseTruthMonth is the truth of one desk and local month ("2016-10").
type CaseTruthMonth struct {
	Desk, Month                   string
	Registered, FirstContactKnown int
	FirstContact, Closed          int
	DeadlineCases, WithinDeadline int
	PhoneCases                    int
	Contacts                      map[string]int
}

// GenerateCases builds a run.
func GenerateCases(cfg CaseConfig) (*CaseSim, error) {
	if cfg.System == "" {
		cfg.System = "tool"
	}
	if cfg.Location == nil {
		cfg.Location = Copenhagen()
	}
	if len(cfg.Desks) == 0 {
		cfg.Desks = DefaultCaseDesks()
	}
	if cfg.CasesPerDay <= 0 {
		cfg.CasesPerDay = 30
	}
	if cfg.Days <= 0 || cfg.Start.IsZero() {
		return nil, fmt.Errorf("simulate: cases need Start and Days")
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6361736573))
	loc := cfg.Location
	y, m, d := cfg.Start.In(loc).Date()
	end := time.Date(y, m, d+cfg.Days, 0, 0, 0, 0, loc)
	s := &CaseSim{cfg: cfg, end: end}
	n := 0
	newID := func() string { n++; return fmt.Sprintf("INC%06d", n) }
	crits := []string{"critical", "high", "medium", "normal"}
	for di := range cfg.Desks {
		desk := &cfg.Desks[di]
		for day := 0; day < cfg.Days; day++ {
			date := time.Date(y, m, d+day, 0, 0, 0, 0, loc)
			count := cfg.CasesPerDay
			if !desk.working(date) {
				count = max(cfg.CasesPerDay/5, 1)
			}
			for i := 0; i < count; i++ {
				opened := date.Add(time.Duration(7*3600+rng.IntN(10*3600)) * time.Second)
				ch := "phone"
				switch r := rng.Float64(); {
				case r < 0.22:
					ch = "portal"
				case r < 0.27:
					ch = "mail"
				}
				c := CaseState{ID: newID(), Desk: desk.Name, Channel: ch, Opened: opened, Updated: opened, FirstContact: "false", ReopenCount: 0}
				states := []CaseState{c}
				switch r := rng.Float64(); {
				case r < 0.55: // resolved at first contact, some with no flag
					c.Resolved = opened.Add(time.Duration(60+rng.IntN(900)) * time.Second)
					c.FirstContact = "true"
					if rng.Float64() < 0.1 {
						c.FirstContact = ""
					}
					c.Updated = c.Resolved
					states = []CaseState{c}
				default:
					c.Criticality = crits[rng.IntN(len(crits))]
					if rng.Float64() < 0.05 {
						c.FirstContact = ""
					}
					states[0] = c
					delay := time.Duration(rng.Float64()*14*24*3600) * time.Second
					r1 := opened.Add(delay)
					c.Resolved, c.Updated = r1, r1
					states = append(states, c)
					switch r := rng.Float64(); {
					case r < 0.12: // reopened within 7 days, resolved again
						re := r1.Add(time.Duration(3600+rng.IntN(6*24*3600)) * time.Second)
						c.Reopened, c.ReopenCount, c.Updated = re, 1, re
						states = append(states, c)
						r2 := re.Add(time.Duration(1800+rng.IntN(4*24*3600)) * time.Second)
						c.Resolved, c.Updated = r2, r2
						states = append(states, c)
					case r < 0.18: // "reopened" after 7 days: a new case
						again := r1.Add(time.Duration(8*24*3600+rng.IntN(10*24*3600)) * time.Second)
						nc := CaseState{ID: newID(), Desk: desk.Name, Channel: "portal", Criticality: "normal", Opened: again, Updated: again, FirstContact: "false"}
						s.cases = append(s.cases, []CaseState{nc, withResolved(nc, again.Add(time.Duration(rng.IntN(12*24*3600))*time.Second))})
					}
				}
				s.cases = append(s.cases, states)
			}
			// Weekend scenario: opened Friday 14:00, resolved at the end of
			// its last working day or the morning after.
			if date.Weekday() == time.Friday {
				for _, crit := range []string{"high", "medium"} {
					opened := date.Add(14 * time.Hour)
					due := desk.due(crit, opened, loc)
					for _, res := range []time.Time{due.Add(-time.Minute), due.Add(time.Minute)} {
						c := CaseState{ID: newID(), Desk: desk.Name, Channel: "portal", Criticality: crit, Opened: opened, Updated: opened, FirstContact: "false"}
						s.cases = append(s.cases, []CaseState{c, withResolved(c, res)})
					}
				}
			}
		}
	}
	// Only what happened before the end is exported; a case still open
	// then has no resolved state.
	for _, states := range s.cases {
		for _, st := range states {
			if st.Updated.Before(end) {
				s.States = append(s.States, st)
				if rng.Float64() < 0.05 {
					s.States = append(s.States, st)
				}
			}
		}
	}
	chans := []string{"portal", "portal", "portal", "mail", "chat", "walk-in"}
	for di := range cfg.Desks {
		for day := 0; day < cfg.Days; day++ {
			date := time.Date(y, m, d+day, 0, 0, 0, 0, loc)
			for i := 0; i < cfg.CasesPerDay/3+1; i++ {
				c := Contact{ID: fmt.Sprintf("C-%s-%d-%d", cfg.Desks[di].Name, day, i), Desk: cfg.Desks[di].Name,
					Channel: chans[rng.IntN(len(chans))], Time: date.Add(time.Duration(rng.IntN(24*3600)) * time.Second)}
				s.Contacts = append(s.Contacts, c)
				if rng.Float64() < 0.05 {
					s.Contacts = append(s.Contacts, c)
				}
			}
		}
	}
	rng.Shuffle(len(s.States), func(i, j int) { s.States[i], s.States[j] = s.States[j], s.States[i] })
	return s, nil
}

func withResolved(c CaseState, t time.Time) CaseState {
	c.Resolved, c.Updated = t, t
	return c
}

// working reports whether the local date of t is a working day of the desk.
func (d *CaseDesk) working(t time.Time) bool {
	if !d.WorkingDays {
		return true
	}
	return d.Weekdays[t.Weekday()] && !slices.Contains(d.Closed, t.Format("2006-01-02"))
}

// due returns the last instant within the time of a case: opened plus the
// days × 24 h, or the end (24:00) of the days-th working day after the day
// of opening.
func (d *CaseDesk) due(crit string, opened time.Time, loc *time.Location) time.Time {
	days := caseDaysOf[crit]
	if crit == "critical" {
		days = d.CriticalDays
	}
	if !d.WorkingDays {
		return opened.Add(time.Duration(days) * 24 * time.Hour)
	}
	o := opened.In(loc)
	day := time.Date(o.Year(), o.Month(), o.Day(), 0, 0, 0, 0, loc)
	for left := days; left > 0; {
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		if d.working(day) {
			left--
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc).Add(-time.Second)
}

// StatesUntil returns the states sent up to (not including) t, in sending
// order, and those sent after.
func (s *CaseSim) StatesUntil(t time.Time) (before, after []CaseState) {
	for _, st := range s.States {
		if st.Updated.Before(t) {
			before = append(before, st)
		} else {
			after = append(after, st)
		}
	}
	return before, after
}

// Truth counts the cases as known from the states sent before t (all of
// them for a t after the run) and all contacts, per desk and month.
func (s *CaseSim) Truth(t time.Time) []CaseTruthMonth {
	if t.After(s.end) {
		t = s.end
	}
	loc := s.cfg.Location
	type key struct{ desk, month string }
	out := map[key]*CaseTruthMonth{}
	get := func(desk string, at time.Time) *CaseTruthMonth {
		k := key{desk, at.In(loc).Format("2006-01")}
		if out[k] == nil {
			out[k] = &CaseTruthMonth{Desk: desk, Month: k.month, Contacts: map[string]int{}}
		}
		return out[k]
	}
	desks := map[string]*CaseDesk{}
	for i := range s.cfg.Desks {
		desks[s.cfg.Desks[i].Name] = &s.cfg.Desks[i]
	}
	for _, states := range s.cases {
		var c *CaseState
		for i := range states {
			if states[i].Updated.Before(t) {
				c = &states[i]
			}
		}
		if c == nil {
			continue
		}
		m := get(c.Desk, c.Opened)
		m.Registered++
		if c.Channel == "phone" {
			m.PhoneCases++
		}
		if c.FirstContact != "" {
			m.FirstContactKnown++
			if c.FirstContact == "true" {
				m.FirstContact++
			}
		}
		if c.Resolved.IsZero() || c.Reopened.After(c.Resolved) {
			continue
		}
		m = get(c.Desk, c.Resolved)
		m.Closed++
		if c.FirstContact == "true" || c.Criticality == "" || (c.Criticality == "critical" && desks[c.Desk].CriticalDays == 0) {
			continue
		}
		m.DeadlineCases++
		if !c.Resolved.After(desks[c.Desk].due(c.Criticality, c.Opened, loc)) {
			m.WithinDeadline++
		}
	}
	seen := map[string]bool{}
	for _, c := range s.Contacts {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		get(c.Desk, c.Time).Contacts[c.Channel]++
	}
	res := make([]CaseTruthMonth, 0, len(out))
	for _, m := range out {
		res = append(res, *m)
	}
	sort.Slice(res, func(i, j int) bool {
		return res[i].Desk < res[j].Desk || res[i].Desk == res[j].Desk && res[i].Month < res[j].Month
	})
	return res
}

// CasesCSV writes states as a tool export with our column names
// (cdr.CaseFields) and a free-text column that must never be stored.
func CasesCSV(states []CaseState) string {
	var b strings.Builder
	b.WriteString("id,desk,channel,criticality,opened,resolved,updated,first_contact,reopen_count,reopened,short_description\n")
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, c := range states {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s,%d,%s,\"printer on ward 7, patient Hansen\"\n", c.ID, c.Desk, c.Channel, c.Criticality,
			ts(c.Opened), ts(c.Resolved), ts(c.Updated), c.FirstContact, c.ReopenCount, ts(c.Reopened))
	}
	return b.String()
}

// ContactsCSV writes contacts with our column names (cdr.ContactFields).
func ContactsCSV(contacts []Contact) string {
	var b strings.Builder
	b.WriteString("id,desk,channel,time\n")
	for _, c := range contacts {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", c.ID, c.Desk, c.Channel, c.Time.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Desks returns the simulated desks.
func (s *CaseSim) Desks() []CaseDesk { return slices.Clone(s.cfg.Desks) }

// DesksYAML is the desks section of a queue file for the simulated desks.
func (s *CaseSim) DesksYAML() string {
	var b strings.Builder
	b.WriteString("desks:\n")
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	for _, d := range s.cfg.Desks {
		fmt.Fprintf(&b, "  %s:\n    timezone: %s\n", d.Name, s.cfg.Location)
		if d.CriticalDays > 0 {
			fmt.Fprintf(&b, "    critical_days: %d\n", d.CriticalDays)
		}
		if d.PhoneFromCases {
			b.WriteString("    phone: cases\n")
		}
		if d.WorkingDays {
			b.WriteString("    days: working\n    hours:\n")
			for i, on := range d.Weekdays {
				if on {
					fmt.Fprintf(&b, "      %s: \"08:00-16:00\"\n", days[i])
				}
			}
			if len(d.Closed) > 0 {
				fmt.Fprintf(&b, "    closed: [%s]\n", strings.Join(d.Closed, ", "))
			}
		}
	}
	return b.String()
}
