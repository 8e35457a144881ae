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

// CountsReader sums the rollups of one queue per period start, with the
// settings they were counted with (store.PeriodRollups).
type CountsReader interface {
	PeriodRollups(ctx context.Context, switchName, queue, period string, from, to time.Time, inHoursOnly bool) (map[time.Time]cdr.PeriodRollup, error)
}

// QueueNamer lists the queues that have rollup rows (store.RollupQueues).
type QueueNamer interface {
	RollupQueues(ctx context.Context) ([]string, error)
}

// SettingsSource gives the current queue settings (config.Current): each
// desk's name, zone and targets.
type SettingsSource interface {
	Settings(ctx context.Context) (*cdr.Settings, error)
}

// Queues produces the queue figures of the source report, per desk: calls
// offered, average wait and abandoned calls per month (group "calls"); the
// share answered within the desk's threshold against its target ("sla");
// first-contact resolution against its target ("fcr"). A desk with opening
// hours has a second service-level figure, of the calls that joined while
// it was open (hours=in), as the source report gives the clinical desk's.
// The rows are
// report.Build's from store.PeriodRollups, of every switch, exactly as
// GET /v1/report?period=month answers them for the period's months.
//
// A desk without calls in the period has no sections, and a desk without
// dispositions none in "fcr" (the group is then left out where no desk has
// any): a carrier's desk does not record them.
type Queues struct {
	Counts   CountsReader
	Names    QueueNamer
	Settings SettingsSource
}

// desk is one desk's rows of a period.
type desk struct {
	q      cdr.QueueSettings
	months []report.Row
	total  report.Row
	// in are the rows of the calls that joined in opening hours
	// (hours=in), for a desk with opening hours; nil for one always open.
	in *desk
}

// rows reads a desk's month rows of the period and its total row, of all
// calls or (inHours) those that joined in opening hours.
func (s Queues) rows(ctx context.Context, qs *cdr.Settings, q cdr.QueueSettings, p Period, inHours bool) (desk, error) {
	hours := map[bool]string{false: "all", true: "in"}[inHours]
	from, to := p.Range(q.Location)
	sums, err := s.Counts.PeriodRollups(ctx, cdr.AllSwitches, q.Name, cdr.PeriodMonth, from, to, inHours)
	if err != nil {
		return desk{}, err
	}
	months, err := report.Build(q, qs.Version, cdr.AllSwitches, cdr.PeriodMonth, hours, from, to, sums)
	if err != nil {
		return desk{}, err
	}
	if sums, err = s.Counts.PeriodRollups(ctx, cdr.AllSwitches, q.Name, p.Kind, from, to, inHours); err != nil {
		return desk{}, err
	}
	total, err := report.Build(q, qs.Version, cdr.AllSwitches, p.Kind, hours, from, to, sums)
	if err != nil {
		return desk{}, err
	}
	if len(total) != 1 {
		return desk{}, fmt.Errorf("document: %d rows of the %s %s of %s; want 1", len(total), p.Kind, p, q.Name)
	}
	return desk{q: q, months: months, total: total[0]}, nil
}

// hasHours reports whether q has opening hours (is not always open).
func hasHours(q cdr.QueueSettings) bool {
	return slices.ContainsFunc(q.Hours[:], func(r []cdr.MinuteRange) bool { return len(r) > 0 })
}

