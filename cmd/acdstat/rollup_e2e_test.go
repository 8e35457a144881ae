package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/simulate"
)

// hospitalQueues is the queue file of the three desks of the simulation.
const hospitalQueues = `queues:
  servicedesk:
    name: Servicedesk
    hours: {mon-thu: "08:00-16:00", fri: "08:00-15:00"}
  klinisk:
    name: Klinisk Servicedesk
    hours: {mon-thu: "08:00-16:00", fri: "08:00-15:00"}
  sp_helpdesk:
    name: SP Helpdesk
    hours: {mon-thu: "08:00-16:00", fri: "08:00-15:00"}
`

// figures are the figures of one view row that the test compares.
type figures struct {
	Offered, Answered, Abandoned, Timeout, ExitKey, ExitOther, Unknown uint64
	Short, AWithin, BWithin, Transferred, WaitAnswered, WaitAll, Talk  uint64
	MaxWait                                                            uint64
	ServiceLevel, ASA, AvgWait, AbandonRate, AvgTalk, P50, P90, P95    *float64
	SLAMet                                                             *uint8
}

type viewKey struct {
	Queue string
	Start time.Time
	Hours string
}

// expected computes the figures of METRICS.md from the simulator's truth,
// with the defaults (sla_s 300, short_abandon_s 5, offered_excl_short,
// target 0.80), per queue, local period and hours. It shares no code with
// cdr.Rollup on purpose.
func expected(truth *simulate.Truth, period func(time.Time) time.Time) map[viewKey]figures {
	waits := map[viewKey][]int{}
	out := map[viewKey]figures{}
	for _, c := range truth.Calls {
		hours := []string{"all"}
		if c.InHours {
			hours = append(hours, "in")
		}
		for _, h := range hours {
			k := viewKey{c.Queue, period(c.Enter).UTC(), h}
			f := out[k]
			w := uint64(c.WaitS)
			f.Offered++
			f.WaitAll += w
			f.MaxWait = max(f.MaxWait, w)
			switch c.Outcome {
			case simulate.OutcomeAnswered:
				f.Answered++
				f.WaitAnswered += w
				f.Talk += uint64(c.TalkS)
				if c.WaitS <= 300 {
					f.AWithin++
				}
				if c.Transferred {
					f.Transferred++
				}
			case simulate.OutcomeAbandoned:
				f.Abandoned++
				if c.WaitS < 5 {
					f.Short++
				}
				if c.WaitS <= 300 {
					f.BWithin++
				}
			case simulate.OutcomeTimeout:
				f.Timeout++
			case simulate.OutcomeExitKey:
				f.ExitKey++
			case simulate.OutcomeExitOther:
				f.ExitOther++
			case simulate.OutcomeUnknown:
				f.Unknown++
			}
			out[k] = f
			waits[k] = append(waits[k], c.WaitS)
		}
	}
	div := func(a, b uint64) *float64 {
		if b == 0 {
			return nil
		}
		v := float64(a) / float64(b)
		return &v
	}
	for k, f := range out {
		f.ServiceLevel = div(f.AWithin, f.Offered-f.Short)
		f.ASA = div(f.WaitAnswered, f.Answered)
		f.AvgWait = div(f.WaitAll, f.Offered)
		f.AbandonRate = div(f.Abandoned, f.Offered)
		f.AvgTalk = div(f.Talk, f.Answered)
		if f.ServiceLevel != nil {
			met := uint8(0)
			if *f.ServiceLevel >= 0.80 {
				met = 1
			}
			f.SLAMet = &met
		}
		ws := waits[k]
		sort.Ints(ws)
		rank := func(p int) *float64 {
			r := (p*len(ws) + 99) / 100 // nearest rank, ⌈p·n/100⌉
			v := float64(ws[r-1])
			return &v
		}
		f.P50, f.P90, f.P95 = rank(50), rank(90), rank(95)
		out[k] = f
	}
	return out
}

