package cdr

// Counts are the stored, additive figures of METRICS.md for one queue,
// period and in_hours value. Every ratio is derived from them, for any
// period, by adding Counts up (Add) and never by averaging ratios.
type Counts struct {
	Offered            uint64
	Answered           uint64
	Abandoned          uint64
	Timeout            uint64
	ExitKey            uint64
	ExitOther          uint64
	Unknown            uint64
	ShortAbandoned     uint64
	AnsweredWithinSLA  uint64
	AbandonedWithinSLA uint64
	Transferred        uint64
	WaitAnsweredS      uint64
	WaitAllS           uint64
	TalkS              uint64
	MaxWaitS           uint64
	// WaitHist is the wait distribution: key WaitBucket(wait_s), value the
	// number of queue calls. Sparse, so a quiet bucket costs nothing.
	WaitHist map[uint32]uint64
	// AnsweredWaits and AbandonedWaits are the wait distributions of the
	// answered and of the abandoned calls (migration 0014): key wait_s
	// itself, to the second at every length (no coarse steps), value the
	// number of calls. From them the figures at any threshold are summed
	// for any period (Within, AtThreshold) without a rebuild.
	AnsweredWaits  map[uint32]uint64
	AbandonedWaits map[uint32]uint64
	// UnsplitOffered counts the offered calls of rollup rows written
	// before AnsweredWaits and AbandonedWaits existed (the stored rows
	// say so): where it is not 0 the figures at other thresholds than
	// sla_s are unknown, not smaller. It is read, never counted.
	UnsplitOffered uint64
	// Dispositions and ResolvedFirstContact count answered stays with a
	// disposition, and those resolved at first contact (FCR).
	Dispositions         uint64
	ResolvedFirstContact uint64
}

// HistFineLimit is where the wait histogram turns coarse: per second below
// 30 minutes (so percentiles are exact to the second there, METRICS.md),
// per HistCoarseStep seconds above.
const (
	HistFineLimit  = 1800
	HistCoarseStep = 60
)

// WaitBucket returns the histogram key of a wait: the wait itself below
// HistFineLimit, else the start of its HistCoarseStep-second step.
func WaitBucket(waitS uint32) uint32 {
	if waitS < HistFineLimit {
		return waitS
	}
	return waitS - (waitS-HistFineLimit)%HistCoarseStep
}

// Add adds o to c.
func (c *Counts) Add(o *Counts) {
	c.Offered += o.Offered
	c.Answered += o.Answered
	c.Abandoned += o.Abandoned
	c.Timeout += o.Timeout
	c.ExitKey += o.ExitKey
	c.ExitOther += o.ExitOther
	c.Unknown += o.Unknown
	c.ShortAbandoned += o.ShortAbandoned
	c.AnsweredWithinSLA += o.AnsweredWithinSLA
	c.AbandonedWithinSLA += o.AbandonedWithinSLA
	c.Transferred += o.Transferred
	c.WaitAnsweredS += o.WaitAnsweredS
	c.WaitAllS += o.WaitAllS
	c.TalkS += o.TalkS
	c.MaxWaitS = max(c.MaxWaitS, o.MaxWaitS)
	if len(o.WaitHist) > 0 && c.WaitHist == nil {
		c.WaitHist = make(map[uint32]uint64, len(o.WaitHist))
	}
	for k, v := range o.WaitHist {
		c.WaitHist[k] += v
	}
	c.AnsweredWaits = addHist(c.AnsweredWaits, o.AnsweredWaits)
	c.AbandonedWaits = addHist(c.AbandonedWaits, o.AbandonedWaits)
	c.UnsplitOffered += o.UnsplitOffered
	c.Dispositions += o.Dispositions
	c.ResolvedFirstContact += o.ResolvedFirstContact
}

// addHist adds the histogram o to h, making h where o has counts, and
// returns h.
func addHist(h, o map[uint32]uint64) map[uint32]uint64 {
	if len(o) > 0 && h == nil {
		h = make(map[uint32]uint64, len(o))
	}
	for k, v := range o {
		h[k] += v
	}
	return h
}
