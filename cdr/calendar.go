package cdr

import (
	"fmt"
	"sort"
	"sync"
	"time"

	// The zone database is embedded so that Europe/Copenhagen (the default
	// zone of METRICS.md) and every zone of the queue file resolve on hosts
	// and containers without /usr/share/zoneinfo, instead of falling back to
	// UTC and shifting every period.
	_ "time/tzdata"
)

// Period names (METRICS.md, "Period").
const (
	Period15m     = "15m"
	PeriodHour    = "hour"
	PeriodDay     = "day"
	PeriodMonth   = "month"
	PeriodQuarter = "quarter"
	PeriodYear    = "year"
)

// Periods lists the period names from the shortest to the longest.
var Periods = []string{Period15m, PeriodHour, PeriodDay, PeriodMonth, PeriodQuarter, PeriodYear}

// bucketSeconds is the length of the 15-minute bucket.
const bucketSeconds = 15 * 60

// Keys returns the starts of the periods holding t in loc, each as a UTC
// instant (METRICS.md, "Period"):
//
//   - Bucket: t's Unix time floored to 900 s (zone-independent);
//   - Hour: the local hour, floored on the local wall clock but kept as an
//     instant, so on the autumn daylight-saving day the two 02:00 hours are
//     two keys an hour apart and on the spring day there is no 02:00 key
//     (where clocks move by half an hour, the hour of the change begins at
//     the change: see hourStart);
//   - Day: the first instant of the local date (a DST day is 23 or 25 h long);
//   - Month, Quarter (1 January, April, July, October), Year: the first
//     instant of their first local day.
//
// Each start comes with loc's UTC offset at that start (BucketOffset and so
// on), so that it can be printed as local time with its offset without loc.
//
// A nil loc means Europe/Copenhagen, the default zone of METRICS.md, as in
// InHours.
func Keys(t time.Time, loc *time.Location) PeriodKeys {
	if loc == nil {
		loc = defaultLocation()
	}
	l := t.In(loc)
	y, m, d := l.Date()
	k := PeriodKeys{
		Bucket:  bucketStart(t).UTC(),
		Hour:    hourStart(l).UTC(),
		Day:     localMidnight(y, m, d, loc).UTC(),
		Month:   localMidnight(y, m, 1, loc).UTC(),
		Quarter: localMidnight(y, quarterMonth(m), 1, loc).UTC(),
		Year:    localMidnight(y, time.January, 1, loc).UTC(),
	}
	k.BucketOffset, k.HourOffset, k.DayOffset = offsetAt(k.Bucket, loc), offsetAt(k.Hour, loc), offsetAt(k.Day, loc)
	k.MonthOffset, k.QuarterOffset, k.YearOffset = offsetAt(k.Month, loc), offsetAt(k.Quarter, loc), offsetAt(k.Year, loc)
	return k
}

// offsetAt returns loc's offset from UTC at t, in seconds east (always under
// a day, so it fits an int32).
func offsetAt(t time.Time, loc *time.Location) int32 {
	_, off := t.In(loc).Zone()
	return int32(off)
}

// PeriodStart returns the start of the period named period (one of Periods)
// that holds t, in loc (nil means Europe/Copenhagen). It equals the matching
// field of Keys, expressed in loc so that it prints with the local offset.
func PeriodStart(period string, t time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = defaultLocation()
	}
	k := Keys(t, loc)
	var s time.Time
	switch period {
	case Period15m:
		s = k.Bucket
	case PeriodHour:
		s = k.Hour
	case PeriodDay:
		s = k.Day
	case PeriodMonth:
		s = k.Month
	case PeriodQuarter:
		s = k.Quarter
	case PeriodYear:
		s = k.Year
	default:
		return time.Time{}, fmt.Errorf("cdr: unknown period %q (use 15m, hour, day, month, quarter or year)", period)
	}
	return s.In(loc), nil
}

