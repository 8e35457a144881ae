package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/sip"
)

type collector struct {
	mu  sync.Mutex
	evs []cdr.Event
}

func (c *collector) Accept(_ context.Context, evs []cdr.Event, _ []cdr.Reject) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, evs...)
	return nil
}

func (c *collector) wait(t *testing.T, n int) []cdr.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		got := append([]cdr.Event(nil), c.evs...)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d events, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startListener(t *testing.T, cfg Config) (*SIPListener, *collector, *prometheus.Registry) {
	t.Helper()
	if cfg.SIP.HEPAddr == "" {
		cfg.SIP.HEPAddr = "127.0.0.1:0"
	}
	if cfg.SIP.SIPAddr == "" {
		cfg.SIP.SIPAddr = "127.0.0.1:0"
	}
	l, col, reg := newTestListener(t, cfg)
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	serveListener(t, l)
	return l, col, reg
}

// newTestListener makes a listener with small queues that collects its
// events; it is not bound.
func newTestListener(t *testing.T, cfg Config) (*SIPListener, *collector, *prometheus.Registry) {
	t.Helper()
	cfg.SIP.QueueSize, cfg.SIP.BatchSize = 1000, 10
	col := &collector{}
	reg := prometheus.NewRegistry()
	l, err := NewSIPListener(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), reg, time.Now, col)
	if err != nil {
		t.Fatal(err)
	}
	return l, col, reg
}

// serveListener serves l until the test ends.
func serveListener(t *testing.T, l *SIPListener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return")
		}
	})
}

func sipMessage(method, callID, extra string) string {
	body := "v=0\r\n"
	return method + " sip:7001@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n" +
		"From: <sip:caller@10.0.0.1>;tag=f1\r\nTo: <sip:7001@10.0.0.2>\r\nCall-ID: " + callID + "\r\nCSeq: 1 " + method + "\r\n" +
		extra + "Content-Type: application/sdp\r\nContent-Length: " + "5" + "\r\n\r\n" + body
}

