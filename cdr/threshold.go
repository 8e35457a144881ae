package cdr

import "slices"

// MaxThresholdS is the longest threshold (METRICS.md, "Any threshold"): a
// wait over 24 h is refused, so every counted call is within it.
const MaxThresholdS = 24 * 60 * 60

// Threshold is what a period's counts give at one wait threshold T
// (METRICS.md, "Any threshold"), summed from the per-outcome wait
// distributions. Every field but S is nil where the figures are unknown
// (Counts.UnsplitOffered: calls counted before migration 0014), and a
// ratio is nil where its denominator is zero, as in Ratios.
type Threshold struct {
	S               int     // T, in seconds
	AnsweredWithin  *uint64 // answered calls with wait_s <= T
	AbandonedWithin *uint64 // abandoned calls with wait_s <= T
	// ServiceLevel is service_level by the queue's sla_formula with T in
	// place of sla_s; SLAMet compares it with sla_target.
	ServiceLevel *float64
	SLAMet       *bool
	// AbandonedWithinRate is AbandonedWithin / offered: the share of the
	// calls offered that hung up within T.
	AbandonedWithinRate *float64
}

// Within returns the answered and the abandoned calls that waited at most
// t seconds, from AnsweredWaits and AbandonedWaits; ok is false where some
// of the calls were counted before those existed (UnsplitOffered), whose
// waits are not known apart.
func (c *Counts) Within(t int) (answered, abandoned uint64, ok bool) {
	if c.UnsplitOffered > 0 {
		return 0, 0, false
	}
	return sumUpTo(c.AnsweredWaits, t), sumUpTo(c.AbandonedWaits, t), true
}

// sumUpTo sums the counts of h whose key (a wait) is at most t.
func sumUpTo(h map[uint32]uint64, t int) uint64 {
	var n uint64
	for k, v := range h {
		if int64(k) <= int64(t) {
			n += v
		}
	}
	return n
}

// AtThreshold returns the figures of c at the threshold t seconds, with q's
// sla_formula (its sla_s plays no part) and sla_target. At t = sla_s they
// equal the stored answered_within_sla and abandoned_within_sla, and
// service_level.
func (c *Counts) AtThreshold(t int, q QueueSettings) Threshold {
	th := Threshold{S: t}
	a, b, ok := c.Within(t)
	if !ok {
		return th
	}
	th.AnsweredWithin, th.AbandonedWithin = &a, &b
	th.ServiceLevel = serviceLevel(q.SLAFormula, c.Offered, c.ShortAbandoned, c.Answered, a, c.Abandoned, b)
	th.SLAMet = atLeast(th.ServiceLevel, q.SLATarget)
	th.AbandonedWithinRate = ratio(b, c.Offered)
	return th
}

// SortedHist returns the keys of h in order and their counts, the form the
// store writes a histogram in.
func SortedHist(h map[uint32]uint64) ([]uint32, []uint64) {
	keys := make([]uint32, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vals := make([]uint64, len(keys))
	for i, k := range keys {
		vals[i] = h[k]
	}
	return keys, vals
}