// openView connects to the test's database as a BI tool would.
func openView(t *testing.T, environ []string) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")},
		Auth: clickhouse.Auth{Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"), Username: "default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readFigures reads a view's rows of one switch, leaving out rows with no
// offered call (buckets that were emptied keep zero rows).
func readFigures(t *testing.T, conn clickhouse.Conn, view, sw string) map[viewKey]figures {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT queue, period_start, hours,
    offered, answered, abandoned, timeout, exit_key, exit_other, unknown,
    short_abandoned, answered_within_sla, abandoned_within_sla, transferred, wait_answered_s, wait_all_s, talk_s, max_wait_s,
    service_level, asa_s, avg_wait_s, abandon_rate, avg_talk_s, p50_wait_s, p90_wait_s, p95_wait_s, sla_met
FROM `+view+` WHERE switch = ? AND offered > 0`, sw)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[viewKey]figures{}
	for rows.Next() {
		var k viewKey
		var f figures
		if err := rows.Scan(&k.Queue, &k.Start, &k.Hours,
			&f.Offered, &f.Answered, &f.Abandoned, &f.Timeout, &f.ExitKey, &f.ExitOther, &f.Unknown,
			&f.Short, &f.AWithin, &f.BWithin, &f.Transferred, &f.WaitAnswered, &f.WaitAll, &f.Talk, &f.MaxWait,
			&f.ServiceLevel, &f.ASA, &f.AvgWait, &f.AbandonRate, &f.AvgTalk, &f.P50, &f.P90, &f.P95, &f.SLAMet); err != nil {
			t.Fatal(err)
		}
		k.Start = k.Start.UTC()
		out[k] = f
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*b))
}

func sameFigures(a, b figures) bool {
	fa, fb := []*float64{a.ServiceLevel, a.ASA, a.AvgWait, a.AbandonRate, a.AvgTalk, a.P50, a.P90, a.P95}, []*float64{b.ServiceLevel, b.ASA, b.AvgWait, b.AbandonRate, b.AvgTalk, b.P50, b.P90, b.P95}
	for i := range fa {
		if !sameFloat(fa[i], fb[i]) {
			return false
		}
	}
	if (a.SLAMet == nil) != (b.SLAMet == nil) || (a.SLAMet != nil && *a.SLAMet != *b.SLAMet) {
		return false
	}
	a.ServiceLevel, a.ASA, a.AvgWait, a.AbandonRate, a.AvgTalk, a.P50, a.P90, a.P95, a.SLAMet = nil, nil, nil, nil, nil, nil, nil, nil, nil
	b.ServiceLevel, b.ASA, b.AvgWait, b.AbandonRate, b.AvgTalk, b.P50, b.P90, b.P95, b.SLAMet = nil, nil, nil, nil, nil, nil, nil, nil, nil
	return a == b
}

func (f figures) String() string {
	p := func(v *float64) string {
		if v == nil {
			return "null"
		}
		return fmt.Sprintf("%.6g", *v)
	}
	return fmt.Sprintf("{O %d A %d B %d T %d K %d X %d U %d S %d A≤T %d B≤T %d tr %d wa %d w %d talk %d max %d sl %s asa %s avg %s ab %s talk %s p50 %s p90 %s p95 %s}",
		f.Offered, f.Answered, f.Abandoned, f.Timeout, f.ExitKey, f.ExitOther, f.Unknown, f.Short, f.AWithin, f.BWithin, f.Transferred,
		f.WaitAnswered, f.WaitAll, f.Talk, f.MaxWait, p(f.ServiceLevel), p(f.ASA), p(f.AvgWait), p(f.AbandonRate), p(f.AvgTalk), p(f.P50), p(f.P90), p(f.P95))
}

func compareFigures(t *testing.T, what string, got, want map[viewKey]figures) {
	t.Helper()
	bad := 0
	for k, w := range want {
		g, ok := got[k]
		if !ok || !sameFigures(g, w) {
			bad++
			if bad <= 10 {
				t.Errorf("%s %s %s %s:\n got %v (present %v)\nwant %v", what, k.Queue, k.Start.Format(time.RFC3339), k.Hours, g, ok, w)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			bad++
			if bad <= 10 {
				t.Errorf("%s %s %s %s: got %v; want no row", what, k.Queue, k.Start.Format(time.RFC3339), k.Hours, g)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d rows differ of %d expected", what, bad, len(want))
	}
}

func writeLines(t *testing.T, name string, lines []simulate.Line) string {
	t.Helper()
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCmd(t *testing.T, environ []string, args ...string) string {
	t.Helper()
	return runCmdAt(t, clockFrom(testToday), environ, args...)
}

// runCmdAt runs a command with the clock now.
func runCmdAt(t *testing.T, now func() time.Time, environ []string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), process{environ: environ, stdout: &out, stderr: io.Discard, now: now}, args); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestRollupGivesTheSimulatorsFigures ingests a simulated week in two
// halves, rolling up after each (the second half ends calls that the first
// roll-up counted as waiting or unknown: late events change buckets already
// rolled up), and checks every count and ratio per queue, day and month,
// for all calls and in-hours calls, as a BI tool reads them; then runs the
// jobs again, resends everything and rebuilds the week, and checks that
// nothing a user reads changes. It runs at several "todays" (the clock of
// every command): the week of the October 2025 daylight-saving change and
// the 1 November month boundary, a Monday after; the spring
// daylight-saving day itself, and the week that holds it; 29 February
// itself, and the week that holds it and 1 March.
func TestRollupGivesTheSimulatorsFigures(t *testing.T) {
	loc := simulate.Copenhagen()
	for _, tc := range []struct {
		name        string
		today       time.Time
		start       time.Time
		callsPerDay int
		mustHave    []time.Time // local days the truth must hold
	}{
		{"autumn DST and a month boundary", testToday, time.Date(2025, 10, 26, 0, 0, 0, 0, loc), 400,
			[]time.Time{time.Date(2025, 10, 26, 0, 0, 0, 0, loc), time.Date(2025, 11, 1, 0, 0, 0, 0, loc)}},
		{"today is the spring DST day", time.Date(2026, 3, 29, 10, 30, 0, 0, loc), time.Date(2026, 3, 22, 0, 0, 0, 0, loc), 150, nil},
		{"the week of the spring DST day", time.Date(2026, 3, 30, 9, 0, 0, 0, loc), time.Date(2026, 3, 23, 0, 0, 0, 0, loc), 150,
			[]time.Time{time.Date(2026, 3, 29, 0, 0, 0, 0, loc)}},
		{"today is 29 February", time.Date(2028, 2, 29, 12, 0, 0, 0, loc), time.Date(2028, 2, 22, 0, 0, 0, 0, loc), 150, nil},
		{"the week of 29 February and 1 March", time.Date(2028, 3, 2, 9, 0, 0, 0, loc), time.Date(2028, 2, 24, 0, 0, 0, 0, loc), 150,
			[]time.Time{time.Date(2028, 2, 29, 0, 0, 0, 0, loc), time.Date(2028, 3, 1, 0, 0, 0, 0, loc)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := simulate.DefaultConfig()
			cfg.Start, cfg.CallsPerDay = tc.start, tc.callsPerDay
			rollupAgreesWithTheTruth(t, cfg, clockFrom(tc.today), tc.mustHave)
		})
	}
}

func rollupAgreesWithTheTruth(t *testing.T, cfg simulate.Config, now func() time.Time, mustHave []time.Time) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	truth := sim.Truth()
	loc := cfg.Location
	lines := sim.Lines()
	half := len(lines) / 2
	runCmdAt(t, now, environ, "ingest", "--format", "queue_log", writeLines(t, "first", lines[:half]))
	runCmdAt(t, now, environ, "rollup")
	runCmdAt(t, now, environ, "ingest", "--format", "queue_log", writeLines(t, "second", lines[half:]))
	runCmdAt(t, now, environ, "rollup")

	day := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	}
	month := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	}
	conn := openView(t, environ)
	wantDays := expected(truth, day)
	if len(wantDays) < 3*7 {
		t.Fatalf("the truth has %d day rows; want at least 21", len(wantDays))
	}
	compareFigures(t, "queue_day", readFigures(t, conn, "queue_day", "default"), wantDays)
	wantMonths := expected(truth, month)
	compareFigures(t, "queue_month", readFigures(t, conn, "queue_month", "default"), wantMonths)
	compareFigures(t, "queue_month *", readFigures(t, conn, "queue_month", "*"), wantMonths)
	t.Logf("%d queue calls: %d day rows and %d month rows equal the truth", len(truth.Calls), len(wantDays), len(wantMonths))
	// A daylight-saving day holds 23 or 25 local hours of calls, and the
	// calls at local midnight on the 1st are in the new month: both are in
	// the truth's keys where the week holds them.
	for _, d := range mustHave {
		if _, ok := wantDays[viewKey{"servicedesk", d.UTC(), "all"}]; !ok {
			t.Errorf("no calls on %s in the truth", d.Format(time.DateOnly))
		}
	}

	// The first customer's BI query works as written: a row per month of
	// the servicedesk, for all and in-hours calls (zeros included), per
	// switch and for all.
	rows, err := conn.Query(context.Background(), "SELECT * FROM "+envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE")+".queue_month WHERE queue = 'servicedesk'")
	if err != nil {
		t.Fatalf("BI query: %v", err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	months := map[time.Time]bool{}
	for k := range wantMonths {
		if k.Queue == "servicedesk" {
			months[k.Start] = true
		}
	}
	if want := 4 * len(months); n != want { // (all, in) × (the switch, *)
		t.Fatalf("BI query: got %d rows; want %d", n, want)
	}

	// Running the jobs again changes nothing a user reads.
	before := readFigures(t, conn, "queue_15m", "default")
	runCmdAt(t, now, environ, "rollup")
	runCmdAt(t, now, environ, "ingest", "--format", "queue_log", writeLines(t, "again", lines))
	runCmdAt(t, now, environ, "rollup")
	if after := readFigures(t, conn, "queue_15m", "default"); !reflect.DeepEqual(before, after) {
		t.Fatalf("queue_15m changed after running the jobs again and resending every line")
	}
	compareFigures(t, "queue_month after rerun", readFigures(t, conn, "queue_month", "default"), wantMonths)

	// rebuild recomputes calls and rollups of a range from the raw events
	// and changes nothing either.
	first := cfg.Start.AddDate(0, 0, -1).Format(time.DateOnly)
	last := cfg.Start.AddDate(0, 0, cfg.Days+1).Format(time.DateOnly)
	runCmdAt(t, now, environ, "rebuild", "--from", first, "--to", last)
	compareFigures(t, "queue_day after rebuild", readFigures(t, conn, "queue_day", "default"), wantDays)
}

// TestViewsApplyEachSLAFormula gives six queues the same calls and each its
// own sla_formula: A=2, A≤T=1, B=3, B≤T=2, O=5, S=1.
func TestViewsApplyEachSLAFormula(t *testing.T) {
	want := map[string]float64{
		"offered_excl_short": 1.0 / 4, "offered": 1.0 / 5, "answered": 1.0 / 2,
		"answered_abandoned": 1.0 / 5, "abandoned_after": 1.0 / 3, "positive": 3.0 / 5,
	}
	var file, log strings.Builder
	file.WriteString("queues:\n")
	t0 := time.Date(2025, 10, 28, 9, 0, 0, 0, simulate.Copenhagen()).Unix()
	for f := range want {
		q := "q_" + f
		fmt.Fprintf(&file, "  %s: {sla_formula: %s, sla_target: 0.5}\n", q, f)
		for i, c := range []struct {
			verb string
			wait int64
		}{{"CONNECT", 10}, {"CONNECT", 400}, {"ABANDON", 2}, {"ABANDON", 100}, {"ABANDON", 500}} {
			id := fmt.Sprintf("%s.%d", q, i)
			fmt.Fprintf(&log, "%d|%s|%s|NONE|ENTERQUEUE||4512345678|1\n", t0, id, q)
			if c.verb == "CONNECT" {
				fmt.Fprintf(&log, "%d|%s|%s|PJSIP/1|CONNECT|%d|x.1|1\n", t0+c.wait, id, q, c.wait)
				fmt.Fprintf(&log, "%d|%s|%s|PJSIP/1|COMPLETECALLER|%d|60|1\n", t0+c.wait+60, id, q, c.wait)
			} else {
				fmt.Fprintf(&log, "%d|%s|%s|NONE|ABANDON|1|1|%d\n", t0+c.wait, id, q, c.wait)
			}
		}
	}
	dir := t.TempDir()
	queues, logFile := filepath.Join(dir, "queues.yaml"), filepath.Join(dir, "queue_log")
	if err := os.WriteFile(queues, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logFile, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	runCmd(t, environ, "ingest", "--format", "queue_log", "--switch", "pbx", logFile)
	runCmd(t, environ, "rollup")
	conn := openView(t, environ)
	for _, view := range []string{"queue_15m", "queue_hour", "queue_day", "queue_month", "queue_quarter", "queue_year"} {
		rows, err := conn.Query(context.Background(), "SELECT queue, sla_formula, service_level, sla_met, offered FROM "+view+" WHERE switch = 'pbx' AND hours = 'all'")
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for rows.Next() {
			var q, f string
			var sl *float64
			var met *uint8
			var offered uint64
			if err := rows.Scan(&q, &f, &sl, &met, &offered); err != nil {
				t.Fatal(err)
			}
			w := want[f]
			if q != "q_"+f || sl == nil || math.Abs(*sl-w) > 1e-12 || met == nil || (*met == 1) != (w >= 0.5) || offered != 5 {
				t.Errorf("%s %s: formula %s service_level %v sla_met %v offered %d; want %v", view, q, f, sl, met, offered, w)
			}
			seen++
		}
		rows.Close()
		if seen != len(want) {
			t.Errorf("%s: got %d rows; want %d", view, seen, len(want))
		}
	}
}
