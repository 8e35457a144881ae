package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestSelectCallsFiltersAsTheFiguresCount checks the filters of a
// drill-down on hand-made calls of a desk open 08:00–16:00: a wait of
// exactly T is within T and not above it, hours in leaves out the call
// before opening, a waiting stay and another queue's are never listed,
// the longest wait sorts first with "-wait_s", and the CSV makes a caller
// that looks like a formula safe.
func TestSelectCallsFiltersAsTheFiguresCount(t *testing.T) {
	loc := copenhagen(t)
	q := cdr.DefaultQueueSettings("klinisk")
	q.Location = loc
	q.Hours[time.Tuesday] = []cdr.MinuteRange{{From: 8 * 60, To: 16 * 60}}
	at := func(hh, mm int) time.Time { return time.Date(2025, 10, 28, hh, mm, 0, 0, loc).UTC() }
	calls := []cdr.QueueCall{
		{Switch: "pbx1", CallID: "a", Queue: "klinisk", Seq: 1, Outcome: cdr.Answered, EnterTime: at(7, 50), WaitS: 20, Agent: "anna", Caller: "=cmd|x"},
		{Switch: "pbx1", CallID: "b", Queue: "klinisk", Seq: 1, Outcome: cdr.Answered, EnterTime: at(9, 0), WaitS: 21, Agent: "bo"},
		{Switch: "pbx1", CallID: "c", Queue: "klinisk", Seq: 1, Outcome: cdr.Abandoned, EnterTime: at(9, 5), WaitS: 19},
		{Switch: "pbx1", CallID: "d", Queue: "klinisk", Seq: 1, Outcome: cdr.Waiting, EnterTime: at(9, 6)},
		{Switch: "pbx1", CallID: "e", Queue: "other", Seq: 1, Outcome: cdr.Answered, EnterTime: at(9, 7), WaitS: 5},
	}
	twenty := 20
	for _, c := range []struct {
		what  string
		f     CallFilter
		want  []string
		waits uint64
	}{
		{"every offered call", CallFilter{Hours: "all"}, []string{"a", "b", "c"}, 60},
		{"in hours", CallFilter{Hours: "in"}, []string{"b", "c"}, 40},
		{"answered within 20 s", CallFilter{Hours: "all", Outcomes: []cdr.Outcome{cdr.Answered}, WaitUpTo: &twenty}, []string{"a"}, 20},
		{"above 20 s", CallFilter{Hours: "all", WaitAbove: &twenty}, []string{"b"}, 21},
		{"agent bo", CallFilter{Hours: "all", Agent: "bo"}, []string{"b"}, 21},
		{"longest wait first", CallFilter{Hours: "all", Sort: "-wait_s"}, []string{"b", "a", "c"}, 60},
	} {
		got := SelectCalls(calls, q, c.f)
		var ids []string
		for _, r := range got.Calls {
			ids = append(ids, r.CallID)
		}
		if got.Total != uint64(len(c.want)) || got.WaitSumS != c.waits || !slices.Equal(ids, c.want) {
			t.Errorf("%s: %v (total %d, waits %d); want %v, waits %d", c.what, ids, got.Total, got.WaitSumS, c.want, c.waits)
		}
	}
	all := SelectCalls(calls, q, CallFilter{Hours: "all"})
	if r := all.Calls[0]; r.InHours || r.EnterTime.Location() != loc || r.AnswerTime != nil {
		t.Errorf("call a: in hours %v, enter %v, answer %v; want false, on the desk's clock, null", r.InHours, r.EnterTime, r.AnswerTime)
	}
	var b bytes.Buffer
	if err := WriteCallsCSV(&b, all.Calls); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[1][12] != "'=cmd|x" || recs[0][12] != "caller" || recs[1][5] != "2025-10-28T07:50:00+01:00" {
		t.Errorf("CSV: %q", recs)
	}
	if _, err := ParseCallSort("caller"); err == nil {
		t.Errorf("sort by caller: no error")
	}
}
