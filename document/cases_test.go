package document

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// deskSource is a store of desks' months for the tests: every desk's
// months, and each month's answered calls (the phone's contacts).
type deskSource struct {
	months   []cdr.DeskMonth
	answered map[time.Time]uint64
}

func (s deskSource) DeskMonths(_ context.Context, desk string, from, to time.Time) ([]cdr.DeskMonth, error) {
	var out []cdr.DeskMonth
	for _, m := range s.months {
		if (desk == "" || m.Desk == desk) && !m.Month.Before(from) && m.Month.Before(to) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s deskSource) AnsweredByMonth(context.Context, []string, string, time.Time, time.Time) (map[time.Time]uint64, error) {
	return s.answered, nil
}

// settings is a SettingsSource of fixed settings.
type settings struct{ qs *cdr.Settings }

func (s settings) Settings(context.Context) (*cdr.Settings, error) { return s.qs, nil }

// TestCasesSections: a desk has a section only with cases or contacts of
// another channel than the phone (its answered calls alone are the queue
// sections'); a desk with contacts but no cases has the contacts figure
// only, and one with cases but only phone contacts no contacts figure; one whose closed cases have no time yet has the table of the
// share within time without a chart; the quarter's total is summed from
// its months and its shares computed from the sums; a month's closed
// cases are marked while provisional; a reader limited to some switches
// reads none.
func TestCasesSections(t *testing.T) {
	d := cdr.DefaultDeskSettings("x")
	loc := d.Location()
	month := func(m time.Month) time.Time { return time.Date(2016, m, 1, 0, 0, 0, 0, loc).UTC() }
	src := deskSource{
		answered: map[time.Time]uint64{month(10): 30, month(11): 10, month(12): 20},
		months: []cdr.DeskMonth{
			{Desk: "portal_only", Month: month(10), Contacts: map[string]uint64{"portal": 10}},
			{Desk: "cases", Month: month(10), Registered: 4, Closed: 2, FirstContactKnown: 4, FirstContact: 1},
			{Desk: "cases", Month: month(12), Registered: 6, Closed: 3, FirstContactKnown: 2, FirstContact: 2},
			{Desk: "phone_only", Month: month(11)},
		},
	}
	p, _ := ParsePeriod("2016-Q4")
	now := time.Date(2017, 1, 5, 9, 0, 0, 0, loc) // December's closed cases are provisional
	gs, err := Cases{Source: src, Settings: settings{&cdr.Settings{}}, Now: func() time.Time { return now }}.Groups(context.Background(), p, "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 1 || gs[0].ID != "cases" || gs[0].Heading != "Cases and channels" {
		t.Fatalf("groups %+v; want the cases group", gs)
	}
	var ids []string
	for _, s := range gs[0].Sections {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, " ") != "cases-cases cases-portal_only" {
		t.Fatalf("sections %q; want the desk with cases and the one with portal contacts, not the phone-only desk", ids)
	}
	var figs []string
	for _, f := range gs[0].Sections[0].Figures {
		figs = append(figs, f.ID)
		if f.ID == "within-cases" && f.Chart != "" {
			t.Errorf("within time without a case with a time has a chart")
		}
	}
	if strings.Join(figs, " ") != "cases-cases within-cases" {
		t.Errorf("the desk with cases, and no contacts but the phone's, has figures %q; want its cases and within time", figs)
	}
	if f := gs[0].Sections[1].Figures; len(f) != 1 || f[0].ID != "contacts-portal_only" {
		t.Errorf("the desk with portal contacts only has figures %+v; want its contacts", f)
	}
	texts := func(r Row) string {
		var out []string
		for _, c := range r.Cells {
			out = append(out, c.Text)
		}
		return r.Label + ": " + strings.Join(out, " | ")
	}
	// The front page: the phone's contacts are the answered calls (60 in
	// the quarter) of every desk that counts calls, 60 of 70 for the
	// desk with 10 portal contacts.
	if o := gs[0].Overview; o == nil || len(o.Rows) != 2 || texts(o.Rows[0]) != "cases: 100.0 % | 10 | 5 * | –" || texts(o.Rows[1]) != "portal_only: 85.7 % | 0 | 0 * | –" {
		t.Errorf("the front page's cases: %+v; want a row per desk with a section", o)
	}
	cases := gs[0].Sections[0].Figures[0]
	var got []string
	for _, r := range cases.Rows {
		got = append(got, texts(r))
	}
	want := []string{"October 2016: 4 | 2 | 25.0 %", "November 2016: 0 | 0 | –", "December 2016: 6 | 3 * | 100.0 %", "Total: 10 | 5 * | 50.0 %"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the cases table:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A reader limited to some switches (a read token of /document) reads
	// no desk's figures: they belong to desks, not switches, and GET
	// /v1/cases refuses such a token.
	limited := cdr.WithSwitches(context.Background(), []string{"pbx1"})
	gs, err = Cases{Source: src, Settings: settings{&cdr.Settings{}}, Now: func() time.Time { return now }}.Groups(limited, p, "en")
	if err != nil || len(gs) > 0 && len(gs[0].Sections) > 0 {
		t.Errorf("a reader limited to a switch: %d groups, %v; want no sections", len(gs), err)
	}

	// Neither cases nor other channels anywhere: no sections.
	src.months = src.months[3:]
	gs, err = Cases{Source: src, Settings: settings{&cdr.Settings{}}}.Groups(context.Background(), p, "en")
	if err != nil || len(gs) > 0 && len(gs[0].Sections) > 0 {
		t.Errorf("without cases or contacts: %+v, %v; want no sections", gs, err)
	}
}
