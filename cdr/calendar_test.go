package cdr

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// calCPH returns Europe/Copenhagen.
func calCPH(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// utc parses an RFC 3339 instant.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestKeys(t *testing.T) {
	cph := calCPH(t)
	type want struct{ bucket, hour, day, month, quarter, year string }
	cases := []struct {
		name string
		at   string // RFC 3339 with offset
		want want   // UTC instants
	}{
		{"plain summer", "2025-06-15T10:37:12+02:00", want{
			"2025-06-15T08:30:00Z", "2025-06-15T08:00:00Z", "2025-06-14T22:00:00Z",
			"2025-05-31T22:00:00Z", "2025-03-31T22:00:00Z", "2024-12-31T23:00:00Z"}},
		{"spring 01:59 CET", "2025-03-30T01:59:59+01:00", want{
			"2025-03-30T00:45:00Z", "2025-03-30T00:00:00Z", "2025-03-29T23:00:00Z",
			"2025-02-28T23:00:00Z", "2024-12-31T23:00:00Z", "2024-12-31T23:00:00Z"}},
		{"spring 03:00 CEST", "2025-03-30T03:00:00+02:00", want{
			"2025-03-30T01:00:00Z", "2025-03-30T01:00:00Z", "2025-03-29T23:00:00Z",
			"2025-02-28T23:00:00Z", "2024-12-31T23:00:00Z", "2024-12-31T23:00:00Z"}},
		{"autumn first 02:30 CEST", "2025-10-26T02:30:00+02:00", want{
			"2025-10-26T00:30:00Z", "2025-10-26T00:00:00Z", "2025-10-25T22:00:00Z",
			"2025-09-30T22:00:00Z", "2025-09-30T22:00:00Z", "2024-12-31T23:00:00Z"}},
		{"autumn second 02:30 CET", "2025-10-26T02:30:00+01:00", want{
			"2025-10-26T01:30:00Z", "2025-10-26T01:00:00Z", "2025-10-25T22:00:00Z",
			"2025-09-30T22:00:00Z", "2025-09-30T22:00:00Z", "2024-12-31T23:00:00Z"}},
		{"1 November 00:00 local", "2025-11-01T00:00:00+01:00", want{
			"2025-10-31T23:00:00Z", "2025-10-31T23:00:00Z", "2025-10-31T23:00:00Z",
			"2025-10-31T23:00:00Z", "2025-09-30T22:00:00Z", "2024-12-31T23:00:00Z"}},
		{"31 October 23:59:59 local", "2025-10-31T23:59:59+01:00", want{
			"2025-10-31T22:45:00Z", "2025-10-31T22:00:00Z", "2025-10-30T23:00:00Z",
			"2025-09-30T22:00:00Z", "2025-09-30T22:00:00Z", "2024-12-31T23:00:00Z"}},
		{"1 October 00:00 local is Q4", "2025-10-01T00:00:00+02:00", want{
			"2025-09-30T22:00:00Z", "2025-09-30T22:00:00Z", "2025-09-30T22:00:00Z",
			"2025-09-30T22:00:00Z", "2025-09-30T22:00:00Z", "2024-12-31T23:00:00Z"}},
		{"30 September 23:59:59 local is Q3", "2025-09-30T23:59:59+02:00", want{
			"2025-09-30T21:45:00Z", "2025-09-30T21:00:00Z", "2025-09-29T22:00:00Z",
			"2025-08-31T22:00:00Z", "2025-06-30T22:00:00Z", "2024-12-31T23:00:00Z"}},
		{"new year local, still 31 Dec in UTC", "2026-01-01T00:10:00+01:00", want{
			"2025-12-31T23:00:00Z", "2025-12-31T23:00:00Z", "2025-12-31T23:00:00Z",
			"2025-12-31T23:00:00Z", "2025-12-31T23:00:00Z", "2025-12-31T23:00:00Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := Keys(utc(t, tc.at), cph)
			got := []time.Time{k.Bucket, k.Hour, k.Day, k.Month, k.Quarter, k.Year}
			w := tc.want
			for i, s := range []string{w.bucket, w.hour, w.day, w.month, w.quarter, w.year} {
				if want := utc(t, s); !got[i].Equal(want) {
					t.Errorf("%s: got %v; want %v", Periods[i], got[i], want)
				}
				if got[i].Location() != time.UTC {
					t.Errorf("%s: got location %v; want UTC", Periods[i], got[i].Location())
				}
			}
		})
	}
}

