package intake

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/sip"
)

// SIPConfig holds the settings of the HEP and plain SIP listeners; Config
// composes it (the source allowlist and the caller-number setting are
// Config's, shared with HTTP ingest). An address "off" disables that
// listener.
type SIPConfig struct {
	// HEPAddr receives HEPv3 over UDP and TCP on the same port.
	HEPAddr string `env:"HEP_ADDR" envDefault:"127.0.0.1:9060"`
	// SIPAddr receives plain SIP copies over UDP and TCP on the same port.
	SIPAddr string `env:"SIP_ADDR" envDefault:"127.0.0.1:5065"`
	// Switch names the switch of every SIP event (cdr.SwitchName); empty
	// means "hep-<capture id>" for HEP (sip.CaptureSwitch) and
	// cdr.DefaultSwitch for plain copies.
	Switch string `env:"SIP_SWITCH"`
	// HEPPassword, when set, must equal every HEP packet's auth key.
	HEPPassword string `env:"HEP_PASSWORD"`
	// Headers name the switch's headers that map a message to its queue,
	// its caller leg and its queue entry (ACDSTAT_SIP_*_HEADER).
	Headers sip.Headers
	// QueueSize bounds the events between the sockets and the sink; UDP
	// packets that find it full are dropped and counted.
	QueueSize int `env:"SIP_QUEUE_SIZE" envDefault:"65536"`
	// BatchSize is the most events handed to the sink at once.
	BatchSize int `env:"SIP_BATCH_SIZE" envDefault:"2000"`
}

// Off is the address value that disables a listener.
const Off = "off"

// ValidateSIP checks the settings of the HEP and plain SIP listeners
// (c.SIP, and ACDSTAT_ALLOW_CIDRS, which a listener reachable from other
// machines needs), naming the variables at fault. Validate checks the rest.
func (c Config) ValidateSIP() error {
	var errs []error
	for _, a := range []struct{ name, v string }{{"ACDSTAT_HEP_ADDR", c.SIP.HEPAddr}, {"ACDSTAT_SIP_ADDR", c.SIP.SIPAddr}} {
		if a.v == Off {
			continue
		}
		host, _, err := net.SplitHostPort(a.v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port or off: %v", a.name, a.v, err))
			continue
		}
		if ip, err := netip.ParseAddr(host); (err != nil || !ip.IsLoopback()) && host != "localhost" && c.AllowCIDRs == "" {
			errs = append(errs, fmt.Errorf("%s: %s is reachable from other machines, so ACDSTAT_ALLOW_CIDRS must list the senders", a.name, a.v))
		}
	}
	if _, err := cdr.SwitchName(c.SIP.Switch); err != nil {
		errs = append(errs, fmt.Errorf("ACDSTAT_SIP_SWITCH: %w", err))
	}
	if c.SIP.QueueSize <= 0 || c.SIP.BatchSize <= 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_SIP_QUEUE_SIZE, ACDSTAT_SIP_BATCH_SIZE: must be positive, got %d, %d", c.SIP.QueueSize, c.SIP.BatchSize))
	}
	return errors.Join(errs...)
}

// udpReadBuffer is the receive buffer asked for on UDP sockets: the default
// loses packets in bursts (research/sip-anchors.md §1.3).
const udpReadBuffer = 4 << 20

// SIPListener receives HEPv3 and plain SIP copies over UDP and TCP, turns
// each message into an event with package sip's pure functions, and hands
// the events to the sink in batches. It never sends anything back.
type SIPListener struct {
	cfg SIPConfig
	// plainSwitch is the switch of plain copies: cfg.Switch, or
	// cdr.DefaultSwitch (cdr.SwitchName); HEP's is the same when cfg.Switch
	// is set.
	plainSwitch string
	log         *slog.Logger
	now         func() time.Time
	sink        Sink
	allow       *Allowlist
	// gate guards the TCP listeners (SetGate).
	gate *Gate
	// privacy is the caller-number setting, applied to every fact.
	privacy *Privacy
	links   *linkTable
	queue   chan cdr.Event

	hepUDP, sipUDP *net.UDPConn
	hepTCP, sipTCP net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}

	received *prometheus.CounterVec
	decoded  prometheus.Counter
	ignored  prometheus.Counter
	rejected *prometheus.CounterVec
	dropped  prometheus.Counter

	// oldest is Config.oldest: with now, the range of HEP capture times.
	oldest func(now time.Time) time.Time
}

