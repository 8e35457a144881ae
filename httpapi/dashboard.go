package httpapi

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/report"
)

// labels holds every text of the dashboard, per language (?lang=en|da). A
// test walks them: every language has every label, with the same fmt
// verbs, and the Danish page shows no English word. "decimal" is the
// language's decimal mark; "formula_*" say each SLA formula in words,
// with the threshold (%[1]s) and the short-abandon limit (%[2]s).
var labels = map[string]map[string]string{
	"en": {
		"title": "acdstat", "desk": "Desk", "year": "Year", "hours": "Calls", "hours_all": "all calls", "hours_in": "in opening hours",
		"switch": "Switch", "all_switches": "all switches", "show": "Show",
		"calls_title": "Calls per month", "calls_note": "Bars: calls offered. Lines: abandoned calls (left axis); ASA, the average wait of answered calls, and the average wait of all callers (right axis, m:ss). A month without calls has no points.",
		"offered": "Calls offered", "abandoned": "Abandoned", "asa": "ASA", "avg_wait": "Average wait, all callers",
		"sla_title": "Answered within %s", "sla_note": "Service level: %s. The dashed line is the %s target.",
		"formula_offered_excl_short": "calls answered within %[1]s, out of the calls offered less those that hung up in under %[2]s",
		"formula_offered":            "calls answered within %[1]s, out of all calls offered",
		"formula_answered":           "calls answered within %[1]s, out of the calls answered",
		"formula_answered_abandoned": "calls answered within %[1]s, out of the calls answered or abandoned",
		"formula_abandoned_after":    "calls answered within %[1]s, out of the calls answered or abandoned after %[1]s",
		"formula_positive":           "calls answered or abandoned within %[1]s, out of the calls answered or abandoned",
		"service_level":              "Service level", "answered_within_sla": "Answered within", "target": "target",
		"fcr_title": "First-contact resolution", "fcr_note": "Share of answered calls with a disposition that were resolved at first contact; the dashed line is the %s target.",
		"fcr_rate": "First-contact resolution", "dispositions": "Dispositions", "no_dispositions": "no dispositions yet",
		"today_title": "Today, per 15 minutes", "waiting_now": "Calls waiting now", "waiting_since": "longest waiting since",
		"sl_today": "Service level so far today", "offered_today": "Calls offered today",
		"settings": "Settings version", "other_settings": "† Counted with settings other than the current version %s: acdstat rebuild counts these months again with the current settings.",
		"period": "Month", "time": "Time", "met": "met", "missed": "missed", "none": "–",
		"no_queues": "No queues yet: send queue_log lines to /v1/ingest/queue_log or list queues in a queue file and apply it (acdstat settings apply FILE).",
		"error":     "Cannot read the figures", "download": "The same figures as", "numbers": "Numbers",
		"document":      "The quarter that ended last as a document",
		"months":        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
		"decimal":       ".",
		"systems_title": "System response times", "systems_period": "Month", "agreed_level": "Agreed level", "systems_met": "Meeting their level",
		"systems_note": "Share of timed actions within their threshold, averaged over the locations, against each system's agreed level: ✓ meets it, ✗ does not (compared at the two decimals shown). N/A: no measurements.",
		"met_of":       "%d of %d", "na": "N/A",
		"by_hour_title": "Calls by hour of day, %s", "by_weekday_title": "Calls by weekday, %s",
		"by_note": "The year's calls by the local hour or weekday they joined in. Bars: calls offered; line: abandoned calls. Every number opens the calls behind it.",
		"hour":    "Hour", "weekday": "Weekday", "weekdays": "Mon Tue Wed Thu Fri Sat Sun",
	},
	"da": {
		"title": "acdstat", "desk": "Kø", "year": "År", "hours": "Opkald", "hours_all": "alle opkald", "hours_in": "i åbningstiden",
		"switch": "Central", "all_switches": "alle centraler", "show": "Vis",
		"calls_title": "Opkald pr. måned", "calls_note": "Søjler: modtagne opkald. Linjer: afbrudte opkald (venstre akse); gennemsnitlig ventetid for besvarede opkald og for alle opkald (højre akse, m:ss). En måned uden opkald har ingen punkter.",
		"offered": "Modtagne opkald", "abandoned": "Afbrudte", "asa": "Gns. ventetid, besvarede", "avg_wait": "Gns. ventetid, alle opkald",
		"sla_title": "Besvaret inden for %s", "sla_note": "Serviceniveau: %s. Den stiplede linje er målet på %s.",
		"formula_offered_excl_short": "opkald besvaret inden for %[1]s ud af de modtagne opkald, fraregnet dem der lagde på inden for %[2]s",
		"formula_offered":            "opkald besvaret inden for %[1]s ud af alle modtagne opkald",
		"formula_answered":           "opkald besvaret inden for %[1]s ud af de besvarede opkald",
		"formula_answered_abandoned": "opkald besvaret inden for %[1]s ud af de besvarede og afbrudte opkald",
		"formula_abandoned_after":    "opkald besvaret inden for %[1]s ud af de besvarede opkald og dem der blev afbrudt efter %[1]s",
		"formula_positive":           "opkald besvaret eller afbrudt inden for %[1]s ud af de besvarede og afbrudte opkald",
		"service_level":              "Serviceniveau", "answered_within_sla": "Besvaret inden for", "target": "mål",
		"fcr_title": "Straksafklaring", "fcr_note": "Andel af besvarede opkald med en afslutningskode, der blev løst ved første kontakt; den stiplede linje er målet på %s.",
		"fcr_rate": "Straksafklaring", "dispositions": "Afslutningskoder", "no_dispositions": "ingen afslutningskoder endnu",
		"today_title": "I dag, pr. 15 minutter", "waiting_now": "Opkald i kø nu", "waiting_since": "længst ventende siden",
		"sl_today": "Serviceniveau i dag indtil nu", "offered_today": "Modtagne opkald i dag",
		"settings": "Indstillingsversion", "other_settings": "† Optalt med andre indstillinger end den nuværende version %s: acdstat rebuild optæller disse måneder igen med de nuværende indstillinger.",
		"period": "Måned", "time": "Tid", "met": "nået", "missed": "ikke nået", "none": "–",
		"no_queues": "Ingen køer endnu: send queue_log-linjer til /v1/ingest/queue_log eller angiv køerne i en køfil og anvend den (acdstat settings apply FIL).",
		"error":     "Kan ikke læse tallene", "download": "De samme tal som", "numbers": "Tal",
		"document":      "Det seneste afsluttede kvartal som dokument",
		"months":        "jan feb mar apr maj jun jul aug sep okt nov dec",
		"decimal":       ",",
		"systems_title": "Svartider for systemer", "systems_period": "Måned", "agreed_level": "Aftalt niveau", "systems_met": "Når niveauet",
		"systems_note": "Andel af tidsmålte handlinger inden for grænsen, gennemsnit af lokationerne, mod systemets aftalte niveau: ✓ nået, ✗ ikke nået (sammenlignet med de viste decimaler). N/A: ingen målinger.",
		"met_of":       "%d af %d", "na": "N/A",
		"by_hour_title": "Opkald pr. klokkeslæt, %s", "by_weekday_title": "Opkald pr. ugedag, %s",
		"by_note": "Årets opkald efter det lokale klokkeslæt eller den ugedag, de kom i kø. Søjler: modtagne opkald; linje: afbrudte opkald. Hvert tal åbner opkaldene bag det.",
		"hour":    "Klokkeslæt", "weekday": "Ugedag", "weekdays": "man tir ons tor fre lør søn",
	},
}

