package spool

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// segmentMagic opens every segment file; the last byte is the format.
const segmentMagic = "ACDSPL1\n"

const (
	headerLen = int64(len(segmentMagic))
	frameLen  = 16 // u32 length, u32 crc32c, u64 append time
	// maxRecordBytes bounds one record, so a damaged length field is seen as
	// damage rather than as a reason to read gigabytes.
	maxRecordBytes = 256 << 20
	segmentSuffix  = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frame is one record's place in a segment.
type frame struct {
	Off  int64 // offset of the frame header in the segment
	Len  int   // payload bytes
	Time int64 // append time, Unix ns
}

func (f frame) end() int64 { return f.Off + frameLen + int64(f.Len) }

// scanResult is what scanSegment found.
type scanResult struct {
	Frames []frame
	// Good is the length of the valid prefix (header and whole frames).
	Good int64
	// Bad says what is wrong at Good, when Good < len(data).
	Bad string
	// AtEOF is true when the damage reaches the end of the data: a frame cut
	// short, or a last frame whose checksum fails. In the newest segment
	// that is a torn write, not damage on disk.
	AtEOF bool
}

// scanSegment reads the frames of a whole segment file. It never fails: it
// says how much of data is good and why the rest is not.
func scanSegment(data []byte) scanResult {
	var r scanResult
	if int64(len(data)) < headerLen {
		r.Bad, r.AtEOF = "segment header cut short", true
		if string(data) != segmentMagic[:len(data)] {
			r.Bad, r.AtEOF = "not a spool segment (bad header)", false
		}
		return r
	}
	if string(data[:headerLen]) != segmentMagic {
		r.Bad = "not a spool segment (bad header)"
		return r
	}
	off := headerLen
	n := int64(len(data))
	for off < n {
		if n-off < frameLen {
			r.Bad, r.AtEOF = "frame header cut short", true
			break
		}
		h := data[off : off+frameLen]
		size := int64(binary.LittleEndian.Uint32(h[0:4]))
		if size > maxRecordBytes {
			r.Bad = fmt.Sprintf("record length %d is larger than %d", size, maxRecordBytes)
			break
		}
		if off+frameLen+size > n {
			r.Bad, r.AtEOF = "record cut short", true
			break
		}
		sum := binary.LittleEndian.Uint32(h[4:8])
		if frameCRC(h[8:16], data[off+frameLen:off+frameLen+size]) != sum {
			r.Bad, r.AtEOF = "checksum mismatch", off+frameLen+size == n
			break
		}
		r.Frames = append(r.Frames, frame{Off: off, Len: int(size), Time: int64(binary.LittleEndian.Uint64(h[8:16]))})
		off += frameLen + size
	}
	r.Good = off
	return r
}

// frameCRC is the checksum of a frame: CRC-32C over the time and payload.
func frameCRC(timeBytes, payload []byte) uint32 {
	c := crc32.Update(0, castagnoli, timeBytes)
	return crc32.Update(c, castagnoli, payload)
}

// appendFrame appends the frame of one record to buf.
func appendFrame(buf []byte, t int64, payload []byte) []byte {
	var h [frameLen]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[8:16], uint64(t))
	binary.LittleEndian.PutUint32(h[4:8], frameCRC(h[8:16], payload))
	buf = append(buf, h[:]...)
	return append(buf, payload...)
}

func segmentName(no uint64) string { return fmt.Sprintf("%020d%s", no, segmentSuffix) }

// parseSegmentName returns the number of a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	s, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}
