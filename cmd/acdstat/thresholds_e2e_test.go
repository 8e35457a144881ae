package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// thresholdTimes are the thresholds people quote, checked below.
var thresholdTimes = []int{10, 20, 30, 60, 300}

// exactWaitLines are queue_log lines of answered and abandoned calls of
// servicedesk that waited one second less than, exactly and one second
// more than each of thresholdTimes, on Tuesday 28 October 2025 from 10:00
// (in opening hours), with the truth of each: the simulated week has few
// calls that wait exactly 60 s, so the edge is made sure of here.
func exactWaitLines() (string, []simulate.TruthCall) {
	loc := simulate.Copenhagen()
	at := time.Date(2025, 10, 28, 10, 0, 0, 0, loc)
	var b strings.Builder
	var truth []simulate.TruthCall
	n := 0
	for _, th := range thresholdTimes {
		for _, w := range []int{th - 1, th, th + 1} {
			for _, o := range []string{simulate.OutcomeAnswered, simulate.OutcomeAbandoned} {
				n++
				id := fmt.Sprintf("edge%d.%d", th, n)
				enter := at.Add(time.Duration(n) * 7 * time.Minute)
				end := enter.Add(time.Duration(w) * time.Second)
				fmt.Fprintf(&b, "%d|%s|servicedesk|NONE|ENTERQUEUE||4512%06d|1\n", enter.Unix(), id, n)
				talk := 0
				if o == simulate.OutcomeAnswered {
					talk = 30
					fmt.Fprintf(&b, "%d|%s|servicedesk|PJSIP/2101|CONNECT|%d|%s.9|1\n", end.Unix(), id, w, id)
					fmt.Fprintf(&b, "%d|%s|servicedesk|PJSIP/2101|COMPLETECALLER|%d|%d|1\n", end.Add(30*time.Second).Unix(), id, w, talk)
				} else {
					fmt.Fprintf(&b, "%d|%s|servicedesk|NONE|ABANDON|1|1|%d\n", end.Unix(), id, w)
				}
				truth = append(truth, simulate.TruthCall{CallID: id, Queue: "servicedesk", Seq: 1, Outcome: o, Enter: enter, WaitS: w, TalkS: talk, InHours: true})
			}
		}
	}
	return b.String(), truth
}

// within counts per local day (day) or month, queue and hours the answered
// and the abandoned calls of calls that waited at most each threshold.
type withinKey struct {
	Queue string
	Start time.Time
	Hours string
	T     int
}

func truthWithin(calls []simulate.TruthCall, period func(time.Time) time.Time) map[withinKey][2]uint64 {
	out := map[withinKey][2]uint64{}
	for _, c := range calls {
		hours := []string{"all"}
		if c.InHours {
			hours = append(hours, "in")
		}
		for _, h := range hours {
			for _, th := range thresholdTimes {
				k := withinKey{c.Queue, period(c.Enter).UTC(), h, th}
				v := out[k]
				if c.WaitS <= th && c.Outcome == simulate.OutcomeAnswered {
					v[0]++
				}
				if c.WaitS <= th && c.Outcome == simulate.OutcomeAbandoned {
					v[1]++
				}
				out[k] = v
			}
		}
	}
	return out
}