func TestKeysAutumnTwoHoursOneDay(t *testing.T) {
	cph := calCPH(t)
	a := Keys(utc(t, "2025-10-26T02:30:00+02:00"), cph)
	b := Keys(utc(t, "2025-10-26T02:30:00+01:00"), cph)
	if a.Hour.Equal(b.Hour) {
		t.Errorf("got the same hour key %v for both 02:30s; want two", a.Hour)
	}
	if got, want := b.Hour.Sub(a.Hour), time.Hour; got != want {
		t.Errorf("got %v between the two 02:00 hours; want %v", got, want)
	}
	if !a.Day.Equal(b.Day) {
		t.Errorf("got days %v and %v; want one", a.Day, b.Day)
	}
}

// TestDayLengths walks every local day of 2025 in Copenhagen with
// NextPeriod and counts the distinct hour keys of every 15-minute bucket.
func TestDayLengths(t *testing.T) {
	cph := calCPH(t)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, cph)
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, cph)
	want := map[string]time.Duration{"2025-03-30": 23 * time.Hour, "2025-10-26": 25 * time.Hour}
	var total time.Duration
	days := 0
	for d := start; d.Before(end); d = NextPeriod(PeriodDay, d, cph) {
		next := NextPeriod(PeriodDay, d, cph)
		got := next.Sub(d)
		w, ok := want[d.Format(time.DateOnly)]
		if !ok {
			w = 24 * time.Hour
		}
		if got != w {
			t.Errorf("%s: got %v; want %v", d.Format(time.DateOnly), got, w)
		}
		if k := Keys(d, cph); !k.Day.Equal(d) {
			t.Errorf("%s: got day key %v; want %v", d.Format(time.DateOnly), k.Day, d.UTC())
		}
		total += got
		days++
	}
	if days != 365 {
		t.Errorf("got %v days; want %v", days, 365)
	}
	if total != 24*365*time.Hour {
		t.Errorf("got %v; want %v", total, 24*365*time.Hour)
	}

	hours := map[time.Time]int{}
	for b := start; b.Before(end); b = b.Add(15 * time.Minute) {
		hours[Keys(b, cph).Hour]++
	}
	if got, want := len(hours), 24*365; got != want {
		t.Errorf("got %v hour keys; want %v", got, want)
	}
	for h, n := range hours {
		if n != 4 {
			t.Errorf("hour %v: got %v buckets; want %v", h, n, 4)
		}
	}
	if _, ok := hours[utc(t, "2025-03-30T01:00:00Z")]; !ok {
		t.Errorf("got no 03:00 CEST hour on the spring day; want one")
	}
}

