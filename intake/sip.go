package intake

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

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
	// BatchSize is the events handed to the sink at once while it keeps
	// up; when more wait in the queue (the sink took long with the last
	// hand-over), the next takes all that wait.
	BatchSize int `env:"SIP_BATCH_SIZE" envDefault:"2000"`
	// UDPBuffer is the receive buffer asked for on each UDP socket, in
	// bytes; 0 keeps the kernel's default. With CAP_NET_ADMIN the kernel
	// grants it whole (SO_RCVBUFFORCE), else at most net.core.rmem_max
	// (SO_RCVBUF); it reports twice what it grants
	// (acdstat_sip_udp_receive_buffer_bytes). The kernel's default loses
	// packets in bursts (research/sip-anchors.md §1.3); 32 MiB holds some
	// half a second of HEP at 50,000 packets/s, the stalls a busy machine
	// gives the reader (docs/BENCHMARKS.md, "SIP and HEP"). The kernel
	// takes the memory only while packets wait in it.
	UDPBuffer int `env:"SIP_UDP_BUFFER" envDefault:"33554432"`
	// UDPDecoders is how many goroutines decode the packets of each UDP
	// socket (0: one per CPU); one goroutine reads the socket and hands
	// each packet on by its leg's Call-ID.
	UDPDecoders int `env:"SIP_UDP_DECODERS" envDefault:"0"`
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
	if c.SIP.UDPBuffer < 0 || c.SIP.UDPDecoders < 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_SIP_UDP_BUFFER, ACDSTAT_SIP_UDP_DECODERS: must not be negative, got %d, %d", c.SIP.UDPBuffer, c.SIP.UDPDecoders))
	}
	return errors.Join(errs...)
}

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
	// udp are the bound UDP sockets, for the kernel's figures of each.
	udp []udpSocket

	received *prometheus.CounterVec
	decoded  prometheus.Counter
	ignored  prometheus.Counter
	rejected *prometheus.CounterVec
	dropped  prometheus.Counter

	// oldest is Config.oldest: with now, the range of HEP capture times.
	oldest func(now time.Time) time.Time
	// udpReader opens the reader of a UDP socket: newUDPReader, or a
	// test's reader that fails.
	udpReader func(*net.UDPConn) (packetReader, error)
}

// packetReader reads what waits on a UDP socket (udpReader).
type packetReader interface {
	read(batch []udpPacket, max int) ([]udpPacket, error)
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
	l.udpReader = func(c *net.UDPConn) (packetReader, error) { return newUDPReader(c) }
	// A gate of its own until SetGate gives the process's.
	if l.gate, err = NewGate(cfg.Limits, log, nil); err != nil {
		return nil, err
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "acdstat_sip_queue_depth", Help: "Events waiting for the sink.",
	}, func() float64 { return float64(len(l.queue)) })
	for _, c := range []prometheus.Collector{l.received, l.decoded, l.ignored, l.rejected, l.dropped, depth, udpCollector{l}} {
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
		return pc.(*net.UDPConn), ln, nil
	}
	var err error
	if l.hepUDP, l.hepTCP, err = bind(l.cfg.HEPAddr); err != nil {
		return err
	}
	if l.sipUDP, l.sipTCP, err = bind(l.cfg.SIPAddr); err != nil {
		l.close()
		return err
	}
	for _, u := range []struct {
		name string
		conn *net.UDPConn
	}{{"hep_udp", l.hepUDP}, {"sip_udp", l.sipUDP}} {
		if u.conn != nil {
			l.watchUDP(u.name, u.conn)
		}
	}
	return nil
}

// watchUDP sets the receive buffer of a bound UDP socket, logs what the
// kernel granted, and adds the socket to those whose kernel figures are
// exported.
func (l *SIPListener) watchUDP(name string, c *net.UDPConn) {
	forced := false
	if l.cfg.UDPBuffer > 0 {
		var err error
		if forced, err = setUDPReceiveBuffer(c, l.cfg.UDPBuffer); err != nil {
			l.log.Warn("cannot set UDP receive buffer", "listener", name, "addr", c.LocalAddr(), "err", err)
		}
	}
	s := udpSocket{name: name}
	var err error
	if s.buffer, err = udpReceiveBuffer(c); err != nil {
		l.log.Warn("cannot read UDP receive buffer", "listener", name, "err", err)
	}
	// Linux reports twice what it grants: granted < asked means the ask
	// was capped at net.core.rmem_max.
	if s.buffer > 0 && s.buffer/2 < l.cfg.UDPBuffer {
		l.log.Warn("UDP receive buffer capped by the kernel; raise net.core.rmem_max, or give acdstat CAP_NET_ADMIN, to get what ACDSTAT_SIP_UDP_BUFFER asks",
			"listener", name, "asked", l.cfg.UDPBuffer, "granted", s.buffer/2)
	} else {
		l.log.Info("UDP receive buffer", "listener", name, "asked", l.cfg.UDPBuffer, "SO_RCVBUF", s.buffer, "forced", forced)
	}
	if s.inode, err = udpInode(c); err != nil {
		l.log.Warn("cannot find the UDP socket's kernel figures; acdstat_sip_kernel_drops_total is not exported", "listener", name, "err", err)
	}
	l.mu.Lock()
	l.udp = append(l.udp, s)
	l.mu.Unlock()
}

