package store

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/chtest"
)

// update writes the views template's output as a new migration:
// go test ./store -run TestViewsMigrationIsCurrent -update.
var update = flag.Bool("update", false, "write store/views.sql.tmpl as a new migration when it changed")

// queueViewDef is one view of views.sql.tmpl: its name, its period (METRICS.md),
// the rollup_15m column of the period's start and that of the UTC offset at
// the start.
type queueViewDef struct{ Name, Period, Start, Offset string }

// queueViewDefs are the data of views.sql.tmpl, one view per period in the
// order of cdr.Periods.
var queueViewDefs = []queueViewDef{
	{"queue_15m", cdr.Period15m, "bucket", "bucket_offset_s"},
	{"queue_hour", cdr.PeriodHour, "hour_start", "hour_offset_s"},
	{"queue_day", cdr.PeriodDay, "day_start", "day_offset_s"},
	{"queue_month", cdr.PeriodMonth, "month_start", "month_offset_s"},
	{"queue_quarter", cdr.PeriodQuarter, "quarter_start", "quarter_offset_s"},
	{"queue_year", cdr.PeriodYear, "year_start", "year_offset_s"},
}

// queueViews are the names of the BI views of the rollups, in the order of
// cdr.Periods.
var queueViews = func() []string {
	var out []string
	for _, v := range queueViewDefs {
		out = append(out, v.Name)
	}
	return out
}()

// generatedMarker is the first line of every migration made from
// views.sql.tmpl.
const generatedMarker = "-- Generated from store/views.sql.tmpl by"

