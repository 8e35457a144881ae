package intake

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// failingListener is a listener whose first n Accepts fail as accept fails
// when the process is out of descriptors (EMFILE), before it accepts again.
type failingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestSIPTCPGoesOnAfterAcceptErrors is the attack of issue 12 item 1: out
// of descriptors, accept fails; once descriptors are free again, the next
// SIP connection must still be served (the listener stopped for good).
func TestSIPTCPGoesOnAfterAcceptErrors(t *testing.T) {
	l, col, _ := newTestListener(t, Config{SIP: SIPConfig{HEPAddr: Off, SIPAddr: "127.0.0.1:0"}})
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: l.sipTCP}
	fl.n.Store(5)
	l.sipTCP = fl
	serveListener(t, l)
	c, err := net.DialTimeout("tcp", l.SIPAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, sipMessage("INVITE", "emfile-1", "")); err != nil {
		t.Fatal(err)
	}
	evs := col.wait(t, 1)
	if evs[0].CallID != "emfile-1" {
		t.Errorf("call id %q, want emfile-1", evs[0].CallID)
	}
	if n := fl.n.Load(); n >= 0 {
		t.Errorf("%d accept errors not yet returned", n+1)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSIPTCPHalfSentMessagesAreCut is the attack of issue 12 item 1: 3,000
// connections that each send half a SIP message and stop held their
// buffers for ever. The idle deadline must cut every one, the memory must
// return, and a whole message must still be taken afterwards.
func TestSIPTCPHalfSentMessagesAreCut(t *testing.T) {
	const conns = 3000
	idle := 500 * time.Millisecond
	l, col, _ := newTestListener(t, Config{
		SIP:    SIPConfig{HEPAddr: Off, SIPAddr: "127.0.0.1:0"},
		Limits: Limits{ConnIdle: idle, MaxConns: 2 * conns, MaxConnsPerSource: 2 * conns},
	})
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	serveListener(t, l)
	before := heapInUse()
	half := sipMessage("INVITE", "half", "")[:60]
	cs := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	start := time.Now()
	for range conns {
		c, err := net.DialTimeout("tcp", l.SIPAddr(), 5*time.Second)
		if err != nil {
			t.Fatalf("after %d connections: %v", len(cs), err)
		}
		cs = append(cs, c)
		if _, err := io.WriteString(c, half); err != nil {
			t.Fatal(err)
		}
	}
	// Every connection must be closed by the server within the deadline
	// (plus the time it took to open them all, and slack for a loaded
	// machine): a read sees the end of the stream, not our own timeout.
	deadline := start.Add(time.Since(start) + idle + 10*time.Second)
	var wg sync.WaitGroup
	var open atomic.Int32
	for _, c := range cs {
		wg.Go(func() {
			_ = c.SetReadDeadline(deadline)
			_, err := c.Read(make([]byte, 1))
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open.Add(1)
			}
		})
	}
	wg.Wait()
	if n := open.Load(); n > 0 {
		t.Fatalf("%d of %d half-sent connections still open after %s", n, conns, time.Since(start).Round(time.Millisecond))
	}
	for _, c := range cs {
		c.Close()
	}
	cs = cs[:0]
	// The server's buffers of the cut connections are free again: within
	// 8 MiB of what the listener held before (3,000 held 64 KiB each).
	var after uint64
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if after = heapInUse(); after < before+8<<20 || time.Now().After(end) {
			break
		}
	}
	t.Logf("heap before %d KiB, after %d KiB", before>>10, after>>10)
	if after > before+8<<20 {
		t.Errorf("heap after the cut is %d KiB, before the attack %d KiB", after>>10, before>>10)
	}
	c, err := net.DialTimeout("tcp", l.SIPAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, sipMessage("INVITE", "whole-1", "")); err != nil {
		t.Fatal(err)
	}
	if evs := col.wait(t, 1); evs[0].CallID != "whole-1" {
		t.Errorf("call id %q, want whole-1", evs[0].CallID)
	}
}

