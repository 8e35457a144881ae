package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
)

// SystemsReader reads the systems job's stored figures of one period kind
// that begin in [from, to) (store.SystemRows), and lists the local months
// with a figure (store.SystemMonths), which the dashboard shows its systems
// table for.
type SystemsReader interface {
	SystemRows(ctx context.Context, period string, from, to time.Time) ([]cdr.SystemRow, error)
	SystemMonths(ctx context.Context) ([]string, error)
}

// systemsTable reads the systems table of period and labels with the
// current queue settings qs.
func (a *API) systemsTable(ctx context.Context, qs *cdr.Settings, period string, labels []string) (report.SystemsTable, error) {
	from, to := report.SystemSpan(period, labels)
	stored, err := a.src.Systems.SystemRows(ctx, period, from, to)
	if err != nil {
		return report.SystemsTable{}, err
	}
	return report.BuildSystems(qs, period, labels, stored), nil
}

// systems serves GET /v1/systems?period=month|day&from=&to=&format=: the
// table of system response-time compliance (METRICS.md, "System
// response-time compliance"), systems × periods from from to to (months
// YYYY-MM or days YYYY-MM-DD, to excluded; by default this year's
// months). JSON is report.SystemsTable (the systems with their agreed
// levels, the reading of each period, "8 of 12", and a row per period and
// system, null where N/A); format=csv and xlsx give its rows as acdstat
// report --systems does.
func (a *API) systems(w http.ResponseWriter, r *http.Request) {
	if err := a.serveSystems(w, r); err != nil {
		a.fail(w, r, err)
	}
}

func (a *API) serveSystems(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	period := v.Get("period")
	if period == "" {
		period = cdr.PeriodMonth
	}
	format := v.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "xlsx" {
		return badRequest("format must be json, csv or xlsx; got %q", format)
	}
	labels, err := report.SystemLabels(period, v.Get("from"), v.Get("to"), a.now())
	var re *report.RangeError
	if errors.As(err, &re) {
		return badRequest("%s", re.Error())
	}
	if err != nil {
		return err
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return err
	}
	t, err := a.systemsTable(r.Context(), qs, period, labels)
	if err != nil {
		return err
	}
	filename := "systems_" + period + "_" + labels[0] + "." + format
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		return report.WriteSystemsCSV(w, t)
	case "xlsx":
		// Built whole before the first byte, so a failure is still
		// answered as a JSON error.
		var b bytes.Buffer
		if err := report.WriteSystemsXLSX(&b, t); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		_, err := b.WriteTo(w)
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// systemsSection is the dashboard's table of system response times: the
// report's table, a column per system with its agreed level on top, a
// line per month with each figure and its mark, and the count of systems
// meeting their level. Each cell carries its system and exact value
// (data-system, data-value), so a test can compare the page with GET
// /v1/systems.
type systemsSection struct {
	Title, Note, Period, LevelLabel, MetHeader string
	Names                                      []string
	Levels                                     []systemCell
	Rows                                       []systemsLine
	APIURL                                     string
}

type systemsLine struct {
	Label       string
	Cells       []systemCell
	Met, Judged int
	MetText     string
}

type systemCell struct {
	System, Value, Text, Class string
}

// systemsMonths is how many months the dashboard's systems table shows: a
// year and the same month of the year before, as the first customer's
// report does (October 2015 to October 2016).
const systemsMonths = 13

// fillSystems adds the systems table to the dashboard where any system has
// figures: the systemsMonths months up to the newest month with figures in
// or before the year shown (?year=, default this year), with the current
// queue settings. It leaves d.Systems nil where there are none, so the
// section appears only where such data exists.
func (a *API) fillSystems(ctx context.Context, d *dashboardData, v url.Values) error {
	if a.src.Systems == nil {
		return nil
	}
	months, err := a.src.Systems.SystemMonths(ctx)
	if err != nil {
		return err
	}
	year := a.now().In(cdr.DefaultSystemSettings("").Location).Year()
	if y, err := strconv.Atoi(v.Get("year")); err == nil {
		year = y
	}
	last := ""
	for _, m := range months {
		if m <= fmt.Sprintf("%04d-12", year) {
			last = m
		}
	}
	if last == "" {
		return nil
	}
	end, err := time.Parse("2006-01", last)
	if err != nil {
		return fmt.Errorf("cannot read the month %q of the system figures: %w", last, err)
	}
	from, to := end.AddDate(0, 1-systemsMonths, 0).Format("2006-01"), end.AddDate(0, 1, 0).Format("2006-01")
	labels, err := report.SystemLabels(cdr.PeriodMonth, from, to, a.now())
	if err != nil {
		return err
	}
	qs, err := a.settings.Settings(ctx)
	if err != nil {
		return err
	}
	t, err := a.systemsTable(ctx, qs, cdr.PeriodMonth, labels)
	if err != nil {
		return err
	}
	l := d.L
	s := &systemsSection{Title: l["systems_title"], Note: l["systems_note"], Period: l["systems_period"], LevelLabel: l["agreed_level"],
		MetHeader: l["systems_met"], APIURL: "/v1/systems?" + url.Values{"from": {from}, "to": {to}}.Encode()}
	bpText := func(f float64) string { return decimal(cdr.FormatBP(int(math.Round(f*10000))), l) }
	for _, sys := range t.Systems {
		s.Names = append(s.Names, sys.Name)
		c := systemCell{System: sys.System, Text: l["none"]}
		if sys.AgreedLevel != nil {
			c.Value, c.Text = f64(sys.AgreedLevel), bpText(*sys.AgreedLevel)
		}
		s.Levels = append(s.Levels, c)
	}
	n := len(t.Systems)
	for i, p := range t.Periods {
		line := systemsLine{Label: p.Label, Met: p.Met, Judged: p.Judged, MetText: l["none"]}
		if p.Judged > 0 {
			line.MetText = fmt.Sprintf(l["met_of"], p.Met, p.Judged)
		}
		for _, r := range t.Rows[i*n : (i+1)*n] {
			c := systemCell{System: r.System, Text: l["na"]}
			if r.Compliance != nil {
				c.Value, c.Text = f64(r.Compliance), bpText(*r.Compliance)
				if r.Met != nil {
					c.Text, c.Class = c.Text+" ✓", "met"
					if !*r.Met {
						c.Text, c.Class = strings.TrimSuffix(c.Text, " ✓")+" ✗", "missed"
					}
				}
			}
			line.Cells = append(line.Cells, c)
		}
		s.Rows = append(s.Rows, line)
	}
	d.Systems = s
	return nil
}
