package cdr

import "slices"

// Ratios are the derived figures of METRICS.md ("Ratios") for one set of
// Counts. Every ratio is a fraction (0–1) or a number of seconds; a nil
// pointer is null: its denominator is zero (never 0, never NaN). SLAMet and
// FCRMet are nil where their ratio is nil.
type Ratios struct {
	ServiceLevel *float64 // service_level, by the queue's sla_formula
	ASA          *float64 // asa_s = wait_answered_s / answered
	AvgWait      *float64 // avg_wait_s = wait_all_s / offered
	P50Wait      *float64 // p50_wait_s, nearest rank over every queue call
	P90Wait      *float64 // p90_wait_s
	P95Wait      *float64 // p95_wait_s
	AbandonRate  *float64 // abandon_rate = abandoned / offered
	AvgTalk      *float64 // avg_talk_s = talk_s / answered
	FCRRate      *float64 // fcr_rate = resolved_first_contact / dispositions
	SLAMet       *bool    // sla_met = service_level >= sla_target
	FCRMet       *bool    // fcr_met = fcr_rate >= fcr_target
}

// Ratios computes every ratio of METRICS.md from c with q's sla_formula,
// sla_target and fcr_target. It does not modify c.
//
// service_level follows q.SLAFormula (A = answered, A≤T = answered within
// sla_s, B = abandoned, B≤T = abandoned within sla_s, O = offered,
// S = short abandoned):
//
//	offered_excl_short  A≤T / (O − S)
//	offered             A≤T / O
//	answered            A≤T / A
//	answered_abandoned  A≤T / (A + B)
//	abandoned_after     A≤T / (A + B − B≤T)
//	positive            (A≤T + B≤T) / (A + B)
//
// A denominator that is zero, or that a subtraction would take below zero
// (counts that do not add up), gives null; so does a formula that is not one
// of Formulas (package config rejects those before they get here).
//
// The wait percentiles are nearest-rank over every queue call counted in
// WaitHist (the offered calls: each has a wait_s): the p-th percentile is the
// smallest histogram key whose cumulative count reaches rank = ⌈p·n/100⌉.
// Below HistFineLimit a key is the wait itself, so the result is exact; above
// it a key is the lower bound of its HistCoarseStep-second step, so a
// percentile that falls there is reported as that lower bound (at most
// HistCoarseStep−1 seconds under the exact value).
func (c *Counts) Ratios(q QueueSettings) Ratios {
	var r Ratios
	a, b := c.Answered, c.Abandoned
	r.ServiceLevel = serviceLevel(q.SLAFormula, c.Offered, c.ShortAbandoned, a, c.AnsweredWithinSLA, b, c.AbandonedWithinSLA)
	r.ASA = ratio(c.WaitAnsweredS, a)
	r.AvgWait = ratio(c.WaitAllS, c.Offered)
	r.AbandonRate = ratio(b, c.Offered)
	r.AvgTalk = ratio(c.TalkS, a)
	r.FCRRate = ratio(c.ResolvedFirstContact, c.Dispositions)
	r.SLAMet = atLeast(r.ServiceLevel, q.SLATarget)
	r.FCRMet = atLeast(r.FCRRate, q.FCRTarget)
	ps := c.WaitPercentiles(50, 90, 95)
	r.P50Wait, r.P90Wait, r.P95Wait = ps[0], ps[1], ps[2]
	return r
}

// WaitPercentiles returns the nearest-rank percentiles (each pct in 1–100)
// of wait_s from WaitHist, in the order asked, as described at Ratios; all
// are nil when the histogram is empty.
func (c *Counts) WaitPercentiles(pcts ...int) []*float64 {
	out := make([]*float64, len(pcts))
	var n uint64
	for _, v := range c.WaitHist {
		n += v
	}
	if n == 0 {
		return out
	}
	keys := make([]uint32, 0, len(c.WaitHist))
	for k, v := range c.WaitHist {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for i, p := range pcts {
		p = min(max(p, 1), 100)
		// rank = ⌈p·n/100⌉ in integers: no float rounding at p·n/100 whole.
		rank := (uint64(p)*n + 99) / 100
		rank = max(rank, 1)
		var cum uint64
		for _, k := range keys {
			cum += c.WaitHist[k]
			if cum >= rank {
				v := float64(k)
				out[i] = &v
				break
			}
		}
	}
	return out
}

// serviceLevel is service_level by formula (Ratios) from O = offered,
// S = short abandoned, A, A≤T, B and B≤T; nil where its denominator is zero
// or below zero, or the formula is unknown.
func serviceLevel(formula string, offered, short, a, at, b, bt uint64) *float64 {
	switch formula {
	case FormulaOfferedExclShort:
		if offered >= short {
			return ratio(at, offered-short)
		}
	case FormulaOffered:
		return ratio(at, offered)
	case FormulaAnswered:
		return ratio(at, a)
	case FormulaAnsweredAbandoned:
		return ratio(at, a+b)
	case FormulaAbandonedAfter:
		if a+b >= bt {
			return ratio(at, a+b-bt)
		}
	case FormulaPositive:
		return ratio(at+bt, a+b)
	}
	return nil
}

// ratio returns num/den, or nil when den is zero.
func ratio(num, den uint64) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

// atLeast returns v >= target, or nil when v is nil. A ratio exactly at its
// target meets it: IEEE division is correctly rounded, so 4/5 is the same
// float64 as the target 0.80.
func atLeast(v *float64, target float64) *bool {
	if v == nil {
		return nil
	}
	ok := *v >= target
	return &ok
}
