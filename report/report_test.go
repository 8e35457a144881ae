package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func copenhagen(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func local(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02", s, copenhagen(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// monthRows is a hand-made quarter and a bit of the clinical desk:
// September meets both targets, October misses the service level (and has
// the daylight-saving change), November has no calls, December has calls
// but no dispositions.
func monthRows(t *testing.T) []Row {
	t.Helper()
	q := cdr.DefaultQueueSettings("klinisk")
	q.Display = "Klinisk Servicedesk"
	sums := map[time.Time]cdr.Counts{
		local(t, "2016-09-01").UTC(): {
			Offered: 1200, Answered: 1130, Abandoned: 50, Timeout: 10, ExitKey: 5, ExitOther: 3, Unknown: 2,
			ShortAbandoned: 20, AnsweredWithinSLA: 1010, AbandonedWithinSLA: 30, Transferred: 40,
			WaitAnsweredS: 1130 * 42, WaitAllS: 1130*42 + 70*95, TalkS: 1130 * 410, MaxWaitS: 1510,
			WaitHist:     map[uint32]uint64{10: 600, 42: 300, 95: 200, 400: 100},
			Dispositions: 900, ResolvedFirstContact: 600,
		},
		// In Copenhagen's October offset (+02:00); given in UTC, as the store does.
		local(t, "2016-10-01").UTC(): {
			Offered: 1500, Answered: 1300, Abandoned: 180, Timeout: 15, Unknown: 5,
			ShortAbandoned: 30, AnsweredWithinSLA: 1020, AbandonedWithinSLA: 90, Transferred: 55,
			WaitAnsweredS: 1300 * 171, WaitAllS: 1300*171 + 200*240, TalkS: 1300 * 395, MaxWaitS: 3725,
			WaitHist:     map[uint32]uint64{20: 700, 171: 400, 420: 300, cdr.WaitBucket(3725): 100},
			Dispositions: 1000, ResolvedFirstContact: 550,
		},
		local(t, "2016-12-01"): {
			Offered: 10, Answered: 9, Abandoned: 1, AnsweredWithinSLA: 9,
			WaitAnsweredS: 90, WaitAllS: 95, TalkS: 2000, MaxWaitS: 12,
			WaitHist: map[uint32]uint64{5: 1, 10: 9},
		},
	}
	rows, err := Build(q, testVersion, "*", "month", "all", local(t, "2016-09-01"), local(t, "2017-01-01"), countedWith(q, testVersion, sums))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return rows
}

// testVersion is the settings version of the tests' counts.
const testVersion = "5f2a0c9e1b7d"

// countedWith gives sums the settings version version and q's thresholds,
// as store.PeriodRollups gives the rows the rollup job counted with them.
func countedWith(q cdr.QueueSettings, version string, sums map[time.Time]cdr.Counts) map[time.Time]cdr.PeriodRollup {
	out := make(map[time.Time]cdr.PeriodRollup, len(sums))
	for k, c := range sums {
		out[k] = cdr.PeriodRollup{Counts: c, Versions: []string{version}, With: cdr.CountedWith{
			Version: version, SLAS: q.SLAS, ShortAbandonS: q.ShortAbandonS, SLAFormula: q.SLAFormula, SLATarget: q.SLATarget, FCRTarget: q.FCRTarget,
		}}
	}
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from %s:\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

func TestGolden(t *testing.T) {
	rows := monthRows(t)
	if len(rows) != 4 {
		t.Fatalf("got %d rows; want 4 (Sep to Dec)", len(rows))
	}
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"month.json", func(b *bytes.Buffer) error { return WriteJSON(b, rows) }},
		{"month.csv", func(b *bytes.Buffer) error { return WriteCSV(b, rows, false) }},
		{"month_danish.csv", func(b *bytes.Buffer) error { return WriteCSV(b, rows, true) }},
		{"month.md", func(b *bytes.Buffer) error { return WriteMarkdown(b, rows) }},
		{"month.txt", func(b *bytes.Buffer) error { return WriteTable(b, rows) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

func TestRowFields(t *testing.T) {
	rows := monthRows(t)
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// The field names of METRICS.md, "The report row": all of them, no others.
	want := strings.Fields(`switch queue period period_start hours offered answered abandoned
		short_abandoned timeout exit_key exit_other unknown answered_within_sla abandoned_within_sla
		transferred service_level sla_formula sla_s short_abandon_s sla_target sla_met asa_s avg_wait_s
		max_wait_s p50_wait_s p90_wait_s p95_wait_s abandon_rate avg_talk_s dispositions fcr_rate
		fcr_target fcr_met settings_version settings_current partial counted_from counted_to`)
	if len(got[0]) != len(want) {
		t.Errorf("got %d fields; want %d", len(got[0]), len(want))
	}
	for _, k := range want {
		if _, ok := got[0][k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	if s := got[1]["period_start"]; s != "2016-10-01T00:00:00+02:00" {
		t.Errorf("October period_start: got %v; want 2016-10-01T00:00:00+02:00", s)
	}
	if s := got[2]["period_start"]; s != "2016-11-01T00:00:00+01:00" {
		t.Errorf("November period_start: got %v; want 2016-11-01T00:00:00+01:00", s)
	}
	if got[1]["sla_met"] != false || got[0]["sla_met"] != true {
		t.Errorf("sla_met: got %v, %v; want true, false", got[0]["sla_met"], got[1]["sla_met"])
	}
	if got[3]["fcr_rate"] != nil || got[3]["fcr_met"] != nil {
		t.Errorf("December without dispositions: fcr_rate %v, fcr_met %v; want null", got[3]["fcr_rate"], got[3]["fcr_met"])
	}
	if csvCols := len(csvColumns); csvCols != len(want) {
		t.Errorf("got %d CSV columns; want %d", csvCols, len(want))
	}
}

func TestNoCalls(t *testing.T) {
	q := cdr.DefaultQueueSettings("servicedesk")
	rows, err := Build(q, testVersion, "", "month", "in", local(t, "2024-01-01"), local(t, "2025-01-01"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 {
		t.Fatalf("got %d rows; want 12", len(rows))
	}
	for i, r := range rows {
		if want := local(t, "2024-01-01").AddDate(0, i, 0); !r.PeriodStart.Equal(want) {
			t.Errorf("row %d: got start %v; want %v", i, r.PeriodStart, want)
		}
		if r.Switch != "*" || r.Hours != "in" || r.Queue != "servicedesk" {
			t.Errorf("row %d: got %s/%s/%s", i, r.Switch, r.Queue, r.Hours)
		}
		if r.Offered != 0 || r.Answered != 0 || r.Abandoned != 0 || r.MaxWaitS != 0 || r.Dispositions != 0 {
			t.Errorf("row %d: got counts %+v; want zero", i, r)
		}
		for name, p := range map[string]*float64{
			"service_level": r.ServiceLevel, "asa_s": r.ASA, "avg_wait_s": r.AvgWait, "p50_wait_s": r.P50Wait,
			"p90_wait_s": r.P90Wait, "p95_wait_s": r.P95Wait, "abandon_rate": r.AbandonRate,
			"avg_talk_s": r.AvgTalk, "fcr_rate": r.FCRRate,
		} {
			if p != nil {
				t.Errorf("row %d: %s got %v; want null", i, name, *p)
			}
		}
		if r.SLAMet != nil || r.FCRMet != nil {
			t.Errorf("row %d: got sla_met %v, fcr_met %v; want null", i, r.SLAMet, r.FCRMet)
		}
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, rows[:1]); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"service_level": null`, `"sla_met": null`, `"offered": 0`, `"p95_wait_s": null`} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("JSON lacks %s:\n%s", s, b.String())
		}
	}
	b.Reset()
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "NaN") || strings.Count(b.String(), "\n") < 14 {
		t.Errorf("table of no calls:\n%s", b.String())
	}
	b.Reset()
	if err := WriteJSON(&b, nil); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("no rows: got %q, %v; want []", b.String(), err)
	}
}

func TestBuildPeriods(t *testing.T) {
	q := cdr.DefaultQueueSettings("q")
	f := func(period, from, to string, want int) {
		t.Helper()
		rows, err := Build(q, testVersion, "*", period, "all", local(t, from), local(t, to), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != want {
			t.Fatalf("%s %s..%s: got %d rows; want %d", period, from, to, len(rows), want)
		}
	}
	f("hour", "2016-10-30", "2016-10-31", 25) // autumn daylight-saving day
	f("hour", "2016-03-27", "2016-03-28", 23) // spring
	f("15m", "2016-10-30", "2016-10-31", 100)
	f("day", "2016-10-01", "2016-11-01", 31)
	f("quarter", "2016-01-01", "2017-01-01", 4)
	f("year", "2016-01-01", "2018-01-01", 2)
	f("month", "2016-01-01", "2016-01-01", 0)
	f("month", "2016-01-15", "2016-03-01", 2) // the period holding from is the first

	if _, err := Build(q, testVersion, "*", "week", "all", local(t, "2016-01-01"), local(t, "2016-02-01"), nil); err == nil {
		t.Errorf("period week: got no error; want one")
	}
	if _, err := Build(q, testVersion, "*", "month", "some", local(t, "2016-01-01"), local(t, "2016-02-01"), nil); err == nil {
		t.Errorf("hours some: got no error; want one")
	}
	// Counts that are not at a period start (rolled up in another zone) are
	// an error, not silently dropped.
	utcMonth := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := Build(q, testVersion, "*", "month", "all", local(t, "2016-01-01"), local(t, "2016-02-01"), countedWith(q, testVersion, map[time.Time]cdr.Counts{utcMonth: {Offered: 1}}))
	if err == nil || !strings.Contains(err.Error(), "time zone") {
		t.Errorf("misaligned counts: got %v; want an error naming the time zone", err)
	}
}

// TestBuildClipsFirstAndLastPeriod checks the rows of a range that starts or
// ends inside a period: one row per period, as always, but the first and
// last count only the part of their period inside the range, and say so
// (partial, counted_from, counted_to) in JSON, CSV, the table and Markdown;
// on both daylight-saving days and 29 February.
func TestBuildClipsFirstAndLastPeriod(t *testing.T) {
	cph := copenhagen(t)
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.In(cph)
	}
	type span struct {
		start, from, to string
		partial         bool
	}
	for _, tc := range []struct {
		name, period, from, to string
		want                   []span
	}{
		{"a quarter from the 15th to the 10th", "month", "2016-10-15T00:00:00+02:00", "2016-12-10T00:00:00+01:00", []span{
			{"2016-10-01T00:00:00+02:00", "2016-10-15T00:00:00+02:00", "2016-11-01T00:00:00+01:00", true},
			{"2016-11-01T00:00:00+01:00", "2016-11-01T00:00:00+01:00", "2016-12-01T00:00:00+01:00", false},
			{"2016-12-01T00:00:00+01:00", "2016-12-01T00:00:00+01:00", "2016-12-10T00:00:00+01:00", true},
		}},
		{"the two 02:00 hours of the autumn day", "hour", "2026-10-25T02:15:00+02:00", "2026-10-25T03:00:00+01:00", []span{
			{"2026-10-25T02:00:00+02:00", "2026-10-25T02:15:00+02:00", "2026-10-25T02:00:00+01:00", true},
			{"2026-10-25T02:00:00+01:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00", false},
		}},
		{"the spring day and the morning after", "day", "2026-03-29T01:45:00+01:00", "2026-03-30T06:00:00+02:00", []span{
			{"2026-03-29T00:00:00+01:00", "2026-03-29T01:45:00+01:00", "2026-03-30T00:00:00+02:00", true},
			{"2026-03-30T00:00:00+02:00", "2026-03-30T00:00:00+02:00", "2026-03-30T06:00:00+02:00", true},
		}},
		{"29 February to noon on 1 March", "month", "2028-02-29T00:00:00+01:00", "2028-03-01T12:00:00+01:00", []span{
			{"2028-02-01T00:00:00+01:00", "2028-02-29T00:00:00+01:00", "2028-03-01T00:00:00+01:00", true},
			{"2028-03-01T00:00:00+01:00", "2028-03-01T00:00:00+01:00", "2028-03-01T12:00:00+01:00", true},
		}},
		{"whole months", "month", "2016-09-01T00:00:00+02:00", "2016-11-01T00:00:00+01:00", []span{
			{"2016-09-01T00:00:00+02:00", "2016-09-01T00:00:00+02:00", "2016-10-01T00:00:00+02:00", false},
			{"2016-10-01T00:00:00+02:00", "2016-10-01T00:00:00+02:00", "2016-11-01T00:00:00+01:00", false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := cdr.DefaultQueueSettings("klinisk")
			// The store sums the buckets in the range per period start, so
			// a partial period's counts come keyed by the period's start.
			sums := map[time.Time]cdr.Counts{}
			for i, w := range tc.want {
				sums[at(w.start).UTC()] = cdr.Counts{Offered: uint64(i + 1), Answered: uint64(i + 1), AnsweredWithinSLA: uint64(i + 1)}
			}
			rows, err := Build(q, testVersion, "*", tc.period, "all", at(tc.from), at(tc.to), countedWith(q, testVersion, sums))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := WriteJSON(&b, rows); err != nil {
				t.Fatal(err)
			}
			var got []map[string]any
			if err := json.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d rows; want %d:\n%s", len(got), len(tc.want), b.String())
			}
			for i, w := range tc.want {
				g := got[i]
				if g["period_start"] != w.start || g["counted_from"] != w.from || g["counted_to"] != w.to || g["partial"] != w.partial {
					t.Errorf("row %d: got period_start %v counted_from %v counted_to %v partial %v; want %s %s %s %v",
						i, g["period_start"], g["counted_from"], g["counted_to"], g["partial"], w.start, w.from, w.to, w.partial)
				}
				if g["offered"] != float64(i+1) {
					t.Errorf("row %d: got offered %v; want %d, the sum of its period's buckets in the range", i, g["offered"], i+1)
				}
			}

			// CSV has the same three columns, in the order of JSON's names.
			b.Reset()
			if err := WriteCSV(&b, rows, false); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			if !strings.HasSuffix(lines[0], ",partial,counted_from,counted_to") {
				t.Errorf("CSV header: %s", lines[0])
			}
			for i, w := range tc.want {
				if suffix := fmt.Sprintf(",%v,%s,%s", w.partial, w.from, w.to); !strings.HasSuffix(lines[i+1], suffix) {
					t.Errorf("CSV row %d: %s; want it to end %s", i, lines[i+1], suffix)
				}
			}

			// The table and Markdown mark a partial row and say which part
			// of its period it counts; whole rows are not marked.
			for name, write := range map[string]func(*bytes.Buffer) error{
				"table":    func(b *bytes.Buffer) error { return WriteTable(b, rows) },
				"markdown": func(b *bytes.Buffer) error { return WriteMarkdown(b, rows) },
			} {
				b.Reset()
				if err := write(&b); err != nil {
					t.Fatal(err)
				}
				out := b.String()
				marked := 0
				for i, w := range tc.want {
					label := periodLabel(tc.period, at(w.start))
					line := tableLine(out, label)
					if line == "" {
						t.Errorf("%s: no line for %s:\n%s", name, label, out)
						continue
					}
					if strings.Contains(line, label+"*") || strings.Contains(line, label+`\*`) {
						marked++
						if !w.partial {
							t.Errorf("%s: whole row %d is marked partial:\n%s", name, i, out)
						}
						span := at(w.from).Format("2006-01-02 15:04 MST") + " to " + at(w.to).Format("2006-01-02 15:04 MST")
						if !strings.Contains(out, label+" counts "+span) {
							t.Errorf("%s: the legend does not say that %s counts %s:\n%s", name, label, span, out)
						}
					} else if w.partial {
						t.Errorf("%s: partial row %d is not marked:\n%s", name, i, out)
					}
				}
				if marked == 0 && strings.Contains(out, "part of") {
					t.Errorf("%s: a legend of partial rows, but none is partial:\n%s", name, out)
				}
			}
		})
	}
}

// tableLine returns the line of a table or Markdown output whose first cell
// starts with label, or "".
func tableLine(out, label string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " |"), label) {
			return l
		}
	}
	return ""
}

// TestCSVCellsCannotBeFormulas: a queue or switch name that a spreadsheet
// would run as a formula is written with a leading quote (OWASP, CSV
// injection); numbers, negative ones and caller numbers included, stay as
// they are.
func TestCSVCellsCannotBeFormulas(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://evil","x")`: `'=HYPERLINK("http://evil","x")`,
		"+cmd|' /C calc'!A0":            "'+cmd|' /C calc'!A0",
		"-2+3":                          "'-2+3",
		"@SUM(A1:A9)":                   "'@SUM(A1:A9)",
		"\t=1":                          "'\t=1",
		"\r=1":                          "'\r=1",
		"servicedesk":                   "servicedesk",
		"-5":                            "-5",
		"+4512345678":                   "+4512345678",
		"-0,25":                         "-0,25",
		"3.5":                           "3.5",
		"":                              "",
		"-":                             "'-",
	} {
		if got := SafeCSV(in); got != want {
			t.Errorf("SafeCSV(%q) = %q; want %q", in, got, want)
		}
	}
	rows := []Row{{Switch: "+4512345678", Queue: "=1+1", Period: "day", Hours: "all"}}
	var b strings.Builder
	if err := WriteCSV(&b, rows, false); err != nil {
		t.Fatal(err)
	}
	line := strings.Split(b.String(), "\n")[1]
	if !strings.HasPrefix(line, "+4512345678,'=1+1,day,") {
		t.Errorf("CSV row %q; want the switch as it is and the queue quoted", line)
	}
}

// TestBuildShowsTheSettingsUsed checks that each row shows the settings its
// period was counted with, not today's: the version, the thresholds and
// formula its ratios are computed with; a period counted with older
// settings, or with several, is marked as not current (JSON, CSV, the
// table and Markdown, whose legend names the versions); a period in which
// nothing was counted has no version and today's thresholds.
func TestBuildShowsTheSettingsUsed(t *testing.T) {
	const older, current = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
	q := cdr.DefaultQueueSettings("klinisk") // today's: sla_s 300, offered_excl_short, target 0.80
	c := cdr.Counts{Offered: 10, Answered: 8, Abandoned: 2, AnsweredWithinSLA: 4}
	with := func(version string, sla int, formula string) cdr.CountedWith {
		return cdr.CountedWith{Version: version, SLAS: sla, ShortAbandonS: 5, SLAFormula: formula, SLATarget: 0.5, FCRTarget: 0.6}
	}
	sums := map[time.Time]cdr.PeriodRollup{
		local(t, "2016-09-01").UTC(): {Counts: c, Versions: []string{current}, With: with(current, 300, cdr.FormulaOfferedExclShort)},
		local(t, "2016-10-01").UTC(): {Counts: c, Versions: []string{older}, With: with(older, 20, cdr.FormulaAnswered)},
		local(t, "2016-11-01").UTC(): {Counts: c, Versions: []string{older, current}, With: with(current, 300, cdr.FormulaOfferedExclShort)},
	}
	rows, err := Build(q, current, "*", "month", "all", local(t, "2016-09-01"), local(t, "2017-01-01"), sums)
	if err != nil {
		t.Fatal(err)
	}
	str := func(v *string) string {
		if v == nil {
			return "null"
		}
		return *v
	}
	for i, w := range []struct {
		version string
		current bool
		sla     int
		formula string
		target  float64
		level   float64 // service_level; -1 for null
		met     bool
	}{
		{current, true, 300, cdr.FormulaOfferedExclShort, 0.5, 0.4, false},
		{older, false, 20, cdr.FormulaAnswered, 0.5, 0.5, true},
		{older + "," + current, false, 300, cdr.FormulaOfferedExclShort, 0.5, 0.4, false},
		{"null", true, 300, cdr.FormulaOfferedExclShort, 0.8, -1, false},
	} {
		r := rows[i]
		level := -1.0
		if r.ServiceLevel != nil {
			level = *r.ServiceLevel
		}
		if str(r.SettingsVersion) != w.version || r.SettingsCurrent != w.current || r.SLAS != w.sla || r.SLAFormula != w.formula ||
			r.SLATarget != w.target || math.Abs(level-w.level) > 1e-12 || (r.SLAMet != nil && *r.SLAMet != w.met) {
			t.Errorf("%s: got version %s current %v sla_s %d %s target %v service_level %v; want %s %v %d %s %v %v",
				r.PeriodStart.Format("2006-01"), str(r.SettingsVersion), r.SettingsCurrent, r.SLAS, r.SLAFormula, r.SLATarget, level,
				w.version, w.current, w.sla, w.formula, w.target, w.level)
		}
	}

	var b bytes.Buffer
	if err := WriteCSV(&b, rows, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for i, want := range []string{current + ",true", older + ",false", `"` + older + "," + current + `",false`, ",true"} {
		if !strings.Contains(lines[i+1], ","+want+",false,") {
			t.Errorf("CSV row %d: %s; want settings_version and settings_current %s before partial", i, lines[i+1], want)
		}
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"table":    func(b *bytes.Buffer) error { return WriteTable(b, rows) },
		"markdown": func(b *bytes.Buffer) error { return WriteMarkdown(b, rows) },
	} {
		b.Reset()
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for month, marked := range map[string]bool{"2016-09": false, "2016-10": true, "2016-11": true, "2016-12": false} {
			if line := tableLine(out, month); strings.Contains(line, month+markOther) != marked {
				t.Errorf("%s: %s marked %v; want %v:\n%s", name, month, !marked, marked, out)
			}
		}
		for _, want := range []string{"current version " + current, "2016-10 with settings version " + older + " (sla 20 s)", "2016-11 with settings version " + older + "," + current} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the legend does not say %q:\n%s", name, want, out)
			}
		}
	}
}
