package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

var updatePNG = flag.Bool("update", false, "rewrite docs/dashboard.png from the dashboard test")

// dashboardQueues are the first customer's desks, as in README.
const dashboardQueues = `queues:
  servicedesk:
    name: Servicedesk
  klinisk:
    name: Klinisk Servicedesk
    hours: {mon-thu: "08:00-16:00", fri: "08:00-15:00"}
  sp_helpdesk:
    name: SP Helpdesk
  opening_soon:
    name: A desk with no calls yet
    sla_target: 0.9
`

// chromium finds Debian's chromium; under CI=true its absence fails the
// test, elsewhere it skips saying why.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found; install it with: apt-get install -y chromium")
	}
	t.Skip("chromium not found (apt-get install -y chromium); the dashboard is not checked in a browser")
	return ""
}

// headless runs chromium headless with a profile of its own and the extra
// arguments, and returns its stdout.
func headless(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Dir = t.TempDir()
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

func getJSON(t *testing.T, u string, status int, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d; want %d: %s", u, resp.StatusCode, status, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET %s: Content-Type %q; want application/json", u, ct)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, b)
	}
}

// dashboardToday is the dashboard tests' clock: the afternoon of the
// autumn daylight-saving day of 2025, a 25-hour day.
var dashboardToday = time.Date(2025, 10, 26, 14, 30, 0, 0, simulate.Copenhagen())

// dashboardSetup ingests a simulated 2025 (two days in each month up to
// October) and a few calls of today (dashboardToday), one of them still
// waiting, rolls it up and starts serve. It returns the base URL and the
// time of today's calls.
func dashboardSetup(t *testing.T) (base string, now time.Time) {
	t.Helper()
	dir := t.TempDir()
	queues := filepath.Join(dir, "queues.yaml")
	if err := os.WriteFile(queues, []byte(dashboardQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues)
	var log bytes.Buffer
	clock := clockFrom(dashboardToday)
	for m := time.January; m <= time.October; m++ {
		cfg := simulate.DefaultConfig()
		cfg.Start = time.Date(2025, m, 10, 0, 0, 0, 0, cfg.Location)
		cfg.Days, cfg.CallsPerDay, cfg.Seed = 2, 40+8*int(m), int64(m)
		sim, err := simulate.Generate(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.WriteQueueLog(&log); err != nil {
			t.Fatal(err)
		}
	}
	// Today: one answered after 40 s, one abandoned after 90 s, one waiting.
	now = clock().Truncate(time.Second)
	at := func(d time.Duration) int64 { return now.Add(-d).Unix() }
	fmt.Fprintf(&log, "%d|t1.1|servicedesk|NONE|ENTERQUEUE||4511000001|1\n", at(30*time.Minute))
	fmt.Fprintf(&log, "%d|t1.1|servicedesk|PJSIP/2101|CONNECT|40|t1.2|1\n", at(30*time.Minute-40*time.Second))
	fmt.Fprintf(&log, "%d|t1.1|servicedesk|PJSIP/2101|COMPLETECALLER|40|60|1\n", at(28*time.Minute))
	fmt.Fprintf(&log, "%d|t2.1|servicedesk|NONE|ENTERQUEUE||4511000002|1\n", at(20*time.Minute))
	fmt.Fprintf(&log, "%d|t2.1|servicedesk|NONE|ABANDON|1|1|90\n", at(20*time.Minute-90*time.Second))
	fmt.Fprintf(&log, "%d|t3.1|servicedesk|NONE|ENTERQUEUE||4511000003|1\n", at(2*time.Minute))
	file := filepath.Join(dir, "queue_log")
	if err := os.WriteFile(file, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmdAt(t, clock, environ, "ingest", "--format", "queue_log", file)
	runCmdAt(t, clock, environ, "rollup")
	startServeAt(t, environ, clock)
	return "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR"), now
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr data-period-start="([^"]+)">(.*?)</tr>`)
	cellRE = regexp.MustCompile(`<td data-field="([a-z0-9_]+)" data-value="([^"]*)"[^>]*>([^<]*)</td>`)
	kpiRE  = regexp.MustCompile(`<b[^>]* data-field="([a-z_]+)" data-value="([^"]*)">([^<]*)</b>`)
)

// pageCells returns, per table (data-panel) and period start, the cells of
// the page: field → data-value and field → visible text.
func pageCells(t *testing.T, dom string) map[string]map[string][2]map[string]string {
	t.Helper()
	out := map[string]map[string][2]map[string]string{}
	tables := strings.Split(dom, `<table class="numbers" data-panel="`)
	for _, tb := range tables[1:] {
		panel := tb[:strings.IndexByte(tb, '"')]
		out[panel] = map[string][2]map[string]string{}
		for _, m := range rowRE.FindAllStringSubmatch(tb[:strings.Index(tb, "</table>")], -1) {
			vals, texts := map[string]string{}, map[string]string{}
			for _, c := range cellRE.FindAllStringSubmatch(m[2], -1) {
				vals[c[1]], texts[c[1]] = html.UnescapeString(c[2]), html.UnescapeString(c[3])
			}
			out[panel][html.UnescapeString(m[1])] = [2]map[string]string{vals, texts}
		}
	}
	return out
}

