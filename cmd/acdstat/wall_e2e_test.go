package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

// The tokens of the wallboard tests: the wall token opens /wall and
// /v1/live only.
const (
	wallToken  = "wall-token-of-the-hall"
	wallRead   = "read-token-of-the-desk"
	wallIngest = "ingest-token-of-pbx1"
	wallAgent  = "agent-token-of-the-lead"
	wallQueues = `queues:
  support: {name: Support, wall_wait_s: 30}
  sales: {name: Sales, wall_wait_s: 60}
agents:
  anna: {name: Anna Jensen, names: {pbx1: [PJSIP/1001]}}
  bo: {name: Bo Nielsen, names: {pbx1: [PJSIP/1002]}}
  carla: {name: Carla Hansen, names: {pbx1: [PJSIP/1003]}}
  dennis: {name: Dennis Larsen, names: {pbx1: [PJSIP/1004]}}
  eva: {name: Eva Sørensen, names: {pbx1: [PJSIP/1005]}}
`
	wallMaxWait = 2 * time.Second // the promise: on screen within 2 s
	// wallLinger is the writer's linger of the nodes (ACDSTAT_WRITER_LINGER):
	// the delay from a post to another node's screen is about the linger,
	// the INSERT, and half the live state's poll (ACDSTAT_LIVE_EVERY). Zero
	// leaves the default, so the promise is tested as users get it.
	wallLinger = 0
	// wallMinFontVH is the smallest text of the wallboard, in vh.
	wallMinFontVH = 2.4
)

// wallToday is the clock of the wallboard tests: a Monday morning.
var wallToday = time.Date(2025, 11, 3, 9, 0, 0, 0, simulate.Copenhagen())

// wallNode is one serve of the wallboard tests, which a test may stop and
// start again on the same settings.
type wallNode struct {
	environ []string
	now     func() time.Time
	base    string
	stop    func()
}

// start runs serve until stop (or the end of the test) and waits until
// it answers.
func (n *wallNode) start(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	p := process{environ: n.environ, stdout: io.Discard, stderr: os.Stderr, now: n.now}
	go func() { done <- run(ctx, p, []string{"serve"}) }()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("serve: %v", err)
			}
		})
	}
	tb.Cleanup(n.stop)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			tb.Fatalf("serve ended early: %v", err)
		default:
		}
		if resp, err := http.Get(n.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s/readyz never answered 200", n.base)
}

// wallNodes are two serve nodes on one ClickHouse database, with the
// tokens above, the queue file of wallQueues and the writer's linger, on
// one clock.
func wallNodes(tb testing.TB, dir string, environ []string, linger time.Duration) (a, b *wallNode) {
	tb.Helper()
	queues := filepath.Join(dir, "queues.yaml")
	if err := os.WriteFile(queues, []byte(wallQueues), 0o644); err != nil {
		tb.Fatal(err)
	}
	now := clockFrom(wallToday)
	node := func(name string) *wallNode {
		addr := freeAddr(tb)
		env := slices.Clone(environ)
		env = append(env, "ACDSTAT_HTTP_ADDR="+addr, "ACDSTAT_DATA_DIR="+filepath.Join(dir, name), "ACDSTAT_QUEUES="+queues,
			"ACDSTAT_READ_TOKEN="+wallRead, "ACDSTAT_INGEST_TOKEN="+wallIngest, "ACDSTAT_AGENT_TOKEN="+wallAgent,
			"ACDSTAT_WALL_TOKENS="+wallToken)
		if linger > 0 {
			env = append(env, "ACDSTAT_WRITER_LINGER="+linger.String())
		}
		return &wallNode{environ: env, now: now, base: "http://" + addr}
	}
	return node("a"), node("b")
}

// post sends queue_log lines to n as pbx1 writes them ("|callid|queue|agent|VERB|data…",
// stamped now) and returns when n acknowledged them.
func (n *wallNode) post(tb testing.TB, lines ...string) {
	tb.Helper()
	n.postAgo(tb, 0, lines...)
}

