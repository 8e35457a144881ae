package simulate

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Line is one queue_log line and the time it carries.
type Line struct {
	Time time.Time
	Text string // without the trailing newline
}

// Sim is a generated simulation: the queue_log lines and the ground truth.
// It is immutable after Generate and safe for concurrent readers.
type Sim struct {
	cfg   Config
	lines []Line
	truth Truth
	// agents and lines2 (the second switch's lines) are set with
	// Config.Agents.
	agents *agentModel
	lines2 []Line
}

// fate is how a queue stay ends in the model.
type fate int

const (
	fAnswered  fate = iota
	fAbandoned      // ABANDON
	fTimeout        // EXITWITHTIMEOUT at the queue's max wait
	fExitKey        // EXITWITHKEY
	fExitEmpty      // EXITEMPTY (leavewhenempty)
	fJoinEmpty      // turned away: a JOINEMPTY line, no ENTERQUEUE (Wazo)
	fNoEnd          // no end line at all: unknown
)

// endKind is how an answered stay ends.
type endKind int

const (
	endCaller   endKind = iota // COMPLETECALLER
	endAgent                   // COMPLETEAGENT
	endBlind                   // BLINDTRANSFER to another queue (or the same one)
	endAttended                // ATTENDEDTRANSFER, BRIDGE form
)

// stay is one queue stay in the model; the lines and the truth are both
// printed from it.
type stay struct {
	qi        int
	seq       int
	enter     time.Time
	fate      fate
	wait      int // s from enter to CONNECT or to leaving
	talk      int // s from CONNECT to the end of the stay
	end       endKind
	target    int // queue index a transfer goes to
	agent     string
	rings     []int // offsets (s after enter) of RINGNOANSWER lines, each < wait
	ringAgent []string
	cancel    bool // a RINGCANCELED line just before ABANDON
	// cancelAgent rang when the caller hung up (Config.Agents); without
	// agents the RINGCANCELED line names a member at random.
	cancelAgent string
	ringTime    int // CONNECT data3
	origPos     int
	pos         int
	key         string
	// disposed: the agent gave this stay the call's disposition, resolved
	// or not, with code, wrapUp seconds after the stay ended.
	disposed, resolved bool
	code               string
	wrapUp             int
}

// call is one caller channel: one uniqueid, one or more queue stays.
type call struct {
	arrive time.Time // channel created (the IVR answered): the uniqueid's epoch
	order  int
	seq    int64
	id     string
	caller string
	stays  []*stay
}

type gen struct {
	cfg      Config
	rng      *rand.Rand
	from, to time.Time
	calls    []*call
	meta     []Line // QUEUESTART and member lines
	agents   *agentModel
}

