package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
)

// AgentReader sums the agent rows per agent, queue and period
// (store.AgentPeriods).
type AgentReader interface {
	AgentPeriods(ctx context.Context, period string, from, to time.Time, agent string) ([]cdr.AgentPeriod, error)
}

// AgentAPI serves the agent figures: GET /v1/agents and the agent page at
// /agents (METRICS.md, "Agents"). It is mounted apart from the read API
// because agent figures have their own token (wrap): a token that reads
// queues does not read agents. With off (ACDSTAT_AGENT_FIGURES=off) both
// answer 404 saying so. It keeps no state and is safe for concurrent use.
type AgentAPI struct {
	src      AgentReader
	settings SettingsSource
	wrap     func(http.Handler) http.Handler
	log      *slog.Logger
	now      func() time.Time
	off      bool
}

// NewAgentAPI returns the agent API. settings gives the zone of the
// agents (cdr.Settings.AgentZone) in which from and to are read; now is
// its clock ("this month"); wrap adds access control (nil: none).
func NewAgentAPI(src AgentReader, settings SettingsSource, log *slog.Logger, now func() time.Time, wrap func(http.Handler) http.Handler, off bool) *AgentAPI {
	if wrap == nil {
		wrap = func(h http.Handler) http.Handler { return h }
	}
	return &AgentAPI{src: src, settings: settings, wrap: wrap, log: log, now: now, off: off}
}

// Register mounts GET /v1/agents and the agent page.
func (a *AgentAPI) Register(mux *http.ServeMux) {
	mux.Handle("GET /v1/agents", a.wrap(http.HandlerFunc(a.agents)))
	mux.Handle("GET /agents", a.wrap(http.HandlerFunc(a.page)))
}

// offMsg is the answer of every agent endpoint while agent figures are off.
const offMsg = "agent figures are turned off (ACDSTAT_AGENT_FIGURES=off): nothing of agents is computed or stored"

func (a *AgentAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	(&API{log: a.log}).fail(w, r, err)
}

// agentRows reads and builds the agent rows of [from, to).
func (a *AgentAPI) agentRows(ctx context.Context, loc *time.Location, period string, from, to time.Time, agent string, queues bool) ([]report.AgentRow, error) {
	sums, err := a.src.AgentPeriods(ctx, period, from, to, agent)
	if err != nil {
		return nil, err
	}
	return report.BuildAgents(sums, period, from, to, loc, queues)
}

// agents serves GET /v1/agents?period=P&from=D&to=D&agent=ID&queues=1&format=json|csv:
// the agent rows of METRICS.md, one per agent with figures and period of
// the range (from and to are local in the agents' zone, as in GET
// /v1/report), with queues also one per agent, queue and period.
func (a *AgentAPI) agents(w http.ResponseWriter, r *http.Request) {
	if a.off {
		writeError(w, http.StatusNotFound, offMsg)
		return
	}
	if err := a.serveAgents(w, r); err != nil {
		a.fail(w, r, err)
	}
}

