package cdr

import "time"

// The distributions of METRICS.md ("Distributions"): a range's calls by the
// local hour of day they joined in, or by their local weekday.
const (
	ByHourOfDay = "hour-of-day"
	ByWeekday   = "weekday"
)

// Bys lists the distributions.
var Bys = []string{ByHourOfDay, ByWeekday}

// Slots returns the slots of distribution by in the order a report lists
// them: the hours 0 to 23, or the ISO weekdays 1 (Monday) to 7 (Sunday);
// nil for an unknown distribution.
func Slots(by string) []int {
	var out []int
	switch by {
	case ByHourOfDay:
		for h := range 24 {
			out = append(out, h)
		}
	case ByWeekday:
		for d := 1; d <= 7; d++ {
			out = append(out, d)
		}
	}
	return out
}

// WeekdayNames are the names of the weekdays as the queue file and the API
// write them, by time.Weekday.
var WeekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ISOWeekday is d as an ISO weekday, 1 (Monday) to 7 (Sunday).
func ISOWeekday(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

// SlotOf returns the slot of distribution by that the instant t falls in,
// on the local clock of loc (nil means Europe/Copenhagen): its hour of
// day, or its ISO weekday. Both 02:00 hours of an autumn daylight-saving
// day are hour 2.
func SlotOf(by string, t time.Time, loc *time.Location) int {
	if loc == nil {
		loc = defaultLocation()
	}
	l := t.In(loc)
	if by == ByHourOfDay {
		return l.Hour()
	}
	return ISOWeekday(l.Weekday())
}