// Generate builds the simulation described by cfg. The same cfg always gives
// the same lines and truth.
//
// Per weekday it makes CallsPerDay ordinary callers (a twentieth at
// weekends): most join while their queue is open, OutOfHoursShare while it
// is closed. In hours about 80 % are answered (COMPLETECALLER or
// COMPLETEAGENT; about 10 % of those are transferred by BLINDTRANSFER or
// ATTENDEDTRANSFER into another desk, or blind back into the same one), 10 %
// abandon, 3 % time out at MaxWaitS (half of them overflow into the next
// queue), 3 % leave with a key, 1.5 % leave an emptied queue, 1 % are turned
// away (JOINEMPTY) and 0.5 % never end. Out of hours callers are mostly
// turned away, leave empty or abandon. About 30 % of waits carry
// RINGNOANSWER noise.
//
// Unless NoEdgeCases, every day on which a queue is open adds, rotating
// over the queues: answered waits of exactly 0, 300 and 301 s; abandons
// after 3, 4, 5 and 6 s; a blind and an attended transfer between desks; a
// blind transfer back into the same queue; a timeout overflowing into the
// next queue; a call with no end (ENTERQUEUE and one RINGNOANSWER); one
// EXITWITHKEY, one EXITEMPTY and one JOINEMPTY. On the range's first of a
// month it adds calls joining at 00:00:00 and at 23:59:59 the day before;
// on a daylight-saving day calls joining one second before and at the
// change, and on an autumn day both 02:30s.
//
// With Dispositions, that share of the calls answered at least once gets a
// DISPOSITION line on its last answered stay, a minute or so after the
// stay ends; each queue's Resolved share of them says resolved.
func Generate(cfg Config) (*Sim, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &gen{
		cfg: cfg,
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x61636473746174)),
	}
	g.from = cfg.Start.Truncate(time.Second)
	if g.from.Before(cfg.Start) {
		g.from = g.from.Add(time.Second)
	}
	ls := cfg.Start.In(cfg.Location)
	y, m, d := ls.Date()
	g.to = time.Date(y, m, d+cfg.Days, 0, 0, 0, 0, cfg.Location)

	g.meta = append(g.meta, g.line(g.from, "NONE", "NONE", "NONE", "QUEUESTART", ""))
	if cfg.Agents {
		g.agents = newAgentModel(g)
	}
	for i := 0; i < cfg.Days; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, cfg.Location)
		next := time.Date(y, m, d+i+1, 0, 0, 0, 0, cfg.Location)
		if g.agents != nil {
			g.agents.day(i, day, next)
		} else {
			g.members(day)
		}
		g.ordinaryDay(day, next)
		if !cfg.NoEdgeCases {
			g.edgeDay(i, day, next)
		}
	}
	return g.finish(), nil
}

// ---- the day's calls ----

func (g *gen) ordinaryDay(day, next time.Time) {
	n := g.cfg.CallsPerDay
	wd := day.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		n = max(1, n/20)
	}
	for range n {
		qi := g.pickQueue()
		q := &g.cfg.Queues[qi]
		var enter time.Time
		if g.rng.Float64() >= g.cfg.OutOfHoursShare {
			t, ok := g.inHours(q, day, 0, 24*60)
			if !ok {
				t = g.anyTime(day, next)
			}
			enter = t
		} else {
			enter = g.anyTime(day, next)
		}
		if enter.Before(g.from) {
			continue
		}
		c := g.newCall(enter)
		s := g.addStay(c, qi, enter)
		if q.open(enter, g.cfg.Location) {
			g.fateInHours(c, s)
		} else {
			g.fateOutOfHours(s)
		}
	}
}

func (g *gen) fateInHours(c *call, s *stay) {
	r := g.rng.Float64()
	switch {
	case r < 0.10:
		g.abandon(s, g.expWait(1, 70, s))
	case r < 0.13:
		g.timeout(s)
		if g.rng.IntN(2) == 0 && len(g.cfg.Queues) > 1 {
			next := g.addStay(c, (s.qi+1)%len(g.cfg.Queues), g.endOf(s).Add(g.gap()))
			g.answerOrAbandon(next)
		}
	case r < 0.16:
		g.exitKey(s, g.expWait(10, 40, s))
	case r < 0.175:
		g.exitEmpty(s, g.expWait(1, 20, s))
	case r < 0.185:
		s.fate = fJoinEmpty
	case r < 0.19:
		g.noEnd(s)
	default:
		g.answer(s, g.answerWait(s), g.talkTime())
		x := g.rng.Float64()
		switch {
		case x < 0.06:
			g.transfer(c, s, endBlind, g.otherQueue(s.qi))
		case x < 0.09:
			g.transfer(c, s, endAttended, g.otherQueue(s.qi))
		case x < 0.10:
			g.transfer(c, s, endBlind, s.qi)
		}
	}
}

func (g *gen) fateOutOfHours(s *stay) {
	r := g.rng.Float64()
	switch {
	case r < 0.30:
		s.fate = fJoinEmpty
	case r < 0.60:
		g.exitEmpty(s, g.expWait(1, 15, s))
	case r < 0.85:
		g.abandon(s, g.expWait(1, 40, s))
	case r < 0.90:
		g.exitKey(s, g.expWait(5, 20, s))
	default:
		// Agents who stay late, or an on-call member.
		g.answer(s, g.answerWait(s), g.talkTime())
	}
}

