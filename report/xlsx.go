package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// MaxXLSXRows is how many report rows one sheet holds: a sheet has
// 1,048,576 rows, and the first is the header.
const MaxXLSXRows = 1<<20 - 1

// xlsxSheet is the name of the one sheet of WriteXLSX's workbook.
const xlsxSheet = "report"

// The kinds of cell of WriteXLSX.
const (
	xText    = iota // a string, through SafeCSV
	xNumber         // a count or a setting, as it is
	xRatio          // a fraction shown as a percentage
	xSeconds        // seconds, shown with one decimal
	xBool           // TRUE or FALSE
	xInstant        // a local date, or date-time (xlsxCell)
)

// xlsxColumn is one column of WriteXLSX: its name (csvColumns'), its kind
// and its value in a row (a nil pointer is null).
type xlsxColumn struct {
	name  string
	kind  int
	value func(r *Row) any
}

// xlsxColumns are WriteXLSX's columns, in the order of csvColumns (a test
// holds them to it).
var xlsxColumns = []xlsxColumn{
	{"switch", xText, func(r *Row) any { return r.Switch }},
	{"queue", xText, func(r *Row) any { return r.Queue }},
	{"period", xText, func(r *Row) any { return r.Period }},
	{"period_start", xInstant, func(r *Row) any { return r.PeriodStart }},
	{"hours", xText, func(r *Row) any { return r.Hours }},
	{"offered", xNumber, func(r *Row) any { return r.Offered }},
	{"answered", xNumber, func(r *Row) any { return r.Answered }},
	{"abandoned", xNumber, func(r *Row) any { return r.Abandoned }},
	{"short_abandoned", xNumber, func(r *Row) any { return r.ShortAbandoned }},
	{"timeout", xNumber, func(r *Row) any { return r.Timeout }},
	{"exit_key", xNumber, func(r *Row) any { return r.ExitKey }},
	{"exit_other", xNumber, func(r *Row) any { return r.ExitOther }},
	{"unknown", xNumber, func(r *Row) any { return r.Unknown }},
	{"answered_within_sla", xNumber, func(r *Row) any { return r.AnsweredWithinSLA }},
	{"abandoned_within_sla", xNumber, func(r *Row) any { return r.AbandonedWithinSLA }},
	{"transferred", xNumber, func(r *Row) any { return r.Transferred }},
	{"service_level", xRatio, func(r *Row) any { return r.ServiceLevel }},
	{"sla_formula", xText, func(r *Row) any { return r.SLAFormula }},
	{"sla_s", xNumber, func(r *Row) any { return r.SLAS }},
	{"short_abandon_s", xNumber, func(r *Row) any { return r.ShortAbandonS }},
	{"sla_target", xRatio, func(r *Row) any { return r.SLATarget }},
	{"sla_met", xBool, func(r *Row) any { return r.SLAMet }},
	{"asa_s", xSeconds, func(r *Row) any { return r.ASA }},
	{"avg_wait_s", xSeconds, func(r *Row) any { return r.AvgWait }},
	{"max_wait_s", xNumber, func(r *Row) any { return r.MaxWaitS }},
	{"p50_wait_s", xSeconds, func(r *Row) any { return r.P50Wait }},
	{"p90_wait_s", xSeconds, func(r *Row) any { return r.P90Wait }},
	{"p95_wait_s", xSeconds, func(r *Row) any { return r.P95Wait }},
	{"abandon_rate", xRatio, func(r *Row) any { return r.AbandonRate }},
	{"avg_talk_s", xSeconds, func(r *Row) any { return r.AvgTalk }},
	{"dispositions", xNumber, func(r *Row) any { return r.Dispositions }},
	{"fcr_rate", xRatio, func(r *Row) any { return r.FCRRate }},
	{"fcr_target", xRatio, func(r *Row) any { return r.FCRTarget }},
	{"fcr_met", xBool, func(r *Row) any { return r.FCRMet }},
	{"settings_version", xText, func(r *Row) any { return r.SettingsVersion }},
	{"settings_current", xBool, func(r *Row) any { return r.SettingsCurrent }},
	{"partial", xBool, func(r *Row) any { return r.Partial }},
	{"counted_from", xInstant, func(r *Row) any { return r.CountedFrom }},
	{"counted_to", xInstant, func(r *Row) any { return r.CountedTo }},
}

// columnsOf are WriteXLSX's columns for rows: xlsxColumns with a
// distribution's slot after period, then those of the thresholds the rows
// have (thresholdColumns), in the CSV's order.
func columnsOf(rows []Row) []xlsxColumn {
	cols := slices.Clone(xlsxColumns)
	switch slotColumn(rows) {
	case "hour_of_day":
		cols = slices.Insert(cols, slotAt, xlsxColumn{"hour_of_day", xNumber, func(r *Row) any {
			if r.HourOfDay == nil {
				return nil
			}
			return *r.HourOfDay
		}})
	case "weekday":
		cols = slices.Insert(cols, slotAt, xlsxColumn{"weekday", xText, func(r *Row) any { return r.Weekday }})
	}
	names := thresholdColumns(thresholdsOf(rows))
	for i := range len(names) / 5 {
		th := func(r *Row) *Threshold {
			if i < len(r.Thresholds) {
				return &r.Thresholds[i]
			}
			return &Threshold{}
		}
		count := func(v *uint64) any {
			if v == nil {
				return nil
			}
			return *v
		}
		cols = append(cols,
			xlsxColumn{names[5*i], xNumber, func(r *Row) any { return count(th(r).AnsweredWithin) }},
			xlsxColumn{names[5*i+1], xNumber, func(r *Row) any { return count(th(r).AbandonedWithin) }},
			xlsxColumn{names[5*i+2], xRatio, func(r *Row) any { return th(r).ServiceLevel }},
			xlsxColumn{names[5*i+3], xBool, func(r *Row) any { return th(r).SLAMet }},
			xlsxColumn{names[5*i+4], xRatio, func(r *Row) any { return th(r).AbandonedWithinRate }},
		)
	}
	return cols
}

