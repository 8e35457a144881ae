package sip

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/cdr"
)

// How BuildCalls turns SIP events into queue calls (METRICS.md, SIP column).
//
// Groups. Events are grouped by (Switch, CallID), the correlation key of
// Facts: the caller leg's Call-ID, which the agent legs linked to it carry as
// well. The caller leg is the one whose own Call-ID (Data[0]) is the key;
// the others are linked agent legs. Events with the same ID count once; the
// rest are read in capture order (Time, Micros, then ID), and for every kind
// of fact only the first sighting counts, so retransmissions and the copies a
// proxy mirrors from its other side never move a time.
//
// The call. It starts at the caller leg's first INVITE without a To-tag
// (the offer); INVITEs without a To-tag that follow a 401/407 challenge are
// the same call. A group with no such INVITE makes no queue call (its start
// was not seen). The queue is the queue header's value on the caller leg
// where the switch sets one, else the queue whose numbers hold the offer's
// Request-URI user, else its To user; a call of no queue makes no queue
// call. EnterTime is the enter header's time where the switch stamps one,
// else the offer. Caller is the offer's From user. Seq is always 0.
//
// The answer that counts: with IVRFirst set, or when any linked agent leg is
// in the group, the first 2xx to an agent leg's INVITE (Agent is its To
// user); otherwise the caller leg's first 2xx to an initial INVITE (of any
// forked branch: the first wins). Re-INVITEs (INVITEs with a To-tag) and
// their answers change nothing.
//
// Ends, first one wins: before the answer that counts, the caller leg's
// CANCEL, a 487 to its INVITE or a BYE from the caller (From-tag of the
// offer) make it abandoned; a final 3xx–6xx to the caller's INVITE other
// than 401, 407 and 487, or a BYE from the switch's side, make it
// exit_other (a 3xx is a final answer too, so it is counted with them
// rather than left to go stale). After the answer, the first BYE on the
// caller leg or on the answering agent leg ends the talk. EndVerb is the
// method or status code that decided.
//
// No end. While opt.Now − last event ≤ opt.StaleAfter the call is open:
// Waiting, or Answered with EndVerb "" and talk up to the last message. Past
// it the call is closed with EndVerb "stale": Answered (talk to the last
// message) or Unknown (wait to the last message). When a build holds more
// than MaxCalls calls, the ones with the oldest last message are closed the
// same way with EndVerb "evicted", so the working set stays bounded.
//
// Waits are the capture times' differences, rounded down to whole seconds;
// the call's times are whole seconds.

// EvictedVerb is the EndVerb of a call closed because the build held more
// than MaxCalls calls.
const EvictedVerb = "evicted"

// DefaultMaxCalls bounds the calls of one build.
const DefaultMaxCalls = 200_000

// CorrelationConfig steers BuildCalls.
type CorrelationConfig struct {
	// Numbers maps a dialled number (Request-URI or To user) to its queue.
	Numbers map[string]string
	// IVRFirst says the switch answers every caller at once (an IVR), so
	// only a linked agent leg's 2xx is an answer.
	IVRFirst bool
	// MaxCalls: 0 means DefaultMaxCalls.
	MaxCalls int
}

// sipMsg is one event as correlation reads it.
type sipMsg struct {
	t        time.Time
	id       uint64
	leg      string
	fromTag  string
	toTag    string
	verb     string
	code     int // 0 for requests
	cseqNum  uint32
	cseqMeth string
	kv       url.Values
}

func readMsg(e *cdr.Event) sipMsg {
	m := sipMsg{
		t:       e.Time.Add(time.Duration(e.Micros) * time.Microsecond),
		id:      e.ID,
		leg:     e.Data[dataCallID],
		fromTag: e.Data[dataFromTag],
		toTag:   e.Data[dataToTag],
		verb:    e.Verb,
	}
	if m.id == 0 {
		m.id = cdr.EventID(e)
	}
	if c, err := strconv.Atoi(e.Verb); err == nil {
		m.code = c
	}
	num, meth, _ := strings.Cut(e.Data[dataCSeq], " ")
	if n, err := strconv.ParseUint(num, 10, 32); err == nil {
		m.cseqNum = uint32(n)
	}
	m.cseqMeth = meth
	m.kv, _ = url.ParseQuery(e.Data[dataKV])
	return m
}

type groupKey struct{ sw, callID string }

// BuildStats says what one build saw.
type BuildStats struct {
	// Open is the number of calls not yet ended nor closed by a timer.
	Open int
	// Evicted is the number of calls closed because of MaxCalls.
	Evicted int
}

// BuildCalls correlates SIP events into queue calls by the rules above. The
// result is sorted by (Switch, CallID, Queue, Seq) and depends only on the
// set of distinct events and on opt and cfg; events of other sources are
// ignored.
func BuildCalls(events []cdr.Event, opt cdr.BuildOptions, cfg CorrelationConfig) []cdr.QueueCall {
	calls, _ := buildCalls(events, opt, cfg)
	return calls
}