// brokenListener fails every Accept with an error no pause mends.
type brokenListener struct{ net.Listener }

func (l brokenListener) Accept() (net.Conn, error) {
	return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EINVAL)}
}

// TestGateReportsAStoppedListener: a listener that stopped for good makes
// the node not ready, named in Ready's reason and in acdstat_listener_up.
func TestGateReportsAStoppedListener(t *testing.T) {
	reg := prometheus.NewRegistry()
	g, err := NewGate(Limits{}, slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	l, _, _ := newTestListener(t, Config{SIP: SIPConfig{HEPAddr: Off, SIPAddr: "127.0.0.1:0"}})
	l.SetGate(g)
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := g.Ready(); err != nil {
		t.Fatalf("ready before serving: %v", err)
	}
	l.sipTCP = brokenListener{l.sipTCP}
	serveListener(t, l)
	for end := time.Now().Add(5 * time.Second); g.Ready() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("a listener that stopped is still ready")
		}
	}
	if err := g.Ready(); !strings.Contains(err.Error(), "sip_tcp") {
		t.Errorf("Ready() = %v, want it to name sip_tcp", err)
	}
	if up := testutil.ToFloat64(g.up.WithLabelValues("sip_tcp")); up != 0 {
		t.Errorf("acdstat_listener_up{listener=sip_tcp} = %v, want 0", up)
	}
}

// TestGateLimitsConnections: connections beyond the limit per source are
// closed at once; those within it are served, and a place is free again
// once one of them closes.
func TestGateLimitsConnections(t *testing.T) {
	l, col, _ := newTestListener(t, Config{
		SIP:    SIPConfig{HEPAddr: Off, SIPAddr: "127.0.0.1:0"},
		Limits: Limits{MaxConns: 10, MaxConnsPerSource: 2},
	})
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	serveListener(t, l)
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", l.SIPAddr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// closedByServer says whether the server closed c within a second.
	closedByServer := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, err := c.Read(make([]byte, 1))
		ne, ok := errors.AsType[net.Error](err)
		return !ok || !ne.Timeout()
	}
	a, b := dial(), dial()
	for _, c := range []net.Conn{a, b} {
		if _, err := io.WriteString(c, sipMessage("INVITE", "kept", "")); err != nil {
			t.Fatal(err)
		}
	}
	col.wait(t, 2) // both accepted and read before the third comes
	if c := dial(); !closedByServer(c) {
		t.Error("a third connection from one source is open, want it closed at once")
	}
	if closedByServer(a) {
		t.Error("a connection within the limit was closed")
	}
	a.Close()
	for end := time.Now().Add(5 * time.Second); ; {
		c := dial()
		if _, err := io.WriteString(c, sipMessage("INVITE", "again", "")); err == nil && !closedByServer(c) {
			break
		}
		if time.Now().After(end) {
			t.Fatal("no place free after a connection closed")
		}
	}
	if got := col.wait(t, 3); got[2].CallID != "again" {
		t.Errorf("call id %q, want again", got[2].CallID)
	}
}

// TestGateHTTP: net/http through the gate's Listener (serve's HTTP
// listener): it goes on after accept errors, a connection beyond the limit
// per source is closed before any request is read, and closing one frees
// its place.
func TestGateHTTP(t *testing.T) {
	g, err := NewGate(Limits{MaxConns: 10, MaxConnsPerSource: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln}
	fl.n.Store(3)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(g.Listener("http", fl, nil))
	t.Cleanup(func() { srv.Close() })
	get := func(c net.Conn) (string, error) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	first := dial()
	if body, err := get(first); err != nil || body != "ok" {
		t.Fatalf("first connection after 3 accept errors: %q, %v", body, err)
	}
	if body, err := get(dial()); err == nil {
		t.Errorf("a second connection from one source with a limit of 1 was served: %q", body)
	}
	first.Close()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if body, err := get(dial()); err == nil && body == "ok" {
			break
		}
		if time.Now().After(end) {
			t.Fatal("no place free after the first connection closed")
		}
	}
	if err := g.Ready(); err != nil {
		t.Errorf("Ready() = %v while HTTP serves", err)
	}
}

