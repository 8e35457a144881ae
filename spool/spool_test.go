package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func testConfig() Config {
	return Config{MaxBytes: 64 << 20, SegmentBytes: 8192, BatchBytes: 1 << 20}
}

func mustOpen(t *testing.T, dir string, cfg Config) *Spool {
	t.Helper()
	s, err := Open(dir, cfg, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func rec(i int) []byte { return []byte(fmt.Sprintf("record %06d %s", i, "payload")) }

func appendN(t *testing.T, s *Spool, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := s.Append(context.Background(), [][]byte{rec(i)}); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
}

// drain reads and acknowledges everything pending, returning the payloads.
func drain(t *testing.T, s *Spool) []string {
	t.Helper()
	var out []string
	for s.Stats().Pending > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b, err := s.Next(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Next with %d pending: %v", s.Stats().Pending, err)
		}
		for _, r := range b.Records {
			out = append(out, string(r.Data))
		}
		if err := s.Ack(b); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
	return out
}

func wantRecords(t *testing.T, got []string, idx ...int) {
	t.Helper()
	if len(got) != len(idx) {
		t.Fatalf("got %d records; want %d", len(got), len(idx))
	}
	for i, n := range idx {
		if got[i] != string(rec(n)) {
			t.Fatalf("record %d: got %q; want %q", i, got[i], rec(n))
		}
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRoundTripKeepsOrderAndTimes(t *testing.T) {
	s := mustOpen(t, t.TempDir(), testConfig())
	defer s.Close()
	before := time.Now()
	appendN(t, s, 0, 500)
	if st := s.Stats(); st.Pending != 500 || st.Oldest.Before(before.Add(-time.Second)) || st.Oldest.After(time.Now()) {
		t.Fatalf("stats after 500 appends: %+v", st)
	}
	wantRecords(t, drain(t, s), seq(0, 500)...)
	if st := s.Stats(); st.Pending != 0 || !st.Oldest.IsZero() || st.Segments != 1 {
		t.Fatalf("stats after draining: %+v; want nothing pending and only the active segment", st)
	}
}

func TestReopenResumesAfterTheLastAck(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, testConfig())
	appendN(t, s, 0, 300)
	ctx := context.Background()
	b, err := s.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Acknowledge only part: a Next with a small budget.
	s.Close()

	s = mustOpen(t, dir, testConfig())
	if got := s.Stats().Pending; got != 300 {
		t.Fatalf("pending after reopen without ack: %d; want 300", got)
	}
	s.cfg.BatchBytes = 100 * len(rec(0)) // about 100 records per Next
	b, err = s.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := len(b.Records)
	if err := s.Ack(b); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 300, 10)
	s.Close()

	s = mustOpen(t, dir, testConfig())
	defer s.Close()
	if got := s.Stats().Pending; got != int64(310-n) {
		t.Fatalf("pending after reopen: %d; want %d", got, 310-n)
	}
	wantRecords(t, drain(t, s), seq(n, 310)...)
}

func TestAckDeletesOnlyFullyAcknowledgedSegments(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.BatchBytes = 1000
	s := mustOpen(t, dir, cfg)
	defer s.Close()
	appendN(t, s, 0, 1000) // about 30 bytes a frame: several 8 KiB segments
	segs := len(segmentFiles(t, dir))
	if segs < 4 {
		t.Fatalf("%d segments; want at least 4 for this test", segs)
	}
	ctx := context.Background()
	b, err := s.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Read far more without acknowledging: nothing may be deleted.
	var last Batch
	for range 10 {
		if last, err = s.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(segmentFiles(t, dir)); got != segs {
		t.Fatalf("%d segments after reading without ack; want %d", got, segs)
	}
	if err := s.Ack(b); err != nil {
		t.Fatal(err)
	}
	if got := len(segmentFiles(t, dir)); got != segs {
		t.Fatalf("%d segments after acking part of the first; want %d", got, segs)
	}
	if err := s.Ack(last); err != nil {
		t.Fatal(err)
	}
	got := len(segmentFiles(t, dir))
	if got >= segs {
		t.Fatalf("%d segments after acking most records; want fewer than %d", got, segs)
	}
	before := s.Stats().Bytes
	drain(t, s)
	if got := segmentFiles(t, dir); len(got) != 1 {
		t.Fatalf("segments left after draining: %v; want only the active one", got)
	}
	if after := s.Stats().Bytes; after >= before || after > cfg.SegmentBytes {
		t.Fatalf("bytes on disk after draining: %d (before %d); want only the active segment", after, before)
	}
}

func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Config{MaxBytes: 64 << 20, SegmentBytes: 1 << 20, BatchBytes: 1 << 20})
	appendN(t, s, 0, 50)
	s.Close()
	files := segmentFiles(t, dir)
	path := files[len(files)-1]
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()-5); err != nil { // mid-record
		t.Fatal(err)
	}
	s = mustOpen(t, dir, testConfig())
	defer s.Close()
	rec := s.Recovery()
	if len(rec.Damage) != 1 || !rec.Damage[0].Torn || rec.Damage[0].KeptRecords != 49 {
		t.Fatalf("recovery %+v; want one torn tail keeping 49 records", rec)
	}
	if s.Stats().TornTails != 1 || s.Stats().Damaged != 0 {
		t.Fatalf("stats %+v; want 1 torn tail, 0 damaged", s.Stats())
	}
	wantRecords(t, drain(t, s), seq(0, 49)...)
}