func buildCalls(events []cdr.Event, opt cdr.BuildOptions, cfg CorrelationConfig) ([]cdr.QueueCall, BuildStats) {
	var st BuildStats
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = cdr.DefaultStaleAfter
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = DefaultMaxCalls
	}
	groups := map[groupKey][]sipMsg{}
	for i := range events {
		e := &events[i]
		if e.Source != SourceSIP || e.CallID == "" {
			continue
		}
		k := groupKey{e.Switch, e.CallID}
		groups[k] = append(groups[k], readMsg(e))
	}
	type built struct {
		call cdr.QueueCall
		open bool
		last time.Time
	}
	var out []built
	for k, msgs := range groups {
		slices.SortFunc(msgs, func(a, b sipMsg) int {
			if c := a.t.Compare(b.t); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		msgs = slices.CompactFunc(msgs, func(a, b sipMsg) bool { return a.id == b.id })
		c, ok := correlate(k, msgs, cfg)
		if !ok {
			continue
		}
		out = append(out, built{call: c.call, open: !c.ended, last: c.last})
	}
	// The calls past the cap with the oldest last message are closed.
	evict := map[int]bool{}
	if len(out) > cfg.MaxCalls {
		idx := make([]int, 0, len(out))
		for i := range out {
			if out[i].open {
				idx = append(idx, i)
			}
		}
		slices.SortFunc(idx, func(a, b int) int {
			if c := out[a].last.Compare(out[b].last); c != 0 {
				return c
			}
			return cmp.Compare(out[a].call.CallID, out[b].call.CallID)
		})
		for _, i := range idx[:min(len(idx), len(out)-cfg.MaxCalls)] {
			evict[i] = true
		}
	}
	calls := make([]cdr.QueueCall, 0, len(out))
	for i := range out {
		b := &out[i]
		if b.open {
			switch {
			case evict[i]:
				closeCall(&b.call, EvictedVerb)
				st.Evicted++
			case !opt.Now.IsZero() && opt.Now.Sub(b.last) > opt.StaleAfter:
				closeCall(&b.call, cdr.StaleVerb)
			default:
				st.Open++
			}
		}
		calls = append(calls, b.call)
	}
	slices.SortFunc(calls, func(a, b cdr.QueueCall) int {
		return cmp.Or(cmp.Compare(a.Switch, b.Switch), cmp.Compare(a.CallID, b.CallID),
			cmp.Compare(a.Queue, b.Queue), cmp.Compare(a.Seq, b.Seq))
	})
	return calls, st
}

// closeCall closes an open call by a timer: answered stays answered, the
// rest become Unknown.
func closeCall(c *cdr.QueueCall, verb string) {
	c.EndVerb = verb
	if c.Outcome == cdr.Waiting {
		c.Outcome = cdr.Unknown
	}
}

type correlated struct {
	call  cdr.QueueCall
	ended bool
	last  time.Time
}

func seconds(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	return uint32(d / time.Second)
}

// correlate builds the queue call of one group, sorted and deduplicated.
func correlate(k groupKey, msgs []sipMsg, cfg CorrelationConfig) (correlated, bool) {
	var r correlated
	offer := -1
	agentLegs := false
	for i := range msgs {
		m := &msgs[i]
		if m.leg != k.callID {
			agentLegs = true
			continue
		}
		if offer < 0 && m.verb == "INVITE" && m.toTag == "" {
			offer = i
		}
	}
	if offer < 0 {
		return r, false
	}
	o := &msgs[offer]
	callerTag := o.fromTag
	queue := ""
	enter := o.t
	enterSet := false
	for i := range msgs {
		m := &msgs[i]
		if m.leg != k.callID {
			continue
		}
		if queue == "" {
			queue = m.kv.Get(kvQueue)
		}
		if !enterSet {
			if t, ok := parseEnter(m.kv.Get(kvEnter)); ok {
				enter, enterSet = t, true
			}
		}
	}
	if queue == "" {
		queue = cfg.Numbers[o.kv.Get(kvRURIUser)]
	}
	if queue == "" {
		queue = cfg.Numbers[o.kv.Get(kvToUser)]
	}
	if queue == "" {
		return r, false
	}
	ivr := cfg.IVRFirst || agentLegs
	initial := map[uint32]bool{} // CSeq numbers of the caller's initial INVITEs
	agentInvites := map[string]map[uint32]bool{}
	var (
		answered, ended bool
		answerT, endT   time.Time
		outcome         = cdr.Waiting
		endVerb, agent  string
		agentLeg        string
	)
	end := func(m *sipMsg, o cdr.Outcome) {
		ended, endT, endVerb = true, m.t, m.verb
		if !answered {
			outcome = o
		}
	}
	for i := offer; i < len(msgs); i++ {
		m := &msgs[i]
		r.last = m.t
		if ended {
			continue
		}
		if m.leg == k.callID {
			switch {
			case m.verb == "INVITE" && m.toTag == "" && m.fromTag == callerTag:
				initial[m.cseqNum] = true
			case m.verb == "CANCEL" && !answered:
				end(m, cdr.Abandoned)
			case m.verb == "BYE" && answered:
				end(m, cdr.Answered)
			case m.verb == "BYE" && m.fromTag == callerTag:
				end(m, cdr.Abandoned)
			case m.verb == "BYE":
				end(m, cdr.ExitOther)
			case m.code > 0 && m.cseqMeth == "INVITE" && initial[m.cseqNum] && !answered:
				switch {
				case m.code >= 200 && m.code < 300:
					if !ivr {
						answered, answerT, outcome = true, m.t, cdr.Answered
					}
				case m.code == 487:
					end(m, cdr.Abandoned)
				case m.code == 401 || m.code == 407 || m.code < 300:
				default:
					end(m, cdr.ExitOther)
				}
			}
			continue
		}
		// A linked agent leg.
		switch {
		case m.verb == "INVITE" && m.toTag == "":
			if agentInvites[m.leg] == nil {
				agentInvites[m.leg] = map[uint32]bool{}
			}
			agentInvites[m.leg][m.cseqNum] = true
		case ivr && !answered && m.code >= 200 && m.code < 300 && m.cseqMeth == "INVITE" &&
			(agentInvites[m.leg] == nil || agentInvites[m.leg][m.cseqNum]):
			answered, answerT, outcome = true, m.t, cdr.Answered
			agentLeg, agent = m.leg, m.kv.Get(kvToUser)
		case answered && m.verb == "BYE" && m.leg == agentLeg:
			end(m, cdr.Answered)
		}
	}
	c := cdr.QueueCall{
		Switch:        k.sw,
		CallID:        k.callID,
		Queue:         queue,
		Outcome:       outcome,
		EnterTime:     enter.Truncate(time.Second),
		Agent:         agent,
		Caller:        o.kv.Get(kvFromUser),
		EndVerb:       endVerb,
		LastEventTime: r.last.Truncate(time.Second),
	}
	switch {
	case answered:
		c.AnswerTime = answerT.Truncate(time.Second)
		c.WaitS = seconds(answerT.Sub(enter))
		stop := r.last
		if ended {
			stop = endT
		}
		c.TalkS = seconds(stop.Sub(answerT))
		c.EndTime = stop.Truncate(time.Second)
	case ended:
		c.WaitS = seconds(endT.Sub(enter))
		c.EndTime = endT.Truncate(time.Second)
	default:
		c.WaitS = seconds(r.last.Sub(enter))
		c.EndTime = r.last.Truncate(time.Second)
	}
	r.call, r.ended = c, ended
	return r, true
}

// Correlator is BuildCalls with its settings and metrics, for the build job.
type Correlator struct {
	cfg     CorrelationConfig
	open    prometheus.Gauge
	evicted prometheus.Counter
	// run is the open calls of the build run so far, shared by the
	// correlators WithNumbers makes.
	run *runTally
}

// runTally adds up the open calls of the chunks of one build run. The build
// job builds a run in chunks of calls, each chunk with the options of the
// run (aggregate.Builder: one cdr.BuildOptions, so one Now, per run); a
// Build with another Now starts a new run.
type runTally struct {
	mu   sync.Mutex
	now  time.Time
	open int
}

// NewCorrelator registers the correlation metrics on reg.
func NewCorrelator(cfg CorrelationConfig, reg prometheus.Registerer) (*Correlator, error) {
	c := &Correlator{
		cfg: cfg,
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "acdstat_sip_calls_in_flight",
			Help: "SIP calls not yet ended nor closed by a timer in the last build run (all its chunks).",
		}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "acdstat_sip_calls_evicted_total",
			Help: "SIP calls closed because a build held more than the maximum of calls.",
		}),
		run: &runTally{},
	}
	for _, m := range []prometheus.Collector{c.open, c.evicted} {
		if err := reg.Register(m); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// WithNumbers returns a correlator that maps dialled numbers to queues by
// numbers and shares c's settings otherwise and its metrics: the build job
// makes one per version of the queue settings.
func (c *Correlator) WithNumbers(numbers map[string]string) *Correlator {
	d := *c
	d.cfg.Numbers = numbers
	return &d
}

// Build is a cdr.BuildFunc.
func (c *Correlator) Build(events []cdr.Event, opt cdr.BuildOptions) []cdr.QueueCall {
	calls, st := buildCalls(events, opt, c.cfg)
	c.run.mu.Lock()
	if !opt.Now.Equal(c.run.now) {
		c.run.now, c.run.open = opt.Now, 0
	}
	c.run.open += st.Open
	c.open.Set(float64(c.run.open))
	c.run.mu.Unlock()
	c.evicted.Add(float64(st.Evicted))
	return calls
}
