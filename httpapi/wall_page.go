package httpapi

import "html/template"

// wallLabels holds every text of the wallboard, per language (?lang=en|da).
// The script gets them as JSON; a test walks them as it walks the
// dashboard's labels.
var wallLabels = map[string]map[string]string{
	"en": {
		"title": "Queues now", "waiting": "waiting", "longest": "longest wait", "available": "free",
		"on_call": "on a call", "paused": "paused", "ringing": "ringing", "logged_in": "logged in",
		"sl_today": "service level today", "offered": "offered", "answered": "answered", "abandoned": "abandoned",
		"agents": "Agents", "no_agents": "No agent is logged in.", "agents_off": "Agent figures are turned off.",
		"no_queues": "No queues yet.", "offline": "No connection: showing the state of", "target": "target",
		"decimal": ".", "partial": "Figures whole since",
	},
	"da": {
		"title": "Køer nu", "waiting": "i kø", "longest": "længste ventetid", "available": "ledige",
		"on_call": "i samtale", "paused": "i pause", "ringing": "ringer", "logged_in": "logget på",
		"sl_today": "serviceniveau i dag", "offered": "modtaget", "answered": "besvaret", "abandoned": "afbrudt",
		"agents": "Medarbejdere", "no_agents": "Ingen medarbejder er logget på.", "agents_off": "Medarbejdertal er slået fra.",
		"no_queues": "Ingen køer endnu.", "offline": "Ingen forbindelse: viser tilstanden fra", "target": "mål",
		"decimal": ",", "partial": "Tallene er hele fra",
	},
}

type wallData struct {
	Lang       string
	L          map[string]string
	LabelsJSON template.JS
}

