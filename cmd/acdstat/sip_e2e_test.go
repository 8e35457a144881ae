package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acdstat/acdstat/sip"
)

// sipCall writes the messages of one call to queue number 7001 as a proxy
// mirrors them: offsets from start, method or status, To-tag, CSeq.
type sipMsg struct {
	at          time.Duration
	what, toTag string
	cseq        int
	method      string
}

func sipText(callID string, m sipMsg) []byte {
	first := fmt.Sprintf("%s sip:7001@127.0.0.1 SIP/2.0", m.what)
	if m.what[0] >= '0' && m.what[0] <= '9' {
		first = "SIP/2.0 " + m.what + " Reason"
	}
	to := "<sip:7001@127.0.0.1>"
	if m.toTag != "" {
		to += ";tag=" + m.toTag
	}
	return fmt.Appendf(nil, "%s\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-%s-%d\r\nFrom: <sip:caller@127.0.0.1>;tag=f-%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n",
		first, callID, m.cseq, callID, to, callID, m.cseq, m.method)
}

// TestSIPListenersGiveQueueCalls: serve with its HEP and plain SIP listeners
// on free loopback ports, fed an answered call over HEP/UDP, an abandoned
// one over HEP/TCP and a busy one as plain SIP copies, builds exactly those
// queue calls (the kamailio + sipp run of issue 5 is not written yet).
func TestSIPListenersGiveQueueCalls(t *testing.T) {
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(`queues: {support: {numbers: ["7001"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	hepAddr, sipAddr := freeAddr(t), freeAddr(t)
	environ := testEnv(t, "ACDSTAT_QUEUES="+queues, "ACDSTAT_HEP_ADDR="+hepAddr, "ACDSTAT_SIP_ADDR="+sipAddr)
	// Plain SIP copies carry no time: acdstat stamps them on receipt by
	// the real clock, so serve runs on it (the figures are checked relative
	// to the time of sending, whatever the date).
	startServeAt(t, environ, time.Now)

	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	hep := func(callID string, m sipMsg) []byte {
		b, err := sip.EncodeHEP(sip.HEPPacket{Proto: 17, Src: netip.MustParseAddrPort("127.0.0.1:5070"), Dst: netip.MustParseAddrPort("127.0.0.1:5060"),
			Time: start.Add(m.at), PayloadType: sip.HEPTypeSIP, CaptureID: 2001, Payload: sipText(callID, m)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	answered := []sipMsg{{0, "INVITE", "", 1, "INVITE"}, {time.Second, "180", "b", 1, "INVITE"},
		{2 * time.Second, "200", "b", 1, "INVITE"}, {2100 * time.Millisecond, "ACK", "b", 1, "ACK"}, {5 * time.Second, "BYE", "b", 2, "BYE"}}
	abandoned := []sipMsg{{0, "INVITE", "", 1, "INVITE"}, {time.Second, "180", "b", 1, "INVITE"},
		{3 * time.Second, "CANCEL", "", 1, "CANCEL"}, {3100 * time.Millisecond, "487", "b", 1, "INVITE"}}
	busy := []sipMsg{{0, "INVITE", "", 1, "INVITE"}, {time.Second, "486", "b", 1, "INVITE"}}

	u, err := net.Dial("udp", hepAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for _, m := range answered {
		for range 2 { // every packet twice: a resent packet is one event
			if _, err := u.Write(hep("sip-answered", m)); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := net.Dial("tcp", hepAddr)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range abandoned {
		if _, err := c.Write(hep("sip-abandoned", m)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	p, err := net.Dial("udp", sipAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, m := range busy {
		if _, err := p.Write(sipText("sip-busy", m)); err != nil {
			t.Fatal(err)
		}
	}
	waitForCounts(t, environ, map[string]map[string]int{"support": {"answered": 1, "abandoned": 1, "exit_other": 1}}, time.Minute)
}
