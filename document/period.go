package document

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// Period is the month or quarter a document covers, in the local calendar
// of the queues' zone.
type Period struct {
	// Kind is cdr.PeriodMonth or cdr.PeriodQuarter.
	Kind string
	Year int
	// First is the period's first month (January, April, July or October
	// for a quarter).
	First time.Month
}

var (
	quarterRE = regexp.MustCompile(`^(\d{4})-[Qq]([1-4])$`)
	monthRE   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
)

// ParsePeriod reads a quarter as 2016-Q4 or a month as 2016-10, the way
// `acdstat report --quarter/--month` and the dashboard's link name them.
func ParsePeriod(s string) (Period, error) {
	if m := quarterRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		return Period{Kind: cdr.PeriodQuarter, Year: y, First: time.Month(3*q - 2)}, nil
	}
	if m := monthRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo >= 1 && mo <= 12 {
			return Period{Kind: cdr.PeriodMonth, Year: y, First: time.Month(mo)}, nil
		}
	}
	return Period{}, fmt.Errorf("document: %q is neither a quarter such as 2016-Q4 nor a month such as 2016-10", s)
}

// String is the period as ParsePeriod reads it: 2016-Q4 or 2016-10. It
// names the authors' text folder and the files the schedule writes.
func (p Period) String() string {
	if p.Kind == cdr.PeriodQuarter {
		return fmt.Sprintf("%04d-Q%d", p.Year, (int(p.First)+2)/3)
	}
	return fmt.Sprintf("%04d-%02d", p.Year, int(p.First))
}

// months is the number of months of the period.
func (p Period) months() int {
	if p.Kind == cdr.PeriodQuarter {
		return 3
	}
	return 1
}

// Range returns the period's local start and end in loc: [from, to).
func (p Period) Range(loc *time.Location) (from, to time.Time) {
	from = time.Date(p.Year, p.First, 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, p.months(), 0)
}

// Next is the period of the same kind that follows p.
func (p Period) Next() Period {
	t := time.Date(p.Year, p.First, 1, 0, 0, 0, 0, time.UTC).AddDate(0, p.months(), 0)
	return Period{Kind: p.Kind, Year: t.Year(), First: t.Month()}
}

// LastEnded returns the period of kind (cdr.PeriodMonth or
// cdr.PeriodQuarter) that ended last at or before now, in the calendar of
// loc: on 1 January 2017 00:00 local, the December and the fourth quarter
// of 2016.
func LastEnded(kind string, now time.Time, loc *time.Location) Period {
	now = now.In(loc)
	first := now.Month()
	n := 1
	if kind == cdr.PeriodQuarter {
		first, n = first-(first-1)%3, 3
	}
	// The period holding now starts at first; the one before it ended
	// where this one began.
	t := time.Date(now.Year(), first, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -n, 0)
	return Period{Kind: kind, Year: t.Year(), First: t.Month()}
}
