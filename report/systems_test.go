package report

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func TestSystemLabels(t *testing.T) {
	now := time.Date(2016, 11, 15, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		period, from, to string
		want             string
		field            string // of the error; "" for none
	}{
		{"month", "2016-09", "2016-12", "2016-09 2016-10 2016-11", ""},
		{"month", "2016-09-01", "2017-01-01", "2016-09 2016-10 2016-11 2016-12", ""},
		{"month", "", "", "2016-01 2016-02 2016-03 2016-04 2016-05 2016-06 2016-07 2016-08 2016-09 2016-10 2016-11", ""},
		{"day", "2016-10-30", "2016-11-02", "2016-10-30 2016-10-31 2016-11-01", ""},
		{"day", "2016-10", "2016-10-03", "2016-10-01 2016-10-02", ""},
		{"month", "2016-09-15", "2016-12", "", "from"},
		{"month", "2016-12", "2016-12", "", "from"},
		{"month", "sep", "2016-12", "", "from"},
		{"day", "2000-01-01", "2016-01-01", "", "to"},
		{"hour", "2016-09", "2016-12", "", "period"},
	} {
		got, err := SystemLabels(tc.period, tc.from, tc.to, now)
		var re *RangeError
		switch {
		case tc.field != "" && (!errors.As(err, &re) || re.Field != tc.field):
			t.Errorf("%s %s..%s: got %v; want an error of %s", tc.period, tc.from, tc.to, err, tc.field)
		case tc.field == "" && (err != nil || strings.Join(got, " ") != tc.want):
			t.Errorf("%s %s..%s: got %v, %v; want %s", tc.period, tc.from, tc.to, got, err, tc.want)
		}
	}
}

// TestBuildSystems lays out stored rows as the report's table: the queue
// file's systems in its order, then a system with figures that the file
// does not list; N/A where a period has no row, or a row without a
// figure; a mark only where there is a level; the count of systems
// meeting their level of those judged.
func TestBuildSystems(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	sys := func(name, display string, level int) cdr.SystemSettings {
		s := cdr.DefaultSystemSettings(name)
		s.Display, s.AgreedLevel = display, level
		return s
	}
	qs := &cdr.Settings{Systems: []cdr.SystemSettings{sys("orbit", "Orbit", 9980), sys("mail", "Mail/kalender", 9940)}}
	yes, no := true, false
	row := func(system string, month time.Month, bp, level int, met *bool, locations int) cdr.SystemRow {
		start := time.Date(2016, month, 1, 0, 0, 0, 0, cph)
		_, off := start.Zone()
		r := cdr.SystemRow{System: system, Display: system, Period: cdr.PeriodMonth, Start: start.UTC(), Offset: int32(off),
			Zone: "Europe/Copenhagen", AgreedLevel: level, Met: met}
		r.Locations, r.BP = locations, bp
		if locations > 0 {
			r.Value = big.NewRat(int64(bp), 10000)
		}
		return r
	}
	stored := []cdr.SystemRow{
		row("orbit", 9, 9998, 9980, &yes, 2),
		row("orbit", 10, 9979, 9980, &no, 2),
		row("mail", 10, 9940, 9940, &yes, 3),
		row("mail", 9, 0, 9940, nil, 0), // measurements none could judge: N/A
		row("extra", 10, 9000, 0, nil, 1),
		row("orbit", 12, 9000, 9980, &no, 1), // outside the labels
	}
	tab := BuildSystems(qs, cdr.PeriodMonth, []string{"2016-09", "2016-10", "2016-11"}, stored)
	var names []string
	for _, s := range tab.Systems {
		names = append(names, s.Name)
	}
	if strings.Join(names, "|") != "Orbit|Mail/kalender|extra" || tab.Systems[2].AgreedLevel != nil {
		t.Fatalf("systems %+v; want the file's order, then extra without a level", tab.Systems)
	}
	if len(tab.Rows) != 9 {
		t.Fatalf("got %d rows; want 3 systems × 3 months", len(tab.Rows))
	}
	var cells []string
	for i := range tab.Rows {
		cells = append(cells, SystemCell(&tab.Rows[i]))
	}
	if got, want := strings.Join(cells, "|"), "99.98 ✓|N/A|N/A|99.79 ✗|99.40 ✓|90.00|N/A|N/A|N/A"; got != want {
		t.Errorf("cells %s; want %s", got, want)
	}
	var reading []string
	for _, p := range tab.Periods {
		reading = append(reading, SystemMet(p))
	}
	if got, want := strings.Join(reading, "|"), "1 of 1|1 of 2|–"; got != want {
		t.Errorf("periods %s; want %s", got, want)
	}
	if r := tab.Rows[4]; r.PeriodStart != "2016-10-01T00:00:00+02:00" || *r.AgreedLevel != 0.994 || r.Locations != 3 {
		t.Errorf("Mail/kalender in October: %+v", r)
	}
	if r := tab.Rows[6]; r.PeriodStart != "2016-11-01T00:00:00+01:00" || r.Compliance != nil || r.Met != nil || *r.AgreedLevel != 0.998 {
		t.Errorf("Orbit in November (no row): %+v", r)
	}

	var b bytes.Buffer
	if err := WriteSystemsTable(&b, tab); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Agreed level  99.80  99.40  –", "2016-10  99.79 ✗  99.40 ✓  90.00  1 of 2"} {
		if !strings.Contains(strings.Join(strings.Fields(b.String()), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("the table has no line %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := WriteSystemsCSV(&b, tab); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[4], "orbit,Orbit,month,2016-10,2016-10-01T00:00:00+02:00,0.9979,0.998,false,2,") ||
		!strings.HasPrefix(lines[7], "orbit,Orbit,month,2016-11,2016-11-01T00:00:00+01:00,,0.998,,0,") {
		t.Errorf("csv:\n%s", b.String())
	}
}
