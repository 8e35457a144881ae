//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/sip"
)

// The HEPv3-over-UDP load test of issue 13 (item 4): a sender at a fixed
// rate against a running `acdstat serve` on loopback, counting what serve
// stores in ClickHouse. BenchmarkHEPServe runs one rate
// (ACDSTAT_HEP_RATE packets/s, default 50,000, for ACDSTAT_HEP_SECONDS,
// default 10) once per operation, so `-benchtime 3x` gives three runs;
// BenchmarkHEPServeSearch, which runs only when ACDSTAT_HEP_SEARCH is set,
// searches for the highest rate with no loss. Both stop by themselves:
// every run sends for its seconds and then waits at most hepDrainWait for
// serve to store what it took. Figures and method: docs/BENCHMARKS.md.

// hepDrainWait bounds the wait, after the last packet is sent, for serve to
// store what it read.
const hepDrainWait = 3 * time.Minute

// hepNumber is the dialled number of the sender's calls, a queue's number
// in serve's queue file, so the build job builds them as it would real ones.
const hepNumber = "+4930123456789"

// hepTemplate is one message of a call, HEPv3-wrapped, with the offsets
// where a call's identifiers and the capture time are written.
type hepTemplate struct {
	pkt                     []byte
	timeAt                  int // the seconds chunk's value; microseconds follow 6 bytes later
	callID, fromTag, toTags []int
	branch                  []int
	txn                     uint64 // which of the call's transactions: INVITE, ACK, BYE
}

// Placeholders, patched per call: runs of one control byte of the width of
// what replaces them.
var (
	phCallID  = strings.Repeat("\x01", 32)
	phFromTag = strings.Repeat("\x02", 12)
	phToTag   = strings.Repeat("\x03", 12)
	phBranch  = strings.Repeat("\x04", 12)
)

