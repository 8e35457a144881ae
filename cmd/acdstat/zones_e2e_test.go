package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// londonQueues lists two switches in London and one in Tokyo, and two
// London queues open 08:00-16:00 on weekdays: uk takes the queue_log
// calls, ukcdr the generic CDR calls. The machine-wide switch zone
// (ACDSTAT_SWITCH_TIMEZONE) is Copenhagen, one hour off London all year.
const londonQueues = `switches:
  lon-http: {timezone: Europe/London}
  lon-cli: {timezone: Europe/London}
  tz-over: {timezone: Asia/Tokyo}
queues:
  uk:
    timezone: Europe/London
    hours: {mon-fri: "08:00-16:00"}
  ukcdr:
    timezone: Europe/London
    hours: {mon-fri: "08:00-16:00"}
`

// zoneCall is one answered queue call, with its enter time as the
// London switch writes it (local wall clock).
type zoneCall struct {
	id    string
	local string // "2006-01-02 15:04:05" in Europe/London
}

// zoneCalls sit where a zone error shows: at opening and closing time
// (in_hours flips), just after local midnight (the day changes), in winter
// (London = UTC) and in summer (London = UTC+1).
var zoneCalls = []zoneCall{
	{"w-before-open", "2025-01-15 07:59:30"},
	{"w-open", "2025-01-15 08:00:00"},
	{"w-close", "2025-01-15 16:00:00"},
	{"w-nine", "2025-01-15 09:00:00"},
	{"w-midnight", "2025-01-16 00:10:00"},
	{"s-open", "2025-07-16 08:00:30"},
	{"s-nine", "2025-07-16 09:00:00"},
	{"s-close", "2025-07-16 15:59:59"},
	{"s-midnight", "2025-07-17 00:05:00"},
}

// zoneWait and zoneTalk are the seconds of every call.
const zoneWait, zoneTalk = 20, 60

// zoneFiles writes the calls as a queue_log table export (local times), as
// the pipe file (epoch seconds) of the same lines, and as a generic CSV CDR
// (local times).
func zoneFiles(t *testing.T, lon *time.Location) (db, pipe, csv string) {
	t.Helper()
	var d, p, c strings.Builder
	d.WriteString("time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n")
	c.WriteString("call_id,queue,enter_time,outcome,wait_s,talk_s\n")
	for _, zc := range zoneCalls {
		enter, err := time.ParseInLocation(time.DateTime, zc.local, lon)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []struct {
			at                  time.Time
			agent, verb, fields string
		}{
			{enter, "NONE", "ENTERQUEUE", "|4512345678|1"},
			{enter.Add(zoneWait * time.Second), "PJSIP/1", "CONNECT", fmt.Sprintf("%d|x.1|1", zoneWait)},
			{enter.Add((zoneWait + zoneTalk) * time.Second), "PJSIP/1", "COMPLETECALLER", fmt.Sprintf("%d|%d|1", zoneWait, zoneTalk)},
		} {
			fmt.Fprintf(&p, "%d|%s|uk|%s|%s|%s\n", ev.at.Unix(), zc.id, ev.agent, ev.verb, ev.fields)
			fmt.Fprintf(&d, "%s,%s,uk,%s,%s,%s,,\n", ev.at.In(lon).Format(time.DateTime), zc.id, ev.agent, ev.verb, strings.ReplaceAll(ev.fields, "|", ","))
		}
		fmt.Fprintf(&c, "cdr-%s,ukcdr,%s,answered,%d,%d\n", zc.id, zc.local, zoneWait, zoneTalk)
	}
	dir := t.TempDir()
	db, pipe, csv = filepath.Join(dir, "queue_log.csv"), filepath.Join(dir, "queue_log"), filepath.Join(dir, "cdr.csv")
	for name, text := range map[string]string{db: d.String(), pipe: p.String(), csv: c.String()} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return db, pipe, csv
}

// zoneRow is one view row a BI tool reads.
type zoneRow struct {
	View, Switch, Queue string
	Start               time.Time
	Hours               string
}

