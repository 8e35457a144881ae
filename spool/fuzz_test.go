package spool

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadSegment feeds the segment reader arbitrary bytes: it must not
// panic, its good prefix must lie within the data, and the frames it
// accepts must re-encode to exactly that prefix.
func FuzzReadSegment(f *testing.F) {
	dir := f.TempDir()
	s, err := Open(dir, Config{MaxBytes: 1 << 20, SegmentBytes: 4096, BatchBytes: 1 << 20}, nil)
	if err != nil {
		f.Fatal(err)
	}
	for i := range 5 {
		if err := s.Append(context.Background(), [][]byte{rec(i), {}, []byte("x")}); err != nil {
			f.Fatal(err)
		}
	}
	s.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if len(b) > 30 {
			f.Add(b[:len(b)-3])
			c := bytes.Clone(b)
			c[25] ^= 1
			f.Add(c)
		}
	}
	f.Add([]byte(segmentMagic))
	f.Add([]byte("ACDS"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := scanSegment(data)
		if r.Good < 0 || r.Good > int64(len(data)) {
			t.Fatalf("good %d outside 0..%d", r.Good, len(data))
		}
		if r.Bad == "" && r.Good != int64(len(data)) || r.Bad != "" && r.Good == int64(len(data)) && len(data) > 0 {
			t.Fatalf("bad %q with good %d of %d", r.Bad, r.Good, len(data))
		}
		if len(r.Frames) == 0 {
			return
		}
		out := []byte(segmentMagic)
		for _, fr := range r.Frames {
			out = appendFrame(out, fr.Time, data[fr.Off+frameLen:fr.end()])
		}
		if !bytes.Equal(out, data[:r.Good]) {
			t.Fatalf("frames re-encode to %d bytes; the good prefix is %d", len(out), r.Good)
		}
	})
}