// hepCallTemplates are the six messages of one answered call as a proxy
// mirrors them (INVITE with SDP, 180, 200 with SDP, ACK, BYE, 200), in the
// shape and sizes of the sender of the heplify-server measurement
// (research/heplify-peer.md, its appendix: 706 bytes of SIP and 805 of HEPv3
// per message on average), each a fact for acdstat.
func hepCallTemplates(t testing.TB) []hepTemplate {
	t.Helper()
	const uac, uas, proxy = "10.10.0.10", "10.20.0.20", "10.10.0.1"
	sdp := func(ip string, port int, sess string) string {
		return "v=0\r\no=- " + sess + " " + sess + " IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\n" +
			fmt.Sprintf("m=audio %d RTP/AVP 8 0 101\r\n", port) +
			"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
	}
	withBody := func(headers, body string) string {
		if body == "" {
			return headers + "Content-Length: 0\r\n\r\n"
		}
		return headers + "Content-Type: application/sdp\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
	}
	const allow = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO\r\n"
	via := "Via: SIP/2.0/UDP " + uac + ":5060;branch=z9hG4bK" + phBranch + ";rport\r\n"
	viaRcv := "Via: SIP/2.0/UDP " + uac + ":5060;branch=z9hG4bK" + phBranch + ";rport=5060;received=" + uac + "\r\n"
	callID := "Call-ID: " + phCallID + "@" + uac + "\r\n"
	from := "From: \"Alice Caller\" <sip:+4940987654321@" + uac + ";user=phone>;tag=" + phFromTag + "\r\n"
	to := "To: <sip:" + hepNumber + "@" + uas + ";user=phone>"
	toTagged := to + ";tag=" + phToTag + "\r\n"
	rr := "Record-Route: <sip:" + proxy + ";lr;ftag=" + phFromTag + ">\r\n"
	route := "Route: <sip:" + proxy + ";lr;ftag=" + phFromTag + ">\r\n"
	contactUAC := "Contact: <sip:+4940987654321@" + uac + ":5060;transport=udp>\r\n"
	contactUAS := "Contact: <sip:" + hepNumber + "@" + uas + ":5060;transport=udp>\r\n"
	const ua, server = "User-Agent: peer-loadgen UAC/1.0\r\n", "Server: peer-loadgen UAS/1.0\r\n"
	msgs := []struct {
		fromUAC bool
		txn     uint64
		text    string
	}{
		{true, 0, withBody("INVITE sip:"+hepNumber+"@"+uas+":5060;user=phone SIP/2.0\r\n"+via+"Max-Forwards: 70\r\n"+rr+from+to+"\r\n"+callID+
			"CSeq: 1 INVITE\r\n"+contactUAC+allow+"P-Asserted-Identity: <sip:+4940987654321@"+uac+">\r\n"+ua, sdp(uac, 20000, "1716239022"))},
		{false, 0, withBody("SIP/2.0 180 Ringing\r\n"+viaRcv+rr+from+toTagged+callID+"CSeq: 1 INVITE\r\n"+contactUAS+allow+
			"Supported: timer, replaces\r\nP-Asserted-Identity: <sip:"+hepNumber+"@"+uas+";user=phone>\r\n"+server, "")},
		{false, 0, withBody("SIP/2.0 200 OK\r\n"+viaRcv+rr+from+toTagged+callID+"CSeq: 1 INVITE\r\n"+contactUAS+allow+
			"Supported: timer, replaces\r\n"+server, sdp(uas, 30000, "4242424242"))},
		{true, 1, withBody("ACK sip:"+hepNumber+"@"+uas+":5060;transport=udp SIP/2.0\r\n"+via+"Max-Forwards: 70\r\n"+route+from+toTagged+callID+
			"CSeq: 1 ACK\r\n"+contactUAC+"Supported: timer, replaces\r\nP-Asserted-Identity: <sip:+4940987654321@"+uac+";user=phone>\r\n"+ua, "")},
		{true, 2, withBody("BYE sip:"+hepNumber+"@"+uas+":5060;transport=udp SIP/2.0\r\n"+via+"Max-Forwards: 70\r\n"+route+from+toTagged+callID+
			"CSeq: 2 BYE\r\n"+contactUAC+allow+"Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"+ua, "")},
		{false, 2, withBody("SIP/2.0 200 OK\r\n"+viaRcv+from+toTagged+callID+"CSeq: 2 BYE\r\n"+contactUAS+allow+
			"Supported: timer, replaces\r\nAccept: application/sdp\r\nP-Charging-Vector: icid-value=peer-loadgen-icid;orig-ioi=example.net\r\n"+server, "")},
	}
	out := make([]hepTemplate, len(msgs))
	for i, m := range msgs {
		src, dst := uac, uas
		if !m.fromUAC {
			src, dst = uas, uac
		}
		pkt, err := sip.EncodeHEP(sip.HEPPacket{Proto: 17,
			Src: netip.MustParseAddrPort(src + ":5060"), Dst: netip.MustParseAddrPort(dst + ":5060"),
			Time: time.Unix(1, 0), PayloadType: sip.HEPTypeSIP, CaptureID: 2001, Payload: []byte(m.text)})
		if err != nil {
			t.Fatal(err)
		}
		// The seconds chunk: vendor 0, type 0x0009, 10 bytes long.
		at := bytes.Index(pkt, []byte{0, 0, 0, 9, 0, 10})
		if at < 0 {
			t.Fatal("no time chunk in the HEP packet")
		}
		find := func(ph string) []int {
			var offs []int
			for i := 0; ; {
				j := bytes.Index(pkt[i:], []byte(ph))
				if j < 0 {
					return offs
				}
				offs = append(offs, i+j)
				i += j + len(ph)
			}
		}
		out[i] = hepTemplate{pkt: pkt, timeAt: at + 6, callID: find(phCallID), fromTag: find(phFromTag),
			toTags: find(phToTag), branch: find(phBranch), txn: m.txn}
	}
	return out
}

// hepSender makes the packets of consecutive calls, unique per run.
type hepSender struct {
	tmpls []hepTemplate
	nonce uint64
	call  uint64 // calls begun
	next  int    // the next message of the current call
}

func putHex(dst []byte, v uint64) {
	const digits = "0123456789abcdef"
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = digits[v&0xf]
		v >>= 4
	}
}