// edgeDay adds the scripted edge cases of day i.
func (g *gen) edgeDay(i int, day, next time.Time) {
	nq := len(g.cfg.Queues)
	// The month boundary: 23:59:59 the day before and 00:00:00 on the 1st.
	if day.Day() == 1 {
		for k, t := range []time.Time{day.Add(-time.Second), day} {
			if t.Before(g.from) || !t.Before(g.to) {
				continue
			}
			c := g.newCall(t)
			s := g.addStay(c, k%nq, t)
			g.answer(s, 30, 120)
		}
	}
	// A daylight-saving change: the day is not 24 hours long.
	if next.Sub(day) != 24*time.Hour {
		if tr, ok := transition(day, next, g.cfg.Location); ok {
			ts := []time.Time{tr.Add(-time.Second), tr}
			if next.Sub(day) > 24*time.Hour {
				// Autumn: the clock goes back, and 02:30 (or whatever lies half
				// an hour either side of the change) happens twice.
				ts = append(ts, tr.Add(-30*time.Minute), tr.Add(30*time.Minute))
			}
			for k, t := range ts {
				if t.Before(g.from) || !t.Before(g.to) {
					continue
				}
				c := g.newCall(t)
				s := g.addStay(c, k%nq, t)
				if k%2 == 0 {
					g.answer(s, 15, 200)
				} else {
					g.abandon(s, 40)
				}
			}
		}
	}
	// Scripted calls in the middle of an open day, rotating over queues.
	q0 := i % nq
	var open []int
	for k := range nq {
		qi := (q0 + k) % nq
		if _, ok := g.inHours(&g.cfg.Queues[qi], day, 10*60, 14*60); ok {
			open = append(open, qi)
		}
	}
	if len(open) == 0 {
		return
	}
	qa := open[0]
	qb := open[len(open)-1]
	if len(open) > 1 {
		qb = open[1]
	}
	at := func(qi int) (time.Time, bool) {
		t, ok := g.inHours(&g.cfg.Queues[qi], day, 10*60, 14*60)
		return t, ok && !t.Before(g.from)
	}
	one := func(qi int, f func(c *call, s *stay)) {
		if t, ok := at(qi); ok {
			c := g.newCall(t)
			f(c, g.addStay(c, qi, t))
		}
	}
	for _, w := range []int{0, 300, 301} {
		one(qa, func(_ *call, s *stay) { g.answer(s, w, g.talkTime()) })
	}
	for _, w := range []int{3, 4, 5, 6} {
		one(qa, func(_ *call, s *stay) { g.abandon(s, w) })
	}
	one(qa, func(c *call, s *stay) {
		g.answer(s, g.answerWait(s), g.talkTime())
		g.transfer(c, s, endBlind, qb)
	})
	one(qb, func(c *call, s *stay) {
		g.answer(s, g.answerWait(s), g.talkTime())
		g.transfer(c, s, endAttended, open[len(open)-1])
	})
	one(qa, func(c *call, s *stay) {
		g.answer(s, g.answerWait(s), g.talkTime())
		g.transfer(c, s, endBlind, qa)
	})
	one(qa, func(c *call, s *stay) {
		g.timeout(s)
		next := g.addStay(c, (qa+1)%nq, g.endOf(s).Add(g.gap()))
		g.answer(next, g.answerWait(next), g.talkTime())
	})
	one(qb, func(_ *call, s *stay) {
		s.fate = fNoEnd
		s.rings = []int{20}
		s.ringAgent = []string{g.agent(s.qi)}
	})
	one(qb, func(_ *call, s *stay) { g.exitKey(s, 45) })
	one(qb, func(_ *call, s *stay) { g.exitEmpty(s, 12) })
	one(qb, func(_ *call, s *stay) { s.fate = fJoinEmpty })
}

