package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/sys/unix"
)

// sameXLSX reads a workbook of acdstat report --format xlsx back with
// excelize and compares every cell with the JSON report's rows: the header
// is the JSON names, numbers are numbers (to the 15 digits a spreadsheet
// holds), booleans TRUE/FALSE, period starts and counted spans the local
// date or date-time, text text, null an empty cell.
func sameXLSX(t *testing.T, what string, b []byte, rows []map[string]any) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not a workbook: %v", what, err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	got, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows)+1 {
		t.Fatalf("%s: %d rows; want a header and %d", what, len(got), len(rows))
	}
	header := got[0]
	if len(header) != len(rows[0]) || header[0] != "switch" || header[3] != "period_start" {
		t.Fatalf("%s: header %v; want the %d names of the JSON rows", what, header, len(rows[0]))
	}
	for i, r := range rows {
		for j, col := range header {
			want, ok := r[col]
			if !ok {
				t.Fatalf("%s: column %q is not a JSON field", what, col)
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			typ, _ := f.GetCellType(sheet, cell)
			same := false
			switch v := want.(type) {
			case nil:
				same = raw == ""
			case bool:
				same = typ == excelize.CellTypeBool && raw == map[bool]string{true: "1", false: "0"}[v]
			case float64:
				v15, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
				n, err := strconv.ParseFloat(raw, 64)
				same = err == nil && n == v15 && (typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber)
			case string:
				at, err := time.Parse(time.RFC3339, v)
				if err != nil || !strings.HasPrefix(col, "period_start") && !strings.HasPrefix(col, "counted_") {
					same = raw == v && (typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString)
					break
				}
				serial, err := strconv.ParseFloat(raw, 64)
				if err != nil {
					break
				}
				d, err := excelize.ExcelDateToTime(serial, false)
				same = err == nil && d.Round(time.Second).Format("2006-01-02T15:04:05") == at.Format("2006-01-02T15:04:05")
			}
			if !same {
				t.Errorf("%s: row %d %s (%s): cell %q of type %v; JSON %v", what, i+1, col, cell, raw, typ, want)
			}
		}
	}
}

// TestReportXLSX: acdstat report --format xlsx, to stdout and to a file
// (--output), and GET /v1/report?format=xlsx give the JSON report's
// figures cell by cell, for months, the 25 hours of the autumn
// daylight-saving day and quarter hours; on a terminal the command asks for
// a file instead of printing a binary.
func TestReportXLSX(t *testing.T) {
	environ := testEnv(t)
	sim := smallSim(t, 31)
	runCmd(t, environ, "ingest", "--format", "queue_log", writeLines(t, "queue_log", sim.Lines()))
	runCmd(t, environ, "rollup")
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	dir := t.TempDir()
	for _, tc := range []struct{ period, from, to string }{
		{"month", "2025-09-01", "2026-01-01"},
		{"hour", "2025-10-26", "2025-10-27"},
		{"15m", "2025-10-28T09:00", "2025-10-28T11:00"},
	} {
		args := []string{"report", "--queue", "servicedesk", "--period", tc.period, "--from", tc.from, "--to", tc.to}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(runCmd(t, environ, append(args, "--format", "json")...)), &rows); err != nil {
			t.Fatal(err)
		}
		offered := 0.0
		for _, r := range rows {
			offered += r["offered"].(float64)
		}
		if offered == 0 {
			t.Fatalf("%s %s to %s: no calls; the test compares nothing", tc.period, tc.from, tc.to)
		}

		sameXLSX(t, tc.period+" on stdout", []byte(runCmd(t, environ, append(args, "--format", "xlsx")...)), rows)

		file := filepath.Join(dir, tc.period+".xlsx")
		if out := runCmd(t, environ, append(args, "--format", "xlsx", "--output", file)...); out != "" {
			t.Errorf("--output: %q on stdout; want nothing", out)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sameXLSX(t, tc.period+" in "+file, b, rows)

		resp, err := http.Get(base + "/v1/report?" + url.Values{"queue": {"servicedesk"}, "period": {tc.period}, "from": {tc.from}, "to": {tc.to}, "format": {"xlsx"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), ".xlsx") {
			t.Fatalf("GET format=xlsx: status %d, Content-Type %q, Content-Disposition %q: %.300s", resp.StatusCode,
				resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), b)
		}
		sameXLSX(t, tc.period+" from the API", b, rows)
	}

	// A mistyped format names xlsx among the choices, in the CLI and the API.
	err := run(context.Background(), testProcess(environ, io.Discard, io.Discard), []string{"report", "--queue", "servicedesk", "--format", "xls"})
	if err == nil || !strings.Contains(err.Error(), "xlsx") {
		t.Errorf("--format xls: %v; want the formats, xlsx among them", err)
	}
	var e map[string]string
	getJSON(t, base+"/v1/report?queue=servicedesk&format=xls", 400, &e)
	if !strings.Contains(e["error"], "xlsx") {
		t.Errorf("format=xls: %q; want the formats, xlsx among them", e["error"])
	}

	// On a terminal a workbook is not printed: the message says how to get it.
	tty := openPTY(t)
	var stderr bytes.Buffer
	err = run(context.Background(), testProcess(environ, tty, &stderr), []string{"report", "--queue", "servicedesk", "--format", "xlsx"})
	if err == nil || !strings.Contains(err.Error(), "--output") {
		t.Errorf("--format xlsx on a terminal: %v; want a message naming --output", err)
	}
}

// openPTY returns the terminal end of a new pseudo-terminal, or skips the
// test where the system has none to give.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("cannot unlock a pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("cannot name a pseudo-terminal: %v", err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}

// TestReportOutputWithFunnel: --output takes the IVR funnel's report too,
// the same bytes as on stdout.
func TestReportOutputWithFunnel(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(funnelQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t)
	runCmd(t, environ, "settings", "apply", queues)
	args := []string{"report", "--funnel", "main", "--period", "day", "--from", "2025-03-01", "--to", "2025-03-03"}
	want := runCmd(t, environ, args...)
	file := filepath.Join(t.TempDir(), "funnel.txt")
	if out := runCmd(t, environ, append(args, "--output", file)...); out != "" {
		t.Errorf("--output: %q on stdout; want nothing", out)
	}
	got, err := os.ReadFile(file)
	if err != nil || string(got) != want || !strings.Contains(want, "Hospital IT") {
		t.Errorf("--output %s: %q, %v; want stdout's %q", file, got, err, want)
	}

	// A report that fails leaves nothing behind: no file, no half of one.
	dir := t.TempDir()
	err = run(context.Background(), testProcess(environ, io.Discard, io.Discard), []string{"report", "--funnel", "nosuch", "--output", filepath.Join(dir, "x.txt")})
	if left, _ := os.ReadDir(dir); err == nil || !strings.Contains(err.Error(), "no such entry") || len(left) > 0 {
		t.Errorf("a failing report: %v, and %d files left in its directory; want the error and none", err, len(left))
	}
}
