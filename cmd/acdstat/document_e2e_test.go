package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// documentQueues are the first customer's desks, with a desk that has no
// calls: it must have no section.
const documentQueues = `queues:
  servicedesk:
    name: CIMT Servicedesk
  klinisk:
    name: Klinisk Servicedesk
    hours: {mon-thu: "08:00-16:00", fri: "08:00-15:00"}
  sp_helpdesk:
    name: SP Helpdesk
  opening_soon:
    name: A desk with no calls yet
`

// documentToday is the document tests' clock: the first days of 2017, so
// the fourth quarter of 2016 and its December have ended.
var documentToday = time.Date(2017, 1, 5, 9, 0, 0, 0, simulate.Copenhagen())

// documentSetup ingests two simulated weekdays in each month from July to
// December 2016: the third quarter without dispositions, the fourth with
// them (first-contact resolution), the first customer's systems' months'
// figures (deploy/systems.example.csv, to October 2016), and the desks'
// simulated contacts and cases of the fourth quarter, and rolls them up. It returns the
// settings and the clock; serve is not started.
func documentSetup(t *testing.T, extra ...string) ([]string, func() time.Time) {
	t.Helper()
	dir := t.TempDir()
	queues := filepath.Join(dir, "queues.yaml")
	// The first customer's systems with their agreed levels, whose
	// months' figures (October 2015 to October 2016) are those make run
	// posts.
	// The first customer's desks' contacts and cases of the fourth
	// quarter, as make run's simulate --cases sends them; the service
	// desk's phone contacts are the answered calls of its queue.
	loc := simulate.Copenhagen()
	csim, err := simulate.GenerateCases(simulate.CaseConfig{System: "tool", Start: time.Date(2016, 10, 1, 0, 0, 0, 0, loc), Days: 92, CasesPerDay: 6, Seed: 2016})
	if err != nil {
		t.Fatal(err)
	}
	desks := strings.Replace(csim.DesksYAML(), "  servicedesk:\n", "  servicedesk:\n    queues: [servicedesk]\n", 1)
	if err := os.WriteFile(queues, []byte(documentQueues+readSeedSystems(t).queueFile(t)+desks), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t, append([]string{"ACDSTAT_QUEUES=" + queues}, extra...)...)
	clock := clockFrom(documentToday)
	var log bytes.Buffer
	for m := time.July; m <= time.December; m++ {
		cfg := simulate.DefaultConfig()
		// Two weekdays: a Monday and a Tuesday.
		cfg.Start = time.Date(2016, m, 10, 0, 0, 0, 0, simulate.Copenhagen())
		for cfg.Start.Weekday() != time.Monday {
			cfg.Start = cfg.Start.AddDate(0, 0, 1)
		}
		cfg.Days, cfg.CallsPerDay, cfg.Seed = 2, 30+6*int(m), 2016*100+int64(m)
		if m >= time.October {
			cfg.Dispositions = 0.5
		}
		sim, err := simulate.Generate(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.WriteQueueLog(&log); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "queue_log")
	if err := os.WriteFile(file, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmdAt(t, clock, environ, "ingest", "--allow-old", "--format", "queue_log", file)
	runCmdAt(t, clock, environ, "ingest", "--allow-old", "--format", "probe_months", filepath.Join("..", "..", "deploy", "systems.example.csv"))
	contacts, cases := filepath.Join(dir, "contacts.csv"), filepath.Join(dir, "cases.csv")
	if err := os.WriteFile(contacts, []byte(simulate.ContactsCSV(csim.Contacts)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cases, []byte(simulate.CasesCSV(csim.States)), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmdAt(t, clock, environ, "ingest", "--allow-old", "--switch", "portal", "--format", "contacts", contacts)
	runCmdAt(t, clock, environ, "ingest", "--allow-old", "--switch", "tool", "--format", "cases", cases)
	runCmdAt(t, clock, environ, "rollup")
	return environ, clock
}

// pdfText is the text of a PDF by pdftotext -layout, which keeps a table's
// row on one line. Under CI=true a missing pdftotext fails the test.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext not found; install it with: apt-get install -y poppler-utils")
		}
		t.Skip("pdftotext not found (apt-get install -y poppler-utils); the PDF's text is not checked")
	}
	in := filepath.Join(t.TempDir(), "document.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// desks are the desks with calls, in the document's order (by queue name).
var documentDesks = []struct{ queue, name string }{
	{"klinisk", "Klinisk Servicedesk"}, {"servicedesk", "CIMT Servicedesk"}, {"sp_helpdesk", "SP Helpdesk"},
}

// documentRows are the API's month rows of the fourth quarter of 2016 of
// each desk, and its quarter row.
func documentRows(t *testing.T, base, from, to string) (months map[string][]map[string]any, quarter map[string]map[string]any) {
	t.Helper()
	months, quarter = map[string][]map[string]any{}, map[string]map[string]any{}
	for _, d := range documentDesks {
		var rows []map[string]any
		getJSON(t, base+"/v1/report?queue="+d.queue+"&period=month&from="+from+"&to="+to, 200, &rows)
		months[d.queue] = rows
		var q []map[string]any
		getJSON(t, base+"/v1/report?queue="+d.queue+"&period=quarter&from="+from+"&to="+to, 200, &q)
		if len(q) != 1 {
			t.Fatalf("%s: %d quarter rows; want 1", d.queue, len(q))
		}
		quarter[d.queue] = q[0]
	}
	return months, quarter
}

// documentRowsIn is documentRows of one desk for its calls in opening
// hours (hours=in).
func documentRowsIn(t *testing.T, base, queue, from, to string) (months []map[string]any, quarter map[string]any) {
	t.Helper()
	getJSON(t, base+"/v1/report?hours=in&queue="+queue+"&period=month&from="+from+"&to="+to, 200, &months)
	var q []map[string]any
	getJSON(t, base+"/v1/report?hours=in&queue="+queue+"&period=quarter&from="+from+"&to="+to, 200, &q)
	if len(q) != 1 {
		t.Fatalf("%s: %d quarter rows in opening hours; want 1", queue, len(q))
	}
	return months, q[0]
}

// Formatting the API's values as a reader of the document reads them.
func pctOf(v any, decimal string) string {
	f, ok := v.(float64)
	if !ok {
		return "–"
	}
	return strings.Replace(strconv.FormatFloat(math.Round(f*1000)/10, 'f', 1, 64), ".", decimal, 1) + " %"
}

func minSecOf(v any) string {
	f, ok := v.(float64)
	if !ok {
		return "–"
	}
	s := int(math.Round(f))
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func countOf(v any) string { return strconv.FormatFloat(v.(float64), 'f', -1, 64) }

// tableLines finds, in the PDF's text, the rows of each desk's tables in
// each group: group → desk name → row label → the fields after the label
// of that row in each of the section's tables, in order.
func tableLines(text string, groups map[string]string, desks []string, labels []string) map[string]map[string]map[string][][]string {
	out := map[string]map[string]map[string][][]string{}
	var group, desk string
	headingRE := regexp.MustCompile(`^\s*(\d+)(?:\.\d+)?\s+(.+?)\s*$`)
	for _, line := range strings.Split(text, "\n") {
		if m := headingRE.FindStringSubmatch(line); m != nil {
			for g, h := range groups {
				if m[2] == h {
					group, desk = g, ""
				}
			}
			for _, d := range desks {
				if m[2] == d {
					desk = d
				}
			}
		}
		if group == "" || desk == "" {
			continue
		}
		trimmed := strings.TrimSpace(line)
		for _, l := range labels {
			if rest, ok := strings.CutPrefix(trimmed, l+" "); ok {
				if out[group] == nil {
					out[group] = map[string]map[string][][]string{}
				}
				if out[group][desk] == nil {
					out[group][desk] = map[string][][]string{}
				}
				out[group][desk][l] = append(out[group][desk][l], strings.Fields(rest))
			}
		}
	}
	return out
}

// TestQuarterlyDocument makes the quarterly document of the fourth quarter
// of 2016 from simulated calls and checks what its readers read: the PDF's
// text (acdstat report --quarter --format pdf) holds every section heading
// and each desk's numbers per month and for the quarter, equal to GET
// /v1/report's; the HTML renders in Chromium in Danish and English from
// the dashboard's link; the third quarter, without dispositions, has no
// first-contact resolution section; a desk without calls has no section;
// the authors' text stands where it belongs.
func TestQuarterlyDocument(t *testing.T) {
	bin := chromium(t)
	texts := t.TempDir()
	if err := os.MkdirAll(filepath.Join(texts, "2016-Q4"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"intro.md":                  "Kvartalet **kort**: den *første* vinter med den nye platform. Servicedesken nåede ikke målet på 80 % i nogen måned.\n\n<script>alert(1)</script>\n",
		"sla-servicedesk.md":        "CIMT kept its **target** all quarter.\n",
		"calls-nonexistent-desk.md": "never shown\n",
	} {
		if err := os.WriteFile(filepath.Join(texts, "2016-Q4", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	environ, clock := documentSetup(t, "ACDSTAT_DOCUMENT_TEXTS="+texts)
	startServeAt(t, environ, clock)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	months, quarter := documentRows(t, base, "2016-10-01", "2017-01-01")
	for _, d := range documentDesks {
		if quarter[d.queue]["offered"].(float64) < 50 {
			t.Fatalf("%s: %v calls offered in the quarter; want the simulated ones", d.queue, quarter[d.queue]["offered"])
		}
	}

	// The groups after the queues' are named so that their tables are not
	// read as the last desk's.
	groups := map[string]string{"calls": "Calls, waiting time and abandoned calls", "sla": "Service level", "fcr": "First-contact resolution",
		"cases": "Cases and channels", "systems": "System response times"}
	monthLabels := []string{"October 2016", "November 2016", "December 2016", "Total"}

	t.Run("pdf", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "q4.pdf")
		runCmdAt(t, clock, environ, "report", "--quarter", "2016-Q4", "--format", "pdf", "--lang", "en", "--out", out)
		pdf, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, pdf)
		for _, h := range []string{"Quarterly report", "4th quarter 2016", "Key figures", "Introduction",
			"1 Calls, waiting time and abandoned calls", "2 Service level", "3 First-contact resolution",
			"Kvartalet kort: den første vinter", "CIMT kept its target all quarter."} {
			if !strings.Contains(text, h) {
				t.Errorf("the PDF's text has no %q:\n%s", h, text)
			}
		}
		// Every group has a section per desk, numbered, in the contents
		// and above its figure.
		for g := 1; g <= 3; g++ {
			for i, d := range documentDesks {
				h := fmt.Sprintf("%d.%d %s", g, i+1, d.name)
				if n := strings.Count(text, h); n != 2 {
					t.Errorf("the PDF's text has %q %d times; want 2 (the contents and the section)", h, n)
				}
			}
		}
		for _, never := range []string{"A desk with no calls yet", "alert(1)", "never shown"} {
			if strings.Contains(text, never) {
				t.Errorf("the PDF's text has %q", never)
			}
		}
		var names []string
		for _, d := range documentDesks {
			names = append(names, d.name)
		}
		lines := tableLines(text, groups, names, monthLabels)
		compared := 0
		for _, d := range documentDesks {
			rows := append(append([]map[string]any{}, months[d.queue]...), quarter[d.queue])
			for i, r := range rows {
				met := func(field string) string {
					switch r[field] {
					case true:
						return "met"
					case false:
						return "missed"
					}
					return "–"
				}
				want := map[string][]string{
					"calls": {countOf(r["offered"]), countOf(r["answered"]), countOf(r["abandoned"]), minSecOf(r["avg_wait_s"]), minSecOf(r["asa_s"])},
					"sla":   strings.Fields(pctOf(r["service_level"], ".") + " " + countOf(r["answered_within_sla"]) + " " + countOf(r["offered"]) + " " + met("sla_met")),
					"fcr":   strings.Fields(pctOf(r["fcr_rate"], ".") + " " + countOf(r["dispositions"]) + " " + met("fcr_met")),
				}
				for g, w := range want {
					var got []string
					if tables := lines[g][d.name][monthLabels[i]]; len(tables) > 0 {
						got = tables[0]
					}
					if strings.Join(got, " ") != strings.Join(w, " ") {
						t.Errorf("%s, %s, %s: the PDF reads %q; the API's %q", groups[g], d.name, monthLabels[i], got, w)
					}
					compared += len(w)
				}
			}
		}
		// The clinical desk, which has opening hours, has a second
		// service level: of the calls that joined while it was open.
		inMonths, inQuarter := documentRowsIn(t, base, "klinisk", "2016-10-01", "2017-01-01")
		for i, r := range append(inMonths, inQuarter) {
			met := map[any]string{true: "met", false: "missed", nil: "–"}[r["sla_met"]]
			want := strings.Fields(pctOf(r["service_level"], ".") + " " + countOf(r["answered_within_sla"]) + " " + countOf(r["offered"]) + " " + met)
			var got []string
			if tables := lines["sla"]["Klinisk Servicedesk"][monthLabels[i]]; len(tables) == 2 {
				got = tables[1]
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("in opening hours, Klinisk Servicedesk, %s: the PDF reads %q; the API's %q", monthLabels[i], got, want)
			}
			compared += len(want)
		}
		for _, d := range documentDesks[1:] {
			if n := len(lines["sla"][d.name]["Total"]); n != 1 {
				t.Errorf("%s, always open, has %d service-level tables; want 1", d.name, n)
			}
		}
		// The front page's key figures: a row per desk, the quarter's.
		for _, d := range documentDesks {
			q := quarter[d.queue]
			want := strings.Fields(countOf(q["offered"]) + " " + minSecOf(q["avg_wait_s"]) + " " + countOf(q["abandoned"]) + " " +
				pctOf(q["service_level"], ".") + " " + pctOf(q["fcr_rate"], "."))
			var got []string
			for _, line := range strings.Split(text, "\n") {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), d.name+" "); ok {
					got = strings.Fields(rest)
					break
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("key figures of %s: the PDF reads %q; the API's %q", d.name, got, want)
			}
			compared += len(want)
		}
		compared += checkDocumentSystems(t, text, base)
		compared += checkDocumentCases(t, text, base)
		t.Logf("%d numbers of the PDF equal the API's", compared)
	})

	t.Run("no system figures, no systems section", func(t *testing.T) {
		page := runCmdAt(t, clock, environ, "report", "--month", "2016-11", "--lang", "en")
		if !strings.Contains(page, `data-group="calls"`) {
			t.Errorf("November 2016 has no calls section")
		}
		if strings.Contains(page, `data-group="systems"`) || strings.Contains(page, "System response times") {
			t.Errorf("November 2016, without system figures, has a systems section")
		}
	})

	t.Run("third quarter has no first-contact resolution", func(t *testing.T) {
		page := runCmdAt(t, clock, environ, "report", "--quarter", "2016-Q3", "--lang", "en")
		for _, h := range []string{"Calls, waiting time and abandoned calls", "Service level", "CIMT Servicedesk"} {
			if !strings.Contains(page, h) {
				t.Errorf("the third quarter has no %q", h)
			}
		}
		if strings.Contains(page, "First-contact resolution") || strings.Contains(page, `data-group="fcr"`) {
			t.Errorf("the third quarter, without dispositions, has a first-contact resolution section")
		}
		if strings.Contains(page, `data-group="cases"`) || strings.Contains(page, "Cases and channels") {
			t.Errorf("the third quarter, without cases or contacts of other channels, has a cases section")
		}
		if strings.Contains(page, "Kvartalet <strong>kort</strong>") {
			t.Errorf("the third quarter shows the fourth quarter's text")
		}
	})

	t.Run("html in chromium", func(t *testing.T) {
		var dash bytes.Buffer
		resp, err := http.Get(base + "/?queue=servicedesk&year=2016&lang=da")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(&dash, resp.Body)
		resp.Body.Close()
		link := regexp.MustCompile(`<a href="(/document\?[^"]+)"`).FindStringSubmatch(dash.String())
		if link == nil {
			t.Fatalf("the dashboard has no link to the document")
		}
		// The PDF link prints the same quarter.
		pdfLink := regexp.MustCompile(`<a href="(/document\?[^"]*format=pdf)"`).FindStringSubmatch(dash.String())
		if pdfLink == nil {
			t.Fatalf("the dashboard has no link to the PDF")
		}
		resp, err = http.Get(base + strings.ReplaceAll(pdfLink[1], "&amp;", "&"))
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("GET %s: %d %s: %.300s", pdfLink[1], resp.StatusCode, resp.Header.Get("Content-Type"), pdf)
		}
		if text := pdfText(t, pdf); !strings.Contains(text, "4. kvartal 2016") || !strings.Contains(text, "2 Serviceniveau") {
			t.Errorf("the dashboard's PDF is not the Danish fourth quarter:\n%.1000s", text)
		}
		want := map[string][]string{
			"en": {"Quarterly report", "4th quarter 2016", "Calls, waiting time and abandoned calls", "Service level", "First-contact resolution"},
			"da": {"Kvartalsrapport", "4. kvartal 2016", "Opkald, ventetid og afbrudte opkald", "Serviceniveau", "Straksafklaring"},
		}
		for lang, heads := range want {
			u := base + strings.ReplaceAll(link[1], "&amp;", "&")
			u = regexp.MustCompile(`lang=[a-z]+`).ReplaceAllString(u, "lang="+lang)
			dom := string(headless(t, bin, "--dump-dom", u))
			if !strings.Contains(dom, `<html lang="`+lang+`">`) {
				t.Errorf("%s: the page is not in %s:\n%.500s", lang, lang, dom)
			}
			for _, h := range heads {
				if !strings.Contains(dom, h) {
					t.Errorf("%s: the page has no %q", lang, h)
				}
			}
			// Three per desk, and the clinical desk's in opening hours;
			// then per desk with cases its contacts, cases and within time.
			queues, cases, _ := strings.Cut(dom, `data-group="cases"`)
			if n := strings.Count(queues, "<svg"); n != 3*len(documentDesks)+1 {
				t.Errorf("%s: %d charts of the queues; want %d", lang, n, 3*len(documentDesks)+1)
			}
			if n := strings.Count(cases, "<svg"); n != 3*2 {
				t.Errorf("%s: %d charts of contacts and cases; want 6 (two desks)", lang, n)
			}
			// The numbers in the page's cells are the API's, for every desk.
			cell := regexp.MustCompile(`(?s)<section data-section="calls-([a-z_]+)">.*?</section>`)
			for _, m := range cell.FindAllStringSubmatch(dom, -1) {
				for _, r := range months[m[1]] {
					row := regexp.MustCompile(`<tr data-period-start="` + regexp.QuoteMeta(r["period_start"].(string)) + `"><td>[^<]*</td><td data-field="offered" data-value="(\d+)"`).FindStringSubmatch(m[0])
					if row == nil || row[1] != countOf(r["offered"]) {
						t.Errorf("%s: %s %s: offered %v; API %v", lang, m[1], r["period_start"], row, r["offered"])
					}
				}
			}
			if lang == "da" {
				for _, h := range want["en"][2:] {
					if strings.Contains(dom, h) {
						t.Errorf("da: the Danish page has the English heading %q", h)
					}
				}
			}
		}
		// README's picture: the first page of the quarter, in Danish: the
		// front page, which print ends where the first group begins.
		shot := filepath.Join(t.TempDir(), "quarter.png")
		html := filepath.Join(t.TempDir(), "q4.html")
		runCmdAt(t, clock, environ, "report", "--quarter", "2016-Q4", "--lang", "da", "--out", html)
		headless(t, bin, "--screenshot="+shot, "--window-size=794,850", "file://"+html)
		checkNotBlank(t, shot)
		if *updatePNG {
			b, err := os.ReadFile(shot)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "quarter.png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--quarter", "2016-10"}, "use a quarter such as 2016-Q4"},
			{[]string{"--month", "2016-Q4"}, "use a month such as 2016-10"},
			{[]string{"--quarter", "2016-Q4", "--format", "csv"}, "a document is html or pdf"},
			{[]string{"--quarter", "2016-Q4", "--lang", "de"}, "use da or en"},
			{[]string{"--quarter", "2016-Q4", "--queue", "klinisk"}, "--queue does not apply to a document"},
			{[]string{"--quarter", "2016-Q4", "--month", "2016-10"}, "not both"},
		} {
			var out bytes.Buffer
			err := run(t.Context(), process{environ: environ, stdout: &out, stderr: io.Discard, now: clock}, append([]string{"report"}, tc.args...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("report %v: %v; want an error saying %q", tc.args, err, tc.want)
			}
		}
		environ := append(append([]string{}, environ...), "ACDSTAT_DOCUMENT_CHROMIUM=/nonexistent/chromium")
		var out bytes.Buffer
		err := run(t.Context(), process{environ: environ, stdout: &out, stderr: io.Discard, now: clock}, []string{"report", "--quarter", "2016-Q4", "--format", "pdf", "--out", filepath.Join(t.TempDir(), "x.pdf")})
		if err == nil || !strings.Contains(err.Error(), "chromium not found") {
			t.Errorf("report --format pdf without chromium: %v; want chromium not found", err)
		}
	})
}

// checkDocumentSystems checks the systems section of the fourth
// quarter's PDF text against GET /v1/systems: the agreed levels on top,
// each month's figures with ✓ or ✗ (N/A in November and December, which
// have none), how many systems meet their level, and the reading of
// October 2016: 8 of 12. It returns how many values it compared.
func checkDocumentSystems(t *testing.T, text, base string) int {
	t.Helper()
	var a systemsAnswer
	getJSON(t, base+"/v1/systems?from=2016-10&to=2017-01", http.StatusOK, &a)
	if len(a.Systems) != 12 {
		t.Fatalf("GET /v1/systems: %d systems; want the first customer's 12", len(a.Systems))
	}
	heading := regexp.MustCompile(`(?m)^\s*(\d+) System response times\s*$`).FindStringSubmatch(text)
	if heading == nil {
		t.Fatalf("the PDF's text has no systems heading:\n%s", text)
	}
	if n := strings.Count(text, heading[1]+".1 Compliance per system"); n != 2 {
		t.Errorf("the PDF's text has the systems section %d times; want 2 (the contents and the section)", n)
	}
	flat := strings.Join(strings.Fields(text), " ")
	if want := "October 2016: 8 of 12 systems meet their agreed level."; !strings.Contains(flat, want) {
		t.Errorf("the PDF's text has no %q", want)
	}
	pct := func(v *float64) string { return fmt.Sprintf("%.2f", math.Round(*v*10000)/100) }
	// A row per system: its agreed level and its figure in each month; a
	// last row of how many meet their level each month.
	var labels []string
	var want [][]string
	n := len(a.Systems)
	for j, s := range a.Systems {
		line := []string{pct(s.AgreedLevel)}
		for i := range a.Periods {
			switch r := a.Rows[i*n+j]; {
			case r.Compliance == nil:
				line = append(line, "N/A")
			case r.Met == nil:
				line = append(line, pct(r.Compliance))
			case *r.Met:
				line = append(line, pct(r.Compliance), "✓")
			default:
				line = append(line, pct(r.Compliance), "✗")
			}
		}
		labels, want = append(labels, s.Name), append(want, line)
	}
	var met []string
	for _, p := range a.Periods {
		if p.Judged > 0 {
			met = append(met, strconv.Itoa(p.Met), "of", strconv.Itoa(p.Judged))
		} else {
			met = append(met, "–")
		}
	}
	labels, want = append(labels, "Meeting their level"), append(want, met)
	if len(a.Periods) != 3 || a.Periods[0].Label != "2016-10" || a.Periods[0].Met != 8 || a.Periods[0].Judged != 12 {
		t.Errorf("GET /v1/systems: the quarter reads %+v; want October 2016 with 8 of 12", a.Periods)
	}
	// The section's own table is the last of its lines: the contents,
	// which name the section too, come before the queues' tables.
	lines := tableLines(text, map[string]string{"systems": "System response times"}, []string{"Compliance per system"}, labels)["systems"]["Compliance per system"]
	compared := 0
	for i, l := range labels {
		var got []string
		if n := len(lines[l]); n > 0 {
			got = lines[l][n-1]
		}
		if strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("systems, %s: the PDF reads %q; the API's %q\n%s", l, got, want[i], text[strings.LastIndex(text, "Compliance per system"):])
		}
		compared += len(want[i])
	}
	return compared
}

// checkDocumentCases checks the cases section of the fourth quarter's PDF
// text against GET /v1/contacts and GET /v1/cases: per desk and month (and
// the quarter, summed from them, its shares from the sums) the contacts by
// channel and the phone's share, the cases registered and closed (*
// while provisional) and resolved at first contact, and the share resolved
// within time against the target, and the quarter's on the front page.
// It returns how many values it compared.
func checkDocumentCases(t *testing.T, text, base string) int {
	t.Helper()
	var contacts []map[string]any
	var cases []map[string]any
	getJSON(t, base+"/v1/contacts?from=2016-10-01&to=2017-01-01", http.StatusOK, &contacts)
	getJSON(t, base+"/v1/cases?from=2016-10-01&to=2017-01-01", http.StatusOK, &cases)
	if !regexp.MustCompile(`(?m)^\s*\d+ Cases and channels\s*$`).MatchString(text) {
		t.Fatalf("the PDF's text has no cases heading:\n%s", text)
	}
	labels := []string{"October 2016", "November 2016", "December 2016", "Total"}
	desks := []string{"klinisk", "servicedesk"}
	lines := tableLines(text, map[string]string{"cases": "Cases and channels", "systems": "System response times"}, desks, labels)["cases"]
	pct := func(n, d float64) string {
		if d == 0 {
			return "–"
		}
		return pctOf(n/d, ".")
	}
	compared := 0
	for _, desk := range desks {
		// The contacts: a line per month of the phone and each other
		// channel by name, and the phone's share.
		type month struct {
			phone, all float64
			channels   map[string]float64
		}
		months := make([]month, 4) // October to December, and the total
		var channels []string
		for _, r := range contacts {
			if r["desk"] != desk {
				continue
			}
			i := slices.Index([]string{"2016-10", "2016-11", "2016-12"}, r["period_start"].(string)[:7])
			ch, n := r["channel"].(string), r["contacts"].(float64)
			for _, j := range []int{i, 3} {
				if months[j].channels == nil {
					months[j].channels = map[string]float64{}
				}
				months[j].channels[ch] += n
				months[j].all += n
				if ch == "phone" {
					months[j].phone += n
				}
			}
			if ch != "phone" && !slices.Contains(channels, ch) {
				channels = append(channels, ch)
			}
		}
		slices.Sort(channels)
		if len(channels) == 0 || months[3].all == months[3].phone {
			t.Fatalf("%s: GET /v1/contacts has no contacts of other channels: the simulation sent none", desk)
		}
		// The cases, summed for the total.
		var rows [4][]float64 // registered, closed, first contact known, first contact, deadline cases, within
		var target float64
		provisional := [4]bool{}
		fields := []string{"cases_registered", "cases_closed", "first_contact_known", "first_contact", "deadline_cases", "within_deadline"}
		for _, r := range cases {
			if r["desk"] != desk {
				continue
			}
			i := slices.Index([]string{"2016-10", "2016-11", "2016-12"}, r["period_start"].(string)[:7])
			for _, j := range []int{i, 3} {
				if rows[j] == nil {
					rows[j] = make([]float64, len(fields))
				}
				for k, f := range fields {
					rows[j][k] += r[f].(float64)
				}
				provisional[j] = provisional[j] || r["closed_provisional"] == true
			}
			target = r["target"].(float64)
		}
		for i, l := range labels {
			m, c := months[i], rows[i]
			if c == nil {
				t.Fatalf("%s, %s: GET /v1/cases has no row", desk, l)
			}
			contactsLine := []string{countOf(m.phone)}
			for _, ch := range channels {
				contactsLine = append(contactsLine, countOf(m.channels[ch]))
			}
			contactsLine = append(contactsLine, strings.Fields(pct(m.phone, m.all))...)
			closed := countOf(c[1])
			if provisional[i] {
				closed += " *"
			}
			casesLine := strings.Fields(countOf(c[0]) + " " + closed + " " + pct(c[3], c[2]))
			met := "–"
			if c[4] > 0 {
				met = map[bool]string{true: "met", false: "missed"}[c[5]/c[4] >= target]
			}
			withinLine := strings.Fields(pct(c[5], c[4]) + " " + countOf(c[5]) + " " + countOf(c[4]) + " " + met)
			want := [][]string{contactsLine, casesLine, withinLine}
			got := lines[desk][l]
			if len(got) != len(want) {
				t.Errorf("cases, %s, %s: the PDF has %d tables' lines %q; want %d", desk, l, len(got), got, len(want))
				continue
			}
			for k := range want {
				if strings.Join(got[k], " ") != strings.Join(want[k], " ") {
					t.Errorf("cases, %s, %s, table %d: the PDF reads %q; the API's %q", desk, l, k+1, got[k], want[k])
				}
				compared += len(want[k])
			}
		}
		// The front page's key figures: the desk's quarter, the first
		// line that begins with its name.
		m, c := months[3], rows[3]
		closed := countOf(c[1])
		if provisional[3] {
			closed += " *"
		}
		want := strings.Fields(pct(m.phone, m.all) + " " + countOf(c[0]) + " " + closed + " " + pct(c[5], c[4]))
		var got []string
		for _, line := range strings.Split(text, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), desk+" "); ok {
				got = strings.Fields(rest)
				break
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("key figures of the cases of %s: the PDF reads %q; the API's %q", desk, got, want)
		}
		compared += len(want)
	}
	return compared
}