// formulaText says an SLA formula in words in the language of l, with the
// queue's threshold slaS and short-abandon limit shortS; an unknown
// formula (config refuses them) is its id.
func formulaText(formula string, slaS, shortS int, l map[string]string) string {
	f, ok := l["formula_"+formula]
	if !ok {
		return formula
	}
	return fmt.Sprintf(f, secondsText(slaS), secondsText(shortS))
}

// cell is one number of a table under a chart: Field is its report-row
// name and Value its exact value (empty for null) in data attributes, so a
// test can compare the page with GET /v1/report; Text is what people read.
type cell struct {
	Field, Value, Text string
	Class              string
	Data               bool   // a name or a hash, not a word of the page's language (translate="no")
	Href               string // the page of the calls behind the number (/calls), where it has one
}

type tableRow struct {
	Label, Start string
	Slot         string // the hour (00–23) or weekday (mon…sun) of a distribution's row
	Cells        []cell
}

// drillLinks make the links from a page's numbers to the calls behind
// them (/calls, METRICS.md "Drill-down"): the queue, switch, hours and
// language of the page, and the range a row counts.
type drillLinks url.Values

// href is the page of the calls of r's range that kv (name, value, …)
// keeps.
func (d drillLinks) href(r *report.Row, kv ...string) string {
	q := url.Values{}
	for k, v := range d {
		q[k] = v
	}
	q.Set("from", r.CountedFrom.Format(time.RFC3339))
	q.Set("to", r.CountedTo.Format(time.RFC3339))
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return "/calls?" + q.Encode()
}

