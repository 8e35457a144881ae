package cdr

import (
	"strconv"
	"testing"
	"time"
)

// TestThresholdsCountEveryWaitOnce rolls up calls whose waits lie at, just
// below and just above each of the thresholds people quote (10, 20, 30, 60
// and 300 s, and past 30 minutes, where the all-outcome histogram turns
// coarse) and checks the figures at every threshold against a count of the
// calls themselves: a wait of exactly T is within T.
func TestThresholdsCountEveryWaitOnce(t *testing.T) {
	loc := cph(t)
	at := time.Date(2025, 10, 28, 10, 3, 0, 0, loc)
	var calls []QueueCall
	n := 0
	add := func(o Outcome, wait uint32) {
		n++
		calls = append(calls, call("c"+strconv.Itoa(n), at, o, wait, 30))
	}
	for _, w := range []uint32{0, 1, 9, 10, 11, 19, 20, 21, 29, 30, 31, 59, 60, 61, 299, 300, 301, 1799, 1800, 1801, 1859, 1860, 3600, 3601} {
		add(Answered, w)
		add(Abandoned, w)
		add(Timeout, w) // neither answered nor abandoned: never within
	}
	add(Answered, 20)
	add(Abandoned, 20)
	rows := Rollup(calls, hospital(t), nil)
	var c Counts
	for i := range rows {
		c.Add(&rows[i].Counts)
	}
	q := hospital(t).Queue("sd")
	for _, th := range []int{0, 10, 20, 30, 60, 300, 1800, 1859, 3600} {
		var wantA, wantB uint64
		for _, k := range calls {
			if int(k.WaitS) <= th && k.Outcome == Answered {
				wantA++
			}
			if int(k.WaitS) <= th && k.Outcome == Abandoned {
				wantB++
			}
		}
		a, b, ok := c.Within(th)
		if !ok || a != wantA || b != wantB {
			t.Errorf("within %d s: got answered %d, abandoned %d, known %v; want %d, %d, true", th, a, b, ok, wantA, wantB)
		}
		got := c.AtThreshold(th, q)
		if got.S != th || got.AnsweredWithin == nil || *got.AnsweredWithin != wantA || got.AbandonedWithin == nil || *got.AbandonedWithin != wantB {
			t.Errorf("at %d s: got %+v; want answered %d, abandoned %d", th, got, wantA, wantB)
			continue
		}
		// The queue's formula (offered less short abandons) at T, and the
		// share of the offered calls that hung up within T.
		wantSL := float64(wantA) / float64(c.Offered-c.ShortAbandoned)
		if got.ServiceLevel == nil || *got.ServiceLevel != wantSL {
			t.Errorf("service level at %d s: got %v; want %v", th, got.ServiceLevel, wantSL)
		}
		if got.SLAMet == nil || *got.SLAMet != (wantSL >= q.SLATarget) {
			t.Errorf("sla met at %d s: got %v; want %v", th, got.SLAMet, wantSL >= q.SLATarget)
		}
		if want := float64(wantB) / float64(c.Offered); got.AbandonedWithinRate == nil || *got.AbandonedWithinRate != want {
			t.Errorf("abandoned within %d s, share: got %v; want %v", th, got.AbandonedWithinRate, want)
		}
	}
	// At the queue's own threshold the figures are the stored ones.
	if a, b, _ := c.Within(q.SLAS); a != c.AnsweredWithinSLA || b != c.AbandonedWithinSLA {
		t.Errorf("within sla_s %d: got %d, %d; want the stored %d, %d", q.SLAS, a, b, c.AnsweredWithinSLA, c.AbandonedWithinSLA)
	}
	r := c.Ratios(q)
	if sl := c.AtThreshold(q.SLAS, q).ServiceLevel; sl == nil || r.ServiceLevel == nil || *sl != *r.ServiceLevel {
		t.Errorf("service level at sla_s: got %v; want service_level %v", sl, r.ServiceLevel)
	}
}

// TestThresholdsUnknownBeforeTheSplit checks that counts that include rows
// written before the per-outcome distributions existed (UnsplitOffered)
// give no threshold figures at all, rather than figures that leave those
// calls out; the stored sla_s figures stay.
func TestThresholdsUnknownBeforeTheSplit(t *testing.T) {
	loc := cph(t)
	at := time.Date(2025, 10, 28, 10, 3, 0, 0, loc)
	rows := Rollup([]QueueCall{call("a", at, Answered, 10, 30)}, hospital(t), nil)
	c := rows[0].Counts
	old := Counts{Offered: 4, Answered: 4, AnsweredWithinSLA: 4, WaitAnsweredS: 40, WaitAllS: 40, UnsplitOffered: 4}
	c.Add(&old)
	if _, _, ok := c.Within(20); ok {
		t.Errorf("within 20 s with %d calls counted before the split: known; want unknown", c.UnsplitOffered)
	}
	got := c.AtThreshold(20, hospital(t).Queue("sd"))
	if got.AnsweredWithin != nil || got.AbandonedWithin != nil || got.ServiceLevel != nil || got.SLAMet != nil || got.AbandonedWithinRate != nil {
		t.Errorf("at 20 s: got %+v; want every figure null", got)
	}
	if c.AnsweredWithinSLA != 5 {
		t.Errorf("answered within sla_s: got %d; want 5", c.AnsweredWithinSLA)
	}
}