// transition finds the first instant in [day, next) at which loc's UTC
// offset changes.
func transition(day, next time.Time, loc *time.Location) (time.Time, bool) {
	_, off := day.In(loc).Zone()
	for t := day.Add(time.Minute); t.Before(next); t = t.Add(time.Minute) {
		if _, o := t.In(loc).Zone(); o != off {
			return t, true
		}
	}
	return time.Time{}, false
}

// members writes the day's member lines for each queue open that day:
// ADDMEMBER ten minutes before opening, a lunch PAUSE and UNPAUSE for every
// second agent, REMOVEMEMBER a quarter of an hour after closing.
func (g *gen) members(day time.Time) {
	wd := day.Weekday()
	y, m, d := day.Date()
	for qi := range g.cfg.Queues {
		q := &g.cfg.Queues[qi]
		rs := q.Hours[wd]
		if len(rs) == 0 || slices.Contains(q.Closed, day.Format(time.DateOnly)) {
			continue
		}
		openAt := time.Date(y, m, d, 0, rs[0].From-10, 0, 0, g.cfg.Location)
		closeAt := time.Date(y, m, d, 0, rs[len(rs)-1].To+15, 0, 0, g.cfg.Location)
		for a := range q.Agents {
			name := agentName(qi, a)
			g.meta = append(g.meta, g.line(openAt.Add(time.Duration(a)*time.Second), "MANAGER", q.Name, name, "ADDMEMBER", ""))
			if a%2 == 0 {
				p := time.Date(y, m, d, 11, 30+a, 0, 0, g.cfg.Location)
				g.meta = append(g.meta,
					g.line(p, "NONE", q.Name, name, "PAUSE", "lunch"),
					g.line(p.Add(30*time.Minute), "NONE", q.Name, name, "UNPAUSE", "lunch"))
			}
			g.meta = append(g.meta, g.line(closeAt.Add(time.Duration(a)*time.Second), "MANAGER", q.Name, name, "REMOVEMEMBER", ""))
		}
	}
	// Member lines before the start are left out, like calls.
	g.meta = slices.DeleteFunc(g.meta, func(l Line) bool { return l.Time.Before(g.from) })
}

// ---- building stays ----

func (g *gen) newCall(enter time.Time) *call {
	c := &call{
		// The IVR answered 5 to 30 s before the caller joined the queue.
		arrive: enter.Add(-time.Duration(5+g.rng.IntN(26)) * time.Second),
		order:  len(g.calls),
		// Made-up Danish-looking numbers from a range not in service.
		caller: fmt.Sprintf("4570%06d", g.rng.IntN(1000000)),
	}
	g.calls = append(g.calls, c)
	return c
}

func (g *gen) addStay(c *call, qi int, enter time.Time) *stay {
	s := &stay{qi: qi, seq: 1, enter: enter.Truncate(time.Second), origPos: 1 + g.rng.IntN(3)}
	for _, o := range c.stays {
		if o.qi == qi {
			s.seq++
		}
	}
	s.pos = 1 + g.rng.IntN(s.origPos)
	c.stays = append(c.stays, s)
	return s
}

func (g *gen) answer(s *stay, wait, talk int) {
	s.fate = fAnswered
	s.wait, s.talk = wait, talk
	s.end = endCaller
	if g.rng.IntN(100) < 40 {
		s.end = endAgent
	}
	s.agent = g.agent(s.qi)
	s.ringTime = min(wait, 1+g.rng.IntN(8))
	g.noise(s)
}

// answerOrAbandon is the fate of a caller arriving by overflow or transfer.
func (g *gen) answerOrAbandon(s *stay) {
	if g.rng.IntN(100) < 85 {
		g.answer(s, g.answerWait(s), g.talkTime())
	} else {
		g.abandon(s, g.expWait(1, 60, s))
	}
}

func (g *gen) abandon(s *stay, wait int) {
	s.fate, s.wait = fAbandoned, wait
	g.noise(s)
	s.cancel = g.rng.IntN(100) < 30
}

func (g *gen) timeout(s *stay) {
	s.fate, s.wait = fTimeout, g.cfg.Queues[s.qi].MaxWaitS
	g.noise(s)
}