// to links c to href.
func (c cell) to(href string) cell {
	c.Href = href
	return c
}

type legendItem struct{ Class, Name string }

type panel struct {
	ID, Title, Note string
	Formula         string // the SLA formula's id, in data-formula
	SVG             template.HTML
	Legend          []legendItem
	Header          []string
	Rows            []tableRow
	Empty           string // shown instead of the chart when set
	Numbers         string // the title of the table of numbers
}

type option struct {
	Value, Text string
	Selected    bool
}

type dashboardData struct {
	Lang, Err, NoQueues string
	L                   map[string]string
	Queues, Years       []option
	Hours               []option
	Switch              string
	Desk, Zone          string
	Panels              []panel
	Today               *todayData
	APIURL              string
	Systems             *systemsSection // systems.go; nil where no system has figures
}

type todayData struct {
	Date                 string
	Waiting              int
	WaitingSince         string
	Offered              uint64
	OfferedHref          string
	ServiceLevel         cell
	Panel                panel
	HasCalls, HasWaiting bool
}

func f64(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func u64(v uint64) *float64 { f := float64(v); return &f }

// decimal writes the decimal point of s as l's decimal mark.
func decimal(s string, l map[string]string) string {
	return strings.Replace(s, ".", l["decimal"], 1)
}

// pctText formats a fraction as a percentage with one decimal ("85.3 %",
// in Danish "85,3 %").
func pctText(l map[string]string) func(float64) string {
	return func(v float64) string {
		return decimal(strconv.FormatFloat(math.Round(v*1000)/10, 'f', 1, 64), l) + " %"
	}
}

// targetText formats a target, or an axis tick, without needless decimals
// ("80 %", "82.5 %").
func targetText(l map[string]string) func(float64) string {
	return func(v float64) string {
		return decimal(strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64), l) + " %"
	}
}

// minSecText formats seconds as m:ss, or h:mm:ss from an hour
// (report.MinSec, which the quarterly document writes too).
func minSecText(v float64) string { return report.MinSec(v) }

func countCell(field string, v uint64) cell {
	return cell{Field: field, Value: strconv.FormatUint(v, 10), Text: strconv.FormatUint(v, 10)}
}

func ratioCell(field string, v *float64, met *bool, l map[string]string) cell {
	c := cell{Field: field, Value: f64(v), Text: l["none"]}
	if v != nil {
		c.Text = pctText(l)(*v)
		if met != nil {
			if *met {
				c.Text += " ✓"
				c.Class = "met"
			} else {
				c.Text += " ✗"
				c.Class = "missed"
			}
		}
	}
	return c
}

func waitCell(field string, v *float64, l map[string]string) cell {
	c := cell{Field: field, Value: f64(v), Text: l["none"]}
	if v != nil {
		c.Text = minSecText(*v)
	}
	return c
}

// settingsCell is the settings version a row was counted with, marked †
// where it is not the current one (report.Row.SettingsCurrent); "–" where
// nothing was counted.
func settingsCell(r report.Row, l map[string]string) cell {
	c := cell{Field: "settings_version", Text: l["none"], Data: true}
	if r.SettingsVersion != nil {
		c.Value, c.Text = *r.SettingsVersion, *r.SettingsVersion
	}
	if !r.SettingsCurrent {
		c.Text += " †"
		c.Class = "other"
	}
	return c
}

func secondsText(s int) string {
	if s > 0 && s%60 == 0 {
		return strconv.Itoa(s/60) + " min"
	}
	return strconv.Itoa(s) + " s"
}

