package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// WriteJSON writes rows as one JSON array of report rows (METRICS.md), an
// empty array for no rows, numbers as JSON numbers and null for null.
func WriteJSON(w io.Writer, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// csvColumns are the CSV header: the JSON names, in the order of METRICS.md,
// the columns that came later after the first contract's: the settings
// version, then partial and its span, which METRICS.md puts last.
var csvColumns = []string{
	"switch", "queue", "period", "period_start", "hours",
	"offered", "answered", "abandoned", "short_abandoned", "timeout", "exit_key", "exit_other", "unknown",
	"answered_within_sla", "abandoned_within_sla", "transferred",
	"service_level", "sla_formula", "sla_s", "short_abandon_s", "sla_target", "sla_met",
	"asa_s", "avg_wait_s", "max_wait_s", "p50_wait_s", "p90_wait_s", "p95_wait_s",
	"abandon_rate", "avg_talk_s", "dispositions", "fcr_rate", "fcr_target", "fcr_met",
	"settings_version", "settings_current",
	"partial", "counted_from", "counted_to",
}

// WriteCSV writes rows as CSV with a header of the JSON names; null (a
// ratio, or the settings version of a period nothing was counted in) is an
// empty cell, booleans are true/false, period_start, counted_from and
// counted_to are ISO 8601 with offset and numbers keep full precision; the
// columns of the thresholds asked for (AddThresholds) come last, an unknown
// figure an empty cell. With danish it is written the way a
// spreadsheet set to Danish opens it with a double click: a UTF-8 byte order
// mark (so æøå survive), ';' between fields, a decimal comma and CRLF line
// ends.
func WriteCSV(w io.Writer, rows []Row, danish bool) error {
	cw := csv.NewWriter(w)
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	if danish {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return err
		}
		cw.Comma, cw.UseCRLF = ';', true
		num = func(v float64) string { return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1) }
	}
	ptr := func(v *float64) string {
		if v == nil {
			return ""
		}
		return num(*v)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	b := func(v *bool) string {
		if v == nil {
			return ""
		}
		return strconv.FormatBool(*v)
	}
	str := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	ts := thresholdsOf(rows)
	slot := slotColumn(rows)
	header := append(slices.Clone(csvColumns), thresholdColumns(ts)...)
	if slot != "" {
		header = slices.Insert(header, slotAt, slot)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	cnt := func(v *uint64) string {
		if v == nil {
			return ""
		}
		return u(*v)
	}
	for i := range rows {
		r := &rows[i]
		rec := []string{
			SafeCSV(r.Switch), SafeCSV(r.Queue), r.Period, r.PeriodStart.Format(time.RFC3339), r.Hours,
			u(r.Offered), u(r.Answered), u(r.Abandoned), u(r.ShortAbandoned), u(r.Timeout), u(r.ExitKey), u(r.ExitOther), u(r.Unknown),
			u(r.AnsweredWithinSLA), u(r.AbandonedWithinSLA), u(r.Transferred),
			ptr(r.ServiceLevel), r.SLAFormula, strconv.Itoa(r.SLAS), strconv.Itoa(r.ShortAbandonS), num(r.SLATarget), b(r.SLAMet),
			ptr(r.ASA), ptr(r.AvgWait), u(r.MaxWaitS), ptr(r.P50Wait), ptr(r.P90Wait), ptr(r.P95Wait),
			ptr(r.AbandonRate), ptr(r.AvgTalk), u(r.Dispositions), ptr(r.FCRRate), num(r.FCRTarget), b(r.FCRMet),
			str(r.SettingsVersion), strconv.FormatBool(r.SettingsCurrent),
			strconv.FormatBool(r.Partial), r.CountedFrom.Format(time.RFC3339), r.CountedTo.Format(time.RFC3339),
		}
		for _, th := range r.Thresholds {
			rec = append(rec, cnt(th.AnsweredWithin), cnt(th.AbandonedWithin), ptr(th.ServiceLevel), b(th.SLAMet), ptr(th.AbandonedWithinRate))
		}
		if slot != "" {
			rec = slices.Insert(rec, slotAt, slotText(r))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// slotAt is where the column of a distribution's slot stands in the CSV
// and XLSX forms: after period.
const slotAt = 3

// slotColumn is the name of the column of the slot of a distribution's
// rows (hour_of_day or weekday), "" for the rows of periods.
func slotColumn(rows []Row) string {
	if len(rows) == 0 {
		return ""
	}
	switch {
	case rows[0].HourOfDay != nil:
		return "hour_of_day"
	case rows[0].Weekday != "":
		return "weekday"
	}
	return ""
}

// slotText is the slot of a distribution's row as the CSV writes it.
func slotText(r *Row) string {
	if r.HourOfDay != nil {
		return strconv.Itoa(*r.HourOfDay)
	}
	return r.Weekday
}

// SafeCSV is a text cell of a CSV that people open in a spreadsheet: a
// value a spreadsheet would take as a formula (starting with =, +, -, @, a
// tab or a carriage return) gets a leading single quote, as OWASP advises
// against CSV injection (a queue or caller name from a switch is anyone's
// input). A value that is a plain number ("-5", "+4512345678", "3,5") is
// left as it is: a spreadsheet reads it as the number it is. Every CSV
// writer of acdstat passes its text cells through it; the cells it writes
// itself from numbers need not.
func SafeCSV(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || plainNumber(s) {
		return s
	}
	return "'" + s
}

// csvCell is one cell of the CSV writers that take their columns as
// values (the calls of a drill-down, the systems' table): text through
// SafeCSV, times in RFC 3339, numbers as they are, and an unknown (nil)
// time, figure or flag as an empty cell.
func csvCell(v any) string {
	switch v := v.(type) {
	case string:
		return SafeCSV(v)
	case *time.Time:
		if v == nil {
			return ""
		}
		return v.Format(time.RFC3339)
	case *float64:
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	case *bool:
		if v == nil {
			return ""
		}
		return strconv.FormatBool(*v)
	default:
		return fmt.Sprint(v)
	}
}

// plainNumber says whether s is an optionally signed decimal number, with
// a point or a comma.
func plainNumber(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	digits, sep := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case (c == '.' || c == ',') && !sep && digits > 0 && i < len(s)-1:
			sep = true
		default:
			return false
		}
	}
	return digits > 0
}

// Marks in the table and Markdown forms, explained by their legend line.
const (
	markMet     = "✓"
	markMissed  = "✗"
	none        = "–" // no calls, or no dispositions: the ratio is null
	markPartial = "*" // after the period: the row counts part of it (Row.Partial)
	markOther   = "†" // after the period: counted with settings other than the current ones (Row.SettingsCurrent)
	markUnknown = "?" // a figure at a threshold that the period's counts cannot give (Threshold)
)

// layout is the monthly table of the source report: a header and one line of
// cells per row, shared by WriteTable and WriteMarkdown.
type layout struct {
	title  string
	header []string
	cells  [][]string
	legend []string
}

func newLayout(rows []Row) layout {
	var l layout
	if len(rows) == 0 {
		l.title = "no periods in the range"
		return l
	}
	r0 := &rows[0]
	name := r0.Queue
	if r0.Display != "" && r0.Display != r0.Queue {
		name = r0.Display + " (" + r0.Queue + ")"
	}
	hours := "all calls"
	if r0.Hours == "in" {
		hours = "calls in opening hours"
	}
	sw := "all switches"
	if r0.Switch != cdr.AllSwitches {
		sw = "switch " + r0.Switch
	}
	loc := r0.PeriodStart.Location()
	last := &rows[len(rows)-1]
	l.title = fmt.Sprintf("%s, %s, %s, per %s, %s to %s (%s)", name, sw, hours, r0.Period,
		periodLabel(r0.Period, r0.PeriodStart), periodLabel(last.Period, last.PeriodStart), loc)
	if slotColumn(rows) != "" {
		l.title = fmt.Sprintf("%s, %s, %s, per %s, %s to %s (%s)", name, sw, hours, strings.ReplaceAll(r0.Period, "-", " "),
			r0.CountedFrom.Format(spanLayout), r0.CountedTo.Format(spanLayout), loc)
	}
	l.header = []string{
		periodHeader(r0.Period), "Calls", "ASA (m:ss)", "Avg wait, all (m:ss)", "Abandoned",
		fmt.Sprintf("Within %s (target %s)", seconds(r0.SLAS), targetPct(r0.SLATarget)),
		fmt.Sprintf("First-contact res. (target %s)", targetPct(r0.FCRTarget)),
	}
	for _, th := range r0.Thresholds {
		l.header = append(l.header, "Within "+seconds(th.SLAS))
	}
	unknown := false
	var partial []string
	var other []string // the versions of the periods counted with other settings, in order
	otherPeriods := map[string][]string{}
	otherSLA := map[string]int{}
	for i := range rows {
		r := &rows[i]
		abandoned := strconv.FormatUint(r.Abandoned, 10)
		if r.AbandonRate != nil {
			abandoned += " (" + pct(*r.AbandonRate) + ")"
		}
		label := periodLabel(r.Period, r.PeriodStart)
		if slotColumn(rows) != "" {
			label = slotLabel(r)
		}
		if r.Partial {
			partial = append(partial, label+" counts "+r.CountedFrom.Format(spanLayout)+" to "+r.CountedTo.Format(spanLayout))
		}
		if !r.SettingsCurrent && r.SettingsVersion != nil {
			v := *r.SettingsVersion
			if _, ok := otherPeriods[v]; !ok {
				other = append(other, v)
				otherSLA[v] = r.SLAS
			}
			otherPeriods[v] = append(otherPeriods[v], periodLabel(r.Period, r.PeriodStart))
		}
		if r.Partial {
			label += markPartial
		}
		if !r.SettingsCurrent {
			label += markOther
		}
		cells := []string{
			label, strconv.FormatUint(r.Offered, 10),
			minSec(r.ASA), minSec(r.AvgWait), abandoned,
			againstTarget(r.ServiceLevel, r.SLAMet), againstTarget(r.FCRRate, r.FCRMet),
		}
		for _, th := range r.Thresholds {
			if th.AnsweredWithin == nil {
				cells = append(cells, markUnknown)
				unknown = true
				continue
			}
			cells = append(cells, againstTarget(th.ServiceLevel, th.SLAMet))
		}
		l.cells = append(l.cells, cells)
	}
	l.legend = []string{
		"ASA: average speed of answer, the wait of answered calls. Avg wait, all: the wait of every caller, abandoned ones included.",
		fmt.Sprintf("Within %s: service level by formula %s. %s target met, %s target missed, %s no calls (or no dispositions).",
			seconds(r0.SLAS), r0.SLAFormula, markMet, markMissed, none),
	}
	if len(r0.Thresholds) > 0 {
		l.legend = append(l.legend, fmt.Sprintf("Within 20 s and the like: the service level by formula %s at that wait, against the same target.", r0.SLAFormula))
	}
	if unknown {
		l.legend = append(l.legend, markUnknown+" Counted before the waits of answered and abandoned calls were kept apart: acdstat rebuild over the period counts them.")
	}
	if len(partial) > 0 {
		l.legend = append(l.legend, fmt.Sprintf("%s Part of the %s only, where the range starts or ends inside it: %s.",
			markPartial, r0.Period, strings.Join(partial, "; ")))
	}
	if len(other) > 0 {
		var parts []string
		for _, v := range other {
			parts = append(parts, fmt.Sprintf("%s with settings version %s (sla %s)", strings.Join(otherPeriods[v], ", "), v, seconds(otherSLA[v])))
		}
		l.legend = append(l.legend, fmt.Sprintf("%s Counted with settings other than the current version %s: %s; acdstat rebuild over them counts them with the current settings.",
			markOther, r0.CurrentVersion, strings.Join(parts, "; ")))
	}
	return l
}

// spanLayout writes the ends of a partial row's span: a date and a clock
// time with the zone's abbreviation, so the two 02:00s of an autumn
// daylight-saving day differ.
const spanLayout = "2006-01-02 15:04 MST"

// WriteTable writes rows as a terminal table that reads like the source
// report's monthly table: a row per period with calls offered, ASA, the
// average wait of all callers, abandoned calls, the service level and the
// first-contact resolution, each against its target (✓ met, ✗ missed), and
// a legend.
func WriteTable(w io.Writer, rows []Row) error {
	l := newLayout(rows)
	if _, err := fmt.Fprintf(w, "%s\n", l.title); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	line := func(cells []string) {
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	line(l.header)
	for _, c := range l.cells {
		line(c)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", strings.Join(l.legend, "\n"))
	return err
}

// WriteMarkdown writes the table of WriteTable as a Markdown (GFM) table,
// numbers aligned right, with its title and legend.
func WriteMarkdown(w io.Writer, rows []Row) error {
	l := newLayout(rows)
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n", mdEscape(l.title))
	if len(rows) > 0 {
		b.WriteString("\n| " + strings.Join(l.header, " | ") + " |\n|---|")
		b.WriteString(strings.Repeat("--:|", len(l.header)-1) + "\n")
		for _, c := range l.cells {
			esc := make([]string, len(c))
			for i, v := range c {
				esc[i] = mdEscape(v) // the partial mark is Markdown's emphasis
			}
			b.WriteString("| " + strings.Join(esc, " | ") + " |\n")
		}
		b.WriteString("\n")
		for _, s := range l.legend {
			b.WriteString(mdEscape(s) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape keeps a queue name from turning into Markdown syntax.
func mdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, `|`, `\|`, "`", "\\`", "<", `\<`).Replace(s)
}

func periodHeader(period string) string {
	switch period {
	case "15m":
		return "15 minutes"
	case cdr.ByHourOfDay:
		return "Hour of day"
	case cdr.ByWeekday:
		return "Weekday"
	case "":
		return "Period"
	}
	return strings.ToUpper(period[:1]) + period[1:]
}

// periodLabel names a period the way people write it; hours and quarter
// hours carry the zone's abbreviation, so the two 02:00 hours of an autumn
// daylight-saving day differ (02:00 CEST, 02:00 CET).
func periodLabel(period string, start time.Time) string {
	switch period {
	case "year":
		return start.Format("2006")
	case "quarter":
		return fmt.Sprintf("%d Q%d", start.Year(), (int(start.Month())-1)/3+1)
	case "month":
		return start.Format("2006-01")
	case "day":
		return start.Format("2006-01-02")
	}
	return start.Format("2006-01-02 15:04 MST")
}

// slotLabel names the slot of a distribution's row: "08:00–09:00" or
// "Monday".
func slotLabel(r *Row) string {
	if r.HourOfDay != nil {
		return fmt.Sprintf("%02d:00–%02d:00", *r.HourOfDay, (*r.HourOfDay+1)%24)
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if cdr.WeekdayNames[d] == r.Weekday {
			return d.String()
		}
	}
	return r.Weekday
}

// minSec formats seconds as m:ss (h:mm:ss from an hour), rounded to the
// second, or "–" for null.
func minSec(v *float64) string {
	if v == nil {
		return none
	}
	s := int64(math.Round(*v))
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// pct formats a fraction as a percentage with one decimal ("85.3 %").
func pct(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/10, 'f', 1, 64) + " %"
}

// targetPct formats a target, which people set in whole percent, without
// needless decimals ("80 %", "82.5 %").
func targetPct(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + " %"
}

func againstTarget(v *float64, met *bool) string {
	if v == nil {
		return none
	}
	mark := markMet
	if met != nil && !*met {
		mark = markMissed
	}
	return pct(*v) + " " + mark
}

// seconds names a duration setting: "5 min" for 300, "45 s" for 45.
func seconds(s int) string {
	if s > 0 && s%60 == 0 {
		return strconv.Itoa(s/60) + " min"
	}
	return strconv.Itoa(s) + " s"
}
