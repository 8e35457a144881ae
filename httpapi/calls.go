package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
)

// CallsReader reads the queue calls behind the figures (store.QueueCalls)
// and one call with its events (store.CallDetail), both kept to the
// reader's switches.
type CallsReader interface {
	QueueCalls(ctx context.Context, switchName, queue string, from, to time.Time, max int) ([]cdr.QueueCall, error)
	CallDetail(ctx context.Context, switchName, callID string) ([]cdr.QueueCall, []cdr.Event, error)
}

// Limits of GET /v1/calls: the calls of one page by default and at most,
// and the calls of one range (the export lists them all).
const (
	defaultCallPage = 100
	maxCallPage     = 1000
	maxRangeCalls   = 200000
)

// callsAnswer is GET /v1/calls's JSON: the filter as understood, the
// totals of every call it keeps (report.CallList) and one page of them.
type callsAnswer struct {
	Switch string    `json:"switch"`
	Queue  string    `json:"queue"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Hours  string    `json:"hours"`
	Sort   string    `json:"sort"`
	Offset int       `json:"offset"`
	Limit  int       `json:"limit"`
	report.CallList
}

// calls serves GET /v1/calls (METRICS.md, "Drill-down"): the offered
// queue calls of one queue that joined in [from, to), filtered as the
// figures are (hours, outcome, agent, wait_above, wait_upto), so that
// total is the figure's count and wait_s_sum its sum of waits; sorted
// (sort) and paged (offset, limit) in JSON, every call in CSV and XLSX
// (format). from and to are local dates or date-times in the queue's zone,
// as in GET /v1/report, or RFC 3339 instants with an offset (the
// counted_from and counted_to of a report row); without them, today.
func (a *API) calls(w http.ResponseWriter, r *http.Request) {
	if err := a.serveCalls(w, r); err != nil {
		a.fail(w, r, err)
	}
}

// callsQuery is a GET /v1/calls (or /calls page) request as understood.
type callsQuery struct {
	sw, hours, format string
	q                 cdr.QueueSettings
	from, to          time.Time
	f                 report.CallFilter
	offset, limit     int
}

// readCalls reads the request of GET /v1/calls and the /calls page and
// the calls it keeps.
func (a *API) readCalls(r *http.Request) (callsQuery, report.CallList, error) {
	v := r.URL.Query()
	var cq callsQuery
	var err error
	if cq.sw, err = readSwitch(r); err != nil {
		return cq, report.CallList{}, err
	}
	if cq.hours, err = hoursParam(r); err != nil {
		return cq, report.CallList{}, err
	}
	f := report.CallFilter{Hours: cq.hours, Agent: v.Get("agent")}
	if o := v.Get("outcome"); o != "" {
		for _, name := range strings.Split(o, ",") {
			out, ok := cdr.ParseOutcome(strings.TrimSpace(name))
			if !ok {
				return cq, report.CallList{}, badRequest("outcome must be one or more of answered, abandoned, timeout, exit_key, exit_other, unknown (comma-separated); got %q", name)
			}
			f.Outcomes = append(f.Outcomes, out)
		}
	}
	for _, p := range []struct {
		name     string
		to       **int
		min, max int
	}{{"wait_above", &f.WaitAbove, 0, cdr.MaxThresholdS}, {"wait_upto", &f.WaitUpTo, 0, cdr.MaxThresholdS}, {"hour_of_day", &f.HourOfDay, 0, 23}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < p.min || n > p.max {
				return cq, report.CallList{}, badRequest("%s must be a whole number from %d to %d; got %q", p.name, p.min, p.max, s)
			}
			*p.to = &n
		}
	}
	if s := v.Get("weekday"); s != "" {
		d := -1
		for i, name := range cdr.WeekdayNames {
			if name == s {
				d = cdr.ISOWeekday(time.Weekday(i))
			}
		}
		if d < 0 {
			return cq, report.CallList{}, badRequest("weekday must be one of %s; got %q", strings.Join(cdr.WeekdayNames[:], ", "), s)
		}
		f.Weekday = &d
	}
	switch d := v.Get("disposition"); d {
	case "":
	case "given":
		f.Disposition = true
	case "resolved":
		f.Resolved = true
	default:
		return cq, report.CallList{}, badRequest("disposition must be given or resolved; got %q", d)
	}
	if f.Sort, err = report.ParseCallSort(v.Get("sort")); err != nil {
		return cq, report.CallList{}, badRequest("%s", err)
	}
	cq.f, cq.limit = f, defaultCallPage
	if s := v.Get("offset"); s != "" {
		if cq.offset, err = strconv.Atoi(s); err != nil || cq.offset < 0 {
			return cq, report.CallList{}, badRequest("offset must be a whole number from 0; got %q", s)
		}
	}
	if s := v.Get("limit"); s != "" {
		if cq.limit, err = strconv.Atoi(s); err != nil || cq.limit < 1 || cq.limit > maxCallPage {
			return cq, report.CallList{}, badRequest("limit must be from 1 to %d; got %q", maxCallPage, s)
		}
	}
	cq.format = v.Get("format")
	if cq.format == "" {
		cq.format = "json"
	}
	if cq.format != "json" && cq.format != "csv" && cq.format != "xlsx" {
		return cq, report.CallList{}, badRequest("format must be json, csv or xlsx; got %q", cq.format)
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return cq, report.CallList{}, err
	}
	if cq.q, err = a.queueOf(r.Context(), qs, v.Get("queue")); err != nil {
		return cq, report.CallList{}, err
	}
	if cq.from, cq.to, err = a.callsRange(v.Get("from"), v.Get("to"), cq.q.Location); err != nil {
		return cq, report.CallList{}, err
	}
	calls, err := a.src.Calls.QueueCalls(r.Context(), cq.sw, cq.q.Name, cq.from, cq.to, maxRangeCalls)
	if err != nil {
		return cq, report.CallList{}, err
	}
	if len(calls) > maxRangeCalls {
		return cq, report.CallList{}, badRequest("from %s to %s holds more than %d calls of %s; narrow from and to",
			cq.from.Format(time.RFC3339), cq.to.Format(time.RFC3339), maxRangeCalls, cq.q.Name)
	}
	return cq, report.SelectCalls(calls, cq.q, f), nil
}

// page is the calls of the page asked for.
func (cq *callsQuery) page(list report.CallList) []report.CallRow {
	n := len(list.Calls)
	return list.Calls[min(cq.offset, n):min(cq.offset+cq.limit, n)]
}

func (a *API) serveCalls(w http.ResponseWriter, r *http.Request) error {
	cq, list, err := a.readCalls(r)
	if err != nil {
		return err
	}
	filename := fmt.Sprintf("%s_calls_%s.%s", safeName(cq.q.Name), cq.from.Format("2006-01-02"), cq.format)
	switch cq.format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		return report.WriteCallsCSV(w, list.Calls)
	case "xlsx":
		// Built whole before the first byte is sent, so a failure is
		// still answered as a JSON error.
		var b bytes.Buffer
		if err := report.WriteCallsXLSX(&b, list.Calls); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		_, err := b.WriteTo(w)
		return err
	}
	ans := callsAnswer{Switch: cq.sw, Queue: cq.q.Name, From: cq.from, To: cq.to, Hours: cq.hours, Sort: cq.f.Sort,
		Offset: cq.offset, Limit: cq.limit, CallList: list}
	if ans.Sort == "" {
		ans.Sort = "enter_time"
	}
	ans.Calls = cq.page(list)
	if ans.Calls == nil {
		ans.Calls = []report.CallRow{}
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// callsRange reads from and to of GET /v1/calls: each an RFC 3339 instant
// or a local date or date-time in loc (report.ParseLocal); from defaults
// to today's local midnight, to to a day after from.
func (a *API) callsRange(fromArg, toArg string, loc *time.Location) (time.Time, time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	parse := func(name, s string) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.In(loc), nil
		}
		t, err := report.ParseLocal(s, loc)
		if err != nil {
			return t, badRequest("%s must be YYYY-MM-DD or YYYY-MM-DDTHH:MM, a local time in the queue's zone %s, or an RFC 3339 instant; got %q", name, loc, s)
		}
		return t, nil
	}
	var from, to time.Time
	var err error
	if fromArg == "" {
		l := a.now().In(loc)
		from = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	} else if from, err = parse("from", fromArg); err != nil {
		return from, to, err
	}
	if toArg == "" {
		to = time.Date(from.Year(), from.Month(), from.Day()+1, 0, 0, 0, 0, loc)
	} else if to, err = parse("to", toArg); err != nil {
		return from, to, err
	}
	if !from.Before(to) {
		return from, to, badRequest("from %s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return from, to, nil
}

// callDetail is GET /v1/calls/{switch}/{call_id}'s JSON: the call's stays
// and its events from every source, in order.
type callDetail struct {
	Switch string           `json:"switch"`
	CallID string           `json:"call_id"`
	Stays  []report.CallRow `json:"stays"`
	Events []callEvent      `json:"events"`
}

// callEvent is one stored event as GET /v1/calls/{switch}/{call_id} shows
// it: its instant (UTC, with the microseconds the source gave), the
// source it came from, and its fields as stored.
type callEvent struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	Source     string    `json:"source"`
	Queue      string    `json:"queue"`
	Agent      string    `json:"agent"`
	Verb       string    `json:"verb"`
	Data       []string  `json:"data"`
	IngestedAt time.Time `json:"ingested_at"`
}

// call serves GET /v1/calls/{switch}/{call_id}: one call of one switch,
// its stays in every queue (times on each queue's clock) and every event
// stored with its call id, from every source, ordered by time (and
// microseconds, then id). A switch the reader may not read is refused
// with 403, as in every read; a call without stays or events is 404.
func (a *API) call(w http.ResponseWriter, r *http.Request) {
	if err := a.serveCall(w, r); err != nil {
		a.fail(w, r, err)
	}
}

func (a *API) serveCall(w http.ResponseWriter, r *http.Request) error {
	out, err := a.readCall(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// readCall reads the call of GET /v1/calls/{switch}/{call_id} and of its
// page.
func (a *API) readCall(r *http.Request) (callDetail, error) {
	sw, callID := r.PathValue("switch"), r.PathValue("call_id")
	if sw == cdr.AllSwitches || sw == "" {
		return callDetail{}, badRequest("name the switch of the call: /v1/calls/SWITCH/CALL_ID")
	}
	if _, err := askSwitch(r.Context(), sw); err != nil {
		return callDetail{}, err
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return callDetail{}, err
	}
	stays, events, err := a.src.Calls.CallDetail(r.Context(), sw, callID)
	if err != nil {
		return callDetail{}, err
	}
	if len(stays) == 0 && len(events) == 0 {
		return callDetail{}, &userError{http.StatusNotFound, fmt.Sprintf("switch %q has no call %q", sw, callID)}
	}
	out := callDetail{Switch: sw, CallID: callID, Stays: report.CallRows(stays, qs), Events: make([]callEvent, 0, len(events))}
	for _, e := range events {
		data := e.Data[:]
		for len(data) > 0 && data[len(data)-1] == "" {
			data = data[:len(data)-1]
		}
		out.Events = append(out.Events, callEvent{
			ID: strconv.FormatUint(e.ID, 16), Time: e.Time.Add(time.Duration(e.Micros) * time.Microsecond),
			Source: e.Source, Queue: e.Queue, Agent: e.Agent, Verb: e.Verb, Data: append([]string{}, data...), IngestedAt: e.IngestedAt,
		})
	}
	return out, nil
}
