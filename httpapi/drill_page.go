package httpapi

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/report"
)

// drillLabels holds every text of the pages of calls (/calls and
// /calls/{switch}/{call_id}), per language, as labels does the
// dashboard's; "outcome_*" name the outcomes.
var drillLabels = map[string]map[string]string{
	"en": {
		"title": "Calls behind the figure", "call_title": "Call", "dashboard": "Back to the dashboard",
		"range": "Joined from %s to %s", "calls": "Calls", "avg_wait": "Average wait",
		"sort": "Sort", "sort_enter": "oldest first", "sort_wait": "longest wait first", "sort_talk": "longest talk first",
		"download": "The same calls as", "prev": "Previous", "next": "Next", "shown": "Calls %d to %d of %d",
		"none": "–", "no_calls": "No calls.", "error": "Cannot read the calls",
		"enter": "Joined", "outcome": "Outcome", "wait": "Wait", "talk": "Talk", "agent": "Agent", "caller": "Caller",
		"switch": "Switch", "call": "Call", "queue": "Queue", "in_hours": "In opening hours", "yes": "yes", "no": "no",
		"stays": "In the queues", "events": "Events, in order", "time": "Time", "source": "Source", "event": "Event", "data": "Data",
		"filter_outcome": "outcome", "filter_wait_above": "waited more than %s", "filter_wait_upto": "waited at most %s",
		"filter_in": "in opening hours", "filter_agent": "agent", "filter_hour": "hour %s", "filter_weekday": "weekday",
		"filter_disposition": "with a disposition", "filter_resolved": "resolved at first contact",
		"outcome_answered": "answered", "outcome_abandoned": "abandoned", "outcome_timeout": "timed out",
		"outcome_exit_key": "left with a key", "outcome_exit_other": "left otherwise", "outcome_unknown": "unknown", "outcome_waiting": "waiting",
		"weekdays": "Sunday Monday Tuesday Wednesday Thursday Friday Saturday",
	},
	"da": {
		"title": "Opkaldene bag tallet", "call_title": "Opkald", "dashboard": "Tilbage til oversigten",
		"range": "Kom i kø fra %s til %s", "calls": "Opkald", "avg_wait": "Gns. ventetid",
		"sort": "Sortering", "sort_enter": "ældste først", "sort_wait": "længste ventetid først", "sort_talk": "længste samtale først",
		"download": "De samme opkald som", "prev": "Forrige", "next": "Næste", "shown": "Opkald %d til %d af %d",
		"none": "–", "no_calls": "Ingen opkald.", "error": "Kan ikke læse opkaldene",
		"enter": "Kom i kø", "outcome": "Udfald", "wait": "Ventetid", "talk": "Samtale", "agent": "Medarbejder", "caller": "Opkalder",
		"switch": "Central", "call": "Opkald", "queue": "Kø", "in_hours": "I åbningstiden", "yes": "ja", "no": "nej",
		"stays": "I køerne", "events": "Hændelser i rækkefølge", "time": "Tid", "source": "Kilde", "event": "Hændelse", "data": "Felter",
		"filter_outcome": "udfald", "filter_wait_above": "ventede mere end %s", "filter_wait_upto": "ventede højst %s",
		"filter_in": "i åbningstiden", "filter_agent": "medarbejder", "filter_hour": "time %s", "filter_weekday": "ugedag",
		"filter_disposition": "med afslutningskode", "filter_resolved": "løst ved første kontakt",
		"outcome_answered": "besvaret", "outcome_abandoned": "afbrudt", "outcome_timeout": "tidsudløb",
		"outcome_exit_key": "forlod med tast", "outcome_exit_other": "forlod på anden vis", "outcome_unknown": "ukendt", "outcome_waiting": "venter",
		"weekdays": "søndag mandag tirsdag onsdag torsdag fredag lørdag",
	},
}