// sameNumber compares a page's data-value with the API's JSON value.
func sameNumber(page string, api any) bool {
	if api == nil {
		return page == ""
	}
	f, ok := api.(float64)
	if !ok {
		return false
	}
	p, err := strconv.ParseFloat(page, 64)
	return err == nil && p == f
}

func TestDashboardShowsTheAPIsNumbersInChromium(t *testing.T) {
	bin := chromium(t)
	base, now := dashboardSetup(t)

	// The API's rows of 2025 for the servicedesk.
	var rows []map[string]any
	getJSON(t, base+"/v1/report?queue=servicedesk&from=2025-01-01&to=2026-01-01&period=month", 200, &rows)
	if len(rows) != 12 {
		t.Fatalf("got %d month rows; want 12", len(rows))
	}
	offered := 0.0
	for _, r := range rows {
		offered += r["offered"].(float64)
	}
	if offered < 500 {
		t.Fatalf("2025 holds %v offered calls; want the simulated months (over 500)", offered)
	}

	dom := string(headless(t, bin, "--dump-dom", base+"/?queue=servicedesk&year=2025"))
	if !strings.Contains(dom, "<svg") || !strings.Contains(dom, "Servicedesk") {
		t.Fatalf("the page has no chart or no desk name:\n%.2000s", dom)
	}
	cells := pageCells(t, dom)
	fields := map[string][]string{
		"calls": {"offered", "abandoned", "asa_s", "avg_wait_s"},
		"sla":   {"service_level", "answered_within_sla", "offered"},
		"fcr":   {"fcr_rate", "dispositions"},
	}
	compared := 0
	for panel, fs := range fields {
		if len(cells[panel]) != len(rows) {
			t.Errorf("table %s has %d rows; want %d", panel, len(cells[panel]), len(rows))
			continue
		}
		for _, r := range rows {
			start := r["period_start"].(string)
			pc, ok := cells[panel][start]
			if !ok {
				t.Errorf("table %s has no row for %s", panel, start)
				continue
			}
			for _, f := range fs {
				if !sameNumber(pc[0][f], r[f]) {
					t.Errorf("%s %s %s: page %q; API %v", panel, start, f, pc[0][f], r[f])
				}
				if n, ok := r[f].(float64); ok && (f == "offered" || f == "abandoned" || f == "dispositions" || f == "answered_within_sla") && pc[1][f] != strconv.FormatFloat(n, 'f', -1, 64) {
					t.Errorf("%s %s %s: the page shows %q; API %v", panel, start, f, pc[1][f], n)
				}
				compared++
			}
		}
	}
	if !strings.Contains(dom, `data-empty="fcr"`) {
		t.Errorf("no dispositions are stored, yet the page does not say so")
	}
	t.Logf("%d numbers of the page equal the API's", compared)

	// Today: the calls of today and the one waiting now.
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	today := now.In(loc).Format("2006-01-02")
	dom = string(headless(t, bin, "--dump-dom", base+"/?queue=servicedesk&lang=da"))
	var day []map[string]any
	getJSON(t, base+"/v1/report?queue=servicedesk&period=day&from="+today+"&to="+now.In(loc).AddDate(0, 0, 1).Format("2006-01-02"), 200, &day)
	kpis := map[string]string{}
	for _, m := range kpiRE.FindAllStringSubmatch(dom, -1) {
		kpis[m[1]] = m[2]
	}
	if kpis["waiting_now"] != "1" {
		t.Errorf("calls waiting now: page %q; want 1", kpis["waiting_now"])
	}
	if len(day) != 1 || !sameNumber(kpis["offered"], day[0]["offered"]) || !sameNumber(kpis["service_level"], day[0]["service_level"]) {
		t.Errorf("today: page offered %q service level %q; API %v", kpis["offered"], kpis["service_level"], day)
	}
	if !strings.Contains(dom, "Opkald pr. måned") || !strings.Contains(dom, `lang="da"`) {
		t.Errorf("?lang=da does not give Danish labels")
	}

	// A screenshot that is not blank.
	dir := t.TempDir()
	shot := filepath.Join(dir, "dashboard.png")
	headless(t, bin, "--screenshot="+shot, "--window-size=1200,1600", base+"/?queue=servicedesk&year=2025")
	checkNotBlank(t, shot)
	if *updatePNG {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "dashboard.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkNotBlank decodes a PNG and wants many colours, not all white.
func checkNotBlank(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	colours := map[[3]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	white := colours[[3]uint32{255, 255, 255}]
	total := (b.Dx() / 2) * (b.Dy() / 2)
	if len(colours) < 20 || white > total*98/100 {
		t.Fatalf("screenshot %dx%d looks blank: %d colours, %d of %d sampled pixels white", b.Dx(), b.Dy(), len(colours), white, total)
	}
	t.Logf("screenshot %dx%d: %d colours, %.0f %% white", b.Dx(), b.Dy(), len(colours), 100*float64(white)/float64(total))
}

func TestReadAPIErrorsAndLists(t *testing.T) {
	base, _ := dashboardSetup(t)
	var e map[string]string
	getJSON(t, base+"/v1/report?queue=nope", 404, &e)
	if !strings.Contains(e["error"], `queue "nope" has no data and is not in the queue file`) || !strings.Contains(e["error"], "servicedesk") {
		t.Errorf("unknown queue: %q", e["error"])
	}
	getJSON(t, base+"/v1/report?queue=servicedesk&from=2025-13-01", 400, &e)
	if !strings.Contains(e["error"], "from must be YYYY-MM-DD") {
		t.Errorf("bad from: %q", e["error"])
	}
	getJSON(t, base+"/v1/report?queue=servicedesk&period=week", 400, &e)
	if !strings.Contains(e["error"], "period must be one of") {
		t.Errorf("bad period: %q", e["error"])
	}
	getJSON(t, base+"/v1/report?queue=servicedesk&from=2020-01-01&to=2026-01-01&period=15m", 400, &e)
	if !strings.Contains(e["error"], "narrow from and to") {
		t.Errorf("huge range: %q", e["error"])
	}
	getJSON(t, base+"/v1/rejects?limit=0", 400, &e)
	if !strings.Contains(e["error"], "limit must be") {
		t.Errorf("bad limit: %q", e["error"])
	}

	// A queue of the queue file with no calls is known, with zero rows.
	var rows []map[string]any
	getJSON(t, base+"/v1/report?queue=opening_soon&from=2025-01-01&to=2025-03-01", 200, &rows)
	if len(rows) != 2 || rows[0]["offered"].(float64) != 0 || rows[0]["service_level"] != nil || rows[0]["sla_target"].(float64) != 0.9 {
		t.Errorf("empty months: %v", rows)
	}

	resp, err := http.Get(base + "/v1/report?queue=servicedesk&from=2025-10-01&to=2025-12-01&format=csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if resp.StatusCode != 200 || len(lines) != 3 || !strings.HasPrefix(lines[0], "switch,queue,period,period_start") {
		t.Errorf("CSV: status %d\n%s", resp.StatusCode, b)
	}

	var queues []struct {
		Name, Display, Zone string
		Hours               map[string][]string
		SLATarget           float64 `json:"sla_target"`
		InQueueFile         bool    `json:"in_queue_file"`
		HasData             bool    `json:"has_data"`
	}
	getJSON(t, base+"/v1/queues", 200, &queues)
	byName := map[string]int{}
	for i, q := range queues {
		byName[q.Name] = i
	}
	k, ok := byName["klinisk"]
	if !ok || queues[k].Display != "Klinisk Servicedesk" || queues[k].Hours["fri"][0] != "08:00-15:00" || queues[k].Zone != "Europe/Copenhagen" || !queues[k].InQueueFile || !queues[k].HasData {
		t.Errorf("klinisk in /v1/queues: %+v", queues)
	}
	if i, ok := byName["opening_soon"]; !ok || queues[i].HasData || !queues[i].InQueueFile || queues[i].SLATarget != 0.9 {
		t.Errorf("opening_soon in /v1/queues: %+v", queues)
	}

	// Today's abandoned caller is to be rung back; the answered one is not.
	var cbs []map[string]any
	getJSON(t, base+"/v1/callbacks?queue=servicedesk", 200, &cbs)
	found := false
	for _, c := range cbs {
		if c["caller"] == "4511000001" {
			t.Errorf("an answered caller is listed: %v", c)
		}
		if c["caller"] == "4511000002" {
			found = true
			if c["wait_s"].(float64) != 90 || c["call_id"] != "t2.1" {
				t.Errorf("callback: %v", c)
			}
		}
	}
	if !found {
		t.Errorf("today's abandoned caller is not in /v1/callbacks: %v", cbs)
	}
	getJSON(t, base+"/v1/callbacks?queue=servicedesk&from=2025-10-10&to=2025-10-12", 200, &cbs)
	if len(cbs) == 0 {
		t.Errorf("no abandoned callers on the simulated days")
	}
	for _, c := range cbs {
		if !strings.HasPrefix(c["enter_time"].(string), "2025-10-1") {
			t.Errorf("callback outside the range: %v", c)
		}
	}

	// Rejects: a bad line posted is listed with its reason.
	resp, err = http.Post(base+"/v1/ingest/queue_log?switch=pbx9", "text/plain", strings.NewReader("garbage\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The line reaches ClickHouse through the spool's writer, so it shows
	// up within its batching delay, not at once.
	var rejects []map[string]any
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rejects = nil
		getJSON(t, base+"/v1/rejects?"+url.Values{"switch": {"pbx9"}}.Encode(), 200, &rejects)
		if len(rejects) > 0 {
			break
		}
	}
	if len(rejects) != 1 || rejects[0]["raw"] != "garbage" || rejects[0]["reason"] == "" {
		t.Errorf("rejects of pbx9: %v", rejects)
	}
}
