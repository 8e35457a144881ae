//go:build linux

package intake

import (
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// gathered returns the value of the series of family name with label
// listener=listener in reg, and false when reg has none.
func gathered(t *testing.T, reg prometheus.Gatherer, name, listener string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "listener" && lp.GetValue() == listener {
					switch {
					case m.Counter != nil:
						return m.Counter.GetValue(), true
					case m.Gauge != nil:
						return m.Gauge.GetValue(), true
					}
				}
			}
		}
	}
	return 0, false
}

// TestSIPKernelDrops: datagrams the kernel drops because the socket's
// receive buffer is full, which the listener never sees, are counted in
// acdstat_sip_kernel_drops_total; with the packets the listener then reads
// they make up every packet sent.
func TestSIPKernelDrops(t *testing.T) {
	l, _, reg := newTestListener(t, Config{SIP: SIPConfig{HEPAddr: "127.0.0.1:0", SIPAddr: Off}})
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	u, err := net.Dial("udp", l.HEPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	// Nobody reads yet: the kernel keeps what fits in the receive buffer
	// (its default here, some 200 KiB) and drops the rest.
	const sent = 50_000
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range sent {
		if _, err := u.Write(hepOf(t, sipMessage("INVITE", fmt.Sprintf("drop-%d", i), ""), 7, "", at)); err != nil {
			t.Fatal(err)
		}
	}
	drops, ok := gathered(t, reg, "acdstat_sip_kernel_drops_total", "hep_udp")
	if !ok || drops <= 0 || drops >= sent {
		t.Fatalf("acdstat_sip_kernel_drops_total{listener=\"hep_udp\"} = %v (present: %v); want some of the %d packets sent", drops, ok, sent)
	}
	serveListener(t, l)
	received := func() float64 { return testutil.ToFloat64(l.received.WithLabelValues("hep_udp")) }
	for deadline := time.Now().Add(10 * time.Second); received()+drops < sent && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := received(); got+drops != sent {
		t.Errorf("received %v and the kernel dropped %v; want them to make up the %d sent", got, drops, sent)
	}
	if again, _ := gathered(t, reg, "acdstat_sip_kernel_drops_total", "hep_udp"); again != drops {
		t.Errorf("kernel drops went from %v to %v while the listener read", drops, again)
	}
}

// TestSIPUDPBuffer: ACDSTAT_SIP_UDP_BUFFER asks the kernel for the UDP
// receive buffer, and acdstat_sip_udp_receive_buffer_bytes says what it
// granted: twice the ask, or its default for 0. A process with
// CAP_NET_ADMIN gets the ask past net.core.rmem_max (SO_RCVBUFFORCE, up to
// the kernel's bound of 1 GiB); one without gets it within rmem_max.
func TestSIPUDPBuffer(t *testing.T) {
	// Whether this process may force: the same call, on a socket of its own.
	forced := false
	if pc, err := net.ListenPacket("udp", "127.0.0.1:0"); err == nil {
		if rc, err := pc.(*net.UDPConn).SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) {
				forced = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 1<<20) == nil
			})
		}
		pc.Close()
	}
	t.Logf("SO_RCVBUFFORCE allowed: %v", forced)
	sysctl := func(name string) float64 {
		b, err := os.ReadFile("/proc/sys/net/core/" + name)
		if err != nil {
			t.Skipf("cannot read net.core.%s: %v", name, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		ask  int
		want float64
	}{
		{0, sysctl("rmem_default")},
		{256 << 10, 2 * min(256<<10, sysctl("rmem_max"))},
		{1 << 30, 2 * sysctl("rmem_max")},
	} {
		if forced && tc.ask > 0 {
			// The kernel takes at most INT_MAX/2 and doubles it.
			tc.want = 2 * float64(min(tc.ask, math.MaxInt32/2))
		}
		cfg := Config{SIP: SIPConfig{HEPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", UDPBuffer: tc.ask}}
		l, _, reg := newTestListener(t, cfg)
		if err := l.Listen(); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"hep_udp", "sip_udp"} {
			if got, ok := gathered(t, reg, "acdstat_sip_udp_receive_buffer_bytes", name); got != tc.want {
				t.Errorf("asked %d: %s buffer %v (present: %v); want %v", tc.ask, name, got, ok, tc.want)
			}
		}
		l.close()
	}
	// The default asks 32 MiB: at 50,000 packets/s some half a second of
	// stall that the socket rides out, where the kernel grants it.
	def, err := env.ParseAsWithOptions[SIPConfig](env.Options{Environment: map[string]string{}, Prefix: "ACDSTAT_"})
	if err != nil {
		t.Fatal(err)
	}
	want := 2 * min(32<<20, sysctl("rmem_max"))
	if forced {
		want = 2 * (32 << 20)
	}
	def.HEPAddr, def.SIPAddr = "127.0.0.1:0", Off
	l, _, reg := newTestListener(t, Config{SIP: def})
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	if got, _ := gathered(t, reg, "acdstat_sip_udp_receive_buffer_bytes", "hep_udp"); got != want {
		t.Errorf("default settings: buffer %v; want %v", got, want)
	}
	l.close()
	bad := Config{SIP: SIPConfig{HEPAddr: "127.0.0.1:0", SIPAddr: Off, QueueSize: 1, BatchSize: 1, UDPBuffer: -1}}
	if err := bad.ValidateSIP(); err == nil || !strings.Contains(err.Error(), "ACDSTAT_SIP_UDP_BUFFER") {
		t.Errorf("negative buffer: %v; want an error naming ACDSTAT_SIP_UDP_BUFFER", err)
	}
}
