package sip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"
)

// HEP chunk types of the generic vendor (0) that DecodeHEP reads
// (research/sip-anchors.md §1.1); every other chunk is skipped by its length.
const (
	hepFamily      = 0x0001
	hepProto       = 0x0002
	hepSrcIPv4     = 0x0003
	hepDstIPv4     = 0x0004
	hepSrcIPv6     = 0x0005
	hepDstIPv6     = 0x0006
	hepSrcPort     = 0x0007
	hepDstPort     = 0x0008
	hepTimeSec     = 0x0009
	hepTimeMicros  = 0x000a
	hepPayloadType = 0x000b
	hepCaptureID   = 0x000c
	hepAuthKey     = 0x000e
	hepPayload     = 0x000f
	hepCorrelation = 0x0011
)

// HEPTypeSIP is the payload type of a SIP message.
const HEPTypeSIP = 1

// hepHeaderLen is "HEP3" and the 16-bit total length.
const hepHeaderLen = 6

// ErrHEP is wrapped by every error of DecodeHEP.
var ErrHEP = errors.New("sip: invalid HEP packet")

// HEPPacket is one decoded HEPv3 packet. Payload aliases the input.
type HEPPacket struct {
	Family      uint8 // 2 IPv4, 10 IPv6
	Proto       uint8 // 17 UDP, 6 TCP
	Src, Dst    netip.AddrPort
	Time        time.Time // capture time; zero when the sender sent none
	PayloadType uint8
	CaptureID   uint32
	AuthKey     string
	Correlation string
	Payload     []byte
}

// CaptureSwitch is the switch of the events of a HEP packet when the
// listener names none (ACDSTAT_SIP_SWITCH): "hep-" and the packet's capture
// id, a name cdr.SwitchName takes.
func CaptureSwitch(captureID uint32) string {
	return "hep-" + strconv.FormatUint(uint64(captureID), 10)
}