// mix is splitmix64: tags and branches that look random but repeat per call.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// packet returns the next message, stamped with now; it is valid until the
// next call of packet.
func (s *hepSender) packet(now time.Time) []byte {
	t := &s.tmpls[s.next]
	h := mix(s.nonce<<20 ^ s.call)
	for _, o := range t.callID {
		putHex(t.pkt[o:o+12], s.nonce)
		putHex(t.pkt[o+12:o+32], s.call)
	}
	for _, o := range t.fromTag {
		putHex(t.pkt[o:o+12], h)
	}
	for _, o := range t.toTags {
		putHex(t.pkt[o:o+12], h>>16^0x5a5a5a5a5a5a)
	}
	for _, o := range t.branch {
		putHex(t.pkt[o:o+12], mix(h+t.txn))
	}
	binary.BigEndian.PutUint32(t.pkt[t.timeAt:], uint32(now.Unix()))
	binary.BigEndian.PutUint32(t.pkt[t.timeAt+10:], uint32(now.Nanosecond()/1000))
	if s.next++; s.next == len(s.tmpls) {
		s.next = 0
		s.call++
	}
	return t.pkt
}

// hepSendResult is what a paced send did.
type hepSendResult struct {
	sent    int
	elapsed time.Duration
	cpu     time.Duration // the sending process's CPU time meanwhile
}

// send writes rate packets per second for d over one connected UDP socket,
// one write per packet, as the heplify-server measurement's sender did: it
// sends what is due by the clock, then sleeps (nanosleep as a raw system
// call, some 110 µs at the shortest) until the next packet is due.
func (s *hepSender) send(t testing.TB, addr string, rate int, d time.Duration) hepSendResult {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	total := int(float64(rate) * d.Seconds())
	cpu0 := processCPU(t)
	start := time.Now()
	var r hepSendResult
	for r.sent < total {
		now := time.Now()
		due := min(total, int(float64(rate)*now.Sub(start).Seconds())+1)
		for ; r.sent < due; r.sent++ {
			// A loopback write fails only when the listener is gone.
			if _, err := conn.Write(s.packet(now)); err != nil {
				t.Fatalf("cannot send packet %d: %v", r.sent+1, err)
			}
		}
		if r.sent < total {
			next := start.Add(time.Duration(float64(r.sent) / float64(rate) * float64(time.Second)))
			nap := syscall.NsecToTimespec(int64(max(time.Until(next)-50*time.Microsecond, 20*time.Microsecond)))
			syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&nap)), 0, 0)
		}
	}
	r.elapsed = time.Since(start)
	r.cpu = processCPU(t) - cpu0
	return r
}

// processCPU is this process's CPU time so far (user and system).
func processCPU(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pidCPU is the CPU time (user and system, all threads) of process pid.
func pidCPU(t testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command, which may hold spaces, in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// vmHWM is the peak resident memory of process pid, in MiB.
func vmHWM(t testing.TB, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// procUDPDrops reads the drops column of /proc/net/udp for the socket
// bound to 127.0.0.1:port: the kernel's own count, read apart from
// serve's metric.
func procUDPDrops(t testing.TB, port int) float64 {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 13 && f[1] == want {
			v, _ := strconv.ParseFloat(f[12], 64)
			return v
		}
	}
	t.Fatalf("no UDP socket on 127.0.0.1:%d", port)
	return 0
}

// scrapeMetric returns the value of the sample whose name and labels are
// exactly series in serve's /metrics, and -1 when there is none.
func scrapeMetric(t testing.TB, url, series string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return f
		}
	}
	return -1
}

// hepRun is one run: a fresh serve with a database of its own, a paced
// send, and what serve stored of it.
type hepRun struct {
	rate                  int
	send                  hepSendResult
	received, stored      float64 // packets read by serve; distinct events in ClickHouse
	kernelDrops, procDrop float64 // serve's metric; /proc/net/udp
	queueDropped          float64
	serveCPU              float64 // % of one core while sending
	serveRSS              float64 // MiB, peak
	drain                 time.Duration
	rcvbuf                float64
}

// lossless says whether every packet sent is one event stored, none
// dropped by the kernel or by serve (a serve without a drops metric, an
// older baseline, shows -1 there and is judged by /proc/net/udp).
func (r hepRun) lossless() bool {
	return r.kernelDrops <= 0 && r.procDrop == 0 && r.queueDropped <= 0 && r.stored == float64(r.send.sent)
}

