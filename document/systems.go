package document

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
)

// SystemsReader reads the systems job's stored figures of one period kind
// that begin in [from, to) (store.SystemRows).
type SystemsReader interface {
	SystemRows(ctx context.Context, period string, from, to time.Time) ([]cdr.SystemRow, error)
}

// Systems produces the system response-time table of the source report
// (group "systems", one section): per system its agreed level and its
// figure in each month of the period with ✓ or ✗ against the level (N/A
// without a figure), per month how many systems meet their level, and the
// reading of the last month with a figure ("8 of 12 systems meet their
// agreed level"). The table is report.BuildSystems's of
// the period's months, exactly as GET /v1/systems?from=&to= answers it.
// The months are the calendar's months by label (2016-10), each read in
// every system's own zone, as the API reads them; they do not depend on
// the queues' zone.
//
// A period in which no system has a figure has no section: an
// installation that sends no response times has no such group.
type Systems struct {
	Rows     SystemsReader
	Settings SettingsSource
}

// Groups implements Producer.
func (s Systems) Groups(ctx context.Context, p Period, lang string) ([]Group, error) {
	var labels []string
	for i := range p.months() {
		labels = append(labels, time.Date(p.Year, p.First+time.Month(i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"))
	}
	qs, err := s.Settings.Settings(ctx)
	if err != nil {
		return nil, err
	}
	from, to := report.SystemSpan(cdr.PeriodMonth, labels)
	stored, err := s.Rows.SystemRows(ctx, cdr.PeriodMonth, from, to)
	if err != nil {
		return nil, err
	}
	t := report.BuildSystems(qs, cdr.PeriodMonth, labels, stored)
	last := -1 // the last month with a figure: the table's reading
	for i, per := range t.Periods {
		if per.Figures > 0 {
			last = i
		}
	}
	if last < 0 {
		return nil, nil
	}
	l := Labels(lang)
	g := Group{ID: "systems", Heading: l["systems"]}
	f := systemsFigure(t, lang)
	reading := t.Periods[last]
	month := monthTitle(reading.Label, lang)
	sec := Section{ID: "systems-table", Heading: l["systems_table"], Figures: []Figure{f}}
	if reading.Judged > 0 {
		met := fmt.Sprintf(l["systems_reading"], month, reading.Met, reading.Judged)
		sec.Figures[0].Caption += " " + met
		sec.Summary = fmt.Sprintf(l["systems_summary"], l["systems"], PeriodTitle(p, lang), reading.Met, reading.Judged, month)
	}
	g.Sections = append(g.Sections, sec)
	return []Group{g}, nil
}

// systemsFigure is the table: a row per system with its agreed level and
// its figure in each month, and a last row of how many systems meet their
// level each month. The source report has a column per system; a dozen
// columns of "100.00 ✓" do not fit the width of an A4 page, so the
// document turns the table, keeping its order: the agreed level stands
// first, before the figures it judges. It has no chart, as the
// dashboard's systems table has none: figures near 100 % read better as
// numbers.
func systemsFigure(t report.SystemsTable, lang string) Figure {
	l := Labels(lang)
	f := Figure{ID: "systems", Caption: l["systems_caption"], Header: []string{l["system"], l["agreed_level"]}}
	for _, per := range t.Periods {
		f.Header = append(f.Header, monthTitle(per.Label, lang))
	}
	n := len(t.Systems)
	for j, sys := range t.Systems {
		level := Cell{Field: "agreed_level", Value: value(sys.AgreedLevel), Text: l["none"]}
		if sys.AgreedLevel != nil {
			level.Text = bpText(*sys.AgreedLevel, lang)
		}
		r := Row{Label: sys.Name, Cells: []Cell{level}}
		for i := range t.Periods {
			sr := t.Rows[i*n+j]
			c := Cell{Field: "compliance", Value: value(sr.Compliance), Text: l["na"]}
			if sr.Compliance != nil {
				c.Text = bpText(*sr.Compliance, lang)
				if sr.Met != nil {
					c.Text, c.Class = c.Text+" ✓", "met"
					if !*sr.Met {
						c.Text, c.Class = strings.TrimSuffix(c.Text, " ✓")+" ✗", "missed"
					}
				}
			}
			r.Cells = append(r.Cells, c)
		}
		f.Rows = append(f.Rows, r)
	}
	met := Row{Label: l["systems_met"], Total: true, Cells: []Cell{{}}}
	for _, per := range t.Periods {
		c := Cell{Field: "met", Text: l["none"]}
		if per.Judged > 0 {
			c.Value, c.Text = strconv.Itoa(per.Met), fmt.Sprintf(l["met_of"], per.Met, per.Judged)
		}
		met.Cells = append(met.Cells, c)
	}
	f.Rows = append(f.Rows, met)
	return f
}

// bpText is a fraction at two decimals of a percent, as the source report
// writes the figures (99.72, 100.00), in lang's decimal mark.
func bpText(v float64, lang string) string {
	return strings.Replace(cdr.FormatBP(int(math.Round(v*10000))), ".", Labels(lang)["decimal"], 1)
}

// monthTitle names the month labelled 2016-10 in lang: "October 2016".
func monthTitle(label string, lang string) string {
	m, err := time.Parse("2006-01", label)
	if err != nil {
		return label
	}
	return fmt.Sprintf(Labels(lang)["month"], strings.Fields(Labels(lang)["months"])[m.Month()-1], m.Year())
}
