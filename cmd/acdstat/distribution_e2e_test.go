package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// slotKey is one hour of day (0–23) or weekday ("mon" … "sun") of a queue,
// for all calls or in opening hours.
type slotKey struct {
	Queue, Slot, Hours string
}

var weekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// truthSlots counts the simulator's calls per queue, local hour of day or
// weekday (by) and hours: offered, answered, abandoned, short abandoned
// and answered within 300 s, the figures of the distributions' rows. It
// shares no code with acdstat: the local clock is Go's, in the
// simulation's zone.
func truthSlots(calls []simulate.TruthCall, by string, loc *time.Location) map[slotKey][5]uint64 {
	out := map[slotKey][5]uint64{}
	for _, c := range calls {
		l := c.Enter.In(loc)
		slot := weekdayNames[l.Weekday()]
		if by == "hour-of-day" {
			slot = string(rune('0'+l.Hour()/10)) + string(rune('0'+l.Hour()%10))
		}
		hours := []string{"all"}
		if c.InHours {
			hours = append(hours, "in")
		}
		for _, h := range hours {
			k := slotKey{c.Queue, slot, h}
			v := out[k]
			v[0]++
			switch c.Outcome {
			case simulate.OutcomeAnswered:
				v[1]++
				if c.WaitS <= 300 {
					v[4]++
				}
			case simulate.OutcomeAbandoned:
				v[2]++
				if c.WaitS < 5 {
					v[3]++
				}
			}
			out[k] = v
		}
	}
	return out
}