func (a *AgentAPI) serveAgents(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	period := v.Get("period")
	if period == "" {
		period = cdr.PeriodDay
	}
	if !slices.Contains(cdr.Periods, period) {
		return badRequest("period must be one of %s; got %q", strings.Join(cdr.Periods, ", "), period)
	}
	format := v.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		return badRequest("format must be json or csv; got %q", format)
	}
	queues := false
	switch q := v.Get("queues"); q {
	case "", "0", "false":
	case "1", "true":
		queues = true
	default:
		return badRequest("queues must be 1 (a row per queue too) or 0; got %q", q)
	}
	qs, err := a.settings.Settings(r.Context())
	if err != nil {
		return err
	}
	loc := qs.AgentZone()
	from, to, err := readRange(period, v.Get("from"), v.Get("to"), loc, a.now())
	if err != nil {
		return err
	}
	if n := countPeriods(period, from, to, loc, maxAPIRows); n > maxAPIRows {
		return badRequest("from %s to %s holds more than %d %s periods; narrow from and to or choose a longer period",
			from.Format("2006-01-02"), to.Format("2006-01-02"), maxAPIRows, period)
	}
	rows, err := a.agentRows(r.Context(), loc, period, from, to, v.Get("agent"), queues)
	if err != nil {
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="agents_%s_%s.csv"`, period, from.Format("2006-01-02")))
		return report.WriteAgentsCSV(w, rows)
	}
	w.Header().Set("Content-Type", "application/json")
	return report.WriteAgentsJSON(w, rows)
}

// agentLabels holds every text of the agent page, per language, as labels
// does for the dashboard (a test walks them alike).
var agentLabels = map[string]map[string]string{
	"en": {
		"title": "Agents", "month": "Month", "show": "Show", "queues": "Desks",
		"answered_title": "Calls answered", "answered_note": "Queue calls each agent answered in the month, in every desk.",
		"occupancy_title": "Occupancy", "occupancy_note": "Time on calls out of the time logged in and not paused. An agent whose logged-in time is unknown (a static member, or a login the switch did not write) has none.",
		"agent": "Agent", "answered": "Answered", "avg_talk": "Average talk", "max_talk": "Longest talk", "ring_noanswer": "Rang out",
		"ring_time": "Ring time", "transferred": "Transferred", "logged_in": "Logged in", "paused": "Paused", "available": "Available",
		"in_call": "On calls", "occupancy": "Occupancy", "fcr": "First-contact resolution", "stale": "Sessions without logoff",
		"reasons": "Paused by reason", "no_reason": "no reason", "unknown": "unknown",
		"numbers": "Numbers", "none": "–", "no_agents": "No agent has figures this month.",
		"error": "Cannot read the figures", "download": "The same figures as", "queue_page": "Desks",
		"months":  "January February March April May June July August September October November December",
		"decimal": ".",
	},
	"da": {
		"title": "Medarbejdere", "month": "Måned", "show": "Vis", "queues": "Køer",
		"answered_title": "Besvarede opkald", "answered_note": "Køopkald hver medarbejder besvarede i måneden, i alle køer.",
		"occupancy_title": "Belægning", "occupancy_note": "Tid i samtale ud af tiden logget på og ikke i pause. En medarbejder hvis logget-på-tid er ukendt (et fast kømedlem, eller et logon centralen ikke skrev) har ingen.",
		"agent": "Medarbejder", "answered": "Besvaret", "avg_talk": "Gns. samtale", "max_talk": "Længste samtale", "ring_noanswer": "Ubesvarede kald",
		"ring_time": "Ringetid", "transferred": "Viderestillet", "logged_in": "Logget på", "paused": "Pause", "available": "Til rådighed",
		"in_call": "I samtale", "occupancy": "Belægning", "fcr": "Straksafklaring", "stale": "Sessioner uden afmelding",
		"reasons": "Pause efter årsag", "no_reason": "uden årsag", "unknown": "ukendt",
		"numbers": "Tal", "none": "–", "no_agents": "Ingen medarbejder har tal for denne måned.",
		"error": "Kan ikke læse tallene", "download": "De samme tal som", "queue_page": "Køer",
		"months":  "januar februar marts april maj juni juli august september oktober november december",
		"decimal": ",",
	},
}

// agentPageData is what the agent page shows.
type agentPageData struct {
	Lang, Err, Empty string
	L                map[string]string
	Month            string // YYYY-MM
	Title            string
	Panels           []panel
	Header           []string
	Rows             []tableRow
	APIURL, Zone     string
	Off              bool
}

// page serves GET /agents?month=YYYY-MM&lang=en|da: per agent, the month's
// calls answered and occupancy as charts, and every figure in a table.
func (a *AgentAPI) page(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	lang := v.Get("lang")
	if _, ok := agentLabels[lang]; !ok {
		lang = "en"
	}
	d := agentPageData{Lang: lang, L: agentLabels[lang]}
	status := http.StatusOK
	if a.off {
		d.Off, d.Err, status = true, offMsg, http.StatusNotFound
	} else if err := a.fillPage(r.Context(), &d, v); err != nil {
		d.Err = err.Error()
		status = http.StatusServiceUnavailable
		if ue, ok := err.(*userError); ok {
			status = ue.status
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := agentsPage.Execute(w, d); err != nil {
		a.log.Warn("cannot render the agent page", "err", err)
	}
}

func (a *AgentAPI) fillPage(ctx context.Context, d *agentPageData, v url.Values) error {
	l := d.L
	qs, err := a.settings.Settings(ctx)
	if err != nil {
		return err
	}
	loc := qs.AgentZone()
	d.Zone = loc.String()
	now := a.now().In(loc)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	if m := v.Get("month"); m != "" {
		t, err := time.ParseInLocation("2006-01", m, loc)
		if err != nil {
			return badRequest("month must be YYYY-MM, such as %s; got %q", from.Format("2006-01"), m)
		}
		from = t
	}
	to := from.AddDate(0, 1, 0)
	d.Month = from.Format("2006-01")
	d.Title = strings.Fields(l["months"])[from.Month()-1] + " " + strconv.Itoa(from.Year())
	d.APIURL = "/v1/agents?" + url.Values{"period": {cdr.PeriodMonth}, "from": {from.Format("2006-01-02")}, "to": {to.Format("2006-01-02")}}.Encode()
	rows, err := a.agentRows(ctx, loc, cdr.PeriodMonth, from, to, "", false)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		d.Empty = l["no_agents"]
		return nil
	}
	// By display name, as people look for a colleague.
	slices.SortStableFunc(rows, func(x, y report.AgentRow) int {
		return strings.Compare(strings.ToLower(x.Display), strings.ToLower(y.Display))
	})
	pct := pctText(l)
	names := make([]string, len(rows))
	answered := make([]*float64, len(rows))
	occupancy := make([]*float64, len(rows))
	for i, r := range rows {
		names[i] = r.Display
		answered[i] = u64(r.Answered)
		occupancy[i] = r.Occupancy
	}
	count := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	calls := panel{ID: "answered", Title: l["answered_title"], Note: l["answered_note"], Numbers: l["numbers"]}
	calls.SVG = hbars{ID: calls.ID, Title: calls.Title, Labels: names, Values: answered, Class: "s-offered",
		Axis: axis{Kind: axisCount, Fmt: count, Tick: count}}.svg()
	occ := panel{ID: "occupancy", Title: l["occupancy_title"], Note: l["occupancy_note"], Numbers: l["numbers"]}
	occ.SVG = hbars{ID: occ.ID, Title: occ.Title, Labels: names, Values: occupancy, Class: "s-sl",
		Axis: axis{Kind: axisShare, Max: 1, Fmt: pct, Tick: targetText(l)}}.svg()
	d.Panels = []panel{calls, occ}
	d.Header = []string{l["agent"], l["answered"], l["avg_talk"], l["max_talk"], l["ring_noanswer"], l["ring_time"], l["transferred"],
		l["logged_in"], l["paused"], l["available"], l["in_call"], l["occupancy"], l["fcr"], l["stale"], l["reasons"]}
	secs := func(field string, v *uint64) cell {
		c := cell{Field: field, Text: l["unknown"]}
		if v != nil {
			c.Value, c.Text = strconv.FormatUint(*v, 10), minSecText(float64(*v))
		}
		return c
	}
	for _, r := range rows {
		var avail *uint64
		if r.AvailableS != nil && *r.AvailableS >= 0 {
			x := uint64(*r.AvailableS)
			avail = &x
		}
		maxTalk := waitCell("max_talk_s", nil, l)
		if r.Answered > 0 {
			maxTalk = waitCell("max_talk_s", u64(r.MaxTalkS), l)
		}
		var reasons []string
		for _, k := range slices.Sorted(maps.Keys(r.PausedByReason)) {
			name := k
			if name == "" {
				name = l["no_reason"]
			}
			reasons = append(reasons, name+" "+minSecText(float64(r.PausedByReason[k])))
		}
		reasonCell := cell{Field: "paused_by_reason", Text: strings.Join(reasons, ", "), Data: true}
		if len(reasons) == 0 {
			reasonCell.Text = l["none"]
		}
		ringS := r.RingNoAnswerS
		d.Rows = append(d.Rows, tableRow{Label: r.Display, Start: r.Agent, Cells: []cell{
			countCell("answered", r.Answered), waitCell("avg_talk_s", r.AvgTalk, l), maxTalk,
			countCell("ring_noanswer", r.RingNoAnswer),
			{Field: "ring_noanswer_s", Value: strconv.FormatFloat(ringS, 'f', -1, 64), Text: minSecText(ringS)},
			countCell("transferred", r.Transferred),
			secs("logged_in_s", r.LoggedInS), secs("paused_s", r.PausedS), secs("available_s", avail), secs("in_call_s", r.InCallS),
			ratioCell("occupancy", r.Occupancy, nil, l), ratioCell("fcr_rate", r.FCRRate, nil, l),
			countCell("stale_sessions", derefOr(r.StaleSessions)), reasonCell,
		}})
	}
	return nil
}

func derefOr(v *uint64) uint64 {
	if v == nil {
		return 0
	}
	return *v
}
