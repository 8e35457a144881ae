package report

import (
	"testing"
	"time"
)

// TestDefaultRangeAtEveryToday checks the default report range (1 January
// of this year up to the end of the current period) on the days a calendar
// gets wrong: both daylight-saving days, 29 February and New Year's Eve.
func TestDefaultRangeAtEveryToday(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	for _, tc := range []struct {
		now    time.Time
		period string
		to     time.Time
	}{
		{time.Date(2026, 3, 29, 3, 30, 0, 0, cph), "day", time.Date(2026, 3, 30, 0, 0, 0, 0, cph)},
		{time.Date(2026, 3, 29, 3, 30, 0, 0, cph), "15m", time.Date(2026, 3, 29, 3, 45, 0, 0, cph)},
		// 02:30 happens twice on the autumn day: first in summer time, then
		// in winter time; each 02:00 hour is an hour of its own.
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).In(cph), "hour", time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)},
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC).In(cph), "hour", time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC)},
		{time.Date(2028, 2, 29, 23, 59, 0, 0, cph), "day", time.Date(2028, 3, 1, 0, 0, 0, 0, cph)},
		{time.Date(2028, 2, 29, 12, 0, 0, 0, cph), "month", time.Date(2028, 3, 1, 0, 0, 0, 0, cph)},
		{time.Date(2026, 12, 31, 23, 59, 0, 0, cph), "quarter", time.Date(2027, 1, 1, 0, 0, 0, 0, cph)},
	} {
		from, to, notes, err := Range(tc.period, "", "", cph, tc.now)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.now, tc.period, err)
		}
		wantFrom := time.Date(tc.now.Year(), 1, 1, 0, 0, 0, 0, cph)
		if !from.Equal(wantFrom) || !to.Equal(tc.to) || len(notes) != 0 {
			t.Errorf("%s per %s: got [%s, %s) %v; want [%s, %s)", tc.now, tc.period, from, to, notes, wantFrom, tc.to)
		}
	}
}
