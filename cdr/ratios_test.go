package cdr

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// ratioCounts is one month of a desk, with hand-computed ratios below:
// O = 100, A = 70, B = 20, S = 4, A≤T = 56, B≤T = 8.
func ratioCounts() Counts {
	return Counts{
		Offered: 100, Answered: 70, Abandoned: 20, Timeout: 5, ExitKey: 3, ExitOther: 1, Unknown: 1,
		ShortAbandoned: 4, AnsweredWithinSLA: 56, AbandonedWithinSLA: 8, Transferred: 2,
		WaitAnsweredS: 2100, WaitAllS: 4500, TalkS: 21000, MaxWaitS: 900,
		WaitHist:     map[uint32]uint64{10: 50, 60: 40, 900: 10},
		Dispositions: 40, ResolvedFirstContact: 26,
	}
}

func TestServiceLevelFormulas(t *testing.T) {
	f := func(formula string, want float64) {
		t.Helper()
		q := DefaultQueueSettings("q")
		q.SLAFormula = formula
		c := ratioCounts()
		r := c.Ratios(q)
		if r.ServiceLevel == nil {
			t.Fatalf("%s: got null; want %v", formula, want)
		}
		if *r.ServiceLevel != want {
			t.Fatalf("%s: got %v; want %v", formula, *r.ServiceLevel, want)
		}
		if r.SLAMet == nil || *r.SLAMet != (want >= 0.80) {
			t.Fatalf("%s: sla_met got %v; want %v", formula, r.SLAMet, want >= 0.80)
		}
	}
	f(FormulaOfferedExclShort, 56.0/96)  // A≤T / (O − S) = 56 / (100 − 4)
	f(FormulaOffered, 0.56)              // A≤T / O = 56 / 100
	f(FormulaAnswered, 0.80)             // A≤T / A = 56 / 70
	f(FormulaAnsweredAbandoned, 56.0/90) // A≤T / (A + B) = 56 / (70 + 20)
	f(FormulaAbandonedAfter, 56.0/82)    // A≤T / (A + B − B≤T) = 56 / (90 − 8)
	f(FormulaPositive, 64.0/90)          // (A≤T + B≤T) / (A + B) = (56 + 8) / 90
	if len(Formulas) != 6 {
		t.Fatalf("got %d formulas; want 6", len(Formulas))
	}
}

func TestOtherRatios(t *testing.T) {
	c := ratioCounts()
	r := c.Ratios(DefaultQueueSettings("q"))
	f := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || *got != want {
			t.Fatalf("%s: got %v; want %v", name, deref(got), want)
		}
	}
	f("asa_s", r.ASA, 30)                 // 2100 / 70
	f("avg_wait_s", r.AvgWait, 45)        // 4500 / 100
	f("abandon_rate", r.AbandonRate, 0.2) // 20 / 100
	f("avg_talk_s", r.AvgTalk, 300)       // 21000 / 70
	f("fcr_rate", r.FCRRate, 0.65)        // 26 / 40
	f("p50_wait_s", r.P50Wait, 10)        // rank 50: the 50th of 50 waits of 10 s
	f("p90_wait_s", r.P90Wait, 60)        // rank 90: the last of 40 waits of 60 s
	f("p95_wait_s", r.P95Wait, 900)       // rank 95
	if r.FCRMet == nil || !*r.FCRMet {
		t.Fatalf("fcr_met: got %v; want true (0.65 >= 0.60)", r.FCRMet)
	}
}

func deref(p *float64) any {
	if p == nil {
		return "null"
	}
	return *p
}

