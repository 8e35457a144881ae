package document

import "html/template"

// page is the document's HTML. It is made for print (A4, CSS paged media,
// which Chromium's --print-to-pdf follows) and reads on a screen too: the
// front page with the key figures, the contents and the introduction, then each group on a
// new page, each figure (a chart and its table) kept on one page, a
// heading never left alone at the foot of a page. The charts' classes are
// report.Chart's, coloured as on the dashboard. Tables carry data-field
// and data-value, as the dashboard's do, for tests and for people who
// read the source.
var page = template.Must(template.New("document").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}, {{.PeriodTitle}}</title>
<style>
@page{size:A4;margin:16mm 15mm 18mm 15mm}
html{font-family:"DejaVu Sans","Helvetica Neue",Arial,sans-serif;font-size:10.5pt;color:#1d2430;line-height:1.4}
body{margin:0 auto;max-width:46rem;padding:1rem}
h1{font-size:24pt;margin:30mm 0 2mm;font-weight:600}
.period{font-size:15pt;margin:0 0 10mm;color:#3c4656}
.made{color:#5b6675;font-size:9pt}
h2{font-size:15pt;margin:0 0 3mm;break-after:avoid;page-break-after:avoid}
h3{font-size:12.5pt;margin:6mm 0 2mm;break-after:avoid;page-break-after:avoid}
.group{break-before:page;page-break-before:always}
.figure{break-inside:avoid;page-break-inside:avoid;margin:3mm 0 6mm}
.caption{font-size:9pt;color:#3c4656;margin:1mm 0 2mm}
.text{margin:0 0 3mm}
nav ol{list-style:none;padding-left:0}nav ol ol{padding-left:6mm}
table{border-collapse:collapse;width:100%;font-size:9.5pt;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #d5dbe3;padding:1.2mm 2mm;text-align:right}
th:first-child,td:first-child{text-align:left;white-space:nowrap}
th{font-weight:600;background:#f1f3f6}
tr.total td{font-weight:600;border-top:1.5px solid #5b6675}
td.met{color:#1d6b2f}td.missed{color:#a3261f}
svg{width:100%;max-width:16cm;height:auto;display:block}
@media print{svg{max-width:10.5cm}}
svg text{font-size:14px}
svg .grid{stroke:#e3e7ed;stroke-width:1}
svg .baseline,svg .tickmark{stroke:#9aa4b1;stroke-width:1}
svg .axis,svg .target-label{fill:#4a5563}
svg .target-label{fill:#222}
svg .target{stroke:#222;stroke-width:1.5;stroke-dasharray:7 5}
svg .line{fill:none;stroke-width:2.5}
.s-offered{fill:#4c78a8}.s-sl{fill:#54a24b}.s-fcr{fill:#7d5ba6}
.line.s-abandoned{stroke:#e45756}circle.s-abandoned{fill:#e45756}
.line.s-wait{stroke:#9d755d}circle.s-wait{fill:#9d755d}
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="period">{{.PeriodTitle}}</p>
<p class="made">{{.Made}}</p>
</header>
{{- with .Overviews}}
<section data-section="overview">
<h2>{{index $.L "overview"}}</h2>
{{- range .}}
<div class="figure" data-figure="{{.ID}}">
{{template "table" .}}
</div>
{{- end}}
</section>
{{- end}}
{{- if .Groups}}
<nav>
<h2>{{index .L "contents"}}</h2>
<ol>
{{- range .Groups}}
<li>{{.Number}} {{.Heading}}<ol>{{range .Sections}}<li>{{.Number}} {{.Heading}}</li>{{end}}</ol></li>
{{- end}}
</ol>
</nav>
{{- end}}
{{- if .Intro}}
<section data-section="intro"><h2>{{index .L "intro"}}</h2><div class="text">{{.Intro}}</div></section>
{{- end}}
{{- range .Groups}}
<section class="group" data-group="{{.ID}}">
<h2>{{.Number}} {{.Heading}}</h2>
{{- if .Text}}<div class="text">{{.Text}}</div>{{end}}
{{- range .Sections}}
<section data-section="{{.ID}}">
<h3>{{.Number}} {{.Heading}}</h3>
{{- if .Text}}<div class="text">{{.Text}}</div>{{end}}
{{- range .Figures}}
<div class="figure" data-figure="{{.ID}}">
{{.Chart}}
{{- if .Caption}}<p class="caption">{{.Caption}}</p>{{end}}
{{template "table" .}}
</div>
{{- end}}
</section>
{{- end}}
</section>
{{- end}}
{{- if .Closing}}
<section class="group" data-section="closing"><h2>{{index .L "closing"}}</h2><div class="text">{{.Closing}}</div></section>
{{- end}}
</body>
</html>
{{- define "table"}}
<table class="numbers" data-figure="{{.ID}}">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr{{if .Total}} class="total"{{end}}{{if .Start}} data-period-start="{{.Start}}"{{end}}><td>{{.Label}}</td>{{range .Cells}}<td data-field="{{.Field}}" data-value="{{.Value}}"{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
{{- end}}
`))
