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
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/acdstat/acdstat/simulate"
	xhtml "golang.org/x/net/html"
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

// dashboardClosed is the month of 2025 without calls in dashboardSetup.
const dashboardClosed = time.July

// dashboardToday is the dashboard tests' clock: the afternoon of the
// autumn daylight-saving day of 2025, a 25-hour day.
var dashboardToday = time.Date(2025, 10, 26, 14, 30, 0, 0, simulate.Copenhagen())

// dashboardSetup ingests a simulated 2025 (two days in each month up to
// October but July, when the desk was closed), a day of December 2023 (and
// nothing in 2024) and a few calls of today (dashboardToday), one of them
// still waiting, rolls it up and starts serve. It returns the base URL and
// the time of today's calls.
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
	days := []time.Time{time.Date(2023, 12, 12, 0, 0, 0, 0, simulate.Copenhagen())}
	for m := time.January; m <= time.October; m++ {
		if m != dashboardClosed {
			days = append(days, time.Date(2025, m, 10, 0, 0, 0, 0, simulate.Copenhagen()))
		}
	}
	for _, day := range days {
		cfg := simulate.DefaultConfig()
		m := day.Month()
		cfg.Start = day
		cfg.Days, cfg.CallsPerDay, cfg.Seed = 2, 40+8*int(m), int64(day.Year())*100+int64(m)
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
	// December 2023 is older than the raw-event retention: history, taken
	// as a backfill.
	runCmdAt(t, clock, environ, "ingest", "--allow-old", "--format", "queue_log", file)
	runCmdAt(t, clock, environ, "rollup")
	startServeAt(t, environ, clock)
	return "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR"), now
}