func (r hepRun) String() string {
	return fmt.Sprintf("rate %d/s: sent %d in %.1fs (%.0f/s, sender %.0f%% CPU), serve read %.0f, kernel drops %.0f (/proc/net/udp %.0f), queue drops %.0f, stored %.0f after %.1fs; serve %.0f%% CPU, %.0f MiB peak RSS, SO_RCVBUF %.0f",
		r.rate, r.send.sent, r.send.elapsed.Seconds(), float64(r.send.sent)/r.send.elapsed.Seconds(),
		100*r.send.cpu.Seconds()/r.send.elapsed.Seconds(), r.received, r.kernelDrops, r.procDrop, r.queueDropped,
		r.stored, r.drain.Seconds(), r.serveCPU, r.serveRSS, r.rcvbuf)
}

// hepLoad holds what every run of a benchmark shares.
type hepLoad struct {
	bin, queues string
	tmpls       []hepTemplate
	runs        int
}

// newHEPLoad builds this tree's acdstat, or takes the binary named by
// ACDSTAT_HEP_BIN (a baseline to measure beside it), and writes the queue
// file of the sender's number.
func newHEPLoad(b *testing.B) *hepLoad {
	b.Helper()
	dir := b.TempDir()
	l := &hepLoad{bin: os.Getenv("ACDSTAT_HEP_BIN"), queues: filepath.Join(dir, "queues.yaml"), tmpls: hepCallTemplates(b)}
	if l.bin == "" {
		l.bin = filepath.Join(dir, "acdstat")
		if out, err := exec.Command("go", "build", "-o", l.bin, ".").CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	if err := os.WriteFile(l.queues, []byte(`queues: {hotline: {numbers: ["`+hepNumber+`"]}}`), 0o644); err != nil {
		b.Fatal(err)
	}
	return l
}

// run starts serve as its own process, with its settings as a user has
// them but for the addresses, sends rate packets/s for d, waits until
// serve has stored what it read (or hepDrainWait passes) and stops it.
func (l *hepLoad) run(b *testing.B, rate int, d time.Duration) hepRun {
	b.Helper()
	l.runs++
	// The HEP listener binds TCP and UDP on one port.
	hepAddr := freeAddr(b)
	_, p, _ := net.SplitHostPort(hepAddr)
	port, _ := strconv.Atoi(p)
	environ := testEnv(b, "ACDSTAT_HEP_ADDR="+hepAddr, "ACDSTAT_QUEUES="+l.queues,
		"ACDSTAT_BUILD_SCHEDULE=@every 5s", "ACDSTAT_LOG_LEVEL=warn")
	base := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")
	var logs lockedBuffer
	cmd := exec.Command(l.bin, "serve")
	cmd.Env = append(os.Environ(), environ...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := <-done; err != nil {
			b.Errorf("serve: %v\n%s", err, logs.String())
		}
	}()
	waitServeReady(b, base, done, &logs)

	r := hepRun{rate: rate}
	metrics := base + "/metrics"
	r.rcvbuf = scrapeMetric(b, metrics, `acdstat_sip_udp_receive_buffer_bytes{listener="hep_udp"}`)
	s := &hepSender{tmpls: l.tmpls, nonce: uint64(time.Now().UnixNano())<<8 | uint64(l.runs&0xff)}
	cpu0 := pidCPU(b, cmd.Process.Pid)
	r.send = s.send(b, hepAddr, rate, d)
	r.serveCPU = 100 * (pidCPU(b, cmd.Process.Pid) - cpu0).Seconds() / r.send.elapsed.Seconds()

	st := openBenchStore(b, environ)
	defer st.Close()
	sent := float64(r.send.sent)
	stopped := time.Now()
	last, lastChange := -1.0, time.Now()
	for time.Since(stopped) < hepDrainWait {
		r.received = scrapeMetric(b, metrics, `acdstat_sip_packets_received_total{listener="hep_udp"}`)
		r.kernelDrops = scrapeMetric(b, metrics, `acdstat_sip_kernel_drops_total{listener="hep_udp"}`)
		r.queueDropped = scrapeMetric(b, metrics, "acdstat_sip_dropped_total")
		r.procDrop = procUDPDrops(b, port)
		r.stored = storedSIPEvents(b, st)
		if r.stored != last {
			last, lastChange = r.stored, time.Now()
		}
		if r.stored >= r.received-max(r.queueDropped, 0) && r.received+r.procDrop >= sent || time.Since(lastChange) > 20*time.Second {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	r.drain = time.Since(stopped)
	r.serveRSS = vmHWM(b, cmd.Process.Pid)
	return r
}

// waitServeReady waits until serve answers /readyz, for a minute at most.
func waitServeReady(b *testing.B, base string, done <-chan error, logs *lockedBuffer) {
	b.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-done:
			b.Fatalf("serve ended early: %v\n%s", err, logs.String())
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	b.Fatalf("%s/readyz never answered 200\n%s", base, logs.String())
}

// openBenchStore connects to a run's database, to count what serve stored.
func openBenchStore(b *testing.B, environ []string) clickhouse.Conn {
	b.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{envValue(environ, "ACDSTAT_CLICKHOUSE_ADDR")},
		Auth: clickhouse.Auth{Database: envValue(environ, "ACDSTAT_CLICKHOUSE_DATABASE"), Username: "default"},
	})
	if err != nil {
		b.Fatal(err)
	}
	return conn
}

// storedSIPEvents counts the distinct SIP events stored: a packet stored
// twice (a batch the writer sent again) counts once.
func storedSIPEvents(b *testing.B, conn clickhouse.Conn) float64 {
	b.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT uniqExact(id) FROM events WHERE source = 'sip'").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return float64(n)
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

// BenchmarkHEPServe sends HEPv3 over UDP at ACDSTAT_HEP_RATE packets/s
// (default 50,000) for ACDSTAT_HEP_SECONDS (default 10) to a fresh
// `acdstat serve` per operation, and reports what was sent, what the kernel
// dropped on serve's socket, what serve dropped on its queue, what it
// stored, and "lossless" (1 when nothing was lost and every packet sent is
// one event stored).
func BenchmarkHEPServe(b *testing.B) {
	rate, secs := envInt(b, "ACDSTAT_HEP_RATE", 50_000), envInt(b, "ACDSTAT_HEP_SECONDS", 10)
	l := newHEPLoad(b)
	for b.Loop() {
		r := l.run(b, rate, time.Duration(secs)*time.Second)
		b.Log(r)
		b.ReportMetric(float64(r.send.sent), "sent")
		b.ReportMetric(float64(r.send.sent)/r.send.elapsed.Seconds(), "sent/s")
		b.ReportMetric(r.kernelDrops, "kernel-drops")
		b.ReportMetric(r.queueDropped, "queue-drops")
		b.ReportMetric(r.stored, "stored")
		b.ReportMetric(r.serveCPU, "serve-cpu-%")
		lossless := 0.0
		if r.lossless() {
			lossless = 1
		}
		b.ReportMetric(lossless, "lossless")
	}
}

// BenchmarkHEPServeSearch finds the highest rate serve stores with no loss:
// a binary search over rates, runs of ACDSTAT_HEP_SECONDS (default 10),
// between the bounds of ACDSTAT_HEP_SEARCH ("low,high,step" packets/s, e.g.
// "10000,100000,2500"); a rate passes when its run loses nothing. It runs
// only when ACDSTAT_HEP_SEARCH is set.
func BenchmarkHEPServeSearch(b *testing.B) {
	spec := os.Getenv("ACDSTAT_HEP_SEARCH")
	if spec == "" {
		b.Skip("set ACDSTAT_HEP_SEARCH=low,high,step to search for the highest lossless rate")
	}
	var lo, hi, step int
	if _, err := fmt.Sscanf(spec, "%d,%d,%d", &lo, &hi, &step); err != nil || lo <= 0 || hi <= lo || step <= 0 {
		b.Fatalf("ACDSTAT_HEP_SEARCH=%q: want low,high,step with 0 < low < high and step > 0", spec)
	}
	secs := envInt(b, "ACDSTAT_HEP_SECONDS", 10)
	l := newHEPLoad(b)
	try := func(rate int) bool {
		r := l.run(b, rate, time.Duration(secs)*time.Second)
		b.Logf("%s: lossless %v", r, r.lossless())
		return r.lossless()
	}
	for b.Loop() {
		// The low bound must pass; the high one is taken to fail.
		best := 0
		if try(lo) {
			best = lo
			for lo, hi := lo, hi; hi-lo > step; {
				rate := lo + max(step, (hi-lo)/2/step*step)
				if try(rate) {
					best, lo = rate, rate
				} else {
					hi = rate
				}
			}
		}
		b.ReportMetric(float64(best), "lossless-pkts/s")
	}
}
