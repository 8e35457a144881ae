package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acdstat/acdstat/cdr"
)

// System response-time compliance (METRICS.md, "System response-time
// compliance"): the table of the first customer's report, systems × months
// (or days), each cell the system's figure at two decimals of a percent
// against its agreed level (✓ met, ✗ not), N/A where the period has no
// figure, and per period the count of systems that meet their level. The
// figures are the systems job's stored rows (cdr.SystemRow); this file
// only lays them out, for the API, acdstat report --systems and the
// dashboard alike.

// MaxSystemPeriods bounds the periods of one systems table: three years of
// days, or a century of months; more is a mistyped range.
const MaxSystemPeriods = 1100

// SystemInfo is one system of a systems table, as the current queue
// settings give it: its key, its name for people, its agreed level (a
// fraction; null where the settings give none) and its zone.
type SystemInfo struct {
	System      string   `json:"system"`
	Name        string   `json:"name"`
	AgreedLevel *float64 `json:"agreed_level"`
	Zone        string   `json:"zone"`
}

// SystemPeriod is the report's reading of one period ("8 of 12 systems
// meet their agreed level"): the systems of the table, those with a figure,
// those of them judged (with a figure and an agreed level) and those that
// meet it.
type SystemPeriod struct {
	Label   string `json:"label"`
	Systems int    `json:"systems"`
	Figures int    `json:"with_figure"`
	Judged  int    `json:"judged"`
	Met     int    `json:"met"`
}

// SystemRow is one cell of the table: one system in one period. Compliance
// is the value shown, the figure rounded half up to hundredths of a
// percent, as a fraction (0.9972 is 99.72 %); it, Met and
// PooledCompliance are null where the period has no figure (N/A). Met is
// also null where the system has no agreed level. AgreedLevel is the level
// the figure was judged against (the settings it was counted with), or the
// current settings' where there is no figure. PeriodStart is the local
// start, ISO 8601 with its offset, in the system's zone.
type SystemRow struct {
	System            string   `json:"system"`
	Name              string   `json:"name"`
	Period            string   `json:"period"`
	Label             string   `json:"label"`
	PeriodStart       string   `json:"period_start"`
	Compliance        *float64 `json:"compliance"`
	AgreedLevel       *float64 `json:"agreed_level"`
	Met               *bool    `json:"met"`
	Locations         int      `json:"locations"`
	ImportedLocations int      `json:"imported_locations"`
	Measured          uint64   `json:"measured"`
	Within            uint64   `json:"within"`
	Unjudged          uint64   `json:"unjudged"`
	PooledCompliance  *float64 `json:"pooled_compliance"`
	SettingsVersion   string   `json:"settings_version"`
}

// SystemsTable is a systems table: its period (day or month), its systems
// in the order of the queue file (then those with figures that the file
// does not list, by key), the reading of each period, and a row per
// period and system, in that order.
type SystemsTable struct {
	Period  string         `json:"period"`
	Systems []SystemInfo   `json:"systems"`
	Periods []SystemPeriod `json:"periods"`
	Rows    []SystemRow    `json:"rows"`
}