func hepOf(t *testing.T, payload string, capture uint32, pw string, at time.Time) []byte {
	t.Helper()
	b, err := sip.EncodeHEP(sip.HEPPacket{Proto: 17, Src: netip.MustParseAddrPort("192.0.2.1:5060"), Dst: netip.MustParseAddrPort("192.0.2.2:5060"),
		Time: at, PayloadType: sip.HEPTypeSIP, CaptureID: capture, AuthKey: pw, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestListenerHEP(t *testing.T) {
	l, col, reg := startListener(t, Config{SIP: SIPConfig{HEPPassword: "pw", SIPAddr: Off, Headers: sip.Headers{Link: "X-Caller-Call-ID"}}})
	at := time.Date(2025, 1, 2, 3, 4, 5, 678000000, time.UTC)
	u, err := net.Dial("udp", l.HEPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for _, pkt := range [][]byte{
		hepOf(t, sipMessage("INVITE", "udp-1", ""), 7, "pw", at),
		hepOf(t, sipMessage("INVITE", "udp-2", ""), 7, "wrong", at), // refused: password
		[]byte("HEP3\x00\x09garbage"),                               // refused: not HEP
		hepOf(t, sipMessage("OPTIONS", "udp-3", ""), 7, "pw", at),   // ignored
	} {
		if _, err := u.Write(pkt); err != nil {
			t.Fatal(err)
		}
	}
	evs := col.wait(t, 1)
	if e := evs[0]; e.CallID != "udp-1" || e.Switch != "hep-7" || e.Time.Unix() != at.Unix() || e.Micros != 678000 ||
		!strings.Contains(e.Data[4], "src=192.0.2.1%3A5060") {
		t.Errorf("udp event %+v", e)
	}
	// TCP: an agent leg's INVITE linked to udp-1, then its 200 without the
	// header, written in odd pieces.
	c, err := net.Dial("tcp", l.HEPAddr())
	if err != nil {
		t.Fatal(err)
	}
	stream := append(hepOf(t, sipMessage("INVITE", "agent-1", "X-Caller-Call-ID: udp-1\r\n"), 7, "pw", at.Add(time.Second)),
		hepOf(t, strings.Replace(sipMessage("BYE", "agent-1", ""), "CSeq: 1 BYE", "CSeq: 2 BYE", 1), 7, "pw", at.Add(2*time.Second))...)
	for len(stream) > 0 {
		n := min(len(stream), 37)
		if _, err := c.Write(stream[:n]); err != nil {
			t.Fatal(err)
		}
		stream = stream[n:]
	}
	c.Close()
	evs = col.wait(t, 3)
	for _, e := range evs[1:] {
		if e.CallID != "udp-1" || sip.LegCallID(&e) != "agent-1" {
			t.Errorf("linked event %+v", e)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if got := testutil.ToFloat64(l.rejected.WithLabelValues("auth")); got != 1 {
		t.Errorf("auth rejects %v", got)
	}
	if got := testutil.ToFloat64(l.rejected.WithLabelValues("hep")); got != 1 {
		t.Errorf("hep rejects %v", got)
	}
	if got := testutil.ToFloat64(l.ignored); got != 1 {
		t.Errorf("ignored %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "acdstat_sip_packets_received_total"); err != nil || n != 2 {
		t.Errorf("received series %d %v", n, err)
	}
}

func TestListenerPlainSIP(t *testing.T) {
	l, col, _ := startListener(t, Config{SIP: SIPConfig{HEPAddr: Off, Switch: "pbx"}})
	u, err := net.Dial("udp", l.SIPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Write([]byte(sipMessage("INVITE", "p-udp", ""))); err != nil {
		t.Fatal(err)
	}
	col.wait(t, 1)
	c, err := net.Dial("tcp", l.SIPAddr())
	if err != nil {
		t.Fatal(err)
	}
	// A keep-alive, then two messages back to back, with bodies.
	if _, err := io.WriteString(c, "\r\n\r\n"+sipMessage("INVITE", "p-tcp-1", "")+sipMessage("CANCEL", "p-tcp-1", "")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	evs := col.wait(t, 3)
	var got []string
	for _, e := range evs {
		got = append(got, e.CallID+" "+e.Verb+" "+e.Switch)
		if !strings.Contains(e.Data[4], "src=127.0.0.1") {
			t.Errorf("plain copy's source: %s", e.Data[4])
		}
	}
	if strings.Join(got, ",") != "p-udp INVITE pbx,p-tcp-1 INVITE pbx,p-tcp-1 CANCEL pbx" {
		t.Errorf("events %v", got)
	}
}

func TestListenerAllowlist(t *testing.T) {
	l, col, _ := startListener(t, Config{AllowCIDRs: "10.0.0.0/8", SIP: SIPConfig{SIPAddr: Off}})
	u, err := net.Dial("udp", l.HEPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Write(hepOf(t, sipMessage("INVITE", "x", ""), 1, "", time.Now())); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(l.rejected.WithLabelValues("source")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("packet from a source outside the allowlist was not refused")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(col.evs) != 0 {
		t.Errorf("events from a refused source: %v", col.evs)
	}
}

func TestSIPConfigValidate(t *testing.T) {
	ok := Config{SIP: SIPConfig{HEPAddr: "127.0.0.1:9060", SIPAddr: Off, QueueSize: 1, BatchSize: 1}}
	if err := ok.ValidateSIP(); err != nil {
		t.Error(err)
	}
	open := ok
	open.SIP.HEPAddr = "0.0.0.0:9060"
	if err := open.ValidateSIP(); err == nil || !strings.Contains(err.Error(), "ACDSTAT_ALLOW_CIDRS") {
		t.Errorf("open listener without allowlist: %v", err)
	}
	open.AllowCIDRs = "10.1.0.0/16,192.0.2.7"
	if err := open.ValidateSIP(); err != nil {
		t.Error(err)
	}
	open.AllowCIDRs = "nonsense"
	if err := errors.Join(open.Validate(), open.ValidateSIP()); err == nil {
		t.Error("bad CIDR accepted")
	}
}

// TestSIPListenerAppliesTheCallerNumberSetting: the listeners apply
// ACDSTAT_CALLER_NUMBERS to SIP facts as HTTP ingest does to its lines,
// before anything is handed on, and the id follows the changed fact.
func TestSIPListenerAppliesTheCallerNumberSetting(t *testing.T) {
	for _, mode := range []string{CallerHash, CallerDrop} {
		t.Run(mode, func(t *testing.T) {
			l, col, _ := startListener(t, Config{CallerNumbers: mode, CallerHashKey: testKey, SIP: SIPConfig{SIPAddr: Off}})
			u, err := net.Dial("udp", l.HEPAddr())
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			msg := strings.Replace(sipMessage("INVITE", "priv-"+mode, ""), "sip:caller@", "sip:4512345678@", 1)
			if _, err := u.Write(hepOf(t, msg, 7, "", time.Now())); err != nil {
				t.Fatal(err)
			}
			e := col.wait(t, 1)[0]
			got := sip.Caller(&e)
			if strings.Contains(e.Data[4], "4512345678") || (mode == CallerHash) != strings.HasPrefix(got, "h:") || (mode == CallerDrop) != (got == "") {
				t.Errorf("%s: caller %q in facts %q; want it hashed or dropped", mode, got, e.Data[4])
			}
			if e.ID != cdr.EventID(&e) {
				t.Errorf("%s: id %d is not that of the changed fact", mode, e.ID)
			}
		})
	}
}

// TestListenerUDPKeepsALegInOrder: with several UDP decoders, the messages
// of one leg are still decoded in the order they came, so an agent leg's
// messages after its INVITE, which alone carries the linking header, all
// join the caller's call.
func TestListenerUDPKeepsALegInOrder(t *testing.T) {
	// A buffer that takes the whole burst: no packet is lost before it is read.
	l, col, _ := startListener(t, Config{SIP: SIPConfig{SIPAddr: Off, UDPDecoders: 4, UDPBuffer: 4 << 20, Headers: sip.Headers{Link: "X-Caller-Call-ID"}}})
	u, err := net.Dial("udp", l.HEPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	const legs = 200
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range legs {
		agent, caller := fmt.Sprintf("agent-%d", i), fmt.Sprintf("caller-%d", i)
		for j, m := range []string{
			sipMessage("INVITE", agent, "X-Caller-Call-ID: "+caller+"\r\n"),
			sipMessage("ACK", agent, ""),
			strings.Replace(sipMessage("BYE", agent, ""), "CSeq: 1 BYE", "CSeq: 2 BYE", 1),
		} {
			if _, err := u.Write(hepOf(t, m, 7, "", at.Add(time.Duration(j)*time.Second))); err != nil {
				t.Fatal(err)
			}
		}
	}
	evs := col.wait(t, 3*legs)
	for _, e := range evs {
		leg := sip.LegCallID(&e)
		if want := "caller-" + strings.TrimPrefix(leg, "agent-"); e.CallID != want {
			t.Errorf("%s %s: call %q; want %q", leg, e.Verb, e.CallID, want)
		}
	}
}

func TestCallIDOf(t *testing.T) {
	for msg, want := range map[string]string{
		"INVITE sip:a SIP/2.0\r\nVia: x\r\nCall-ID:  abc@h \r\nCSeq: 1 INVITE\r\n\r\n": "abc@h",
		"SIP/2.0 200 OK\r\ncall-id:x1\r\n\r\n":                                         "x1",
		"BYE sip:a SIP/2.0\ni: compact\n\n":                                            "compact",
		"BYE sip:a SIP/2.0\r\nVia: x\r\n\r\nCall-ID: in-the-body\r\n":                  "",
		"garbage": "",
	} {
		if got := string(callIDOf([]byte(msg))); got != want {
			t.Errorf("callIDOf(%q) = %q; want %q", msg, got, want)
		}
	}
}

// TestListenerPlainUDPTimesFollowArrival: a plain SIP copy carries no time,
// so it takes the time it was read; copies read together (in one batch, or
// within the clock's resolution) still take times in the order they came,
// a microsecond apart at least, or correlation, which orders a call's
// messages by time, would see a 486 before its INVITE. The clock here
// stands still, the harshest case.
func TestListenerPlainUDPTimesFollowArrival(t *testing.T) {
	cfg := Config{SIP: SIPConfig{HEPAddr: Off, SIPAddr: "127.0.0.1:0", Switch: "pbx", UDPDecoders: 4, QueueSize: 1000, BatchSize: 10}}
	col := &collector{}
	still := time.Date(2025, 1, 2, 3, 4, 5, 999_999_000, time.UTC)
	l, err := NewSIPListener(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(), func() time.Time { return still }, col)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	serveListener(t, l)
	u, err := net.Dial("udp", l.SIPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	const calls = 20
	verbs := []string{"INVITE", "CANCEL", "BYE"}
	for i := range calls {
		for _, v := range verbs {
			if _, err := u.Write([]byte(sipMessage(v, fmt.Sprintf("t-%d", i), ""))); err != nil {
				t.Fatal(err)
			}
		}
	}
	evs := col.wait(t, calls*len(verbs))
	when := func(e cdr.Event) time.Time { return e.Time.Add(time.Duration(e.Micros) * time.Microsecond) }
	last := map[string]cdr.Event{}
	for _, e := range evs {
		if p, ok := last[e.CallID]; ok && !when(p).Before(when(e)) {
			t.Errorf("%s: %s at %s, after %s at %s", e.CallID, e.Verb, when(e).Format(time.RFC3339Nano), p.Verb, when(p).Format(time.RFC3339Nano))
		}
		last[e.CallID] = e
	}
}

// gatedSink takes events as collector does and records how many each
// hand-over held; its first Accept waits until release is closed, as a
// sink that is slow per call (the spool's fsync) makes the listener wait.
type gatedSink struct {
	collector
	blocked, release chan struct{}
	sizes            []int
}

func (s *gatedSink) Accept(ctx context.Context, evs []cdr.Event, rjs []cdr.Reject) error {
	s.mu.Lock()
	s.sizes = append(s.sizes, len(evs))
	first := len(s.sizes) == 1
	s.mu.Unlock()
	if first {
		close(s.blocked)
		<-s.release
	}
	return s.collector.Accept(ctx, evs, rjs)
}

// TestSIPSlowSinkTakesWhatWaits: while the sink is busy with a hand-over,
// the events that arrive wait in the queue; the next hand-over takes all
// of them, not ACDSTAT_SIP_BATCH_SIZE, so a sink that pays per call
// catches up instead of falling further behind and dropping UDP.
func TestSIPSlowSinkTakesWhatWaits(t *testing.T) {
	sink := &gatedSink{blocked: make(chan struct{}), release: make(chan struct{})}
	cfg := Config{SIP: SIPConfig{HEPAddr: Off, SIPAddr: "127.0.0.1:0"}}
	cfg.SIP.QueueSize, cfg.SIP.BatchSize = 1000, 10
	l, err := NewSIPListener(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(), time.Now, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	serveListener(t, l)
	c, err := net.Dial("tcp", l.SIPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const sent = 500
	send := func(from, to int) {
		var msgs strings.Builder
		for i := from; i < to; i++ {
			msgs.WriteString(sipMessage("INVITE", fmt.Sprintf("slow-%d", i), ""))
		}
		if _, err := io.WriteString(c, msgs.String()); err != nil {
			t.Fatal(err)
		}
	}
	// The first hand-over is one batch, which the sink holds on to; the
	// rest queue behind it meanwhile.
	released := false
	defer func() {
		if !released {
			close(sink.release)
		}
	}()
	send(0, cfg.SIP.BatchSize)
	<-sink.blocked
	send(cfg.SIP.BatchSize, sent)
	for deadline := time.Now().Add(10 * time.Second); len(l.queue) < sent-cfg.SIP.BatchSize; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d events queued; want %d", len(l.queue), sent-cfg.SIP.BatchSize)
		}
	}
	released = true
	close(sink.release)
	sink.wait(t, sent)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if want := []int{cfg.SIP.BatchSize, sent - cfg.SIP.BatchSize}; !slices.Equal(sink.sizes, want) {
		t.Errorf("hand-overs of %v events; want %v", sink.sizes, want)
	}
}
