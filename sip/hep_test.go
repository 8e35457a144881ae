package sip

import (
	"bytes"
	"errors"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// shared is the project's shared reference data; tests that read it skip
// when it is absent (a fresh clone without ../shared).
const shared = "../../shared/testdata/sip"

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(shared, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared test data %s absent", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitHEP splits a stream of back-to-back HEP packets.
func splitHEP(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n, err := HEPLength(b)
		if err != nil || n > len(b) {
			t.Fatalf("cannot split HEP stream at packet %d: %v", len(out)+1, err)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func TestDecodeHEPCaptured(t *testing.T) {
	frames := splitHEP(t, readShared(t, "kamailio-hep/captured/hep3-udp-run.bin"))
	if len(frames) != 48 {
		t.Fatalf("got %d packets, want 48", len(frames))
	}
	p, err := DecodeHEP(frames[0])
	if err != nil {
		t.Fatal(err)
	}
	// The first packet as hep_listen.py printed it in hep3-udp-run.sip.txt.
	want := time.Date(2026, 11, 25, 21, 12, 25, 770502000, time.UTC)
	if !p.Time.Equal(want) || p.Src != netip.MustParseAddrPort("127.0.0.1:5070") ||
		p.Dst != netip.MustParseAddrPort("127.0.0.1:5060") || p.CaptureID != 2001 ||
		p.Proto != 17 || p.Family != 2 || p.PayloadType != HEPTypeSIP ||
		!bytes.HasPrefix(p.Payload, []byte("INVITE sip:2001@127.0.0.1:5060 SIP/2.0\r\n")) {
		t.Errorf("first packet = %+v", p)
	}
	for i, f := range frames {
		p, err := DecodeHEP(f)
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if p.CaptureID != 2001 || p.Time.IsZero() {
			t.Errorf("packet %d: capture id %d time %v", i+1, p.CaptureID, p.Time)
		}
	}
}

func TestHEPRoundTrip(t *testing.T) {
	in := HEPPacket{
		Family: 10, Proto: 6,
		Src:         netip.MustParseAddrPort("[2001:db8::1]:5060"),
		Dst:         netip.MustParseAddrPort("[2001:db8::2]:5080"),
		Time:        time.Date(2025, 3, 1, 10, 0, 0, 123456000, time.UTC),
		PayloadType: HEPTypeSIP, CaptureID: 70000, AuthKey: "pw", Correlation: "abc",
		Payload: []byte("BYE sip:x SIP/2.0\r\n\r\n"),
	}
	b, err := EncodeHEP(in)
	if err != nil {
		t.Fatal(err)
	}
	// An unknown chunk and a chunk of another vendor are skipped.
	extra := []byte{0, 0, 0x00, 0x77, 0, 8, 1, 2, 0, 2, 0x00, 0x0c, 0, 7, 9}
	b = append(b, extra...)
	b[4], b[5] = byte(len(b)>>8), byte(len(b))
	out, err := DecodeHEP(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Src != in.Src || out.Dst != in.Dst || !out.Time.Equal(in.Time) || out.CaptureID != in.CaptureID ||
		out.AuthKey != in.AuthKey || out.Correlation != in.Correlation || !bytes.Equal(out.Payload, in.Payload) ||
		out.Proto != 6 || out.Family != 10 {
		t.Errorf("round trip: got %+v, want %+v", out, in)
	}
}

func TestDecodeHEPErrors(t *testing.T) {
	good, err := EncodeHEP(HEPPacket{Src: netip.MustParseAddrPort("10.0.0.1:1"), Dst: netip.MustParseAddrPort("10.0.0.2:2"), Payload: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	overrun := bytes.Clone(good)
	overrun[len(overrun)-3] = 0xff                                  // the payload chunk's length
	wrongSize := []byte("HEP3\x00\x0d\x00\x00\x00\x07\x00\x06\x01") // a 0-byte port
	for name, b := range map[string][]byte{
		"empty":      nil,
		"not HEP":    []byte("INVITE sip:x SIP/2.0\r\n"),
		"HEP2":       []byte("HEP2\x00\x06"),
		"short len":  []byte("HEP3\x00\x03"),
		"truncated":  good[:len(good)-1],
		"trailing":   append(bytes.Clone(good), 0),
		"overrun":    overrun,
		"wrong size": wrongSize,
		"no payload": []byte("HEP3\x00\x06"),
	} {
		if _, err := DecodeHEP(b); !errors.Is(err, ErrHEP) {
			t.Errorf("%s: err = %v, want ErrHEP", name, err)
		}
	}
}

func FuzzDecodeHEP(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(shared, "kamailio-hep/captured/hep3-udp-run.bin")); err == nil {
		for _, fr := range splitHEP(f, b) {
			f.Add(fr)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeHEP(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to a packet that decodes the same.
		if p.Family != 2 && p.Family != 10 {
			return
		}
		p2, err := EncodeHEP(p)
		if err != nil {
			return
		}
		q, err := DecodeHEP(p2)
		if err != nil {
			t.Fatalf("re-encoded packet does not decode: %v", err)
		}
		if !bytes.Equal(q.Payload, p.Payload) || !q.Time.Equal(p.Time) || q.CaptureID != p.CaptureID {
			t.Fatalf("re-encoded packet differs: %+v vs %+v", q, p)
		}
	})
}

// TestCaptureSwitchIsASwitchName: the switch HEP packets get from their
// capture id passes the switch name rule of every intake path.
func TestCaptureSwitchIsASwitchName(t *testing.T) {
	for _, id := range []uint32{0, 2001, math.MaxUint32} {
		sw := CaptureSwitch(id)
		if got, err := cdr.SwitchName(sw); err != nil || got != sw {
			t.Errorf("cdr.SwitchName(%q) = %q, %v; want it taken as it is", sw, got, err)
		}
	}
	if got := CaptureSwitch(2001); got != "hep-2001" {
		t.Errorf("CaptureSwitch(2001) = %q; want hep-2001", got)
	}
}