func TestPeriodStartAndNext(t *testing.T) {
	cph := calCPH(t)
	cases := []struct {
		period, at, start, next string
	}{
		{"15m", "2025-10-26T02:59:59+01:00", "2025-10-26T02:45:00+01:00", "2025-10-26T03:00:00+01:00"},
		{"hour", "2025-10-26T02:10:00+02:00", "2025-10-26T02:00:00+02:00", "2025-10-26T02:00:00+01:00"},
		{"hour", "2025-10-26T02:10:00+01:00", "2025-10-26T02:00:00+01:00", "2025-10-26T03:00:00+01:00"},
		{"hour", "2025-03-30T01:10:00+01:00", "2025-03-30T01:00:00+01:00", "2025-03-30T03:00:00+02:00"},
		{"day", "2025-10-26T12:00:00+01:00", "2025-10-26T00:00:00+02:00", "2025-10-27T00:00:00+01:00"},
		{"day", "2025-03-30T12:00:00+02:00", "2025-03-30T00:00:00+01:00", "2025-03-31T00:00:00+02:00"},
		{"month", "2025-10-31T23:59:59+01:00", "2025-10-01T00:00:00+02:00", "2025-11-01T00:00:00+01:00"},
		{"month", "2025-12-31T23:00:00+01:00", "2025-12-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00"},
		{"quarter", "2025-11-01T00:00:00+01:00", "2025-10-01T00:00:00+02:00", "2026-01-01T00:00:00+01:00"},
		{"quarter", "2025-03-31T01:00:00+02:00", "2025-01-01T00:00:00+01:00", "2025-04-01T00:00:00+02:00"},
		{"year", "2025-06-01T00:00:00+02:00", "2025-01-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00"},
	}
	for _, tc := range cases {
		t.Run(tc.period+" "+tc.at, func(t *testing.T) {
			s, err := PeriodStart(tc.period, utc(t, tc.at), cph)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Format(time.RFC3339); got != tc.start {
				t.Errorf("start: got %v; want %v", got, tc.start)
			}
			if got := NextPeriod(tc.period, s, cph).Format(time.RFC3339); got != tc.next {
				t.Errorf("next: got %v; want %v", got, tc.next)
			}
		})
	}
	if _, err := PeriodStart("week", time.Now(), cph); err == nil {
		t.Errorf("week: got %v; want an error", err)
	}
	if got := NextPeriod("week", time.Now(), cph); !got.IsZero() {
		t.Errorf("week: got %v; want %v", got, time.Time{})
	}
}

// TestPeriodsTile checks, in zones with whole-hour, half-hour and no
// daylight-saving changes, that for every period enumerating with
// NextPeriod from a start gives exactly the keys Keys assigns to each
// 15-minute bucket, and that each bucket lies in the period of its key:
// key <= bucket < NextPeriod(key).
func TestPeriodsTile(t *testing.T) {
	for _, zone := range []string{"Europe/Copenhagen", "Australia/Lord_Howe", "Asia/Kolkata", "America/Los_Angeles", "Pacific/Honolulu"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		from := time.Date(2024, 12, 1, 0, 0, 0, 0, loc)
		to := time.Date(2026, 2, 1, 0, 0, 0, 0, loc)
		for _, p := range Periods {
			s, err := PeriodStart(p, from, loc)
			if err != nil {
				t.Fatal(err)
			}
			var starts []time.Time
			for ; s.Before(to); s = NextPeriod(p, s, loc) {
				starts = append(starts, s.UTC())
			}
			var keys []time.Time
			outside := 0
			for b := from; b.Before(to); b = b.Add(15 * time.Minute) {
				k, _ := PeriodStart(p, b, loc)
				if n := len(keys); n == 0 || !keys[n-1].Equal(k) {
					keys = append(keys, k.UTC())
				}
				if b.Before(k) || !b.Before(NextPeriod(p, k, loc)) {
					if outside++; outside <= 3 {
						t.Errorf("%s %s: bucket %v got key %v, next %v; want the bucket inside its period",
							zone, p, b.In(loc).Format(time.RFC3339), k.Format(time.RFC3339), NextPeriod(p, k, loc).Format(time.RFC3339))
					}
				}
			}
			if !slices.EqualFunc(starts, keys, time.Time.Equal) {
				t.Errorf("%s %s: got %v periods by NextPeriod, %v by Keys; want equal lists", zone, p, len(starts), len(keys))
			}
		}
	}
}