// renderViews returns the migration that views.sql.tmpl gives.
func renderViews(t *testing.T) string {
	t.Helper()
	tmpl, err := template.ParseFiles("views.sql.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	data := struct {
		Views          []queueViewDef
		DefaultVersion string
	}{queueViewDefs, cdr.DefaultSettingsVersion}
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestViewsMigrationIsCurrent checks that the newest migration generated
// from views.sql.tmpl is what the template gives now. With -update it
// writes a changed template as a new migration, numbered after the newest
// one: applied migrations are never edited.
func TestViewsMigrationIsCurrent(t *testing.T) {
	want := renderViews(t)
	if !strings.HasPrefix(want, generatedMarker+"\n") {
		t.Fatalf("the template's output starts %q; want the line %q first", strings.SplitN(want, "\n", 2)[0], generatedMarker)
	}
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var newest string // the newest generated migration
	var got []byte
	for _, m := range ms {
		b, err := fs.ReadFile(migrationFS, "migrations/"+m.name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(b), generatedMarker) {
			newest, got = m.name, b
		}
	}
	// The template must give statements the migrator runs: each view
	// dropped, then created.
	if stmts := splitStatements(want); len(stmts) != 2*len(queueViewDefs) {
		t.Fatalf("the template gives %d statements; want %d (DROP and CREATE per view)", len(stmts), 2*len(queueViewDefs))
	}
	if newest != "" && string(got) == want {
		return
	}
	last := ms[len(ms)-1]
	name := fmt.Sprintf("%04d_queue_views.sql", last.version+1)
	if !*update {
		what := "no migration is generated from views.sql.tmpl"
		if newest != "" {
			what = "migration " + newest + " differs from what views.sql.tmpl gives"
		}
		t.Fatalf("%s: run go test ./store -run TestViewsMigrationIsCurrent -update to write it as %s (applied migrations are never edited)", what, name)
	}
	if err := os.WriteFile(filepath.Join("migrations", name), []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote migrations/%s; run the tests again to use it", name)
}

// localStart is what a BI user reads as a period's start from a queue view.
type localStart struct {
	start time.Time // period_start
	local *string   // period_start_local; nil for NULL
}

// localStarts reads period_start and period_start_local of one queue,
// switch and hours from view, in time order.
func (s *Store) localStarts(t *testing.T, view, queue, sw, hours string) []localStart {
	t.Helper()
	// view is one of queueViews; DDL and FROM take no bound parameters.
	rows, err := s.conn.Query(context.Background(), `SELECT period_start, period_start_local FROM `+view+`
WHERE queue = ? AND switch = ? AND hours = ? ORDER BY period_start`, queue, sw, hours)
	if err != nil {
		t.Fatalf("%s: %v", view, err)
	}
	defer rows.Close()
	var out []localStart
	for rows.Next() {
		var r localStart
		if err := rows.Scan(&r.start, &r.local); err != nil {
			t.Fatalf("%s: %v", view, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", view, err)
	}
	return out
}

// wall lists the local starts of date from the wall-clock time from to the
// wall-clock time to (both "15:04", included) every step, each written with
// the fixed offset off ("+02:00"): a run of periods in one offset, written
// out without a zone database.
func wall(t *testing.T, date, off, from, to string, step time.Duration) []string {
	t.Helper()
	a, err := time.Parse("2006-01-02 15:04", date+" "+from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := time.Parse("2006-01-02 15:04", date+" "+to)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for c := a; !c.After(b); c = c.Add(step) {
		out = append(out, c.Format("2006-01-02T15:04:05")+off)
	}
	return out
}

// checkLocalStarts compares the local starts a view gives with want, and
// checks that each names the instant of its period_start.
func checkLocalStarts(t *testing.T, what string, got []localStart, want []string) {
	t.Helper()
	var locals []string
	for _, r := range got {
		if r.local == nil {
			t.Errorf("%s: period_start %v: got period_start_local NULL; want a local time", what, r.start.UTC())
			return
		}
		at, err := time.Parse(time.RFC3339, *r.local)
		if err != nil || !at.Equal(r.start) {
			t.Errorf("%s: got period_start_local %s for period_start %v (%v); want the same instant", what, *r.local, r.start.UTC(), err)
		}
		locals = append(locals, *r.local)
	}
	if len(locals) != len(want) {
		t.Errorf("%s: got %d periods %v; want %d %v", what, len(locals), locals, len(want), want)
		return
	}
	for i := range want {
		if locals[i] != want[i] {
			t.Errorf("%s: period %d: got %s; want %s", what, i, locals[i], want[i])
		}
	}
}

// TestViewsGiveLocalPeriodStarts puts a call in every 15-minute bucket of
// one local day per case and checks that every view, 15m and hour
// included, gives each period's start as local time with the zone's offset
// at that start: across both daylight-saving days in Copenhagen (the
// autumn day has 25 hours, two of them at 02:00) and Los Angeles, in
// Honolulu (UTC-10, which the guess of 0003 took for UTC+14), Kolkata
// (+05:30) and Lord Howe (+10:30, and +11:00 in summer: its clocks move by
// half an hour).
func TestViewsGiveLocalPeriodStarts(t *testing.T) {
	const h, q = time.Hour, 15 * time.Minute
	type periods struct {
		quarters, hours           []string // 15m and hour views
		day, month, quarter, year string
	}
	cat := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	cases := []struct {
		zone, day string
		want      periods
	}{
		{"Europe/Copenhagen", "2025-10-26", periods{
			cat(wall(t, "2025-10-26", "+02:00", "00:00", "02:45", q), wall(t, "2025-10-26", "+01:00", "02:00", "23:45", q)),
			cat(wall(t, "2025-10-26", "+02:00", "00:00", "02:00", h), wall(t, "2025-10-26", "+01:00", "02:00", "23:00", h)),
			"2025-10-26T00:00:00+02:00", "2025-10-01T00:00:00+02:00", "2025-10-01T00:00:00+02:00", "2025-01-01T00:00:00+01:00"}},
		{"Europe/Copenhagen", "2025-03-30", periods{
			cat(wall(t, "2025-03-30", "+01:00", "00:00", "01:45", q), wall(t, "2025-03-30", "+02:00", "03:00", "23:45", q)),
			cat(wall(t, "2025-03-30", "+01:00", "00:00", "01:00", h), wall(t, "2025-03-30", "+02:00", "03:00", "23:00", h)),
			"2025-03-30T00:00:00+01:00", "2025-03-01T00:00:00+01:00", "2025-01-01T00:00:00+01:00", "2025-01-01T00:00:00+01:00"}},
		{"America/Los_Angeles", "2025-07-15", periods{
			wall(t, "2025-07-15", "-07:00", "00:00", "23:45", q),
			wall(t, "2025-07-15", "-07:00", "00:00", "23:00", h),
			"2025-07-15T00:00:00-07:00", "2025-07-01T00:00:00-07:00", "2025-07-01T00:00:00-07:00", "2025-01-01T00:00:00-08:00"}},
		{"America/Los_Angeles", "2025-03-09", periods{
			cat(wall(t, "2025-03-09", "-08:00", "00:00", "01:45", q), wall(t, "2025-03-09", "-07:00", "03:00", "23:45", q)),
			cat(wall(t, "2025-03-09", "-08:00", "00:00", "01:00", h), wall(t, "2025-03-09", "-07:00", "03:00", "23:00", h)),
			"2025-03-09T00:00:00-08:00", "2025-03-01T00:00:00-08:00", "2025-01-01T00:00:00-08:00", "2025-01-01T00:00:00-08:00"}},
		{"America/Los_Angeles", "2025-11-02", periods{
			cat(wall(t, "2025-11-02", "-07:00", "00:00", "01:45", q), wall(t, "2025-11-02", "-08:00", "01:00", "23:45", q)),
			cat(wall(t, "2025-11-02", "-07:00", "00:00", "01:00", h), wall(t, "2025-11-02", "-08:00", "01:00", "23:00", h)),
			"2025-11-02T00:00:00-07:00", "2025-11-01T00:00:00-07:00", "2025-10-01T00:00:00-07:00", "2025-01-01T00:00:00-08:00"}},
		{"Pacific/Honolulu", "2025-07-04", periods{
			wall(t, "2025-07-04", "-10:00", "00:00", "23:45", q),
			wall(t, "2025-07-04", "-10:00", "00:00", "23:00", h),
			"2025-07-04T00:00:00-10:00", "2025-07-01T00:00:00-10:00", "2025-07-01T00:00:00-10:00", "2025-01-01T00:00:00-10:00"}},
		{"Asia/Kolkata", "2025-07-01", periods{
			wall(t, "2025-07-01", "+05:30", "00:00", "23:45", q),
			wall(t, "2025-07-01", "+05:30", "00:00", "23:00", h),
			"2025-07-01T00:00:00+05:30", "2025-07-01T00:00:00+05:30", "2025-07-01T00:00:00+05:30", "2025-01-01T00:00:00+05:30"}},
		{"Australia/Lord_Howe", "2025-07-01", periods{
			wall(t, "2025-07-01", "+10:30", "00:00", "23:45", q),
			wall(t, "2025-07-01", "+10:30", "00:00", "23:00", h),
			"2025-07-01T00:00:00+10:30", "2025-07-01T00:00:00+10:30", "2025-07-01T00:00:00+10:30", "2025-01-01T00:00:00+11:00"}},
		// 02:00 standard time becomes 02:30 daylight time: the local hour 02
		// has only its second half.
		{"Australia/Lord_Howe", "2025-10-05", periods{
			cat(wall(t, "2025-10-05", "+10:30", "00:00", "01:45", q), wall(t, "2025-10-05", "+11:00", "02:30", "23:45", q)),
			cat(wall(t, "2025-10-05", "+10:30", "00:00", "01:00", h), []string{"2025-10-05T02:30:00+11:00"}, wall(t, "2025-10-05", "+11:00", "03:00", "23:00", h)),
			"2025-10-05T00:00:00+10:30", "2025-10-01T00:00:00+10:30", "2025-10-01T00:00:00+10:30", "2025-01-01T00:00:00+11:00"}},
		// 02:00 daylight time becomes 01:30 standard time: a second, half
		// hour 01 begins at 01:30+10:30.
		{"Australia/Lord_Howe", "2025-04-06", periods{
			cat(wall(t, "2025-04-06", "+11:00", "00:00", "01:45", q), wall(t, "2025-04-06", "+10:30", "01:30", "23:45", q)),
			cat(wall(t, "2025-04-06", "+11:00", "00:00", "01:00", h), []string{"2025-04-06T01:30:00+10:30"}, wall(t, "2025-04-06", "+10:30", "02:00", "23:00", h)),
			"2025-04-06T00:00:00+11:00", "2025-04-01T00:00:00+11:00", "2025-04-01T00:00:00+11:00", "2025-01-01T00:00:00+11:00"}},
	}
	s := newStore(t)
	ctx := context.Background()
	settings := &cdr.Settings{Queues: map[string]cdr.QueueSettings{}}
	var calls []cdr.QueueCall
	for _, tc := range cases {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		queue := tc.zone + " " + tc.day
		qs := cdr.DefaultQueueSettings(queue)
		qs.Location = loc
		settings.Queues[queue] = qs
		d, err := time.ParseInLocation(time.DateOnly, tc.day, loc)
		if err != nil {
			t.Fatal(err)
		}
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		for at := d; at.Before(next); at = at.Add(q) {
			calls = append(calls, cdr.QueueCall{Switch: "pbx", CallID: queue + at.String(), Queue: queue, Outcome: cdr.Answered, EnterTime: at.UTC(), WaitS: 5})
		}
	}
	if err := s.WriteRollups(ctx, cdr.Rollup(calls, settings, nil), 1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		queue := tc.zone + " " + tc.day
		w := tc.want
		for i, want := range [][]string{w.quarters, w.hours, {w.day}, {w.month}, {w.quarter}, {w.year}} {
			view := queueViews[i]
			checkLocalStarts(t, view+" "+queue, s.localStarts(t, view, queue, "pbx", "all"), want)
			checkLocalStarts(t, view+" "+queue+" switch * in hours", s.localStarts(t, view, queue, "*", "in"), want)
		}
	}
}

// pre0006Insert is how WriteRollups inserted before migration 0006: without
// the offsets, which stored rows then get from their DEFAULTs.
const pre0006Insert = `INSERT INTO rollup_15m (switch, queue, bucket, in_hours,
hour_start, day_start, month_start, quarter_start, year_start, tz, version,
offered, answered, abandoned, timeout, exit_key, exit_other, unknown,
short_abandoned, answered_within_sla, abandoned_within_sla, transferred,
wait_answered_s, wait_all_s, talk_s, max_wait_s, wait_hist_keys, wait_hist_counts,
dispositions, resolved_first_contact, sla_s, short_abandon_s, sla_formula, sla_target, fcr_target)`

// TestViewsAfterUpgrade follows an operator through migration 0006: rollup
// rows written before it have no offsets, so the views give NULL where
// they cannot know the local start (15m and hour, and a day in Honolulu,
// which could be UTC-10 or UTC+14) and the midnight guess of 0003 where it
// has one answer (a day in Copenhagen); after the rebuild of the range
// (what acdstat rebuild runs after the queue calls: aggregate's
// RollupRange) every view gives the right local start.
func TestViewsAfterUpgrade(t *testing.T) {
	addr, db := chtest.NewDatabase(t)
	ctx := context.Background()
	s, err := Open(ctx, testConfig(addr, db), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	all, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var before []migration
	for _, m := range all {
		if m.version < 6 {
			before = append(before, m)
		}
	}
	if _, err := s.migrate(ctx, before); err != nil {
		t.Fatal(err)
	}

	hnl, err := time.LoadLocation("Pacific/Honolulu")
	if err != nil {
		t.Fatal(err)
	}
	hq := cdr.DefaultQueueSettings("hnl")
	hq.Location = hnl
	settings := &cdr.Settings{Queues: map[string]cdr.QueueSettings{"hnl": hq}} // "cph" gets the default zone
	call := func(queue, at string) cdr.StoredCall {
		enter, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		return cdr.StoredCall{QueueCall: cdr.QueueCall{Switch: "pbx", CallID: queue + at, Queue: queue, Outcome: cdr.Answered,
			EnterTime: enter.UTC(), AnswerTime: enter.UTC().Add(5 * time.Second), EndTime: enter.UTC().Add(time.Minute), WaitS: 5, TalkS: 55}, Version: 1}
	}
	stored := []cdr.StoredCall{
		call("cph", "2025-10-26T02:20:00+02:00"), call("cph", "2025-10-26T02:20:00+01:00"),
		call("hnl", "2025-07-04T23:50:00-10:00"),
	}
	var calls []cdr.QueueCall
	for _, c := range stored {
		calls = append(calls, c.QueueCall)
	}
	cols := rollupColumns(cdr.Rollup(calls, settings, nil), 1)
	// The six offsets, the settings version (0008) and the five columns
	// of the waits per outcome (0014) came later.
	if err := s.sendColumns(ctx, "rollup_15m", pre0006Insert, cols[:len(cols)-12]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// The calls the rebuild reads, written as the acdstat that migrated
	// writes them (with the columns of every migration).
	if err := s.WriteCalls(ctx, stored); err != nil {
		t.Fatal(err)
	}

	str := func(v string) *string { return &v }
	check := func(when, view, queue string, want ...*string) {
		t.Helper()
		got := s.localStarts(t, view, queue, "pbx", "all")
		if len(got) != len(want) {
			t.Fatalf("%s, %s %s: got %d rows; want %d", when, view, queue, len(got), len(want))
		}
		for i, r := range got {
			if (r.local == nil) != (want[i] == nil) || r.local != nil && *r.local != *want[i] {
				g, w := "NULL", "NULL"
				if r.local != nil {
					g = *r.local
				}
				if want[i] != nil {
					w = *want[i]
				}
				t.Errorf("%s, %s %s, period_start %v: got period_start_local %s; want %s", when, view, queue, r.start.UTC(), g, w)
			}
		}
	}
	check("before the rebuild", "queue_15m", "cph", nil, nil)
	check("before the rebuild", "queue_hour", "cph", nil, nil)
	check("before the rebuild", "queue_day", "cph", str("2025-10-26T00:00:00+02:00"))
	check("before the rebuild", "queue_month", "cph", str("2025-10-01T00:00:00+02:00"))
	check("before the rebuild", "queue_year", "cph", str("2025-01-01T00:00:00+01:00"))
	check("before the rebuild", "queue_hour", "hnl", nil)
	check("before the rebuild", "queue_day", "hnl", nil)
	check("before the rebuild", "queue_year", "hnl", nil)

	r := aggregate.NewRoller(aggregate.Config{RollupChunk: 1000}, slog.New(slog.DiscardHandler), aggregate.FixedSettings(settings), s, s, s)
	from, to := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := r.RollupRange(ctx, s, from, to); err != nil {
		t.Fatal(err)
	}
	check("after the rebuild", "queue_15m", "cph", str("2025-10-26T02:15:00+02:00"), str("2025-10-26T02:15:00+01:00"))
	check("after the rebuild", "queue_hour", "cph", str("2025-10-26T02:00:00+02:00"), str("2025-10-26T02:00:00+01:00"))
	check("after the rebuild", "queue_day", "cph", str("2025-10-26T00:00:00+02:00"))
	check("after the rebuild", "queue_quarter", "cph", str("2025-10-01T00:00:00+02:00"))
	check("after the rebuild", "queue_year", "cph", str("2025-01-01T00:00:00+01:00"))
	check("after the rebuild", "queue_15m", "hnl", str("2025-07-04T23:45:00-10:00"))
	check("after the rebuild", "queue_hour", "hnl", str("2025-07-04T23:00:00-10:00"))
	check("after the rebuild", "queue_day", "hnl", str("2025-07-04T00:00:00-10:00"))
	check("after the rebuild", "queue_month", "hnl", str("2025-07-01T00:00:00-10:00"))
	check("after the rebuild", "queue_year", "hnl", str("2025-01-01T00:00:00-10:00"))
}