// SystemLabels turns a systems table's from and to into the labels of its
// periods, from included, to excluded: months (period month, "2016-10")
// or days (period day, "2016-10-03"). A month is given as YYYY-MM (or its
// first day); a day as YYYY-MM-DD (YYYY-MM is its first day). The defaults
// are January of the year of to, and the period after the one holding now
// (in Europe/Copenhagen, the zone of a system the queue file does not list). Errors are *RangeError.
func SystemLabels(period, fromArg, toArg string, now time.Time) ([]string, error) {
	if period != cdr.PeriodMonth && period != cdr.PeriodDay {
		return nil, &RangeError{"period", fmt.Sprintf("must be %s or %s; got %q", cdr.PeriodMonth, cdr.PeriodDay, period)}
	}
	parse := func(field, s string) (time.Time, error) {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			if t, err = time.Parse("2006-01", s); err != nil {
				return t, &RangeError{field, fmt.Sprintf("must be a month YYYY-MM or a day YYYY-MM-DD; got %q", s)}
			}
		}
		if period == cdr.PeriodMonth && t.Day() != 1 {
			return t, &RangeError{field, fmt.Sprintf("%s is not the first day of a month: give the month, %s", s, t.Format("2006-01"))}
		}
		return t, nil
	}
	next := func(t time.Time) time.Time {
		if period == cdr.PeriodMonth {
			return t.AddDate(0, 1, 0)
		}
		return t.AddDate(0, 0, 1)
	}
	var from, to time.Time
	var err error
	if toArg != "" {
		if to, err = parse("to", toArg); err != nil {
			return nil, err
		}
	} else {
		y, m, d := now.In(cdr.DefaultSystemSettings("").Location).Date()
		if period == cdr.PeriodMonth {
			d = 1
		}
		to = next(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	}
	if fromArg != "" {
		if from, err = parse("from", fromArg); err != nil {
			return nil, err
		}
	} else {
		from = time.Date(to.AddDate(0, 0, -1).Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if !from.Before(to) {
		return nil, &RangeError{"from", fmt.Sprintf("%s is not before to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))}
	}
	layout := "2006-01"
	if period == cdr.PeriodDay {
		layout = time.DateOnly
	}
	var out []string
	for t := from; t.Before(to); t = next(t) {
		if len(out) == MaxSystemPeriods {
			return nil, &RangeError{"to", fmt.Sprintf("from %s to %s holds more than %d periods; narrow the range", from.Format(layout), to.Format(layout), MaxSystemPeriods)}
		}
		out = append(out, t.Format(layout))
	}
	return out, nil
}

// SystemSpan is the UTC range that holds every period of labels in every
// zone: from 14 hours before the first to 14 hours after the end of the
// last (no zone is further from UTC). A reader takes the stored rows of
// this span, and BuildSystems keeps those of the labels.
func SystemSpan(period string, labels []string) (from, to time.Time) {
	if len(labels) == 0 {
		return from, to
	}
	first, _ := time.Parse(time.DateOnly, (labels[0] + "-01")[:10])
	last, _ := time.Parse(time.DateOnly, (labels[len(labels)-1] + "-01")[:10])
	if period == cdr.PeriodMonth {
		last = last.AddDate(0, 1, 0)
	} else {
		last = last.AddDate(0, 0, 1)
	}
	return first.Add(-14 * time.Hour), last.Add(14 * time.Hour)
}

// bpFraction is hundredths of a percent as a fraction: 9972 is 0.9972.
func bpFraction(bp int) *float64 {
	f := float64(bp) / 10000
	return &f
}

// BuildSystems lays out the stored rows of period (cdr.SystemRow, of any
// span that holds the labels: SystemSpan) as the systems table of labels,
// with the systems of qs (the current queue settings, in the order of the
// queue file) and any other system with a figure. A system and period
// without a stored row, or with one without a figure, is N/A.
func BuildSystems(qs *cdr.Settings, period string, labels []string, stored []cdr.SystemRow) SystemsTable {
	t := SystemsTable{Period: period, Systems: []SystemInfo{}, Periods: []SystemPeriod{}, Rows: []SystemRow{}}
	inRange := make(map[string]bool, len(labels))
	for _, l := range labels {
		inRange[l] = true
	}
	type key struct{ system, label string }
	byKey := map[key]*cdr.SystemRow{}
	var others []string
	listed := map[string]bool{}
	if qs != nil {
		for _, s := range qs.Systems {
			listed[s.Name] = true
		}
	}
	for i := range stored {
		r := &stored[i]
		if r.Period != period || !inRange[r.Label()] {
			continue
		}
		byKey[key{r.System, r.Label()}] = r
		if !listed[r.System] && !slices.Contains(others, r.System) && r.Value != nil {
			others = append(others, r.System)
		}
	}
	slices.Sort(others)
	var systems []cdr.SystemSettings
	if qs != nil {
		systems = slices.Clone(qs.Systems)
	}
	for _, name := range others {
		systems = append(systems, qs.System(name))
	}
	for _, s := range systems {
		info := SystemInfo{System: s.Name, Name: s.Display, Zone: s.Location.String()}
		if info.Name == "" {
			info.Name = s.Name
		}
		if s.AgreedLevel > 0 {
			info.AgreedLevel = bpFraction(s.AgreedLevel)
		}
		t.Systems = append(t.Systems, info)
	}
	for _, label := range labels {
		p := SystemPeriod{Label: label, Systems: len(systems)}
		for i, s := range systems {
			row := SystemRow{System: s.Name, Name: t.Systems[i].Name, Period: period, Label: label,
				AgreedLevel: t.Systems[i].AgreedLevel, PeriodStart: labelStart(label, s.Location)}
			if r := byKey[key{s.Name, label}]; r != nil {
				row.PeriodStart = r.LocalStart().Format(time.RFC3339)
				row.Measured, row.Within, row.Unjudged = r.Measured, r.Within, r.Unjudged
				row.SettingsVersion = r.SettingsVersion
				row.AgreedLevel = nil
				if r.AgreedLevel > 0 {
					row.AgreedLevel = bpFraction(r.AgreedLevel)
				}
				if r.Value != nil && r.Locations > 0 {
					row.Compliance = bpFraction(r.BP)
					row.Met = r.Met
					row.Locations, row.ImportedLocations = r.Locations, r.Imported
					row.PooledCompliance = r.PooledFloat()
					p.Figures++
					if r.Met != nil {
						p.Judged++
						if *r.Met {
							p.Met++
						}
					}
				}
			}
			t.Rows = append(t.Rows, row)
		}
		t.Periods = append(t.Periods, p)
	}
	return t
}

// labelStart is the local start of the period labelled label in loc, ISO
// 8601 with its offset.
func labelStart(label string, loc *time.Location) string {
	d, err := time.Parse(time.DateOnly, (label + "-01")[:10])
	if err != nil || loc == nil {
		return ""
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).Format(time.RFC3339)
}

// WriteSystemsJSON writes the rows of t as one JSON array (the rows of GET
// /v1/systems), an empty array for none.
func WriteSystemsJSON(w io.Writer, t SystemsTable) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t.Rows)
}

// systemColumns are the columns of the CSV and the workbook, the JSON
// names of SystemRow, and each one's value in a row: nil for null.
var systemColumns = []struct {
	name  string
	value func(r *SystemRow) any
}{
	{"system", func(r *SystemRow) any { return r.System }},
	{"name", func(r *SystemRow) any { return r.Name }},
	{"period", func(r *SystemRow) any { return r.Period }},
	{"label", func(r *SystemRow) any { return r.Label }},
	{"period_start", func(r *SystemRow) any { return r.PeriodStart }},
	{"compliance", func(r *SystemRow) any { return r.Compliance }},
	{"agreed_level", func(r *SystemRow) any { return r.AgreedLevel }},
	{"met", func(r *SystemRow) any { return r.Met }},
	{"locations", func(r *SystemRow) any { return r.Locations }},
	{"imported_locations", func(r *SystemRow) any { return r.ImportedLocations }},
	{"measured", func(r *SystemRow) any { return r.Measured }},
	{"within", func(r *SystemRow) any { return r.Within }},
	{"unjudged", func(r *SystemRow) any { return r.Unjudged }},
	{"pooled_compliance", func(r *SystemRow) any { return r.PooledCompliance }},
	{"settings_version", func(r *SystemRow) any { return r.SettingsVersion }},
}

// WriteSystemsCSV writes the rows of t as CSV under a header of the JSON
// names: null is an empty cell, fractions keep full precision, met is
// true/false, text goes through SafeCSV (a system's name is anyone's
// input).
func WriteSystemsCSV(w io.Writer, t SystemsTable) error {
	cw := csv.NewWriter(w)
	header := make([]string, len(systemColumns))
	for i, c := range systemColumns {
		header[i] = c.name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(systemColumns))
	for i := range t.Rows {
		for j, c := range systemColumns {
			rec[j] = csvCell(c.value(&t.Rows[i]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteSystemsXLSX writes the rows of t as a workbook of one sheet,
// "systems", with the columns of WriteSystemsCSV: compliance, agreed_level
// and pooled_compliance are fractions shown as percentages with two
// decimals, met TRUE or FALSE, null an empty cell. It is built in memory
// and written at the end, so nothing is written when it fails.
func WriteSystemsXLSX(w io.Writer, t SystemsTable) error {
	if len(t.Rows) > MaxXLSXRows {
		return fmt.Errorf("cannot write xlsx: %d rows are more than a sheet's %d; narrow the range", len(t.Rows), MaxXLSXRows)
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "systems"
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	pctFmt := "0.00%"
	pct, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt})
	if err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	for i, c := range systemColumns {
		if err := sw.SetColWidth(i+1, i+1, float64(len(c.name))+4); err != nil {
			return fmt.Errorf("cannot write xlsx: %w", err)
		}
	}
	header := make([]any, len(systemColumns))
	for i, c := range systemColumns {
		header[i] = excelize.Cell{StyleID: bold, Value: c.name}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	for i := range t.Rows {
		cells := make([]any, len(systemColumns))
		for j, c := range systemColumns {
			switch v := c.value(&t.Rows[i]).(type) {
			case string:
				cells[j] = SafeCSV(v)
			case *float64:
				if v != nil {
					cells[j] = excelize.Cell{StyleID: pct, Value: round15(*v)}
				}
			case *bool:
				if v != nil {
					cells[j] = *v
				}
			default:
				cells[j] = v
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("cannot write xlsx: %w", err)
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("cannot write xlsx row %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	return nil
}

// SystemCell is a cell of the table as people read it: the figure at two
// decimals with ✓ where it meets the agreed level and ✗ where not (no
// mark without a level), N/A without a figure.
func SystemCell(r *SystemRow) string {
	if r.Compliance == nil {
		return "N/A"
	}
	s := cdr.FormatBP(int(*r.Compliance*10000 + 0.5))
	if r.Met != nil {
		if *r.Met {
			return s + " ✓"
		}
		return s + " ✗"
	}
	return s
}

// SystemMet is a period's reading: "8 of 12" (systems meeting their level
// of those judged), "–" where none was judged.
func SystemMet(p SystemPeriod) string {
	if p.Judged == 0 {
		return "–"
	}
	return fmt.Sprintf("%d of %d", p.Met, p.Judged)
}

// systemGrid is the table of WriteSystemsTable and WriteSystemsMarkdown:
// a header, the line of agreed levels, a line per period.
func systemGrid(t SystemsTable) [][]string {
	head := "Month"
	if t.Period == cdr.PeriodDay {
		head = "Day"
	}
	header := []string{head}
	levels := []string{"Agreed level"}
	for _, s := range t.Systems {
		header = append(header, s.Name)
		level := "–"
		if s.AgreedLevel != nil {
			level = cdr.FormatBP(int(*s.AgreedLevel*10000 + 0.5))
		}
		levels = append(levels, level)
	}
	header = append(header, "Meeting their level")
	levels = append(levels, "")
	grid := [][]string{header, levels}
	n := len(t.Systems)
	for i, p := range t.Periods {
		line := []string{p.Label}
		for j := range n {
			line = append(line, SystemCell(&t.Rows[i*n+j]))
		}
		grid = append(grid, append(line, SystemMet(p)))
	}
	return grid
}

// systemsTitle and systemsLegend frame the table.
const (
	systemsTitle  = "System response-time compliance: the share of timed actions within their threshold, averaged over the locations (%)"
	systemsLegend = "✓ meets the agreed level, ✗ does not (compared at the two decimals shown); N/A: no measurements."
)

// WriteSystemsTable writes t as a terminal table like the first customer's
// report: a column per system, the agreed levels on top, a line per period
// with each figure and its mark, and the count of systems meeting their
// level.
func WriteSystemsTable(w io.Writer, t SystemsTable) error {
	var b bytes.Buffer
	b.WriteString(systemsTitle + "\n\n")
	if len(t.Systems) == 0 {
		b.WriteString("No systems: the queue file lists none, and no figures are stored.\n")
		_, err := b.WriteTo(w)
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, line := range systemGrid(t) {
		fmt.Fprintf(tw, "%s\t\n", strings.Join(line, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n" + systemsLegend + "\n")
	_, err := b.WriteTo(w)
	return err
}

// WriteSystemsMarkdown writes the table of WriteSystemsTable as a Markdown
// (GFM) table.
func WriteSystemsMarkdown(w io.Writer, t SystemsTable) error {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\n", mdEscape(systemsTitle))
	if len(t.Systems) == 0 {
		b.WriteString("No systems: the queue file lists none, and no figures are stored.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	grid := systemGrid(t)
	for i, line := range grid {
		esc := make([]string, len(line))
		for j, c := range line {
			esc[j] = mdEscape(c)
		}
		b.WriteString("| " + strings.Join(esc, " | ") + " |\n")
		if i == 0 {
			b.WriteString("|---|" + strings.Repeat("--:|", len(line)-1) + "\n")
		}
	}
	b.WriteString("\n" + mdEscape(systemsLegend) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}