// dashboard serves GET /?queue=Q&year=Y&switch=S&hours=all|in&lang=en|da:
// the source report's charts per desk and month, and today per 15 minutes.
func (a *API) dashboard(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	lang := v.Get("lang")
	if _, ok := labels[lang]; !ok {
		lang = "en"
	}
	l := labels[lang]
	d := dashboardData{Lang: lang, L: l, Switch: v.Get("switch")}
	status := http.StatusOK
	err := a.fillDashboard(r.Context(), &d, v)
	if err == nil {
		err = a.fillSystems(r.Context(), &d, v)
	}
	if err != nil {
		d.Err = err.Error()
		status = http.StatusServiceUnavailable
		if ue, ok := err.(*userError); ok {
			status = ue.status
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := dashboardPage.Execute(w, d); err != nil {
		a.log.Warn("cannot render the dashboard", "err", err)
	}
}

func (a *API) fillDashboard(ctx context.Context, d *dashboardData, v url.Values) error {
	l := d.L
	sw, err := askSwitch(ctx, d.Switch)
	if err != nil {
		return err
	}
	qs, err := a.settings.Settings(ctx)
	if err != nil {
		return err
	}
	known, _, err := a.knownQueues(ctx, qs)
	if err != nil {
		return err
	}
	if len(known) == 0 {
		d.NoQueues = l["no_queues"]
		return nil
	}
	name := v.Get("queue")
	if name == "" {
		name = known[0]
	}
	q, err := a.queueOf(ctx, qs, name)
	if err != nil {
		return err
	}
	for _, n := range known {
		text := qs.Queue(n).Display
		if text == "" {
			text = n
		}
		d.Queues = append(d.Queues, option{Value: n, Text: text, Selected: n == name})
	}
	d.Desk, d.Zone = q.Display, q.Location.String()
	if d.Desk == "" {
		d.Desk = q.Name
	}
	now := a.now().In(q.Location)
	year := now.Year()
	if s := v.Get("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || y < 1970 || y > 9999 {
			return badRequest("year must be a year such as %d; got %q", now.Year(), s)
		}
		year = y
	}
	hours := v.Get("hours")
	if hours != "in" {
		hours = "all"
	}
	d.Hours = []option{{"all", l["hours_all"], hours == "all"}, {"in", l["hours_in"], hours == "in"}}
	years, err := a.dataYears(ctx, q, sw, now)
	if err != nil {
		return err
	}
	for _, y := range years {
		d.Years = append(d.Years, option{Value: strconv.Itoa(y), Text: strconv.Itoa(y), Selected: y == year})
	}
	if !slices.Contains(years, year) {
		// A year asked for by hand stays chosen, so the selector shows
		// which year the page is.
		d.Years = append(d.Years, option{Value: strconv.Itoa(year), Text: strconv.Itoa(year), Selected: true})
		slices.SortFunc(d.Years, func(a, b option) int { return strings.Compare(b.Value, a.Value) })
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, q.Location)
	to := time.Date(year+1, 1, 1, 0, 0, 0, 0, q.Location)
	rows, err := a.reportRows(ctx, q, qs.Version, sw, cdr.PeriodMonth, hours, from, to)
	if err != nil {
		return err
	}
	api := url.Values{"queue": {q.Name}, "period": {cdr.PeriodMonth}, "from": {from.Format("2006-01-02")}, "to": {to.Format("2006-01-02")}, "hours": {hours}}
	if d.Switch != "" {
		api.Set("switch", d.Switch)
	}
	d.APIURL = "/v1/report?" + api.Encode()
	links := drillLinks{"queue": {q.Name}, "hours": {hours}, "lang": {d.Lang}}
	if d.Switch != "" {
		links["switch"] = []string{d.Switch}
	}
	d.Panels = monthPanels(rows, l, links)
	for _, by := range cdr.Bys {
		sums, err := a.src.Counts.DistributionRollups(ctx, sw, q.Name, by, from, to, hours == "in", q.Location)
		if err != nil {
			return err
		}
		drows, err := report.BuildDistribution(q, qs.Version, sw, by, hours, from, to, sums)
		if err != nil {
			return err
		}
		d.Panels = append(d.Panels, distributionPanel(by, year, drows, l, links))
	}
	desk, err := a.deskPanels(ctx, qs, q, year, d.Lang, l)
	if err != nil {
		return err
	}
	d.Panels = append(d.Panels, desk...)

	if year == now.Year() {
		t, err := a.today(ctx, q, qs.Version, sw, hours, now, l, links)
		if err != nil {
			return err
		}
		d.Today = t
	}
	return nil
}

// dataYears returns the local years, newest first, in which queue q has
// calls of switch sw (cdr.AllSwitches: of any), and the year of now in
// any case: the year selector offers no year without figures.
func (a *API) dataYears(ctx context.Context, q cdr.QueueSettings, sw string, now time.Time) ([]int, error) {
	// From the epoch to the end of this year: calls further ahead are
	// refused at intake.
	sums, err := a.src.Counts.PeriodRollups(ctx, sw, q.Name, cdr.PeriodYear, time.Unix(0, 0), time.Date(now.Year()+1, 1, 1, 0, 0, 0, 0, q.Location), false)
	if err != nil {
		return nil, err
	}
	years := []int{now.Year()}
	for start, r := range sums {
		y := start.In(q.Location).Year()
		if r.Counts.Offered > 0 && !slices.Contains(years, y) {
			years = append(years, y)
		}
	}
	slices.SortFunc(years, func(a, b int) int { return b - a })
	return years, nil
}

func monthPanels(rows []report.Row, l map[string]string, links drillLinks) []panel {
	months := strings.Fields(l["months"])
	var labelsX []string
	var offered, abandoned, asa, avgWait, sl, fcr []*float64
	var dispositions uint64
	for _, r := range rows {
		labelsX = append(labelsX, months[r.PeriodStart.Month()-1])
		// A month without calls has no abandoned calls to draw: its
		// point is left out and the line breaks, rather than running
		// along zero through months without figures (future ones too).
		var ab *float64
		if r.Offered > 0 {
			ab = u64(r.Abandoned)
		}
		offered, abandoned = append(offered, u64(r.Offered)), append(abandoned, ab)
		asa, avgWait = append(asa, r.ASA), append(avgWait, r.AvgWait)
		sl, fcr = append(sl, r.ServiceLevel), append(fcr, r.FCRRate)
		dispositions += r.Dispositions
	}
	if len(rows) == 0 {
		return nil
	}
	r0 := rows[0]
	count := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	calls := panel{ID: "calls", Title: l["calls_title"], Note: l["calls_note"],
		Legend: []legendItem{{"s-offered", l["offered"]}, {"s-abandoned", l["abandoned"]}, {"s-asa", l["asa"]}, {"s-wait", l["avg_wait"]}},
		Header: []string{l["period"], l["offered"], l["abandoned"], l["asa"], l["avg_wait"]},
	}
	calls.SVG = chart{ID: calls.ID, Title: l["calls_title"], Labels: labelsX,
		Left:  axis{Kind: axisCount, Fmt: count, Tick: count},
		Right: axis{Kind: axisSeconds, Fmt: minSecText, Tick: minSecText}, Series: []series{
			{Name: l["offered"], Class: "s-offered", Bar: true, Values: offered},
			{Name: l["abandoned"], Class: "s-abandoned", Values: abandoned},
			{Name: l["asa"], Class: "s-asa", Right: true, Values: asa},
			{Name: l["avg_wait"], Class: "s-wait", Right: true, Dashed: true, Values: avgWait},
		}}.SVG()
	target := r0.SLATarget
	pct, tgt := pctText(l), targetText(l)
	share := axis{Kind: axisShare, Max: 1, Fmt: pct, Tick: tgt}
	slp := panel{ID: "sla", Title: fmt.Sprintf(l["sla_title"], secondsText(r0.SLAS)), Formula: r0.SLAFormula,
		Note:   fmt.Sprintf(l["sla_note"], formulaText(r0.SLAFormula, r0.SLAS, r0.ShortAbandonS, l), tgt(target)),
		Legend: []legendItem{{"s-sl", l["service_level"]}, {"s-target", l["target"] + " " + tgt(target)}},
		Header: []string{l["period"], l["service_level"], l["answered_within_sla"] + " " + secondsText(r0.SLAS), l["offered"], l["settings"]},
	}
	for _, r := range rows {
		if !r.SettingsCurrent {
			slp.Note += " " + fmt.Sprintf(l["other_settings"], r.CurrentVersion)
			break
		}
	}
	slp.SVG = chart{ID: slp.ID, Title: slp.Title, Labels: labelsX, Left: share, Target: &target, TargetName: l["target"], TargetValue: tgt(target),
		Series: []series{{Name: l["service_level"], Class: "s-sl", Bar: true, Values: sl}}}.SVG()
	fcrTarget := r0.FCRTarget
	fp := panel{ID: "fcr", Title: l["fcr_title"], Note: fmt.Sprintf(l["fcr_note"], tgt(fcrTarget)),
		Legend: []legendItem{{"s-fcr", l["fcr_rate"]}, {"s-target", l["target"] + " " + tgt(fcrTarget)}},
		Header: []string{l["period"], l["fcr_rate"], l["dispositions"]},
	}
	if dispositions == 0 {
		fp.Empty = l["no_dispositions"]
	} else {
		fp.SVG = chart{ID: fp.ID, Title: fp.Title, Labels: labelsX, Left: share, Target: &fcrTarget, TargetName: l["target"], TargetValue: tgt(fcrTarget),
			Series: []series{{Name: l["fcr_rate"], Class: "s-fcr", Bar: true, Values: fcr}}}.SVG()
	}
	for i, r := range rows {
		start := r.PeriodStart.Format(time.RFC3339)
		calls.Rows = append(calls.Rows, tableRow{Label: labelsX[i], Start: start, Cells: []cell{
			countCell("offered", r.Offered).to(links.href(&r)),
			countCell("abandoned", r.Abandoned).to(links.href(&r, "outcome", "abandoned")),
			waitCell("asa_s", r.ASA, l).to(links.href(&r, "outcome", "answered", "sort", "-wait_s")),
			waitCell("avg_wait_s", r.AvgWait, l).to(links.href(&r, "sort", "-wait_s"))}})
		slp.Rows = append(slp.Rows, tableRow{Label: labelsX[i], Start: start, Cells: []cell{
			ratioCell("service_level", r.ServiceLevel, r.SLAMet, l).to(links.href(&r, "sort", "-wait_s")),
			countCell("answered_within_sla", r.AnsweredWithinSLA).to(links.href(&r, "outcome", "answered", "wait_upto", strconv.Itoa(r.SLAS))),
			countCell("offered", r.Offered).to(links.href(&r)),
			settingsCell(r, l)}})
		fp.Rows = append(fp.Rows, tableRow{Label: labelsX[i], Start: start, Cells: []cell{
			ratioCell("fcr_rate", r.FCRRate, r.FCRMet, l).to(links.href(&r, "disposition", "given")),
			countCell("dispositions", r.Dispositions).to(links.href(&r, "disposition", "given"))}})
	}
	calls.Numbers, slp.Numbers, fp.Numbers = l["numbers"], l["numbers"], l["numbers"]
	return []panel{calls, slp, fp}
}

// today reads today's 15-minute rows, the day so far and the calls waiting
// now.
func (a *API) today(ctx context.Context, q cdr.QueueSettings, current, sw, hours string, now time.Time, l map[string]string, links drillLinks) (*todayData, error) {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, q.Location)
	next := day.AddDate(0, 0, 1)
	rows, err := a.reportRows(ctx, q, current, sw, cdr.Period15m, hours, day, next)
	if err != nil {
		return nil, err
	}
	dayRows, err := a.reportRows(ctx, q, current, sw, cdr.PeriodDay, hours, day, next)
	if err != nil {
		return nil, err
	}
	n, since, err := a.src.Callbacks.WaitingNow(ctx, sw, q.Name, day)
	if err != nil {
		return nil, err
	}
	t := &todayData{Date: day.Format("2006-01-02"), Waiting: n, HasWaiting: n > 0}
	if n > 0 {
		t.WaitingSince = since.In(q.Location).Format("15:04:05")
	}
	if len(dayRows) == 1 {
		t.Offered, t.OfferedHref = dayRows[0].Offered, links.href(&dayRows[0])
		t.ServiceLevel = ratioCell("service_level", dayRows[0].ServiceLevel, dayRows[0].SLAMet, l).to(links.href(&dayRows[0], "sort", "-wait_s"))
	}
	var labelsX []string
	var sl []*float64
	for _, r := range rows {
		labelsX = append(labelsX, r.PeriodStart.Format("15:04"))
		sl = append(sl, r.ServiceLevel)
	}
	target, tgt := q.SLATarget, targetText(l)
	p := panel{ID: "today", Title: l["today_title"],
		Legend: []legendItem{{"s-sl", l["service_level"]}, {"s-target", l["target"] + " " + tgt(target)}},
		Header: []string{l["time"], l["offered"], l["answered_within_sla"] + " " + secondsText(q.SLAS), l["service_level"]},
	}
	p.SVG = chart{ID: p.ID, Title: p.Title, Labels: labelsX, Left: axis{Kind: axisShare, Max: 1, Fmt: pctText(l), Tick: tgt},
		Target: &target, TargetName: l["target"], TargetValue: tgt(target),
		Series: []series{{Name: l["service_level"], Class: "s-sl", Bar: true, Values: sl}}}.SVG()
	for i, r := range rows {
		if r.Offered == 0 {
			continue
		}
		t.HasCalls = true
		p.Rows = append(p.Rows, tableRow{Label: labelsX[i], Start: r.PeriodStart.Format(time.RFC3339), Cells: []cell{
			countCell("offered", r.Offered).to(links.href(&r)),
			countCell("answered_within_sla", r.AnsweredWithinSLA).to(links.href(&r, "outcome", "answered", "wait_upto", strconv.Itoa(r.SLAS))),
			ratioCell("service_level", r.ServiceLevel, r.SLAMet, l).to(links.href(&r, "sort", "-wait_s"))}})
	}
	p.Numbers = l["numbers"]
	t.Panel = p
	return t, nil
}

