package cdr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"time"
)

// spoolRecordVersion is the first byte of every spool record. A new layout
// gets a new number, and UnmarshalSpoolRecord keeps reading the old ones
// that a spool may still hold after an upgrade (testdata/spoolrecord/v1 holds
// records of version 1 written by the release that introduced it).
const spoolRecordVersion = 1

// ErrBadSpoolRecord is wrapped by every UnmarshalSpoolRecord error.
var ErrBadSpoolRecord = errors.New("cdr: bad spool record")

// MarshalSpoolRecord encodes what one intake call accepted (events and
// rejects, in the order given) as one record of the spool of acdstat serve:
// a version byte, then each event's id (8 bytes), switch, source, time
// (Unix seconds, varint), micros, call id, queue, agent, verb, data1..data5
// and line, then each reject's switch, source, line, field, reason and raw
// text. Strings are a uvarint length and the bytes. An event's IngestedAt
// is not encoded (the store stamps it), nor a reject's ReceivedAt: the
// spool keeps the time it took the record, which stands for it.
func MarshalSpoolRecord(events []Event, rejects []Reject) []byte {
	size := 1 + 2*binary.MaxVarintLen64
	for i := range events {
		e := &events[i]
		size += 8 + 5*binary.MaxVarintLen64 + len(e.Switch) + len(e.Source) + len(e.CallID) + len(e.Queue) + len(e.Agent) + len(e.Verb) + 10
		for _, d := range e.Data {
			size += len(d) + 2
		}
	}
	buf := make([]byte, 0, size)
	buf = append(buf, spoolRecordVersion)
	buf = binary.AppendUvarint(buf, uint64(len(events)))
	for i := range events {
		e := &events[i]
		buf = binary.BigEndian.AppendUint64(buf, e.ID)
		buf = appendString(buf, e.Switch)
		buf = appendString(buf, e.Source)
		buf = binary.AppendVarint(buf, e.Time.Unix())
		buf = binary.AppendUvarint(buf, uint64(e.Micros))
		buf = appendString(buf, e.CallID)
		buf = appendString(buf, e.Queue)
		buf = appendString(buf, e.Agent)
		buf = appendString(buf, e.Verb)
		for _, d := range e.Data {
			buf = appendString(buf, d)
		}
		buf = binary.AppendUvarint(buf, uint64(max(e.Line, 0)))
	}
	buf = binary.AppendUvarint(buf, uint64(len(rejects)))
	for i := range rejects {
		r := &rejects[i]
		buf = appendString(buf, r.Switch)
		buf = appendString(buf, r.Source)
		buf = binary.AppendUvarint(buf, uint64(max(r.Line, 0)))
		buf = appendString(buf, r.Field)
		buf = appendString(buf, r.Reason)
		buf = appendString(buf, r.Raw)
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// Smallest encodings, to bound counts by the bytes left before allocating.
const (
	minEventBytes  = 8 + 1 + 1 + 1 + 1 + 4 + 5 + 1 // id, 2 strings, time, micros, 4 strings, 5 data, line
	minRejectBytes = 6
)

// UnmarshalSpoolRecord decodes what MarshalSpoolRecord wrote, in this
// release or an earlier one. Any malformed input is an error wrapping
// ErrBadSpoolRecord, never a panic. The result shares no memory with b: its
// strings are cut from one copy of b, made once for the record rather than
// once for each string (the writer decodes every event serve takes, and
// drops them all once they are stored, so the copy lives no longer than
// its events). The rejects' ReceivedAt is zero (the caller knows when the
// spool took b).
func UnmarshalSpoolRecord(b []byte) ([]Event, []Reject, error) {
	d := recordDecoder{b: b, s: string(b)}
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("%w: empty", ErrBadSpoolRecord)
	}
	if v := d.byte(); v != spoolRecordVersion {
		return nil, nil, fmt.Errorf("%w: version %d is not known (this acdstat reads %d)", ErrBadSpoolRecord, v, spoolRecordVersion)
	}
	n := d.count(minEventBytes)
	events := make([]Event, n)
	for i := range events {
		e := &events[i]
		e.ID = d.uint64()
		e.Switch, e.Source = d.string(), d.string()
		e.Time = time.Unix(d.varint(), 0).UTC()
		micros := d.uvarint()
		if micros >= 1_000_000 {
			d.fail("micros %d out of range", micros)
		}
		e.Micros = uint32(micros)
		e.CallID, e.Queue, e.Agent, e.Verb = d.string(), d.string(), d.string(), d.string()
		for j := range e.Data {
			e.Data[j] = d.string()
		}
		e.Line = d.int()
	}
	n = d.count(minRejectBytes)
	rejects := make([]Reject, n)
	for i := range rejects {
		r := &rejects[i]
		r.Switch, r.Source = d.string(), d.string()
		r.Line, r.Field, r.Reason, r.Raw = d.int(), d.string(), d.string(), d.string()
	}
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d bytes after the last record", len(d.b)-d.off)
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	return events, rejects, nil
}

// recordDecoder reads fields of b; after the first error every read returns a
// zero value and err keeps that first error.
type recordDecoder struct {
	b   []byte
	s   string // b, copied once: the strings read are cut from it
	off int
	err error
}

func (d *recordDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrBadSpoolRecord, d.off, fmt.Sprintf(format, args...))
	}
	d.off = len(d.b)
}

func (d *recordDecoder) byte() byte {
	if d.off >= len(d.b) {
		d.fail("cut short")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *recordDecoder) uint64() uint64 {
	if len(d.b)-d.off < 8 {
		d.fail("cut short")
		return 0
	}
	v := binary.BigEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

// uvarint reads a number in its shortest encoding only (the one
// MarshalSpoolRecord writes), so one record has one byte form.
func (d *recordDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 || n != uvarintLen(v) {
		d.fail("bad number")
		return 0
	}
	d.off += n
	return v
}

func (d *recordDecoder) varint() int64 {
	v, n := binary.Varint(d.b[d.off:])
	// Varint's zigzag form, whose shortest encoding is checked.
	ux := uint64(v) << 1
	if v < 0 {
		ux = ^ux
	}
	if n <= 0 || n != uvarintLen(ux) {
		d.fail("bad number")
		return 0
	}
	d.off += n
	return v
}

// int reads a line number.
func (d *recordDecoder) int() int {
	v := d.uvarint()
	if v > 1<<31-1 {
		d.fail("line %d out of range", v)
		return 0
	}
	return int(v)
}

// count reads a record count and checks that the bytes left can hold it.
func (d *recordDecoder) count(minBytes int) int {
	v := d.uvarint()
	if d.err != nil {
		return 0
	}
	if v > uint64(len(d.b)-d.off)/uint64(minBytes) {
		d.fail("count %d does not fit in %d bytes", v, len(d.b)-d.off)
		return 0
	}
	return int(v)
}

func (d *recordDecoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail("string of %d bytes runs past the end", n)
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// uvarintLen is the length of v's shortest uvarint encoding, the one
// binary.AppendUvarint writes: seven bits a byte.
func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }
