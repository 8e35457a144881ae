package cdr

import (
	"cmp"
	"slices"
	"time"
)

// The figures of contacts and cases per desk and month (METRICS.md,
// "Contacts and cases"), counted from the latest state of every case and
// the contacts, in the desk's zone. BuildDeskMonths is pure: the case job
// (aggregate.CaseJob) reads what it needs and stores what it returns.

// The phone rules of a desk (DeskSettings.Phone).
const (
	PhoneCalls = "calls" // the phone's contacts are the answered calls of the desk's queues
	PhoneCases = "cases" // the phone's contacts are the cases registered with channel phone
)

// CaseClosedAfter is how long a resolution must stand, not reopened, before
// the case counts as closed for good: a month's closed cases are
// provisional until this long after the month's end.
const CaseClosedAfter = 7 * 24 * time.Hour

// DefaultCaseTarget is the target of the share of cases resolved within
// their time (METRICS.md: 90 %).
const DefaultCaseTarget = 0.90

// caseDays are the days a case of a criticality has (METRICS.md: high 3,
// medium 5, normal 10); critical's are set per desk (DeskSettings).
var caseDays = map[string]int{CriticalityHigh: 3, CriticalityMedium: 5, CriticalityNormal: 10}

// DeskSettings are one service desk's settings (the queue file's desks).
type DeskSettings struct {
	// Name is the desk as the cases and contacts name it; Display is for
	// people.
	Name, Display string
	// Queues are the queues whose answered calls are the desk's phone
	// contacts (Phone PhoneCalls).
	Queues []string
	// Calendar holds the desk's zone (Location), opening hours, closed
	// dates and holidays: its working days (WorkingDay).
	Calendar QueueSettings
	// WorkingDays counts a case's days in working days; false counts
	// calendar days.
	WorkingDays bool
	// CriticalDays is the days of a critical case; 0 means none is set,
	// and critical cases then count in no deadline figure.
	CriticalDays int
	// Phone is PhoneCalls (default) or PhoneCases.
	Phone string
	// Target is the target of the share resolved within time (0.90).
	Target float64
}

// DefaultDeskSettings are the settings of a desk the file does not list.
func DefaultDeskSettings(name string) DeskSettings {
	return DeskSettings{Name: name, Display: name, Calendar: QueueSettings{Name: name, Location: defaultLocation()},
		Phone: PhoneCalls, Target: DefaultCaseTarget}
}

// Desk returns a desk's settings, or the defaults for an unlisted desk.
func (s *Settings) Desk(name string) DeskSettings {
	if s != nil {
		if d, ok := s.Desks[name]; ok {
			return d
		}
	}
	return DefaultDeskSettings(name)
}

// Location returns the desk's zone (Europe/Copenhagen when not set).
func (d *DeskSettings) Location() *time.Location {
	if d.Calendar.Location == nil {
		return defaultLocation()
	}
	return d.Calendar.Location
}

// Days returns the days a case of criticality crit has at this desk, and
// false when it has none (no criticality, or critical without a setting).
func (d *DeskSettings) Days(crit string) (int, bool) {
	if crit == CriticalityCritical {
		return d.CriticalDays, d.CriticalDays > 0
	}
	n, ok := caseDays[crit]
	return n, ok
}

// WorkingDay reports whether the local date y-m-d is a working day of the
// desk: not one of its closed dates, not a Danish holiday where it keeps
// them, and a weekday with opening hours (every weekday for a desk
// without hours).
func (d *DeskSettings) WorkingDay(y int, m time.Month, day int) bool {
	c := &d.Calendar
	date := time.Date(y, m, day, 12, 0, 0, 0, time.UTC)
	if c.ClosedDates[date.Format(time.DateOnly)] {
		return false
	}
	if c.DanishHolidays && isDanishHoliday(y, m, day) {
		return false
	}
	return !c.HasHours() || len(c.Hours[date.Weekday()]) > 0
}

// Within reports whether a case of criticality crit opened at opened and
// resolved at resolved was resolved within its time, and false for ok when
// it has no time. In calendar days, within means resolved no later than
// opened plus the days × 24 h; in working days, resolved on a local date no
// later than the days-th working day after the local date of opening (a case
// opened on Friday with 3 working days is within when resolved by Wednesday
// 24:00, with no holiday between).
func (d *DeskSettings) Within(crit string, opened, resolved time.Time) (within, ok bool) {
	n, ok := d.Days(crit)
	if !ok {
		return false, false
	}
	if !d.WorkingDays {
		return !resolved.After(opened.Add(time.Duration(n) * 24 * time.Hour)), true
	}
	loc := d.Location()
	o := opened.In(loc)
	day := time.Date(o.Year(), o.Month(), o.Day(), 12, 0, 0, 0, time.UTC)
	// At most a year of closed days is looked through: a desk closed for
	// longer has no working days to count.
	for left, guard := n, 0; left > 0 && guard < 366+n; guard++ {
		day = day.AddDate(0, 0, 1)
		if d.WorkingDay(day.Year(), day.Month(), day.Day()) {
			left--
		}
	}
	r := resolved.In(loc)
	rd := time.Date(r.Year(), r.Month(), r.Day(), 12, 0, 0, 0, time.UTC)
	return !rd.After(day), true
}

