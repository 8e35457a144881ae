package cdr

import (
	"math/big"
	"testing"
	"time"
)

func TestRoundBPRoundsHalfUpAtTwoDecimals(t *testing.T) {
	for _, tc := range []struct {
		num, den int64
		want     int
		shown    string
	}{
		{99395, 100000, 9940, "99.40"},         // 99.395 % shows as 99.40
		{993949999, 1000000000, 9939, "99.39"}, // just below the half
		{1, 1, 10000, "100.00"},
		{0, 1, 0, "0.00"},
		{2, 3, 6667, "66.67"},
		{9972, 10000, 9972, "99.72"},
	} {
		got := RoundBP(big.NewRat(tc.num, tc.den))
		if got != tc.want || FormatBP(got) != tc.shown {
			t.Errorf("%d/%d: got %d (%s); want %d (%s)", tc.num, tc.den, got, FormatBP(got), tc.want, tc.shown)
		}
	}
}

func TestParseBP(t *testing.T) {
	for s, want := range map[string]int{"99.8": 9980, "99.80": 9980, "98.5": 9850, "100": 10000, "0.01": 1} {
		if got, ok := ParseBP(s); !ok || got != want {
			t.Errorf("%q: got %d %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"99.805", "100.01", "-1", "", "99,8", "abc", "1000"} {
		if got, ok := ParseBP(s); ok {
			t.Errorf("%q: got %d; want refused", s, got)
		}
	}
}

func TestComplianceAveragesTheLocations(t *testing.T) {
	// A large hospital with 1 of 10,000 actions late and a small one with
	// 1 of 2: the average of the locations is 74.995 %, showing 75.00;
	// pooling every action would say 99.99 %.
	c := ComplianceOf([]LocationFigure{
		{Location: "big", Measured: 10000, Within: 9999},
		{Location: "small", Measured: 2, Within: 1},
		{Location: "unclassed", Unjudged: 7},
	})
	if c.Locations != 2 || c.Measured != 10002 || c.Within != 10000 || c.Unjudged != 7 {
		t.Errorf("got %+v; want 2 locations, 10002 measured, 10000 within, 7 unjudged", c)
	}
	if want := big.NewRat(14999, 20000); c.Value.Cmp(want) != 0 || c.BP != 7500 {
		t.Errorf("got %v (%d); want %v, shown 75.00", c.Value, c.BP, want)
	}
	if want := big.NewRat(10000, 10002); c.Pooled == nil || c.Pooled.Cmp(want) != 0 {
		t.Errorf("pooled: got %v; want %v", c.Pooled, want)
	}
	// A share without counts (a month's figure) has no pooled figure.
	c = ComplianceOf([]LocationFigure{{Location: "a", Share: big.NewRat(9940, 10000), Imported: true}, {Location: "b", Measured: 4, Within: 4}})
	if c.BP != 9970 || c.Pooled != nil || c.Imported != 1 {
		t.Errorf("with a share: got %+v; want 99.70, no pooled figure, 1 imported", c)
	}
	if c := ComplianceOf([]LocationFigure{{Location: "a", Unjudged: 3}}); c.Value != nil || c.Locations != 0 {
		t.Errorf("nothing judged: got %+v; want N/A", c)
	}
}

func TestMeetsAtTheLevelShown(t *testing.T) {
	for _, tc := range []struct {
		bp, level int
		want      *bool
	}{
		{9940, 9940, ptrBool(true)}, // equal to the level meets it
		{9939, 9940, ptrBool(false)},
		{10000, 9980, ptrBool(true)},
		{9940, 0, nil},
	} {
		got := Meets(tc.bp, tc.level)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%d against %d: got %v; want %v", tc.bp, tc.level, got, tc.want)
		}
	}
}

func ptrBool(b bool) *bool { return &b }

func TestLimitOfAProbe(t *testing.T) {
	sys := DefaultSystemSettings("Orbit")
	sys.Actions = map[string]string{"login": ClassDataHeavy, "report": "batch"}
	for _, tc := range []struct {
		action, class string
		threshold     int64
		want          int64
		ok            bool
	}{
		{"search", "", 0, 3_000_000, true},               // default class
		{"login", "", 0, 15_000_000, true},               // the action's class
		{"login", ClassStandard, 0, 3_000_000, true},     // the probe's class wins
		{"login", ClassStandard, 800_000, 800_000, true}, // its own threshold wins
		{"report", "", 0, 0, false},                      // a class the system lacks
		{"search", "huge", 0, 0, false},
	} {
		got, ok := sys.Limit(tc.action, tc.class, tc.threshold)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s %q %d: got %d %v; want %d %v", tc.action, tc.class, tc.threshold, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSystemDaysAreLocalDays(t *testing.T) {
	sys := DefaultSystemSettings("Orbit") // Europe/Copenhagen
	slot := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	slots := []ProbeSlot{
		{System: "Orbit", Location: "a", Slot: slot("2016-09-30T21:45:00Z"), Measured: 2, Within: 2}, // 23:45 on 30 September
		{System: "Orbit", Location: "a", Slot: slot("2016-09-30T22:00:00Z"), Measured: 3, Within: 1}, // 00:00 on 1 October
		{System: "Orbit", Location: "a", Slot: slot("2016-10-01T21:45:00Z"), Measured: 1, Within: 1}, // 23:45 on 1 October
		{System: "Orbit", Location: "b", Slot: slot("2016-10-01T10:00:00Z"), Measured: 5, Unjudged: 1},
		{System: "Other", Location: "a", Slot: slot("2016-10-01T10:00:00Z"), Measured: 5},
	}
	got := SystemDays(sys, slots, "v1")
	want := []SystemLocationDay{
		{System: "Orbit", Location: "a", Day: slot("2016-09-29T22:00:00Z"), Measured: 2, Within: 2, SettingsVersion: "v1"},
		{System: "Orbit", Location: "a", Day: slot("2016-09-30T22:00:00Z"), Measured: 4, Within: 2, SettingsVersion: "v1"},
		{System: "Orbit", Location: "b", Day: slot("2016-09-30T22:00:00Z"), Measured: 5, Unjudged: 1, SettingsVersion: "v1"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v; want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("day %d: got %+v; want %+v", i, got[i], want[i])
		}
	}
}

func TestSystemRowsOfAMonth(t *testing.T) {
	sys := DefaultSystemSettings("Orbit")
	sys.Display, sys.AgreedLevel = "Orbit", 9980
	oct := time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2016, 10, d, 0, 0, 0, 0, sys.Location).UTC() }
	days := []SystemLocationDay{
		{System: "Orbit", Location: "a", Day: day(3), Measured: 100, Within: 100, SettingsVersion: "v1"},
		{System: "Orbit", Location: "a", Day: day(4), Measured: 100, Within: 99, SettingsVersion: "v2"},
		{System: "Orbit", Location: "b", Day: day(4), Measured: 50, Within: 40, SettingsVersion: "v2"},
		{System: "Orbit", Location: "b", Day: time.Date(2016, 11, 1, 0, 0, 0, 0, sys.Location).UTC(), Measured: 9, Within: 0}, // November
	}
	rows := SystemRows(sys, oct, days, nil, "v2")
	if len(rows) != 3 {
		t.Fatalf("got %d rows; want the month and two days: %+v", len(rows), rows)
	}
	m := rows[0]
	// a: 199/200, b: 40/50; the mean is 89.75 %.
	if m.Period != PeriodMonth || !m.Start.Equal(time.Date(2016, 10, 1, 0, 0, 0, 0, sys.Location)) || m.BP != 8975 || m.Locations != 2 ||
		m.Met == nil || *m.Met || m.SettingsVersion != "v1,v2" || m.Offset != 7200 || m.Label() != "2016-10" {
		t.Errorf("month: got %+v (label %s)", m, m.Label())
	}
	if d := rows[1]; d.Period != PeriodDay || d.Label() != "2016-10-03" || d.BP != 10000 || d.Met == nil || !*d.Met || d.Locations != 1 {
		t.Errorf("3 October: got %+v", d)
	}
	// A month's figure of location b replaces its probes in the month, and
	// not in its days.
	fig := []ProbeMonth{{System: "Orbit", Location: "b", Month: oct, Compliance: "99.6"}}
	rows = SystemRows(sys, oct, days, fig, "v3")
	// a: 99.5 %, b: 99.6 %: 99.55 %.
	if m := rows[0]; m.BP != 9955 || m.Imported != 1 || m.Pooled != nil || m.SettingsVersion != "v1,v2,v3" {
		t.Errorf("with b's month's figure: got %+v", m)
	}
	if d := rows[2]; d.Label() != "2016-10-04" || d.BP != RoundBP(big.NewRat(99*50+40*100, 100*50*2)) {
		t.Errorf("4 October: got %+v; want its probes' figure", d)
	}
	// Only a month's figure, for the system as a whole.
	rows = SystemRows(sys, time.Date(2015, 10, 1, 0, 0, 0, 0, time.UTC), nil, []ProbeMonth{{System: "Orbit", Month: time.Date(2015, 10, 1, 0, 0, 0, 0, time.UTC), Compliance: "99.8"}}, "v3")
	if len(rows) != 1 || rows[0].BP != 9980 || rows[0].Met == nil || !*rows[0].Met || rows[0].Label() != "2015-10" {
		t.Errorf("a month's figure alone: got %+v; want one month row, 99.80, met", rows)
	}
	if rows := SystemRows(sys, time.Date(2015, 11, 1, 0, 0, 0, 0, time.UTC), days, nil, "v3"); len(rows) != 0 {
		t.Errorf("a month without measurements: got %+v; want no row (N/A)", rows)
	}
}

