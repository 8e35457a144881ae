package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
)

// CountsReader sums the rollups of one queue per period start, with the
// settings they were counted with (store.PeriodRollups), or per slot of a
// distribution.
type CountsReader interface {
	PeriodRollups(ctx context.Context, switchName, queue, period string, from, to time.Time, inHoursOnly bool) (map[time.Time]cdr.PeriodRollup, error)
	// DistributionRollups sums them per local hour of day or weekday
	// (cdr.Bys) instead (store.DistributionRollups).
	DistributionRollups(ctx context.Context, switchName, queue, by string, from, to time.Time, inHoursOnly bool, loc *time.Location) (map[int]cdr.PeriodRollup, error)
}

// QueueNamer lists the queues that have rollup rows (store.RollupQueues).
type QueueNamer interface {
	RollupQueues(ctx context.Context) ([]string, error)
}

// CallbackReader lists abandoned callers not answered since
// (store.AbandonedCallers) and counts the callers waiting now
// (store.WaitingNow).
type CallbackReader interface {
	AbandonedCallers(ctx context.Context, switchName, queue string, from, to time.Time) ([]cdr.QueueCall, error)
	WaitingNow(ctx context.Context, switchName, queue string, since time.Time) (int, time.Time, error)
}

// RejectReader lists recent rejects, newest first, of one switch (all when
// sw is empty) (store.RecentRejects). GET /v1/rejects answers them as
// cdr.Reject's JSON.
type RejectReader interface {
	RecentRejects(ctx context.Context, sw string, limit int) ([]cdr.Reject, error)
}

// SettingsSource gives the current queue settings (config.Current, which
// reads the store's current version on every call): the zone, names and
// opening hours of the queues, and the version every report row compares
// its own with.
type SettingsSource interface {
	Settings(ctx context.Context) (*cdr.Settings, error)
}

// Sources are what the read API and the dashboard read; the store satisfies
// all of them.
type Sources struct {
	Counts    CountsReader
	Queues    QueueNamer
	Callbacks CallbackReader
	Rejects   RejectReader
	// Systems is the figures of system response times (systems.go); nil:
	// GET /v1/systems is not served.
	Systems SystemsReader
	Calls   CallsReader
	// Cases reads contacts and cases by desk (nil: none are served).
	Cases CaseReader
}

// API serves the read API (GET /v1/report, /v1/queues, /v1/rejects,
// /v1/callbacks, /v1/calls) and the dashboard at /. Every answer is computed per
// request, with the queue settings current when it starts; the API keeps
// no state and is safe for concurrent use.
type API struct {
	src      Sources
	settings SettingsSource
	wrap     func(http.Handler) http.Handler
	log      *slog.Logger
	now      func() time.Time
}

// NewAPI returns the read API. settings gives the current queue settings;
// now is its clock, "today" on the dashboard and in default ranges; wrap
// adds access control (nil: none).
func NewAPI(src Sources, settings SettingsSource, log *slog.Logger, now func() time.Time, wrap func(http.Handler) http.Handler) *API {
	if wrap == nil {
		wrap = func(h http.Handler) http.Handler { return h }
	}
	return &API{src: src, settings: settings, wrap: wrap, log: log, now: now}
}

// Register mounts the read API and the dashboard.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("GET /v1/report", a.wrap(http.HandlerFunc(a.report)))
	mux.Handle("GET /v1/queues", a.wrap(http.HandlerFunc(a.queues)))
	mux.Handle("GET /v1/rejects", a.wrap(http.HandlerFunc(a.rejects)))
	mux.Handle("GET /v1/callbacks", a.wrap(http.HandlerFunc(a.callbacks)))
	if a.src.Systems != nil {
		mux.Handle("GET /v1/systems", a.wrap(http.HandlerFunc(a.systems)))
	}
	mux.Handle("GET /v1/calls", a.wrap(http.HandlerFunc(a.calls)))
	mux.Handle("GET /v1/calls/{switch}/{call_id}", a.wrap(http.HandlerFunc(a.call)))
	mux.Handle("GET /calls", a.wrap(http.HandlerFunc(a.callsPage)))
	mux.Handle("GET /calls/{switch}/{call_id}", a.wrap(http.HandlerFunc(a.callPage)))
	mux.Handle("GET /v1/contacts", a.wrap(http.HandlerFunc(a.contactsAPI)))
	mux.Handle("GET /v1/cases", a.wrap(http.HandlerFunc(a.casesAPI)))
	mux.Handle("GET /{$}", a.wrap(http.HandlerFunc(a.dashboard)))
}

// maxAPIRows bounds the rows of one GET /v1/report: a year of 15-minute
// periods is 35,040; more is a mistyped range, not a report.
const maxAPIRows = 40000

// maxRejects bounds GET /v1/rejects?limit=.
const maxRejects = 1000