// drillPage is the page of the calls behind a figure, and of one call, in
// the dashboard's style. Each call's row carries data-call (its switch,
// call id and stay), each event's data-verb and data-time (UTC, to the
// microsecond, so that their order can be read); the count and the
// average wait carry data-field and data-value as the dashboard's cells
// do. Call ids, agents, callers and switches are data (translate="no").
var drillPage = template.Must(template.New("drill").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>acdstat: {{.Title}}</title>
<style>
:root{--fg:#1d2733;--muted:#5a6675;--line:#d5dbe3}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff;margin:0 auto;padding:1rem;max-width:84rem;line-height:1.4}
h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:.6rem 0 .3rem}
.note{color:var(--muted);font-size:.9rem;margin:.2rem 0 .5rem}
.kpis{display:flex;flex-wrap:wrap;gap:1rem;margin:.4rem 0}
.kpi{border:1px solid var(--line);border-radius:.3rem;padding:.4rem .8rem;min-width:10rem}
.kpi b{display:block;font-size:1.6rem}
nav{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.9rem;margin:.4rem 0}
.tablewrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;margin-top:.3rem}
td,th{border:1px solid var(--line);padding:.2rem .4rem;text-align:left;white-space:nowrap}
td.n{text-align:right}
.empty{color:var(--muted);font-style:italic;padding:1rem 0}
.error{border:1px solid #c62828;padding:.5rem;color:#c62828}
@media print{nav{display:none}body{max-width:none;padding:0}}
</style>
</head><body>
<p class="note"><a href="{{.Back}}">{{.L.dashboard}}</a></p>
<h1>{{.Title}}{{if .Desk}}: <span translate="no">{{.Desk}}</span>{{end}}</h1>
{{if .Err}}<p class="error" id="error"><strong>{{.L.error}}:</strong> {{.Err}}</p>{{end}}
{{with .List}}<p class="note">{{.Range}}{{range .Filters}} · {{.}}{{end}}</p>
<div class="kpis">
<div class="kpi"><span>{{$.L.calls}}</span><b data-field="total" data-value="{{.Total}}">{{.Total}}</b></div>
<div class="kpi"><span>{{$.L.avg_wait}}</span><b data-field="avg_wait_s" data-value="{{.AvgWait}}">{{.AvgWaitText}}</b></div>
</div>
<nav>{{$.L.sort}}: {{range .Sorts}}<a href="{{.Href}}"{{if .Selected}} aria-current="true"{{end}}>{{.Text}}</a>{{end}}
· {{$.L.download}} <a href="{{.Export}}&amp;format=json">JSON</a> <a href="{{.Export}}&amp;format=csv">CSV</a> <a href="{{.Export}}&amp;format=xlsx">XLSX</a></nav>
{{if .Rows}}<p class="note">{{.Shown}}</p>
<div class="tablewrap"><table id="calls">
<thead><tr><th>{{$.L.enter}}</th><th>{{$.L.outcome}}</th><th>{{$.L.wait}}</th><th>{{$.L.talk}}</th><th>{{$.L.agent}}</th><th>{{$.L.caller}}</th><th>{{$.L.in_hours}}</th><th>{{$.L.switch}}</th><th>{{$.L.call}}</th></tr></thead>
<tbody>{{range .Rows}}<tr data-call="{{.Key}}"><td>{{.Enter}}</td><td>{{.Outcome}}</td><td class="n" data-field="wait_s" data-value="{{.WaitS}}">{{.Wait}}</td><td class="n">{{.Talk}}</td><td translate="no">{{.Agent}}</td><td translate="no">{{.Caller}}</td><td>{{.InHours}}</td><td translate="no">{{.Switch}}</td><td translate="no"><a href="{{.Href}}">{{.CallID}}</a></td></tr>{{end}}</tbody>
</table></div>
<nav>{{if .Prev}}<a href="{{.Prev}}" rel="prev">{{$.L.prev}}</a>{{end}}{{if .Next}}<a href="{{.Next}}" rel="next">{{$.L.next}}</a>{{end}}</nav>
{{else}}<p class="empty">{{$.L.no_calls}}</p>{{end}}{{end}}
{{with .Call}}<h2>{{$.L.stays}}</h2>
<div class="tablewrap"><table id="stays">
<thead><tr><th>{{$.L.queue}}</th><th>{{$.L.enter}}</th><th>{{$.L.outcome}}</th><th>{{$.L.wait}}</th><th>{{$.L.talk}}</th><th>{{$.L.agent}}</th><th>{{$.L.caller}}</th><th>{{$.L.in_hours}}</th></tr></thead>
<tbody>{{range .Stays}}<tr data-call="{{.Key}}"><td translate="no">{{.Queue}}</td><td>{{.Enter}}</td><td>{{.Outcome}}</td><td class="n" data-field="wait_s" data-value="{{.WaitS}}">{{.Wait}}</td><td class="n">{{.Talk}}</td><td translate="no">{{.Agent}}</td><td translate="no">{{.Caller}}</td><td>{{.InHours}}</td></tr>{{end}}</tbody>
</table></div>
<h2>{{$.L.events}}</h2>
<div class="tablewrap"><table id="events">
<thead><tr><th>{{$.L.time}}</th><th>{{$.L.source}}</th><th>{{$.L.event}}</th><th>{{$.L.queue}}</th><th>{{$.L.agent}}</th><th>{{$.L.data}}</th></tr></thead>
<tbody>{{range .Events}}<tr data-verb="{{.Verb}}" data-time="{{.UTC}}"><td>{{.Time}}</td><td translate="no">{{.Source}}</td><td translate="no">{{.Verb}}</td><td translate="no">{{.Queue}}</td><td translate="no">{{.Agent}}</td><td translate="no">{{.Data}}</td></tr>{{end}}</tbody>
</table></div>{{end}}
</body></html>
`))

// drillData is what drillPage shows: a list of calls, or one call.
type drillData struct {
	Lang, Title, Desk, Err, Back string
	L                            map[string]string
	List                         *drillList
	Call                         *drillCall
}

type drillList struct {
	Range, Shown         string
	Filters              []string
	Total                uint64
	AvgWait, AvgWaitText string
	Sorts                []drillSort
	Export, Prev, Next   string
	Rows                 []drillRow
}

type drillSort struct {
	Href, Text string
	Selected   bool
}

type drillRow struct {
	Key, Href, Enter, Outcome, Wait, Talk, Agent, Caller, InHours, Switch, CallID, Queue string
	WaitS                                                                                uint32
}

type drillCall struct {
	Stays  []drillRow
	Events []drillEvent
}

type drillEvent struct {
	UTC, Time, Source, Verb, Queue, Agent, Data string
}

// drillLang is the language of a page of calls (?lang=en|da) and its
// labels.
func drillLang(r *http.Request) (string, map[string]string) {
	lang := r.URL.Query().Get("lang")
	if _, ok := drillLabels[lang]; !ok {
		lang = "en"
	}
	return lang, drillLabels[lang]
}

// drillRowOf is one call as the pages show it, its times as its row has
// them (the queue's clock).
func drillRowOf(c *report.CallRow, lang string, l map[string]string) drillRow {
	yes := l["no"]
	if c.InHours {
		yes = l["yes"]
	}
	outcome := l["outcome_"+c.Outcome]
	if outcome == "" {
		outcome = c.Outcome
	}
	q := url.Values{"lang": {lang}}
	return drillRow{
		Key:   c.Switch + "/" + c.CallID + "/" + strconv.Itoa(int(c.Seq)),
		Href:  "/calls/" + url.PathEscape(c.Switch) + "/" + url.PathEscape(c.CallID) + "?" + q.Encode(),
		Enter: c.EnterTime.Format("2006-01-02 15:04:05"), Outcome: outcome,
		Wait: minSecText(float64(c.WaitS)), Talk: minSecText(float64(c.TalkS)), WaitS: c.WaitS,
		Agent: c.Agent, Caller: c.Caller, InHours: yes, Switch: c.Switch, CallID: c.CallID, Queue: c.Queue,
	}
}

// callsPage serves GET /calls: the page of the calls behind a figure,
// with the parameters of GET /v1/calls (the dashboard links every figure
// here) and lang; a page of them, sortable, with links to the next and
// previous pages, to the same calls as JSON, CSV and XLSX, and to each
// call's page.
func (a *API) callsPage(w http.ResponseWriter, r *http.Request) {
	lang, l := drillLang(r)
	d := drillData{Lang: lang, L: l, Title: l["title"], Back: "/?" + url.Values{"queue": {r.URL.Query().Get("queue")}, "lang": {lang}}.Encode()}
	status := http.StatusOK
	cq, list, err := a.readCalls(r)
	if err == nil && cq.format != "json" {
		err = badRequest("format: the page shows calls; GET /v1/calls gives them as %s", cq.format)
	}
	if err != nil {
		d.Err, status = err.Error(), http.StatusServiceUnavailable
		if ue, ok := err.(*userError); ok {
			status = ue.status
		}
	} else {
		d.Desk = cq.q.Display
		if d.Desk == "" {
			d.Desk = cq.q.Name
		}
		d.List = drillListOf(r.URL.Query(), cq, list, lang, l)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := drillPage.Execute(w, d); err != nil {
		a.log.Warn("cannot render the page of calls", "err", err)
	}
}

// drillListOf is the list part of a page of calls.
func drillListOf(v url.Values, cq callsQuery, list report.CallList, lang string, l map[string]string) *drillList {
	loc := cq.from.Location()
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	dl := &drillList{Range: strings.Replace(strings.Replace(l["range"], "%s", at(cq.from), 1), "%s", at(cq.to), 1), Total: list.Total}
	if list.Total > 0 {
		avg := float64(list.WaitSumS) / float64(list.Total)
		dl.AvgWait, dl.AvgWaitText = strconv.FormatFloat(avg, 'g', -1, 64), minSecText(avg)
	} else {
		dl.AvgWaitText = l["none"]
	}
	f := cq.f
	if len(f.Outcomes) > 0 {
		var names []string
		for _, o := range f.Outcomes {
			names = append(names, l["outcome_"+o.String()])
		}
		dl.Filters = append(dl.Filters, l["filter_outcome"]+": "+strings.Join(names, ", "))
	}
	if f.WaitAbove != nil {
		dl.Filters = append(dl.Filters, strings.Replace(l["filter_wait_above"], "%s", secondsText(*f.WaitAbove), 1))
	}
	if f.WaitUpTo != nil {
		dl.Filters = append(dl.Filters, strings.Replace(l["filter_wait_upto"], "%s", secondsText(*f.WaitUpTo), 1))
	}
	if cq.hours == "in" {
		dl.Filters = append(dl.Filters, l["filter_in"])
	}
	if f.Agent != "" {
		dl.Filters = append(dl.Filters, l["filter_agent"]+": "+f.Agent)
	}
	if f.HourOfDay != nil {
		dl.Filters = append(dl.Filters, strings.Replace(l["filter_hour"], "%s", fmt.Sprintf("%02d", *f.HourOfDay)+":00", 1))
	}
	if f.Weekday != nil {
		dl.Filters = append(dl.Filters, l["filter_weekday"]+": "+strings.Fields(l["weekdays"])[*f.Weekday%7])
	}
	if f.Disposition {
		dl.Filters = append(dl.Filters, l["filter_disposition"])
	}
	if f.Resolved {
		dl.Filters = append(dl.Filters, l["filter_resolved"])
	}
	with := func(set map[string]string) string {
		q := url.Values{}
		for k, vs := range v {
			q[k] = vs
		}
		q.Set("lang", lang)
		for k, s := range set {
			if s == "" {
				q.Del(k)
			} else {
				q.Set(k, s)
			}
		}
		return q.Encode()
	}
	for _, s := range []struct{ sort, label string }{{"", "sort_enter"}, {"-wait_s", "sort_wait"}, {"-talk_s", "sort_talk"}} {
		dl.Sorts = append(dl.Sorts, drillSort{Href: "/calls?" + with(map[string]string{"sort": s.sort, "offset": ""}), Text: l[s.label], Selected: f.Sort == s.sort})
	}
	dl.Export = "/v1/calls?" + with(map[string]string{"offset": "", "limit": "", "lang": ""})
	page := cq.page(list)
	for i := range page {
		dl.Rows = append(dl.Rows, drillRowOf(&page[i], lang, l))
	}
	if len(page) > 0 {
		dl.Shown = strings.Replace(strings.Replace(strings.Replace(l["shown"], "%d", strconv.Itoa(cq.offset+1), 1), "%d", strconv.Itoa(cq.offset+len(page)), 1), "%d", strconv.FormatUint(list.Total, 10), 1)
	}
	if cq.offset > 0 {
		dl.Prev = "/calls?" + with(map[string]string{"offset": strconv.Itoa(max(cq.offset-cq.limit, 0))})
	}
	if cq.offset+len(page) < len(list.Calls) {
		dl.Next = "/calls?" + with(map[string]string{"offset": strconv.Itoa(cq.offset + len(page))})
	}
	return dl
}

// callPage serves GET /calls/{switch}/{call_id}: one call's stays and its
// events in order, from every source (GET /v1/calls/{switch}/{call_id}),
// the events' times on the clock of the call's first queue.
func (a *API) callPage(w http.ResponseWriter, r *http.Request) {
	lang, l := drillLang(r)
	d := drillData{Lang: lang, L: l, Title: l["call_title"], Back: "/?" + url.Values{"lang": {lang}}.Encode()}
	status := http.StatusOK
	c, err := a.readCall(r)
	if err != nil {
		d.Err, status = err.Error(), http.StatusServiceUnavailable
		if ue, ok := err.(*userError); ok {
			status = ue.status
		}
	} else {
		d.Desk = c.Switch + " " + c.CallID
		loc := time.UTC
		dc := &drillCall{}
		for i := range c.Stays {
			if i == 0 {
				loc = c.Stays[i].EnterTime.Location()
				d.Back = "/?" + url.Values{"queue": {c.Stays[i].Queue}, "lang": {lang}}.Encode()
			}
			dc.Stays = append(dc.Stays, drillRowOf(&c.Stays[i], lang, l))
		}
		for _, e := range c.Events {
			dc.Events = append(dc.Events, drillEvent{
				UTC: e.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), Time: e.Time.In(loc).Format("2006-01-02 15:04:05.000000 MST"),
				Source: e.Source, Verb: e.Verb, Queue: e.Queue, Agent: e.Agent, Data: strings.Join(e.Data, " | "),
			})
		}
		d.Call = dc
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := drillPage.Execute(w, d); err != nil {
		a.log.Warn("cannot render the page of a call", "err", err)
	}
}
