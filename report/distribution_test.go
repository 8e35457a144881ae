package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/acdstat/acdstat/cdr"
)

// TestDistributionInEveryForm builds a weekday distribution of a week with
// calls on Monday and Sunday only and checks what a user reads: seven rows,
// Monday first, the empty days with zero calls and no service level, the
// slot in its own column after period in CSV and named in the table, and a
// slot that is no weekday refused.
func TestDistributionInEveryForm(t *testing.T) {
	q := cdr.DefaultQueueSettings("klinisk")
	q.Location = copenhagen(t)
	from, to := local(t, "2025-10-20"), local(t, "2025-11-03")
	sums := map[int]cdr.PeriodRollup{
		1: {Counts: cdr.Counts{Offered: 4, Answered: 3, Abandoned: 1, AnsweredWithinSLA: 2}},
		7: {Counts: cdr.Counts{Offered: 2, Answered: 2, AnsweredWithinSLA: 2}},
	}
	rows, err := BuildDistribution(q, testVersion, "", cdr.ByWeekday, "all", from, to, sums)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 {
		t.Fatalf("got %d rows; want 7", len(rows))
	}
	for i, want := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		r := rows[i]
		if r.Weekday != want || r.Period != cdr.ByWeekday || r.Partial {
			t.Errorf("row %d: weekday %q, period %q, partial %v; want %s, %s, false", i, r.Weekday, r.Period, r.Partial, want, cdr.ByWeekday)
		}
		if !r.CountedFrom.Equal(from) || !r.CountedTo.Equal(to) {
			t.Errorf("row %s counts %v to %v; want the range %v to %v", want, r.CountedFrom, r.CountedTo, from, to)
		}
	}
	if rows[0].Offered != 4 || rows[0].ServiceLevel == nil || *rows[0].ServiceLevel != 0.5 {
		t.Errorf("Monday: offered %d, service level %v; want 4, 0.5", rows[0].Offered, rows[0].ServiceLevel)
	}
	if rows[1].Offered != 0 || rows[1].ServiceLevel != nil {
		t.Errorf("Tuesday: offered %d, service level %v; want 0, null", rows[1].Offered, rows[1].ServiceLevel)
	}

	var b bytes.Buffer
	if err := WriteCSV(&b, rows, false); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "weekday" {
			col = i
		}
	}
	if col < 0 || recs[0][col-1] != "period" {
		t.Fatalf("CSV header %v: want weekday right after period", recs[0])
	}
	if recs[1][col] != "mon" || recs[7][col] != "sun" || len(recs[1]) != len(recs[0]) {
		t.Errorf("CSV weekdays %q … %q (%d cells of %d); want mon … sun", recs[1][col], recs[7][col], len(recs[1]), len(recs[0]))
	}

	b.Reset()
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Monday") || !strings.Contains(b.String(), "Weekday") {
		t.Errorf("table names no weekday:\n%s", b.String())
	}

	if _, err := BuildDistribution(q, testVersion, "", cdr.ByWeekday, "all", from, to, map[int]cdr.PeriodRollup{0: {}}); err == nil {
		t.Errorf("slot 0 of a weekday distribution: no error")
	}
}
