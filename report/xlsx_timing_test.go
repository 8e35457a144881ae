package report

import (
	"io"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// BenchmarkWriteXLSX writes a year of 15-minute rows, the most GET
// /v1/report answers (35,040 rows of 39 cells), as a workbook.
func BenchmarkWriteXLSX(b *testing.B) {
	q := cdr.DefaultQueueSettings("servicedesk")
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		b.Fatal(err)
	}
	q.Location = loc
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	sums := map[time.Time]cdr.PeriodRollup{}
	for t := from; t.Before(from.AddDate(1, 0, 0)); t = t.Add(15 * time.Minute) {
		sums[t.UTC()] = cdr.PeriodRollup{Counts: cdr.Counts{Offered: 7, Answered: 6, Abandoned: 1, AnsweredWithinSLA: 5, WaitAnsweredS: 200, WaitAllS: 260}}
	}
	rows, err := Build(q, "v1", "*", "15m", "all", from, from.AddDate(1, 0, 0), sums)
	if err != nil {
		b.Fatal(err)
	}
	var size countingWriter
	b.ReportAllocs()
	for b.Loop() {
		size = 0
		if err := WriteXLSX(&size, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)), "rows")
	b.ReportMetric(float64(size), "bytes")
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
