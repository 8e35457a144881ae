//go:build linux

package intake

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// dualStackLoopback binds a dual-stack socket (IPv6 with IPV6_V6ONLY off)
// to ::ffff:127.0.0.1 and port: an IPv4 peer connecting to 127.0.0.1
// appears on it as ::ffff:127.0.0.1, as on a listener bound to [::], yet
// nothing beyond loopback can reach it. sotype is SOCK_STREAM (listening)
// or SOCK_DGRAM.
func dualStackLoopback(t *testing.T, sotype, port int) *os.File {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET6, sotype|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("cannot make an IPv6 socket: %v", err)
	}
	f := os.NewFile(uintptr(fd), "dual-stack loopback")
	t.Cleanup(func() { f.Close() })
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0); err != nil {
		t.Fatalf("cannot clear IPV6_V6ONLY: %v", err)
	}
	sa := &syscall.SockaddrInet6{Port: port, Addr: [16]byte{10: 0xff, 11: 0xff, 12: 127, 15: 1}}
	if err := syscall.Bind(fd, sa); err != nil {
		t.Fatalf("cannot bind [::ffff:127.0.0.1]:%d: %v", port, err)
	}
	if sotype == syscall.SOCK_STREAM {
		if err := syscall.Listen(fd, 64); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func dualStackTCP(t *testing.T, port int) net.Listener {
	t.Helper()
	ln, err := net.FileListener(dualStackLoopback(t, syscall.SOCK_STREAM, port))
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func dualStackUDP(t *testing.T, port int) *net.UDPConn {
	t.Helper()
	pc, err := net.FilePacketConn(dualStackLoopback(t, syscall.SOCK_DGRAM, port))
	if err != nil {
		t.Fatal(err)
	}
	return pc.(*net.UDPConn)
}

// mappedCases are allowlists and whether they let an IPv4 sender on
// 127.0.0.1 in, however the list writes the network: one rule for HTTP
// ingest and for the HEP and SIP listeners.
var mappedCases = []struct {
	allow string
	want  bool
}{
	{"127.0.0.0/8", true},
	{"127.0.0.1", true},
	{"::ffff:127.0.0.1", true},
	{"::ffff:127.0.0.0/104", true},
	{"::ffff:0:0/96", true},
	{"10.0.0.0/8", false},
	{"::ffff:10.0.0.0/104", false},
	{"::1", false},
	{"::/0", false}, // IPv6 networks other than the mapped ones hold no IPv4 peer
}

func TestAllowlistTakesIPv4PeersOnADualStackHTTPListener(t *testing.T) {
	for _, tc := range mappedCases {
		t.Run(tc.allow, func(t *testing.T) {
			h, err := NewHandler(Config{AllowCIDRs: tc.allow, SwitchTimezone: "UTC", MaxBodyBytes: 1 << 20},
				slog.New(slog.NewTextHandler(io.Discard, nil)), nil, func() time.Time { return testNow }, nil, &memSink{})
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			h.Register(mux)
			srv := httptest.NewUnstartedServer(mux)
			srv.Listener.Close()
			srv.Listener = dualStackTCP(t, 0)
			srv.Start()
			t.Cleanup(srv.Close)
			status, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", enter)
			if want := map[bool]int{true: 200, false: http.StatusForbidden}[tc.want]; status != want {
				t.Errorf("ACDSTAT_ALLOW_CIDRS=%s, sender 127.0.0.1 on a dual-stack socket: status %d body %s; want %d", tc.allow, status, raw, want)
			}
		})
	}
}

func TestAllowlistTakesIPv4PeersOnDualStackHEPListeners(t *testing.T) {
	for i, tc := range mappedCases {
		t.Run(tc.allow, func(t *testing.T) {
			l, col, _ := newTestListener(t, Config{AllowCIDRs: tc.allow, SIP: SIPConfig{HEPAddr: "127.0.0.1:0", SIPAddr: Off}})
			l.hepTCP = dualStackTCP(t, 0)
			l.hepUDP = dualStackUDP(t, l.hepTCP.Addr().(*net.TCPAddr).Port)
			serveListener(t, l)
			addr := fmt.Sprintf("127.0.0.1:%d", l.hepTCP.Addr().(*net.TCPAddr).Port)
			for _, network := range []string{"udp", "tcp"} {
				c, err := net.Dial(network, addr)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Write(hepOf(t, sipMessage("INVITE", fmt.Sprintf("mapped-%d-%s", i, network), ""), 1, "", time.Now())); err != nil {
					t.Fatal(err)
				}
				c.Close()
			}
			if tc.want {
				col.wait(t, 2)
				return
			}
			deadline := time.Now().Add(5 * time.Second)
			for testutil.ToFloat64(l.rejected.WithLabelValues("source")) != 2 {
				if time.Now().After(deadline) {
					t.Fatalf("ACDSTAT_ALLOW_CIDRS=%s: %v packets refused for their source; want the UDP and the TCP one", tc.allow, testutil.ToFloat64(l.rejected.WithLabelValues("source")))
				}
				time.Sleep(10 * time.Millisecond)
			}
			col.mu.Lock()
			defer col.mu.Unlock()
			if len(col.evs) != 0 {
				t.Errorf("ACDSTAT_ALLOW_CIDRS=%s: events from a refused source: %v", tc.allow, col.evs)
			}
		})
	}
}
