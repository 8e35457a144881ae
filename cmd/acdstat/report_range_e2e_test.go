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
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// TestReportRangeInsidePeriods ingests a simulated week (26 October to
// 1 November 2025, rolled up at testToday) and asks acdstat report and
// GET /v1/report for ranges that start and end inside a period: a
// Tuesday morning to the small hours of 1 November per month, and a
// Tuesday morning to a Thursday afternoon per day. Every row must hold
// exactly the simulator's calls that joined in [from, to) of its period,
// none before from and none at or after to, and the first and last rows
// must say that they are partial and which part they count. A from or to
// off a quarter hour is refused with the reason, by both.
func TestReportRangeInsidePeriods(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	sim := smallSim(t, 7)
	runCmd(t, environ, "ingest", "--format", "queue_log", writeLines(t, "queue_log", sim.Lines()))
	runCmd(t, environ, "rollup")
	truth := sim.Truth()
	loc := simulate.Copenhagen()

	// The test's own calendar, sharing no code with cdr's.
	periodOf := map[string]func(time.Time) time.Time{
		"day": func(t time.Time) time.Time {
			l := t.In(loc)
			return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		},
		"month": func(t time.Time) time.Time {
			l := t.In(loc)
			return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
		},
	}
	nextOf := map[string]func(time.Time) time.Time{
		"day":   func(t time.Time) time.Time { return t.AddDate(0, 0, 1) },
		"month": func(t time.Time) time.Time { return t.AddDate(0, 1, 0) },
	}
	cases := []struct{ period, from, to string }{
		{"month", "2025-10-28T09:45", "2025-11-01T03:00"},
		{"day", "2025-10-28T09:45", "2025-10-30T13:15"},
	}
	// want returns the expected rows of a case (all calls of servicedesk)
	// and the rows' spans, and checks that the truth has calls of the
	// first period before from and of the last at or after to: a report
	// that counted whole periods would then differ.
	type span struct{ start, from, to time.Time }
	want := func(period, fromArg, toArg string) (map[viewKey]figures, []span) {
		from, err := time.ParseInLocation("2006-01-02T15:04", fromArg, loc)
		if err != nil {
			t.Fatal(err)
		}
		to, err := time.ParseInLocation("2006-01-02T15:04", toArg, loc)
		if err != nil {
			t.Fatal(err)
		}
		first, last := periodOf[period](from), periodOf[period](to)
		in := &simulate.Truth{}
		before, after := 0, 0
		for _, c := range truth.Calls {
			switch {
			case c.Queue != "servicedesk":
			case !c.Enter.Before(first) && c.Enter.Before(from):
				before++
			case !c.Enter.Before(to) && c.Enter.Before(nextOf[period](last)):
				after++
			case !c.Enter.Before(from) && c.Enter.Before(to):
				in.Calls = append(in.Calls, c)
			}
		}
		if before == 0 || after == 0 {
			t.Fatalf("per %s from %s to %s: the truth has %d calls of the first period before from and %d of the last after to; want some of both", period, fromArg, toArg, before, after)
		}
		exp := expected(in, periodOf[period])
		for k, f := range exp {
			if k.Hours != "all" {
				delete(exp, k)
				continue
			}
			// The report row has the ratios of these sums, not the sums.
			f.WaitAnswered, f.WaitAll, f.Talk = 0, 0, 0
			exp[k] = f
		}
		var spans []span
		for p := first; p.Before(to); p = nextOf[period](p) {
			s := span{p, p, nextOf[period](p)}
			if s.from.Before(from) {
				s.from = from
			}
			if s.to.After(to) {
				s.to = to
			}
			spans = append(spans, s)
		}
		return exp, spans
	}
	check := func(what, period, from, to string, rows []map[string]any) {
		t.Helper()
		exp, spans := want(period, from, to)
		if len(rows) != len(spans) {
			t.Fatalf("%s: got %d rows; want %d", what, len(rows), len(spans))
		}
		got := map[viewKey]figures{}
		for i, r := range rows {
			start := rowTime(t, r, "period_start")
			s := spans[i]
			partial := !s.from.Equal(s.start) || !s.to.Equal(nextOf[period](s.start))
			if !start.Equal(s.start) || !rowTime(t, r, "counted_from").Equal(s.from) || !rowTime(t, r, "counted_to").Equal(s.to) || r["partial"] != partial {
				t.Errorf("%s row %d: period_start %v counted_from %v counted_to %v partial %v; want %s %s %s %v", what, i,
					r["period_start"], r["counted_from"], r["counted_to"], r["partial"],
					s.start.Format(time.RFC3339), s.from.Format(time.RFC3339), s.to.Format(time.RFC3339), partial)
			}
			if r["offered"].(float64) > 0 {
				got[viewKey{"servicedesk", start.UTC(), "all"}] = reportFigures(r)
			}
		}
		compareFigures(t, what, got, exp)
	}

	for _, tc := range cases {
		out := runCmd(t, environ, "report", "--queue", "servicedesk", "--period", tc.period, "--from", tc.from, "--to", tc.to, "--format", "json")
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("report --format json: %v\n%s", err, out)
		}
		check("acdstat report per "+tc.period, tc.period, tc.from, tc.to, rows)
	}

	// The table marks the partial rows and says what they count.
	table := runCmd(t, environ, "report", "--queue", "servicedesk", "--period", "month", "--from", "2025-10-28T09:45", "--to", "2025-11-01T03:00")
	for _, s := range []string{"2025-10*", "2025-11*", "2025-10 counts 2025-10-28 09:45 CET to 2025-11-01 00:00 CET", "2025-11 counts 2025-11-01 00:00 CET to 2025-11-01 03:00 CET"} {
		if !strings.Contains(table, s) {
			t.Errorf("report table lacks %q:\n%s", s, table)
		}
	}

	// A from off a quarter hour is refused, naming the flag and the
	// quarter hours around it.
	var stdout bytes.Buffer
	err := run(context.Background(), process{environ: environ, stdout: &stdout, stderr: io.Discard, now: clockFrom(testToday)},
		[]string{"report", "--queue", "servicedesk", "--from", "2025-10-28T09:50", "--to", "2025-11-01"})
	if err == nil || !strings.Contains(err.Error(), "--from") || !strings.Contains(err.Error(), "2025-10-28T09:45") || !strings.Contains(err.Error(), "2025-10-28T10:00") {
		t.Errorf("report --from 2025-10-28T09:50: got %v; want it refused, naming --from and 09:45 or 10:00", err)
	}

	// The HTTP API answers the same rows.
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	for _, tc := range cases {
		var rows []map[string]any
		q := url.Values{"queue": {"servicedesk"}, "period": {tc.period}, "from": {tc.from}, "to": {tc.to}}
		getJSON(t, base+"/v1/report?"+q.Encode(), 200, &rows)
		check("GET /v1/report per "+tc.period, tc.period, tc.from, tc.to, rows)
	}
	resp, err := http.Get(base + "/v1/report?" + url.Values{"queue": {"servicedesk"}, "from": {"2025-10-28T09:45"}, "to": {"2025-11-01T03:00"}, "format": {"csv"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], ",partial,counted_from,counted_to") ||
		!strings.HasSuffix(lines[1], ",true,2025-10-28T09:45:00+01:00,2025-11-01T00:00:00+01:00") ||
		!strings.HasSuffix(lines[2], ",true,2025-11-01T00:00:00+01:00,2025-11-01T03:00:00+01:00") {
		t.Errorf("CSV of a partial range:\n%s", b)
	}
	var e map[string]string
	getJSON(t, base+"/v1/report?"+url.Values{"queue": {"servicedesk"}, "from": {"2025-10-28"}, "to": {"2025-10-31T16:20"}}.Encode(), 400, &e)
	if !strings.HasPrefix(e["error"], "to: ") || !strings.Contains(e["error"], "2025-10-31T16:15") || !strings.Contains(e["error"], "2025-10-31T16:30") {
		t.Errorf("to off a quarter hour: %q", e["error"])
	}
}