func (g *gen) exitKey(s *stay, wait int) {
	s.fate, s.wait = fExitKey, wait
	s.key = strconv.Itoa(g.rng.IntN(2))
	g.noise(s)
}

func (g *gen) exitEmpty(s *stay, wait int) {
	s.fate, s.wait = fExitEmpty, wait
}

func (g *gen) noEnd(s *stay) {
	s.fate = fNoEnd
}

// transfer ends the answered stay s with an agent's transfer into queue
// target; the caller joins it 0 or 1 s later under the same call id.
func (g *gen) transfer(c *call, s *stay, kind endKind, target int) {
	s.end, s.target = kind, target
	next := g.addStay(c, target, g.endOf(s).Add(g.gap()))
	g.answerOrAbandon(next)
}

// noise adds RINGNOANSWER lines: members that rang 15 s without answering,
// each retry 5 s after the last, all before the stay ends.
func (g *gen) noise(s *stay) {
	if g.rng.IntN(100) >= 30 {
		return
	}
	n := 1 + g.rng.IntN(3)
	for i := range n {
		off := 15*(i+1) + 5*i
		if off >= s.wait {
			break
		}
		s.rings = append(s.rings, off)
		s.ringAgent = append(s.ringAgent, g.agent(s.qi))
	}
}

// endOf is when stay s ends in the model.
func (g *gen) endOf(s *stay) time.Time {
	switch s.fate {
	case fAnswered:
		return s.enter.Add(time.Duration(s.wait+s.talk) * time.Second)
	case fJoinEmpty:
		return s.enter
	case fNoEnd:
		return s.enter.Add(time.Duration(s.lastOffset()) * time.Second)
	}
	return s.enter.Add(time.Duration(s.wait) * time.Second)
}

func (s *stay) lastOffset() int {
	if len(s.rings) == 0 {
		return 0
	}
	return s.rings[len(s.rings)-1]
}

// ---- random helpers ----

func (g *gen) gap() time.Duration { return time.Duration(g.rng.IntN(2)) * time.Second }

func (g *gen) pickQueue() int {
	total := 0.0
	for _, q := range g.cfg.Queues {
		total += q.Weight
	}
	r := g.rng.Float64() * total
	for i, q := range g.cfg.Queues {
		r -= q.Weight
		if r < 0 {
			return i
		}
	}
	return len(g.cfg.Queues) - 1
}

func (g *gen) otherQueue(qi int) int {
	n := len(g.cfg.Queues)
	if n == 1 {
		return qi
	}
	return (qi + 1 + g.rng.IntN(n-1)) % n
}

func agentName(qi, a int) string { return fmt.Sprintf("PJSIP/%d", 2000+(qi+1)*100+a+1) }

func (g *gen) agent(qi int) string { return agentName(qi, g.rng.IntN(g.cfg.Queues[qi].Agents)) }

// expWait is lo plus an exponential wait of the given mean, kept below the
// queue's max wait.
func (g *gen) expWait(lo int, mean float64, s *stay) int {
	w := lo + int(g.rng.ExpFloat64()*mean)
	return min(w, g.cfg.Queues[s.qi].MaxWaitS-1)
}

// answerWait: most callers are answered within a minute or two, some wait
// long (a busy morning).
func (g *gen) answerWait(s *stay) int {
	if g.rng.IntN(100) < 12 {
		return g.expWait(60, 240, s)
	}
	return g.expWait(0, 40, s)
}

// talkTime is 30 s to an hour, typically four to six minutes.
func (g *gen) talkTime() int {
	t := 30 + int(g.rng.ExpFloat64()*240)
	return min(t, 3600)
}

