package report

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// deskCol is one column of a workbook of contact or case rows: its name
// (the JSON name), its kind (xText, xNumber, xRatio, xBool, xInstant) and
// its value in row i.
type deskCol struct {
	name  string
	kind  int
	value func(i int) any
}

// WriteContactsXLSX writes contact rows as a workbook of one sheet,
// "report" (as WriteXLSX), with the columns of WriteContactsCSV: counts as numbers,
// shares as fractions shown as percentages, the month as a local date.
func WriteContactsXLSX(w io.Writer, rows []ContactRow) error {
	r := func(i int) *ContactRow { return &rows[i] }
	return writeDeskXLSX(w, len(rows), []deskCol{
		{"desk", xText, func(i int) any { return r(i).Desk }},
		{"desk_name", xText, func(i int) any { return r(i).Display }},
		{"period", xText, func(i int) any { return r(i).Period }},
		{"period_start", xInstant, func(i int) any { return r(i).PeriodStart }},
		{"channel", xText, func(i int) any { return r(i).Channel }},
		{"contacts", xNumber, func(i int) any { return r(i).Contacts }},
		{"share", xRatio, func(i int) any { return r(i).Share }},
		{"phone_rule", xText, func(i int) any { return r(i).PhoneRule }},
	})
}

// WriteCasesXLSX writes case rows as a workbook of one sheet, "report",
// with the columns of WriteCasesCSV (see WriteContactsXLSX).
func WriteCasesXLSX(w io.Writer, rows []CaseRow) error {
	r := func(i int) *CaseRow { return &rows[i] }
	return writeDeskXLSX(w, len(rows), []deskCol{
		{"desk", xText, func(i int) any { return r(i).Desk }},
		{"desk_name", xText, func(i int) any { return r(i).Display }},
		{"period", xText, func(i int) any { return r(i).Period }},
		{"period_start", xInstant, func(i int) any { return r(i).PeriodStart }},
		{"cases_registered", xNumber, func(i int) any { return r(i).Registered }},
		{"cases_closed", xNumber, func(i int) any { return r(i).Closed }},
		{"closed_provisional", xBool, func(i int) any { return r(i).ClosedProvisional }},
		{"first_contact_known", xNumber, func(i int) any { return r(i).FirstContactKnown }},
		{"first_contact", xNumber, func(i int) any { return r(i).FirstContact }},
		{"case_fcr_rate", xRatio, func(i int) any { return r(i).FCRRate }},
		{"deadline_cases", xNumber, func(i int) any { return r(i).DeadlineCases }},
		{"within_deadline", xNumber, func(i int) any { return r(i).WithinDeadline }},
		{"within_rate", xRatio, func(i int) any { return r(i).WithinRate }},
		{"target", xRatio, func(i int) any { return r(i).Target }},
		{"within_met", xBool, func(i int) any { return r(i).WithinMet }},
		{"days", xText, func(i int) any { return r(i).Days }},
	})
}

// writeDeskXLSX writes n rows of cols as the one sheet of a workbook, built
// in memory and written to w at the end (rows of months: few).
func writeDeskXLSX(w io.Writer, n int, cols []deskCol) error {
	sheet := xlsxSheet
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	set := func(col, row int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if c, ok := v.(excelize.Cell); ok {
			if err := f.SetCellValue(sheet, cell, c.Value); err != nil {
				return err
			}
			return f.SetCellStyle(sheet, cell, cell, c.StyleID)
		}
		if v == nil {
			return nil
		}
		return f.SetCellValue(sheet, cell, v)
	}
	for j, c := range cols {
		if err := set(j+1, 1, excelize.Cell{StyleID: st.header, Value: c.name}); err != nil {
			return fmt.Errorf("cannot write xlsx: %w", err)
		}
	}
	for i := 0; i < n; i++ {
		for j, c := range cols {
			if err := set(j+1, i+2, xlsxCell(c.kind, c.value(i), "month", st)); err != nil {
				return fmt.Errorf("cannot write xlsx: %w", err)
			}
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("cannot write xlsx: %w", err)
	}
	return nil
}
