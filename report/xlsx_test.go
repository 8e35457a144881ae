package report

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/xuri/excelize/v2"
)

// readXLSX opens a workbook written by WriteXLSX with the same library, as
// a spreadsheet would.
func readXLSX(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("cannot open the workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "report" {
		t.Fatalf("sheets %v; want one, report", got)
	}
	return f
}

// numFmt is the number format of a cell's style ("" for General).
func numFmt(t *testing.T, f *excelize.File, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle("report", cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return ""
}

// xlsxRanges are reports of every kind of cell: months with null ratios
// and a month without dispositions; the 25 hours of the autumn
// daylight-saving day; a range starting and ending inside days.
func xlsxRanges(t *testing.T) map[string][]Row {
	t.Helper()
	cph := copenhagen(t)
	q := cdr.DefaultQueueSettings("klinisk")
	q.Location = cph
	day := time.Date(2025, 10, 26, 0, 0, 0, 0, cph)
	sums := map[time.Time]cdr.Counts{}
	for h := day; h.Before(day.AddDate(0, 0, 1)); h = h.Add(time.Hour) {
		if h.UTC().Hour()%3 == 0 {
			continue // hours without calls: null ratios
		}
		n := uint64(h.UTC().Hour() + 1)
		sums[h.UTC()] = cdr.Counts{Offered: n, Answered: n - 1, Abandoned: 1, AnsweredWithinSLA: n / 2,
			WaitAnsweredS: 7 * n, WaitAllS: 9 * n, TalkS: 100 * n, MaxWaitS: 20, WaitHist: map[uint32]uint64{5: n}}
	}
	hours, err := Build(q, testVersion, "*", "hour", "all", day, day.AddDate(0, 0, 1), countedWith(q, testVersion, sums))
	if err != nil {
		t.Fatal(err)
	}
	if len(hours) != 25 {
		t.Fatalf("got %d hours on the autumn day; want 25", len(hours))
	}
	days := map[time.Time]cdr.Counts{day.AddDate(0, 0, 1): {Offered: 3, Answered: 3, AnsweredWithinSLA: 2, WaitAnsweredS: 50, WaitAllS: 50, TalkS: 900, Dispositions: 2, ResolvedFirstContact: 1}}
	partial, err := Build(q, testVersion, "*", "day", "in", day.Add(9*time.Hour+45*time.Minute), day.AddDate(0, 0, 2).Add(6*time.Hour), countedWith(q, testVersion, days))
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]Row{"month": monthRows(t), "hour": hours, "partial days": partial}
}

