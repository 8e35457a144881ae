package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// RangeError is a from or to that cannot be used; Field is "from" or "to"
// (both for a from that is not before to), so a CLI can name its flag and
// the HTTP API its parameter.
type RangeError struct {
	Field string
	Msg   string
}

func (e *RangeError) Error() string { return e.Field + ": " + e.Msg }

// Quarter is the grain of a report range: the rollups hold 15-minute
// buckets (their Unix time a multiple of 900 s, as cdr.Keys floors them),
// so a from or to on a quarter hour is counted exactly and no other can be.
const Quarter = 15 * time.Minute

// Range turns a report's from and to (local dates or date-times in loc, as
// ParseLocal reads them; empty for the defaults) into the instants
// [from, to), exactly as asked: a from or to inside a period is never
// widened to the period's start or end, which would count calls the user
// left out. Build then makes the first and last rows count only the part
// of their period inside the range, and say so. A from or to that is not on
// a quarter hour is refused, naming the quarter hours around it, because
// the rollups cannot count part of a bucket. The defaults are 1 January of
// this year (of to's year when only to is given) and the end of the period
// holding now, by the clock now. Errors are *RangeError, or the calendar's
// for an unknown period.
func Range(period, fromArg, toArg string, loc *time.Location, now time.Time) (from, to time.Time, err error) {
	if loc == nil {
		loc = time.UTC
	}
	if toArg != "" {
		if to, err = parseQuarter(toArg, loc); err != nil {
			return from, to, &RangeError{"to", err.Error()}
		}
	} else {
		cur, err := cdr.PeriodStart(period, now, loc)
		if err != nil {
			return from, to, err
		}
		to = cdr.NextPeriod(period, cur, loc)
	}
	if fromArg != "" {
		if from, err = parseQuarter(fromArg, loc); err != nil {
			return from, to, &RangeError{"from", err.Error()}
		}
	} else if from, err = cdr.PeriodStart(cdr.PeriodYear, to.Add(-time.Second), loc); err != nil {
		return from, to, err
	}
	if _, err := cdr.PeriodStart(period, from, loc); err != nil {
		return from, to, err
	}
	if !from.Before(to) {
		return from, to, &RangeError{"from", fmt.Sprintf("%s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))}
	}
	return from, to, nil
}

// parseQuarter is ParseLocal for a range: the time must be on a quarter
// hour, else the error names the quarter hours before and after it as a
// person types them. On the autumn daylight-saving day a clock time of the
// repeated hour names its second instance (ParseLocal), so a quarter hour
// of the first instance cannot be typed and is not offered.
func parseQuarter(s string, loc *time.Location) (time.Time, error) {
	t, err := ParseLocal(s, loc)
	if err != nil {
		return t, err
	}
	// Truncate counts from the zero time, a whole number of days before
	// the Unix epoch: this is the bucket floor of cdr.Keys, in any zone.
	floor := t.Truncate(Quarter)
	if floor.Equal(t) {
		return t, nil
	}
	var use []string
	for _, q := range []time.Time{floor, floor.Add(Quarter)} {
		typed := q.In(loc).Format("2006-01-02T15:04")
		if back, err := ParseLocal(typed, loc); err == nil && back.Equal(q) {
			use = append(use, typed)
		}
	}
	return t, fmt.Errorf("%s is not on a quarter hour: reports are summed from 15-minute buckets, which cannot be split; use %s",
		t.In(loc).Format("2006-01-02T15:04:05"), strings.Join(use, " or "))
}

// ParseLocal reads YYYY-MM-DD or YYYY-MM-DDTHH:MM (optionally :SS) as a
// local time in loc. A clock time that a daylight-saving change skips is
// moved forward, and one that it repeats is the second instance (standard
// time), as time.Date does.
func ParseLocal(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD or YYYY-MM-DDTHH:MM", s)
}