// NewSIPListener makes the HEP and plain SIP listeners of cfg.SIP; Listen
// binds them. They take senders of cfg.AllowCIDRs only and apply the
// caller-number setting of cfg (Privacy) to every fact, as HTTP ingest
// does. now is the clock that stamps messages that carry no capture time
// (plain copies, HEP without a time chunk). Events reach sink with no
// rejects: a packet that cannot be read is counted, not stored.
func NewSIPListener(cfg Config, log *slog.Logger, reg prometheus.Registerer, now func() time.Time, sink Sink) (*SIPListener, error) {
	if err := errors.Join(cfg.Validate(), cfg.ValidateSIP()); err != nil {
		return nil, err
	}
	allow, err := ParseAllowlist(cfg.AllowCIDRs)
	if err != nil {
		return nil, fmt.Errorf("ACDSTAT_ALLOW_CIDRS: %w", err)
	}
	privacy, err := NewPrivacy(cfg.CallerNumbers, cfg.CallerHashKey, cfg.CallerHashKeyFile)
	if err != nil {
		return nil, err
	}
	plainSwitch, err := cdr.SwitchName(cfg.SIP.Switch)
	if err != nil {
		return nil, fmt.Errorf("ACDSTAT_SIP_SWITCH: %w", err)
	}
	l := &SIPListener{
		cfg: cfg.SIP, plainSwitch: plainSwitch, log: log, now: now, sink: sink, allow: allow, privacy: privacy,
		links: newLinkTable(100_000),
		queue: make(chan cdr.Event, cfg.SIP.QueueSize),
		conns: map[net.Conn]struct{}{},
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_sip_packets_received_total", Help: "HEP packets and SIP messages received, by listener.",
		}, []string{"listener"}),
		decoded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "acdstat_sip_packets_decoded_total", Help: "SIP messages decoded into events.",
		}),
		ignored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "acdstat_sip_packets_ignored_total", Help: "SIP messages of no interest to queue calls (OPTIONS, REGISTER, 100 Trying, ...).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_sip_packets_rejected_total", Help: "Packets refused, by reason.",
		}, []string{"reason"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "acdstat_sip_dropped_total", Help: "UDP events dropped because the queue to the sink was full.",
		}),
	}
	l.oldest = cfg.oldest
	// A gate of its own until SetGate gives the process's.
	if l.gate, err = NewGate(cfg.Limits, log, nil); err != nil {
		return nil, err
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "acdstat_sip_queue_depth", Help: "Events waiting for the sink.",
	}, func() float64 { return float64(len(l.queue)) })
	for _, c := range []prometheus.Collector{l.received, l.decoded, l.ignored, l.rejected, l.dropped, depth} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cannot register sip metrics: %w", err)
		}
	}
	return l, nil
}

// SetGate makes the TCP listeners go through g, the gate the process's
// other listeners share (its limits are on the process's connections).
// Call it before Serve.
func (l *SIPListener) SetGate(g *Gate) { l.gate = g }

// Listen binds the enabled listeners, UDP and TCP on the same port (with
// port 0, UDP takes the port TCP got).
func (l *SIPListener) Listen() error {
	bind := func(addr string) (*net.UDPConn, net.Listener, error) {
		if addr == Off {
			return nil, nil, nil
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot listen on tcp %s: %w", addr, err)
		}
		pc, err := net.ListenPacket("udp", ln.Addr().String())
		if err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("cannot listen on udp %s: %w", ln.Addr(), err)
		}
		uc := pc.(*net.UDPConn)
		if err := uc.SetReadBuffer(udpReadBuffer); err != nil {
			l.log.Warn("cannot set UDP receive buffer", "addr", uc.LocalAddr(), "err", err)
		}
		return uc, ln, nil
	}
	var err error
	if l.hepUDP, l.hepTCP, err = bind(l.cfg.HEPAddr); err != nil {
		return err
	}
	if l.sipUDP, l.sipTCP, err = bind(l.cfg.SIPAddr); err != nil {
		l.close()
		return err
	}
	return nil
}

// HEPAddr and SIPAddr return the bound address (host:port, UDP and TCP),
// or "" when disabled.
func (l *SIPListener) HEPAddr() string { return addrOf(l.hepTCP) }

// SIPAddr: see HEPAddr.
func (l *SIPListener) SIPAddr() string { return addrOf(l.sipTCP) }

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

func (l *SIPListener) close() {
	for _, c := range []*net.UDPConn{l.hepUDP, l.sipUDP} {
		if c != nil {
			c.Close()
		}
	}
	for _, ln := range []net.Listener{l.hepTCP, l.sipTCP} {
		if ln != nil {
			ln.Close()
		}
	}
	l.mu.Lock()
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
}

