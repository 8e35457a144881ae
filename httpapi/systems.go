package httpapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"
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