// udpSocket is a bound UDP listener socket, for the kernel's figures.
type udpSocket struct {
	name   string // the listener label, hep_udp or sip_udp
	inode  uint64 // names it in /proc/net/udp; 0 when unknown
	buffer int    // SO_RCVBUF read back; 0 when unknown
}

var (
	kernelDropsDesc = prometheus.NewDesc("acdstat_sip_kernel_drops_total",
		"UDP datagrams the kernel dropped on the listener's socket, mostly for a full receive buffer: lost before acdstat read them (the socket's drops in /proc/net/udp).",
		[]string{"listener"}, nil)
	receiveQueueDesc = prometheus.NewDesc("acdstat_sip_udp_receive_queue_bytes",
		"Bytes waiting to be read in the UDP socket's receive queue.", []string{"listener"}, nil)
	receiveBufferDesc = prometheus.NewDesc("acdstat_sip_udp_receive_buffer_bytes",
		"The UDP socket's receive buffer as the kernel reports it (SO_RCVBUF, twice what it granted).", []string{"listener"}, nil)
)

// udpCollector exports the kernel's figures of the listener's UDP sockets,
// read at each scrape: they are the kernel's counters, not the listener's.
type udpCollector struct{ l *SIPListener }

// Describe implements prometheus.Collector.
func (c udpCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- kernelDropsDesc
	ch <- receiveQueueDesc
	ch <- receiveBufferDesc
}

// Collect implements prometheus.Collector. A socket whose figures cannot be
// read (closed, or not on Linux) is left out of the scrape.
func (c udpCollector) Collect(ch chan<- prometheus.Metric) {
	c.l.mu.Lock()
	socks := slices.Clone(c.l.udp)
	c.l.mu.Unlock()
	for _, s := range socks {
		if s.buffer > 0 {
			ch <- prometheus.MustNewConstMetric(receiveBufferDesc, prometheus.GaugeValue, float64(s.buffer), s.name)
		}
		if s.inode == 0 {
			continue
		}
		drops, queued, err := udpQueueStats(s.inode)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(kernelDropsDesc, prometheus.CounterValue, float64(drops), s.name)
		ch <- prometheus.MustNewConstMetric(receiveQueueDesc, prometheus.GaugeValue, float64(queued), s.name)
	}
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
// A batch is BatchSize events, or all that wait in the queue when more do:
// the sink's cost is mostly per call (the spool fsyncs each record), so a
// sink that fell behind catches up with larger hand-overs instead of
// falling further behind a batch at a time until UDP drops.
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
			if len(batch) < l.cfg.BatchSize {
				continue
			}
			// What waits now joins this batch; what comes meanwhile
			// waits for the next.
			for n := len(l.queue); n > 0; n-- {
				ev, ok := <-l.queue
				if !ok {
					break
				}
				batch = append(batch, ev)
			}
			flush()
		case <-tick.C:
			flush()
		}
	}
}

// udpBacklog bounds the bytes of the UDP packets read from one socket and
// not yet decoded; with that much waiting the socket's reader stops, and
// the kernel's receive buffer takes what comes meanwhile.
const udpBacklog = 32 << 20

// udpReadBatch is the most datagrams read from a socket at once.
const udpReadBatch = 64

// udpQueuedBatches is how many batches may wait for each decoder: enough
// that udpBacklog, not the count of batches, is what stops the reader.
const udpQueuedBatches = 1024

// udpSlab is the size of the blocks UDP packets are read into: each packet
// is read straight into the free end of the current block, which the
// garbage collector frees once the packets cut from it are decoded.
const udpSlab = 1 << 20

// udpPacket is one datagram read, waiting for its decoder. A pkt longer
// than sip.MaxMessage was cut: the datagram was larger.
type udpPacket struct {
	pkt  []byte
	at   time.Time // when it was read, a µs after the packet before at least: the time of a message without a capture time
	from netip.AddrPort
}