// inHours picks a second inside q's hours on day, within the local clock
// window [lo, hi) minutes; ok is false if q is not open then. A queue with
// no hours counts as open all day.
func (g *gen) inHours(q *Queue, day time.Time, lo, hi int) (time.Time, bool) {
	if slices.Contains(q.Closed, day.Format(time.DateOnly)) {
		return time.Time{}, false
	}
	rs := q.Hours[day.Weekday()]
	always := true
	for _, h := range q.Hours {
		if len(h) > 0 {
			always = false
		}
	}
	if always {
		rs = []MinuteRange{{0, 24 * 60}}
	}
	var spans []MinuteRange
	total := 0
	for _, r := range rs {
		a, b := max(r.From, lo), min(r.To, hi)
		if a < b {
			spans = append(spans, MinuteRange{a, b})
			total += b - a
		}
	}
	if total == 0 {
		return time.Time{}, false
	}
	// A mild morning peak: the earlier of two draws, a third of the time.
	k := g.rng.IntN(total)
	if g.rng.IntN(3) == 0 {
		k = min(k, g.rng.IntN(total))
	}
	y, m, d := day.Date()
	for _, sp := range spans {
		if k < sp.To-sp.From {
			return time.Date(y, m, d, 0, sp.From+k, g.rng.IntN(60), 0, g.cfg.Location), true
		}
		k -= sp.To - sp.From
	}
	return time.Time{}, false
}

// anyTime picks a second of the real day [day, next): a 23- or 25-hour day
// gets its true length.
func (g *gen) anyTime(day, next time.Time) time.Time {
	n := int64(next.Sub(day) / time.Second)
	return day.Add(time.Duration(g.rng.Int64N(n)) * time.Second)
}

// ---- printing ----

// line formats one queue_log line the way Asterisk's logger.c writes the
// file: "%ld|%s|%s|%s|%s|" followed by the parameters joined with "|" (so a
// line without parameters ends with "|").
func (g *gen) line(t time.Time, callid, queue, agent, verb string, params ...string) Line {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(t.Unix(), 10))
	for _, f := range []string{callid, queue, agent, verb} {
		b.WriteByte('|')
		b.WriteString(f)
	}
	b.WriteByte('|')
	b.WriteString(strings.Join(params, "|"))
	return Line{Time: time.Unix(t.Unix(), 0).In(g.cfg.Location), Text: b.String()}
}

func itoa(n int) string { return strconv.Itoa(n) }

func (g *gen) finish() *Sim {
	// Uniqueids: "<epoch of channel creation>.<system-wide counter>", the
	// counter rising in creation order with gaps for other channels.
	slices.SortStableFunc(g.calls, func(a, b *call) int { return a.arrive.Compare(b.arrive) })
	seq := int64(1000 + g.rng.IntN(9000))
	for _, c := range g.calls {
		seq += int64(5 + g.rng.IntN(5))
		c.seq = seq
		c.id = fmt.Sprintf("%d.%d", c.arrive.Unix(), seq)
	}

	if g.agents != nil {
		g.agents.assign(g.calls)
	}
	// After the agents, who give them.
	if g.cfg.Dispositions > 0 {
		g.dispositions()
	}
	lines := slices.Clone(g.meta)
	var truth []TruthCall
	for _, c := range g.calls {
		for j, s := range c.stays {
			lines = g.print(lines, c, j, s)
			truth = append(truth, g.truthOf(c, s))
		}
	}
	sim := &Sim{cfg: g.cfg, agents: g.agents}
	if g.agents != nil {
		lines = append(lines, g.agents.lines...)
		truth = append(truth, g.agents.calls2...)
		sim.lines2 = g.agents.lines2
		slices.SortStableFunc(sim.lines2, func(a, b Line) int { return a.Time.Compare(b.Time) })
		sim.truth.Agents = g.agents.truth(g.calls)
	}
	slices.SortStableFunc(lines, func(a, b Line) int { return a.Time.Compare(b.Time) })
	slices.SortStableFunc(truth, func(a, b TruthCall) int { return a.Enter.Compare(b.Enter) })
	sim.lines = lines
	sim.truth.Switch = g.cfg.Switch
	sim.truth.Location = g.cfg.Location.String()
	sim.truth.From = g.from.In(g.cfg.Location)
	sim.truth.To = g.to
	sim.truth.Calls = truth
	return sim
}