// TestSystemWholeMonthFigureIsTheMonths: a month's figure for the system
// as a whole (no location) is the month's figure, however many locations
// have probes or figures of their own that month: it is not one location
// more in the mean. The days keep their probes.
func TestSystemWholeMonthFigureIsTheMonths(t *testing.T) {
	sys := DefaultSystemSettings("Orbit")
	sys.AgreedLevel = 9980
	oct := time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC)
	day := time.Date(2016, 10, 4, 0, 0, 0, 0, sys.Location).UTC()
	days := []SystemLocationDay{
		{System: "Orbit", Location: "a", Day: day, Measured: 100, Within: 90},
		{System: "Orbit", Location: "b", Day: day, Measured: 100, Within: 80},
	}
	figs := []ProbeMonth{
		{System: "Orbit", Location: "", Month: oct, Compliance: "99.85"},
		{System: "Orbit", Location: "c", Month: oct, Compliance: "50"},
	}
	rows := SystemRows(sys, oct, days, figs, "v1")
	if len(rows) != 2 {
		t.Fatalf("got %d rows; want the month and 4 October: %+v", len(rows), rows)
	}
	if m := rows[0]; m.BP != 9985 || m.Locations != 1 || m.Imported != 1 || m.Met == nil || !*m.Met || m.Pooled != nil {
		t.Errorf("month: got %d at %d locations (%d imported), met %v; want the whole system's 99.85, met", m.BP, m.Locations, m.Imported, m.Met)
	}
	if d := rows[1]; d.BP != 8500 || d.Locations != 2 {
		t.Errorf("4 October: got %d at %d locations; want its probes' 85.00 at 2", d.BP, d.Locations)
	}
}