// TestDistributionsGiveTheSimulatorsFigures ingests two simulated spans
// that hold a daylight-saving change each (the spring day of 2025, a
// 23-hour day without 02:00, and the autumn week, whose Sunday has 02:00
// twice), rolls them up, and asks acdstat report --by hour-of-day and
// --by weekday, and GET /v1/report?by=, for each span, queue and hours:
// every hour of day and weekday must hold the simulator's calls by their
// local clock (both 02:00 hours of the autumn day in hour 2), with the
// service level of those counts, and an hour or day without calls must be
// there with zero calls; and GET /v1/calls?hour_of_day= or ?weekday= lists
// as many calls as each row counts, offered and answered, with the waits of
// its averages.
func TestDistributionsGiveTheSimulatorsFigures(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	loc := simulate.Copenhagen()
	autumn := smallSim(t, 7)
	cfg := simulate.DefaultConfig()
	cfg.CallsPerDay, cfg.Seed = 150, 8
	cfg.Start, cfg.Days = time.Date(2025, 3, 29, 0, 0, 0, 0, loc), 4
	spring, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	for _, s := range []*simulate.Sim{spring, autumn} {
		if err := s.WriteQueueLog(&log); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "queue_log")
	if err := os.WriteFile(file, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(t, environ, "ingest", "--format", "queue_log", file)
	runCmd(t, environ, "rollup")

	spans := []struct {
		from, to string
		sim      *simulate.Sim
	}{{"2025-03-29", "2025-04-02", spring}, {"2025-10-26", "2025-11-02", autumn}}
	check := func(what string, want map[slotKey][5]uint64, queue, by, hours string, rows []map[string]any) {
		t.Helper()
		n := 24
		if by == "weekday" {
			n = 7
		}
		if len(rows) != n {
			t.Fatalf("%s: got %d rows; want %d", what, len(rows), n)
		}
		for i, r := range rows {
			var slot string
			if by == "hour-of-day" {
				h, ok := r["hour_of_day"].(float64)
				if !ok || int(h) != i {
					t.Fatalf("%s row %d: hour_of_day %v; want %d", what, i, r["hour_of_day"], i)
				}
				slot = string(rune('0'+i/10)) + string(rune('0'+i%10))
			} else {
				slot, _ = r["weekday"].(string)
				if slot != weekdayNames[(i+1)%7] {
					t.Fatalf("%s row %d: weekday %v; want %s (Monday first)", what, i, r["weekday"], weekdayNames[(i+1)%7])
				}
			}
			if r["period"] != by || r["hours"] != hours {
				t.Errorf("%s row %d: period %v, hours %v; want %s, %s", what, i, r["period"], r["hours"], by, hours)
			}
			w := want[slotKey{queue, slot, hours}]
			got := [5]uint64{}
			for j, f := range []string{"offered", "answered", "abandoned", "short_abandoned", "answered_within_sla"} {
				v, _ := r[f].(float64)
				got[j] = uint64(v)
			}
			if got != w {
				t.Errorf("%s %s %s: got offered, answered, abandoned, short, within %v; want %v", what, queue, slot, got, w)
			}
			var sl any
			if w[0] > w[3] {
				sl = float64(w[4]) / float64(w[0]-w[3])
			}
			if r["service_level"] != sl {
				t.Errorf("%s %s %s: service level %v; want %v", what, queue, slot, r["service_level"], sl)
			}
		}
	}
	for _, sp := range spans {
		for _, by := range []string{"hour-of-day", "weekday"} {
			want := truthSlots(sp.sim.Truth().Calls, by, loc)
			for _, queue := range []string{"servicedesk", "klinisk"} {
				for _, hours := range []string{"all", "in"} {
					out := runCmd(t, environ, "report", "--queue", queue, "--by", by, "--from", sp.from, "--to", sp.to, "--hours", hours, "--format", "json")
					var rows []map[string]any
					if err := json.Unmarshal([]byte(out), &rows); err != nil {
						t.Fatalf("report --by %s: %v\n%s", by, err, out)
					}
					check("acdstat report --by "+by+" from "+sp.from, want, queue, by, hours, rows)
				}
			}
		}
	}
	// The autumn Sunday's two 02:00 hours both count in hour 2, and the
	// spring Sunday has none, but its week still has hour 2 on other days.
	autumnSunday := 0
	for _, c := range autumn.Truth().Calls {
		if l := c.Enter.In(loc); l.Day() == 26 && l.Hour() == 2 {
			autumnSunday++
		}
	}
	if autumnSunday < 2 {
		t.Fatalf("the autumn Sunday has %d calls in its 02:00 hours; the test wants some in both", autumnSunday)
	}

	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	for _, sp := range spans {
		for _, by := range []string{"hour-of-day", "weekday"} {
			want := truthSlots(sp.sim.Truth().Calls, by, loc)
			var rows []map[string]any
			q := url.Values{"queue": {"servicedesk"}, "by": {by}, "from": {sp.from}, "to": {sp.to}, "hours": {"in"}}
			getJSON(t, base+"/v1/report?"+q.Encode(), 200, &rows)
			check("GET /v1/report?by="+by+" from "+sp.from, want, "servicedesk", by, "in", rows)
			// The calls behind each slot's figures (GET /v1/calls with the
			// slot's filter) are as many as it counts, with the waits of
			// its average wait: both 02:00 hours of the autumn Sunday too.
			param := map[string]string{"hour-of-day": "hour_of_day", "weekday": "weekday"}[by]
			for _, r := range rows {
				slot := fmt.Sprint(r[param])
				for _, outcome := range []string{"", "answered"} {
					cq := url.Values{"queue": {"servicedesk"}, "from": {sp.from}, "to": {sp.to}, "hours": {"in"}, param: {slot}, "limit": {"1"}}
					figure, avg := r["offered"].(float64), r["avg_wait_s"]
					if outcome != "" {
						cq.Set("outcome", outcome)
						figure, avg = r["answered"].(float64), r["asa_s"]
					}
					var page struct {
						Total    float64 `json:"total"`
						WaitSumS float64 `json:"wait_s_sum"`
					}
					getJSON(t, base+"/v1/calls?"+cq.Encode(), 200, &page)
					a, _ := avg.(float64)
					if page.Total != figure || math.Abs(page.WaitSumS-a*figure) > 1e-6*math.Max(1, page.WaitSumS) {
						t.Errorf("%s %s %s from %s: %v calls listed waiting %v s; the row counts %v, average wait %v", by, slot, outcome, sp.from, page.Total, page.WaitSumS, figure, avg)
					}
				}
			}
		}
	}
	var e map[string]string
	getJSON(t, base+"/v1/report?"+url.Values{"queue": {"servicedesk"}, "by": {"week"}}.Encode(), 400, &e)
	if e["error"] == "" {
		t.Errorf("?by=week: no error")
	}
}
