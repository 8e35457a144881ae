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

func (a *API) serveCalls(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	sw, err := readSwitch(r)
	if err != nil {
		return err
	}
	hours, err := hoursParam(r)
	if err != nil {
		return err
	}
	f := report.CallFilter{Hours: hours, Agent: v.Get("agent")}
	if o := v.Get("outcome"); o != "" {
		for _, name := range strings.Split(o, ",") {
			out, ok := cdr.ParseOutcome(strings.TrimSpace(name))
			if !ok {
				return badRequest("outcome must be one or more of answered, abandoned, timeout, exit_key, exit_other, unknown (comma-separated); got %q", name)
			}
			f.Outcomes = append(f.Outcomes, out)
		}
	}
	for _, p := range []struct {
		name string
		to   **int
	}{{"wait_above", &f.WaitAbove}, {"wait_upto", &f.WaitUpTo}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return badRequest("%s must be a whole number of seconds; got %q", p.name, s)
			}
			*p.to = &n
		}
	}
	if f.Sort, err = report.ParseCallSort(v.Get("sort")); err != nil {
		return badRequest("%s", err)
	}
	offset, limit := 0, defaultCallPage
	if s := v.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return badRequest("offset must be a whole number from 0; got %q", s)
		}
	}
	if s := v.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > maxCallPage {
			return badRequest("limit must be from 1 to %d; got %q", maxCallPage, s)
		}
	}
	format := v.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "xlsx" {
		return badRequest("format must be json, csv or xlsx; got %q", format)
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return err
	}
	q, err := a.queueOf(r.Context(), qs, v.Get("queue"))
	if err != nil {
		return err
	}
	from, to, err := a.callsRange(v.Get("from"), v.Get("to"), q.Location)
	if err != nil {
		return err
	}
	calls, err := a.src.Calls.QueueCalls(r.Context(), sw, q.Name, from, to, maxRangeCalls)
	if err != nil {
		return err
	}
	if len(calls) > maxRangeCalls {
		return badRequest("from %s to %s holds more than %d calls of %s; narrow from and to", from.Format(time.RFC3339), to.Format(time.RFC3339), maxRangeCalls, q.Name)
	}
	list := report.SelectCalls(calls, q, f)
	filename := fmt.Sprintf("%s_calls_%s.%s", safeName(q.Name), from.Format("2006-01-02"), format)
	switch format {
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
	page := list.Calls[min(offset, len(list.Calls)):min(offset+limit, len(list.Calls))]
	ans := callsAnswer{Switch: sw, Queue: q.Name, From: from, To: to, Hours: hours, Sort: f.Sort, Offset: offset, Limit: limit, CallList: list}
	if ans.Sort == "" {
		ans.Sort = "enter_time"
	}
	ans.Calls = page
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
	sw, callID := r.PathValue("switch"), r.PathValue("call_id")
	if sw == cdr.AllSwitches || sw == "" {
		return badRequest("name the switch of the call: /v1/calls/SWITCH/CALL_ID")
	}
	if _, err := askSwitch(r.Context(), sw); err != nil {
		return err
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return err
	}
	stays, events, err := a.src.Calls.CallDetail(r.Context(), sw, callID)
	if err != nil {
		return err
	}
	if len(stays) == 0 && len(events) == 0 {
		return &userError{http.StatusNotFound, fmt.Sprintf("switch %q has no call %q", sw, callID)}
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
	writeJSON(w, http.StatusOK, out)
	return nil
}
