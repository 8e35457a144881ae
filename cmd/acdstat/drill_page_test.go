package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

// drillTotalRE and drillAvgRE read the figures a drill page shows: how many
// calls it lists and their average wait.
var (
	drillTotalRE = regexp.MustCompile(`data-field="total" data-value="([0-9]+)"`)
	drillAvgRE   = regexp.MustCompile(`data-field="avg_wait_s" data-value="([^"]*)"`)
)

// drillBehind says what the calls behind each figure of the dashboard's
// tables add up to: the figure itself (a count, or the average wait of the
// calls listed), or for a share the count it is a share of, in the same
// row.
var drillBehind = map[string]string{
	"offered": "offered", "abandoned": "abandoned", "answered_within_sla": "answered_within_sla",
	"dispositions": "dispositions", "asa_s": "asa_s", "avg_wait_s": "avg_wait_s",
	"service_level": "offered", "fcr_rate": "dispositions",
}

// TestDashboardLinksEveryFigureToItsCalls renders the dashboard of a
// simulated 2025 in headless Chromium and follows what a manager who
// doubts a figure clicks: every number of the month, today, hour-of-day
// and weekday tables and today's figures links to a page of the calls
// behind it, and that page lists as many calls as the figure counts (or,
// for an average wait, calls whose waits average to it; for a share, the
// calls it is a share of). One link of each table is rendered in Chromium
// too: its calls are listed in a table, each linking to the call's page,
// which shows the call's events in order.
func TestDashboardLinksEveryFigureToItsCalls(t *testing.T) {
	bin := chromium(t)
	base, _ := dashboardSetup(t)
	dom := string(headless(t, bin, "--dump-dom", base+"/?queue=servicedesk&year=2025&lang=da"))
	doc, err := xhtml.Parse(strings.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%.1500s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	// The cells with a figure, by table; today's figures are the "kpi" table.
	cells := findAll(doc, func(n *xhtml.Node) bool {
		return (n.Data == "td" || n.Data == "b") && attr(n, "data-field") != "" && attr(n, "data-field") != "settings_version"
	})
	perTable := map[string]int{}
	rendered := map[string]bool{}
	for _, c := range cells {
		field := attr(c, "data-field")
		table, row := "kpi", c
		if c.Data == "td" {
			row = c.Parent
			for tb := c.Parent; tb != nil; tb = tb.Parent {
				if tb.Data == "table" {
					table = attr(tb, "data-panel")
					break
				}
			}
		}
		if field == "waiting_now" {
			continue // calls still waiting are in no figure
		}
		links := findAll(c, func(n *xhtml.Node) bool { return n.Data == "a" })
		if len(links) != 1 || !strings.HasPrefix(attr(links[0], "href"), "/calls?") {
			t.Errorf("%s %s %s: no link to its calls", table, attr(row, "data-period-start")+attr(row, "data-slot"), field)
			continue
		}
		href := attr(links[0], "href")
		if !strings.Contains(href, "lang=da") {
			t.Errorf("%s %s: the link %s leaves the page's language", table, field, href)
		}
		// The figure the calls add up to, from the same row.
		want := attr(c, "data-value")
		if f := drillBehind[field]; f != field {
			want = ""
			for _, sib := range findAll(row, func(n *xhtml.Node) bool { return attr(n, "data-field") == f }) {
				want = attr(sib, "data-value")
			}
			if want == "" && table == "kpi" {
				continue // today's service level: its count is the offered KPI's
			}
		}
		page := get(href)
		switch field {
		case "asa_s", "avg_wait_s":
			m := drillAvgRE.FindStringSubmatch(page)
			if m == nil || !sameValue(m[1], want) {
				t.Errorf("%s %s %s: the calls behind it wait %v on average; the figure is %q (%s)", table, attr(row, "data-period-start"), field, m, want, href)
			}
		default:
			m := drillTotalRE.FindStringSubmatch(page)
			if m == nil || m[1] != want {
				t.Errorf("%s %s %s: %v calls behind it; the figure counts %q (%s)", table, attr(row, "data-period-start"), field, m, want, href)
			}
		}
		perTable[table]++
		if n, _ := strconv.Atoi(want); n > 0 && !rendered[table] {
			rendered[table] = true
			checkDrillInChromium(t, bin, base, href, n)
		}
	}
	for _, table := range []string{"calls", "sla", "today", "kpi", "hour_of_day", "weekday"} {
		if perTable[table] == 0 {
			t.Errorf("table %s: no figure linked to its calls", table)
		}
	}
	t.Logf("%v figures followed to their calls", perTable)
}

// sameValue compares two decimal numbers of data-value attributes, empty
// for null.
func sameValue(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// checkDrillInChromium renders one drill page in Chromium: it lists want
// calls (a page of at most 100), each linking to its call's page, and the
// first call's page shows its events, ENTERQUEUE first, in order of time.
func checkDrillInChromium(t *testing.T, bin, base, href string, want int) {
	t.Helper()
	doc, err := xhtml.Parse(strings.NewReader(string(headless(t, bin, "--dump-dom", base+href))))
	if err != nil {
		t.Fatal(err)
	}
	rows := findAll(doc, func(n *xhtml.Node) bool { return n.Data == "tr" && attr(n, "data-call") != "" })
	if len(rows) != min(want, 100) {
		t.Fatalf("%s: %d calls in the table; want %d", href, len(rows), min(want, 100))
	}
	links := findAll(rows[0], func(n *xhtml.Node) bool { return n.Data == "a" && strings.HasPrefix(attr(n, "href"), "/calls/") })
	if len(links) != 1 {
		t.Fatalf("%s: the first call links to no call page", href)
	}
	call, err := xhtml.Parse(strings.NewReader(string(headless(t, bin, "--dump-dom", base+attr(links[0], "href")))))
	if err != nil {
		t.Fatal(err)
	}
	var verbs, times []string
	for _, e := range findAll(call, func(n *xhtml.Node) bool { return n.Data == "tr" && attr(n, "data-verb") != "" }) {
		verbs, times = append(verbs, attr(e, "data-verb")), append(times, attr(e, "data-time"))
	}
	if len(verbs) < 2 || verbs[0] != "ENTERQUEUE" {
		t.Errorf("%s: events %v; want ENTERQUEUE first", attr(links[0], "href"), verbs)
	}
	for i := 1; i < len(times); i++ {
		if times[i] < times[i-1] {
			t.Errorf("%s: event %s at %s after one at %s", attr(links[0], "href"), verbs[i], times[i], times[i-1])
		}
	}
}
