package httpapi

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// agentsPage is the agent page, in the dashboard's style (the same sheet
// of rules, inline SVG, a table whose cells carry data-field and
// data-value): one row per agent, keyed by data-agent (the agent's id or
// pseudonym). Agents' names are data, not words of the page's language,
// and are marked translate="no".
var agentsPage = template.Must(template.New("agents").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>acdstat: {{.L.title}}{{if .Title}}, {{.Title}}{{end}}</title>
<style>
:root{--fg:#1d2733;--muted:#5a6675;--line:#d5dbe3}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff;margin:0 auto;padding:1rem;max-width:84rem;line-height:1.4}
h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:0 0 .3rem}
form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:1rem}
label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
select,input,button{font:inherit;padding:.3rem .4rem;max-width:100%}
section{border-top:1px solid var(--line);padding:.8rem 0;break-inside:avoid}
.note{color:var(--muted);font-size:.85rem;margin:.2rem 0 .5rem}
svg{width:100%;max-width:40rem;height:auto;display:block}
svg text{font-size:14px}
svg .grid{stroke:#e3e7ed;stroke-width:1}
svg .baseline{stroke:#9aa4b1;stroke-width:1}
svg .axis{fill:#4a5563}
.s-offered{fill:#4c78a8}.s-sl{fill:#54a24b}
.tablewrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;margin-top:.3rem}
td,th{border:1px solid var(--line);padding:.2rem .4rem;text-align:right;white-space:nowrap}
th{white-space:normal;vertical-align:bottom;min-width:3.2rem}
th:first-child,td:first-child,td:last-child{text-align:left}
.empty{color:var(--muted);font-style:italic;padding:1rem 0}
.error{border:1px solid #c62828;padding:.5rem;color:#c62828}
footer{color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);padding-top:.5rem}
@media (min-width:62rem){.pair{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem;align-items:start}}
@media (max-width:40rem){body{padding:.5rem}h1{font-size:1.2rem}form label{flex:1 1 8rem}form input{width:100%}table{font-size:.8rem}td,th{padding:.15rem .35rem}}
@page{size:A4 landscape;margin:12mm}
@media print{form,footer{display:none}body{max-width:none;padding:0;color:#000;font-size:10pt}
h1{font-size:14pt}h2{font-size:12pt}section{break-inside:avoid;page-break-inside:avoid;padding:.4rem 0}
svg{max-width:12cm}.tablewrap{overflow:visible}table{font-size:7.5pt}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:#000;text-decoration:none}}
</style>
</head><body>
<h1>acdstat: {{.L.title}}{{if .Title}}, {{.Title}}{{end}}</h1>
{{if not .Off}}<form method="get" action="/agents">
<label>{{.L.month}}<input type="month" name="month" value="{{.Month}}"></label>
<input type="hidden" name="lang" value="{{.Lang}}">
<button type="submit">{{.L.show}}</button>
</form>{{end}}
{{if .Err}}<p class="error" id="error"><strong>{{.L.error}}:</strong> {{.Err}}</p>{{end}}
{{if .Empty}}<p class="empty" id="no-agents">{{.Empty}}</p>{{end}}
{{if .Panels}}<div class="pair">{{range .Panels}}<section id="{{.ID}}">
<h2>{{.Title}}</h2>
<p class="note">{{.Note}}</p>
{{.SVG}}
</section>{{end}}</div>
<section id="agents"><div class="tablewrap"><table class="numbers" data-panel="agents">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr data-agent="{{.Start}}"><td translate="no">{{.Label}}</td>{{range .Cells}}<td data-field="{{.Field}}" data-value="{{.Value}}"{{if .Data}} translate="no"{{end}}>{{.Text}}</td>{{end}}</tr>{{end}}</tbody>
</table></div></section>{{end}}
<footer>{{if .APIURL}}{{.L.download}} <a href="{{.APIURL}}&amp;format=json">JSON</a>, <a href="{{.APIURL}}&amp;format=csv">CSV</a> · {{end}}<a href="/?lang={{.Lang}}">{{.L.queue_page}}</a>{{if .Zone}} · <span translate="no">{{.Zone}}</span>{{end}} · <span translate="no">acdstat</span></footer>
</body></html>
`))

// hbars is a horizontal bar chart: one bar per category (an agent), its
// name left of the bar, the values on a round axis below (axisTicks), so
// that a long list of names stays readable on a phone. A nil value has no
// bar. Bars carry data-i and data-value, like the dashboard's charts.
type hbars struct {
	ID, Title string
	Labels    []string
	Values    []*float64
	Class     string
	Axis      axis
}

// The horizontal chart's frame: a row per category, the axis below.
const (
	hbarRow    = 26.0
	hbarTop    = 6.0
	hbarAxisH  = fontSize + 14
	hbarMaxLbl = 150.0
)

func (c hbars) svg() template.HTML {
	n := len(c.Labels)
	if n == 0 {
		return ""
	}
	top := c.Axis.Max
	if top <= 0 {
		for _, v := range c.Values {
			if v != nil && *v > top {
				top = *v
			}
		}
	}
	ticks := axisTicks(c.Axis.Kind, top)
	maxV := ticks[len(ticks)-1]
	labelW := 0.0
	for _, l := range c.Labels {
		labelW = math.Max(labelW, textWidth(l))
	}
	labelW = math.Min(labelW, hbarMaxLbl)
	plotL := labelW + 10
	plotR := chartW - math.Max(8, textWidth(c.Axis.Tick(maxV))/2+2)
	plotB := hbarTop + hbarRow*float64(n)
	h := plotB + hbarAxisH
	x := func(v float64) float64 { return plotL + (plotR-plotL)*math.Min(v, maxV)/maxV }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg data-chart="%s" viewBox="0 0 %g %g" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		html.EscapeString(c.ID), chartW, h, html.EscapeString(c.Title))
	for _, v := range ticks {
		xx := x(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, xx, hbarTop, xx, plotB)
		fmt.Fprintf(&b, `<text class="axis tick" data-axis="bottom" data-tick="%s" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`,
			num(v), xx, plotB+fontSize+6, html.EscapeString(c.Axis.Tick(v)))
	}
	fmt.Fprintf(&b, `<line class="baseline" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, plotL, hbarTop, plotL, plotB)
	for i, l := range c.Labels {
		yy := hbarTop + hbarRow*float64(i)
		name := l
		// A name wider than the label column is cut, with an ellipsis.
		for textWidth(name) > hbarMaxLbl && len([]rune(name)) > 1 {
			r := []rune(name)
			name = string(r[:len(r)-2]) + "…"
		}
		fmt.Fprintf(&b, `<text class="axis label" x="%.1f" y="%.1f" text-anchor="end" translate="no"><title>%s</title>%s</text>`,
			plotL-6, yy+hbarRow/2+fontSize*0.35, html.EscapeString(l), html.EscapeString(name))
		if v := c.Values[i]; v != nil && *v > 0 {
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-i="%d" data-value="%s" translate="no"><title>%s: %s</title></rect>`,
				c.Class, plotL, yy+4, x(*v)-plotL, hbarRow-8, i, num(*v), html.EscapeString(l), html.EscapeString(c.Axis.Fmt(*v)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