// wallPage is the wallboard: made for a screen on a wall, read from 5 m.
// Dark, high contrast, sizes in units of the screen (vh, vw) so it fills
// any screen and never scrolls: the queues share the upper part, the
// agents the lower; with many agents the chips shrink. A queue's tile is
// red while a caller has waited longer than its wall_wait_s or today's
// service level is below its target (the alerts of GET /v1/live). A badge
// says from when the figures are whole where the live state's cap let
// older events go (whole_since). Waits
// and times in a state count on each second in the page itself. Each tile
// carries data-queue and its numbers data-field; each agent data-agent,
// data-state and data-reason, as the tests read them.
var wallPage = template.Must(template.New("wall").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>acdstat: {{.L.title}}</title>
<style>
*{box-sizing:border-box;margin:0;padding:0}
html,body{height:100%;overflow:hidden}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#0b1118;color:#f2f5f8;display:flex;flex-direction:column;padding:1.2vh 1.2vw;gap:1.2vh;font-size:2.2vh}
header{display:flex;justify-content:space-between;align-items:baseline;font-size:3.4vh;font-weight:600}
#clock{font-variant-numeric:tabular-nums}
#offline{display:none;background:#8a5a00;color:#fff;padding:.4vh 1vw;border-radius:.6vh;font-size:2.4vh}
body.offline #offline{display:inline}
#partial{display:none;background:#8a5a00;color:#fff;padding:.4vh 1vw;border-radius:.6vh;font-size:2.4vh}
body.partial #partial{display:inline}
#queues{flex:3 1 0;display:grid;gap:1.2vh 1.2vw;grid-template-columns:repeat(auto-fit,minmax(28vw,1fr));grid-auto-rows:1fr;min-height:0}
.tile{background:#17212c;border-radius:1.2vh;padding:1.2vh 1.2vw;display:flex;flex-direction:column;justify-content:space-between;min-height:0;overflow:hidden;border:.5vh solid #17212c}
.tile.alert{border-color:#ff4d4d;background:#3a1418}
.tile h2{font-size:3.6vh;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.big{display:flex;gap:2vw;align-items:baseline}
.big b{font-size:11vh;line-height:1;font-variant-numeric:tabular-nums}
.big span{font-size:2.6vh;color:#b8c3cf}
.wait.alert,.sl.alert{color:#ff6b6b}
.ok{color:#5fd17a}
.row{display:flex;flex-wrap:wrap;gap:.6vh 2vw;font-size:2.8vh;font-variant-numeric:tabular-nums}
.row b{font-size:3.6vh}
#agents{flex:2 1 0;min-height:0;display:flex;flex-direction:column;gap:.8vh}
#agents h2{font-size:3vh}
#chips{flex:1;display:grid;gap:.8vh .8vw;grid-template-columns:repeat(auto-fill,minmax(18vw,1fr));align-content:start;overflow:hidden}
.chip{border-radius:.8vh;padding:.6vh .8vw;display:flex;flex-direction:column;font-size:2.5vh;white-space:nowrap;overflow:hidden}
.chip b{font-size:2.9vh;overflow:hidden;text-overflow:ellipsis}
.chip.available{background:#1f6f3a}.chip.on_call{background:#1f4f8f}.chip.paused{background:#8a5a00}.chip.ringing{background:#6a3fa0}
.muted{color:#8c99a6}
</style>
</head><body>
<header><span>acdstat: {{.L.title}} <span id="offline">{{.L.offline}} <span id="offline-at"></span></span> <span id="partial">{{.L.partial}} <span id="partial-at"></span></span></span><span id="clock"></span></header>
<main id="queues"></main>
<section id="agents"><h2>{{.L.agents}}</h2><div id="chips"></div></section>
<script>
"use strict";
const L = {{.LabelsJSON}};
const args = new URLSearchParams(location.search);
const token = args.get("token") || "";
const only = args.getAll("queue");
const suffix = token ? "?token=" + encodeURIComponent(token) : "";
let state = null, got = 0, poll = null;
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
function mmss(s) { s = Math.max(0, Math.floor(s)); const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, x = s % 60;
  return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(x).padStart(2, "0"); }
function pct(v) { return v === null ? "–" : (Math.round(v * 1000) / 10).toFixed(1).replace(".", L.decimal) + " %"; }
function field(parent, name, value, text) { const b = el("b", "", text === undefined ? String(value) : text); b.dataset.field = name; b.dataset.value = String(value); parent.append(b); return b; }
function render() {
  if (!state) return;
  const ago = (Date.now() - got) / 1000;
  const now = new Date(Date.parse(state.now) + ago * 1000);
  document.getElementById("clock").textContent = now.toLocaleTimeString(document.documentElement.lang === "da" ? "da-DK" : "en-GB");
  // The live state's cap let older events go: its figures are whole from then only.
  document.body.classList.toggle("partial", !!state.whole_since);
  if (state.whole_since) document.getElementById("partial-at").textContent = new Date(state.whole_since).toLocaleTimeString(document.documentElement.lang === "da" ? "da-DK" : "en-GB");
  const queues = document.getElementById("queues");
  queues.replaceChildren();
  const shown = state.queues.filter(q => only.length === 0 || only.includes(q.queue));
  if (shown.length === 0) queues.append(el("p", "muted", L.no_queues));
  for (const q of shown) {
    const longest = q.waiting > 0 ? q.longest_wait_s + ago : 0;
    const waitAlert = q.waiting > 0 && longest > q.wall_wait_s, slAlert = q.alerts.service_level;
    const t = el("article", "tile" + (waitAlert || slAlert ? " alert" : ""));
    t.dataset.queue = q.queue;
    const h = el("h2", "", q.display); h.translate = false; t.append(h);
    const big = el("div", "big");
    field(big, "waiting", q.waiting); big.append(el("span", "", L.waiting));
    const w = field(big, "longest_wait_s", Math.floor(longest), mmss(longest)); w.classList.add("wait"); if (waitAlert) w.classList.add("alert");
    big.append(el("span", "", L.longest));
    t.append(big);
    const a = el("div", "row");
    for (const k of ["available", "on_call", "paused", "ringing", "logged_in"]) { if (k === "ringing" && q.agents.ringing === 0) continue; const s = el("span"); field(s, "agents_" + k, q.agents[k]); s.append(" " + L[k]); a.append(s); }
    t.append(a);
    const d = el("div", "row");
    const sl = el("span"); const b = field(sl, "service_level", q.today.service_level === null ? "" : q.today.service_level, pct(q.today.service_level));
    b.classList.add("sl", slAlert ? "alert" : (q.today.sla_met ? "ok" : "x"));
    sl.append(" " + L.sl_today + " (" + L.target + " " + pct(q.sla_target) + ")"); d.append(sl);
    for (const k of ["offered", "answered", "abandoned"]) { const s = el("span"); field(s, k, q.today[k]); s.append(" " + L[k]); d.append(s); }
    t.append(d);
    queues.append(t);
  }
  const chips = document.getElementById("chips");
  chips.replaceChildren();
  if (state.agents === null) { chips.append(el("p", "muted", L.agents_off)); return; }
  const agents = state.agents.filter(g => only.length === 0 || g.queues.some(x => only.includes(x)) || g.queues.length === 0);
  if (agents.length === 0) chips.append(el("p", "muted", L.no_agents));
  for (const g of agents) {
    const c = el("div", "chip " + g.state); c.dataset.agent = g.agent; c.dataset.state = g.state; c.dataset.reason = g.pause_reason;
    const n = el("b", "", g.display); n.translate = false; c.append(n);
    const since = (Date.parse(state.now) - Date.parse(g.since)) / 1000 + ago;
    c.append(el("span", "", (g.state === "paused" ? L.paused + (g.pause_reason ? " (" + g.pause_reason + ")" : "") : L[g.state]) + " " + mmss(since)));
    chips.append(c);
  }
}
function apply(s, via) { state = s; got = Date.now(); document.body.classList.remove("offline"); document.body.dataset.now = s.now; document.body.dataset.via = via; render(); }
function fetchOnce() { fetch("/v1/live" + suffix, {cache: "no-store"}).then(r => r.ok ? r.json() : Promise.reject(r.status)).then(s => apply(s, "poll"))
  .catch(() => { if (state) { document.body.classList.add("offline"); document.getElementById("offline-at").textContent = new Date(got).toLocaleTimeString(); } }); }
function startPoll() { if (!poll) { fetchOnce(); poll = setInterval(fetchOnce, 2000); } }
function stopPoll() { if (poll) { clearInterval(poll); poll = null; } }
// The stream reconnects by itself after a cut; a node that answered
// with an error (down behind a proxy, restarting) closes it for good, so
// the page opens it again, polling meanwhile.
function connect() {
  const es = new EventSource("/v1/live/events" + suffix);
  es.addEventListener("state", e => { stopPoll(); apply(JSON.parse(e.data), "stream"); });
  es.onerror = () => { startPoll(); if (es.readyState === EventSource.CLOSED) setTimeout(connect, 5000); };
}
if (window.EventSource && !args.has("poll")) connect(); else startPoll();
setInterval(render, 1000);
</script>
</body></html>
`))
