package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Gate is the one guard in front of every TCP listener of acdstat (HTTP,
// HEP and SIP over TCP), so that no sender can stop a listener or make it
// hold more than Limits allow (issue 12):
//
//   - An accept that fails for want of a resource (EMFILE, ENFILE, ENOBUFS,
//     ENOMEM, an aborted connection) is retried after a pause that starts at
//     5 ms and doubles up to 1 s, as net/http does, instead of ending the
//     listener: once descriptors are free again, the next sender is served.
//   - A source outside the listener's allowlist is closed as soon as it is
//     accepted, before anything is read from it or allocated for it.
//   - Connections are counted per source address and in all; one beyond
//     Limits.MaxConnsPerSource or Limits.MaxConns is closed at once. The
//     total stays below the open-file limit, so accept keeps a descriptor.
//   - A listener whose accept fails otherwise has stopped for good: Ready
//     names it, and acdstat_listener_up{listener} is 0.
//
// The idle deadline (Limits.ConnIdle) is the stream readers' to apply, per
// message (SIPListener.readStream); HTTP has the server's timeouts. One
// Gate is shared by all listeners of a process: the limits are on the
// process's descriptors, whichever port they come through. It is safe for
// concurrent use.
type Gate struct {
	lim Limits
	log *slog.Logger

	mu        sync.Mutex
	total     int
	perSource map[netip.Addr]int
	// down holds the listeners that stopped for good, with their error.
	down map[string]error

	up           *prometheus.GaugeVec
	open         *prometheus.GaugeVec
	refused      *prometheus.CounterVec
	acceptErrors *prometheus.CounterVec
	idleCut      *prometheus.CounterVec
}

// NewGate returns a gate with lim (zero fields: the defaults) and registers
// its metrics on reg (nil: none).
func NewGate(lim Limits, log *slog.Logger, reg prometheus.Registerer) (*Gate, error) {
	g := &Gate{
		lim: lim.orDefault(), log: log, perSource: map[netip.Addr]int{}, down: map[string]error{},
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "acdstat_listener_up", Help: "1 while the listener accepts connections, 0 once it stopped for good (see /readyz with the metrics token).",
		}, []string{"listener"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "acdstat_listener_connections", Help: "Open connections, by listener.",
		}, []string{"listener"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_listener_refused_total", Help: "Connections closed as soon as accepted, by listener and reason (source: outside ACDSTAT_ALLOW_CIDRS; per_source, total: beyond ACDSTAT_MAX_CONNS_PER_SOURCE, ACDSTAT_MAX_CONNS).",
		}, []string{"listener", "reason"}),
		acceptErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_listener_accept_errors_total", Help: "Accepts (TCP) or reads (UDP) that failed for want of a resource (such as descriptors or buffers) and were retried after a pause.",
		}, []string{"listener"}),
		idleCut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_listener_idle_closed_total", Help: "Connections closed because they completed no message within ACDSTAT_CONN_IDLE_TIMEOUT.",
		}, []string{"listener"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{g.up, g.open, g.refused, g.acceptErrors, g.idleCut} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("cannot register listener metrics: %w", err)
			}
		}
	}
	return g, nil
}

// Idle is the idle deadline of a stream connection (Limits.ConnIdle): a
// reader sets it before each message.
func (g *Gate) Idle() time.Duration { return g.lim.ConnIdle }

// IdleCut counts a connection of listener closed by its idle deadline.
func (g *Gate) IdleCut(listener string) { g.idleCut.WithLabelValues(listener).Inc() }

// Ready reports nil while every listener accepts, else an error naming
// those that stopped for good: this node then cannot take all its intake.
func (g *Gate) Ready() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.down) == 0 {
		return nil
	}
	names := make([]string, 0, len(g.down))
	for name, err := range g.down {
		names = append(names, fmt.Sprintf("%s (%v)", name, err))
	}
	slices.Sort(names)
	return fmt.Errorf("listener stopped: %s", strings.Join(names, ", "))
}

// Listener wraps ln, named name in metrics and Ready, so that its Accept
// applies the gate: it retries after resource errors, closes connections
// beyond the limits (and from outside allow, when not nil) and returns only
// connections within them, which release their place when closed. It is
// for servers with their own accept loop (net/http).
func (g *Gate) Listener(name string, ln net.Listener, allow *Allowlist) net.Listener {
	g.up.WithLabelValues(name).Set(1)
	g.open.WithLabelValues(name)
	return &gatedListener{Listener: ln, g: g, name: name, allow: allow}
}

