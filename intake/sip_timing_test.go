//go:build linux

package intake

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/sip"
	"github.com/acdstat/acdstat/spool"
)

// benchMessages returns the SIP messages of n answered calls, INVITE, 200
// to the INVITE and BYE each, as a proxy mirrors them: all three are facts
// (none is ignored), so every packet received becomes one event.
func benchMessages(n int) [][]byte {
	const sdp = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	out := make([][]byte, 0, 3*n)
	for i := range n {
		cid := fmt.Sprintf("%d-15506@10.0.0.1", i)
		from := fmt.Sprintf("From: sipp <sip:sipp@10.0.0.1:5070>;tag=%dSIPpTag00\r\n", i)
		out = append(out,
			[]byte("INVITE sip:7001@10.0.0.2:5060 SIP/2.0\r\n"+
				"Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-15506-"+strconv.Itoa(i)+"-0\r\n"+from+
				"To: 7001 <sip:7001@10.0.0.2:5060>\r\nCall-ID: "+cid+"\r\nCSeq: 1 INVITE\r\n"+
				"Contact: sip:sipp@10.0.0.1:5070\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n"+
				"Content-Length: "+strconv.Itoa(len(sdp))+"\r\n\r\n"+sdp),
			[]byte("SIP/2.0 200 OK\r\n"+
				"Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-15506-"+strconv.Itoa(i)+"-0\r\n"+from+
				"To: 7001 <sip:7001@10.0.0.2:5060>;tag=agent"+strconv.Itoa(i)+"\r\nCall-ID: "+cid+"\r\nCSeq: 1 INVITE\r\n"+
				"Contact: sip:7001@10.0.0.2:5060\r\nContent-Type: application/sdp\r\n"+
				"Content-Length: "+strconv.Itoa(len(sdp))+"\r\n\r\n"+sdp),
			[]byte("BYE sip:7001@10.0.0.2:5060 SIP/2.0\r\n"+
				"Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-15506-"+strconv.Itoa(i)+"-2\r\n"+from+
				"To: 7001 <sip:7001@10.0.0.2:5060>;tag=agent"+strconv.Itoa(i)+"\r\nCall-ID: "+cid+"\r\nCSeq: 2 BYE\r\n"+
				"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"))
	}
	return out
}

// benchHEP wraps msgs in HEPv3 as kamailio's siptrace sends them.
func benchHEP(b *testing.B, msgs [][]byte) [][]byte {
	out := make([][]byte, len(msgs))
	at := time.Unix(1700000000, 0)
	for i, m := range msgs {
		p, err := sip.EncodeHEP(sip.HEPPacket{Proto: 17, Src: netip.MustParseAddrPort("10.0.0.1:5070"), Dst: netip.MustParseAddrPort("10.0.0.2:5060"),
			Time: at.Add(time.Duration(i) * time.Millisecond), PayloadType: sip.HEPTypeSIP, CaptureID: 2001, Payload: m})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = p
	}
	return out
}

// benchListener binds a listener with the default queue and batch sizes on
// loopback and serves it until the benchmark ends.
func benchListener(b *testing.B, hep bool, sink Sink) (*SIPListener, *prometheus.Registry) {
	b.Helper()
	cfg := SIPConfig{HEPAddr: "127.0.0.1:0", SIPAddr: Off, QueueSize: 65536, BatchSize: 2000, UDPBuffer: 4 << 20}
	if !hep {
		cfg.HEPAddr, cfg.SIPAddr = Off, "127.0.0.1:0"
	}
	reg := prometheus.NewRegistry()
	l, err := NewSIPListener(Config{SIP: cfg}, slog.New(slog.NewTextHandler(io.Discard, nil)), reg, time.Now, sink)
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Listen(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return l, reg
}

// sinkFunc is a Sink of events only.
type sinkFunc func(ctx context.Context, events []cdr.Event) error

func (f sinkFunc) Accept(ctx context.Context, events []cdr.Event, _ []cdr.Reject) error {
	return f(ctx, events)
}

// counter is a sink that only counts the events handed to it.
type counter struct{ n atomic.Int64 }

func (c *counter) Accept(_ context.Context, evs []cdr.Event, _ []cdr.Reject) error {
	c.n.Add(int64(len(evs)))
	return nil
}

// waitFor polls until f returns at least want or stays unchanged for
// quiet; it returns the last value.
func waitFor(want int64, quiet time.Duration, f func() int64) int64 {
	last, since := f(), time.Now()
	for last < want && time.Since(since) < quiet {
		time.Sleep(2 * time.Millisecond)
		if v := f(); v != last {
			last, since = v, time.Now()
		}
	}
	return last
}

// rcvbufErrors reads the kernel's count of UDP datagrams dropped for a full
// receive buffer (/proc/net/snmp, Udp: RcvbufErrors), machine-wide.
func rcvbufErrors(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if !strings.HasPrefix(line, "Udp: ") {
			continue
		}
		f := strings.Fields(line)[1:]
		if names == nil {
			names = f
			continue
		}
		for i, name := range names {
			if name == "RcvbufErrors" && i < len(f) {
				n, _ := strconv.ParseInt(f[i], 10, 64)
				return n
			}
		}
	}
	return -1
}