// serveUDP reads one UDP socket. Its one reader does little besides
// reading, so that it keeps the kernel's receive buffer empty: it reads
// what waits on the socket in batches (udpReader), and hands the packets to
// the decoders (UDPDecoders), which do the far larger work. The packets of
// one leg, which share a Call-ID, all go to the same decoder in the order
// they came, so the link table sees a leg's messages in order, as with a
// single reader.
func (l *SIPListener) serveUDP(ctx context.Context, pc *net.UDPConn, hep bool) {
	name := "sip_udp"
	if hep {
		name = "hep_udp"
	}
	received := l.received.WithLabelValues(name)
	local := addrPort(pc.LocalAddr())
	n := l.cfg.UDPDecoders
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	backlog := semaphore.NewWeighted(udpBacklog)
	queues := make([]chan []udpPacket, n)
	var decoders sync.WaitGroup
	for i := range queues {
		q := make(chan []udpPacket, udpQueuedBatches)
		queues[i] = q
		decoders.Go(func() {
			for part := range q {
				size := int64(0)
				for _, p := range part {
					size += int64(len(p.pkt))
					ev, ok := l.event(p.pkt, hep, p.at, p.from, local)
					if !ok {
						continue
					}
					select {
					case l.queue <- ev:
					default:
						l.dropped.Inc()
					}
				}
				backlog.Release(size)
			}
		})
	}
	defer func() {
		for _, q := range queues {
			close(q)
		}
		decoders.Wait()
	}()
	r, err := l.udpReader(pc)
	if err != nil {
		l.gate.stopped(name, err)
		return
	}
	l.gate.started(name)
	parts := make([][]udpPacket, n)
	var batch []udpPacket
	var last time.Time // the time the last packet took
	// take hands the packets of batch to their decoders.
	take := func(batch []udpPacket) {
		received.Add(float64(len(batch)))
		size := int64(0)
		for _, p := range batch {
			if !l.allow.Allows(p.from.Addr()) {
				l.rejected.WithLabelValues("source").Inc()
				continue
			}
			if len(p.pkt) > sip.MaxMessage {
				l.rejected.WithLabelValues("too_large").Inc()
				continue
			}
			if !hep && len(bytes.TrimSpace(p.pkt)) == 0 {
				continue // keep-alive
			}
			// A plain copy's time is when it was read, and correlation
			// orders a call's messages by time: packets read together,
			// or within the clock's resolution, take times a microsecond
			// apart (the events' resolution) in the order they came.
			at := l.now().Truncate(time.Microsecond)
			if !at.After(last) {
				at = last.Add(time.Microsecond)
			}
			last = at
			p.at, p.from = at, unmap(p.from)
			i := decoderOf(p.pkt, hep, n)
			parts[i] = append(parts[i], p)
			size += int64(len(p.pkt))
		}
		// The decoders stop only after this reader, so the backlog always
		// drains.
		_ = backlog.Acquire(context.Background(), size)
		for i, part := range parts {
			if len(part) > 0 {
				queues[i] <- part
				parts[i] = nil
			}
		}
	}
	var pause time.Duration
	for {
		// A read that fails may have read packets before: they are
		// taken before the error is looked at.
		batch, err = r.read(batch[:0], udpReadBatch)
		if len(batch) > 0 {
			take(batch)
		}
		if err == nil {
			pause = 0
			continue
		}
		if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
			return
		}
		if !resourceError(err) && !errors.Is(err, syscall.ECONNREFUSED) {
			l.gate.stopped(name, err)
			return
		}
		// A read that failed for want of memory or buffers, or for an
		// ICMP error queued on the socket, fails for that read only: the
		// reader pauses as accept does and reads on.
		pause = min(max(2*pause, acceptPauseMin), acceptPauseMax)
		l.gate.acceptErrors.WithLabelValues(name).Inc()
		l.log.Warn("cannot read UDP; retrying", "listener", name, "pause", pause, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// decoderOf picks the decoder of a packet by its leg's Call-ID, read
// without parsing the message; a packet whose Call-ID cannot be found
// goes to the first (its decoding then fails or finds none either).
func decoderOf(pkt []byte, hep bool, n int) int {
	if n == 1 {
		return 0
	}
	payload := pkt
	if hep {
		p, err := sip.DecodeHEP(pkt)
		if err != nil {
			return 0
		}
		payload = p.Payload
	}
	h := fnv.New32a()
	h.Write(callIDOf(payload))
	return int(h.Sum32() % uint32(n))
}

// callIDOf returns the value of a SIP message's Call-ID header (or its
// compact form i), nil when it has none.
func callIDOf(msg []byte) []byte {
	_, rest, _ := bytes.Cut(msg, []byte("\n")) // the start line
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return nil // the end of the headers
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		if name = bytes.TrimSpace(name); bytes.EqualFold(name, []byte("Call-ID")) || bytes.EqualFold(name, []byte("i")) {
			return bytes.TrimSpace(value)
		}
	}
	return nil
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

// event decodes one packet that arrived at at; the reason of a refusal is
// counted. A HEP capture time passes the check of every decoder's times
// (cdr.DecodeOptions.CheckTime: storable, not older than Config.Oldest,
// not more than 5 minutes ahead of at).
func (l *SIPListener) event(pkt []byte, hep bool, at time.Time, from, local netip.AddrPort) (cdr.Event, bool) {
	now := at
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
		ev, ok := l.event(pkt, hep, l.now(), from, local)
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