// postAgo is post with the lines stamped ago before now.
func (n *wallNode) postAgo(tb testing.TB, ago time.Duration, lines ...string) {
	tb.Helper()
	var body bytes.Buffer
	for _, l := range lines {
		fmt.Fprintf(&body, "%d%s\n", n.now().Add(-ago).Unix(), l)
	}
	req, _ := http.NewRequest("POST", n.base+"/v1/ingest/queue_log?switch=pbx1", &body)
	req.Header.Set("Authorization", "Bearer "+wallIngest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 {
		tb.Fatalf("POST %v: %d %s", lines, resp.StatusCode, b)
	}
}

// liveWaiting reads n's GET /v1/live with the wall token and returns the
// callers waiting in support.
func liveWaiting(tb testing.TB, n *wallNode) int {
	tb.Helper()
	req, _ := http.NewRequest("GET", n.base+"/v1/live", nil)
	req.Header.Set("Authorization", "Bearer "+wallToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Queues []struct {
			Queue   string `json:"queue"`
			Waiting int    `json:"waiting"`
		} `json:"queues"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != 200 {
		tb.Fatalf("GET %s/v1/live: %d %v", n.base, resp.StatusCode, err)
	}
	for _, q := range st.Queues {
		if q.Queue == "support" {
			return q.Waiting
		}
	}
	return 0
}

// wallSeen is what the probe read off the wallboard: the numbers of the
// tile of queue support and each agent's state and pause reason.
type wallSeen struct {
	Waiting   int `json:"waiting"`
	Available int `json:"available"`
	OnCall    int `json:"on_call"`
	Paused    int `json:"paused"`
	Offered   int `json:"offered"`
	Agents    map[string]struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	} `json:"agents"`
	Offline bool   `json:"offline"`
	Via     string `json:"via"` // stream or poll: how the page got the state
	// Fits says nothing of the page is cut off or scrolls: the page, each
	// tile and the agents' list, each agent, hold all they have.
	Fits bool `json:"fits"`
	// MinFontVH is the smallest text on the page, in hundredths of the
	// screen's height: on a 55" screen 1 vh is 6.8 mm.
	MinFontVH float64 `json:"min_font_vh"`
	at        time.Time
}

// wallProbe is a headless Chromium showing node's wallboard (in Danish,
// through the wall token in its address) in a frame of a page of ours on
// the same origin (a proxy), whose script reads the frame at every change
// of its DOM (a MutationObserver) and posts what it reads when it
// changed.
type wallProbe struct {
	seen chan wallSeen
	last wallSeen
}

const wallProbePage = `<!doctype html><html><body style="margin:0">
<iframe id="wall" src="/wall?token=TOKEN&lang=da" style="border:0;width:1920px;height:1080px"></iframe>
<script>
let last = "", watched = null;
function look() {
  const d = document.getElementById("wall").contentDocument;
  if (d && d.body && watched !== d) { watched = d; new MutationObserver(look).observe(d.body, {subtree: true, childList: true, attributes: true, characterData: true}); }
  const tile = d && d.querySelector('[data-queue="support"]');
  if (!tile) return;
  const f = n => { const e = tile.querySelector('[data-field="' + n + '"]'); return e ? +e.dataset.value : -1; };
  const agents = {};
  for (const c of d.querySelectorAll("[data-agent]")) agents[c.dataset.agent] = {state: c.dataset.state, reason: c.dataset.reason};
  const s = JSON.stringify({waiting: f("waiting"), available: f("agents_available"), on_call: f("agents_on_call"),
    paused: f("agents_paused"), offered: f("offered"), agents, offline: d.body.classList.contains("offline"), via: d.body.dataset.via,
    fits: [d.body, d.getElementById("chips"), ...d.querySelectorAll(".tile, .tile h2, .chip")].every(e => e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1),
    min_font_vh: Math.min(...[...d.body.querySelectorAll("*")].filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== "") && e.offsetParent !== null)
      .map(e => parseFloat(getComputedStyle(e).fontSize) * 100 / d.documentElement.clientHeight))});
  if (s !== last) { last = s; fetch("/seen", {method: "POST", body: s}); }
}
setInterval(look, 100); // finds the frame's document (again after a reload)
</script></body></html>`

func newWallProbe(tb testing.TB, bin string, node *wallNode) *wallProbe {
	tb.Helper()
	p := &wallProbe{seen: make(chan wallSeen, 1000)}
	target, _ := url.Parse(node.base)
	mux := http.NewServeMux()
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	mux.HandleFunc("/probe.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, strings.ReplaceAll(wallProbePage, "TOKEN", wallToken))
	})
	mux.HandleFunc("POST /seen", func(w http.ResponseWriter, r *http.Request) {
		s := wallSeen{at: time.Now()}
		if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
			tb.Errorf("probe: %v", err)
			return
		}
		p.seen <- s
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		// A headless window counts as hidden: without these, Chromium
		// runs its timers once a second.
		"--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
		"--window-size=1920,1080", "--user-data-dir="+tb.TempDir(), srv.URL+"/probe.html")
	cmd.Dir = tb.TempDir()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); _ = cmd.Wait() })
	return p
}

// await returns the first thing seen that ok accepts, failing after within.
func (p *wallProbe) await(tb testing.TB, within time.Duration, what string, ok func(wallSeen) bool) wallSeen {
	tb.Helper()
	if ok(p.last) && !p.last.at.IsZero() {
		return p.last
	}
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		select {
		case s := <-p.seen:
			p.last = s
			if ok(s) {
				return s
			}
		case <-deadline.C:
			tb.Fatalf("the wallboard did not show %s within %s; last seen %+v", what, within, p.last)
		}
	}
}

// wallChromium is chromium's path, as chromium finds it, for any test or
// benchmark.
func wallChromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("chromium not found; install it with: apt-get install -y chromium")
	}
	tb.Skip("chromium not found (apt-get install -y chromium); the wallboard is not checked in a browser")
	return ""
}

// TestWallboardOnTwoNodes: two serve nodes on one ClickHouse; the
// wallboard of node B in headless Chromium. An agent joined the queue
// yesterday evening (stored before either node started): B shows them
// free. A caller joins at node A: B's wallboard shows them waiting within
// 2 s; the agent answers at A: nobody waits and the agent is on a call;
// hangs up and pauses with a reason: paused with it. B restarts: the same
// state. The wall token opens nothing but the wallboard and /v1/live.
func TestWallboardOnTwoNodes(t *testing.T) {
	bin := wallChromium(t)
	dir := t.TempDir()
	a, b := wallNodes(t, dir, testEnv(t), wallLinger)
	yesterday := fmt.Sprintf("%d|NONE|support|PJSIP/1001|ADDMEMBER|\n", wallToday.Add(-14*time.Hour).Unix())
	runCmdAt(t, a.now, a.environ, "ingest", "--format", "queue_log", "--switch", "pbx1", writeFile(t, "yesterday.log", yesterday))
	a.start(t)
	b.start(t)
	probe := newWallProbe(t, bin, b)
	const agent = "anna" // PJSIP/1001 of pbx1 in the map
	free := probe.await(t, 30*time.Second, "the agent of yesterday free", func(s wallSeen) bool {
		return s.Available == 1 && s.Agents[agent].State == "available"
	})
	if free.Waiting != 0 || free.Offered != 0 {
		t.Errorf("before any call: got %+v; want nobody waiting, nothing offered", free)
	}

	// step posts lines to node A and waits for node B's wallboard to show
	// what ok wants; atA, where set, checks node A at once after the post.
	step := func(what string, ok func(wallSeen) bool, atA func(), lines ...string) wallSeen {
		t.Helper()
		posted := time.Now()
		a.post(t, lines...)
		if atA != nil {
			atA()
		}
		s := probe.await(t, wallMaxWait, what, ok)
		if s.Via != "stream" {
			t.Errorf("%s: the page got the state by %q; want the event stream", what, s.Via)
		}
		if !s.Fits {
			t.Errorf("%s: something on the page is cut off or scrolls at 1920x1080", what)
		}
		// Readable from 5 m: letters 2 cm high or more need 2.4 vh of a 55"
		// screen.
		if s.MinFontVH < wallMinFontVH {
			t.Errorf("%s: the smallest text is %.1f vh high; want %.1f vh or more", what, s.MinFontVH, wallMinFontVH)
		}
		t.Logf("%s: on node B's wallboard %s after the post to node A (smallest text %.1f vh)", what, s.at.Sub(posted).Round(time.Millisecond), s.MinFontVH)
		return s
	}
	step("one caller waiting", func(s wallSeen) bool { return s.Waiting == 1 }, func() {
		// Node A has it from its own intake at once, before its writer
		// stores it (the writer lingers wallLinger first).
		if got := liveWaiting(t, a); got != 1 {
			t.Errorf("node A's own /v1/live at once: got %d waiting in support; want 1", got)
		}
	}, "|c1|support|NONE|ENTERQUEUE||11111111|1")
	s := step("the agent on a call", func(s wallSeen) bool { return s.Agents[agent].State == "on_call" }, nil,
		"|c1|support|PJSIP/1001|CONNECT|3|1700000000.1|2")
	if s.Waiting != 0 || s.OnCall != 1 || s.Offered != 1 {
		t.Errorf("after CONNECT: got %+v; want nobody waiting, one agent on a call, one call offered", s)
	}
	s = step("the agent paused for Frokost", func(s wallSeen) bool { return s.Agents[agent].State == "paused" }, nil,
		"|c1|support|PJSIP/1001|COMPLETECALLER|3|20|1", "|NONE|support|PJSIP/1001|PAUSE|Frokost")
	if s.Agents[agent].Reason != "Frokost" || s.Paused != 1 || s.Available != 0 {
		t.Errorf("after PAUSE: got %+v; want the agent paused for Frokost", s)
	}
	before := s

	b.stop()
	probe.await(t, 30*time.Second, "that it lost node B", func(s wallSeen) bool { return s.Offline })
	b.start(t)
	after := probe.await(t, 30*time.Second, "node B back on the event stream", func(s wallSeen) bool { return !s.Offline && s.Via == "stream" })
	after.at, before.at = time.Time{}, time.Time{}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("after node B restarted: got %+v; want the state before, %+v", after, before)
	}

	t.Run("screenshot", func(t *testing.T) {
		// A busier morning for the picture: two more agents, a desk
		// with a caller waiting too long, calls of earlier today.
		a.postAgo(t, 2*time.Hour, "|NONE|sales|PJSIP/1002|ADDMEMBER|", "|NONE|support|PJSIP/1003|ADDMEMBER|",
			"|NONE|sales|PJSIP/1004|ADDMEMBER|", "|NONE|sales|PJSIP/1005|ADDMEMBER|")
		for i := range 12 {
			call := fmt.Sprintf("|e%d|sales|", i)
			a.postAgo(t, time.Duration(100-5*i)*time.Minute, call+"NONE|ENTERQUEUE||1|1")
			if i%4 == 3 {
				a.postAgo(t, time.Duration(100-5*i)*time.Minute-90*time.Second, call+"NONE|ABANDON|1|1|90")
				continue
			}
			a.postAgo(t, time.Duration(100-5*i)*time.Minute-time.Duration(20+30*(i%3))*time.Second, call+fmt.Sprintf("PJSIP/1002|CONNECT|%d|1|2", 20+30*(i%3)))
			a.postAgo(t, time.Duration(100-5*i-3)*time.Minute, call+fmt.Sprintf("PJSIP/1002|COMPLETECALLER|%d|150|1", 20+30*(i%3)))
		}
		a.postAgo(t, 95*time.Second, "|w1|sales|NONE|ENTERQUEUE||1|1")
		a.postAgo(t, 20*time.Second, "|w2|sales|NONE|ENTERQUEUE||1|1")
		a.postAgo(t, 70*time.Second, "|w3|sales|NONE|ENTERQUEUE||1|1", "|w3|sales|PJSIP/1004|CONNECT|10|1|2")
		a.postAgo(t, 8*time.Second, "|w4|support|NONE|ENTERQUEUE||1|1")
		a.postAgo(t, 5*time.Minute, "|NONE|sales|PJSIP/1005|PAUSE|Møde")
		fits := probe.await(t, 10*time.Second, "the busier morning", func(s wallSeen) bool { return s.Waiting == 1 && len(s.Agents) == 5 })
		if !fits.Fits {
			t.Errorf("the busier morning: something on the page is cut off or scrolls at 1920x1080")
		}
		shot := filepath.Join(t.TempDir(), "wall.png")
		headless(t, bin, "--screenshot="+shot, "--window-size=1920,1080", "--virtual-time-budget=5000",
			b.base+"/wall?poll=1&lang=en&token="+wallToken)
		checkNotBlank(t, shot)
		if *updatePNG {
			png, err := os.ReadFile(shot)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "wall.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("the wall token opens the wallboard only", func(t *testing.T) {
		for _, tc := range []struct {
			method, path string
			want         int
		}{
			{"GET", "/wall", 200}, {"GET", "/v1/live", 200},
			{"GET", "/", 403}, {"GET", "/v1/report?queue=support", 403}, {"GET", "/v1/queues", 403},
			{"GET", "/v1/rejects", 403}, {"GET", "/v1/agents", 403}, {"GET", "/agents", 403},
			{"GET", "/metrics", 403}, {"POST", "/v1/ingest/queue_log?switch=pbx1", 403},
		} {
			for _, how := range []string{"header", "address"} {
				u := a.base + tc.path
				req, _ := http.NewRequest(tc.method, u, strings.NewReader(""))
				if how == "header" {
					req.Header.Set("Authorization", "Bearer "+wallToken)
				} else {
					q := req.URL.Query()
					q.Set("token", wallToken)
					req.URL.RawQuery = q.Encode()
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				want := tc.want
				if how == "address" && want == 403 {
					want = 401 // no other endpoint reads a token from the address
				}
				if resp.StatusCode != want {
					t.Errorf("%s %s with the wall token in the %s: got %d; want %d", tc.method, tc.path, how, resp.StatusCode, want)
				}
			}
		}
	})
}
