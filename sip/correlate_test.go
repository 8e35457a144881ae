package sip

import (
	"fmt"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

var testCfg = CorrelationConfig{Numbers: map[string]string{"7001": "support"}}

var testHeaders = Headers{Queue: "X-Queue", Link: "X-Caller-Call-ID", Enter: "X-Enter"}

// leg writes the messages of one dialog as a mirror would see them.
type leg struct {
	t        testing.TB
	callID   string
	fromTag  string
	ruri     string
	evs      []cdr.Event
	extra    string // headers added to the INVITE
	src, dst netip.AddrPort
}

func newLeg(t testing.TB, callID, ruri string) *leg {
	return &leg{t: t, callID: callID, fromTag: "ft-" + callID, ruri: ruri,
		src: netip.MustParseAddrPort("10.0.0.1:5060"), dst: netip.MustParseAddrPort("10.0.0.2:5060")}
}

// at adds a message at t0+ms; req is "INVITE", "BYE", … or a status code;
// toTag "" for none; fromCallee swaps From and To (a request of the callee).
func (l *leg) at(ms int, what, toTag string, cseq int, cseqMethod string, fromCallee bool) *leg {
	l.t.Helper()
	from := fmt.Sprintf("<sip:caller@10.0.0.1>;tag=%s", l.fromTag)
	to := fmt.Sprintf("<sip:%s@10.0.0.2>", l.ruri)
	if toTag != "" {
		to += ";tag=" + toTag
	}
	if fromCallee {
		from, to = to, from
	}
	var b strings.Builder
	if what[0] >= '0' && what[0] <= '9' {
		fmt.Fprintf(&b, "SIP/2.0 %s Whatever\r\n", what)
	} else {
		fmt.Fprintf(&b, "%s sip:%s@10.0.0.2 SIP/2.0\r\n", what, l.ruri)
	}
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK%d%s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n",
		cseq, cseqMethod, from, to, l.callID, cseq, cseqMethod)
	if what == "INVITE" {
		b.WriteString(l.extra)
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	ev, err := Facts([]byte(b.String()), Meta{Switch: "pbx", Time: t0.Add(time.Duration(ms) * time.Millisecond),
		Src: l.src, Dst: l.dst, Headers: testHeaders})
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", what, err, b.String())
	}
	l.evs = append(l.evs, ev)
	return l
}

// mirrored returns the events again as the proxy's other side sees them:
// other addresses, a little later.
func mirrored(evs []cdr.Event, delay time.Duration) []cdr.Event {
	out := make([]cdr.Event, 0, len(evs))
	for _, e := range evs {
		t := e.Time.Add(time.Duration(e.Micros)*time.Microsecond + delay)
		e.Time, e.Micros = t.Truncate(time.Second), uint32(t.Nanosecond()/1000)
		e.Data[dataKV] = strings.Replace(e.Data[dataKV], "10.0.0.2", "10.0.0.3", 1)
		e.ID = cdr.EventID(&e)
		out = append(out, e)
	}
	return out
}

func build(t *testing.T, evs []cdr.Event, now time.Time) string {
	t.Helper()
	return formatCalls(BuildCalls(evs, cdr.BuildOptions{Now: now}, testCfg))
}

