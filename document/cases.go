package document

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
)

// Cases produces the contacts and cases of the source report, per desk
// (group "cases"): the contacts by channel with the phone's share, the
// cases registered and closed per month, and the share of the closed
// cases not resolved at first contact that were resolved within the time
// of their criticality, against the desk's target (90 %). The rows are
// report.DeskRows's of the period's months (in each desk's zone), exactly
// as GET /v1/contacts and GET /v1/cases answer them; the period's total
// row is summed from its months, its shares computed from the sums.
//
// The front page has a row per desk with a section: the period's phone
// share, cases registered and closed, and share within time.
//
// A desk has a section only where the period has contacts of a channel
// other than the phone, or cases: a desk's phone contacts alone are its
// answered calls, which the queue sections already show. The group is
// left out where no desk has either.
type Cases struct {
	Source   report.DeskSource
	Settings SettingsSource
	// Now decides which months' closed cases are still provisional (until
	// 7 days after a month's end); time.Now where nil.
	Now func() time.Time
}

// deskFigures is one desk's rows of a period.
type deskFigures struct {
	d        cdr.DeskSettings
	channels []string // the channels other than the phone, by name
	months   []deskMonth
	total    deskMonth
}

// deskMonth is one month's contacts and case row of a desk (or the
// period's sums).
type deskMonth struct {
	start    time.Time
	contacts map[string]uint64 // by channel, the phone's included
	all      uint64            // every channel's contacts
	c        report.CaseRow
}