// TestHourKeysHalfHourDST: Lord Howe moves its clocks by 30 minutes. On
// the spring day (5 October 2025) 02:00 standard time becomes 02:30
// daylight time, so the local hour 02 has only its second half and begins
// at 02:30+11:00; on the autumn day (6 April 2025) 02:00 daylight time
// becomes 01:30 standard time, so a second, half-hour 01 hour begins at
// 01:30+10:30. An hour key printed in the zone is its local start.
func TestHourKeysHalfHourDST(t *testing.T) {
	lhi, err := time.LoadLocation("Australia/Lord_Howe")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ at, hour, next string }{
		{"2025-10-05T01:59:59+10:30", "2025-10-05T01:00:00+10:30", "2025-10-05T02:30:00+11:00"},
		{"2025-10-05T02:30:00+11:00", "2025-10-05T02:30:00+11:00", "2025-10-05T03:00:00+11:00"},
		{"2025-10-05T02:59:59+11:00", "2025-10-05T02:30:00+11:00", "2025-10-05T03:00:00+11:00"},
		{"2025-04-06T01:45:00+11:00", "2025-04-06T01:00:00+11:00", "2025-04-06T01:30:00+10:30"},
		{"2025-04-06T01:30:00+10:30", "2025-04-06T01:30:00+10:30", "2025-04-06T02:00:00+10:30"},
		{"2025-04-06T02:10:00+10:30", "2025-04-06T02:00:00+10:30", "2025-04-06T03:00:00+10:30"},
	}
	for _, tc := range cases {
		s, err := PeriodStart(PeriodHour, utc(t, tc.at), lhi)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Format(time.RFC3339); got != tc.hour {
			t.Errorf("%s: got hour %v; want %v", tc.at, got, tc.hour)
		}
		if got := NextPeriod(PeriodHour, s, lhi).Format(time.RFC3339); got != tc.next {
			t.Errorf("%s: got next hour %v; want %v", tc.at, got, tc.next)
		}
	}
}

// TestKeysOffsets checks the UTC offset Keys gives for each period start:
// the offset in force at that start, not at the instant asked about, in
// zones east and west of UTC, with half-hour offsets and changes.
func TestKeysOffsets(t *testing.T) {
	type offs struct{ bucket, hour, day, month, quarter, year string }
	cases := []struct {
		zone, at string
		want     offs
	}{
		// The second 02:30 of the autumn day: the bucket and hour are in
		// CET, the day and month began in CEST, the year in CET.
		{"Europe/Copenhagen", "2025-10-26T02:30:00+01:00", offs{"+01:00", "+01:00", "+02:00", "+02:00", "+02:00", "+01:00"}},
		{"Europe/Copenhagen", "2025-10-26T02:30:00+02:00", offs{"+02:00", "+02:00", "+02:00", "+02:00", "+02:00", "+01:00"}},
		{"Europe/Copenhagen", "2025-03-30T03:15:00+02:00", offs{"+02:00", "+02:00", "+01:00", "+01:00", "+01:00", "+01:00"}},
		{"America/Los_Angeles", "2025-11-02T01:30:00-08:00", offs{"-08:00", "-08:00", "-07:00", "-07:00", "-07:00", "-08:00"}},
		{"Pacific/Honolulu", "2025-07-04T23:50:00-10:00", offs{"-10:00", "-10:00", "-10:00", "-10:00", "-10:00", "-10:00"}},
		{"Asia/Kolkata", "2025-07-01T00:20:00+05:30", offs{"+05:30", "+05:30", "+05:30", "+05:30", "+05:30", "+05:30"}},
		// Lord Howe: daylight time (+11:00) from 5 October 2025, standard
		// time (+10:30) from 6 April 2025.
		{"Australia/Lord_Howe", "2025-10-05T02:45:00+11:00", offs{"+11:00", "+11:00", "+10:30", "+10:30", "+10:30", "+11:00"}},
		{"Australia/Lord_Howe", "2025-04-06T01:40:00+10:30", offs{"+10:30", "+10:30", "+11:00", "+11:00", "+11:00", "+11:00"}},
	}
	for _, tc := range cases {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		k := Keys(utc(t, tc.at), loc)
		got := []int32{k.BucketOffset, k.HourOffset, k.DayOffset, k.MonthOffset, k.QuarterOffset, k.YearOffset}
		starts := []time.Time{k.Bucket, k.Hour, k.Day, k.Month, k.Quarter, k.Year}
		w := tc.want
		for i, want := range []string{w.bucket, w.hour, w.day, w.month, w.quarter, w.year} {
			// The offset, applied to the UTC start, gives the local start.
			local := starts[i].In(time.FixedZone("", int(got[i]))).Format(time.RFC3339)
			if local != starts[i].In(loc).Format(time.RFC3339) || local[len(local)-6:] != want {
				t.Errorf("%s %s %s: got %v (offset %d s); want %v with offset %s",
					tc.zone, tc.at, Periods[i], local, got[i], starts[i].In(loc).Format(time.RFC3339), want)
			}
		}
	}
}