// Serve reads until ctx is cancelled, then stops reading, hands the queued
// events to the sink (for at most 10 s) and returns nil.
func (l *SIPListener) Serve(ctx context.Context) error {
	var readers sync.WaitGroup
	if l.hepUDP != nil {
		readers.Go(func() { l.serveUDP(ctx, l.hepUDP, true) })
		readers.Go(func() { l.serveTCP(ctx, l.hepTCP, true) })
	}
	if l.sipUDP != nil {
		readers.Go(func() { l.serveUDP(ctx, l.sipUDP, false) })
		readers.Go(func() { l.serveTCP(ctx, l.sipTCP, false) })
	}
	delivered := make(chan struct{})
	dctx, cancelDeliver := context.WithCancel(context.WithoutCancel(ctx))
	go func() { defer close(delivered); l.deliver(dctx) }()
	<-ctx.Done()
	l.close()
	readers.Wait()
	close(l.queue)
	// Drain with a fresh deadline, not the cancelled ctx.
	timer := time.AfterFunc(10*time.Second, cancelDeliver)
	<-delivered
	timer.Stop()
	cancelDeliver()
	return nil
}

// deliver hands batches to the sink, retrying a failed batch until it is
// taken or ctx ends; meanwhile the queue fills, UDP drops and TCP waits.
func (l *SIPListener) deliver(ctx context.Context) {
	batch := make([]cdr.Event, 0, l.cfg.BatchSize)
	flush := func() {
		for backoff := 100 * time.Millisecond; len(batch) > 0; backoff = min(2*backoff, 5*time.Second) {
			err := l.sink.Accept(ctx, batch, nil)
			if err == nil {
				break
			}
			l.log.Warn("cannot hand SIP events to the sink", "events", len(batch), "err", err)
			select {
			case <-ctx.Done():
				l.log.Error("SIP events lost at shutdown", "events", len(batch))
				l.dropped.Add(float64(len(batch)))
				batch = batch[:0]
				return
			case <-time.After(backoff):
			}
		}
		batch = batch[:0]
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-l.queue:
			if !ok {
				flush()
				return
			}
			batch = append(batch, ev)
			if len(batch) >= l.cfg.BatchSize {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

func (l *SIPListener) serveUDP(ctx context.Context, pc *net.UDPConn, hep bool) {
	name := "sip_udp"
	if hep {
		name = "hep_udp"
	}
	received := l.received.WithLabelValues(name)
	buf := make([]byte, sip.MaxMessage+1)
	local := addrPort(pc.LocalAddr())
	for {
		n, from, err := pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				l.log.Error("cannot read UDP", "listener", name, "err", err)
			}
			return
		}
		received.Inc()
		if !l.allow.Allows(from.Addr()) {
			l.rejected.WithLabelValues("source").Inc()
			continue
		}
		if n > sip.MaxMessage {
			l.rejected.WithLabelValues("too_large").Inc()
			continue
		}
		pkt := buf[:n]
		if !hep && len(bytes.TrimSpace(pkt)) == 0 {
			continue // keep-alive
		}
		ev, ok := l.event(pkt, hep, unmap(from), local)
		if !ok {
			continue
		}
		select {
		case l.queue <- ev:
		default:
			l.dropped.Inc()
		}
	}
}

// addrPort is the address of a UDP or TCP socket or peer, an IPv4 peer of
// a dual-stack socket as IPv4 (the form the allowlist and the stored facts
// use).
func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return unmap(a.AddrPort())
	case *net.TCPAddr:
		return unmap(a.AddrPort())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return unmap(ap)
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// event decodes one packet; the reason of a refusal is counted. A HEP
// capture time passes the check of every decoder's times
// (cdr.DecodeOptions.CheckTime: storable, not older than Config.Oldest,
// not more than 5 minutes ahead of the clock).
func (l *SIPListener) event(pkt []byte, hep bool, from, local netip.AddrPort) (cdr.Event, bool) {
	now := l.now()
	meta := sip.Meta{Switch: l.plainSwitch, Time: now, Src: from, Dst: local, Headers: l.cfg.Headers}
	payload := pkt
	if hep {
		p, err := sip.DecodeHEP(pkt)
		if err != nil {
			l.rejected.WithLabelValues("hep").Inc()
			return cdr.Event{}, false
		}
		if l.cfg.HEPPassword != "" && subtle.ConstantTimeCompare([]byte(p.AuthKey), []byte(l.cfg.HEPPassword)) != 1 {
			l.rejected.WithLabelValues("auth").Inc()
			return cdr.Event{}, false
		}
		if p.PayloadType != sip.HEPTypeSIP {
			l.ignored.Inc()
			return cdr.Event{}, false
		}
		if l.cfg.Switch == "" {
			meta.Switch = sip.CaptureSwitch(p.CaptureID)
		}
		if !p.Time.IsZero() {
			opt := cdr.DecodeOptions{Now: now, Oldest: l.oldest(now)}
			if reason := opt.CheckTime(p.Time); reason != "" {
				l.rejected.WithLabelValues("time").Inc()
				l.log.Debug("HEP packet refused", "remote", from, "reason", reason)
				return cdr.Event{}, false
			}
			meta.Time = p.Time
		}
		meta.Src, meta.Dst, meta.Correlation = p.Src, p.Dst, p.Correlation
		payload = p.Payload
	}
	ev, err := sip.Facts(payload, meta)
	switch {
	case errors.Is(err, sip.ErrIgnored):
		l.ignored.Inc()
		return ev, false
	case err != nil:
		l.rejected.WithLabelValues("sip").Inc()
		return ev, false
	}
	l.links.resolve(&ev)
	l.privacy.event(&ev)
	l.decoded.Inc()
	return ev, true
}

// serveTCP accepts streams through the gate (Gate.Serve: the allowlist
// and the connection limits before anything is read) until ctx ends.
func (l *SIPListener) serveTCP(ctx context.Context, ln net.Listener, hep bool) {
	name := "sip_tcp"
	if hep {
		name = "hep_tcp"
	}
	l.gate.Serve(ctx, name, ln, l.allow, func() { l.rejected.WithLabelValues("source").Inc() }, func(c net.Conn) {
		l.mu.Lock()
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
		}()
		l.readStream(ctx, c, hep)
	})
}