// Groups implements Producer.
func (s Queues) Groups(ctx context.Context, p Period, lang string) ([]Group, error) {
	qs, err := s.Settings.Settings(ctx)
	if err != nil {
		return nil, err
	}
	names, err := s.Names.RollupQueues(ctx)
	if err != nil {
		return nil, err
	}
	for n := range qs.Queues {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var desks []desk
	for _, n := range names {
		q := qs.Queue(n)
		d, err := s.rows(ctx, qs, q, p, false)
		if err != nil {
			return nil, err
		}
		if d.total.Offered == 0 {
			continue // no calls: no sections
		}
		if hasHours(q) {
			in, err := s.rows(ctx, qs, q, p, true)
			if err != nil {
				return nil, err
			}
			d.in = &in
		}
		desks = append(desks, d)
	}
	l := Labels(lang)
	calls := Group{ID: "calls", Heading: l["calls"]}
	sla := Group{ID: "sla", Heading: l["sla"]}
	fcr := Group{ID: "fcr", Heading: l["fcr"]}
	for _, d := range desks {
		name := d.name()
		calls.Sections = append(calls.Sections, Section{ID: "calls-" + d.q.Name, Heading: name,
			Figures: []Figure{d.callsFigure(lang)}, Summary: d.summary(p, lang)})
		figs := []Figure{d.slaFigure(lang, "sla-"+d.q.Name, l["sla_caption"])}
		if d.in != nil {
			figs = append(figs, d.in.slaFigure(lang, "sla-in-"+d.q.Name, l["sla_in_caption"]))
		}
		sla.Sections = append(sla.Sections, Section{ID: "sla-" + d.q.Name, Heading: name, Figures: figs})
		if d.total.Dispositions > 0 {
			fcr.Sections = append(fcr.Sections, Section{ID: "fcr-" + d.q.Name, Heading: name, Figures: []Figure{d.fcrFigure(lang)}})
		}
	}
	if len(desks) > 0 {
		calls.Overview = overview(desks, lang)
	}
	return []Group{calls, sla, fcr}, nil
}

// overview is the front page's table: a row per desk with the period's
// figures, as the source report's summary gives them; first-contact
// resolution only where a desk has dispositions, as its group.
func overview(desks []desk, lang string) *Figure {
	l := Labels(lang)
	fcr := slices.ContainsFunc(desks, func(d desk) bool { return d.total.Dispositions > 0 })
	f := &Figure{ID: "overview-queues",
		Header: []string{l["desk"], l["offered"], l["avg_wait"], l["abandoned"], l["service_level"]}}
	if fcr {
		f.Header = append(f.Header, l["fcr_rate"])
	}
	for _, d := range desks {
		t := d.total
		r := Row{Label: d.name(), Cells: []Cell{countCell("offered", t.Offered), waitCell("avg_wait_s", t.AvgWait, lang),
			countCell("abandoned", t.Abandoned), ratioCell("service_level", t.ServiceLevel, t.SLAMet, lang)}}
		if fcr {
			r.Cells = append(r.Cells, ratioCell("fcr_rate", t.FCRRate, t.FCRMet, lang))
		}
		f.Rows = append(f.Rows, r)
	}
	return f
}

// name is the desk's name for people: its display name, else its queue.
func (d desk) name() string {
	if d.q.Display != "" {
		return d.q.Display
	}
	return d.q.Name
}

// rows makes a table's rows: one per month, and the period's total where
// the period has several months.
func (d desk) rows(lang string, cells func(r report.Row) []Cell) []Row {
	var out []Row
	full := strings.Fields(Labels(lang)["months"])
	for _, r := range d.months {
		out = append(out, Row{Label: full[r.PeriodStart.Month()-1] + " " + strconv.Itoa(r.PeriodStart.Year()),
			Start: r.PeriodStart.Format(time.RFC3339), Cells: cells(r)})
	}
	if len(d.months) > 1 {
		out = append(out, Row{Label: Labels(lang)["total"], Total: true, Cells: cells(d.total)})
	}
	return out
}

// chartLabels are the months' short names, the charts' categories.
func (d desk) chartLabels(lang string) []string {
	short := strings.Fields(Labels(lang)["short"])
	var out []string
	for _, r := range d.months {
		out = append(out, short[r.PeriodStart.Month()-1])
	}
	return out
}

func (d desk) callsFigure(lang string) Figure {
	l := Labels(lang)
	var offered, abandoned, wait []*float64
	for _, r := range d.months {
		var ab *float64
		if r.Offered > 0 { // a month without calls breaks the line
			ab = count(r.Abandoned)
		}
		offered, abandoned, wait = append(offered, count(r.Offered)), append(abandoned, ab), append(wait, r.AvgWait)
	}
	plain := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	c := report.Chart{ID: "calls-" + d.q.Name, Title: l["calls"], Labels: d.chartLabels(lang),
		Left:  report.Axis{Kind: report.AxisCount, Fmt: plain, Tick: plain},
		Right: report.Axis{Kind: report.AxisSeconds, Fmt: report.MinSec, Tick: report.MinSec},
		Series: []report.Series{
			{Name: l["offered"], Class: "s-offered", Bar: true, Values: offered},
			{Name: l["abandoned"], Class: "s-abandoned", Values: abandoned},
			{Name: l["avg_wait"], Class: "s-wait", Right: true, Dashed: true, Values: wait},
		}}
	return Figure{ID: c.ID, Chart: c.SVG(), Caption: l["calls_caption"],
		Header: []string{l["month_col"], l["offered"], l["answered"], l["abandoned"], l["avg_wait"], l["asa"]},
		Rows: d.rows(lang, func(r report.Row) []Cell {
			return []Cell{countCell("offered", r.Offered), countCell("answered", r.Answered), countCell("abandoned", r.Abandoned),
				waitCell("avg_wait_s", r.AvgWait, lang), waitCell("asa_s", r.ASA, lang)}
		})}
}

// slaFigure is the service level per month against its target; caption
// says of which calls (sla_caption, sla_in_caption).
func (d desk) slaFigure(lang, id, caption string) Figure {
	l := Labels(lang)
	var sl []*float64
	for _, r := range d.months {
		sl = append(sl, r.ServiceLevel)
	}
	goal := d.total.SLATarget
	share := func(v float64) string { return target(v, lang) }
	c := report.Chart{ID: id, Title: fmt.Sprintf(l["within"], seconds(d.total.SLAS)), Labels: d.chartLabels(lang),
		Left:   report.Axis{Kind: report.AxisShare, Max: 1, Fmt: share, Tick: share},
		Target: &goal, TargetName: l["target"], TargetValue: target(goal, lang),
		Series: []report.Series{{Name: l["service_level"], Class: "s-sl", Bar: true, Values: sl}}}
	return Figure{ID: c.ID, Chart: c.SVG(), Caption: fmt.Sprintf(caption, seconds(d.total.SLAS), target(goal, lang)),
		Header: []string{l["month_col"], l["service_level"], fmt.Sprintf(l["within"], seconds(d.total.SLAS)), l["offered"], l["target"] + " " + target(goal, lang)},
		Rows: d.rows(lang, func(r report.Row) []Cell {
			return []Cell{ratioCell("service_level", r.ServiceLevel, r.SLAMet, lang), countCell("answered_within_sla", r.AnsweredWithinSLA),
				countCell("offered", r.Offered), metCell("sla_met", r.SLAMet, lang)}
		})}
}

func (d desk) fcrFigure(lang string) Figure {
	l := Labels(lang)
	var fcr []*float64
	for _, r := range d.months {
		fcr = append(fcr, r.FCRRate)
	}
	goal := d.total.FCRTarget
	share := func(v float64) string { return target(v, lang) }
	c := report.Chart{ID: "fcr-" + d.q.Name, Title: l["fcr"], Labels: d.chartLabels(lang),
		Left:   report.Axis{Kind: report.AxisShare, Max: 1, Fmt: share, Tick: share},
		Target: &goal, TargetName: l["target"], TargetValue: target(goal, lang),
		Series: []report.Series{{Name: l["fcr_rate"], Class: "s-fcr", Bar: true, Values: fcr}}}
	return Figure{ID: c.ID, Chart: c.SVG(), Caption: fmt.Sprintf(l["fcr_caption"], target(goal, lang)),
		Header: []string{l["month_col"], l["fcr_rate"], l["dispositions"], l["target"] + " " + target(goal, lang)},
		Rows: d.rows(lang, func(r report.Row) []Cell {
			return []Cell{ratioCell("fcr_rate", r.FCRRate, r.FCRMet, lang), countCell("dispositions", r.Dispositions), metCell("fcr_met", r.FCRMet, lang)}
		})}
}

// summary is the desk's period in one sentence, for the mail body.
func (d desk) summary(p Period, lang string) string {
	l, t := Labels(lang), d.total
	return fmt.Sprintf(l["summary"], d.name(), PeriodTitle(p, lang), strconv.FormatUint(t.Offered, 10), waitCell("", t.AvgWait, lang).Text,
		strconv.FormatUint(t.Abandoned, 10), Pct(t.ServiceLevel, lang), target(t.SLATarget, lang), Pct(t.FCRRate, lang), target(t.FCRTarget, lang))
}

func count(v uint64) *float64 { f := float64(v); return &f }

func value(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func countCell(field string, v uint64) Cell {
	s := strconv.FormatUint(v, 10)
	return Cell{Field: field, Value: s, Text: s}
}

// waitCell is a wait in m:ss, as the source report writes it.
func waitCell(field string, v *float64, lang string) Cell {
	c := Cell{Field: field, Value: value(v), Text: Labels(lang)["none"]}
	if v != nil {
		c.Text = report.MinSec(*v)
	}
	return c
}

func ratioCell(field string, v *float64, met *bool, lang string) Cell {
	c := Cell{Field: field, Value: value(v), Text: Pct(v, lang)}
	if met != nil {
		c.Class = map[bool]string{true: "met", false: "missed"}[*met]
	}
	return c
}

// metCell says whether a ratio met its target, in words: a sign or a
// colour alone is lost in a black-and-white print.
func metCell(field string, met *bool, lang string) Cell {
	l := Labels(lang)
	c := Cell{Field: field, Text: l["none"]}
	if met != nil {
		c.Value = strconv.FormatBool(*met)
		c.Text, c.Class = l["missed"], "missed"
		if *met {
			c.Text, c.Class = l["met"], "met"
		}
	}
	return c
}
