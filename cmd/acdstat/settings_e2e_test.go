package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/simulate"
	"github.com/acdstat/acdstat/store"
)

// deskQueues is hospitalQueues with every desk's sla_s set to sla.
func deskQueues(sla int) string {
	return strings.ReplaceAll(hospitalQueues, "    hours:", fmt.Sprintf("    sla_s: %d\n    hours:", sla))
}

// countedRow is what a BI user reads of one view row about the settings
// it was counted with.
type countedRow struct {
	Offered, AWithin uint64
	SLAS             uint32
	Version          string // "" for NULL
	Current          bool
}

// readCounted reads the rows of a view for one switch and the hours 'all',
// by queue and period start.
func readCounted(t *testing.T, conn clickhouse.Conn, view, sw string) map[viewKey]countedRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT queue, period_start, offered, answered_within_sla, sla_s, settings_version, settings_current
FROM `+view+` WHERE switch = ? AND hours = 'all'`, sw)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[viewKey]countedRow{}
	for rows.Next() {
		var k viewKey
		var r countedRow
		var v *string
		var cur uint8
		if err := rows.Scan(&k.Queue, &k.Start, &r.Offered, &r.AWithin, &r.SLAS, &v, &cur); err != nil {
			t.Fatal(err)
		}
		if v != nil {
			r.Version = *v
		}
		r.Current = cur == 1
		k.Start, k.Hours = k.Start.UTC(), "all"
		out[k] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// withinByDay counts the truth's offered and answered-within-sla calls per
// queue and local day, all hours.
func withinByDay(truth *simulate.Truth, loc *time.Location, sla int) map[viewKey]countedRow {
	out := map[viewKey]countedRow{}
	for _, c := range truth.Calls {
		l := c.Enter.In(loc)
		k := viewKey{c.Queue, time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc).UTC(), "all"}
		r := out[k]
		r.Offered++
		if c.Outcome == simulate.OutcomeAnswered && c.WaitS <= sla {
			r.AWithin++
		}
		out[k] = r
	}
	return out
}

// eventually calls check until it returns "" or within passes, then fails
// with its last answer.
func eventually(t *testing.T, within time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// sameCounts says how got differs from want in offered and
// answered-within-sla, and that every row records version with sla_s sla;
// "" when it does not.
func sameCounts(got, want map[viewKey]countedRow, version string, sla uint32) string {
	for k, w := range want {
		g, ok := got[k]
		if !ok || g.Offered != w.Offered || g.AWithin != w.AWithin || g.Version != version || g.SLAS != sla {
			return fmt.Sprintf("%s %s: got %+v (present %v); want offered %d, within %d, counted with %s (sla_s %d)",
				k.Queue, k.Start.Format(time.RFC3339), g, ok, w.Offered, w.AWithin, version, sla)
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d rows; want %d", len(got), len(want))
	}
	return ""
}

// TestSettingsApplyShowAndHistory runs acdstat settings as a person would:
// nothing applied shows the defaults; apply validates, prints the version
// and what changed; applying the same file again makes no version; show
// gives the current text or an older version's; an invalid file is refused
// and changes nothing.
func TestSettingsApplyShowAndHistory(t *testing.T) {
	environ := testEnv(t)
	out := runCmd(t, environ, "settings", "show")
	if !strings.Contains(out, cdr.DefaultSettingsVersion) || !strings.Contains(out, "built-in defaults") {
		t.Errorf("settings show before any apply:\n%s\nwant the defaults' version %s", out, cdr.DefaultSettingsVersion)
	}
	a, b := deskQueues(60), deskQueues(20)
	fileA, fileB := writeFile(t, "a.yaml", a), writeFile(t, "b.yaml", b)
	va, vb := cdr.SettingsVersionOf([]byte(a)), cdr.SettingsVersionOf([]byte(b))

	out = runCmd(t, environ, "settings", "apply", fileA)
	for _, want := range []string{va, "added", "servicedesk", "klinisk", "sp_helpdesk"} {
		if !strings.Contains(out, want) {
			t.Errorf("settings apply %s:\n%s\nwant it to name %q", fileA, out, want)
		}
	}
	if out := runCmd(t, environ, "settings", "show"); !strings.Contains(out, va) || !strings.Contains(out, a) {
		t.Errorf("settings show after apply:\n%s\nwant version %s and the file's text", out, va)
	}
	if out := runCmd(t, environ, "settings", "apply", fileA); !strings.Contains(out, "already") || !strings.Contains(out, va) {
		t.Errorf("settings apply of the current file again:\n%s\nwant it to say %s is already current", out, va)
	}
	out = runCmd(t, environ, "settings", "apply", fileB)
	if !strings.Contains(out, vb) || !strings.Contains(out, "changed") || !strings.Contains(out, "sla_s 60 → 20") {
		t.Errorf("settings apply %s:\n%s\nwant version %s and the changed sla_s of each desk", fileB, out, vb)
	}
	hist := runCmd(t, environ, "settings", "history")
	if strings.Count(hist, va) != 1 || strings.Count(hist, vb) != 1 || strings.Index(hist, va) > strings.Index(hist, vb) {
		t.Errorf("settings history:\n%s\nwant %s once, then %s once", hist, va, vb)
	}
	if out := runCmd(t, environ, "settings", "show", "--version", va); !strings.Contains(out, a) {
		t.Errorf("settings show --version %s:\n%s\nwant the text of A", va, out)
	}

	bad := writeFile(t, "bad.yaml", "queues:\n  support: {sla_s: 0}\n")
	var stdout bytes.Buffer
	err := run(context.Background(), testProcess(environ, &stdout, io.Discard), []string{"settings", "apply", bad})
	if err == nil || !strings.Contains(err.Error(), "sla_s") {
		t.Errorf("settings apply of an invalid file: got %v; want an error naming sla_s", err)
	}
	if out := runCmd(t, environ, "settings", "show"); !strings.Contains(out, vb) {
		t.Errorf("after a refused apply, settings show:\n%s\nwant %s still current", out, vb)
	}
}

// queueLogCalls writes two answered calls of queue support that joined at
// at, one answered after 5 s and one after 20 s.
func queueLogCalls(at time.Time, prefix string) string {
	var b strings.Builder
	for i, wait := range []int64{5, 20} {
		id := fmt.Sprintf("%s.%d", prefix, i)
		t0 := at.Unix()
		fmt.Fprintf(&b, "%d|%s|support|NONE|ENTERQUEUE||4512345678|1\n", t0, id)
		fmt.Fprintf(&b, "%d|%s|support|PJSIP/1|CONNECT|%d|x.1|1\n", t0+wait, id, wait)
		fmt.Fprintf(&b, "%d|%s|support|PJSIP/1|COMPLETECALLER|%d|60|1\n", t0+wait+60, id, wait)
	}
	return b.String()
}

// TestServeFollowsTheAppliedSettings starts serve without a queue file,
// applies settings while it runs, and checks through the views that serve
// counts with the applied version, and follows a newer one without a
// restart, while periods counted before keep what they were counted with.
// Every rollup run counts again the buckets of calls built within
// ACDSTAT_ROLLUP_MARGIN before it, with its own settings: the margin is 0
// here, and the test waits for the rollup job to move past the first
// day's calls before it applies the second settings.
func TestServeFollowsTheAppliedSettings(t *testing.T) {
	environ := testEnv(t, "ACDSTAT_ROLLUP_SCHEDULE=@every 1s", "ACDSTAT_ROLLUP_MARGIN=0s")
	startServe(t, environ)
	url := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/v1/ingest/queue_log"
	post := func(body string) {
		t.Helper()
		resp, err := http.Post(url, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("ingest: status %d", resp.StatusCode)
		}
	}
	loc := simulate.Copenhagen()
	day1, day2 := time.Date(2025, 10, 28, 0, 0, 0, 0, loc), time.Date(2025, 10, 29, 0, 0, 0, 0, loc)
	conn := openView(t, environ)
	check := func(day time.Time, within uint64, sla uint32, version string) func() string {
		return func() string {
			got := readCounted(t, conn, "queue_day", "default")[viewKey{"support", day.UTC(), "all"}]
			if want := (countedRow{Offered: 2, AWithin: within, SLAS: sla, Version: version, Current: got.Current}); got != want {
				return fmt.Sprintf("support on %s: got %+v; want %+v", day.Format(time.DateOnly), got, want)
			}
			return ""
		}
	}

	a := "queues:\n  support: {sla_s: 10}\n"
	runCmd(t, environ, "settings", "apply", writeFile(t, "a.yaml", a))
	post(queueLogCalls(day1.Add(10*time.Hour), "d1"))
	eventually(t, time.Minute, check(day1, 1, 10, cdr.SettingsVersionOf([]byte(a))))
	eventually(t, time.Minute, func() string {
		var built, mark time.Time
		if err := conn.QueryRow(context.Background(), "SELECT max(built_at) FROM call_touches").Scan(&built); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(context.Background(), "SELECT argMax(watermark, version) FROM job_state WHERE job = 'rollup'").Scan(&mark); err != nil {
			t.Fatal(err)
		}
		if !mark.After(built) {
			return fmt.Sprintf("the rollup watermark %v is not past the calls built at %v", mark, built)
		}
		return ""
	})

	b := "queues:\n  support: {sla_s: 30}\n"
	runCmd(t, environ, "settings", "apply", writeFile(t, "b.yaml", b))
	post(queueLogCalls(day2.Add(10*time.Hour), "d2"))
	eventually(t, time.Minute, check(day2, 2, 30, cdr.SettingsVersionOf([]byte(b))))
	if msg := check(day1, 1, 10, cdr.SettingsVersionOf([]byte(a)))(); msg != "" {
		t.Errorf("the day counted before the change: %s", msg)
	}
	if got := readCounted(t, conn, "queue_day", "default"); got[viewKey{"support", day1.UTC(), "all"}].Current || !got[viewKey{"support", day2.UTC(), "all"}].Current {
		t.Errorf("settings_current: got %+v; want false for %s (counted with the older version) and true for %s", got, day1.Format(time.DateOnly), day2.Format(time.DateOnly))
	}
}

// TestServeAndRebuildCountWithTheSameSettings is issue 11's case with two
// processes: a real acdstat serve counts a week with settings A; settings B
// are applied and `acdstat rebuild`, another process, counts the week
// again. Every period is then counted with B and records B's version, and
// stays so after serve's own jobs have rolled the rebuilt calls up again
// (serve once re-rolled them with the settings it was started with).
func TestServeAndRebuildCountWithTheSameSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real server")
	}
	// The real clock runs in the children: keeping raw events for ever
	// makes the 2025 week independent of the day the test runs.
	environ := testEnv(t, "ACDSTAT_RETENTION_EVENTS=0", "ACDSTAT_ROLLUP_SCHEDULE=@every 1s")
	bin := filepath.Join(t.TempDir(), "acdstat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var logs lockedBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the processes' logs:\n%s", logs.String())
		}
	})
	acdstat := func(args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), environ...)
		fmt.Fprintf(&logs, "--- acdstat %s\n", strings.Join(args, " "))
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Run(); err != nil {
			t.Fatalf("acdstat %s: %v", strings.Join(args, " "), err)
		}
	}
	serve := exec.Command(bin, "serve")
	serve.Env = append(os.Environ(), environ...)
	fmt.Fprintln(&logs, "--- acdstat serve")
	serve.Stdout, serve.Stderr = &logs, &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	defer func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		<-done
	}()
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	waitReady(t, base, done)

	a, b := deskQueues(60), deskQueues(20)
	va, vb := cdr.SettingsVersionOf([]byte(a)), cdr.SettingsVersionOf([]byte(b))
	acdstat("settings", "apply", writeFile(t, "a.yaml", a))
	sim := smallSim(t, 31)
	loc := simulate.DefaultConfig().Location
	if err := simulate.Send(context.Background(), base+"/v1/ingest/queue_log", "", "default", sim.Lines(), 0, 2000, nil); err != nil {
		t.Fatal(err)
	}
	conn := openView(t, environ)
	eventually(t, 2*time.Minute, func() string {
		return sameCounts(readCounted(t, conn, "queue_day", "default"), withinByDay(sim.Truth(), loc, 60), va, 60)
	})

	acdstat("settings", "apply", writeFile(t, "b.yaml", b))
	acdstat("rebuild", "--from", "2025-10-25", "--to", "2025-11-03")
	wantB := withinByDay(sim.Truth(), loc, 20)
	if msg := sameCounts(readCounted(t, conn, "queue_day", "default"), wantB, vb, 20); msg != "" {
		t.Fatalf("after the rebuild: %s", msg)
	}
	for k, r := range readCounted(t, conn, "queue_day", "default") {
		if !r.Current {
			t.Errorf("%s %s: settings_current false; want true (counted with the current %s)", k.Queue, k.Start.Format(time.DateOnly), vb)
		}
	}

	// Serve's rollup job reads the calls the rebuild wrote (their touches)
	// and rolls their buckets up again: wait until it has, then read again.
	var rebuilt time.Time
	if err := conn.QueryRow(context.Background(), "SELECT now()").Scan(&rebuilt); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, func() string {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM rollup_15m WHERE rolled_at > ?", rebuilt).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return "serve's rollup job wrote no rows after the rebuild"
		}
		return ""
	})
	if msg := sameCounts(readCounted(t, conn, "queue_day", "default"), wantB, vb, 20); msg != "" {
		t.Fatalf("after serve's jobs ran again: %s", msg)
	}
}

// reportJSON runs acdstat report with args and decodes its JSON rows.
func reportJSON(t *testing.T, environ []string, args ...string) []map[string]any {
	t.Helper()
	out := runCmd(t, environ, append([]string{"report", "--format", "json"}, args...)...)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	return rows
}

// TestReportShowsTheSettingsAPeriodWasCountedWith counts a week with
// settings A, applies B and rebuilds two days with it (rebuild --queues
// applies the file first), then reads the report as a person or a script
// does (JSON, CSV, the table, GET /v1/report, the dashboard): each period
// names the version it was counted with and the thresholds of that
// version, a month counted with both says so, and the periods counted with
// A are marked as counted with settings other than the current ones.
//
// Every rollup run (the rebuild's too) counts again the buckets of calls
// built within ACDSTAT_ROLLUP_MARGIN before it: the margin is 0 here, and
// the week is rolled up after the second in which its calls were built.
func TestReportShowsTheSettingsAPeriodWasCountedWith(t *testing.T) {
	environ := testEnv(t, "ACDSTAT_ROLLUP_MARGIN=0s")
	a, b := deskQueues(60), deskQueues(20)
	va, vb := cdr.SettingsVersionOf([]byte(a)), cdr.SettingsVersionOf([]byte(b))
	runCmd(t, environ, "settings", "apply", writeFile(t, "a.yaml", a))
	sim := smallSim(t, 37)
	runCmd(t, environ, "ingest", "--format", "queue_log", writeLines(t, "week", sim.Lines()))
	conn := openView(t, environ)
	eventually(t, 10*time.Second, func() string {
		var built, now time.Time
		if err := conn.QueryRow(context.Background(), "SELECT max(built_at), now() FROM call_touches").Scan(&built, &now); err != nil {
			t.Fatal(err)
		}
		if !now.After(built) {
			return fmt.Sprintf("the server's clock %v is not past the second the calls were built, %v", now, built)
		}
		return ""
	})
	runCmd(t, environ, "rollup")
	runCmd(t, environ, "rebuild", "--queues", writeFile(t, "b.yaml", b), "--from", "2025-10-28", "--to", "2025-10-30")
	if out := runCmd(t, environ, "settings", "show"); !strings.Contains(out, vb) {
		t.Fatalf("rebuild --queues did not apply the file first; settings show:\n%s", out)
	}

	loc := simulate.DefaultConfig().Location
	truthA, truthB := withinByDay(sim.Truth(), loc, 60), withinByDay(sim.Truth(), loc, 20)
	days := reportJSON(t, environ, "--queue", "servicedesk", "--period", "day", "--from", "2025-10-26", "--to", "2025-11-02")
	if len(days) != 7 {
		t.Fatalf("got %d day rows; want 7", len(days))
	}
	for _, r := range days {
		start, err := time.Parse(time.RFC3339, r["period_start"].(string))
		if err != nil {
			t.Fatal(err)
		}
		k := viewKey{"servicedesk", start.UTC(), "all"}
		day := start.Format(time.DateOnly)
		switch day {
		case "2025-10-28", "2025-10-29": // rebuilt with B
			if r["settings_version"] != vb || r["settings_current"] != true || r["sla_s"] != 20.0 || r["answered_within_sla"] != float64(truthB[k].AWithin) {
				t.Errorf("%s: settings_version %v, settings_current %v, sla_s %v, answered_within_sla %v; want %s, true, 20, %d",
					day, r["settings_version"], r["settings_current"], r["sla_s"], r["answered_within_sla"], vb, truthB[k].AWithin)
			}
		case "2025-10-26", "2025-10-31", "2025-11-01": // counted with A, and not next to the rebuilt days
			if r["settings_version"] != va || r["settings_current"] != false || r["sla_s"] != 60.0 || r["answered_within_sla"] != float64(truthA[k].AWithin) {
				t.Errorf("%s: settings_version %v, settings_current %v, sla_s %v, answered_within_sla %v; want %s, false, 60, %d",
					day, r["settings_version"], r["settings_current"], r["sla_s"], r["answered_within_sla"], va, truthA[k].AWithin)
			}
		}
	}
	months := reportJSON(t, environ, "--queue", "servicedesk", "--period", "month", "--from", "2025-10-01", "--to", "2025-12-01")
	want := []struct {
		version string
		current bool
	}{{strings.Join(sortedPair(va, vb), ","), false}, {va, false}}
	for i, w := range want {
		if months[i]["settings_version"] != w.version || months[i]["settings_current"] != w.current {
			t.Errorf("month %v: settings_version %v, settings_current %v; want %s, %v",
				months[i]["period_start"], months[i]["settings_version"], months[i]["settings_current"], w.version, w.current)
		}
	}
	// A period without calls was counted with nothing: no version, and
	// nothing in it is counted with other settings.
	if empty := reportJSON(t, environ, "--queue", "servicedesk", "--period", "day", "--from", "2025-11-10", "--to", "2025-11-11"); empty[0]["settings_version"] != nil || empty[0]["settings_current"] != true {
		t.Errorf("a day without calls: settings_version %v, settings_current %v; want null, true", empty[0]["settings_version"], empty[0]["settings_current"])
	}

	csvOut := runCmd(t, environ, "report", "--queue", "servicedesk", "--period", "month", "--from", "2025-10-01", "--to", "2025-12-01", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if _, ok := col["settings_version"]; !ok || recs[2][col["settings_version"]] != va || recs[2][col["settings_current"]] != "false" {
		t.Errorf("CSV: header %v, November %v; want settings_version %s and settings_current false", recs[0], recs[2], va)
	}
	table := runCmd(t, environ, "report", "--queue", "servicedesk", "--period", "day", "--from", "2025-10-26", "--to", "2025-11-02")
	if !strings.Contains(table, "2025-10-26†") || strings.Contains(table, "2025-10-28†") || !strings.Contains(table, va) || !strings.Contains(table, vb) {
		t.Errorf("table: want 2025-10-26 marked † as counted with %s, 2025-10-28 unmarked, and the legend naming %s:\n%s", va, vb, table)
	}

	startServe(t, environ)
	resp, err := http.Get("http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/v1/report?queue=servicedesk&period=day&from=2025-10-26&to=2025-10-29")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var api []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&api); err != nil {
		t.Fatal(err)
	}
	if len(api) != 3 || api[0]["settings_version"] != va || api[0]["settings_current"] != false || api[2]["settings_version"] != vb || api[2]["settings_current"] != true {
		t.Errorf("GET /v1/report: %v; want 26 October counted with %s (not current) and 28 October with %s (current)", api, va, vb)
	}

	// The dashboard's table of the service level says it too.
	page, err := http.Get("http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/?queue=servicedesk&year=2025")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Body.Close()
	dom, err := io.ReadAll(page.Body)
	if err != nil {
		t.Fatal(err)
	}
	sla := pageCells(t, string(dom))["sla"]
	for start, want := range map[string]string{
		"2025-10-01T00:00:00+02:00": strings.Join(sortedPair(va, vb), ","),
		"2025-11-01T00:00:00+01:00": va,
	} {
		if got := sla[start]; got[0]["settings_version"] != want || !strings.HasSuffix(got[1]["settings_version"], "†") {
			t.Errorf("dashboard, %s: settings version %q shown as %q; want %s marked †", start, got[0]["settings_version"], got[1]["settings_version"], want)
		}
	}
	if !strings.Contains(string(dom), "current version "+vb) {
		t.Errorf("the dashboard does not name the current version %s", vb)
	}
}

// sortedPair returns a and b in order.
func sortedPair(a, b string) []string {
	if b < a {
		return []string{b, a}
	}
	return []string{a, b}
}

// TestAVersionThisAcdstatCannotReadStopsCounting applies, as a newer
// acdstat might, a version with a key this one does not know: the commands
// that count refuse to run, naming the version and the key, rather than
// count with the settings before it; settings show still prints it.
func TestAVersionThisAcdstatCannotReadStopsCounting(t *testing.T) {
	environ := testEnv(t)
	runCmd(t, environ, "settings", "apply", writeFile(t, "a.yaml", "queues:\n  support: {sla_s: 60}\n"))
	newer := "queues:\n  support: {sla_s: 60, sla_s_in_hours: 30}\n"
	ctx := context.Background()
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, cfg.ClickHouse, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.ApplySettings(ctx, []byte(newer), "a newer acdstat", testToday); err != nil {
		t.Fatal(err)
	}
	v := cdr.SettingsVersionOf([]byte(newer))
	for _, cmd := range [][]string{{"rollup"}, {"report", "--queue", "support"}} {
		err := run(ctx, testProcess(environ, io.Discard, io.Discard), cmd)
		if err == nil || !strings.Contains(err.Error(), v) || !strings.Contains(err.Error(), "sla_s_in_hours") {
			t.Errorf("%s: got %v; want a refusal naming version %s and the unknown key", strings.Join(cmd, " "), err, v)
		}
	}
	if out := runCmd(t, environ, "settings", "show"); !strings.Contains(out, newer) {
		t.Errorf("settings show:\n%s\nwant the newer text", out)
	}
}