// The disposition codes agents give, resolved at first contact or not.
var (
	resolvedCodes   = []string{"PWRESET", "ACCESS", "PRINTER", "HOWTO", "ACCOUNT"}
	unresolvedCodes = []string{"ESCALATED", "CALLBACK", "ONSITE", "VENDOR"}
)

// dispositions gives a share of the calls (Config.Dispositions) a
// disposition on their last answered stay. It runs after every other draw
// of the generator, so the rest of the simulation is the same with or
// without dispositions.
func (g *gen) dispositions() {
	for _, c := range g.calls {
		var last *stay
		for _, s := range c.stays {
			if s.fate == fAnswered && (last == nil || !s.enter.Before(last.enter)) {
				last = s
			}
		}
		if last == nil || g.rng.Float64() >= g.cfg.Dispositions {
			continue
		}
		last.disposed = true
		last.resolved = g.rng.Float64() < g.cfg.Queues[last.qi].Resolved
		codes := unresolvedCodes
		if last.resolved {
			codes = resolvedCodes
		}
		last.code = codes[g.rng.IntN(len(codes))]
		last.wrapUp = 5 + g.rng.IntN(90)
	}
}

// print appends the lines of stay s (the j-th of call c).
func (g *gen) print(lines []Line, c *call, j int, s *stay) []Line {
	q := &g.cfg.Queues[s.qi]
	at := func(off int) time.Time { return s.enter.Add(time.Duration(off) * time.Second) }
	if s.fate == fJoinEmpty {
		// Wazo's dialplan logs the turn-away itself (QueueLog application);
		// app_queue writes no ENTERQUEUE for a caller who could not join.
		return append(lines, g.line(s.enter, c.id, q.Name, "NONE", "JOINEMPTY"))
	}
	lines = append(lines, g.line(s.enter, c.id, q.Name, "NONE", "ENTERQUEUE", "", c.caller, itoa(s.origPos)))
	for k, off := range s.rings {
		lines = append(lines, g.line(at(off), c.id, q.Name, s.ringAgent[k], "RINGNOANSWER", "15000"))
	}
	w := itoa(s.wait)
	switch s.fate {
	case fAnswered:
		member := fmt.Sprintf("%d.%d", at(s.wait).Unix(), c.seq+1+int64(j))
		lines = append(lines, g.line(at(s.wait), c.id, q.Name, s.agent, "CONNECT", w, member, itoa(s.ringTime)))
		end, t := at(s.wait+s.talk), itoa(s.talk)
		switch s.end {
		case endCaller:
			lines = append(lines, g.line(end, c.id, q.Name, s.agent, "COMPLETECALLER", w, t, itoa(s.origPos)))
		case endAgent:
			lines = append(lines, g.line(end, c.id, q.Name, s.agent, "COMPLETEAGENT", w, t, itoa(s.origPos)))
		case endBlind:
			lines = append(lines, g.line(end, c.id, q.Name, s.agent, "BLINDTRANSFER",
				g.cfg.Queues[s.target].Extension, "from-internal", w, t, itoa(s.origPos)))
		case endAttended:
			lines = append(lines, g.line(end, c.id, q.Name, s.agent, "ATTENDEDTRANSFER",
				"BRIDGE", g.bridgeID(c, j), w, t, itoa(s.origPos)))
		}
		if s.disposed {
			flag := "0"
			if s.resolved {
				flag = "1"
			}
			at := end.Add(time.Duration(s.wrapUp) * time.Second)
			lines = append(lines, g.line(at, c.id, q.Name, s.agent, "DISPOSITION", flag, s.code))
		}
	case fAbandoned:
		if s.cancel {
			agent := s.cancelAgent
			if agent == "" {
				agent = g.agent(s.qi)
			}
			lines = append(lines, g.line(at(s.wait), c.id, q.Name, agent, "RINGCANCELED", itoa(1000*min(s.wait, 15))))
		}
		lines = append(lines, g.line(at(s.wait), c.id, q.Name, "NONE", "ABANDON", itoa(s.pos), itoa(s.origPos), w))
	case fTimeout:
		lines = append(lines, g.line(at(s.wait), c.id, q.Name, "NONE", "EXITWITHTIMEOUT", itoa(s.pos), itoa(s.origPos), w))
	case fExitKey:
		lines = append(lines, g.line(at(s.wait), c.id, q.Name, "NONE", "EXITWITHKEY", s.key, itoa(s.pos), itoa(s.origPos), w))
	case fExitEmpty:
		lines = append(lines, g.line(at(s.wait), c.id, q.Name, "NONE", "EXITEMPTY", itoa(s.pos), itoa(s.origPos), w))
	case fNoEnd:
	}
	return lines
}