// distributionPanel is the panel of the year's calls by hour of day or
// weekday (by, cdr.Bys; rows of report.BuildDistribution): offered calls
// as bars and abandoned calls as a line, and a table of offered,
// abandoned, answered within sla_s and the service level per slot, each
// number linked to the calls behind it (that slot's calls of the year).
func distributionPanel(by string, year int, rows []report.Row, l map[string]string, links drillLinks) panel {
	p := panel{ID: strings.ReplaceAll(by, "-", "_"), Note: l["by_note"], Numbers: l["numbers"],
		Legend: []legendItem{{"s-offered", l["offered"]}, {"s-abandoned", l["abandoned"]}}}
	head, slot := l["hour"], func(r *report.Row) (string, string, string) {
		h := fmt.Sprintf("%02d", *r.HourOfDay)
		return h, h, strconv.Itoa(*r.HourOfDay)
	}
	p.Title = fmt.Sprintf(l["by_hour_title"], strconv.Itoa(year))
	if by == cdr.ByWeekday {
		days := strings.Fields(l["weekdays"])
		head, slot = l["weekday"], func(r *report.Row) (string, string, string) {
			for i, name := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
				if name == r.Weekday {
					return days[i], name, name
				}
			}
			return r.Weekday, r.Weekday, r.Weekday
		}
		p.Title = fmt.Sprintf(l["by_weekday_title"], strconv.Itoa(year))
	}
	param := strings.ReplaceAll(by, "-", "_")
	if len(rows) == 0 {
		return p
	}
	p.Header = []string{head, l["offered"], l["abandoned"], l["answered_within_sla"] + " " + secondsText(rows[0].SLAS), l["service_level"]}
	var labelsX []string
	var offered, abandoned []*float64
	for i := range rows {
		r := &rows[i]
		label, key, value := slot(r)
		labelsX = append(labelsX, label)
		var ab *float64
		if r.Offered > 0 {
			ab = u64(r.Abandoned)
		}
		offered, abandoned = append(offered, u64(r.Offered)), append(abandoned, ab)
		p.Rows = append(p.Rows, tableRow{Label: label, Slot: key, Cells: []cell{
			countCell("offered", r.Offered).to(links.href(r, param, value)),
			countCell("abandoned", r.Abandoned).to(links.href(r, param, value, "outcome", "abandoned")),
			countCell("answered_within_sla", r.AnsweredWithinSLA).to(links.href(r, param, value, "outcome", "answered", "wait_upto", strconv.Itoa(r.SLAS))),
			ratioCell("service_level", r.ServiceLevel, r.SLAMet, l).to(links.href(r, param, value, "sort", "-wait_s"))}})
	}
	count := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	p.SVG = chart{ID: p.ID, Title: p.Title, Labels: labelsX, Left: axis{Kind: axisCount, Fmt: count, Tick: count}, Series: []series{
		{Name: l["offered"], Class: "s-offered", Bar: true, Values: offered},
		{Name: l["abandoned"], Class: "s-abandoned", Values: abandoned},
	}}.SVG()
	return p
}
