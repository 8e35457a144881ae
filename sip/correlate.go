package sip

import (
	"cmp"
	"math"
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

// The window. BuildCalls puts every event into a window, which keeps of each
// message only what the rules above read, in a fixed-size form (msg): the
// capture time in microseconds, the event ID, the CSeq number, the status
// code as a number, whether the To header has a tag and whether the CSeq
// method is INVITE, and every string it compares or reports (the leg's
// Call-ID, the From-tag, the verb, the queue, enter, Request-URI, To and
// From facts of Data[4]) as an index into the window's strings, each held
// once however many messages carry it. The events' URL-encoded facts are
// read once, when a message enters the window, and the window never shares
// memory with the events it was filled from, so a caller may let them go.

// msg is one message as correlation reads it (see "The window").
type msg struct {
	at    int64 // capture time, Unix microseconds
	id    uint64
	cseq  uint32 // CSeq number, 0 when it is not one
	code  uint16 // status code of a response (at most 65535), 0 for a request
	flags uint8
	// Indices into window.strs; 0 is "" (the fact is absent or empty).
	leg, fromTag, verb             uint32
	queue, enter, ruri, to, caller uint32
}

// Flags of msg.
const (
	toTagged   uint8 = 1 << iota // the To header has a tag
	cseqInvite                   // the CSeq method is INVITE
)

func (m *msg) time() time.Time { return time.UnixMicro(m.at).UTC() }

// Indices of the strings every window interns first, so that correlation
// compares verbs as numbers.
const (
	strNone uint32 = iota // ""
	strInvite
	strCancel
	strBye
)

// groupKey is a call's correlation key, (Switch, CallID), interned.
type groupKey struct{ sw, callID uint32 }

// window is the correlation window: the messages of the calls being
// correlated, grouped by call, in the compact form of "The window".
type window struct {
	strs   []string          // interned strings; strs[0] is ""
	index  map[string]uint32 // the index of each string in strs
	groups map[groupKey][]msg
}

func newWindow() *window {
	w := &window{index: map[string]uint32{}, groups: map[groupKey][]msg{}}
	for _, s := range []string{"", "INVITE", "CANCEL", "BYE"} {
		w.intern(s)
	}
	return w
}

// intern returns the index of s in the window's strings, adding a copy of
// s when it is new: a string the window keeps never pins the memory of the
// event (or the decoded column) it came from.
func (w *window) intern(s string) uint32 {
	if i, ok := w.index[s]; ok {
		return i
	}
	s = strings.Clone(s)
	i := uint32(len(w.strs))
	w.strs = append(w.strs, s)
	w.index[s] = i
	return i
}

// add puts one event into the window; events of other sources and events
// without a correlation key are ignored.
func (w *window) add(e *cdr.Event) {
	if e.Source != SourceSIP || e.CallID == "" {
		return
	}
	k := groupKey{w.intern(e.Switch), w.intern(e.CallID)}
	w.groups[k] = append(w.groups[k], w.msg(e))
}

// msg reads one event into its compact form.
func (w *window) msg(e *cdr.Event) msg {
	m := msg{
		// Event times are whole seconds and Micros their fraction
		// (cdr.Event), so nothing finer than a microsecond is lost.
		at:      e.Time.UnixMicro() + int64(e.Micros),
		id:      e.ID,
		leg:     w.intern(e.Data[dataCallID]),
		fromTag: w.intern(e.Data[dataFromTag]),
		verb:    w.intern(e.Verb),
	}
	if m.id == 0 {
		m.id = cdr.EventID(e)
	}
	if e.Data[dataToTag] != "" {
		m.flags |= toTagged
	}
	// Only a positive code is read as one, and every code above 699 plays
	// the same part as 65535 (a final answer that is not 401, 407 or 487).
	if c, err := strconv.Atoi(e.Verb); err == nil && c > 0 {
		m.code = uint16(min(c, math.MaxUint16))
	}
	num, meth, _ := strings.Cut(e.Data[dataCSeq], " ")
	if n, err := strconv.ParseUint(num, 10, 32); err == nil {
		m.cseq = uint32(n)
	}
	if meth == "INVITE" {
		m.flags |= cseqInvite
	}
	w.readFacts(&m, e.Data[dataKV])
	return m
}

// readFacts reads the facts correlation needs from Data[dataKV], a URL query
// string (Facts writes it with url.Values.Encode), as url.ParseQuery and
// Get read it: pairs split at '&', a pair with a ';' or one that does not
// unescape is skipped, and of a key given twice the first value counts.
// Unlike ParseQuery it has no cap on the number of pairs (its default
// refuses a string of more than 10,000): the string is read in one pass
// and only the keys below are kept.
func (w *window) readFacts(m *msg, s string) {
	var seen uint8
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		var field *uint32
		var bit uint8
		switch k {
		case kvQueue:
			field, bit = &m.queue, 1
		case kvEnter:
			field, bit = &m.enter, 2
		case kvRURIUser:
			field, bit = &m.ruri, 4
		case kvToUser:
			field, bit = &m.to, 8
		case kvFromUser:
			field, bit = &m.caller, 16
		default:
			continue
		}
		if seen&bit != 0 {
			continue
		}
		if v, err = url.QueryUnescape(v); err != nil {
			continue
		}
		seen |= bit
		*field = w.intern(v)
	}
}

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
	w := newWindow()
	for i := range events {
		w.add(&events[i])
	}
	return w.calls(opt, cfg)
}