func TestBitFlipInAMiddleRecordMovesTheSegmentAside(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, testConfig())
	appendN(t, s, 0, 1000)
	s.Close()
	files := segmentFiles(t, dir)
	if len(files) < 4 {
		t.Fatalf("%d segments; want several", len(files))
	}
	// Flip a bit inside the 10th record of the second segment.
	data, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	r := scanSegment(data)
	if r.Bad != "" || len(r.Frames) < 20 {
		t.Fatalf("second segment: %+v", r)
	}
	first := scanSegment(mustRead(t, files[0]))
	damagedAt := r.Frames[10]
	data[damagedAt.Off+frameLen+3] ^= 0x10
	if err := os.WriteFile(files[1], data, 0o640); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, dir, testConfig())
	defer s.Close()
	rec := s.Recovery()
	if len(rec.Damage) != 1 || rec.Damage[0].Torn || rec.Damage[0].Offset != damagedAt.Off || rec.Damage[0].KeptRecords != 10 || rec.Damage[0].MovedTo == "" {
		t.Fatalf("recovery %+v; want one damaged segment at offset %d keeping 10 records", rec, damagedAt.Off)
	}
	if _, err := os.Stat(rec.Damage[0].MovedTo); err != nil {
		t.Fatalf("the damaged copy: %v", err)
	}
	if s.Stats().Damaged != 1 {
		t.Fatalf("stats %+v; want 1 damaged segment", s.Stats())
	}
	got := drain(t, s)
	n1 := len(first.Frames)
	lost := len(r.Frames) - 10
	want := append(seq(0, n1+10), seq(n1+10+lost, 1000)...)
	wantRecords(t, got, want...)

	// A second start finds nothing more to repair.
	s.Close()
	s = mustOpen(t, dir, testConfig())
	if d := s.Recovery().Damage; len(d) != 0 {
		t.Fatalf("second start repaired again: %+v", d)
	}
}

func TestSegmentTruncatedInTheMiddleIsDamageNotATornTail(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, testConfig())
	appendN(t, s, 0, 1000)
	s.Close()
	files := segmentFiles(t, dir)
	fi, _ := os.Stat(files[0])
	if err := os.Truncate(files[0], fi.Size()-7); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, testConfig())
	defer s.Close()
	d := s.Recovery().Damage
	if len(d) != 1 || d[0].Torn || d[0].MovedTo == "" {
		t.Fatalf("damage %+v; want one segment moved aside (an older segment is never torn by a crash)", d)
	}
	if got := len(drain(t, s)); got != 999 {
		t.Fatalf("read %d records; want 999 (one lost)", got)
	}
}

func TestGarbageSegmentIsMovedAsideAndTheRestRead(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, testConfig())
	appendN(t, s, 0, 10)
	s.Close()
	if err := os.WriteFile(filepath.Join(dir, segmentName(1)), []byte("this is not a segment at all"), 0o640); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, testConfig())
	defer s.Close()
	if d := s.Recovery().Damage; len(d) != 1 || d[0].KeptRecords != 0 {
		t.Fatalf("damage %+v", d)
	}
	appendN(t, s, 10, 5)
	wantRecords(t, drain(t, s), seq(10, 15)...)
}

