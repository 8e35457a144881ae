package sip

import (
	"fmt"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

var benchInvite = []byte("INVITE sip:7001@10.0.0.2:5060 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-15506-1-0\r\n" +
	"From: sipp <sip:sipp@10.0.0.1:5070>;tag=15506SIPpTag001\r\n" +
	"To: 7001 <sip:7001@10.0.0.2:5060>\r\n" +
	"Call-ID: 1-15506@10.0.0.1\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"Contact: sip:sipp@10.0.0.1:5070\r\n" +
	"Max-Forwards: 70\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Content-Length:   129\r\n\r\n" +
	"v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

// benchProxied is an INVITE as a proxy mirrors it, in the shape of the
// load of BenchmarkHEPServe (cmd/acdstat/hep_load_timing_test.go): more
// headers than benchInvite, most of which Facts does not read.
var benchProxied = []byte("INVITE sip:7001@10.20.0.20:5060;user=phone SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 10.10.0.10:5060;branch=z9hG4bK3f2a9c81d0e7;rport\r\n" +
	"Max-Forwards: 70\r\n" +
	"Record-Route: <sip:10.10.0.1;lr;ftag=a81c7e2b90d4>\r\n" +
	"From: \"Alice Caller\" <sip:+4940987654321@10.10.0.10;user=phone>;tag=a81c7e2b90d4\r\n" +
	"To: <sip:7001@10.20.0.20;user=phone>\r\n" +
	"Call-ID: 5d1f0c9e2b7a4f3c8e6d1a0b9c8d7e6f@10.10.0.10\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"Contact: <sip:+4940987654321@10.10.0.10:5060;transport=udp>\r\n" +
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO\r\n" +
	"P-Asserted-Identity: <sip:+4940987654321@10.10.0.10>\r\n" +
	"User-Agent: peer-loadgen UAC/1.0\r\n" +
	"Content-Type: application/sdp\r\n" +
	"Content-Length: 234\r\n\r\n" +
	"v=0\r\no=- 1716239022 1716239022 IN IP4 10.10.0.10\r\ns=-\r\nc=IN IP4 10.10.0.10\r\nt=0 0\r\n" +
	"m=audio 20000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")

// proxiedMeta is the capture of benchProxied.
var proxiedMeta = Meta{Switch: "s", Time: time.Unix(1700000000, 0), Src: netip.MustParseAddrPort("10.10.0.10:5060"), Dst: netip.MustParseAddrPort("10.20.0.20:5060")}

// factsNowAndBefore are Facts and Facts as it was before it read with
// factsParser (factsBefore and sipgo's full parser): a benchmark runs both,
// the baseline in the same run.
var factsNowAndBefore = []struct {
	name  string
	facts func([]byte, Meta) (cdr.Event, error)
}{
	{"now", Facts},
	{"before", func(p []byte, m Meta) (cdr.Event, error) { return factsBefore(fullParser, p, m) }},
}

// BenchmarkFactsProxied is BenchmarkFacts on benchProxied, now and before
// (factsBefore), in one run.
func BenchmarkFactsProxied(b *testing.B) {
	for _, f := range factsNowAndBefore {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(benchProxied)))
			for b.Loop() {
				if _, err := f.facts(benchProxied, proxiedMeta); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func BenchmarkFacts(b *testing.B) {
	meta := Meta{Switch: "s", Time: time.Unix(1700000000, 0), Src: netip.MustParseAddrPort("10.0.0.1:5070"), Dst: netip.MustParseAddrPort("10.0.0.2:5060")}
	b.SetBytes(int64(len(benchInvite)))
	for b.Loop() {
		if _, err := Facts(benchInvite, meta); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkFactsBefore is BenchmarkFacts through Facts as it was before it
// read with factsParser (factsBefore and sipgo's full parser), the baseline
// measured in the same run.
func BenchmarkFactsBefore(b *testing.B) {
	meta := Meta{Switch: "s", Time: time.Unix(1700000000, 0), Src: netip.MustParseAddrPort("10.0.0.1:5070"), Dst: netip.MustParseAddrPort("10.0.0.2:5060")}
	b.SetBytes(int64(len(benchInvite)))
	for b.Loop() {
		if _, err := factsBefore(fullParser, benchInvite, meta); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkDecodeHEP(b *testing.B) {
	pkt, err := EncodeHEP(HEPPacket{Proto: 17, Src: netip.MustParseAddrPort("10.0.0.1:5070"), Dst: netip.MustParseAddrPort("10.0.0.2:5060"),
		Time: time.Unix(1700000000, 0), PayloadType: 1, CaptureID: 2001, Payload: benchInvite})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if _, err := DecodeHEP(pkt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}

// benchCalls makes n answered calls of 6 messages each, mirrored twice.
func benchCalls(b testing.TB, n int) []cdr.Event {
	var evs []cdr.Event
	for i := range n {
		l := newLeg(b, fmt.Sprintf("call-%d", i), "7001")
		ms := i * 100
		l.at(ms, "INVITE", "", 1, "INVITE", false).at(ms+1000, "180", "b", 1, "INVITE", false).
			at(ms+9000, "200", "b", 1, "INVITE", false).at(ms+9100, "ACK", "b", 1, "ACK", false)
		if i%2 == 0 { // half still talking: in flight
			l.at(ms+60000, "BYE", "b", 2, "BYE", false).at(ms+60100, "200", "b", 2, "BYE", false)
		}
		evs = append(evs, l.evs...)
		evs = append(evs, mirrored(l.evs, time.Millisecond)...)
	}
	return evs
}

func BenchmarkBuildCalls(b *testing.B) {
	for _, n := range []int{1000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			evs := benchCalls(b, n)
			b.ResetTimer()
			for b.Loop() {
				if calls := BuildCalls(evs, cdr.BuildOptions{}, testCfg); len(calls) != n {
					b.Fatalf("%d calls", len(calls))
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "calls/s")
			b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// baseMsg is a message in the form the correlation window kept before
// issue 13 (d8f03c2's sipMsg, filled as its readMsg did): the event's
// strings, pinning their memory, and its facts parsed into a url.Values.
// BenchmarkWindowMemory fills it beside the compact form, so that both are
// measured in the same run.
type baseMsg struct {
	t                         time.Time
	id                        uint64
	leg, fromTag, toTag, verb string
	code                      int
	cseqNum                   uint32
	cseqMeth                  string
	kv                        url.Values
}

// baseWindow fills the pre-issue-13 window from events.
func baseWindow(events []cdr.Event) map[[2]string][]baseMsg {
	groups := map[[2]string][]baseMsg{}
	for i := range events {
		e := &events[i]
		if e.Source != SourceSIP || e.CallID == "" {
			continue
		}
		m := baseMsg{t: e.Time.Add(time.Duration(e.Micros) * time.Microsecond), id: e.ID,
			leg: e.Data[dataCallID], fromTag: e.Data[dataFromTag], toTag: e.Data[dataToTag], verb: e.Verb}
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
		k := [2]string{e.Switch, e.CallID}
		groups[k] = append(groups[k], m)
	}
	return groups
}

// BenchmarkWindowMemory measures, for 100,000 calls in flight (1 M
// messages), in one run: the heap their events hold (the form the build job
// reads from the store), the heap the correlation window holds once filled
// from them and the events are gone, in its form before issue 13 (baseMsg:
// strings and a url.Values per message) and in its compact form now, and
// what one build from the events allocates and takes. Heap figures are the
// differences of HeapAlloc (live objects) and HeapInuse (the spans that
// hold them) from the heap before the events, each read after a GC.
func BenchmarkWindowMemory(b *testing.B) {
	const n = 100_000
	mib := func(after, before uint64) float64 { return (float64(after) - float64(before)) / (1 << 20) }
	for b.Loop() {
		var m0, m1, m2, m3, m4, m5 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		evs := benchCalls(b, n)
		events := len(evs)
		runtime.GC()
		runtime.ReadMemStats(&m1)

		start := time.Now()
		calls := BuildCalls(evs, cdr.BuildOptions{}, testCfg)
		took := time.Since(start)
		runtime.ReadMemStats(&m2)
		if len(calls) != n {
			b.Fatalf("%d calls", len(calls))
		}
		calls = nil

		// Before: the window's strings are the events', so what it
		// keeps once the events are dropped includes them.
		base := baseWindow(evs)
		evs = nil
		runtime.GC()
		runtime.ReadMemStats(&m3)
		if len(base) != n {
			b.Fatalf("%d groups", len(base))
		}
		base = nil
		runtime.GC()
		runtime.ReadMemStats(&m4)

		// Now: the same events made again (the generator is
		// deterministic), into the compact window.
		evs = benchCalls(b, n)
		w := newWindow()
		for i := range evs {
			w.add(&evs[i])
		}
		evs = nil
		runtime.GC()
		runtime.ReadMemStats(&m5)
		if len(w.groups) != n {
			b.Fatalf("%d groups", len(w.groups))
		}
		b.ReportMetric(mib(m1.HeapAlloc, m0.HeapAlloc), "MiB-events-alloc")
		b.ReportMetric(mib(m1.HeapInuse, m0.HeapInuse), "MiB-events-inuse")
		b.ReportMetric(mib(m3.HeapAlloc, m0.HeapAlloc), "MiB-before-window-alloc")
		b.ReportMetric(mib(m3.HeapInuse, m0.HeapInuse), "MiB-before-window-inuse")
		b.ReportMetric(mib(m5.HeapAlloc, m4.HeapAlloc), "MiB-window-alloc")
		b.ReportMetric(mib(m5.HeapInuse, m4.HeapInuse), "MiB-window-inuse")
		b.ReportMetric(mib(m2.TotalAlloc, m1.TotalAlloc), "MiB-allocated-by-build")
		b.ReportMetric(took.Seconds(), "s-build")
		b.ReportMetric(float64(events), "events")
		runtime.KeepAlive(w)
	}
}

// BenchmarkFactsRetained measures what an event that Facts made keeps in
// memory while it lives (the live state keeps a carrier's events for about
// 30 s): the heap held by 100,000 events of benchProxied, per event, now
// and before (factsBefore, whose strings were slices of the parser's header
// lines), in one run.
func BenchmarkFactsRetained(b *testing.B) {
	const n = 100_000
	for _, f := range factsNowAndBefore {
		b.Run(f.name, func(b *testing.B) {
			var per float64
			for b.Loop() {
				var m0, m1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m0)
				evs := make([]cdr.Event, n)
				for i := range evs {
					ev, err := f.facts(benchProxied, proxiedMeta)
					if err != nil {
						b.Fatal(err)
					}
					evs[i] = ev
				}
				runtime.GC()
				runtime.ReadMemStats(&m1)
				per = (float64(m1.HeapAlloc) - float64(m0.HeapAlloc)) / n
				runtime.KeepAlive(evs)
			}
			b.ReportMetric(per, "retained-B/event")
		})
	}
}