func TestCorrelate(t *testing.T) {
	answered := func(t testing.TB) *leg {
		return newLeg(t, "c1", "7001").
			at(0, "INVITE", "", 1, "INVITE", false).
			at(1000, "180", "b1", 1, "INVITE", false).
			at(12500, "200", "b1", 1, "INVITE", false).
			at(12600, "ACK", "b1", 1, "ACK", false).
			at(72900, "BYE", "b1", 2, "BYE", false).
			at(73000, "200", "b1", 2, "BYE", false)
	}
	const answeredWant = "pbx c1 queue=support seq=0 answered enter=2025-06-02T09:00:00Z answer=2025-06-02T09:00:12Z end=2025-06-02T09:01:12Z wait=12 talk=60 agent=\"\" caller=\"caller\" end_verb=\"BYE\" last=2025-06-02T09:01:13Z\n"
	tests := []struct {
		name string
		evs  func(t testing.TB) []cdr.Event
		now  time.Time
		want string
	}{
		{"answered", func(t testing.TB) []cdr.Event { return answered(t).evs }, time.Time{}, answeredWant},
		{"mirrored twice and retransmitted", func(t testing.TB) []cdr.Event {
			l := answered(t)
			l.at(500, "INVITE", "", 1, "INVITE", false). // retransmission
									at(13000, "200", "b1", 1, "INVITE", false) // 2xx retransmission
			evs := append(l.evs, mirrored(l.evs, 800*time.Microsecond)...)
			return append(evs, evs...) // and every packet sent twice
		}, time.Time{}, answeredWant},
		{"re-INVITE", func(t testing.TB) []cdr.Event {
			l := answered(t)
			l.at(30000, "INVITE", "b1", 2, "INVITE", false).at(30100, "200", "b1", 2, "INVITE", false)
			return l.evs
		}, time.Time{}, answeredWant},
		{"407 challenge then INVITE", func(t testing.TB) []cdr.Event {
			return newLeg(t, "c1", "7001").
				at(0, "INVITE", "", 1, "INVITE", false).
				at(10, "407", "px", 1, "INVITE", false).
				at(20, "ACK", "px", 1, "ACK", false).
				at(30, "INVITE", "", 2, "INVITE", false).
				at(12500, "200", "b1", 2, "INVITE", false).
				at(72900, "BYE", "b1", 3, "BYE", true).evs
		}, time.Time{}, "pbx c1 queue=support seq=0 answered enter=2025-06-02T09:00:00Z answer=2025-06-02T09:00:12Z end=2025-06-02T09:01:12Z wait=12 talk=60 agent=\"\" caller=\"caller\" end_verb=\"BYE\" last=2025-06-02T09:01:12Z\n"},
		{"forked, two 2xx: the first wins", func(t testing.TB) []cdr.Event {
			return newLeg(t, "c1", "7001").
				at(0, "INVITE", "", 1, "INVITE", false).
				at(3000, "180", "ua1", 1, "INVITE", false).
				at(3100, "180", "ua2", 1, "INVITE", false).
				at(5200, "200", "ua2", 1, "INVITE", false).
				at(5300, "200", "ua1", 1, "INVITE", false).
				at(9900, "BYE", "ua2", 2, "BYE", false).evs
		}, time.Time{}, "pbx c1 queue=support seq=0 answered enter=2025-06-02T09:00:00Z answer=2025-06-02T09:00:05Z end=2025-06-02T09:00:09Z wait=5 talk=4 agent=\"\" caller=\"caller\" end_verb=\"BYE\" last=2025-06-02T09:00:09Z\n"},
		{"abandoned by CANCEL", func(t testing.TB) []cdr.Event {
			return newLeg(t, "c1", "7001").
				at(0, "INVITE", "", 1, "INVITE", false).
				at(1000, "180", "b1", 1, "INVITE", false).
				at(47900, "CANCEL", "", 1, "CANCEL", false).
				at(47950, "200", "b1", 1, "CANCEL", false).
				at(48000, "487", "b1", 1, "INVITE", false).
				at(48010, "ACK", "b1", 1, "ACK", false).evs
		}, time.Time{}, "pbx c1 queue=support seq=0 abandoned enter=2025-06-02T09:00:00Z answer=- end=2025-06-02T09:00:47Z wait=47 talk=0 agent=\"\" caller=\"caller\" end_verb=\"CANCEL\" last=2025-06-02T09:00:48Z\n"},
		{"abandoned by 487 alone (CANCEL not captured)", func(t testing.TB) []cdr.Event {
			return newLeg(t, "c1", "7001").
				at(0, "INVITE", "", 1, "INVITE", false).
				at(20000, "487", "b1", 1, "INVITE", false).evs
		}, time.Time{}, "pbx c1 queue=support seq=0 abandoned enter=2025-06-02T09:00:00Z answer=- end=2025-06-02T09:00:20Z wait=20 talk=0 agent=\"\" caller=\"caller\" end_verb=\"487\" last=2025-06-02T09:00:20Z\n"},
		{"rejected 486", func(t testing.TB) []cdr.Event {
			return newLeg(t, "c1", "7001").
				at(0, "INVITE", "", 1, "INVITE", false).
				at(1000, "180", "b1", 1, "INVITE", false).
				at(3000, "486", "b1", 1, "INVITE", false).
				at(3010, "ACK", "b1", 1, "ACK", false).evs
		}, time.Time{}, "pbx c1 queue=support seq=0 exit_other enter=2025-06-02T09:00:00Z answer=- end=2025-06-02T09:00:03Z wait=3 talk=0 agent=\"\" caller=\"caller\" end_verb=\"486\" last=2025-06-02T09:00:03Z\n"},
		{"no BYE: open, then stale", func(t testing.TB) []cdr.Event {
			return answered(t).evs[:4]
		}, t0.Add(5 * time.Hour), "pbx c1 queue=support seq=0 answered enter=2025-06-02T09:00:00Z answer=2025-06-02T09:00:12Z end=2025-06-02T09:00:12Z wait=12 talk=0 agent=\"\" caller=\"caller\" end_verb=\"stale\" last=2025-06-02T09:00:12Z\n"},
		{"no BYE yet", func(t testing.TB) []cdr.Event {
			return answered(t).evs[:4]
		}, t0.Add(time.Hour), "pbx c1 queue=support seq=0 answered enter=2025-06-02T09:00:00Z answer=2025-06-02T09:00:12Z end=2025-06-02T09:00:12Z wait=12 talk=0 agent=\"\" caller=\"caller\" end_verb=\"\" last=2025-06-02T09:00:12Z\n"},
		{"no final answer: unknown once stale", func(t testing.TB) []cdr.Event {
			return answered(t).evs[:2]
		}, t0.Add(5 * time.Hour), "pbx c1 queue=support seq=0 unknown enter=2025-06-02T09:00:00Z answer=- end=2025-06-02T09:00:01Z wait=1 talk=0 agent=\"\" caller=\"caller\" end_verb=\"stale\" last=2025-06-02T09:00:01Z\n"},
		{"still waiting", func(t testing.TB) []cdr.Event {
			return answered(t).evs[:2]
		}, t0.Add(time.Minute), "pbx c1 queue=support seq=0 waiting enter=2025-06-02T09:00:00Z answer=- end=2025-06-02T09:00:01Z wait=1 talk=0 agent=\"\" caller=\"caller\" end_verb=\"\" last=2025-06-02T09:00:01Z\n"},
		{"not a queue number", func(t testing.TB) []cdr.Event {
			return newLeg(t, "c1", "5555").at(0, "INVITE", "", 1, "INVITE", false).at(10, "486", "x", 1, "INVITE", false).evs
		}, time.Time{}, ""},
		{"no INVITE seen", func(t testing.TB) []cdr.Event {
			return answered(t).evs[2:]
		}, time.Time{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := build(t, tc.evs(t), tc.now); got != tc.want {
				t.Errorf("got\n%swant\n%s", got, tc.want)
			}
		})
	}
}

// ivrCall: the switch's IVR answers the caller at once (queue header and
// entry stamp on the caller's INVITE), then rings an agent with the caller's
// Call-ID in X-Caller-Call-ID.
func ivrCall(t testing.TB, agentAnswers bool) []cdr.Event {
	caller := newLeg(t, "cl", "800")
	caller.extra = "X-Queue: sales\r\nX-Enter: 2025-06-02T09:00:02.5Z\r\n"
	caller.at(0, "INVITE", "", 1, "INVITE", false).
		at(300, "200", "ivr", 1, "INVITE", false).
		at(310, "ACK", "ivr", 1, "ACK", false)
	agent := newLeg(t, "ag", "agent7")
	agent.extra = "X-Caller-Call-ID: cl\r\n"
	agent.at(4000, "INVITE", "", 1, "INVITE", false).at(4100, "180", "a7", 1, "INVITE", false)
	// Only the INVITE carries the header: the listener's link table gives
	// the rest of the agent leg the caller's Call-ID.
	if agentAnswers {
		agent.at(9600, "200", "a7", 1, "INVITE", false).at(69700, "BYE", "a7", 2, "BYE", true)
		caller.at(69800, "BYE", "ivr", 2, "BYE", true)
	} else {
		caller.at(30000, "BYE", "ivr", 2, "BYE", false)
		agent.at(30100, "CANCEL", "", 1, "CANCEL", false).at(30200, "487", "a7", 1, "INVITE", false)
	}
	evs := append([]cdr.Event(nil), caller.evs...)
	for _, e := range agent.evs {
		e.CallID = "cl"
		e.ID = cdr.EventID(&e)
		evs = append(evs, e)
	}
	return evs
}

func TestCorrelateIVRFirst(t *testing.T) {
	got := build(t, ivrCall(t, true), time.Time{})
	want := "pbx cl queue=sales seq=0 answered enter=2025-06-02T09:00:02Z answer=2025-06-02T09:00:09Z end=2025-06-02T09:01:09Z wait=7 talk=60 agent=\"agent7\" caller=\"caller\" end_verb=\"BYE\" last=2025-06-02T09:01:09Z\n"
	if got != want {
		t.Errorf("answered by agent: got\n%swant\n%s", got, want)
	}
	got = build(t, ivrCall(t, false), time.Time{})
	want = "pbx cl queue=sales seq=0 abandoned enter=2025-06-02T09:00:02Z answer=- end=2025-06-02T09:00:30Z wait=27 talk=0 agent=\"\" caller=\"caller\" end_verb=\"BYE\" last=2025-06-02T09:00:30Z\n"
	if got != want {
		t.Errorf("caller hung up in the queue: got\n%swant\n%s", got, want)
	}
	// With IVRFirst set, the IVR's answer is not an answer even before any
	// agent leg is seen.
	evs := ivrCall(t, true)[:3]
	calls := BuildCalls(evs, cdr.BuildOptions{Now: t0.Add(time.Minute)}, CorrelationConfig{IVRFirst: true})
	if len(calls) != 1 || calls[0].Outcome != cdr.Waiting {
		t.Errorf("IVRFirst: %s", formatCalls(calls))
	}
}

func TestCorrelateMaxCalls(t *testing.T) {
	var evs []cdr.Event
	for i := range 5 {
		evs = append(evs, newLeg(t, fmt.Sprintf("c%d", i), "7001").at(i*1000, "INVITE", "", 1, "INVITE", false).evs...)
	}
	calls, st := buildCalls(evs, cdr.BuildOptions{Now: t0.Add(time.Minute)}, CorrelationConfig{Numbers: testCfg.Numbers, MaxCalls: 3})
	if st.Evicted != 2 || st.Open != 3 {
		t.Errorf("stats %+v", st)
	}
	for i, c := range calls {
		if wantEvicted := i < 2; (c.EndVerb == EvictedVerb) != wantEvicted || (c.Outcome == cdr.Unknown) != wantEvicted {
			t.Errorf("call %d: %s %s", i, c.Outcome, c.EndVerb)
		}
	}
}

// TestWindowMemory holds the correlation window to the aim of issue 13,
// the messages of 100,000 calls in flight in under 300 MiB, scaled down to
// calls of BenchmarkWindowMemory's shape (ten messages each, mirrored; half
// of them still talking): the heap the window keeps once the events it was
// filled from are gone, per call, stays under 300 MiB / 100,000, and the
// window still gives every call.
func TestWindowMemory(t *testing.T) {
	const n = 2000
	const perCall = (300 << 20) / 100_000
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	evs := benchCalls(t, n)
	w := newWindow()
	for i := range evs {
		w.add(&evs[i])
	}
	evs = nil
	runtime.GC()
	runtime.ReadMemStats(&m1)
	held := (int64(m1.HeapAlloc) - int64(m0.HeapAlloc)) / n
	t.Logf("the window holds %d bytes per call in flight", held)
	if held > perCall {
		t.Errorf("the window holds %d bytes per call in flight; want at most %d (300 MiB for 100,000 calls)", held, perCall)
	}
	calls, st := w.calls(cdr.BuildOptions{Now: t0.Add(time.Hour)}, testCfg)
	if len(calls) != n || st.Open != n/2 {
		t.Errorf("the window gave %d calls, %d open; want %d, %d open", len(calls), st.Open, n, n/2)
	}
}

// FuzzReadFacts holds the window's reading of Data[4] to url.ParseQuery and
// Get, which correlation used before the window kept a compact form.
func FuzzReadFacts(f *testing.F) {
	f.Add("dst=10.0.0.2%3A5060&from=caller&ruri=7001&src=10.0.0.1%3A5060&to=7001")
	f.Add("q=&q=sales&enter=2025-06-02T09%3A00%3A02.5Z&link=cl")
	f.Add("to=a;b&to=%zz&to=%41+b&fr%6Fm=x&ruri&=y&&")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Count(s, "&") >= 10_000 {
			t.Skip("url.ParseQuery refuses more than 10,000 pairs")
		}
		kv, _ := url.ParseQuery(s)
		w := newWindow()
		var m msg
		w.readFacts(&m, s)
		for key, i := range map[string]uint32{kvQueue: m.queue, kvEnter: m.enter, kvRURIUser: m.ruri, kvToUser: m.to, kvFromUser: m.caller} {
			if got, want := w.strs[i], kv.Get(key); got != want {
				t.Errorf("%s of %q: got %q; want %q", key, s, got, want)
			}
		}
	})
}
