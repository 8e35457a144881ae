package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// diskFaults makes the spool's file operations fail on demand, as a full or
// failing disk does: a failed write has written half its bytes (a write cut
// short by ENOSPC), and a failed fsync has synced nothing, leaving the bytes
// in the page cache, where a reader of the file still sees them and a later
// fsync may report success for them (what Linux does after it dropped them).
type diskFaults struct {
	mu    sync.Mutex
	left  map[string]int // "op kind" → failures left; negative: every time
	every map[string]int // "op kind" → fail every nth such operation
	count map[string]int // "op kind" → operations seen
}

// Operations are "create", "write", "sync" and "truncate"; kinds are "seg"
// (segment files) and "ack" (the acknowledgement file).
func newDiskFaults() *diskFaults {
	return &diskFaults{left: map[string]int{}, every: map[string]int{}, count: map[string]int{}}
}

// fail makes the next n operations op on files of kind fail (n < 0: all of
// them until fail is called again with 0).
func (d *diskFaults) fail(op, kind string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.left[op+" "+kind] = n
}

// failEvery makes every nth operation op on files of kind fail.
func (d *diskFaults) failEvery(op, kind string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.every[op+" "+kind] = n
}

func (d *diskFaults) healed() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.left)
	clear(d.every)
}

func (d *diskFaults) fails(op, name string) bool {
	kind := "seg"
	if strings.HasPrefix(filepath.Base(name), cursorFile) {
		kind = "ack"
	}
	key := op + " " + kind
	d.mu.Lock()
	defer d.mu.Unlock()
	d.count[key]++
	if n := d.every[key]; n > 0 && d.count[key]%n == 0 {
		return true
	}
	switch n := d.left[key]; {
	case n < 0:
		return true
	case n > 0:
		d.left[key] = n - 1
		return true
	}
	return false
}

func (d *diskFaults) open(name string, flag int, perm os.FileMode) (segmentFile, error) {
	if flag&os.O_CREATE != 0 && d.fails("create", name) {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: f, d: d}, nil
}

type faultyFile struct {
	*os.File
	d *diskFaults
}