// TestXLSXCellsEqualTheJSON reads the workbook back with excelize: the
// header is the CSV's, and every cell equals the JSON report's value, as a
// number, a percentage, TRUE/FALSE, a local date or date-time, text, or an
// empty cell for null; no cell is a formula.
func TestXLSXCellsEqualTheJSON(t *testing.T) {
	ratios := map[string]bool{"service_level": true, "sla_target": true, "abandon_rate": true, "fcr_rate": true, "fcr_target": true}
	instants := map[string]bool{"period_start": true, "counted_from": true, "counted_to": true}
	for name, rows := range xlsxRanges(t) {
		t.Run(name, func(t *testing.T) {
			var js, xl bytes.Buffer
			if err := WriteJSON(&js, rows); err != nil {
				t.Fatal(err)
			}
			var want []map[string]any
			if err := json.Unmarshal(js.Bytes(), &want); err != nil {
				t.Fatal(err)
			}
			if err := WriteXLSX(&xl, rows); err != nil {
				t.Fatal(err)
			}
			f := readXLSX(t, xl.Bytes())
			got, err := f.GetRows("report")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want)+1 || strings.Join(got[0], ",") != strings.Join(csvColumns, ",") {
				t.Fatalf("got %d rows, header %v; want %d and the CSV's header %v", len(got), got[0], len(want)+1, csvColumns)
			}
			checked := map[string]int{}
			for i, w := range want {
				for j, col := range csvColumns {
					cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
					typ, err := f.GetCellType("report", cell)
					if err != nil {
						t.Fatal(err)
					}
					raw, err := f.GetCellValue("report", cell, excelize.Options{RawCellValue: true})
					if err != nil {
						t.Fatal(err)
					}
					if formula, _ := f.GetCellFormula("report", cell); formula != "" {
						t.Errorf("%s (%s): a formula %q", cell, col, formula)
					}
					format := numFmt(t, f, cell)
					switch v := w[col].(type) {
					case nil:
						if raw != "" {
							t.Errorf("row %d %s: got %q; want an empty cell for null", i, col, raw)
						}
						checked["null"]++
					case bool:
						if want := map[bool]string{true: "1", false: "0"}[v]; typ != excelize.CellTypeBool || raw != want {
							t.Errorf("row %d %s: got type %v %q; want a boolean %v", i, col, typ, raw, v)
						}
						checked["bool"]++
					case float64:
						// A spreadsheet holds 15 significant digits: the
						// JSON's value rounded to them, not cut.
						v15, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
						n, err := strconv.ParseFloat(raw, 64)
						if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber || err != nil || n != v15 {
							t.Errorf("row %d %s: got type %v %q; want the number %v (%v to 15 digits)", i, col, typ, raw, v, v15)
						}
						if ratios[col] != strings.HasSuffix(format, "%") {
							t.Errorf("row %d %s: number format %q; want a percentage for ratios only", i, col, format)
						}
						checked["number"]++
					case string:
						if !instants[col] {
							if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString || raw != v {
								t.Errorf("row %d %s: got type %v %q; want the text %q", i, col, typ, raw, v)
							}
							checked["text"]++
							break
						}
						at, err := time.Parse(time.RFC3339, v)
						if err != nil {
							t.Fatal(err)
						}
						serial, err := strconv.ParseFloat(raw, 64)
						if err != nil {
							t.Errorf("row %d %s: got %q; want a date", i, col, raw)
							break
						}
						// A spreadsheet's date is the local clock of the queue's zone.
						d, err := excelize.ExcelDateToTime(serial, false)
						if err != nil {
							t.Fatal(err)
						}
						if wall := at.Format("2006-01-02T15:04:05"); d.Round(time.Second).Format("2006-01-02T15:04:05") != wall {
							t.Errorf("row %d %s: got %v; want the local %s", i, col, d, wall)
						}
						wantFmt := "yyyy-mm-dd"
						if w["period"] == "hour" || w["period"] == "15m" || at.Hour() != 0 || at.Minute() != 0 {
							wantFmt = "yyyy-mm-dd hh:mm"
						}
						if format != wantFmt {
							t.Errorf("row %d %s (%s): number format %q; want %q", i, col, v, format, wantFmt)
						}
						checked["date"]++
					default:
						t.Fatalf("row %d %s: JSON value %T", i, col, v)
					}
				}
			}
			for _, kind := range []string{"null", "bool", "number", "text", "date"} {
				if checked[kind] == 0 {
					t.Errorf("no %s cell was checked", kind)
				}
			}
			t.Logf("%d rows: cells checked by kind %v", len(want), checked)
		})
	}
}

// TestXLSXCellsCannotBeFormulas: excelize writes text as text, never as a
// formula; a switch or queue name that a spreadsheet would run as a formula
// once edited is written as SafeCSV writes it in a CSV, and a caller-like
// number stays as it is.
func TestXLSXCellsCannotBeFormulas(t *testing.T) {
	rows := []Row{{Switch: "+4512345678", Queue: `=HYPERLINK("http://evil","x")`, Period: "day", Hours: "all"}}
	var b bytes.Buffer
	if err := WriteXLSX(&b, rows); err != nil {
		t.Fatal(err)
	}
	f := readXLSX(t, b.Bytes())
	for cell, want := range map[string]string{"A2": "+4512345678", "B2": `'=HYPERLINK("http://evil","x")`} {
		got, _ := f.GetCellValue("report", cell, excelize.Options{RawCellValue: true})
		typ, _ := f.GetCellType("report", cell)
		formula, _ := f.GetCellFormula("report", cell)
		if got != want || formula != "" || typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("%s: got type %v %q, formula %q; want the text %q", cell, typ, got, formula, want)
		}
	}
	// No formula anywhere in the sheet's XML either.
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	sheets := 0
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		x, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		sheets++
		if bytes.Contains(x, []byte("<f>")) || bytes.Contains(x, []byte("<f ")) {
			t.Errorf("%s holds a formula element:\n%s", zf.Name, x)
		}
	}
	if sheets == 0 {
		t.Errorf("the workbook has no worksheet part")
	}
}

// TestXLSXColumnsAreTheCSVs: the workbook has the CSV's columns, in its
// order, so a sheet and a CSV of one report line up.
func TestXLSXColumnsAreTheCSVs(t *testing.T) {
	if len(xlsxColumns) != len(csvColumns) {
		t.Fatalf("got %d columns; want the CSV's %d", len(xlsxColumns), len(csvColumns))
	}
	for i, c := range xlsxColumns {
		if c.name != csvColumns[i] {
			t.Errorf("column %d: got %s; want %s", i+1, c.name, csvColumns[i])
		}
	}
}