// zoneExpected gives, from the London wall clock alone, every queue call's
// UTC enter time and the offered counts of the 15m, hour and day views of
// switch sw, with in_hours by the 08:00-16:00 London hours.
func zoneExpected(t *testing.T, lon *time.Location, sw string) (enters map[string]time.Time, rows map[zoneRow]uint64) {
	t.Helper()
	enters, rows = map[string]time.Time{}, map[zoneRow]uint64{}
	for _, zc := range zoneCalls {
		l, err := time.ParseInLocation(time.DateTime, zc.local, lon)
		if err != nil {
			t.Fatal(err)
		}
		starts := map[string]time.Time{
			"queue_15m":  time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute()/15*15, 0, 0, lon),
			"queue_hour": time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, lon),
			"queue_day":  time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, lon),
		}
		minute := l.Hour()*60 + l.Minute()
		open := l.Weekday() >= time.Monday && l.Weekday() <= time.Friday && minute >= 8*60 && minute < 16*60
		for queue, id := range map[string]string{"uk": zc.id, "ukcdr": "cdr-" + zc.id} {
			enters[queue+" "+id] = l.UTC()
			for view, start := range starts {
				rows[zoneRow{view, sw, queue, start.UTC(), "all"}]++
				if open {
					rows[zoneRow{view, sw, queue, start.UTC(), "in"}]++
				}
			}
		}
	}
	return enters, rows
}