// smtpServer is a small SMTP server on loopback for the tests: EHLO,
// STARTTLS with a self-signed certificate, AUTH PLAIN (only once TLS is
// on), MAIL, RCPT, DATA, QUIT. It refuses MAIL before TLS and AUTH, so a
// mail that arrives was sent the way the settings ask. Each mail arrives
// on mails.
type smtpServer struct {
	addr, caFile string
	user, pass   string
	mails        chan []byte
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{caFile: filepath.Join(t.TempDir(), "ca.pem"), user: "reports", pass: "s3cret", mails: make(chan []byte, 10)}
	if err := os.WriteFile(s.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s.addr = ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c, cfg)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn, cfg *tls.Config) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	tp := textproto.NewConn(c)
	secure, authed := false, false
	_ = tp.PrintfLine("220 localhost ESMTP acdstat test")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			if secure {
				_ = tp.PrintfLine("250-localhost\r\n250 AUTH PLAIN")
			} else {
				_ = tp.PrintfLine("250-localhost\r\n250 STARTTLS")
			}
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, cfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, tp, secure = tc, textproto.NewConn(tc), true
		case "AUTH":
			b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(arg, "PLAIN "))
			if secure && string(b) == "\x00"+s.user+"\x00"+s.pass {
				authed = true
				_ = tp.PrintfLine("235 ok")
			} else {
				_ = tp.PrintfLine("535 no")
			}
		case "MAIL":
			if !secure || !authed {
				_ = tp.PrintfLine("530 authenticate over TLS first")
				continue
			}
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mails <- b
			_ = tp.PrintfLine("250 ok")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 unknown")
		}
	}
}

