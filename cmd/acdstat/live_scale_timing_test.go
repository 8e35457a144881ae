package main

import (
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/sip"
)

// sipLoad is rate SIP calls a second for d, as a mirror of the switch
// sees them: each a caller leg with an INVITE (queue header), 180,
// 200, ACK, and after a minute's talk a BYE and its 200: six messages
// a call. Events are in capture order.
func sipLoad(tb testing.TB, start time.Time, rate int, d time.Duration) []cdr.Event {
	tb.Helper()
	src, dst := netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("10.0.0.2:5060")
	hdr := sip.Headers{Queue: "X-Queue"}
	var evs []cdr.Event
	calls := int(d.Seconds()) * rate
	for i := range calls {
		at := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		callID, queue := fmt.Sprintf("call-%d@pbx", i), fmt.Sprintf("q%d", i%20)
		msg := func(ms int, first, toTag string, cseq int, method string, fromCallee bool, extra string) {
			from, to := "<sip:caller@10.0.0.1>;tag=ft"+callID, "<sip:7001@10.0.0.2>"
			if toTag != "" {
				to += ";tag=" + toTag
			}
			if fromCallee {
				from, to = to, from
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%s\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK%d%s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n%sContent-Length: 0\r\n\r\n",
				first, cseq, method, from, to, callID, cseq, method, extra)
			e, err := sip.Facts([]byte(b.String()), sip.Meta{Switch: "pbx", Time: at.Add(time.Duration(ms) * time.Millisecond), Src: src, Dst: dst, Headers: hdr})
			if err != nil {
				tb.Fatalf("%s: %v", first, err)
			}
			evs = append(evs, e)
		}
		msg(0, "INVITE sip:7001@10.0.0.2 SIP/2.0", "", 1, "INVITE", false, "X-Queue: "+queue+"\r\n")
		msg(500, "SIP/2.0 180 Ringing", "a1", 1, "INVITE", false, "")
		msg(8000, "SIP/2.0 200 OK", "a1", 1, "INVITE", false, "")
		msg(8020, "ACK sip:7001@10.0.0.2 SIP/2.0", "a1", 1, "ACK", false, "")
		msg(68000, "BYE sip:7001@10.0.0.2 SIP/2.0", "a1", 2, "BYE", false, "")
		msg(68020, "SIP/2.0 200 OK", "a1", 2, "BYE", false, "")
	}
	slices.SortStableFunc(evs, func(a, b cdr.Event) int { return a.Time.Compare(b.Time) })
	return evs
}

// livePruneEvery is how often the benchmark prunes, as the follower does
// (aggregate.livePruneEvery; a minute before sealing).
const livePruneEvery = 10 * time.Second

// BenchmarkLiveSIP feeds 20 minutes of SIP at 5 calls a second (30
// events a second) to the live state as serve does: a batch and a state
// every second (the wallboard follows the changes), a prune every
// livePruneEvery (serve's cadence). It reports the CPU of the whole
// feed, that of its last minute (what a second of SIP costs once the
// state holds 20 minutes of it; it grew with the kept events where every
// state built all SIP events again), and the heap held at the end.
func BenchmarkLiveSIP(b *testing.B) {
	corr, err := sip.NewCorrelator(sip.CorrelationConfig{}, prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 10, 27, 8, 0, 0, 0, time.UTC)
	evs := sipLoad(b, start, 5, 20*time.Minute)
	var total, lastMinute time.Duration
	var heapMiB float64
	for range b.N {
		total, lastMinute = 0, 0
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		l := cdr.NewLive(cdr.LiveOptions{Sources: map[string]cdr.BuildFunc{sip.SourceSIP: corr.Build}})
		end := evs[len(evs)-1].Time
		lastPrune := start
		i := 0
		for now := start.Add(time.Second); i < len(evs); now = now.Add(time.Second) {
			j := i
			for j < len(evs) && evs[j].Time.Before(now) {
				j++
			}
			t0 := time.Now()
			l.Add(evs[i:j])
			l.State(now, nil)
			if now.Sub(lastPrune) >= livePruneEvery {
				l.Prune(now)
				lastPrune = now
			}
			d := time.Since(t0)
			total += d
			if end.Sub(now) < time.Minute {
				lastMinute += d
			}
			i = j
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heapMiB = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
		b.ReportMetric(float64(l.Kept()), "events-kept")
		runtime.KeepAlive(l)
	}
	b.ReportMetric(float64(len(evs)), "events")
	b.ReportMetric(heapMiB, "MiB-heap")
	b.ReportMetric(total.Seconds(), "s-cpu-feed")
	b.ReportMetric(float64(lastMinute.Microseconds())/1000, "ms-last-minute")
}