// TestThresholdsGiveTheSimulatorsFigures ingests a simulated week and
// calls that waited exactly 10, 20, 30, 60 and 300 s (and a second less
// and more), rolls it up once, and asks acdstat report --sla and
// GET /v1/report?sla= for the figures at all five thresholds per day and
// month, for all calls and in opening hours: the answered and abandoned
// calls within each must be the simulator's, a wait of exactly the
// threshold within it, and the service level at 300 s the report's own.
func TestThresholdsGiveTheSimulatorsFigures(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	sim := smallSim(t, 7)
	edge, edgeTruth := exactWaitLines()
	var log bytes.Buffer
	if err := sim.WriteQueueLog(&log); err != nil {
		t.Fatal(err)
	}
	log.WriteString(edge)
	file := filepath.Join(t.TempDir(), "queue_log")
	if err := os.WriteFile(file, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(t, environ, "ingest", "--format", "queue_log", file)
	runCmd(t, environ, "rollup")
	calls := append(append([]simulate.TruthCall(nil), sim.Truth().Calls...), edgeTruth...)
	loc := simulate.Copenhagen()
	day := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	}
	month := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	}
	for _, th := range thresholdTimes {
		exact := 0
		for _, c := range calls {
			if c.WaitS == th && c.Queue == "servicedesk" {
				exact++
			}
		}
		if exact < 2 {
			t.Fatalf("the calls hold %d of servicedesk that waited exactly %d s; want some answered and abandoned", exact, th)
		}
	}

	check := func(what string, want map[withinKey][2]uint64, queue, hours string, rows []map[string]any) {
		t.Helper()
		compared := 0
		for _, r := range rows {
			start := rowTime(t, r, "period_start").UTC()
			ths, _ := r["thresholds"].([]any)
			if len(ths) != len(thresholdTimes) {
				t.Fatalf("%s %s %s: got thresholds %v; want %d", what, queue, start, r["thresholds"], len(thresholdTimes))
			}
			for i, x := range ths {
				th := x.(map[string]any)
				k := withinKey{queue, start, hours, thresholdTimes[i]}
				w := want[k]
				if th["sla_s"] != float64(thresholdTimes[i]) || th["answered_within"] != float64(w[0]) || th["abandoned_within"] != float64(w[1]) {
					t.Errorf("%s %s %s %s at %d s: got %v; want answered %d, abandoned %d", what, queue, start.Format(time.RFC3339), hours, thresholdTimes[i], th, w[0], w[1])
				}
				if thresholdTimes[i] == 300 && !sameNumber(fmt.Sprint(th["service_level"]), r["service_level"]) && !(th["service_level"] == nil && r["service_level"] == nil) {
					t.Errorf("%s %s %s: service level at 300 s %v; the row's %v", what, queue, start.Format(time.RFC3339), th["service_level"], r["service_level"])
				}
				compared++
			}
		}
		if compared == 0 {
			t.Fatalf("%s: nothing compared", what)
		}
	}
	days, months := truthWithin(calls, day), truthWithin(calls, month)
	for _, queue := range []string{"servicedesk", "klinisk", "sp_helpdesk"} {
		for _, hours := range []string{"all", "in"} {
			out := runCmd(t, environ, "report", "--queue", queue, "--period", "day", "--from", "2025-10-26", "--to", "2025-11-02", "--hours", hours, "--sla", "10s,20s,30s,1m,5m", "--format", "json")
			var rows []map[string]any
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatalf("report: %v\n%s", err, out)
			}
			check("acdstat report --sla per day", days, queue, hours, rows)
		}
	}
	var stdout bytes.Buffer
	err := run(context.Background(), process{environ: environ, stdout: &stdout, stderr: io.Discard, now: clockFrom(testToday)},
		[]string{"report", "--queue", "servicedesk", "--sla", "20s,1.5s"})
	if err == nil || !strings.Contains(err.Error(), "--sla") || !strings.Contains(err.Error(), "whole seconds") {
		t.Errorf("report --sla 20s,1.5s: got %v; want it refused, naming --sla", err)
	}
	table := runCmd(t, environ, "report", "--queue", "servicedesk", "--period", "month", "--from", "2025-10-01", "--to", "2025-12-01", "--sla", "20s,60s")
	if !strings.Contains(table, "Within 20 s") || !strings.Contains(table, "Within 1 min") {
		t.Errorf("report --sla as a table has no columns for 20 s and 1 min:\n%s", table)
	}

	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	for _, hours := range []string{"all", "in"} {
		var rows []map[string]any
		q := url.Values{"queue": {"servicedesk"}, "period": {"month"}, "from": {"2025-10-01"}, "to": {"2025-12-01"}, "hours": {hours}, "sla": {"10,20,30,60,300"}}
		getJSON(t, base+"/v1/report?"+q.Encode(), 200, &rows)
		check("GET /v1/report?sla= per month", months, "servicedesk", hours, rows)
	}
	var e map[string]string
	getJSON(t, base+"/v1/report?"+url.Values{"queue": {"servicedesk"}, "sla": {"soon"}}.Encode(), 400, &e)
	if !strings.HasPrefix(e["error"], "sla: ") {
		t.Errorf("?sla=soon: %q; want an error about sla", e["error"])
	}
}