// rowTime reads a time field of a report row in JSON.
func rowTime(t *testing.T, r map[string]any, field string) time.Time {
	t.Helper()
	s, _ := r[field].(string)
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return v
}

// reportFigures reads the figures of a report row in JSON: the counts and
// the ratios (a report row has no sums of seconds).
func reportFigures(r map[string]any) figures {
	u := func(k string) uint64 {
		v, _ := r[k].(float64)
		return uint64(v)
	}
	p := func(k string) *float64 {
		v, ok := r[k].(float64)
		if !ok {
			return nil
		}
		return &v
	}
	f := figures{
		Offered: u("offered"), Answered: u("answered"), Abandoned: u("abandoned"), Timeout: u("timeout"),
		ExitKey: u("exit_key"), ExitOther: u("exit_other"), Unknown: u("unknown"), Short: u("short_abandoned"),
		AWithin: u("answered_within_sla"), BWithin: u("abandoned_within_sla"), Transferred: u("transferred"), MaxWait: u("max_wait_s"),
		ServiceLevel: p("service_level"), ASA: p("asa_s"), AvgWait: p("avg_wait_s"), AbandonRate: p("abandon_rate"),
		AvgTalk: p("avg_talk_s"), P50: p("p50_wait_s"), P90: p("p90_wait_s"), P95: p("p95_wait_s"),
	}
	if met, ok := r["sla_met"].(bool); ok {
		var v uint8
		if met {
			v = 1
		}
		f.SLAMet = &v
	}
	return f
}