// userError is a request a person must change; its message says how.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &userError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// fail answers err as JSON {"error": "..."}: a userError with its status,
// anything else (ClickHouse down, a query failing) as 503 with the cause.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ue *userError
	if errors.As(err, &ue) {
		writeError(w, ue.status, ue.msg)
		return
	}
	a.log.Warn("read request failed", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusServiceUnavailable, "cannot read the figures from ClickHouse (is it running? see acdstat's log): "+err.Error())
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// knownQueues returns the queues of the queue settings qs and those with
// rollup rows, sorted, and which of them have rollup rows. A reader
// limited to some switches (cdr.WithSwitches) knows only the queues with
// rows of its switches: the queue file names every customer's queues.
func (a *API) knownQueues(ctx context.Context, qs *cdr.Settings) ([]string, map[string]bool, error) {
	names, err := a.src.Queues.RollupQueues(ctx)
	if err != nil {
		return nil, nil, err
	}
	hasData := make(map[string]bool, len(names))
	for _, n := range names {
		hasData[n] = true
	}
	all := slices.Clone(names)
	if _, limited := cdr.SwitchesOf(ctx); qs != nil && !limited {
		for n := range qs.Queues {
			if !hasData[n] {
				all = append(all, n)
			}
		}
	}
	sort.Strings(all)
	return all, hasData, nil
}

// queueOf returns the settings in qs of a queue the caller asked for, or an
// error naming the queues that exist.
func (a *API) queueOf(ctx context.Context, qs *cdr.Settings, name string) (cdr.QueueSettings, error) {
	known, _, err := a.knownQueues(ctx, qs)
	if err != nil {
		return cdr.QueueSettings{}, err
	}
	list := strings.Join(known, ", ")
	if list == "" {
		list = "none yet (no queue file, and no calls rolled up)"
	}
	if name == "" {
		return cdr.QueueSettings{}, badRequest("queue is required (?queue=NAME); known queues: %s", list)
	}
	if !slices.Contains(known, name) {
		return cdr.QueueSettings{}, &userError{http.StatusNotFound, fmt.Sprintf("queue %q has no data and is not in the queue file; known queues: %s", name, list)}
	}
	return qs.Queue(name), nil
}

// readRange parses from and to like acdstat report (report.Range): the
// range as asked, on quarter hours, never widened to whole periods.
func readRange(period, fromArg, toArg string, loc *time.Location, now time.Time) (time.Time, time.Time, error) {
	from, to, err := report.Range(period, fromArg, toArg, loc, now)
	var re *report.RangeError
	if errors.As(err, &re) {
		arg := fromArg
		if re.Field == "to" {
			arg = toArg
		}
		if _, perr := report.ParseLocal(arg, loc); perr != nil {
			return from, to, badRequest("%s must be YYYY-MM-DD or YYYY-MM-DDTHH:MM, a local time in the queue's zone %s; got %q", re.Field, loc, arg)
		}
		return from, to, badRequest("%s", re.Error())
	}
	return from, to, err
}

// readSwitch is the switch a read asks for (?switch=), by askSwitch.
func readSwitch(r *http.Request) (string, error) {
	return askSwitch(r.Context(), r.URL.Query().Get("switch"))
}

// askSwitch is the switch sw of a read (AllSwitches when empty). A reader
// limited to some switches (cdr.WithSwitches in ctx) may ask for one of
// them or for AllSwitches, which then means all of its switches (the store
// keeps every read to them); another switch is refused with 403.
func askSwitch(ctx context.Context, sw string) (string, error) {
	if sw == "" {
		sw = cdr.AllSwitches
	}
	if mine, limited := cdr.SwitchesOf(ctx); limited && sw != cdr.AllSwitches && !slices.Contains(mine, sw) {
		return "", &userError{http.StatusForbidden, fmt.Sprintf("this read token reads the switches %s only, not %q (leave switch out, or use %s, for all of them)",
			strings.Join(mine, ", "), sw, cdr.AllSwitches)}
	}
	return sw, nil
}

func hoursParam(r *http.Request) (string, error) {
	h := r.URL.Query().Get("hours")
	switch h {
	case "":
		return "all", nil
	case "all", "in":
		return h, nil
	}
	return "", badRequest("hours must be all (every call) or in (calls that joined in opening hours); got %q", h)
}

// thresholdsParam reads ?sla=20,60 (report.ParseThresholds); nil where
// none is asked.
func thresholdsParam(r *http.Request) ([]int, error) {
	v := r.URL.Query()
	if !v.Has("sla") {
		return nil, nil
	}
	ts, err := report.ParseThresholds(v.Get("sla"))
	if err != nil {
		return nil, badRequest("sla: %s", err)
	}
	return ts, nil
}