// TestSwitchZonesFromTheQueueFile runs serve with a queue file that puts
// switches in London while ACDSTAT_SWITCH_TIMEZONE is Copenhagen. One
// switch posts a queue_log table export and a generic CSV CDR (both with
// local times) over HTTP; another reads the same files with `acdstat
// ingest`; a third, listed in Tokyo, reads them with an explicit --tz
// Europe/London (a one-off file that overrides the queue file). Each also
// sends the pipe form (epoch seconds) of the same queue_log lines. A user
// must see London's instants in queue_calls_current (a local 09:00 is
// 09:00 UTC in winter and 08:00 UTC in summer), the calls in London's
// 15-minute, hour and day buckets with in_hours by London's clock at
// opening, closing and local midnight, and every call once: the pipe
// form has the same event ids as the DB form, so it adds nothing.
func TestSwitchZonesFromTheQueueFile(t *testing.T) {
	lon, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(londonQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues, "ACDSTAT_SWITCH_TIMEZONE=Europe/Copenhagen",
		"ACDSTAT_ROLLUP_SCHEDULE=@every 1s")
	now := clockFrom(time.Date(2025, 7, 20, 12, 0, 0, 0, lon))
	startServeAt(t, environ, now)
	db, pipe, csv := zoneFiles(t, lon)

	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	for _, p := range []struct{ path, file string }{
		{"/v1/ingest/queue_log?format=queue_log_db&switch=lon-http", db},
		{"/v1/ingest/queue_log?switch=lon-http", pipe},
		{"/v1/ingest/cdr?format=csv&switch=lon-http", csv},
	} {
		body, err := os.ReadFile(p.file)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(base+p.path, "text/plain", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: status %d; want 200", p.path, resp.StatusCode)
		}
	}
	for _, args := range [][]string{
		{"--format", "queue_log_db", "--switch", "lon-cli", db},
		{"--format", "queue_log", "--switch", "lon-cli", pipe},
		{"--format", "csv", "--switch", "lon-cli", csv},
		{"--format", "queue_log_db", "--switch", "tz-over", "--tz", "Europe/London", db},
		{"--format", "queue_log", "--switch", "tz-over", pipe},
		{"--format", "csv", "--switch", "tz-over", "--tz", "Europe/London", csv},
	} {
		runCmdAt(t, now, environ, append([]string{"ingest"}, args...)...)
	}

	wantEnters := map[string]map[string]time.Time{}
	wantRows := map[zoneRow]uint64{}
	for _, sw := range []string{"lon-http", "lon-cli", "tz-over"} {
		enters, rows := zoneExpected(t, lon, sw)
		wantEnters[sw] = enters
		for k, v := range rows {
			wantRows[k] = v
		}
	}
	conn := openView(t, environ)
	readEnters := func() map[string]map[string]time.Time {
		rows, err := conn.Query(context.Background(), "SELECT switch, queue, call_id, enter_time FROM queue_calls_current")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]map[string]time.Time{}
		for rows.Next() {
			var sw, queue, id string
			var at time.Time
			if err := rows.Scan(&sw, &queue, &id, &at); err != nil {
				t.Fatal(err)
			}
			if out[sw] == nil {
				out[sw] = map[string]time.Time{}
			}
			if _, dup := out[sw][queue+" "+id]; dup {
				out[sw][queue+" "+id+" (twice)"] = at.UTC()
				continue
			}
			out[sw][queue+" "+id] = at.UTC()
		}
		return out
	}
	readRows := func() map[zoneRow]uint64 {
		out := map[zoneRow]uint64{}
		for _, view := range []string{"queue_15m", "queue_hour", "queue_day"} {
			rows, err := conn.Query(context.Background(), "SELECT switch, queue, period_start, hours, offered FROM "+view+" WHERE switch != '*' AND offered > 0")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				k := zoneRow{View: view}
				var offered uint64
				if err := rows.Scan(&k.Switch, &k.Queue, &k.Start, &k.Hours, &offered); err != nil {
					t.Fatal(err)
				}
				k.Start = k.Start.UTC()
				out[k] = offered
			}
			rows.Close()
		}
		return out
	}
	// The build and rollup jobs of serve pick up the HTTP intake within
	// seconds; poll until a deadline rather than sleep.
	deadline := time.Now().Add(time.Minute)
	var gotEnters map[string]map[string]time.Time
	var gotRows map[zoneRow]uint64
	for {
		gotEnters, gotRows = readEnters(), readRows()
		if reflect.DeepEqual(gotEnters, wantEnters) && reflect.DeepEqual(gotRows, wantRows) {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, sw := range []string{"lon-http", "lon-cli", "tz-over"} {
		for _, k := range sortedKeys(wantEnters[sw], gotEnters[sw]) {
			if w, g := wantEnters[sw][k], gotEnters[sw][k]; !w.Equal(g) {
				t.Errorf("%s %s: enter_time got %v; want %v", sw, k, g.Format(time.RFC3339), w.Format(time.RFC3339))
			}
		}
	}
	var keys []zoneRow
	for k := range wantRows {
		keys = append(keys, k)
	}
	for k := range gotRows {
		if _, ok := wantRows[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	bad := 0
	for _, k := range keys {
		if w, g := wantRows[k], gotRows[k]; w != g {
			if bad++; bad <= 20 {
				t.Errorf("%s %s %s %s hours=%s: offered got %d; want %d", k.View, k.Switch, k.Queue, k.Start.In(lon).Format(time.RFC3339), k.Hours, g, w)
			}
		}
	}
	t.Fatalf("the views do not show London's buckets (%d rows differ)", bad)
}

// sortedKeys returns the keys of both maps, sorted.
func sortedKeys(a, b map[string]time.Time) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]time.Time{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestCheckConfigPrintsSwitchZones checks that check-config says in which
// zone each switch's local times are read: the listed switches, and any
// other switch by defaults.timezone or else ACDSTAT_SWITCH_TIMEZONE; and
// that it refuses an unknown ACDSTAT_SWITCH_TIMEZONE, as serve would.
func TestCheckConfigPrintsSwitchZones(t *testing.T) {
	dir := t.TempDir()
	withDefaults := filepath.Join(dir, "defaults.yaml")
	noDefaults := filepath.Join(dir, "queues.yaml")
	if err := os.WriteFile(noDefaults, []byte(londonQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(withDefaults, []byte(londonQueues+"defaults: {timezone: America/New_York}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now := clockFrom(testToday)
	for _, tc := range []struct {
		name, queues string
		want         []string // lines of the output, spaces squeezed
	}{
		{"listed switches", noDefaults, []string{
			"lon-cli Europe/London", "lon-http Europe/London", "tz-over Asia/Tokyo",
			"any other switch Europe/Copenhagen (ACDSTAT_SWITCH_TIMEZONE)"}},
		{"defaults.timezone", withDefaults, []string{
			"lon-http Europe/London", "any other switch America/New_York (defaults.timezone)"}},
		{"no queue file", "", []string{
			"every switch Europe/Copenhagen (ACDSTAT_SWITCH_TIMEZONE)"}},
	} {
		out := runCmdAt(t, now, []string{"ACDSTAT_SWITCH_TIMEZONE=Europe/Copenhagen", "ACDSTAT_QUEUES=" + tc.queues}, "check-config")
		lines := map[string]bool{}
		for l := range strings.SplitSeq(out, "\n") {
			lines[strings.Join(strings.Fields(l), " ")] = true
		}
		for _, w := range tc.want {
			if !lines[w] {
				t.Errorf("%s: no line %q in:\n%s", tc.name, w, out)
			}
		}
	}
	var out strings.Builder
	err := run(context.Background(), process{environ: []string{"ACDSTAT_SWITCH_TIMEZONE=Mars/Olympus"}, stdout: &out, stderr: &out, now: now}, []string{"check-config"})
	if err == nil || !strings.Contains(err.Error(), "ACDSTAT_SWITCH_TIMEZONE") {
		t.Errorf("unknown ACDSTAT_SWITCH_TIMEZONE: got %v; want an error naming it", err)
	}
}
