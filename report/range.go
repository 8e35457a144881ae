package report

import (
	"fmt"
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

// Range turns a report's from and to (local dates or date-times in loc, as
// ParseLocal reads them; empty for the defaults) into the instants
// [from, to), widened to whole periods: a report row always holds a whole
// period, so a from inside a month starts at the first of it and a to inside
// one ends at its end. notes say what was widened, for people. The defaults
// are 1 January of this year (of to's year when only to is given) and the
// end of the period holding now. Errors are *RangeError, or the calendar's
// for an unknown period.
func Range(period, fromArg, toArg string, loc *time.Location, now time.Time) (from, to time.Time, notes []string, err error) {
	if loc == nil {
		loc = time.UTC
	}
	if toArg != "" {
		if to, err = ParseLocal(toArg, loc); err != nil {
			return from, to, nil, &RangeError{"to", err.Error()}
		}
	} else {
		cur, err := cdr.PeriodStart(period, now, loc)
		if err != nil {
			return from, to, nil, err
		}
		to = cdr.NextPeriod(period, cur, loc)
	}
	if fromArg != "" {
		if from, err = ParseLocal(fromArg, loc); err != nil {
			return from, to, nil, &RangeError{"from", err.Error()}
		}
	} else if from, err = cdr.PeriodStart(cdr.PeriodYear, to.Add(-time.Second), loc); err != nil {
		return from, to, nil, err
	}
	if !from.Before(to) {
		return from, to, nil, &RangeError{"from", fmt.Sprintf("%s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))}
	}

	start, err := cdr.PeriodStart(period, from, loc)
	if err != nil {
		return from, to, nil, err
	}
	if !start.Equal(from) {
		notes = append(notes, fmt.Sprintf("from %s widened to %s, the start of its %s", from.Format(time.RFC3339), start.Format(time.RFC3339), period))
	}
	end, err := cdr.PeriodStart(period, to, loc)
	if err != nil {
		return from, to, nil, err
	}
	if !end.Equal(to) {
		next := cdr.NextPeriod(period, end, loc)
		if fromArg != "" || toArg != "" {
			notes = append(notes, fmt.Sprintf("to %s widened to %s, the end of its %s", to.Format(time.RFC3339), next.Format(time.RFC3339), period))
		}
		end = next
	}
	return start, end, notes, nil
}

// ParseLocal reads YYYY-MM-DD or YYYY-MM-DDTHH:MM (optionally :SS) as a
// local time in loc. A clock time that a daylight-saving change skips is
// moved forward as time.Date does.
func ParseLocal(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD or YYYY-MM-DDTHH:MM", s)
}