func (f *faultyFile) Write(b []byte) (int, error) {
	if f.d.fails("write", f.Name()) {
		n, _ := f.File.Write(b[:len(b)/2])
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.Write(b)
}

func (f *faultyFile) Sync() error {
	if f.d.fails("sync", f.Name()) {
		return &os.PathError{Op: "sync", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Sync()
}

func (f *faultyFile) Truncate(size int64) error {
	if f.d.fails("truncate", f.Name()) {
		return &os.PathError{Op: "truncate", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Truncate(size)
}

// openFaulty opens a spool whose files fail as d says.
func openFaulty(t *testing.T, dir string, cfg Config, d *diskFaults) *Spool {
	t.Helper()
	s, rec, err := open(dir, cfg, nil, d.open)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	s.recovery = rec
	return s
}

// appendRetrying appends r as a sender does after a 503: again and again
// until the spool takes it, or fails the test after 10 s.
func appendRetrying(t *testing.T, s *Spool, r []byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Append(context.Background(), [][]byte{r})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spool still refuses records 10 s after the disk healed: %v (stats %+v)", err, s.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// drainTolerant is drain for a consumer whose acknowledgements may fail (a
// full disk): it reads everything pending and returns the payloads and the
// Ack errors.
func drainTolerant(t *testing.T, s *Spool) (got []string, ackErrs []error) {
	t.Helper()
	for s.Stats().Pending > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b, err := s.Next(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Next with %d pending: %v", s.Stats().Pending, err)
		}
		for _, r := range b.Records {
			got = append(got, string(r.Data))
		}
		if err := s.Ack(b); err != nil {
			ackErrs = append(ackErrs, err)
		}
	}
	return got, ackErrs
}

func TestFailedWriteIsNotAcknowledgedAndTheSpoolRecoversByItself(t *testing.T) {
	dir := t.TempDir()
	d := newDiskFaults()
	s := openFaulty(t, dir, testConfig(), d)
	defer s.Close()
	ctx := context.Background()
	appendN(t, s, 0, 300) // several segments
	// The consumer is partway through when the disk fills.
	s.cfg.BatchBytes = 50 * len(rec(0))
	b, err := s.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(b); err != nil {
		t.Fatal(err)
	}
	s.cfg.BatchBytes = testConfig().BatchBytes
	first := len(b.Records)

	d.fail("write", "seg", 1)
	d.fail("create", "seg", 3) // the disk stays full for the first probes
	err = s.Append(ctx, [][]byte{rec(300), rec(301)})
	if err == nil || errors.Is(err, ErrFull) {
		t.Fatalf("Append on a failing disk: %v; want an error that is not ErrFull", err)
	}
	if st := s.Stats(); st.Failed == nil || st.Pending != int64(300-first) {
		t.Fatalf("stats after the failed write: %+v; want Failed set and the %d records before it pending", st, 300-first)
	}
	// Intake sends again until the spool takes records: it must, without a
	// restart, once the disk has room.
	appendRetrying(t, s, rec(302))
	if st := s.Stats(); st.Failed != nil {
		t.Fatalf("stats after an accepted Append: %+v; want Failed clear", st)
	}
	appendN(t, s, 303, 20)
	wantRecords(t, drain(t, s), append(seq(first, 300), seq(302, 323)...)...)

	// A restart finds nothing of the failed write either, and no damage.
	s.Close()
	s = mustOpen(t, dir, testConfig())
	if st, rec := s.Stats(), s.Recovery(); st.Pending != 0 || len(rec.Damage) != 0 {
		t.Fatalf("after a restart: %+v %+v; want nothing pending and no damage", st, rec)
	}
}

func TestFailedFsyncHidesItsRecordsNowAndAfterARestart(t *testing.T) {
	dir := t.TempDir()
	d := newDiskFaults()
	cfg := Config{MaxBytes: 64 << 20, SegmentBytes: 1 << 20, BatchBytes: 1 << 20}
	s := openFaulty(t, dir, cfg, d)
	defer s.Close()
	ctx := context.Background()
	appendN(t, s, 0, 20)
	d.fail("sync", "seg", 1)
	// Its frames are written (a reader of the file sees them in the page
	// cache) but not durable: its caller gets an error and the consumer
	// never sees them.
	if err := s.Append(ctx, [][]byte{rec(20), rec(21)}); err == nil {
		t.Fatal("Append whose fsync failed: nil error; want its records refused")
	}
	if s.Stats().Failed == nil {
		t.Fatalf("stats after a failed fsync: %+v; want Failed set", s.Stats())
	}
	wantRecords(t, drain(t, s), seq(0, 20)...)
	appendRetrying(t, s, rec(22))
	appendN(t, s, 23, 5)
	wantRecords(t, drain(t, s), seq(22, 28)...)

	s.Close()
	s = mustOpen(t, dir, cfg)
	if st := s.Stats(); st.Pending != 0 {
		t.Fatalf("after a restart %d records pending; want none (20 and 21 were refused, the rest acknowledged)", st.Pending)
	}
	appendN(t, s, 28, 1)
	wantRecords(t, drain(t, s), 28)
}

func TestConcurrentAppendersUnderFailingWritesAndFsyncs(t *testing.T) {
	dir := t.TempDir()
	d := newDiskFaults()
	cfg := Config{MaxBytes: 64 << 20, SegmentBytes: 16 << 10, BatchBytes: 1 << 20}
	s := openFaulty(t, dir, cfg, d)
	defer s.Close()
	d.failEvery("write", "seg", 97)
	d.failEvery("sync", "seg", 61)
	d.failEvery("create", "seg", 3)

	// Each writer is a sender that resends after a pause until the spool
	// takes its records, and sends each record under a new name, so that
	// which ones were refused stays known.
	const writers, each = 8, 40
	var mu sync.Mutex
	acked := map[string]bool{}
	refused := map[string]bool{}
	recoveries := 0 // an Append taken right after one refused
	var wg sync.WaitGroup
	deadline := time.Now().Add(20 * time.Second)
	for w := range writers {
		wg.Go(func() {
			n, lastRefused := 0, false
			for i := 0; n < each && time.Now().Before(deadline); i++ {
				r := fmt.Sprintf("w%d-%d", w, i)
				err := s.Append(context.Background(), [][]byte{[]byte(r), []byte(r + "b")})
				mu.Lock()
				if err == nil {
					acked[r] = true
					n++
					if lastRefused {
						recoveries++
					}
				} else {
					refused[r] = true
				}
				mu.Unlock()
				lastRefused = err != nil
				if err != nil {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	seen := map[string]int{}
	stop := make(chan struct{})
	consumed := make(chan error, 1)
	go func() {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			b, err := s.Next(ctx)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				select {
				case <-stop:
					consumed <- nil
					return
				default:
					continue
				}
			}
			if err != nil {
				consumed <- err
				return
			}
			for _, r := range b.Records {
				seen[string(r.Data)]++
			}
			s.Ack(b) // a failed Ack only means records are read again after a restart
		}
	}()
	wg.Wait()
	d.healed()
	appendRetrying(t, s, []byte("last"))
	acked["last"] = true
	for deadline := time.Now().Add(10 * time.Second); s.Stats().Pending > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d records still pending 10 s after the last append", s.Stats().Pending)
		}
	}
	close(stop)
	if err := <-consumed; err != nil {
		t.Fatalf("consumer: %v", err)
	}
	if len(acked) != writers*each+1 || len(refused) == 0 || recoveries == 0 {
		t.Fatalf("%d appends acknowledged, %d refused, %d taken right after a refusal; want %d acknowledged, the faults to hit and the spool to recover",
			len(acked), len(refused), recoveries, writers*each+1)
	}
	for r := range acked {
		if seen[r] != 1 || r != "last" && seen[r+"b"] != 1 {
			t.Fatalf("acknowledged %s read %d times (%sb %d); want once", r, seen[r], r, seen[r+"b"])
		}
	}
	for r := range refused {
		if seen[r] != 0 || seen[r+"b"] != 0 {
			t.Fatalf("refused %s read %d times; want never", r, seen[r])
		}
	}
	if len(seen) != 2*len(acked)-1 {
		t.Fatalf("read %d distinct records; want the %d acknowledged", len(seen), 2*len(acked)-1)
	}

	// After a restart: nothing refused comes back, nothing acknowledged is
	// lost; records read again (a failed Ack) are the only ones pending.
	s.Close()
	s = mustOpen(t, dir, cfg)
	for _, r := range drain(t, s) {
		if refused[strings.TrimSuffix(r, "b")] {
			t.Fatalf("after a restart the refused record %s is read", r)
		}
	}
}

func TestCloseOnAFailedSpoolReturnsPromptly(t *testing.T) {
	dir := t.TempDir()
	d := newDiskFaults()
	s := openFaulty(t, dir, testConfig(), d)
	// Close must not wait for the probe's next try, however far off.
	s.retryMin, s.retryMax = time.Hour, time.Hour
	appendN(t, s, 0, 10)
	d.fail("write", "seg", 1)
	d.fail("create", "seg", -1) // the disk never heals
	d.fail("sync", "seg", -1)
	if err := s.Append(context.Background(), [][]byte{rec(10)}); err == nil {
		t.Fatal("Append on a failing disk: nil error")
	}
	// The consumer still drains what was acknowledged.
	wantRecords(t, drain(t, s), seq(0, 10)...)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close on a failed spool has not returned after 5 s")
	}
	if err := s.Append(context.Background(), [][]byte{rec(11)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v; want ErrClosed", err)
	}
	s = mustOpen(t, dir, testConfig())
	defer s.Close()
	if st := s.Stats(); st.Pending != 0 {
		t.Fatalf("after a restart %d pending; want none (record 10 was refused)", st.Pending)
	}
}

// TestAckFreesSegmentsOnAFullDisk: on a full disk the acknowledgement file
// cannot be replaced, yet the consumer's acknowledgements must free the
// disk, or a spool that filled it never gets room again.
func TestAckFreesSegmentsOnAFullDisk(t *testing.T) {
	dir := t.TempDir()
	d := newDiskFaults()
	cfg := testConfig()
	s := openFaulty(t, dir, cfg, d)
	defer s.Close()
	appendN(t, s, 0, 1000)
	if n := len(segmentFiles(t, dir)); n < 4 {
		t.Fatalf("%d segments; want several", n)
	}
	d.fail("create", "ack", -1)
	got, ackErrs := drainTolerant(t, s)
	wantRecords(t, got, seq(0, 1000)...)
	if len(ackErrs) == 0 {
		t.Fatal("no Ack failed; want the acknowledgement file to be unwritable")
	}
	if files, st := segmentFiles(t, dir), s.Stats(); len(files) != 1 || st.Bytes > cfg.SegmentBytes || st.Pending != 0 {
		t.Fatalf("after acknowledging everything on a full disk: files %v, stats %+v; want only the active segment", files, st)
	}
	// The acknowledgement is lost: a restart reads the records of what is
	// left again (at least once), and nothing is lost.
	s.Close()
	s = mustOpen(t, dir, cfg)
	again := drain(t, s)
	if len(again) == 0 || again[len(again)-1] != string(rec(999)) {
		t.Fatalf("after a restart read %d records ending %q; want the last ones read again", len(again), again[len(again)-1:])
	}
}

// TestOpenOnAFullDiskDrainsAndRecovers: a restart while the disk is full
// must not fail (a crash loop would leave the spool full for good): the
// spool opens refusing records, the consumer drains it, and it takes records
// once the disk has room.
func TestOpenOnAFullDiskDrainsAndRecovers(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, testConfig())
	appendN(t, s, 0, 100)
	s.Close()
	d := newDiskFaults()
	d.fail("create", "seg", 3)
	s = openFaulty(t, dir, testConfig(), d)
	defer s.Close()
	if st := s.Stats(); st.Failed == nil || st.Pending != 100 {
		t.Fatalf("stats after opening on a full disk: %+v; want Failed set and 100 pending", st)
	}
	wantRecords(t, drain(t, s), seq(0, 100)...)
	appendRetrying(t, s, rec(100))
	wantRecords(t, drain(t, s), 100)
}

// TestCapOf20MiBNeverFillsWhileTheConsumerKeepsUp is the report of issue
// 12: with a 20 MiB cap and the default 64 MiB segments the spool filled
// although the consumer kept up, because a segment is deleted only once it
// is no longer written.
func TestCapOf20MiBNeverFillsWhileTheConsumerKeepsUp(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{MaxBytes: 20 << 20, SegmentBytes: 64 << 20, BatchBytes: 8 << 20}
	s := mustOpen(t, dir, cfg)
	defer s.Close()
	stop := make(chan struct{})
	consumed := make(chan error, 1)
	var largest int64
	go func() {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			b, err := s.Next(ctx)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				select {
				case <-stop:
					consumed <- nil
					return
				default:
					continue
				}
			}
			if err == nil {
				err = s.Ack(b)
			}
			if err != nil {
				consumed <- err
				return
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
			for _, p := range files {
				if fi, err := os.Stat(p); err == nil {
					largest = max(largest, fi.Size())
				}
			}
		}
	}()
	// Three times the cap, in appends of 16 records of 4 KiB from 4
	// appenders.
	const appenders, appends = 4, 240
	payload := make([][]byte, 16)
	for i := range payload {
		payload[i] = make([]byte, 4096)
	}
	var wg sync.WaitGroup
	errs := make(chan error, appenders)
	for range appenders {
		wg.Go(func() {
			for range appends {
				if err := s.Append(context.Background(), payload); err != nil {
					errs <- fmt.Errorf("Append with %d of %d bytes in the spool: %w", s.Stats().Bytes, cfg.MaxBytes, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for deadline := time.Now().Add(10 * time.Second); s.Stats().Pending > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	if err := <-consumed; err != nil {
		t.Fatalf("consumer: %v", err)
	}
	for err := range errs {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Full || st.Pending != 0 {
		t.Fatalf("stats: %+v; want never full and everything consumed", st)
	}
	if largest > cfg.MaxBytes/8+16*(4096+frameLen) {
		t.Fatalf("largest segment file %d bytes; want at most an eighth of the %d-byte cap", largest, cfg.MaxBytes)
	}
}

func TestValidateAcceptsACapBelowTwoSegments(t *testing.T) {
	// SegmentBytes is a most: with a small cap, segments are smaller.
	if err := (Config{MaxBytes: 20 << 20, SegmentBytes: 64 << 20, BatchBytes: 8 << 20}).Validate(); err != nil {
		t.Fatalf("Validate of a 20 MiB cap with the default segment size: %v; want nil", err)
	}
}

// TestFullFilesystem fills a real filesystem: a 256 KiB tmpfs, mounted in a
// user and mount namespace of a child process (no root needed where the
// kernel allows unprivileged user namespaces). The cap is far above the
// disk, as in issue 12, so the disk fills, not the spool. The consumer then
// drains what was acknowledged, its acknowledgements free the disk, and the
// spool takes records again without a restart.
func TestFullFilesystem(t *testing.T) {
	if mnt := os.Getenv("ACDSTAT_SPOOL_TEST_TMPFS"); mnt != "" {
		fillFilesystem(t, mnt)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux user and mount namespaces to mount a small tmpfs without root")
	}
	mnt := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFullFilesystem$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ACDSTAT_SPOOL_TEST_TMPFS="+mnt)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a child in a new user namespace (unprivileged user namespaces are off here): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		<-ctx.Done()
		cmd.Process.Kill() // ends only the child this test started
	}()
	err := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the child has not finished within a minute:\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	if i := strings.Index(out.String(), "--- SKIP"); i >= 0 {
		t.Skip(strings.TrimSpace(out.String()[i:]))
	}
	t.Log(strings.TrimSpace(out.String()))
}

// fillFilesystem is TestFullFilesystem in the child.
func fillFilesystem(t *testing.T, mnt string) {
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs in a user namespace (not allowed here): %v", err)
	}
	defer syscall.Unmount(mnt, 0)
	for _, segBytes := range []int64{1 << 20, 64 << 10} {
		// 1 MiB segments: one segment fills the disk, and only its own
		// deletion can free it. 64 KiB: several.
		t.Run(fmt.Sprintf("segments=%d", segBytes), func(t *testing.T) {
			dir := filepath.Join(mnt, fmt.Sprint(segBytes))
			t.Cleanup(func() { os.RemoveAll(dir) }) // the next case needs the room
			cfg := Config{MaxBytes: 64 << 20, SegmentBytes: segBytes, BatchBytes: 1 << 20}
			s := mustOpen(t, dir, cfg)
			defer s.Close()
			payload := func(i int) []byte { return fmt.Appendf(nil, "%06d %2040d", i, i) }
			n := 0
			for ; ; n++ {
				err := s.Append(context.Background(), [][]byte{payload(n)})
				if err == nil {
					continue
				}
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Append %d: %v; want no space left on device", n, err)
				}
				break
			}
			if st := s.Stats(); st.Failed == nil || st.Pending != int64(n) || st.Full {
				t.Fatalf("stats on a full disk: %+v; want Failed, %d pending and not Full (the cap is far)", st, n)
			}
			got, _ := drainTolerant(t, s)
			if len(got) != n || got[0] != string(payload(0)) || got[n-1] != string(payload(n-1)) {
				t.Fatalf("drained %d records; want the %d acknowledged", len(got), n)
			}
			appendRetrying(t, s, payload(n+1))
			if got, _ := drainTolerant(t, s); len(got) != 1 || got[0] != string(payload(n+1)) {
				t.Fatalf("after the disk had room again read %d records; want the one appended", len(got))
			}
			s.Close()
			s = mustOpen(t, dir, cfg)
			if st, rec := s.Stats(), s.Recovery(); st.Pending != 0 || len(rec.Damage) != 0 {
				t.Fatalf("after a restart: %+v %+v; want nothing pending and no damage", st, rec)
			}
		})
	}
}