func TestLatestProbeMonthWins(t *testing.T) {
	oct := time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Date(2016, 11, 2, 8, 0, 0, 0, time.UTC)
	got := LatestProbeMonths([]ProbeMonth{
		{System: "Orbit", Month: oct, Compliance: "99.1", ID: 9, IngestedAt: t0.Add(time.Hour)},
		{System: "Orbit", Month: oct, Compliance: "98", ID: 5, IngestedAt: t0},
		{System: "Orbit", Location: "a", Month: oct, Compliance: "97", ID: 1, IngestedAt: t0},
		{System: "Orbit", Location: "a", Month: oct, Compliance: "96", ID: 2, IngestedAt: t0},
	})
	if len(got) != 2 || got[0].Compliance != "99.1" || got[1].Compliance != "96" {
		t.Errorf("got %+v; want the one stored last (99.1), and of one second the higher id (96)", got)
	}
}

// TestSystemRowsWithoutAJudgedProbe: a month whose probes could none be
// judged has a row without a figure, so a recount replaces an old figure.
func TestSystemRowsWithoutAJudgedProbe(t *testing.T) {
	sys := DefaultSystemSettings("Orbit")
	sys.AgreedLevel = 9900
	oct := time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC)
	days := []SystemLocationDay{{System: "Orbit", Location: "a", Day: time.Date(2016, 10, 3, 0, 0, 0, 0, sys.Location).UTC(), Unjudged: 4}}
	rows := SystemRows(sys, oct, days, nil, "v1")
	if len(rows) != 2 {
		t.Fatalf("got %+v; want a month row and a day row", rows)
	}
	for _, r := range rows {
		if r.Value != nil || r.Locations != 0 || r.Met != nil || r.Unjudged != 4 {
			t.Errorf("%s: got %+v; want no figure, 4 unjudged, met nil", r.Period, r)
		}
	}
}