// NextPeriod returns the start of the period after the one that starts at
// start, in loc (nil means Europe/Copenhagen): start plus 15 minutes for
// 15m; the next local hour for hour (one hour of absolute time in zones
// whose offsets change on the hour, as all of Europe's do; half an hour
// around a half-hour change such as Lord Howe's); the next local
// midnight, first of the month, of the quarter or of the year for the
// others. start should
// be a period start from PeriodStart or Keys. NextPeriod returns the zero
// Time for a period name that PeriodStart refuses, so callers that loop
// must check the name first.
func NextPeriod(period string, start time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = defaultLocation()
	}
	l := start.In(loc)
	y, m, d := l.Date()
	var n time.Time
	switch period {
	case Period15m:
		n = start.Add(bucketSeconds * time.Second)
	case PeriodHour:
		n = hourStart(start.Add(time.Hour).In(loc))
		if !n.After(start) {
			n = start.Add(time.Hour)
		}
	case PeriodDay:
		n = localMidnight(y, m, d+1, loc)
	case PeriodMonth:
		n = localMidnight(y, m+1, 1, loc)
	case PeriodQuarter:
		n = localMidnight(y, quarterMonth(m)+3, 1, loc)
	case PeriodYear:
		n = localMidnight(y+1, time.January, 1, loc)
	default:
		return time.Time{}
	}
	return n.In(loc)
}

// bucketStart floors t's Unix time to 900 s.
func bucketStart(t time.Time) time.Time {
	u := t.Unix()
	r := u % bucketSeconds
	if r < 0 {
		r += bucketSeconds
	}
	return time.Unix(u-r, 0)
}

// hourStart floors l on its own wall clock: l minus its local minutes,
// seconds and nanoseconds. The result is an instant, so the repeated hour of
// an autumn DST change gives two distinct starts. Where the zone's offset
// changed within that wall-clock hour (Lord Howe moves its clocks by 30
// minutes: 02:00 becomes 02:30, or 02:00 becomes 01:30), the floor would lie
// before the change, inside the previous hour; the hour then starts at the
// change, as a day does in localMidnight, so every instant has one hour and
// NextPeriod steps through the same hours.
func hourStart(l time.Time) time.Time {
	h := l.Add(-time.Duration(l.Minute())*time.Minute -
		time.Duration(l.Second())*time.Second -
		time.Duration(l.Nanosecond()))
	if change, _ := l.ZoneBounds(); h.Before(change) {
		return change.In(l.Location())
	}
	return h
}

// localMidnight returns the first instant of the local date y-m-d in loc
// (m and d may be out of range; they are normalised as time.Date does).
// Where a DST change skips local midnight, time.Date may choose an instant
// on the previous local day; the day then starts at the change.
func localMidnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	wy, wm, wd := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	if gy, gm, gd := t.Date(); gy != wy || gm != wm || gd != wd {
		_, end := t.ZoneBounds()
		if !end.IsZero() {
			t = end.In(loc)
		}
	}
	return t
}

// quarterMonth returns the first month of m's quarter.
func quarterMonth(m time.Month) time.Month {
	return m - (m-1)%3
}

// InHours reports whether q was open at the instant t, on the local clock of
// q.Location (nil means Europe/Copenhagen, the default of METRICS.md):
//
//   - closed on q.ClosedDates (local dates);
//   - closed on Danish public holidays (DanishHolidays) when
//     q.DanishHolidays is set;
//   - otherwise open when the local time of day, to the second, falls in one
//     of the half-open ranges of the local weekday: 08:00–16:00 is open from
//     08:00:00 up to but not including 16:00:00.
//
// A queue with no ranges on any weekday is always open (METRICS.md, "a queue
// with no hours is always open"), except on its closed dates and, when set,
// the holidays: those are explicit closings and apply to every queue, so a
// 24-hour desk can still close on Christmas. On the autumn DST day both
// 02:30s are the same minute of the day.
func (q *QueueSettings) InHours(t time.Time) bool {
	loc := q.Location
	if loc == nil {
		loc = defaultLocation()
	}
	l := t.In(loc)
	y, m, d := l.Date()
	if len(q.ClosedDates) > 0 && q.ClosedDates[l.Format(time.DateOnly)] {
		return false
	}
	if q.DanishHolidays && isDanishHoliday(y, m, d) {
		return false
	}
	if !q.HasHours() {
		return true
	}
	s := l.Hour()*3600 + l.Minute()*60 + l.Second()
	for _, r := range q.Hours[l.Weekday()] {
		if r.From*60 <= s && s < r.To*60 {
			return true
		}
	}
	return false
}

