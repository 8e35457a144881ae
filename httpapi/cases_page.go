package httpapi

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

// deskLabels are the dashboard's texts of contacts and cases, per language
// (the languages of labels, with the same keys and fmt verbs).
var deskLabels = map[string]map[string]string{
	"en": {
		"contacts_title": "Contacts by channel, %s", "contacts_note": "Bars: the phone's contacts (%s) and the contacts of the other channels. Line: the phone's share of all contacts (right axis).",
		"phone": "Phone", "other_channels": "Other channels", "phone_share": "Phone's share",
		"phone_calls": "answered calls of the desk's queues", "phone_cases": "cases registered as phone contacts",
		"cases_title": "Cases, %s", "cases_note": "Bars: cases registered and cases closed. A case counts as closed in the month it was resolved once not reopened within 7 days: * a month's closed cases are provisional until 7 days after its end.",
		"registered": "Registered", "closed": "Closed", "case_fcr": "Resolved at first contact",
		"within_title": "Resolved within time, %s", "within_note": "Share of the closed cases not resolved at first contact that were resolved within the time of their criticality (high 3, medium 5, normal 10, in %s); the dashed line is the %s target.",
		"within_rate": "Within time", "deadline_cases": "Cases with a time",
		"calendar": "calendar days", "working": "working days", "no_deadline_cases": "no closed case with a time yet",
	},
	"da": {
		"contacts_title": "Henvendelser pr. kanal, %s", "contacts_note": "Søjler: telefonens henvendelser (%s) og de andre kanalers. Linje: telefonens andel af alle henvendelser (højre akse).",
		"phone": "Telefon", "other_channels": "Andre kanaler", "phone_share": "Telefonens andel",
		"phone_calls": "besvarede opkald i deskens køer", "phone_cases": "sager registreret som telefonhenvendelser",
		"cases_title": "Sager, %s", "cases_note": "Søjler: registrerede og lukkede sager. En sag tæller som lukket i den måned, den blev løst, når den ikke er genåbnet inden for 7 dage: * en måneds lukkede sager er foreløbige indtil 7 dage efter månedens udgang.",
		"registered": "Registrerede", "closed": "Lukkede", "case_fcr": "Løst ved første kontakt",
		"within_title": "Løst inden for tiden, %s", "within_note": "Andel af de lukkede sager, der ikke blev løst ved første kontakt, og som blev løst inden for deres kritikalitets tid (høj 3, medium 5, normal 10, i %s); den stiplede linje er målet på %s.",
		"within_rate": "Inden for tiden", "deadline_cases": "Sager med en tid",
		"calendar": "kalenderdage", "working": "arbejdsdage", "no_deadline_cases": "ingen lukket sag med en tid endnu",
	},
}

// deskOf returns the desk of queue: the desk that lists it under queues,
// else the desk of its own name.
func deskOf(qs *cdr.Settings, queue string) string {
	names := make([]string, 0, len(qs.Desks))
	for n := range qs.Desks {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if slices.Contains(qs.Desks[n].Queues, queue) {
			return n
		}
	}
	return queue
}