// TestScheduledDocumentsAreWrittenAndMailed runs serve with a schedule of
// the documents and a small SMTP server: once December and the fourth
// quarter of 2016 have ended (the clock is in January 2017), their
// documents are in the folder, each mailed once over STARTTLS with AUTH,
// the PDF attached and each desk's figures in the body.
func TestScheduledDocumentsAreWrittenAndMailed(t *testing.T) {
	chromium(t)
	smtpd := startSMTP(t)
	dir := t.TempDir()
	environ, clock := documentSetup(t, "ACDSTAT_DOCUMENT_SCHEDULE=@every 1s", "ACDSTAT_DOCUMENT_DIR="+dir, "ACDSTAT_DOCUMENT_LANG=da",
		"ACDSTAT_SMTP_ADDR="+smtpd.addr, "ACDSTAT_SMTP_FROM=acdstat@example.org", "ACDSTAT_SMTP_TO=ledelse@example.org, it@example.org",
		"ACDSTAT_SMTP_USER="+smtpd.user, "ACDSTAT_SMTP_PASSWORD="+smtpd.pass, "ACDSTAT_SMTP_CA_FILE="+smtpd.caFile)
	startServeAt(t, environ, clock)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	_, quarter := documentRows(t, base, "2016-10-01", "2017-01-01")

	subjects := map[string]string{}
	deadline := time.After(3 * time.Minute)
	for len(subjects) < 2 {
		var raw []byte
		select {
		case raw = <-smtpd.mails:
		case <-deadline:
			t.Fatalf("got %d mails within 3 minutes; want December's and the quarter's", len(subjects))
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if to := msg.Header.Get("To"); to != "ledelse@example.org, it@example.org" {
			t.Errorf("To: %q", to)
		}
		_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		mr := multipart.NewReader(msg.Body, params["boundary"])
		var body string
		var pdf []byte
		var filename string
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(p)
			if strings.HasPrefix(p.Header.Get("Content-Type"), "application/pdf") {
				filename = p.FileName()
				pdf, err = base64.StdEncoding.DecodeString(string(bytes.ReplaceAll(b, []byte("\r\n"), nil)))
				if err != nil {
					t.Fatal(err)
				}
			} else {
				body = string(b)
			}
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Fatalf("%s: no PDF attached", subject)
		}
		subjects[subject] = filename
		if subject != "Kvartalsrapport, 4. kvartal 2016" {
			continue
		}
		for _, d := range documentDesks {
			q := quarter[d.queue]
			want := fmt.Sprintf("%s, 4. kvartal 2016: %s modtagne opkald, gns. ventetid %s, %s afbrudte; serviceniveau %s",
				d.name, countOf(q["offered"]), minSecOf(q["avg_wait_s"]), countOf(q["abandoned"]), pctOf(q["service_level"], ","))
			if !strings.Contains(body, want) {
				t.Errorf("the mail's body has no %q:\n%s", want, body)
			}
		}
		// The contacts and cases, and the systems' reading, in a line
		// each.
		var cases []map[string]any
		getJSON(t, base+"/v1/cases?desk=servicedesk&from=2016-10-01&to=2017-01-01", http.StatusOK, &cases)
		var registered float64
		for _, r := range cases {
			registered += r["cases_registered"].(float64)
		}
		for _, want := range []string{"servicedesk, 4. kvartal 2016: telefonen ", fmt.Sprintf("; %s sager registreret, ", countOf(registered)),
			"Systemernes svartider, 4. kvartal 2016: 8 af 12 systemer når deres aftalte niveau i oktober 2016."} {
			if !strings.Contains(body, want) {
				t.Errorf("the mail's body has no %q:\n%s", want, body)
			}
		}
		text := pdfText(t, pdf)
		for _, h := range []string{"Kvartalsrapport", "1 Opkald, ventetid og afbrudte opkald", "3 Straksafklaring", "4 Sager og kanaler", "5 Systemernes svartider"} {
			if !strings.Contains(text, h) {
				t.Errorf("the mailed PDF has no %q", h)
			}
		}
	}
	want := map[string]string{"Kvartalsrapport, 4. kvartal 2016": "acdstat-2016-Q4.pdf", "Månedsrapport, december 2016": "acdstat-2016-12.pdf"}
	for s, f := range want {
		if subjects[s] != f {
			t.Errorf("mail %q: attachment %q; want %q (got %v)", s, subjects[s], f, subjects)
		}
	}
	for _, f := range []string{"acdstat-2016-Q4.pdf", "acdstat-2016-Q4.html", "acdstat-2016-12.pdf", "acdstat-2016-12.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the folder has no %s: %v", f, err)
		}
	}
	// Once: further runs find the documents written and mail nothing. A
	// mail that is not sent cannot be waited for: three runs of the
	// schedule (every second) are given the chance to send one.
	select {
	case raw := <-smtpd.mails:
		t.Errorf("a third mail:\n%.300s", raw)
	case <-time.After(3 * time.Second):
	}
}