// BenchmarkHEPUDPRates sends HEPv3-wrapped INVITE/200/BYE packets on
// loopback at rising paced rates, each for about 2 s, to a listener whose
// sink only counts. Per rate it reports the packets sent, those the
// listener read (the rest were lost at the socket: sent − received), the
// events dropped at its full queue (acdstat_sip_dropped_total) and the
// events that reached the sink; the last sub-benchmark reports the highest
// rate with no loss at all. The receive buffer the socket got is logged.
func BenchmarkHEPUDPRates(b *testing.B) {
	pkts := benchHEP(b, benchMessages(10_000))
	best := 0
	for _, rate := range []int{10_000, 25_000, 50_000, 75_000, 100_000, 200_000} {
		b.Run(fmt.Sprintf("rate=%dk", rate/1000), func(b *testing.B) {
			for b.Loop() {
				sink := &counter{}
				l, _ := benchListener(b, true, sink)
				logRcvbuf(b, l)
				conn, err := net.Dial("udp", l.HEPAddr())
				if err != nil {
					b.Fatal(err)
				}
				received := func() int64 {
					return int64(testutil.ToFloat64(l.received.WithLabelValues("hep_udp")))
				}
				kernel0 := rcvbufErrors(b)
				cpu0 := cpuTime(b)
				sent, took := paceUDP(b, conn, pkts, rate, 2*time.Second)
				conn.Close()
				got := waitFor(int64(sent), 500*time.Millisecond, received)
				dropped := int64(testutil.ToFloat64(l.dropped))
				delivered := waitFor(got-dropped, 500*time.Millisecond, sink.n.Load)
				kernel := rcvbufErrors(b) - kernel0
				// Sender and listener share the process: the sender's part
				// is the same whatever the listener does.
				b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(max(got, 1)), "cpu-µs/pkt")
				b.ReportMetric(float64(sent), "sent")
				b.ReportMetric(float64(sent)/took.Seconds(), "sent/s")
				b.ReportMetric(float64(got), "received")
				b.ReportMetric(float64(int64(sent)-got), "socket-lost")
				b.ReportMetric(float64(kernel), "kernel-rcvbuf-errors")
				b.ReportMetric(float64(dropped), "queue-dropped")
				b.ReportMetric(float64(delivered), "delivered")
				if int64(sent) == got && dropped == 0 && delivered == got && float64(sent)/took.Seconds() >= 0.95*float64(rate) && rate > best {
					best = rate
				}
			}
		})
	}
	b.Run("max_lossless", func(b *testing.B) {
		for b.Loop() {
		}
		b.ReportMetric(float64(best), "pkts/s")
	})
}

// logRcvbuf logs the receive buffer the kernel gave the HEP UDP socket
// (SO_RCVBUF, which Linux reports doubled for its bookkeeping).
func logRcvbuf(b *testing.B, l *SIPListener) {
	rc, err := l.hepUDP.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	var size int
	var serr error
	if err := rc.Control(func(fd uintptr) { size, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) }); err != nil || serr != nil {
		b.Fatal(err, serr)
	}
	b.Logf("SO_RCVBUF %d bytes (asked %d)", size, l.cfg.UDPBuffer)
}