// bridgeID is a UUID-shaped bridge id derived from the call, so that it does
// not depend on the order of printing.
func (g *gen) bridgeID(c *call, j int) string {
	h := uint64(c.seq)*0x9e3779b97f4a7c15 + uint64(j)
	h ^= h >> 29
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(h>>40)&0xfff, h&0xffffffffffff)
}

func (g *gen) truthOf(c *call, s *stay) TruthCall {
	q := &g.cfg.Queues[s.qi]
	t := TruthCall{
		CallID:  c.id,
		Queue:   q.Name,
		Seq:     s.seq,
		Enter:   s.enter.In(g.cfg.Location),
		WaitS:   s.wait,
		InHours: q.open(s.enter, g.cfg.Location),
	}
	switch s.fate {
	case fAnswered:
		t.Outcome, t.TalkS = OutcomeAnswered, s.talk
		if g.agents != nil {
			t.Agent = s.agent
		}
		t.Transferred = s.end == endBlind || s.end == endAttended
		t.Disposed, t.Resolved = s.disposed, s.resolved
		t.Verb = [...]string{"COMPLETECALLER", "COMPLETEAGENT", "BLINDTRANSFER", "ATTENDEDTRANSFER"}[s.end]
	case fAbandoned:
		t.Outcome, t.Verb = OutcomeAbandoned, "ABANDON"
	case fTimeout:
		t.Outcome, t.Verb = OutcomeTimeout, "EXITWITHTIMEOUT"
	case fExitKey:
		t.Outcome, t.Verb = OutcomeExitKey, "EXITWITHKEY"
	case fExitEmpty:
		t.Outcome, t.Verb = OutcomeExitOther, "EXITEMPTY"
	case fJoinEmpty:
		t.Outcome, t.Verb, t.WaitS = OutcomeExitOther, "JOINEMPTY", 0
	case fNoEnd:
		t.Outcome, t.WaitS = OutcomeUnknown, s.lastOffset()
	}
	return t
}

// Config returns the configuration the simulation ran with, defaults filled.
func (s *Sim) Config() Config { return s.cfg }

// Lines returns a copy of the queue_log lines, sorted by time (stable: lines
// of one second keep the order in which the switch would write them).
func (s *Sim) Lines() []Line { return slices.Clone(s.lines) }

// Switches names the switches the simulation writes for: the configured
// one, and with Config.Agents the second switch of agents.go.
func (s *Sim) Switches() []string {
	if s.agents == nil {
		return []string{s.cfg.Switch}
	}
	return []string{s.cfg.Switch, s.agents.switch2}
}

// LinesOf returns a copy of the lines of switch sw (one of Switches),
// sorted by time; nil for another name.
func (s *Sim) LinesOf(sw string) []Line {
	switch {
	case sw == s.cfg.Switch:
		return s.Lines()
	case s.agents != nil && sw == s.agents.switch2:
		return slices.Clone(s.lines2)
	}
	return nil
}

// WriteQueueLog writes the lines in queue_log file form, one per line.
func (s *Sim) WriteQueueLog(w io.Writer) error {
	return writeLines(w, s.lines)
}

// WriteQueueLogOf writes the lines of switch sw (one of Switches) in
// queue_log file form.
func (s *Sim) WriteQueueLogOf(w io.Writer, sw string) error {
	return writeLines(w, s.LinesOf(sw))
}

func writeLines(w io.Writer, lines []Line) error {
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		bw.WriteString(l.Text)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