// reportRows reads and builds the report rows of one queue; current is the
// current settings version, which each row's is compared with.
func (a *API) reportRows(ctx context.Context, q cdr.QueueSettings, current, sw, period, hours string, from, to time.Time) ([]report.Row, error) {
	sums, err := a.src.Counts.PeriodRollups(ctx, sw, q.Name, period, from, to, hours == "in")
	if err != nil {
		return nil, err
	}
	return report.Build(q, current, sw, period, hours, from, to, sums)
}

// countPeriods returns how many periods [from, to) holds, stopping past
// limit.
func countPeriods(period string, from, to time.Time, loc *time.Location, limit int) int {
	n := 0
	for p := from; p.Before(to) && n <= limit; p = cdr.NextPeriod(period, p, loc) {
		n++
	}
	return n
}

// report serves GET /v1/report: the report rows of METRICS.md as JSON (an
// array), CSV or a workbook (format=xlsx, report.WriteXLSX). Where from
// or to lies inside a period, the first or last row counts only the part
// in the range and says so (partial, counted_from, counted_to), as in
// acdstat report; each row says with which settings it was counted
// (settings_version, settings_current). ?sla=20,60 adds the figures at
// those waits (report.AddThresholds); ?by=hour-of-day or weekday gives the
// range's distribution instead (report.BuildDistribution).
func (a *API) report(w http.ResponseWriter, r *http.Request) {
	if err := a.serveReport(w, r); err != nil {
		a.fail(w, r, err)
	}
}

func (a *API) serveReport(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	sw, err := readSwitch(r)
	if err != nil {
		return err
	}
	period := v.Get("period")
	if period == "" {
		period = cdr.PeriodMonth
	}
	if !slices.Contains(cdr.Periods, period) {
		return badRequest("period must be one of %s; got %q", strings.Join(cdr.Periods, ", "), period)
	}
	by := v.Get("by")
	if by != "" && !slices.Contains(cdr.Bys, by) {
		return badRequest("by must be %s; got %q", strings.Join(cdr.Bys, " or "), by)
	}
	hours, err := hoursParam(r)
	if err != nil {
		return err
	}
	format := v.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "xlsx" {
		return badRequest("format must be json, csv or xlsx; got %q", format)
	}
	ts, err := thresholdsParam(r)
	if err != nil {
		return err
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return err
	}
	q, err := a.queueOf(r.Context(), qs, v.Get("queue"))
	if err != nil {
		return err
	}
	var (
		rows     []report.Row
		from, to time.Time
	)
	if by != "" {
		// A distribution's range defaults as a day's would (it ends with
		// today), and has 24 or 7 rows whatever its length.
		from, to, err = readRange(cdr.PeriodDay, v.Get("from"), v.Get("to"), q.Location, a.now())
		if err != nil {
			return err
		}
		sums, err := a.src.Counts.DistributionRollups(r.Context(), sw, q.Name, by, from, to, hours == "in", q.Location)
		if err != nil {
			return err
		}
		if rows, err = report.BuildDistribution(q, qs.Version, sw, by, hours, from, to, sums); err != nil {
			return err
		}
		period = by
	} else {
		from, to, err = readRange(period, v.Get("from"), v.Get("to"), q.Location, a.now())
		if err != nil {
			return err
		}
		if n := countPeriods(period, from, to, q.Location, maxAPIRows); n > maxAPIRows {
			return badRequest("from %s to %s holds more than %d %s periods; narrow from and to or choose a longer period",
				from.Format("2006-01-02"), to.Format("2006-01-02"), maxAPIRows, period)
		}
		if rows, err = a.reportRows(r.Context(), q, qs.Version, sw, period, hours, from, to); err != nil {
			return err
		}
	}
	if ts != nil {
		report.AddThresholds(rows, ts)
	}
	filename := fmt.Sprintf("%s_%s_%s.%s", safeName(q.Name), period, from.Format("2006-01-02"), format)
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		return report.WriteCSV(w, rows, false)
	case "xlsx":
		// Built whole before the first byte is sent, so a failure is
		// still answered as a JSON error.
		var b bytes.Buffer
		if err := report.WriteXLSX(&b, rows); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		_, err := b.WriteTo(w)
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	return report.WriteJSON(w, rows)
}

// safeName keeps letters, digits, '-' and '_' of a queue name for a file
// name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}

// queueInfo is one queue as GET /v1/queues shows it.
type queueInfo struct {
	Name           string              `json:"name"`
	Display        string              `json:"display"`
	Zone           string              `json:"zone"`
	Hours          map[string][]string `json:"hours"` // weekday (mon…sun) → "08:00-16:00"; empty: always open
	ClosedDates    []string            `json:"closed_dates"`
	DanishHolidays bool                `json:"danish_holidays"`
	SLAS           int                 `json:"sla_s"`
	ShortAbandonS  int                 `json:"short_abandon_s"`
	SLAFormula     string              `json:"sla_formula"`
	SLATarget      float64             `json:"sla_target"`
	FCRTarget      float64             `json:"fcr_target"`
	InQueueFile    bool                `json:"in_queue_file"`
	HasData        bool                `json:"has_data"`
}