// xlsxStyles are the cell styles of WriteXLSX's workbook.
type xlsxStyles struct {
	header, ratio, seconds, date, dateTime int
}

func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	var s xlsxStyles
	custom := func(format string) *excelize.Style { return &excelize.Style{CustomNumFmt: &format} }
	for _, st := range []struct {
		id    *int
		style *excelize.Style
	}{
		{&s.header, &excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&s.ratio, custom("0.0%")},
		{&s.seconds, custom("0.0")},
		{&s.date, custom("yyyy-mm-dd")},
		{&s.dateTime, custom("yyyy-mm-dd hh:mm")},
	} {
		id, err := f.NewStyle(st.style)
		if err != nil {
			return s, err
		}
		*st.id = id
	}
	return s, nil
}

// WriteXLSX writes rows as a workbook (Office Open XML, .xlsx) of one sheet,
// "report", with the columns of WriteCSV under a header of the JSON names,
// for people who pass a report on. The figures are numbers, not text: the
// counts and seconds as they are (averages shown with one decimal; every
// number rounded to the 15 significant digits a spreadsheet holds), the
// ratios and targets as fractions shown as percentages (0.853 shows as
// 85.3%), sla_met, fcr_met, settings_current and partial as TRUE or FALSE.
// period_start, counted_from and counted_to are dates, or date-times where
// the period is 15m or hour or the instant is not a local midnight, on the
// local clock of the queue's zone: a spreadsheet's dates have no zone, so
// the two 02:00 hours of an autumn daylight-saving day both read 02:00 (the
// CSV and JSON forms keep the offset). Null is an empty cell. Text cells
// (the switch and the queue, which come from a switch and are anyone's
// input) go through SafeCSV, as in the CSV form: the library writes them
// as strings, never as formulas, but a person who edits such a cell turns
// it into one.
//
// The columns of the thresholds asked for (AddThresholds) come last, as in
// the CSV form.
//
// The workbook is built in memory and written to w at the end, so nothing
// is written when it fails; more than MaxXLSXRows rows are refused.
func WriteXLSX(w io.Writer, rows []Row) error {
	if len(rows) > MaxXLSXRows {
		return fmt.Errorf("cannot write xlsx: %d rows are more than a sheet's %d; narrow the range or choose a longer period", len(rows), MaxXLSXRows)
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), xlsxSheet); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(xlsxSheet)
	if err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	columns := columnsOf(rows)
	// Widths are set before the first row, as the stream writer requires.
	for i, c := range columns {
		width := float64(len(c.name)) + 2
		if c.kind == xInstant {
			width = 17
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("cannot write xlsx: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	header := make([]any, len(columns))
	for i, c := range columns {
		header[i] = excelize.Cell{StyleID: st.header, Value: c.name}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	for i := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("cannot write xlsx: %w", err)
		}
		if err := sw.SetRow(cell, xlsxRow(&rows[i], columns, st)); err != nil {
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

// xlsxRow is the cells of one row, in the order of columns; nil is an
// empty cell.
func xlsxRow(r *Row, columns []xlsxColumn, st xlsxStyles) []any {
	out := make([]any, len(columns))
	for i, c := range columns {
		out[i] = xlsxCell(c.kind, c.value(r), r.Period, st)
	}
	return out
}

// xlsxCell is one value as a cell of its kind: nil for null.
func xlsxCell(kind int, v any, period string, st xlsxStyles) any {
	switch v := v.(type) {
	case *float64:
		if v == nil {
			return nil
		}
		return xlsxCell(kind, *v, period, st)
	case *bool:
		if v == nil {
			return nil
		}
		return *v
	case *string:
		if v == nil {
			return nil
		}
		return *v
	case string:
		return SafeCSV(v)
	case time.Time:
		style := st.dateTime
		if period != "15m" && period != "hour" && v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 {
			style = st.date
		}
		return excelize.Cell{StyleID: style, Value: v}
	case float64:
		v = round15(v)
		switch kind {
		case xRatio:
			return excelize.Cell{StyleID: st.ratio, Value: v}
		case xSeconds:
			return excelize.Cell{StyleID: st.seconds, Value: v}
		}
	}
	return v
}

// round15 rounds v to the 15 significant digits a spreadsheet holds.
// excelize writes a float with at most 15 digits too, but cuts the rest
// (0.0666… becomes 0.0666666666666666); a value that has 15 digits already
// is written as it is.
func round15(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		return v // NaN or ±Inf, which report rows never hold
	}
	return r
}