// HasHours reports whether q has opening hours on any weekday; without
// them the queue is open at all times except its closed dates and holidays.
func (q *QueueSettings) HasHours() bool {
	for _, rs := range q.Hours {
		if len(rs) > 0 {
			return true
		}
	}
	return false
}

// defaultLocation returns Europe/Copenhagen, the default zone of
// METRICS.md, loaded once.
var defaultLocation = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil { // not reached: time/tzdata is embedded
		return time.UTC
	}
	return loc
})

// holiday is one Danish public holiday of a year.
type holiday struct {
	Month time.Month
	Day   int
	Name  string
}

// Offsets from Easter Sunday of the movable Danish holidays.
const (
	offSkaertorsdag  = -3
	offLangfredag    = -2
	offPaaskedag     = 0
	offAndenPaaske   = 1
	offStoreBededag  = 26 // the fourth Friday after Easter
	offKristiHimmelf = 39
	offPinsedag      = 49
	offAndenPinse    = 50
)

// lastStoreBededag is the last year Store Bededag was a public holiday; the
// Folketing abolished it from 2024.
const lastStoreBededag = 2023

// danishHolidays returns the Danish public holidays of year in date order.
func danishHolidays(year int) []holiday {
	e := easter(year)
	at := func(off int, name string) holiday {
		t := e.AddDate(0, 0, off)
		return holiday{t.Month(), t.Day(), name}
	}
	hs := []holiday{
		{time.January, 1, "Nytårsdag"},
		at(offSkaertorsdag, "Skærtorsdag"),
		at(offLangfredag, "Langfredag"),
		at(offPaaskedag, "Påskedag"),
		at(offAndenPaaske, "2. påskedag"),
	}
	if year <= lastStoreBededag {
		hs = append(hs, at(offStoreBededag, "Store Bededag"))
	}
	hs = append(hs,
		at(offKristiHimmelf, "Kristi Himmelfartsdag"),
		at(offPinsedag, "Pinsedag"),
		at(offAndenPinse, "2. pinsedag"),
		holiday{time.December, 25, "Juledag"},
		holiday{time.December, 26, "2. juledag"},
	)
	sort.SliceStable(hs, func(i, j int) bool {
		if hs[i].Month != hs[j].Month {
			return hs[i].Month < hs[j].Month
		}
		return hs[i].Day < hs[j].Day
	})
	return hs
}

// DanishHolidays returns the Danish public holidays of year as local dates
// ("2006-01-02"), in order: Nytårsdag (1 January), Skærtorsdag, Langfredag,
// Påskedag, 2. påskedag, Store Bededag (the fourth Friday after Easter, up
// to and including 2023 only: it is not a holiday from 2024), Kristi
// Himmelfartsdag (Easter + 39 days), Pinsedag (Easter + 49), 2. pinsedag
// (Easter + 50), Juledag (25 December) and 2. juledag (26 December).
//
// 24 and 31 December and 5 June (Grundlovsdag) are not included: METRICS.md
// calls them "closing days by custom, settable, not holidays"; a queue that
// closes on them lists them as closed dates.
func DanishHolidays(year int) []string {
	hs := danishHolidays(year)
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = time.Date(year, h.Month, h.Day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	return out
}

// isDanishHoliday reports whether the local date y-m-d is a Danish public
// holiday, without allocating (InHours runs once per queue call).
func isDanishHoliday(y int, m time.Month, d int) bool {
	switch {
	case m == time.January && d == 1, m == time.December && (d == 25 || d == 26):
		return true
	case m < time.March || m > time.June:
		return false // Easter falls 22 March to 25 April; 2. pinsedag by 14 June
	}
	off := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(easter(y)).Hours()) / 24
	switch off {
	case offSkaertorsdag, offLangfredag, offPaaskedag, offAndenPaaske,
		offKristiHimmelf, offPinsedag, offAndenPinse:
		return true
	case offStoreBededag:
		return y <= lastStoreBededag
	}
	return false
}

// easter returns Easter Sunday of year (Gregorian calendar) at 00:00 UTC,
// by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func easter(year int) time.Time {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}