var weekdays = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func newQueueInfo(q cdr.QueueSettings, inFile, hasData bool) queueInfo {
	info := queueInfo{
		Name: q.Name, Display: q.Display, Zone: "UTC", Hours: map[string][]string{}, ClosedDates: []string{},
		DanishHolidays: q.DanishHolidays, SLAS: q.SLAS, ShortAbandonS: q.ShortAbandonS, SLAFormula: q.SLAFormula,
		SLATarget: q.SLATarget, FCRTarget: q.FCRTarget, InQueueFile: inFile, HasData: hasData,
	}
	if q.Location != nil {
		info.Zone = q.Location.String()
	}
	for d, rs := range q.Hours {
		for _, m := range rs {
			info.Hours[weekdays[d]] = append(info.Hours[weekdays[d]], fmt.Sprintf("%02d:%02d-%02d:%02d", m.From/60, m.From%60, m.To/60, m.To%60))
		}
	}
	for d := range q.ClosedDates {
		info.ClosedDates = append(info.ClosedDates, d)
	}
	sort.Strings(info.ClosedDates)
	return info
}

// queues serves GET /v1/queues: every queue of the queue file and every
// queue with rolled-up calls, with its settings.
func (a *API) queues(w http.ResponseWriter, r *http.Request) {
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	known, hasData, err := a.knownQueues(r.Context(), qs)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]queueInfo, 0, len(known))
	for _, n := range known {
		inFile := false
		if qs != nil {
			_, inFile = qs.Queues[n]
		}
		out = append(out, newQueueInfo(qs.Queue(n), inFile, hasData[n]))
	}
	writeJSON(w, http.StatusOK, out)
}

// rejects serves GET /v1/rejects?switch=S&limit=N: the newest refused lines
// with their reasons.
func (a *API) rejects(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	limit := 100
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxRejects {
			a.fail(w, r, badRequest("limit must be a whole number from 1 to %d; got %q", maxRejects, s))
			return
		}
		limit = n
	}
	sw, err := readSwitch(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if sw == cdr.AllSwitches {
		sw = ""
	}
	rs, err := a.src.Rejects.RecentRejects(r.Context(), sw, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if rs == nil {
		rs = []cdr.Reject{}
	}
	writeJSON(w, http.StatusOK, rs)
}

// callback is one abandoned caller to ring back.
type callback struct {
	Switch    string    `json:"switch"`
	Queue     string    `json:"queue"`
	CallID    string    `json:"call_id"`
	Caller    string    `json:"caller"`
	EnterTime time.Time `json:"enter_time"` // local, in the queue's zone
	WaitS     uint32    `json:"wait_s"`
}

// callbacks serves GET /v1/callbacks?queue=Q&from=D&to=D&switch=S: the
// callers who abandoned the queue in the range (default: today) and were not
// answered in any queue of the same switch since.
func (a *API) callbacks(w http.ResponseWriter, r *http.Request) {
	cbs, err := a.readCallbacks(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cbs)
}

func (a *API) readCallbacks(r *http.Request) ([]callback, error) {
	v := r.URL.Query()
	sw, err := readSwitch(r)
	if err != nil {
		return nil, err
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return nil, err
	}
	q, err := a.queueOf(r.Context(), qs, v.Get("queue"))
	if err != nil {
		return nil, err
	}
	fromArg, toArg := v.Get("from"), v.Get("to")
	if fromArg == "" {
		if toArg != "" {
			return nil, badRequest("from is required when to is given (YYYY-MM-DD)")
		}
		fromArg = a.now().In(q.Location).Format("2006-01-02")
	}
	if toArg == "" {
		from, err := report.ParseLocal(fromArg, q.Location)
		if err != nil {
			return nil, badRequest("from must be YYYY-MM-DD or YYYY-MM-DDTHH:MM, a local time in the queue's zone %s; got %q", q.Location, fromArg)
		}
		toArg = from.AddDate(0, 0, 1).Format("2006-01-02")
	}
	from, to, err := readRange(cdr.PeriodDay, fromArg, toArg, q.Location, a.now())
	if err != nil {
		return nil, err
	}
	calls, err := a.src.Callbacks.AbandonedCallers(r.Context(), sw, q.Name, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]callback, 0, len(calls))
	for _, c := range calls {
		out = append(out, callback{Switch: c.Switch, Queue: c.Queue, CallID: c.CallID, Caller: c.Caller, EnterTime: c.EnterTime.In(q.Location), WaitS: c.WaitS})
	}
	return out, nil
}