// calls correlates the window's groups into queue calls.
func (w *window) calls(opt cdr.BuildOptions, cfg CorrelationConfig) ([]cdr.QueueCall, BuildStats) {
	var st BuildStats
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = cdr.DefaultStaleAfter
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = DefaultMaxCalls
	}
	type built struct {
		call cdr.QueueCall
		open bool
		last time.Time
	}
	var out []built
	for k, msgs := range w.groups {
		slices.SortFunc(msgs, func(a, b msg) int {
			return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id))
		})
		msgs = slices.CompactFunc(msgs, func(a, b msg) bool { return a.id == b.id })
		c, ok := w.correlate(k, msgs, cfg)
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
func (w *window) correlate(k groupKey, msgs []msg, cfg CorrelationConfig) (correlated, bool) {
	var r correlated
	offer := -1
	agentLegs := false
	for i := range msgs {
		m := &msgs[i]
		if m.leg != k.callID {
			agentLegs = true
			continue
		}
		if offer < 0 && m.verb == strInvite && m.flags&toTagged == 0 {
			offer = i
		}
	}
	if offer < 0 {
		return r, false
	}
	o := &msgs[offer]
	callerTag := o.fromTag
	queue := ""
	enter := o.time()
	enterSet := false
	for i := range msgs {
		m := &msgs[i]
		if m.leg != k.callID {
			continue
		}
		if queue == "" {
			queue = w.strs[m.queue]
		}
		if !enterSet {
			if t, ok := parseEnter(w.strs[m.enter]); ok {
				enter, enterSet = t, true
			}
		}
	}
	if queue == "" {
		queue = cfg.Numbers[w.strs[o.ruri]]
	}
	if queue == "" {
		queue = cfg.Numbers[w.strs[o.to]]
	}
	if queue == "" {
		return r, false
	}
	ivr := cfg.IVRFirst || agentLegs
	initial := map[uint32]bool{} // CSeq numbers of the caller's initial INVITEs
	agentInvites := map[uint32]map[uint32]bool{}
	var (
		answered, ended bool
		answerT, endT   time.Time
		outcome         = cdr.Waiting
		endVerb, agent  string
		agentLeg        uint32
	)
	end := func(m *msg, o cdr.Outcome) {
		ended, endT, endVerb = true, m.time(), w.strs[m.verb]
		if !answered {
			outcome = o
		}
	}
	for i := offer; i < len(msgs); i++ {
		m := &msgs[i]
		r.last = m.time()
		if ended {
			continue
		}
		invite := m.flags&cseqInvite != 0
		if m.leg == k.callID {
			switch {
			case m.verb == strInvite && m.flags&toTagged == 0 && m.fromTag == callerTag:
				initial[m.cseq] = true
			case m.verb == strCancel && !answered:
				end(m, cdr.Abandoned)
			case m.verb == strBye && answered:
				end(m, cdr.Answered)
			case m.verb == strBye && m.fromTag == callerTag:
				end(m, cdr.Abandoned)
			case m.verb == strBye:
				end(m, cdr.ExitOther)
			case m.code > 0 && invite && initial[m.cseq] && !answered:
				switch {
				case m.code >= 200 && m.code < 300:
					if !ivr {
						answered, answerT, outcome = true, m.time(), cdr.Answered
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
		case m.verb == strInvite && m.flags&toTagged == 0:
			if agentInvites[m.leg] == nil {
				agentInvites[m.leg] = map[uint32]bool{}
			}
			agentInvites[m.leg][m.cseq] = true
		case ivr && !answered && m.code >= 200 && m.code < 300 && invite &&
			(agentInvites[m.leg] == nil || agentInvites[m.leg][m.cseq]):
			answered, answerT, outcome = true, m.time(), cdr.Answered
			agentLeg, agent = m.leg, w.strs[m.to]
		case answered && m.verb == strBye && m.leg == agentLeg:
			end(m, cdr.Answered)
		}
	}
	c := cdr.QueueCall{
		Switch:        w.strs[k.sw],
		CallID:        w.strs[k.callID],
		Queue:         queue,
		Outcome:       outcome,
		EnterTime:     enter.Truncate(time.Second),
		Agent:         agent,
		Caller:        w.strs[o.caller],
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