func TestFullSpoolRefusesAndRecoversAfterAck(t *testing.T) {
	cfg := Config{MaxBytes: 16384, SegmentBytes: 4096, BatchBytes: 1 << 20}
	s := mustOpen(t, t.TempDir(), cfg)
	defer s.Close()
	ctx := context.Background()
	if err := s.Ready(); err != nil {
		t.Fatalf("Ready when empty: %v", err)
	}
	n := 0
	for ; ; n++ {
		err := s.Append(ctx, [][]byte{rec(n)})
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n > 10000 {
			t.Fatal("never full")
		}
	}
	if st := s.Stats(); st.Bytes > cfg.MaxBytes || st.Pending != int64(n) || !st.Full {
		t.Fatalf("stats when full: %+v; want at most %d bytes and %d pending", st, cfg.MaxBytes, n)
	}
	// Full is not ready: intake cannot take records.
	if err := s.Ready(); err == nil || !strings.Contains(err.Error(), "spool is full") {
		t.Fatalf("Ready when full: %v; want an error saying the spool is full", err)
	}
	got := drain(t, s)
	wantRecords(t, got, seq(0, n)...)
	if s.Stats().Full {
		t.Fatal("still full after draining")
	}
	if err := s.Ready(); err != nil {
		t.Fatalf("Ready after draining: %v", err)
	}
	if err := s.Append(ctx, [][]byte{rec(n)}); err != nil {
		t.Fatalf("Append after draining: %v", err)
	}
}

func TestConcurrentAppendersLoseNothing(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Config{MaxBytes: 64 << 20, SegmentBytes: 64 << 10, BatchBytes: 1 << 20})
	const writers, each = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Append(context.Background(), [][]byte{[]byte(fmt.Sprintf("w%d-%d", w, i)), []byte("x")}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// The consumer reads while they write.
	seen := map[string]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(seen) < writers*each+1 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			b, err := s.Next(ctx)
			cancel()
			if err != nil {
				errs <- err
				return
			}
			for _, r := range b.Records {
				seen[string(r.Data)]++
			}
			if err := s.Ack(b); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	<-done
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := range writers {
		for i := range each {
			if k := fmt.Sprintf("w%d-%d", w, i); seen[k] != 1 {
				t.Fatalf("%s read %d times; want 1", k, seen[k])
			}
		}
	}
	if seen["x"] != writers*each {
		t.Fatalf("x read %d times; want %d", seen["x"], writers*each)
	}
	if st := s.Stats(); st.Pending != 0 {
		t.Fatalf("pending %d after reading all", st.Pending)
	}
	s.Close()
	s = mustOpen(t, dir, testConfig())
	defer s.Close()
	if st := s.Stats(); st.Pending != 0 || len(s.Recovery().Damage) != 0 {
		t.Fatalf("after reopen: %+v %+v; want nothing pending or damaged", st, s.Recovery())
	}
}

func TestNextWaitsForAppends(t *testing.T) {
	s := mustOpen(t, t.TempDir(), testConfig())
	defer s.Close()
	got := make(chan []string, 1)
	go func() {
		b, err := s.Next(context.Background())
		if err != nil {
			got <- []string{err.Error()}
			return
		}
		got <- []string{string(b.Records[0].Data)}
	}()
	appendN(t, s, 7, 1)
	if r := <-got; len(r) != 1 || r[0] != string(rec(7)) {
		t.Fatalf("Next got %v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2 := mustOpen(t, t.TempDir(), testConfig())
	defer s2.Close()
	if _, err := s2.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next on an empty spool with a cancelled ctx: %v; want context.Canceled", err)
	}
}

func TestValidateNamesTheVariable(t *testing.T) {
	err := Config{MaxBytes: 100, SegmentBytes: 4096, BatchBytes: 1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "ACDSTAT_SPOOL_MAX_BYTES") {
		t.Fatalf("Validate: %v; want it to name ACDSTAT_SPOOL_MAX_BYTES", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
