package main

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

var agentRowRE = regexp.MustCompile(`(?s)<tr data-agent="([^"]+)">(.*?)</tr>`)

// TestAgentPageInChromium renders the agent page in headless Chromium, as
// a team lead sees it, and checks by what the page's DOM says: its numbers
// are GET /v1/agents's, an agent whose logged-in time is unknown reads so,
// the Danish page shows no English word, at desktop (1280 px) and phone
// (390 px) widths the page is no wider than the screen and its charts fit
// with readable text, and printed it is a few pages; the screenshots are
// not blank, and the English desktop one is docs/agents.png (-update
// writes it).
func TestAgentPageInChromium(t *testing.T) {
	bin := chromium(t)
	sim := agentSim(t)
	environ := testEnv(t, "ACDSTAT_QUEUES="+writeFile(t, "queues.yaml", sim.AgentMap()))
	runCmd(t, environ, "ingest", "--format", "queue_log", writeLines(t, "main", sim.Lines()))
	runCmd(t, environ, "ingest", "--format", "queue_log", "--switch", "default-2", writeLines(t, "second", sim.LinesOf("default-2")))
	runCmd(t, environ, "rollup")
	startServe(t, environ)
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")

	var rows []map[string]any
	getJSON(t, base+"/v1/agents?period=month&from=2025-10-01&to=2025-11-01", 200, &rows)
	if len(rows) < 10 {
		t.Fatalf("%d agents in October; want the simulated roster", len(rows))
	}
	page := func(lang string) string { return base + "/agents?month=2025-10&lang=" + lang }
	doms := map[string]string{}
	for _, lang := range []string{"en", "da"} {
		doms[lang] = string(headless(t, bin, "--dump-dom", page(lang)))
	}

	t.Run("numbers", func(t *testing.T) {
		fields := []string{"answered", "avg_talk_s", "max_talk_s", "ring_noanswer", "ring_noanswer_s", "transferred",
			"logged_in_s", "paused_s", "available_s", "in_call_s", "occupancy", "fcr_rate", "stale_sessions"}
		for lang, dom := range doms {
			cells := map[string]map[string]string{}
			texts := map[string]map[string]string{}
			for _, m := range agentRowRE.FindAllStringSubmatch(dom, -1) {
				agent := html.UnescapeString(m[1])
				cells[agent], texts[agent] = map[string]string{}, map[string]string{}
				for _, c := range cellRE.FindAllStringSubmatch(m[2], -1) {
					cells[agent][c[1]], texts[agent][c[1]] = html.UnescapeString(c[2]), html.UnescapeString(c[3])
				}
			}
			if len(cells) != len(rows) {
				t.Errorf("%s: %d agents on the page; the API has %d", lang, len(cells), len(rows))
			}
			compared := 0
			for _, r := range rows {
				agent := r["agent"].(string)
				pc, ok := cells[agent]
				if !ok {
					t.Errorf("%s: no row of %s", lang, agent)
					continue
				}
				for _, f := range fields {
					api := r[f]
					if f == "max_talk_s" && r["answered"].(float64) == 0 {
						api = nil // no calls: no longest talk
					}
					if !sameNumber(pc[f], api) {
						t.Errorf("%s: %s %s: page %q; API %v", lang, agent, f, pc[f], api)
					}
					compared++
				}
				if r["logged_in_s"] == nil && texts[agent]["logged_in_s"] != map[string]string{"en": "unknown", "da": "ukendt"}[lang] {
					t.Errorf("%s: %s's logged-in time is unknown, yet the page reads %q", lang, agent, texts[agent]["logged_in_s"])
				}
			}
			t.Logf("%s: %d numbers of the page equal the API's", lang, compared)
		}
		if !strings.Contains(doms["en"], ">Anna Jensen<") {
			t.Errorf("the page does not name anna by her display name")
		}
	})

	t.Run("no English on the Danish page", func(t *testing.T) {
		alike := map[string]bool{"acdstat": true, "json": true, "csv": true, "agent": true}
		parse := func(dom string) *xhtml.Node {
			doc, err := xhtml.Parse(strings.NewReader(dom))
			if err != nil {
				t.Fatal(err)
			}
			return doc
		}
		en, da := words(visibleText(parse(doms["en"]))), words(visibleText(parse(doms["da"])))
		var english []string
		for w := range da {
			if en[w] && !alike[w] {
				english = append(english, w)
			}
		}
		sort.Strings(english)
		if len(english) > 0 {
			t.Errorf("English words on the Danish page: %v", english)
		}
		if !da["belægning"] || !da["medarbejder"] || !da["oktober"] {
			t.Errorf("the Danish page lacks Danish words: %v", da)
		}
	})

	t.Run("layout", func(t *testing.T) {
		target, _ := url.Parse(base)
		mux := http.NewServeMux()
		mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
		mux.HandleFunc("/probe.html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, strings.ReplaceAll(agentProbePage, "LANG", r.URL.Query().Get("lang")))
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
			for _, frame := range []string{"desktop", "phone"} {
				lm := got[frame]
				if lm.Overflow > 0 {
					t.Errorf("%s %s: the page is %d px wider than the screen", lang, frame, lm.Overflow)
				}
				if len(lm.Charts) != 2 {
					t.Errorf("%s %s: %d charts; want calls answered and occupancy", lang, frame, len(lm.Charts))
				}
				for _, c := range lm.Charts {
					if c.Width < 200 || c.Right > lm.Viewport+0.5 || c.FontPx < 10 || len(c.Problems) > 0 {
						t.Errorf("%s %s %s: %.0f px wide ending at %.0f in %v px, text %.1f px, %q", lang, frame, c.ID, c.Width, c.Right, lm.Viewport, c.FontPx, c.Problems)
					}
				}
				t.Logf("%s %s (%v px): %+v", lang, frame, lm.Viewport, lm.Charts)
			}
		}
	})

	t.Run("screenshots", func(t *testing.T) {
		_, pages := shootAndPrint(t, bin, "agents", 1500, page)
		if pages < 1 || pages > 4 {
			t.Errorf("printed: %d pages; want 1 to 4", pages)
		}
	})
}

// agentProbePage holds the agent page (?lang=LANG) at desktop and phone
// widths and writes into #result, per frame, how much wider than the
// frame the page is and, per chart, its width, the height its smallest
// text is drawn at and the texts cut off at its edge or overlapping.
const agentProbePage = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<iframe id="desktop" style="width:1280px;height:900px;border:0" src="/agents?month=2025-10&lang=LANG"></iframe>
<iframe id="phone" style="width:390px;height:900px;border:0" src="/agents?month=2025-10&lang=LANG"></iframe>
<pre id="result"></pre>
<script>
function overlap(a, b) { return a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5; }
function measure(doc, win) {
  const root = doc.documentElement;
  const out = {Viewport: win.innerWidth, Overflow: root.scrollWidth - root.clientWidth, Hidden: {}, Charts: []};
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
    out.Charts.push(c);
  }
  return out;
}
window.addEventListener('load', () => {
  const out = {};
  for (const id of ['desktop', 'phone']) {
    const f = document.getElementById(id);
    out[id] = measure(f.contentDocument, f.contentWindow);
  }
  document.getElementById('result').textContent = JSON.stringify(out);
});
</script></body></html>`