// flakyReader fails its first reads with errs, then reads the socket;
// its first read of packets fails too, with after, when that is set.
type flakyReader struct {
	inner packetReader
	errs  []error
	after error
}

func (r *flakyReader) read(batch []udpPacket, max int) ([]udpPacket, error) {
	if len(r.errs) > 0 {
		err := r.errs[0]
		r.errs = r.errs[1:]
		return batch, err
	}
	batch, err := r.inner.read(batch, max)
	if err == nil && len(batch) > 0 && r.after != nil {
		err, r.after = r.after, nil
	}
	return batch, err
}

// TestSIPUDPGoesOnAfterReadErrors: a UDP read that fails for want of
// buffers or memory, or with an ICMP error queued on the socket, is counted
// and retried, and the listener goes on taking packets; one that fails
// otherwise stops the listener for good and says so on Ready (/readyz)
// and acdstat_listener_up, instead of leaving a silent port.
func TestSIPUDPGoesOnAfterReadErrors(t *testing.T) {
	open := func(after error, errs ...error) (*SIPListener, *collector, *Gate) {
		l, col, _ := newTestListener(t, Config{SIP: SIPConfig{HEPAddr: "127.0.0.1:0", SIPAddr: Off}})
		g, err := NewGate(Limits{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		if err != nil {
			t.Fatal(err)
		}
		l.SetGate(g)
		l.udpReader = func(c *net.UDPConn) (packetReader, error) {
			r, err := newUDPReader(c)
			return &flakyReader{inner: r, errs: errs, after: after}, err
		}
		if err := l.Listen(); err != nil {
			t.Fatal(err)
		}
		serveListener(t, l)
		return l, col, g
	}
	send := func(l *SIPListener, callID string) {
		u, err := net.Dial("udp", l.HEPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer u.Close()
		if _, err := u.Write(hepOf(t, sipMessage("INVITE", callID, ""), 7, "", time.Now())); err != nil {
			t.Fatal(err)
		}
	}

	l, col, g := open(nil, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNREFUSED, syscall.EINTR)
	send(l, "after-errors")
	if evs := col.wait(t, 1); evs[0].CallID != "after-errors" {
		t.Errorf("event %+v; want the packet sent after the failed reads", evs[0])
	}
	if got := testutil.ToFloat64(g.acceptErrors.WithLabelValues("hep_udp")); got != 4 {
		t.Errorf("read errors counted %v; want 4", got)
	}
	if err := g.Ready(); err != nil {
		t.Errorf("Ready after retried reads: %v", err)
	}
	if got := testutil.ToFloat64(g.up.WithLabelValues("hep_udp")); got != 1 {
		t.Errorf("acdstat_listener_up{hep_udp} %v; want 1", got)
	}

	// Packets read before a read failed are taken, not dropped.
	l, col, _ = open(syscall.ENOBUFS)
	send(l, "read-with-error")
	if evs := col.wait(t, 1); evs[0].CallID != "read-with-error" {
		t.Errorf("event %+v; want the packet read before the read failed", evs[0])
	}

	_, _, g = open(nil, syscall.EBADF)
	deadline := time.Now().Add(5 * time.Second)
	for g.Ready() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := g.Ready(); err == nil || !strings.Contains(err.Error(), "hep_udp") {
		t.Errorf("Ready after a read that cannot succeed: %v; want hep_udp named", err)
	}
	if got := testutil.ToFloat64(g.up.WithLabelValues("hep_udp")); got != 0 {
		t.Errorf("acdstat_listener_up{hep_udp} %v; want 0", got)
	}
}
