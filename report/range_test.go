package report

import (
	"errors"
	"strings"
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
		from, to, err := Range(tc.period, "", "", cph, tc.now)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.now, tc.period, err)
		}
		wantFrom := time.Date(tc.now.Year(), 1, 1, 0, 0, 0, 0, cph)
		if !from.Equal(wantFrom) || !to.Equal(tc.to) {
			t.Errorf("%s per %s: got [%s, %s); want [%s, %s)", tc.now, tc.period, from, to, wantFrom, tc.to)
		}
	}
}

// TestRangeIsTheAskedRange checks that a from or to inside a period is kept
// as asked, never widened to the period's start or end (the first and last
// report rows then count part of their period: Build), on the days a
// calendar gets wrong: both daylight-saving days and 29 February.
func TestRangeIsTheAskedRange(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	now := time.Date(2029, 6, 1, 12, 0, 0, 0, cph)
	for _, tc := range []struct {
		period, from, to string
		want             [2]time.Time
	}{
		{"month", "2025-10-15", "2025-11-20", [2]time.Time{utc("2025-10-14T22:00:00Z"), utc("2025-11-19T23:00:00Z")}},
		{"quarter", "2025-10-15T09:45", "2025-12-31T23:45", [2]time.Time{utc("2025-10-15T07:45:00Z"), utc("2025-12-31T22:45:00Z")}},
		// The spring day: 02:00 to 03:00 does not exist; 01:45 CET and
		// 03:15 CEST are half an hour apart. A skipped clock time moves
		// forward as time.Date does: 02:30 is 03:30 CEST.
		{"day", "2026-03-29T01:45", "2026-03-29T03:15", [2]time.Time{utc("2026-03-29T00:45:00Z"), utc("2026-03-29T01:15:00Z")}},
		{"hour", "2026-03-29T02:30", "2026-03-29T04:00", [2]time.Time{utc("2026-03-29T01:30:00Z"), utc("2026-03-29T02:00:00Z")}},
		// The autumn day: a 02:xx clock time is the second of the two
		// (CET), as time.Date chooses.
		{"hour", "2026-10-25T02:15", "2026-10-25T03:00", [2]time.Time{utc("2026-10-25T01:15:00Z"), utc("2026-10-25T02:00:00Z")}},
		{"hour", "2026-10-25T01:45", "2026-10-25T02:00", [2]time.Time{utc("2026-10-24T23:45:00Z"), utc("2026-10-25T01:00:00Z")}},
		{"day", "2026-10-25T12:00", "2026-10-26", [2]time.Time{utc("2026-10-25T11:00:00Z"), utc("2026-10-25T23:00:00Z")}},
		{"month", "2028-02-29", "2028-03-01T12:00", [2]time.Time{utc("2028-02-28T23:00:00Z"), utc("2028-03-01T11:00:00Z")}},
		{"year", "2028-02-29T06:15", "2028-03-01", [2]time.Time{utc("2028-02-29T05:15:00Z"), utc("2028-02-29T23:00:00Z")}},
		// Only to: from is 1 January of to's year.
		{"month", "", "2028-02-29T18:30", [2]time.Time{utc("2027-12-31T23:00:00Z"), utc("2028-02-29T17:30:00Z")}},
	} {
		from, to, err := Range(tc.period, tc.from, tc.to, cph, now)
		if err != nil {
			t.Errorf("%s %s..%s: %v", tc.period, tc.from, tc.to, err)
			continue
		}
		if !from.Equal(tc.want[0]) || !to.Equal(tc.want[1]) {
			t.Errorf("per %s, from %s to %s: got [%s, %s); want [%s, %s)", tc.period, tc.from, tc.to,
				from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), tc.want[0].Format(time.RFC3339), tc.want[1].Format(time.RFC3339))
		}
	}
}

// TestRangeRefusesWhatBucketsCannotCount checks that a from or to off a
// quarter hour is refused, naming the field and the quarter hours around it:
// the rollups hold 15-minute buckets, so no other instant can be counted
// exactly.
func TestRangeRefusesWhatBucketsCannotCount(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, cph)
	for _, tc := range []struct {
		from, to, field string
		want            []string
		notWant         string
	}{
		{"2025-10-15T10:07", "2025-11-01", "from", []string{"2025-10-15T10:07", "quarter hour", "2025-10-15T10:00", "2025-10-15T10:15"}, ""},
		{"2025-10-15T23:59:30", "2025-11-01", "from", []string{"2025-10-15T23:45", "2025-10-16T00:00"}, ""},
		{"2025-10-01", "2025-10-31T16:20", "to", []string{"2025-10-31T16:20", "2025-10-31T16:15", "2025-10-31T16:30"}, ""},
		// On the autumn day the quarter hour after 01:50 is 02:00 CEST,
		// which "2026-10-25T02:00" does not name (it reads as the second
		// 02:00, CET), so only 01:45 is offered.
		{"2026-10-25T01:50", "2026-10-26", "from", []string{"2026-10-25T01:45"}, "T02:00"},
		{"2026-10-25T02:50", "2026-10-26", "from", []string{"2026-10-25T02:45", "2026-10-25T03:00"}, ""},
	} {
		_, _, err := Range("month", tc.from, tc.to, cph, now)
		var re *RangeError
		if !errors.As(err, &re) || re.Field != tc.field {
			t.Errorf("from %s to %s: got %v; want a RangeError of %s", tc.from, tc.to, err, tc.field)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(re.Msg, s) {
				t.Errorf("from %s to %s: %q does not say %q", tc.from, tc.to, re.Msg, s)
			}
		}
		if tc.notWant != "" && strings.Contains(re.Msg, tc.notWant) {
			t.Errorf("from %s to %s: %q offers %q", tc.from, tc.to, re.Msg, tc.notWant)
		}
	}
}