// deskPanels are the dashboard's sections of the contacts and cases of the
// desk of queue q in year: each only where the year has such data (a
// carrier has no cases, and its dashboard shows no section of them).
func (a *API) deskPanels(ctx context.Context, qs *cdr.Settings, q cdr.QueueSettings, year int, lang string, l map[string]string) ([]panel, error) {
	if a.src.Cases == nil {
		return nil, nil
	}
	if _, limited := cdr.SwitchesOf(ctx); limited {
		return nil, nil // desks are not a limited reader's (deskRows)
	}
	dl := deskLabels[lang]
	desk := deskOf(qs, q.Name)
	d := qs.Desk(desk)
	loc := d.Location()
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc).Format(time.DateOnly)
	to := time.Date(year+1, 1, 1, 0, 0, 0, 0, loc).Format(time.DateOnly)
	contacts, cases, err := report.DeskRows(ctx, a.src.Cases, qs, desk, from, to, a.now())
	if err != nil {
		return nil, err
	}
	months := strings.Fields(l["months"])
	pct, tgt := pctText(l), targetText(l)
	share := axis{Kind: axisShare, Max: 1, Fmt: pct, Tick: tgt}
	count := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	counts := axis{Kind: axisCount, Fmt: count, Tick: count}
	name := d.Display
	var out []panel

	// Contacts: a row per month, the phone and the other channels.
	type month struct {
		start        time.Time
		phone, other uint64
	}
	var cm []month
	posted := false
	for _, r := range contacts {
		if len(cm) == 0 || !cm[len(cm)-1].start.Equal(r.PeriodStart) {
			cm = append(cm, month{start: r.PeriodStart})
		}
		m := &cm[len(cm)-1]
		if r.Channel == cdr.ChannelPhone {
			m.phone += r.Contacts
		} else {
			m.other += r.Contacts
			posted = posted || r.Contacts > 0
		}
	}
	if posted {
		rule := dl["phone_calls"]
		if d.Phone == cdr.PhoneCases {
			rule = dl["phone_cases"]
		}
		p := panel{ID: "contacts", Title: fmt.Sprintf(dl["contacts_title"], name), Note: fmt.Sprintf(dl["contacts_note"], rule), Numbers: l["numbers"],
			Legend: []legendItem{{"s-offered", dl["phone"]}, {"s-fcr", dl["other_channels"]}, {"s-asa", dl["phone_share"]}},
			Header: []string{l["period"], dl["phone"], dl["other_channels"], dl["phone_share"]}}
		var labelsX []string
		var phone, other, shares []*float64
		for _, m := range cm {
			label := months[m.start.In(loc).Month()-1]
			labelsX = append(labelsX, label)
			s := ratioOf(m.phone, m.phone+m.other)
			phone, other, shares = append(phone, u64(m.phone)), append(other, u64(m.other)), append(shares, s)
			p.Rows = append(p.Rows, tableRow{Label: label, Start: m.start.Format(time.RFC3339), Cells: []cell{
				countCell("phone", m.phone), countCell("other_channels", m.other), ratioCell("phone_share", s, nil, l)}})
		}
		p.SVG = chart{ID: p.ID, Title: p.Title, Labels: labelsX, Left: counts, Right: share, Series: []series{
			{Name: dl["phone"], Class: "s-offered", Bar: true, Values: phone},
			{Name: dl["other_channels"], Class: "s-fcr", Bar: true, Values: other},
			{Name: dl["phone_share"], Class: "s-asa", Right: true, Values: shares},
		}}.svg()
		out = append(out, p)
	}

	// Cases: registered and closed, and the share within time.
	any := false
	for _, r := range cases {
		any = any || r.Registered > 0 || r.Closed > 0
	}
	if !any {
		return out, nil
	}
	cp := panel{ID: "cases", Title: fmt.Sprintf(dl["cases_title"], name), Note: dl["cases_note"], Numbers: l["numbers"],
		Legend: []legendItem{{"s-offered", dl["registered"]}, {"s-sl", dl["closed"]}},
		Header: []string{l["period"], dl["registered"], dl["closed"], dl["case_fcr"]}}
	days := dl["calendar"]
	if d.WorkingDays {
		days = dl["working"]
	}
	wp := panel{ID: "cases_within", Title: fmt.Sprintf(dl["within_title"], name), Note: fmt.Sprintf(dl["within_note"], days, tgt(d.Target)), Numbers: l["numbers"],
		Legend: []legendItem{{"s-sl", dl["within_rate"]}, {"s-target", l["target"] + " " + tgt(d.Target)}},
		Header: []string{l["period"], dl["within_rate"], dl["deadline_cases"]}}
	var labelsX []string
	var reg, closed, within []*float64
	var deadline uint64
	for _, r := range cases {
		label := months[r.PeriodStart.In(loc).Month()-1]
		labelsX = append(labelsX, label)
		reg, closed, within = append(reg, u64(r.Registered)), append(closed, u64(r.Closed)), append(within, r.WithinRate)
		deadline += r.DeadlineCases
		start := r.PeriodStart.Format(time.RFC3339)
		c := countCell("cases_closed", r.Closed)
		if r.ClosedProvisional {
			c.Text += " *"
		}
		cp.Rows = append(cp.Rows, tableRow{Label: label, Start: start, Cells: []cell{countCell("cases_registered", r.Registered), c, ratioCell("case_fcr_rate", r.FCRRate, nil, l)}})
		wp.Rows = append(wp.Rows, tableRow{Label: label, Start: start, Cells: []cell{ratioCell("within_rate", r.WithinRate, r.WithinMet, l), countCell("deadline_cases", r.DeadlineCases)}})
	}
	cp.SVG = chart{ID: cp.ID, Title: cp.Title, Labels: labelsX, Left: counts, Series: []series{
		{Name: dl["registered"], Class: "s-offered", Bar: true, Values: reg},
		{Name: dl["closed"], Class: "s-sl", Bar: true, Values: closed},
	}}.svg()
	if deadline == 0 {
		wp.Empty = dl["no_deadline_cases"]
	} else {
		target := d.Target
		wp.SVG = chart{ID: wp.ID, Title: wp.Title, Labels: labelsX, Left: share, Target: &target, TargetName: l["target"], TargetValue: tgt(target),
			Series: []series{{Name: dl["within_rate"], Class: "s-sl", Bar: true, Values: within}}}.svg()
	}
	return append(out, cp, wp), nil
}

// ratioOf is n/d, nil when d is 0.
func ratioOf(n, d uint64) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}