// Groups implements Producer. A reader limited to some switches
// (cdr.WithSwitches: a read token of /document) gets no group: contacts
// and cases belong to desks, not switches, and GET /v1/cases refuses such
// a token too.
func (s Cases) Groups(ctx context.Context, p Period, lang string) ([]Group, error) {
	if _, limited := cdr.SwitchesOf(ctx); limited {
		return nil, nil
	}
	qs, err := s.Settings.Settings(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	first := time.Date(p.Year, p.First, 1, 0, 0, 0, 0, time.UTC)
	from, to := first.Format(time.DateOnly), first.AddDate(0, p.months(), 0).Format(time.DateOnly)
	contacts, cases, err := report.DeskRows(ctx, s.Source, qs, "", from, to, now)
	if err != nil {
		return nil, err
	}
	desks := map[string]*deskFigures{}
	var order []string
	month := func(desk string, start time.Time) *deskMonth {
		f := desks[desk]
		if f == nil {
			f = &deskFigures{d: qs.Desk(desk), total: deskMonth{contacts: map[string]uint64{}}}
			desks[desk], order = f, append(order, desk)
		}
		for i := range f.months {
			if f.months[i].start.Equal(start) {
				return &f.months[i]
			}
		}
		f.months = append(f.months, deskMonth{start: start, contacts: map[string]uint64{}})
		return &f.months[len(f.months)-1]
	}
	for _, r := range contacts {
		m := month(r.Desk, r.PeriodStart)
		m.contacts[r.Channel] += r.Contacts
		m.all += r.Contacts
	}
	for _, r := range cases {
		month(r.Desk, r.PeriodStart).c = r
	}
	l := Labels(lang)
	g := Group{ID: "cases", Heading: l["cases"]}
	overview := &Figure{ID: "overview-cases", Header: []string{l["desk"], l["phone_share"], l["registered"], l["closed"], l["within_rate"]}}
	slices.Sort(order)
	for _, n := range order {
		f := desks[n]
		slices.SortFunc(f.months, func(a, b deskMonth) int { return a.start.Compare(b.start) })
		f.sum()
		posted := slices.ContainsFunc(f.channels, func(ch string) bool { return f.total.contacts[ch] > 0 })
		hasCases := f.total.c.Registered > 0 || f.total.c.Closed > 0
		if !posted && !hasCases {
			continue
		}
		sec := Section{ID: "cases-" + n, Heading: f.name(), Summary: f.summary(p, lang, posted, hasCases)}
		if posted {
			sec.Figures = append(sec.Figures, f.contactsFigure(lang))
		}
		if hasCases {
			sec.Figures = append(sec.Figures, f.casesFigure(lang), f.withinFigure(lang))
		}
		g.Sections = append(g.Sections, sec)
		t := f.total
		closed := countCell("cases_closed", t.c.Closed)
		if t.c.ClosedProvisional {
			closed.Text += " *"
		}
		overview.Rows = append(overview.Rows, Row{Label: f.name(), Cells: []Cell{ratioCell("share", t.phoneShare(), nil, lang),
			countCell("cases_registered", t.c.Registered), closed, ratioCell("within_rate", t.c.WithinRate, t.c.WithinMet, lang)}})
	}
	if len(g.Sections) > 0 {
		g.Overview = overview
	}
	return []Group{g}, nil
}

// sum finds the desk's other channels and sums its months into total; the
// total's shares are computed from the sums, never averaged over months.
func (f *deskFigures) sum() {
	t := &f.total
	t.c = report.CaseRow{Target: f.d.Target}
	for _, m := range f.months {
		for ch, n := range m.contacts {
			if ch != cdr.ChannelPhone && !slices.Contains(f.channels, ch) {
				f.channels = append(f.channels, ch)
			}
			t.contacts[ch] += n
		}
		t.all += m.all
		t.c.Registered += m.c.Registered
		t.c.Closed += m.c.Closed
		t.c.ClosedProvisional = t.c.ClosedProvisional || m.c.ClosedProvisional
		t.c.FirstContactKnown += m.c.FirstContactKnown
		t.c.FirstContact += m.c.FirstContact
		t.c.DeadlineCases += m.c.DeadlineCases
		t.c.WithinDeadline += m.c.WithinDeadline
	}
	slices.Sort(f.channels)
	t.c.FCRRate = share(t.c.FirstContact, t.c.FirstContactKnown)
	t.c.WithinRate = share(t.c.WithinDeadline, t.c.DeadlineCases)
	if t.c.WithinRate != nil {
		met := *t.c.WithinRate >= f.d.Target
		t.c.WithinMet = &met
	}
}

// share is n/d, nil when d is 0 (METRICS.md: never 0, never NaN).
func share(n, d uint64) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// name is the desk's name for people: its display name, else its key.
func (f *deskFigures) name() string {
	if f.d.Display != "" {
		return f.d.Display
	}
	return f.d.Name
}

// rows makes a table's rows: one per month, and the period's total where
// the period has several months.
func (f *deskFigures) rows(lang string, cells func(m deskMonth) []Cell) []Row {
	var out []Row
	loc := f.d.Location()
	for _, m := range f.months {
		out = append(out, Row{Label: monthTitle(m.start.In(loc).Format("2006-01"), lang), Start: m.start.Format(time.RFC3339), Cells: cells(m)})
	}
	if len(f.months) > 1 {
		out = append(out, Row{Label: Labels(lang)["total"], Total: true, Cells: cells(f.total)})
	}
	return out
}

// chartLabels are the months' short names, the charts' categories.
func (f *deskFigures) chartLabels(lang string) []string {
	short := strings.Fields(Labels(lang)["short"])
	var out []string
	for _, m := range f.months {
		out = append(out, short[m.start.In(f.d.Location()).Month()-1])
	}
	return out
}

// phoneShare is the phone's share of m's contacts.
func (m deskMonth) phoneShare() *float64 { return share(m.contacts[cdr.ChannelPhone], m.all) }

// contactsFigure is the contacts by channel per month and the phone's
// share, as the source report gives them ("phone 78 %, the portal 22 %").
func (f *deskFigures) contactsFigure(lang string) Figure {
	l := Labels(lang)
	var phone, other, shares []*float64
	for _, m := range f.months {
		phone, other = append(phone, count(m.contacts[cdr.ChannelPhone])), append(other, count(m.all-m.contacts[cdr.ChannelPhone]))
		shares = append(shares, m.phoneShare())
	}
	plain := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	pct := func(v float64) string { return target(v, lang) }
	c := report.Chart{ID: "contacts-" + f.d.Name, Title: l["contacts_title"], Labels: f.chartLabels(lang),
		Left:  report.Axis{Kind: report.AxisCount, Fmt: plain, Tick: plain},
		Right: report.Axis{Kind: report.AxisShare, Max: 1, Fmt: pct, Tick: pct},
		Series: []report.Series{
			{Name: l["phone"], Class: "s-offered", Bar: true, Values: phone},
			{Name: l["other_channels"], Class: "s-fcr", Bar: true, Values: other},
			{Name: l["phone_share"], Class: "s-wait", Right: true, Values: shares},
		}}
	rule := l["phone_calls"]
	if f.d.Phone == cdr.PhoneCases {
		rule = l["phone_cases"]
	}
	header := append([]string{l["month_col"], l["phone"]}, f.channels...)
	return Figure{ID: c.ID, Chart: c.SVG(), Caption: fmt.Sprintf(l["contacts_caption"], rule),
		Header: append(header, l["phone_share"]),
		Rows: f.rows(lang, func(m deskMonth) []Cell {
			cells := []Cell{countCell("contacts", m.contacts[cdr.ChannelPhone])}
			for _, ch := range f.channels {
				cells = append(cells, countCell("contacts", m.contacts[ch]))
			}
			return append(cells, ratioCell("share", m.phoneShare(), nil, lang))
		})}
}

// casesFigure is the cases registered and closed per month; a month's
// closed cases are marked * while provisional.
func (f *deskFigures) casesFigure(lang string) Figure {
	l := Labels(lang)
	var reg, closed []*float64
	for _, m := range f.months {
		reg, closed = append(reg, count(m.c.Registered)), append(closed, count(m.c.Closed))
	}
	plain := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	c := report.Chart{ID: "cases-" + f.d.Name, Title: l["cases_title"], Labels: f.chartLabels(lang),
		Left: report.Axis{Kind: report.AxisCount, Fmt: plain, Tick: plain},
		Series: []report.Series{
			{Name: l["registered"], Class: "s-offered", Bar: true, Values: reg},
			{Name: l["closed"], Class: "s-sl", Bar: true, Values: closed},
		}}
	return Figure{ID: c.ID, Chart: c.SVG(), Caption: l["cases_caption"],
		Header: []string{l["month_col"], l["registered"], l["closed"], l["case_fcr"]},
		Rows: f.rows(lang, func(m deskMonth) []Cell {
			cl := countCell("cases_closed", m.c.Closed)
			if m.c.ClosedProvisional {
				cl.Text += " *"
			}
			return []Cell{countCell("cases_registered", m.c.Registered), cl, ratioCell("case_fcr_rate", m.c.FCRRate, nil, lang)}
		})}
}

// withinFigure is the share of the closed cases not resolved at first
// contact that were resolved within their time, against the desk's
// target; a table only while no closed case has a time.
func (f *deskFigures) withinFigure(lang string) Figure {
	l := Labels(lang)
	goal := f.d.Target
	days := l["calendar_days"]
	if f.d.WorkingDays {
		days = l["working_days"]
	}
	fig := Figure{ID: "within-" + f.d.Name, Caption: fmt.Sprintf(l["within_caption"], days, target(goal, lang)),
		Header: []string{l["month_col"], l["within_rate"], l["within_cases"], l["deadline_cases"], l["target"] + " " + target(goal, lang)},
		Rows: f.rows(lang, func(m deskMonth) []Cell {
			return []Cell{ratioCell("within_rate", m.c.WithinRate, m.c.WithinMet, lang), countCell("within_deadline", m.c.WithinDeadline),
				countCell("deadline_cases", m.c.DeadlineCases), metCell("within_met", m.c.WithinMet, lang)}
		})}
	if f.total.c.DeadlineCases == 0 {
		return fig
	}
	var within []*float64
	for _, m := range f.months {
		within = append(within, m.c.WithinRate)
	}
	pct := func(v float64) string { return target(v, lang) }
	c := report.Chart{ID: fig.ID, Title: l["within_title"], Labels: f.chartLabels(lang),
		Left:   report.Axis{Kind: report.AxisShare, Max: 1, Fmt: pct, Tick: pct},
		Target: &goal, TargetName: l["target"], TargetValue: target(goal, lang),
		Series: []report.Series{{Name: l["within_rate"], Class: "s-sl", Bar: true, Values: within}}}
	fig.Chart = c.SVG()
	return fig
}

// summary is the desk's period in one sentence, for the mail body.
func (f *deskFigures) summary(p Period, lang string, posted, hasCases bool) string {
	l, t := Labels(lang), f.total
	var parts []string
	if posted {
		parts = append(parts, fmt.Sprintf(l["contacts_summary"], Pct(t.phoneShare(), lang), strconv.FormatUint(t.all, 10)))
	}
	if hasCases {
		parts = append(parts, fmt.Sprintf(l["cases_summary"], strconv.FormatUint(t.c.Registered, 10), strconv.FormatUint(t.c.Closed, 10),
			Pct(t.c.WithinRate, lang), target(t.c.Target, lang)))
	}
	return f.name() + ", " + PeriodTitle(p, lang) + ": " + strings.Join(parts, "; ") + "."
}