// CaseClosed returns when a case state counts as closed: its resolution,
// where it is resolved and not reopened after it; false while it is open.
func CaseClosed(c *CaseState) (time.Time, bool) {
	if c.Resolved.IsZero() || c.Reopened.After(c.Resolved) {
		return time.Time{}, false
	}
	return c.Resolved, true
}

// LatestCases keeps the latest state of each case (System, ID): the newest
// Updated, then the higher EventID, so the result does not depend on the
// order or repeats of states. It is sorted by (System, ID).
func LatestCases(states []CaseState) []CaseState {
	s := slices.Clone(states)
	slices.SortFunc(s, func(a, b CaseState) int {
		return cmp.Or(cmp.Compare(a.System, b.System), cmp.Compare(a.ID, b.ID),
			b.Updated.Compare(a.Updated), cmp.Compare(b.EventID, a.EventID))
	})
	return slices.CompactFunc(s, func(a, b CaseState) bool { return a.System == b.System && a.ID == b.ID })
}

// LatestContacts keeps one record of each contact (System, ID): the latest
// time, then the higher EventID. It is sorted by (System, ID).
func LatestContacts(contacts []Contact) []Contact {
	s := slices.Clone(contacts)
	slices.SortFunc(s, func(a, b Contact) int {
		return cmp.Or(cmp.Compare(a.System, b.System), cmp.Compare(a.ID, b.ID),
			b.Time.Compare(a.Time), cmp.Compare(b.EventID, a.EventID))
	})
	return slices.CompactFunc(s, func(a, b Contact) bool { return a.System == b.System && a.ID == b.ID })
}

// DeskMonth holds the counts of one desk in one local month (METRICS.md,
// "Contacts and cases"). All are additive over desks.
type DeskMonth struct {
	Desk string
	// Month is the instant the local month starts, in UTC.
	Month time.Time
	// Contacts counts the posted contacts by channel (never phone).
	Contacts map[string]uint64
	// PhoneCases counts the cases registered in the month with channel
	// phone: the phone's contacts under PhoneCases.
	PhoneCases uint64
	// Registered counts the cases opened in the month; FirstContactKnown
	// those of them with a first-contact flag, FirstContact those resolved
	// at first contact.
	Registered, FirstContactKnown, FirstContact uint64
	// Closed counts the cases whose closure (CaseClosed) is in the month.
	Closed uint64
	// DeadlineCases counts the closed cases not resolved at first contact
	// that have a time (DeskSettings.Days); WithinDeadline those of them
	// resolved within it.
	DeadlineCases, WithinDeadline uint64
}

// Empty reports whether the month counts nothing.
func (m *DeskMonth) Empty() bool {
	return len(m.Contacts) == 0 && m.PhoneCases == 0 && m.Registered == 0 && m.Closed == 0
}

// BuildDeskMonths counts the cases (latest states: LatestCases) and
// contacts of desk d by local month, for the months that have any; cases
// and contacts of other desks are ignored. The result is sorted by month.
func BuildDeskMonths(d DeskSettings, cases []CaseState, contacts []Contact) []DeskMonth {
	loc := d.Location()
	months := map[time.Time]*DeskMonth{}
	month := func(t time.Time) *DeskMonth {
		k := MonthStart(t, loc)
		m := months[k]
		if m == nil {
			m = &DeskMonth{Desk: d.Name, Month: k}
			months[k] = m
		}
		return m
	}
	for i := range contacts {
		c := &contacts[i]
		if c.Desk != d.Name {
			continue
		}
		m := month(c.Time)
		if m.Contacts == nil {
			m.Contacts = map[string]uint64{}
		}
		m.Contacts[c.Channel]++
	}
	for i := range cases {
		c := &cases[i]
		if c.Desk != d.Name {
			continue
		}
		m := month(c.Opened)
		m.Registered++
		if c.Channel == ChannelPhone {
			m.PhoneCases++
		}
		if c.FirstContact >= 0 {
			m.FirstContactKnown++
			if c.FirstContact == 1 {
				m.FirstContact++
			}
		}
		closed, ok := CaseClosed(c)
		if !ok {
			continue
		}
		m = month(closed)
		m.Closed++
		if c.FirstContact == 1 {
			continue
		}
		if within, ok := d.Within(c.Criticality, c.Opened, closed); ok {
			m.DeadlineCases++
			if within {
				m.WithinDeadline++
			}
		}
	}
	out := make([]DeskMonth, 0, len(months))
	for _, m := range months {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b DeskMonth) int { return a.Month.Compare(b.Month) })
	return out
}

// MonthStart returns the instant, in UTC, at which the local month of t in
// loc starts.
func MonthStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return localMidnight(l.Year(), l.Month(), 1, loc).UTC()
}

// CasesProvisional reports whether the closed cases of the local month that
// starts at month are still provisional at now: until CaseClosedAfter after
// the month's end a reopening may move a case out of it.
func CasesProvisional(month time.Time, loc *time.Location, now time.Time) bool {
	l := month.In(loc)
	end := localMidnight(l.Year(), l.Month()+1, 1, loc)
	return now.Before(end.Add(CaseClosedAfter))
}