// readHolidays reads testdata/calendar/dk_holidays_2023_2026.txt into
// year → "date name" lines.
func readHolidays(t *testing.T) map[int][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "calendar", "dk_holidays_2023_2026.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[int][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d, err := time.Parse(time.DateOnly, line[:10])
		if err != nil {
			t.Fatalf("testdata: %v", err)
		}
		out[d.Year()] = append(out[d.Year()], line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDanishHolidays(t *testing.T) {
	official := readHolidays(t)
	for year := 2023; year <= 2026; year++ {
		var got []string
		for i, d := range DanishHolidays(year) {
			got = append(got, d+" "+danishHolidays(year)[i].Name)
		}
		if want := official[year]; !slices.Equal(got, want) {
			t.Errorf("%d: got %q; want %q", year, got, want)
		}
		for _, line := range official[year] {
			d, _ := time.Parse(time.DateOnly, line[:10])
			if !isDanishHoliday(d.Year(), d.Month(), d.Day()) {
				t.Errorf("isDanishHoliday(%s): got %v; want %v", line, false, true)
			}
		}
	}
	// isDanishHoliday agrees with DanishHolidays on every day of 1990–2040.
	for d := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() <= 2040; d = d.AddDate(0, 0, 1) {
		want := slices.Contains(DanishHolidays(d.Year()), d.Format(time.DateOnly))
		if got := isDanishHoliday(d.Year(), d.Month(), d.Day()); got != want {
			t.Errorf("isDanishHoliday(%s): got %v; want %v", d.Format(time.DateOnly), got, want)
		}
	}
	// Closing days by custom are not holidays.
	for _, d := range []string{"2025-12-24", "2025-12-31", "2025-06-05", "2024-04-26"} {
		v, _ := time.Parse(time.DateOnly, d)
		if got := isDanishHoliday(v.Year(), v.Month(), v.Day()); got {
			t.Errorf("isDanishHoliday(%s): got %v; want %v", d, got, false)
		}
	}
}

func TestEaster(t *testing.T) {
	for _, tc := range []struct {
		year int
		want string
	}{
		{1818, "1818-03-22"}, {1943, "1943-04-25"}, {2000, "2000-04-23"}, {2008, "2008-03-23"},
		{2023, "2023-04-09"}, {2024, "2024-03-31"}, {2025, "2025-04-20"}, {2026, "2026-04-05"},
		{2038, "2038-04-25"},
	} {
		if got := easter(tc.year).Format(time.DateOnly); got != tc.want {
			t.Errorf("%d: got %v; want %v", tc.year, got, tc.want)
		}
	}
}

func TestInHours(t *testing.T) {
	cph := calCPH(t)
	hospital := QueueSettings{
		Name:           "klinisk",
		Location:       cph,
		DanishHolidays: true,
		ClosedDates:    map[string]bool{"2025-12-24": true},
	}
	for d := time.Monday; d <= time.Thursday; d++ {
		hospital.Hours[d] = []MinuteRange{{8 * 60, 16 * 60}}
	}
	hospital.Hours[time.Friday] = []MinuteRange{{8 * 60, 15 * 60}}

	split := QueueSettings{Location: cph}
	split.Hours[time.Monday] = []MinuteRange{{8 * 60, 12 * 60}, {13 * 60, 24 * 60}}

	always := QueueSettings{Location: cph}
	alwaysHolidays := QueueSettings{Location: cph, DanishHolidays: true, ClosedDates: map[string]bool{"2025-12-24": true}}

	cases := []struct {
		name string
		q    *QueueSettings
		at   string // local, Copenhagen
		want bool
	}{
		{"friday 14:59:59", &hospital, "2025-06-13T14:59:59+02:00", true},
		{"friday 15:00:00", &hospital, "2025-06-13T15:00:00+02:00", false},
		{"friday 08:00:00", &hospital, "2025-06-13T08:00:00+02:00", true},
		{"thursday 15:30", &hospital, "2025-06-12T15:30:00+02:00", true},
		{"thursday 15:59:59.9", &hospital, "2025-06-12T15:59:59.9+02:00", true},
		{"thursday 16:00:00", &hospital, "2025-06-12T16:00:00+02:00", false},
		{"monday 07:59:59", &hospital, "2025-06-16T07:59:59+02:00", false},
		{"monday 08:00:00", &hospital, "2025-06-16T08:00:00+02:00", true},
		{"saturday 10:00", &hospital, "2025-06-14T10:00:00+02:00", false},
		{"sunday 10:00", &hospital, "2025-06-15T10:00:00+02:00", false},
		{"Kristi Himmelfartsdag 2025 (thursday)", &hospital, "2025-05-29T10:00:00+02:00", false},
		{"Store Bededag 2023", &hospital, "2023-05-05T10:00:00+02:00", false},
		{"former Store Bededag 2024 is a workday", &hospital, "2024-04-26T10:00:00+02:00", true},
		{"Grundlovsdag is not a holiday", &hospital, "2025-06-05T10:00:00+02:00", true},
		{"closed date", &hospital, "2025-12-24T10:00:00+01:00", false},
		{"31 December is open unless closed", &hospital, "2025-12-31T10:00:00+01:00", true},
		{"winter time monday 08:30 CET", &hospital, "2025-11-03T08:30:00+01:00", true},
		{"UTC hour differs from local", &hospital, "2025-11-03T07:30:00+01:00", false},
		{"split monday 12:30", &split, "2025-06-16T12:30:00+02:00", false},
		{"split monday 13:00", &split, "2025-06-16T13:00:00+02:00", true},
		{"split monday 23:59:59", &split, "2025-06-16T23:59:59+02:00", true},
		{"split tuesday 00:00", &split, "2025-06-17T00:00:00+02:00", false},
		{"no hours: always open", &always, "2025-06-14T03:00:00+02:00", true},
		{"no hours: open on a holiday without the flag", &always, "2025-12-25T10:00:00+01:00", true},
		{"no hours: closed date still closes", &alwaysHolidays, "2025-12-24T10:00:00+01:00", false},
		{"no hours: holiday still closes with the flag", &alwaysHolidays, "2025-12-25T10:00:00+01:00", false},
		{"no hours: open on a weekday", &alwaysHolidays, "2025-12-23T03:00:00+01:00", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339Nano, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.q.InHours(at.UTC()); got != tc.want {
				t.Errorf("got %v; want %v", got, tc.want)
			}
		})
	}

	// A nil Location means Europe/Copenhagen.
	var nilLoc QueueSettings
	nilLoc.Hours = hospital.Hours
	if got := nilLoc.InHours(utc(t, "2025-06-13T06:30:00Z")); !got {
		t.Errorf("nil location, 08:30 local: got %v; want %v", got, true)
	}
}

func TestNilLocationIsCopenhagen(t *testing.T) {
	at := utc(t, "2025-10-26T02:30:00+01:00")
	if got, want := Keys(at, nil), Keys(at, calCPH(t)); got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
	s, err := PeriodStart(PeriodMonth, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := NextPeriod(PeriodMonth, s, nil).Format(time.RFC3339), "2025-11-01T00:00:00+01:00"; got != want {
		t.Errorf("got %v; want %v", got, want)
	}
}

// TestDayStartsAtTransition: where DST skips local midnight (Santiago,
// 8 September 2024, 00:00 → 01:00), the day starts at 01:00.
func TestDayStartsAtTransition(t *testing.T) {
	scl, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	at := utc(t, "2024-09-08T12:00:00-03:00")
	if got, want := Keys(at, scl).Day, utc(t, "2024-09-08T04:00:00Z"); !got.Equal(want) {
		t.Errorf("got %v; want %v", got, want)
	}
	prev := utc(t, "2024-09-07T12:00:00-04:00")
	s, _ := PeriodStart(PeriodDay, prev, scl)
	if got, want := NextPeriod(PeriodDay, s, scl), utc(t, "2024-09-08T04:00:00Z"); !got.Equal(want) {
		t.Errorf("got %v; want %v", got, want)
	}
}