var (
	rowRE = regexp.MustCompile(`(?s)<tr data-period-start="([^"]+)">(.*?)</tr>`)
	// A number may be a link to the calls behind it.
	cellRE = regexp.MustCompile(`<td data-field="([a-z0-9_]+)" data-value="([^"]*)"[^>]*>(?:<a [^>]*>)?([^<]*)(?:</a>)?</td>`)
	kpiRE  = regexp.MustCompile(`<b[^>]* data-field="([a-z_]+)" data-value="([^"]*)">(?:<a [^>]*>)?([^<]*)(?:</a>)?</b>`)
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

// TestDashboardInChromium renders the dashboard in headless Chromium, as
// a service-desk manager sees it, and checks by what the page's DOM says:
// its numbers are the API's; today's figures and the calls waiting now;
// every label is Danish on the Danish page; the year selector offers the
// years with calls and this year only; the axes tick at round steps; the
// lines break in a month without calls; the target label stands clear of
// the bars; at desktop width (1280 px), phone width (390 px) and in print
// (A4) every chart fits, its text is readable and nothing overlaps; the
// screenshots in both languages at both widths are not blank, and the
// English desktop one is docs/dashboard.png (-update writes it).
func TestDashboardInChromium(t *testing.T) {
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
	if n := rows[dashboardClosed-1]["offered"].(float64); n != 0 {
		t.Fatalf("%v 2025 holds %v calls; want none", dashboardClosed, n)
	}
	page := func(lang string) string { return base + "/?queue=servicedesk&year=2025&lang=" + lang }
	doms := map[string]string{}
	for _, lang := range []string{"en", "da"} {
		doms[lang] = string(headless(t, bin, "--dump-dom", page(lang)))
		if !strings.Contains(doms[lang], "<svg") || !strings.Contains(doms[lang], "Servicedesk") {
			t.Fatalf("the %s page has no chart or no desk name:\n%.2000s", lang, doms[lang])
		}
		// No system has figures here: the page has no section of them.
		if strings.Contains(doms[lang], `id="systems"`) {
			t.Errorf("the %s page shows system response times, yet none are stored", lang)
		}
	}

	t.Run("numbers", func(t *testing.T) {
		for lang, dom := range doms {
			cells := pageCells(t, dom)
			fields := map[string][]string{
				"calls": {"offered", "abandoned", "asa_s", "avg_wait_s"},
				"sla":   {"service_level", "answered_within_sla", "offered"},
				"fcr":   {"fcr_rate", "dispositions"},
			}
			compared := 0
			for panel, fs := range fields {
				if len(cells[panel]) != len(rows) {
					t.Errorf("%s: table %s has %d rows; want %d", lang, panel, len(cells[panel]), len(rows))
					continue
				}
				for _, r := range rows {
					start := r["period_start"].(string)
					pc, ok := cells[panel][start]
					if !ok {
						t.Errorf("%s: table %s has no row for %s", lang, panel, start)
						continue
					}
					for _, f := range fs {
						if !sameNumber(pc[0][f], r[f]) {
							t.Errorf("%s: %s %s %s: page %q; API %v", lang, panel, start, f, pc[0][f], r[f])
						}
						if n, ok := r[f].(float64); ok && (f == "offered" || f == "abandoned" || f == "dispositions" || f == "answered_within_sla") && pc[1][f] != strconv.FormatFloat(n, 'f', -1, 64) {
							t.Errorf("%s: %s %s %s: the page shows %q; API %v", lang, panel, start, f, pc[1][f], n)
						}
						// A share reads with the language's decimal mark.
						if n, ok := r[f].(float64); ok && f == "service_level" {
							want := strconv.FormatFloat(math.Round(n*1000)/10, 'f', 1, 64) + " %"
							if lang == "da" {
								want = strings.Replace(want, ".", ",", 1)
							}
							if !strings.HasPrefix(pc[1][f], want) {
								t.Errorf("%s: %s %s %s: the page shows %q; want %s", lang, panel, start, f, pc[1][f], want)
							}
						}
						compared++
					}
				}
			}
			if !strings.Contains(dom, `data-empty="fcr"`) {
				t.Errorf("%s: no dispositions are stored, yet the page does not say so", lang)
			}
			t.Logf("%s: %d numbers of the page equal the API's", lang, compared)
		}
	})

	t.Run("today", func(t *testing.T) {
		// The page without a year is this year's, with today.
		loc, _ := time.LoadLocation("Europe/Copenhagen")
		today := now.In(loc).Format("2006-01-02")
		dom := string(headless(t, bin, "--dump-dom", base+"/?queue=servicedesk&lang=da"))
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
	})

	// Parsed pages: what people read, and the charts' SVG.
	docs := map[string]*xhtml.Node{}
	for lang, dom := range doms {
		doc, err := xhtml.Parse(strings.NewReader(dom))
		if err != nil {
			t.Fatal(err)
		}
		docs[lang] = doc
	}

	t.Run("no English on the Danish page", func(t *testing.T) {
		// A word the English page shows too is English on the Danish page,
		// but for names that read alike in both.
		alike := map[string]bool{"acdstat": true, "min": true, "ss": true, "json": true, "csv": true, "xlsx": true,
			"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true, "sep": true, "nov": true, "dec": true}
		en, da := words(visibleText(docs["en"])), words(visibleText(docs["da"]))
		var english []string
		for w := range da {
			if en[w] && !alike[w] {
				english = append(english, w)
			}
		}
		sort.Strings(english)
		if len(english) > 0 {
			t.Errorf("English words on the Danish page: %v\n%s", english, visibleText(docs["da"]))
		}
		if !da["opkald"] || !da["serviceniveau"] || !da["kø"] {
			t.Errorf("the Danish page lacks Danish words:\n%s", visibleText(docs["da"]))
		}
		// The SLA formula is said in words, not by its id.
		for lang, doc := range docs {
			text := visibleText(doc)
			if strings.Contains(text, "offered_excl_short") || !strings.Contains(text, map[string]string{"en": "out of the calls offered", "da": "ud af de modtagne opkald"}[lang]) {
				t.Errorf("%s: the SLA formula is not said in words:\n%s", lang, text)
			}
		}
	})

	t.Run("downloads", func(t *testing.T) {
		// The footer's links give the page's figures as JSON, CSV and XLSX.
		want := map[string]string{"JSON": "application/json", "CSV": "text/csv; charset=utf-8",
			"XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
		links := findAll(docs["da"], func(n *xhtml.Node) bool { return n.Data == "a" && n.Parent != nil && n.Parent.Data == "footer" })
		if len(links) != len(want) {
			t.Fatalf("the footer has %d links; want %d", len(links), len(want))
		}
		for _, a := range links {
			resp, err := http.Get(base + attr(a, "href"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if ct := want[textOf(a)]; resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ct || len(b) == 0 {
				t.Errorf("%s (%s): status %d, %q, %d bytes; want 200 %s", textOf(a), attr(a, "href"), resp.StatusCode, resp.Header.Get("Content-Type"), len(b), ct)
			}
		}
	})

	t.Run("years with data", func(t *testing.T) {
		// 2025 (this year, with calls) and 2023; not 2024 nor 2026, which
		// have none.
		for lang, doc := range docs {
			var years []string
			for _, o := range findAll(doc, func(n *xhtml.Node) bool {
				return n.Data == "option" && n.Parent != nil && attr(n.Parent, "name") == "year"
			}) {
				years = append(years, attr(o, "value"))
			}
			if strings.Join(years, " ") != "2025 2023" {
				t.Errorf("%s: the year selector offers %v; want [2025 2023]", lang, years)
			}
		}
	})

	// maxOf is the largest value of fields in the API's rows.
	maxOf := func(fields ...string) float64 {
		m := 0.0
		for _, r := range rows {
			for _, f := range fields {
				if v, ok := r[f].(float64); ok {
					m = math.Max(m, v)
				}
			}
		}
		return m
	}
	t.Run("round ticks", func(t *testing.T) {
		for lang, doc := range docs {
			charts := svgCharts(doc)
			for _, tc := range []struct {
				chart, axis string
				steps       []float64
				dataMax     float64 // 0: a fixed 0 to 100 %
				text        func(float64) string
			}{
				{"calls", "left", []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}, maxOf("offered", "abandoned"), func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }},
				{"calls", "right", []float64{5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600}, maxOf("asa_s", "avg_wait_s"), func(v float64) string { return fmt.Sprintf("%d:%02d", int(v)/60, int(v)%60) }},
				{"sla", "left", []float64{0.2}, 0, func(v float64) string { return strconv.Itoa(int(math.Round(v*100))) + " %" }},
				{"today", "left", []float64{0.2}, 0, func(v float64) string { return strconv.Itoa(int(math.Round(v*100))) + " %" }},
			} {
				svg := charts[tc.chart]
				if svg == nil {
					t.Errorf("%s: no %s chart", lang, tc.chart)
					continue
				}
				var ticks []float64
				for _, n := range findAll(svg, func(n *xhtml.Node) bool { return hasClass(n, "tick") && attr(n, "data-axis") == tc.axis }) {
					v, err := strconv.ParseFloat(attr(n, "data-tick"), 64)
					if err != nil {
						t.Fatalf("%s %s: tick %q", lang, tc.chart, attr(n, "data-tick"))
					}
					if got, want := textOf(n), tc.text(v); got != want {
						t.Errorf("%s %s %s axis: tick %v reads %q; want %q", lang, tc.chart, tc.axis, v, got, want)
					}
					ticks = append(ticks, v)
				}
				if len(ticks) < 2 || ticks[0] != 0 {
					t.Errorf("%s %s %s axis: ticks %v; want 0 and round steps", lang, tc.chart, tc.axis, ticks)
					continue
				}
				step, top := ticks[1], ticks[len(ticks)-1]
				for i, v := range ticks {
					if math.Abs(v-float64(i)*step) > 1e-9 {
						t.Errorf("%s %s %s axis: ticks %v are not evenly spaced", lang, tc.chart, tc.axis, ticks)
						break
					}
				}
				if !slices.Contains(tc.steps, step) || len(ticks) > 6 {
					t.Errorf("%s %s %s axis: ticks %v; want a step of %v and at most five", lang, tc.chart, tc.axis, ticks, tc.steps)
				}
				if tc.dataMax == 0 && top != 1 || tc.dataMax > 0 && (top < tc.dataMax || top-step >= tc.dataMax) {
					t.Errorf("%s %s %s axis: ticks %v for values up to %v; want the top just above them (or 100 %%)", lang, tc.chart, tc.axis, ticks, tc.dataMax)
				}
			}
		}
	})

	t.Run("lines break without calls", func(t *testing.T) {
		// A line has a point in each month with a value only (abandoned
		// calls: a month with calls; ASA: with answered calls) and is one
		// path of a piece per run of such months.
		valued := map[string]func(r map[string]any) bool{
			"s-abandoned": func(r map[string]any) bool { return r["offered"].(float64) > 0 },
			"s-asa":       func(r map[string]any) bool { return r["asa_s"] != nil },
			"s-wait":      func(r map[string]any) bool { return r["avg_wait_s"] != nil },
		}
		for lang, doc := range docs {
			svg := svgCharts(doc)["calls"]
			if svg == nil {
				t.Fatalf("%s: no calls chart", lang)
			}
			for class, has := range valued {
				var want []string
				runs := 0
				for i, r := range rows {
					if has(r) {
						want = append(want, strconv.Itoa(i))
						if i == 0 || !has(rows[i-1]) {
							runs++
						}
					}
				}
				if runs < 2 {
					t.Fatalf("%s: the months with values make %d runs; the test wants a gap (%v)", class, runs, dashboardClosed)
				}
				var points []string
				for _, c := range findAll(svg, func(n *xhtml.Node) bool { return n.Data == "circle" && hasClass(n, class) }) {
					points = append(points, attr(c, "data-i"))
				}
				if !slices.Equal(points, want) {
					t.Errorf("%s %s: points in months %v; want those with a value, %v", lang, class, points, want)
				}
				paths := findAll(svg, func(n *xhtml.Node) bool { return n.Data == "path" && hasClass(n, class) })
				if len(paths) != 1 || strings.Count(attr(paths[0], "d"), "M") != runs {
					t.Errorf("%s %s: want one line in %d pieces, one per run of months with a value; got %d paths %v", lang, class, runs, len(paths), paths)
				}
			}
		}
	})

	t.Run("target label clear of the bars", func(t *testing.T) {
		for lang, doc := range docs {
			for id, svg := range svgCharts(doc) {
				label := findAll(svg, func(n *xhtml.Node) bool { return hasClass(n, "target-label") })
				if id == "calls" || id == "hour_of_day" || id == "weekday" {
					continue // calls: no target
				}
				if len(label) != 1 {
					t.Errorf("%s %s: %d target labels; want 1", lang, id, len(label))
					continue
				}
				// The label's text starts at x and runs right.
				if a := attr(label[0], "text-anchor"); a != "" && a != "start" {
					t.Errorf("%s %s: the target label is anchored at its %s; want its start", lang, id, a)
				}
				lx, _ := strconv.ParseFloat(attr(label[0], "x"), 64)
				rects := findAll(svg, func(n *xhtml.Node) bool { return n.Data == "rect" })
				if len(rects) == 0 {
					t.Errorf("%s %s: no bars", lang, id)
				}
				for _, r := range rects {
					x, _ := strconv.ParseFloat(attr(r, "x"), 64)
					w, _ := strconv.ParseFloat(attr(r, "width"), 64)
					if x+w >= lx {
						t.Errorf("%s %s: the bar of %s ends at %v, under the target label at %v", lang, id, attr(r, "data-i"), x+w, lx)
					}
				}
			}
		}
	})

	t.Run("layout", func(t *testing.T) {
		// Measured in the browser: a page of ours holds the dashboard in
		// frames of each width, on the same origin (a proxy), and writes
		// what it measures into the DOM. Print is A4's text width with the
		// print stylesheet applied to the screen.
		target, _ := url.Parse(base)
		mux := http.NewServeMux()
		mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
		mux.HandleFunc("/probe.html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, strings.ReplaceAll(probePage, "LANG", r.URL.Query().Get("lang")))
		})
		probe := httptest.NewServer(mux)
		defer probe.Close()
		for _, lang := range []string{"en", "da"} {
			dom := string(headless(t, bin, "--window-size=1400,1200", "--virtual-time-budget=10000", "--dump-dom", probe.URL+"/probe.html?lang="+lang))
			m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindStringSubmatch(dom)
			if m == nil || m[1] == "" {
				t.Fatalf("%s: the probe measured nothing:\n%.3000s", lang, dom)
			}
			var got map[string]layoutMeasure
			if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
				t.Fatalf("%s: %v: %s", lang, err, m[1])
			}
			for _, frame := range []string{"desktop", "phone", "print"} {
				lm, ok := got[frame]
				if !ok {
					t.Errorf("%s: no %s measure: %s", lang, frame, m[1])
					continue
				}
				if lm.Overflow > 0 {
					t.Errorf("%s %s: the page is %d px wider than the screen", lang, frame, lm.Overflow)
				}
				if print := frame == "print"; lm.Hidden["form"] != print || lm.Hidden["footer"] != print || lm.Hidden["table.numbers"] {
					t.Errorf("%s %s: hidden %v; want the form and footer hidden in print only, the tables shown", lang, frame, lm.Hidden)
				}
				if len(lm.Charts) != 5 {
					t.Errorf("%s %s: %d charts; want today, calls, service level, by hour of day and by weekday", lang, frame, len(lm.Charts))
				}
				for _, c := range lm.Charts {
					if c.Width < 200 || c.Right > lm.Viewport+0.5 {
						t.Errorf("%s %s %s: a chart %.0f px wide ending at %.0f in %v px", lang, frame, c.ID, c.Width, c.Right, lm.Viewport)
					}
					if c.FontPx < 10 {
						t.Errorf("%s %s %s: text %.1f px high; want 10 or more", lang, frame, c.ID, c.FontPx)
					}
					if len(c.Problems) > 0 || c.Covered > 0 {
						t.Errorf("%s %s %s: %q; %d bars under the target label", lang, frame, c.ID, c.Problems, c.Covered)
					}
				}
				t.Logf("%s %s (%v px): %+v", lang, frame, lm.Viewport, lm.Charts)
			}
		}
	})

	t.Run("screenshots", func(t *testing.T) {
		b, pages := shootAndPrint(t, bin, "dashboard", 1800, page)
		// Printed, the page is a few A4 pages, not one per chart nor one.
		if !bytes.HasPrefix(b, []byte("%PDF")) || pages < 2 || pages > 7 {
			t.Errorf("printed: %d bytes, %d pages; want a PDF of 2 to 7 pages", len(b), pages)
		}
		t.Logf("printed: %d pages", pages)
	})
}

// layoutMeasure is what probePage measures of the dashboard in one frame.
type layoutMeasure struct {
	Viewport float64
	Overflow int
	Hidden   map[string]bool
	Charts   []struct {
		ID                   string
		Width, Right, FontPx float64
		Problems             []string // texts cut off at the chart's edge or overlapping
		Covered              int      // bars under the target label
	}
}

// probePage holds the dashboard (?lang=LANG) at desktop width, phone width
// and A4's text width with the print stylesheet on, and writes into
// #result, per frame: how much wider than the frame the page is, whether
// the form, the footer and the tables show, and per chart its width, the
// height its smallest text is drawn at, the texts cut off at its edge or
// overlapping another, and how many bars lie under the target label.
const probePage = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<iframe id="desktop" style="width:1280px;height:900px;border:0" src="/?queue=servicedesk&year=2025&lang=LANG"></iframe>
<iframe id="phone" style="width:390px;height:900px;border:0" src="/?queue=servicedesk&year=2025&lang=LANG"></iframe>
<iframe id="print" style="width:703px;height:900px;border:0" src="/?queue=servicedesk&year=2025&lang=LANG"></iframe>
<pre id="result"></pre>
<script>
function asPrint(doc) {
  for (const sheet of doc.styleSheets) for (const rule of sheet.cssRules) {
    if (rule.media && /\bprint\b/.test(rule.media.mediaText)) rule.media.mediaText = 'all';
  }
}
function overlap(a, b) { return a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5; }
function measure(doc, win) {
  const root = doc.documentElement;
  const out = {Viewport: win.innerWidth, Overflow: root.scrollWidth - root.clientWidth, Hidden: {}, Charts: []};
  for (const sel of ['form', 'footer', 'table.numbers']) {
    const e = doc.querySelector(sel);
    out.Hidden[sel] = !e || e.getClientRects().length === 0;
  }
  for (const svg of doc.querySelectorAll('section svg')) {
    const b = svg.getBoundingClientRect();
    const scale = b.width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')];
    const boxes = texts.map(t => t.getBoundingClientRect());
    const c = {ID: svg.closest('section').id, Width: b.width, Right: b.right, Problems: [], Covered: 0,
      FontPx: Math.min(...texts.map(t => scale * parseFloat(win.getComputedStyle(t).fontSize)))};
    for (let i = 0; i < boxes.length; i++) {
      const q = boxes[i];
      if (q.left < b.left - 0.5 || q.right > b.right + 0.5 || q.top < b.top - 0.5 || q.bottom > b.bottom + 0.5) c.Problems.push('cut off: ' + texts[i].textContent);
      for (let j = i + 1; j < boxes.length; j++) if (overlap(q, boxes[j])) c.Problems.push('overlap: ' + texts[i].textContent + ' / ' + texts[j].textContent);
    }
    const label = svg.querySelector('text.target-label');
    if (label) {
      const lb = label.getBoundingClientRect();
      for (const r of svg.querySelectorAll('rect')) if (overlap(r.getBoundingClientRect(), lb)) c.Covered++;
    }
    out.Charts.push(c);
  }
  return out;
}
window.addEventListener('load', () => {
  const out = {};
  for (const id of ['desktop', 'phone', 'print']) {
    const f = document.getElementById(id);
    if (id === 'print') asPrint(f.contentDocument);
    out[id] = measure(f.contentDocument, f.contentWindow);
  }
  document.getElementById('result').textContent = JSON.stringify(out);
});
</script></body></html>`

// visibleText is the text people read on a page: its body's text and
// placeholders, the SVG's tooltips included, without scripts, styles and
// what is marked translate="no" (names: desks, the zone, versions).
func visibleText(doc *xhtml.Node) string {
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head" || attr(n, "translate") == "no") {
			return
		}
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		if p := attr(n, "placeholder"); p != "" {
			b.WriteString(p + " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

// words are the words of s, lower case: runs of letters (and '_', so an id
// such as offered_excl_short is one word) of two or more.
func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '_' }) {
		if len([]rune(w)) >= 2 {
			out[strings.ToLower(w)] = true
		}
	}
	return out
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *xhtml.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

// findAll returns the elements under n that match, in document order.
func findAll(n *xhtml.Node, match func(*xhtml.Node) bool) []*xhtml.Node {
	var out []*xhtml.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xhtml.ElementNode && match(c) {
			out = append(out, c)
		}
		out = append(out, findAll(c, match)...)
	}
	return out
}

func textOf(n *xhtml.Node) string {
	var b strings.Builder
	for _, t := range findAllText(n) {
		b.WriteString(t)
	}
	return strings.TrimSpace(b.String())
}

func findAllText(n *xhtml.Node) []string {
	var out []string
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xhtml.TextNode {
			out = append(out, c.Data)
		}
		out = append(out, findAllText(c)...)
	}
	return out
}

// svgCharts returns the page's charts by the id of their section.
func svgCharts(doc *xhtml.Node) map[string]*xhtml.Node {
	out := map[string]*xhtml.Node{}
	for _, sec := range findAll(doc, func(n *xhtml.Node) bool { return n.Data == "section" }) {
		if svg := findAll(sec, func(n *xhtml.Node) bool { return n.Data == "svg" }); len(svg) == 1 {
			out[attr(sec, "id")] = svg[0]
		}
	}
	return out
}

// checkNotBlank decodes a PNG and wants many colours, not all white.
// shootAndPrint takes screenshots of a page (page(lang) is its URL) in
// English and Danish at desktop and phone width, each checked not blank,
// writing the English desktop one to docs/NAME.png under -update, and
// prints the Danish page to PDF: it returns the PDF and its page count.
func shootAndPrint(t *testing.T, bin, name string, height int, page func(lang string) string) ([]byte, int) {
	t.Helper()
	dir := t.TempDir()
	for _, lang := range []string{"en", "da"} {
		for _, width := range []int{1280, 390} {
			shot := filepath.Join(dir, fmt.Sprintf("%s_%s_%d.png", name, lang, width))
			headless(t, bin, "--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", width, height), page(lang))
			checkNotBlank(t, shot)
			if *updatePNG && lang == "en" && width == 1280 {
				b, err := os.ReadFile(shot)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("..", "..", "docs", name+".png"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	pdf := filepath.Join(dir, name+".pdf")
	headless(t, bin, "--print-to-pdf="+pdf, "--no-pdf-header-footer", page("da"))
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	return b, len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(b, -1))
}

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
