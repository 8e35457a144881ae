package sip

import (
	"bufio"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestReadSIPFrameSplitsAStream: keep-alives are skipped, each message
// ends after its Content-Length (or compact l) bytes of body, and the
// stream ends with io.EOF between messages.
func TestReadSIPFrameSplitsAStream(t *testing.T) {
	first := "INVITE sip:7001@10.0.0.2 SIP/2.0\r\nCall-ID: a\r\nContent-Length: 5\r\n\r\nv=0\r\n"
	second := "BYE sip:7001@10.0.0.2 SIP/2.0\r\nCall-ID: a\r\nl: 0\r\n\r\n"
	r := bufio.NewReader(strings.NewReader("\r\n\r\n" + first + "\r\n" + second))
	for _, want := range []string{first, second} {
		got, err := ReadSIPFrame(r)
		if err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ReadSIPFrame(r); !errors.Is(err, io.EOF) {
		t.Errorf("at the end: %v; want io.EOF", err)
	}
	for _, bad := range []string{
		"INVITE sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nContent-Length: 99999\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nContent-Length: 10\r\n\r\nshort",
		"INVITE sip:x SIP/2.0\r\nCall-ID: cut",
	} {
		if _, err := ReadSIPFrame(bufio.NewReader(strings.NewReader(bad))); err == nil || err == io.EOF {
			t.Errorf("%q: %v; want an error", bad, err)
		}
	}
}

// TestReadHEPFrameSplitsAStream: packets back to back come out whole, each
// one DecodeHEP reads, and a stream that is not HEP is an error.
func TestReadHEPFrameSplitsAStream(t *testing.T) {
	var stream []byte
	for _, id := range []string{"a", "b"} {
		p, err := EncodeHEP(HEPPacket{Proto: 17, Src: netip.MustParseAddrPort("192.0.2.1:5060"), Dst: netip.MustParseAddrPort("192.0.2.2:5060"),
			Time: time.Unix(1700000000, 0), PayloadType: HEPTypeSIP, CaptureID: 1, Payload: []byte("call " + id)})
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, p...)
	}
	r := bufio.NewReader(strings.NewReader(string(stream)))
	for _, want := range []string{"call a", "call b"} {
		pkt, err := ReadHEPFrame(r)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := DecodeHEP(pkt); err != nil || string(p.Payload) != want {
			t.Fatalf("payload %q, %v; want %q", p.Payload, err, want)
		}
	}
	if _, err := ReadHEPFrame(r); !errors.Is(err, io.EOF) {
		t.Errorf("at the end: %v; want io.EOF", err)
	}
	if _, err := ReadHEPFrame(bufio.NewReader(strings.NewReader("INVITE sip:x SIP/2.0\r\n"))); !errors.Is(err, ErrHEP) {
		t.Errorf("not HEP: %v; want ErrHEP", err)
	}
}