// Serve accepts connections on ln through the gate (Listener) and runs
// handle for each on its own goroutine, until ln is closed or ctx ends; it
// then closes the connections still open and returns once every handle
// has. refused, when not nil, is told of each source refused by allow.
func (g *Gate) Serve(ctx context.Context, name string, ln net.Listener, allow *Allowlist, refused func(), handle func(net.Conn)) {
	gl := g.Listener(name, ln, allow).(*gatedListener)
	gl.refusedSource = refused
	gl.running = func() bool { return ctx.Err() == nil }
	var (
		handlers sync.WaitGroup
		mu       sync.Mutex
		conns    = map[net.Conn]struct{}{}
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			c.Close()
		}
		conns = nil
	})
	defer stop()
	defer handlers.Wait()
	for {
		c, err := gl.Accept()
		if err != nil {
			return
		}
		mu.Lock()
		if conns == nil { // ctx ended
			mu.Unlock()
			c.Close()
			return
		}
		conns[c] = struct{}{}
		mu.Unlock()
		handlers.Go(func() {
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			handle(c)
		})
	}
}

// admit takes a place for a connection from addr, or says which limit
// refuses it.
func (g *Gate) admit(addr netip.Addr) (reason string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.total >= g.lim.MaxConns:
		return "total", false
	case g.perSource[addr] >= g.lim.MaxConnsPerSource:
		return "per_source", false
	}
	g.total++
	g.perSource[addr]++
	return "", true
}

func (g *Gate) release(addr netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if g.perSource[addr]--; g.perSource[addr] <= 0 {
		delete(g.perSource, addr)
	}
}

// started marks the listener name up: a UDP listener, which has no accept
// loop, once its socket reads.
func (g *Gate) started(name string) { g.up.WithLabelValues(name).Set(1) }

func (g *Gate) stopped(name string, err error) {
	g.log.Error("listener stopped for good: restart acdstat", "listener", name, "err", err)
	g.up.WithLabelValues(name).Set(0)
	g.mu.Lock()
	g.down[name] = err
	g.mu.Unlock()
}

// Accept's pauses after a resource error, as net/http's.
const (
	acceptPauseMin = 5 * time.Millisecond
	acceptPauseMax = time.Second
)

type gatedListener struct {
	net.Listener
	g     *Gate
	name  string
	allow *Allowlist
	// refusedSource, when not nil, is told of each source allow refuses.
	refusedSource func()
	// running says whether the listener should still be open; nil: until
	// Close is called.
	running func() bool

	mu     sync.Mutex
	closed bool
}

// Accept returns the next connection within the gate's limits. It returns
// an error only when the listener is closed or has failed for good.
func (l *gatedListener) Accept() (net.Conn, error) {
	var pause time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if l.isRunning() && resourceError(err) {
				pause = min(max(2*pause, acceptPauseMin), acceptPauseMax)
				l.g.acceptErrors.WithLabelValues(l.name).Inc()
				l.g.log.Warn("cannot accept a connection; retrying", "listener", l.name, "pause", pause, "err", err)
				time.Sleep(pause)
				continue
			}
			if l.isRunning() {
				l.g.stopped(l.name, err)
			}
			return nil, err
		}
		pause = 0
		addr := addrPort(c.RemoteAddr()).Addr()
		if l.allow != nil && !l.allow.Allows(addr) {
			l.g.refused.WithLabelValues(l.name, "source").Inc()
			if l.refusedSource != nil {
				l.refusedSource()
			}
			c.Close()
			continue
		}
		if reason, ok := l.g.admit(addr); !ok {
			l.g.refused.WithLabelValues(l.name, reason).Inc()
			c.Close()
			continue
		}
		open := l.g.open.WithLabelValues(l.name)
		open.Inc()
		return &gatedConn{Conn: c, release: sync.OnceFunc(func() { l.g.release(addr); open.Dec() })}, nil
	}
}

// Close closes the listener; an accept error after it is no failure.
func (l *gatedListener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.Listener.Close()
}

func (l *gatedListener) isRunning() bool {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	return !closed && (l.running == nil || l.running())
}

// resourceError says whether an accept error is for want of a resource or
// a connection that went away before it was accepted: the listener itself
// is fine, and accept succeeds again later.
func resourceError(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN, syscall.EPROTO, syscall.ETIMEDOUT} {
		if errors.Is(err, e) {
			return true
		}
	}
	// net/http's rule for the rest.
	var temp interface{ Temporary() bool }
	return errors.As(err, &temp) && temp.Temporary()
}

// gatedConn gives back its place in the gate when closed.
type gatedConn struct {
	net.Conn
	release func()
}

func (c *gatedConn) Close() error {
	c.release()
	return c.Conn.Close()
}