// paceUDP sends pkts round-robin at rate packets/s for d, a few packets at
// a time as the clock says they are due; it returns how many it sent and
// how long that took (a sender that cannot keep up sends fewer).
func paceUDP(b *testing.B, conn net.Conn, pkts [][]byte, rate int, d time.Duration) (int, time.Duration) {
	start := time.Now()
	total := int(float64(rate) * d.Seconds())
	sent := 0
	for sent < total {
		due := min(total, int(float64(rate)*time.Since(start).Seconds()))
		if due <= sent {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		for ; sent < due; sent++ {
			if _, err := conn.Write(pkts[sent%len(pkts)]); err != nil {
				b.Fatal(err)
			}
		}
		if time.Since(start) > d+time.Second {
			break // the sender cannot keep the rate; stop anyway
		}
	}
	return sent, time.Since(start)
}

// cpuTime is the CPU time (user and system) this process has used so
// far: per message it is a figure the machine's other load does not change
// much, unlike the wall-clock rates.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// streamCount is how many packets the TCP benchmarks send per operation: a
// multiple of the batch size, so the last batch is handed over at once and
// not on the 100 ms tick.
const streamCount = 240_000

// streamPackets sends count packets round-robin over one TCP connection as
// fast as the listener reads them (TCP pushes back when its queue is full).
func streamPackets(b *testing.B, addr string, pkts [][]byte, count int) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(c, 256<<10)
	for i := range count {
		if _, err := w.Write(pkts[i%len(pkts)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHEPTCP streams HEP frames over one TCP connection to a listener
// whose sink only counts, and reports the packets per second sustained:
// the time runs until every packet has reached the sink, so it is the rate
// the listener takes them at (the backlog is TCP's, bounded by its windows
// and the listener's queue).
func BenchmarkHEPTCP(b *testing.B) {
	pkts := benchHEP(b, benchMessages(10_000))
	sink := &counter{}
	l, _ := benchListener(b, true, sink)
	var want int64
	cpu0 := cpuTime(b)
	for b.Loop() {
		want += streamCount
		streamPackets(b, l.HEPAddr(), pkts, streamCount)
		if got := waitFor(want, 5*time.Second, sink.n.Load); got != want {
			b.Fatalf("sink got %d events, want %d", got, want)
		}
	}
	b.ReportMetric(float64(streamCount*b.N)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(streamCount*b.N), "cpu-µs/pkt")
}

// BenchmarkSIPEndToEnd measures SIP messages per second from the socket to
// the sink, over one TCP connection: received, decoded into events and
// handed to a sink that appends them to a slice (decoded), or to a real
// spool in a temporary directory through intake's SpoolSink, as acdstat
// serve does (spooled: one fsynced record per batch of 2,000 events).
func BenchmarkSIPEndToEnd(b *testing.B) {
	msgs := benchMessages(10_000)
	hep := benchHEP(b, msgs)
	for _, tc := range []struct {
		name  string
		hep   bool
		spool bool
	}{
		{"hep/decoded", true, false},
		{"hep/spooled", true, true},
		{"plain/decoded", false, false},
		{"plain/spooled", false, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var mu sync.Mutex
			var evs []cdr.Event
			var n atomic.Int64
			var accept sinkFunc = func(_ context.Context, batch []cdr.Event) error {
				mu.Lock()
				evs = append(evs, batch...)
				mu.Unlock()
				n.Add(int64(len(batch)))
				return nil
			}
			if tc.spool {
				sp, err := spool.Open(b.TempDir(), spool.Config{MaxBytes: 1 << 40, SegmentBytes: 64 << 20, BatchBytes: 8 << 20}, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { sp.Close() })
				sink := NewSpoolSink(sp)
				accept = func(ctx context.Context, batch []cdr.Event) error {
					if err := sink.Accept(ctx, batch, nil); err != nil {
						return err
					}
					n.Add(int64(len(batch)))
					return nil
				}
			}
			l, _ := benchListener(b, tc.hep, accept)
			addr, pkts := l.HEPAddr(), hep
			if !tc.hep {
				addr, pkts = l.SIPAddr(), msgs
			}
			var want int64
			cpu0 := cpuTime(b)
			for b.Loop() {
				want += streamCount
				streamPackets(b, addr, pkts, streamCount)
				if got := waitFor(want, 5*time.Second, n.Load); got != want {
					b.Fatalf("sink got %d events, want %d", got, want)
				}
				mu.Lock()
				evs = evs[:0] // keep the memory of one operation
				mu.Unlock()
			}
			b.ReportMetric(float64(streamCount*b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(streamCount*b.N), "cpu-µs/msg")
		})
	}
}
