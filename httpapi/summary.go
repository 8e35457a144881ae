package httpapi

import (
	"context"
	"html/template"
	"net/http"
	"sort"

	"github.com/acdstat/acdstat/cdr"
)

// OutcomeCounter reads offered queue calls per queue and outcome.
type OutcomeCounter interface {
	QueueOutcomeCounts(ctx context.Context) (map[string]map[string]int, error)
}

// Summary serves a plain page at / with the queue calls stored so far, per
// queue and outcome: the first place to look after pointing a switch at
// acdstat. (The dashboard with the report's charts replaces it.)
type Summary struct {
	src  OutcomeCounter
	wrap func(http.Handler) http.Handler
}

// NewSummary returns the page; wrap adds access control (nil: none).
func NewSummary(src OutcomeCounter, wrap func(http.Handler) http.Handler) *Summary {
	if wrap == nil {
		wrap = func(h http.Handler) http.Handler { return h }
	}
	return &Summary{src: src, wrap: wrap}
}

// Register mounts GET /.
func (s *Summary) Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", s.wrap(http.HandlerFunc(s.page)))
}

var summaryPage = template.Must(template.New("summary").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>acdstat</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}</style>
</head><body>
<h1>acdstat</h1>
<p>Queue calls stored so far, per queue and outcome (calls still waiting are not counted).</p>
{{if .Err}}<p><strong>Cannot read ClickHouse:</strong> {{.Err}}</p>{{end}}
<table id="calls"><thead><tr><th>queue</th><th>offered</th>{{range .Outcomes}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr><td>{{.Queue}}</td><td>{{.Offered}}</td>{{range .Counts}}<td>{{.}}</td>{{end}}</tr>{{else}}<tr><td colspan="8">no queue calls yet</td></tr>{{end}}</tbody></table>
</body></html>
`))

type summaryRow struct {
	Queue   string
	Offered int
	Counts  []int
}

func (s *Summary) page(w http.ResponseWriter, r *http.Request) {
	counts, err := s.src.QueueOutcomeCounts(r.Context())
	data := struct {
		Err      string
		Outcomes []string
		Rows     []summaryRow
	}{}
	if err != nil {
		data.Err = err.Error()
	}
	for _, o := range cdr.Outcomes {
		data.Outcomes = append(data.Outcomes, o.String())
	}
	for q, byOutcome := range counts {
		row := summaryRow{Queue: q}
		for _, o := range cdr.Outcomes {
			n := byOutcome[o.String()]
			row.Counts = append(row.Counts, n)
			row.Offered += n
		}
		data.Rows = append(data.Rows, row)
	}
	sort.Slice(data.Rows, func(i, j int) bool { return data.Rows[i].Queue < data.Rows[j].Queue })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = summaryPage.Execute(w, data)
}