// HEPLength returns the total length a HEPv3 header announces, for framing a
// stream; b must hold at least 6 bytes.
func HEPLength(b []byte) (int, error) {
	if len(b) < hepHeaderLen || string(b[:4]) != "HEP3" {
		return 0, fmt.Errorf("%w: no HEP3 header", ErrHEP)
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if n < hepHeaderLen {
		return 0, fmt.Errorf("%w: length %d shorter than its header", ErrHEP, n)
	}
	return n, nil
}

// DecodeHEP decodes one HEPv3 packet, which must fill b exactly. Chunks of
// other vendors and unknown types are skipped; a chunk whose length runs
// past the packet, or a known chunk of the wrong size, is an error.
func DecodeHEP(b []byte) (HEPPacket, error) {
	var p HEPPacket
	n, err := HEPLength(b)
	if err != nil {
		return p, err
	}
	if n != len(b) {
		return p, fmt.Errorf("%w: length %d but %d bytes", ErrHEP, n, len(b))
	}
	var src4, dst4 [4]byte
	var src6, dst6 [16]byte
	var have4, have6 bool
	var srcPort, dstPort uint16
	var sec, usec uint32
	var haveTime bool
	rest := b[hepHeaderLen:]
	for len(rest) > 0 {
		if len(rest) < 6 {
			return p, fmt.Errorf("%w: %d stray bytes at the end", ErrHEP, len(rest))
		}
		vendor := binary.BigEndian.Uint16(rest[0:2])
		typ := binary.BigEndian.Uint16(rest[2:4])
		size := int(binary.BigEndian.Uint16(rest[4:6]))
		if size < 6 || size > len(rest) {
			return p, fmt.Errorf("%w: chunk 0x%04x length %d overruns the packet", ErrHEP, typ, size)
		}
		v := rest[6:size]
		rest = rest[size:]
		if vendor != 0 {
			continue
		}
		fixed := func(want int) error {
			if len(v) != want {
				return fmt.Errorf("%w: chunk 0x%04x has %d bytes, want %d", ErrHEP, typ, len(v), want)
			}
			return nil
		}
		var err error
		switch typ {
		case hepFamily:
			if err = fixed(1); err == nil {
				p.Family = v[0]
			}
		case hepProto:
			if err = fixed(1); err == nil {
				p.Proto = v[0]
			}
		case hepSrcIPv4:
			if err = fixed(4); err == nil {
				copy(src4[:], v)
				have4 = true
			}
		case hepDstIPv4:
			if err = fixed(4); err == nil {
				copy(dst4[:], v)
				have4 = true
			}
		case hepSrcIPv6:
			if err = fixed(16); err == nil {
				copy(src6[:], v)
				have6 = true
			}
		case hepDstIPv6:
			if err = fixed(16); err == nil {
				copy(dst6[:], v)
				have6 = true
			}
		case hepSrcPort:
			if err = fixed(2); err == nil {
				srcPort = binary.BigEndian.Uint16(v)
			}
		case hepDstPort:
			if err = fixed(2); err == nil {
				dstPort = binary.BigEndian.Uint16(v)
			}
		case hepTimeSec:
			if err = fixed(4); err == nil {
				sec = binary.BigEndian.Uint32(v)
				haveTime = true
			}
		case hepTimeMicros:
			if err = fixed(4); err == nil {
				usec = binary.BigEndian.Uint32(v)
				haveTime = true
			}
		case hepPayloadType:
			if err = fixed(1); err == nil {
				p.PayloadType = v[0]
			}
		case hepCaptureID:
			switch len(v) { // 32 bits in HEPv3; some senders write 16
			case 4:
				p.CaptureID = binary.BigEndian.Uint32(v)
			case 2:
				p.CaptureID = uint32(binary.BigEndian.Uint16(v))
			default:
				err = fixed(4)
			}
		case hepAuthKey:
			p.AuthKey = string(v)
		case hepPayload:
			p.Payload = v
		case hepCorrelation:
			p.Correlation = string(v)
		}
		if err != nil {
			return p, err
		}
	}
	if usec >= 1_000_000 {
		return p, fmt.Errorf("%w: %d microseconds", ErrHEP, usec)
	}
	if haveTime && (sec != 0 || usec != 0) {
		p.Time = time.Unix(int64(sec), int64(usec)*1000).UTC()
	}
	switch {
	case p.Family == 10 || (have6 && !have4):
		p.Src = netip.AddrPortFrom(netip.AddrFrom16(src6), srcPort)
		p.Dst = netip.AddrPortFrom(netip.AddrFrom16(dst6), dstPort)
	case have4:
		p.Src = netip.AddrPortFrom(netip.AddrFrom4(src4), srcPort)
		p.Dst = netip.AddrPortFrom(netip.AddrFrom4(dst4), dstPort)
	}
	if p.Payload == nil {
		return p, fmt.Errorf("%w: no payload chunk", ErrHEP)
	}
	return p, nil
}

// EncodeHEP writes p as a HEPv3 packet (the chunks DecodeHEP reads), for
// tests, replays and benchmarks. It fails when the packet exceeds 65535
// bytes.
func EncodeHEP(p HEPPacket) ([]byte, error) {
	b := make([]byte, hepHeaderLen, 128+len(p.Payload))
	copy(b, "HEP3")
	chunk := func(typ uint16, v []byte) {
		var h [6]byte
		binary.BigEndian.PutUint16(h[2:4], typ)
		binary.BigEndian.PutUint16(h[4:6], uint16(6+len(v)))
		b = append(b, h[:]...)
		b = append(b, v...)
	}
	u16 := func(x uint16) []byte { return binary.BigEndian.AppendUint16(nil, x) }
	u32 := func(x uint32) []byte { return binary.BigEndian.AppendUint32(nil, x) }
	v6 := p.Family == 10 || is6(p.Src.Addr()) || is6(p.Dst.Addr())
	if v6 {
		chunk(hepFamily, []byte{10})
	} else {
		chunk(hepFamily, []byte{2})
	}
	chunk(hepProto, []byte{p.Proto})
	if v6 {
		s, d := as16(p.Src.Addr()), as16(p.Dst.Addr())
		chunk(hepSrcIPv6, s[:])
		chunk(hepDstIPv6, d[:])
	} else {
		s, d := as4(p.Src.Addr()), as4(p.Dst.Addr())
		chunk(hepSrcIPv4, s[:])
		chunk(hepDstIPv4, d[:])
	}
	chunk(hepSrcPort, u16(p.Src.Port()))
	chunk(hepDstPort, u16(p.Dst.Port()))
	if !p.Time.IsZero() {
		chunk(hepTimeSec, u32(uint32(p.Time.Unix())))
		chunk(hepTimeMicros, u32(uint32(p.Time.Nanosecond()/1000)))
	}
	chunk(hepPayloadType, []byte{p.PayloadType})
	chunk(hepCaptureID, u32(p.CaptureID))
	if p.AuthKey != "" {
		chunk(hepAuthKey, []byte(p.AuthKey))
	}
	if p.Correlation != "" {
		chunk(hepCorrelation, []byte(p.Correlation))
	}
	chunk(hepPayload, p.Payload)
	if len(b) > 65535 {
		return nil, fmt.Errorf("cannot encode HEP packet: %d bytes", len(b))
	}
	binary.BigEndian.PutUint16(b[4:6], uint16(len(b)))
	return b, nil
}

func is6(a netip.Addr) bool { return a.Is6() && !a.Is4In6() }

func as4(a netip.Addr) [4]byte {
	if a = a.Unmap(); a.Is4() {
		return a.As4()
	}
	return [4]byte{}
}

func as16(a netip.Addr) [16]byte {
	if a.IsValid() {
		return a.As16()
	}
	return [16]byte{}
}
