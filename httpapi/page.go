package httpapi

import "html/template"

// dashboardPage is the dashboard: a plain form GET chooses desk, year,
// calls and switch (a line of JavaScript submits it on change); charts are
// inline SVG; each has a table of its numbers with data-field and
// data-value attributes, its number a link to the calls behind it
// (/calls). No external resource is loaded. Names that are
// data, not words of the page's language (desks, the zone, versions), are
// marked translate="no". The charts' text stays readable wherever they are
// drawn: the SVG is at most 40rem wide on a desktop, fills a phone's width,
// and prints on A4 with the form hidden and the tables open.
var dashboardPage = template.Must(template.New("dashboard").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.L.title}}{{if .Desk}}: {{.Desk}}{{end}}</title>
<style>
:root{--fg:#1d2733;--muted:#5a6675;--line:#d5dbe3}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff;margin:0 auto;padding:1rem;max-width:70rem;line-height:1.4}
h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:0 0 .3rem}
form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:1rem}
label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
select,input,button{font:inherit;padding:.3rem .4rem;max-width:100%}
section{border-top:1px solid var(--line);padding:.8rem 0;break-inside:avoid}
.note{color:var(--muted);font-size:.85rem;margin:.2rem 0 .5rem}
svg{width:100%;max-width:40rem;height:auto;display:block}
svg text{font-size:14px}
svg .grid{stroke:#e3e7ed;stroke-width:1}
svg .baseline,svg .tickmark{stroke:#9aa4b1;stroke-width:1}
svg .axis,svg .target-label{fill:#4a5563}
svg .target-label{fill:#222}
svg .target{stroke:#222;stroke-width:1.5;stroke-dasharray:7 5}
svg .line{fill:none;stroke-width:2.5}
.s-offered{fill:#4c78a8}.s-sl{fill:#54a24b}.s-fcr{fill:#7d5ba6}
.line.s-abandoned{stroke:#e45756}circle.s-abandoned{fill:#e45756}
.line.s-asa{stroke:#f58518}circle.s-asa{fill:#f58518}
.line.s-wait{stroke:#9d755d}circle.s-wait{fill:#9d755d}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;margin:.3rem 0;padding:0;list-style:none}
.legend span{display:inline-block;width:.9rem;height:.9rem;vertical-align:-.1rem;margin-right:.3rem}
.legend .s-offered{background:#4c78a8}.legend .s-abandoned{background:#e45756}.legend .s-asa{background:#f58518}
.legend .s-wait{background:#9d755d}.legend .s-sl{background:#54a24b}.legend .s-fcr{background:#7d5ba6}
.legend .s-target{height:0;border-top:2px dashed #222}
details{margin-top:.4rem}summary{cursor:pointer;color:var(--muted);font-size:.85rem}
.tablewrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;margin-top:.3rem}
td,th{border:1px solid var(--line);padding:.2rem .5rem;text-align:right;white-space:nowrap}
th{white-space:normal;vertical-align:bottom;min-width:4.5rem}
th:first-child,td:first-child{text-align:left}
#systems table{font-size:.8rem}#systems td,#systems th{padding:.2rem .3rem}#systems th{min-width:0}
td a,.kpi b a{color:inherit;text-decoration-color:#9aa4b1}
.met{color:#1a7f37}.missed{color:#c62828;font-weight:600}.other{color:#8a5a00;font-style:italic}
.kpis{display:flex;flex-wrap:wrap;gap:1rem;margin:.4rem 0}
.kpi{border:1px solid var(--line);border-radius:.3rem;padding:.4rem .8rem;min-width:10rem}
.kpi b{display:block;font-size:1.6rem}
.empty{color:var(--muted);font-style:italic;padding:1rem 0}
.error{border:1px solid #c62828;padding:.5rem;color:#c62828}
footer{color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);padding-top:.5rem}
@media (min-width:62rem){.pair{display:grid;grid-template-columns:minmax(30rem,1fr) minmax(0,auto);gap:1.5rem;align-items:start}}
@media (max-width:40rem){body{padding:.5rem}h1{font-size:1.2rem}form{gap:.4rem .6rem}form label{flex:1 1 8rem}form select,form input{width:100%}
.kpis{gap:.5rem}.kpi{min-width:0;flex:1 1 9rem;padding:.3rem .5rem}.kpi b{font-size:1.3rem}table{font-size:.8rem}td,th{padding:.15rem .35rem}}
@page{size:A4;margin:12mm}
@media print{form,footer,summary{display:none}body{max-width:none;padding:0;color:#000;font-size:10pt}
h1{font-size:14pt}h2{font-size:12pt}section{break-inside:avoid;page-break-inside:avoid;padding:.4rem 0}
svg{max-width:14cm}.tablewrap{overflow:visible}table{font-size:8.5pt}
#systems table{font-size:6.5pt}#systems td,#systems th{padding:.05rem .15rem;min-width:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:#000;text-decoration:none}}
</style>
</head><body>
<h1><span translate="no">{{.L.title}}</span>{{if .Desk}}: <span translate="no">{{.Desk}}</span>{{end}}</h1>
{{if .Queues}}<form method="get" action="/">
<label>{{.L.desk}}<select name="queue" onchange="this.form.submit()">{{range .Queues}}<option value="{{.Value}}" translate="no"{{if .Selected}} selected{{end}}>{{.Text}}</option>{{end}}</select></label>
<label>{{.L.year}}<select name="year" onchange="this.form.submit()">{{range .Years}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Text}}</option>{{end}}</select></label>
<label>{{.L.hours}}<select name="hours" onchange="this.form.submit()">{{range .Hours}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Text}}</option>{{end}}</select></label>
<label>{{.L.switch}}<input name="switch" value="{{.Switch}}" placeholder="{{.L.all_switches}}" size="10"></label>
<input type="hidden" name="lang" value="{{.Lang}}">
<button type="submit">{{.L.show}}</button>
</form>{{end}}
{{if .Err}}<p class="error" id="error"><strong>{{.L.error}}:</strong> {{.Err}}</p>{{end}}
{{if .NoQueues}}<p class="empty" id="no-queues">{{.NoQueues}}</p>{{end}}
{{with .Today}}<section id="today" data-date="{{.Date}}">
<h2>{{.Panel.Title}} ({{.Date}})</h2>
<div class="kpis">
<div class="kpi"><span>{{$.L.waiting_now}}</span><b data-field="waiting_now" data-value="{{.Waiting}}">{{.Waiting}}</b>{{if .HasWaiting}}<small>{{$.L.waiting_since}} {{.WaitingSince}}</small>{{end}}</div>
<div class="kpi"><span>{{$.L.offered_today}}</span><b data-field="offered" data-value="{{.Offered}}"><a href="{{.OfferedHref}}">{{.Offered}}</a></b></div>
<div class="kpi"><span>{{$.L.sl_today}}</span><b class="{{.ServiceLevel.Class}}" data-field="service_level" data-value="{{.ServiceLevel.Value}}"><a href="{{.ServiceLevel.Href}}">{{.ServiceLevel.Text}}</a></b></div>
</div>
{{template "chart" .Panel}}
</section>{{end}}
{{range .Panels}}<section id="{{.ID}}">
<h2>{{.Title}}</h2>
<p class="note"{{if .Formula}} data-formula="{{.Formula}}"{{end}}>{{.Note}}</p>
{{template "chart" .}}
</section>{{end}}
{{with .Systems}}<section id="systems">
<h2>{{.Title}}</h2>
<p class="note">{{.Note}}</p>
<div class="tablewrap"><table class="numbers" data-panel="systems">
<thead><tr><th>{{.Period}}</th>{{range .Names}}<th translate="no">{{.}}</th>{{end}}<th>{{.MetHeader}}</th></tr>
<tr data-row="agreed_level"><th>{{.LevelLabel}}</th>{{range .Levels}}<td data-system="{{.System}}" data-field="agreed_level" data-value="{{.Value}}">{{.Text}}</td>{{end}}<td></td></tr></thead>
<tbody>{{range .Rows}}<tr data-label="{{.Label}}"><td>{{.Label}}</td>{{range .Cells}}<td data-system="{{.System}}" data-field="compliance" data-value="{{.Value}}"{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}<td data-field="met" data-met="{{.Met}}" data-judged="{{.Judged}}">{{.MetText}}</td></tr>{{end}}</tbody>
</table></div>
<p class="note">{{$.L.download}} <a href="{{.APIURL}}&amp;format=json">JSON</a>, <a href="{{.APIURL}}&amp;format=csv">CSV</a>, <a href="{{.APIURL}}&amp;format=xlsx">XLSX</a></p>
</section>{{end}}
<p class="document">{{.L.document}}: <a href="/document?lang={{.Lang}}" translate="no">HTML</a>, <a href="/document?lang={{.Lang}}&amp;format=pdf" translate="no">PDF</a></p>
<footer>{{if .APIURL}}{{.L.download}} <a href="{{.APIURL}}&amp;format=json">JSON</a>, <a href="{{.APIURL}}&amp;format=csv">CSV</a>, <a href="{{.APIURL}}&amp;format=xlsx">XLSX</a> · {{end}}{{if .Zone}}<span translate="no">{{.Zone}}</span> · {{end}}<span translate="no">acdstat</span></footer>
</body></html>
{{define "chart"}}<div class="pair"><div>{{if .Empty}}<p class="empty" data-empty="{{.ID}}">{{.Empty}}</p>{{else}}<ul class="legend">{{range .Legend}}<li><span class="{{.Class}}"></span>{{.Name}}</li>{{end}}</ul>
{{.SVG}}{{end}}</div>
<details open><summary>{{.Numbers}}</summary><div class="tablewrap"><table class="numbers" data-panel="{{.ID}}">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr data-period-start="{{.Start}}"{{if .Slot}} data-slot="{{.Slot}}"{{end}}><td>{{.Label}}</td>{{range .Cells}}<td data-field="{{.Field}}" data-value="{{.Value}}"{{if .Class}} class="{{.Class}}"{{end}}{{if .Data}} translate="no"{{end}}>{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>{{end}}</tbody>
</table></div></details></div>{{end}}
`))