func TestZeroDenominatorsAreNull(t *testing.T) {
	for _, formula := range Formulas {
		q := DefaultQueueSettings("q")
		q.SLAFormula = formula
		var c Counts
		r := c.Ratios(q)
		for name, p := range map[string]*float64{
			"service_level": r.ServiceLevel, "asa_s": r.ASA, "avg_wait_s": r.AvgWait,
			"p50_wait_s": r.P50Wait, "p90_wait_s": r.P90Wait, "p95_wait_s": r.P95Wait,
			"abandon_rate": r.AbandonRate, "avg_talk_s": r.AvgTalk, "fcr_rate": r.FCRRate,
		} {
			if p != nil {
				t.Errorf("%s, no calls: %s got %v; want null", formula, name, *p)
			}
		}
		if r.SLAMet != nil || r.FCRMet != nil {
			t.Errorf("%s, no calls: sla_met %v, fcr_met %v; want null", formula, r.SLAMet, r.FCRMet)
		}
	}

	// Calls, but each formula's own denominator is zero.
	f := func(formula string, c Counts) {
		t.Helper()
		q := DefaultQueueSettings("q")
		q.SLAFormula = formula
		if r := c.Ratios(q); r.ServiceLevel != nil || r.SLAMet != nil {
			t.Fatalf("%s: got %v; want null", formula, *r.ServiceLevel)
		}
	}
	onlyShort := Counts{Offered: 3, Abandoned: 3, ShortAbandoned: 3, AbandonedWithinSLA: 3}
	f(FormulaOfferedExclShort, onlyShort)
	f(FormulaAbandonedAfter, onlyShort)
	onlyTimeouts := Counts{Offered: 2, Timeout: 2}
	f(FormulaAnswered, onlyTimeouts)
	f(FormulaAnsweredAbandoned, onlyTimeouts)
	f(FormulaPositive, onlyTimeouts)
	f("no such formula", ratioCounts())

	// Answered calls without dispositions: fcr_rate is null, not 0.
	c := Counts{Offered: 1, Answered: 1, AnsweredWithinSLA: 1, WaitHist: map[uint32]uint64{3: 1}}
	if r := c.Ratios(DefaultQueueSettings("q")); r.FCRRate != nil || r.FCRMet != nil {
		t.Fatalf("fcr_rate without dispositions: got %v; want null", deref(r.FCRRate))
	}
}

func TestSLAMetAtExactlyTheTarget(t *testing.T) {
	f := func(within, offered uint64, target float64, want bool) {
		t.Helper()
		q := DefaultQueueSettings("q")
		q.SLAFormula, q.SLATarget = FormulaOffered, target
		c := Counts{Offered: offered, Answered: offered, AnsweredWithinSLA: within}
		r := c.Ratios(q)
		if r.SLAMet == nil || *r.SLAMet != want {
			t.Fatalf("%d/%d against %v: got %v; want %v", within, offered, target, r.SLAMet, want)
		}
	}
	f(4, 5, 0.80, true)
	f(56, 70, 0.80, true)
	f(8, 10, 0.80, true)
	f(799, 1000, 0.80, false)
	f(3, 5, 0.60, true)
	f(7, 10, 0.70, true)
	f(69, 100, 0.70, false)
	f(0, 1, 0, true)
	f(1, 1, 1, true)
}

// nearestRank is the textbook definition over a sorted list.
func nearestRank(sorted []uint32, p int) float64 {
	rank := (p*len(sorted) + 99) / 100
	return float64(sorted[max(rank, 1)-1])
}

func TestWaitPercentilesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 500 {
		n := 1 + rng.IntN(400)
		if iter < 20 {
			n = iter + 1 // the small sizes, where rounding of the rank shows
		}
		waits := make([]uint32, n)
		var c Counts
		c.WaitHist = map[uint32]uint64{}
		for i := range waits {
			w := uint32(rng.IntN(HistFineLimit))
			if rng.IntN(3) == 0 {
				w = uint32(rng.IntN(20)) // many ties
			}
			waits[i] = w
			c.WaitHist[WaitBucket(w)]++
		}
		c.Offered = uint64(n)
		slices.Sort(waits)
		r := c.Ratios(DefaultQueueSettings("q"))
		for _, tc := range []struct {
			p   int
			got *float64
		}{{50, r.P50Wait}, {90, r.P90Wait}, {95, r.P95Wait}} {
			want := nearestRank(waits, tc.p)
			if tc.got == nil || *tc.got != want {
				t.Fatalf("n=%d p%d: got %v; want %v (waits %v)", n, tc.p, deref(tc.got), want, waits)
			}
		}
		for _, p := range []int{1, 25, 99, 100} {
			if got := c.WaitPercentiles(p)[0]; got == nil || *got != nearestRank(waits, p) {
				t.Fatalf("n=%d p%d: got %v; want %v", n, p, deref(got), nearestRank(waits, p))
			}
		}
	}
}

func TestWaitPercentileCoarseIsLowerBound(t *testing.T) {
	// Above HistFineLimit a key is the start of its step: 2000 s is kept as
	// 1980 s, and the percentile reports that lower bound.
	c := Counts{Offered: 2, WaitHist: map[uint32]uint64{WaitBucket(5): 1, WaitBucket(2000): 1}}
	got := c.WaitPercentiles(95)[0]
	if got == nil || *got != 1980 {
		t.Fatalf("got %v; want 1980", deref(got))
	}
}
