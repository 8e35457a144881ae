package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func TestParseThresholds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"20s,60s", []int{20, 60}, ""},
		{"20,60", []int{20, 60}, ""},
		{" 30 , 1m, 5m ", []int{30, 60, 300}, ""},
		{"60,20,60s", []int{60, 20}, ""},
		{"0", []int{0}, ""},
		{"24h", []int{86400}, ""},
		{"", nil, "no threshold"},
		{"20,", nil, "empty threshold"},
		{"1.5s", nil, "whole seconds"},
		{"-5", nil, "0 s to 24 h"},
		{"25h", nil, "0 s to 24 h"},
		{"soon", nil, "not a number of seconds"},
		{"1,2,3,4,5,6,7,8,9,10,11", nil, "at most 10"},
	} {
		got, err := ParseThresholds(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseThresholds(%q): got %v, %v; want an error about %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseThresholds(%q): got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestThresholdsInEveryForm adds the figures at 20 and 60 s to a report of
// three months: one counted with the waits per outcome, one of zeros, one
// counted before them (unknown); and checks them in JSON, CSV, XLSX and
// the table, where an unknown figure is null, an empty cell and "?".
func TestThresholdsInEveryForm(t *testing.T) {
	q := cdr.DefaultQueueSettings("klinisk")
	q.Location = copenhagen(t)
	sums := map[time.Time]cdr.Counts{
		local(t, "2025-01-01").UTC(): {
			Offered: 10, Answered: 6, Abandoned: 3, Timeout: 1, ShortAbandoned: 1, AnsweredWithinSLA: 6, AbandonedWithinSLA: 3,
			AnsweredWaits:  map[uint32]uint64{5: 2, 20: 2, 21: 1, 60: 1},
			AbandonedWaits: map[uint32]uint64{3: 1, 20: 1, 61: 1},
		},
		local(t, "2025-03-01").UTC(): {Offered: 4, Answered: 4, AnsweredWithinSLA: 4, UnsplitOffered: 4},
	}
	rows, err := Build(q, testVersion, "*", "month", "all", local(t, "2025-01-01"), local(t, "2025-04-01"), countedWith(q, testVersion, sums))
	if err != nil {
		t.Fatal(err)
	}
	AddThresholds(rows, []int{20, 60})

	var js bytes.Buffer
	if err := WriteJSON(&js, rows); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Thresholds []struct {
			SLAS                int      `json:"sla_s"`
			AnsweredWithin      *uint64  `json:"answered_within"`
			AbandonedWithin     *uint64  `json:"abandoned_within"`
			ServiceLevel        *float64 `json:"service_level"`
			SLAMet              *bool    `json:"sla_met"`
			AbandonedWithinRate *float64 `json:"abandoned_within_rate"`
		} `json:"thresholds"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || len(got) != 3 {
		t.Fatalf("JSON: %v, %d rows:\n%s", err, len(got), js.String())
	}
	jan := got[0].Thresholds
	if len(jan) != 2 || jan[0].SLAS != 20 || *jan[0].AnsweredWithin != 4 || *jan[0].AbandonedWithin != 2 ||
		*jan[0].ServiceLevel != 4.0/9 || *jan[0].SLAMet || *jan[0].AbandonedWithinRate != 0.2 ||
		jan[1].SLAS != 60 || *jan[1].AnsweredWithin != 6 || *jan[1].AbandonedWithin != 2 || *jan[1].ServiceLevel != 6.0/9 {
		t.Errorf("January at 20 and 60 s: got %s", jsonOf(t, jan))
	}
	feb := got[1].Thresholds
	if len(feb) != 2 || *feb[0].AnsweredWithin != 0 || feb[0].ServiceLevel != nil || feb[0].SLAMet != nil || feb[0].AbandonedWithinRate != nil {
		t.Errorf("February, no calls: got %s; want zero counts and null ratios", jsonOf(t, feb))
	}
	mar := got[2].Thresholds
	if len(mar) != 2 || mar[0].AnsweredWithin != nil || mar[0].AbandonedWithin != nil || mar[0].ServiceLevel != nil || mar[1].AnsweredWithin != nil {
		t.Errorf("March, counted before the waits per outcome: got %s; want every figure null", jsonOf(t, mar))
	}

	var cs bytes.Buffer
	if err := WriteCSV(&cs, rows, false); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("CSV: %v, %d records", err, len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, name := range []string{"answered_within_20s", "abandoned_within_20s", "service_level_20s", "sla_met_20s", "abandoned_within_rate_20s", "service_level_60s"} {
		if _, ok := col[name]; !ok {
			t.Errorf("CSV has no column %s: %v", name, recs[0])
		}
	}
	if recs[1][col["answered_within_20s"]] != "4" || recs[1][col["service_level_60s"]] != jsonOf(t, 6.0/9) || recs[3][col["answered_within_20s"]] != "" {
		t.Errorf("CSV cells: January %v, March %v", recs[1], recs[3])
	}
	if recs[0][len(csvColumns)-1] != "counted_to" {
		t.Errorf("CSV: the thresholds' columns are not after the report's own: %v", recs[0])
	}

	var x bytes.Buffer
	if err := WriteXLSX(&x, rows); err != nil {
		t.Fatal(err)
	}
	f := readXLSX(t, x.Bytes())
	all, err := f.GetRows("report")
	if err != nil || len(all) != 4 {
		t.Fatalf("XLSX: %v, %d rows", err, len(all))
	}
	if strings.Join(all[0], ",") != strings.Join(recs[0], ",") {
		t.Errorf("XLSX header differs from the CSV's:\n%v\n%v", all[0], recs[0])
	}

	var tb bytes.Buffer
	if err := WriteTable(&tb, rows); err != nil {
		t.Fatal(err)
	}
	out := tb.String()
	if !strings.Contains(out, "Within 20 s") || !strings.Contains(out, "44.4 %") || !strings.Contains(tableLine(out, "2025-03"), "?") || !strings.Contains(out, "acdstat rebuild") {
		t.Errorf("table:\n%s", out)
	}
}
