package main

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

// TestSystemsOnTheDashboardInChromium renders the dashboard in headless
// Chromium with the first customer's year fed in (seedSetup) and checks
// what a manager reads: a section of system response times whose every
// cell is GET /v1/systems's figure (shown at two decimals with its mark,
// the language's decimal mark, N/A where the report has none), the agreed
// levels on top, "8 of 12" ("8 af 12") for October 2016, no English word
// in the Danish section, and a page no wider than the screen at desktop
// and phone width and in print. The page of a store without system
// figures has no such section (TestDashboardInChromium).
func TestSystemsOnTheDashboardInChromium(t *testing.T) {
	bin := chromium(t)
	seed, _, base := seedSetup(t)
	cells := 0
	for _, m := range seed.Months {
		for _, c := range seed.Cells[m] {
			if c != "N/A" {
				cells++
			}
		}
	}
	a := waitForSystems(t, base, seedQuery, func(a systemsAnswer) bool {
		n := 0
		for _, r := range a.Rows {
			if r.Compliance != nil {
				n++
			}
		}
		return n == cells
	})
	api := map[string]systemRowJSON{}
	for _, r := range a.Rows {
		api[r.Label+" "+r.System] = r
	}
	docs := map[string]*xhtml.Node{}
	for _, lang := range []string{"en", "da"} {
		// Without ?year= the page is this year's (2016 by the test's
		// clock), which ends with October.
		dom := string(headless(t, bin, "--dump-dom", base+"/?lang="+lang))
		doc, err := xhtml.Parse(strings.NewReader(dom))
		if err != nil {
			t.Fatal(err)
		}
		secs := findAll(doc, func(n *xhtml.Node) bool { return n.Data == "section" && attr(n, "id") == "systems" })
		if len(secs) != 1 {
			t.Fatalf("%s: %d sections of systems; want 1:\n%.3000s", lang, len(secs), dom)
		}
		docs[lang] = secs[0]
		decimalMark := map[string]string{"en": ".", "da": ","}[lang]
		compared := 0
		for _, tr := range findAll(secs[0], func(n *xhtml.Node) bool { return n.Data == "tr" && attr(n, "data-label") != "" }) {
			label := attr(tr, "data-label")
			for _, td := range findAll(tr, func(n *xhtml.Node) bool { return n.Data == "td" && attr(n, "data-field") == "compliance" }) {
				r, ok := api[label+" "+attr(td, "data-system")]
				if !ok {
					t.Errorf("%s: a cell of %s %s, which the API does not have", lang, attr(td, "data-system"), label)
					continue
				}
				want := "N/A"
				if r.Compliance != nil {
					want = strings.Replace(fmt.Sprintf("%.2f", float64(bp(r.Compliance))/100), ".", decimalMark, 1)
					if *r.Met {
						want += " ✓"
					} else {
						want += " ✗"
					}
				}
				got, _ := strconv.ParseFloat(attr(td, "data-value"), 64)
				if textOf(td) != want || (r.Compliance != nil && int(math.Round(got*10000)) != bp(r.Compliance)) {
					t.Errorf("%s %s %s: the page shows %q (%s); want %q", lang, r.Name, label, textOf(td), attr(td, "data-value"), want)
				}
				compared++
			}
			met := findAll(tr, func(n *xhtml.Node) bool { return n.Data == "td" && attr(n, "data-field") == "met" })
			if label == "2016-10" && (len(met) != 1 || textOf(met[0]) != map[string]string{"en": "8 of 12", "da": "8 af 12"}[lang]) {
				t.Errorf("%s: October 2016 reads %v; want 8 of 12", lang, met)
			}
		}
		if compared != len(a.Rows) {
			t.Errorf("%s: compared %d cells; the API has %d", lang, compared, len(a.Rows))
		}
		var levels []string
		for _, td := range findAll(secs[0], func(n *xhtml.Node) bool { return n.Data == "td" && attr(n, "data-field") == "agreed_level" }) {
			levels = append(levels, strings.Replace(textOf(td), decimalMark, ".", 1))
		}
		if strings.Join(levels, " ") != strings.Join(seed.Levels, " ") {
			t.Errorf("%s: agreed levels %v; want %v", lang, levels, seed.Levels)
		}
	}
	en, da := words(visibleText(docs["en"])), words(visibleText(docs["da"]))
	for w := range da {
		if en[w] && w != "json" && w != "csv" && w != "xlsx" {
			t.Errorf("the Danish section shows the English word %q", w)
		}
	}

	// Measured in the browser, as TestDashboardInChromium's layout: the
	// page is no wider than the screen at desktop and phone width, nor
	// than A4's text in print (the wide table scrolls on a screen).
	target, _ := url.Parse(base)
	mux := http.NewServeMux()
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	mux.HandleFunc("/probe.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page := strings.ReplaceAll(probePage, "/?queue=servicedesk&year=2025&lang=LANG", "/?lang=LANG")
		fmt.Fprint(w, strings.ReplaceAll(page, "LANG", r.URL.Query().Get("lang")))
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
			if lm, ok := got[frame]; !ok || lm.Overflow > 0 {
				t.Errorf("%s %s: the page is %d px wider than the screen (measured: %v)", lang, frame, lm.Overflow, ok)
			}
		}
	}
	shot := filepath.Join(t.TempDir(), "systems.png")
	headless(t, bin, "--screenshot="+shot, "--window-size=1280,1200", base+"/?lang=en")
	checkNotBlank(t, shot)
}