// readStream reads back-to-back HEP packets (framed by their length) or SIP
// messages (framed by Content-Length) from one connection. A full queue
// blocks the reader: TCP pushes back on the sender. Each message must be
// complete within the gate's idle deadline of the one before (or of the
// connection's start): an idle stream, or one that sends half a message
// and stops, is closed and its buffers freed.
func (l *SIPListener) readStream(ctx context.Context, c net.Conn, hep bool) {
	name, read := "sip_tcp", sip.ReadSIPFrame
	if hep {
		name, read = "hep_tcp", sip.ReadHEPFrame
	}
	received := l.received.WithLabelValues(name)
	from, local := addrPort(c.RemoteAddr()), addrPort(c.LocalAddr())
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		_ = c.SetReadDeadline(time.Now().Add(l.gate.Idle()))
		pkt, err := read(r)
		if err != nil {
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				l.gate.IdleCut(name)
				return
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				l.rejected.WithLabelValues("framing").Inc()
				l.log.Warn("closing stream", "listener", name, "remote", from, "err", err)
			}
			return
		}
		received.Inc()
		ev, ok := l.event(pkt, hep, from, local)
		if !ok {
			continue
		}
		select {
		case l.queue <- ev:
		case <-ctx.Done():
			l.dropped.Inc()
			return
		}
	}
}

// linkTable remembers which caller leg an agent leg was linked to by its
// INVITE, so the agent leg's later messages, which do not carry the
// linking header, get the same correlation key. It is the listener's
// memory, not a pure step: it is bounded (the oldest link is forgotten
// first), and a restart forgets the links of calls in flight (their later
// agent-leg messages then form a group of their own, which makes no queue
// call); the HEP correlation id, carried on every packet, has no such gap.
type linkTable struct {
	mu    sync.Mutex
	m     map[string]string
	order []string
	next  int
}

func newLinkTable(n int) *linkTable {
	return &linkTable{m: make(map[string]string), order: make([]string, n)}
}

func (t *linkTable) resolve(ev *cdr.Event) {
	own := sip.LegCallID(ev)
	t.mu.Lock()
	defer t.mu.Unlock()
	if ev.CallID != own {
		if _, ok := t.m[own]; !ok {
			if old := t.order[t.next]; old != "" {
				delete(t.m, old)
			}
			t.order[t.next] = own
			t.next = (t.next + 1) % len(t.order)
		}
		t.m[own] = ev.CallID
		return
	}
	if link, ok := t.m[own]; ok {
		ev.CallID = link
		ev.ID = cdr.EventID(ev)
	}
}
