package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Config holds the spool's settings; config composes it under ACDSTAT_.
type Config struct {
	// MaxBytes caps the bytes of all segment files together.
	MaxBytes int64 `env:"SPOOL_MAX_BYTES" envDefault:"2147483648"`
	// SegmentBytes is the most a segment holds before it is closed and the
	// next one started. Segments are smaller when MaxBytes is small: at most
	// MaxBytes/8 (but not below 1 MiB unless SegmentBytes is) and at most
	// MaxBytes/2 (see the package doc).
	SegmentBytes int64 `env:"SPOOL_SEGMENT_BYTES" envDefault:"67108864"`
	// BatchBytes is the payload budget of one Next (at least one record is
	// returned, however large).
	BatchBytes int `env:"SPOOL_BATCH_BYTES" envDefault:"8388608"`
}

const (
	// minSegmentBytes is the least SegmentBytes may be set to.
	minSegmentBytes = 4096
	// capSegments is how many segments the cap holds at least (above
	// floorSegmentBytes): the segment being written and the last one read
	// cannot be freed, so they must be a small part of the cap.
	capSegments = 8
	// floorSegmentBytes is where the cap stops shrinking segments: a roll
	// costs two fsyncs (the new file and the directory), under 1% of the
	// fsyncs of appending 1 MiB in intake requests of a few KiB.
	floorSegmentBytes = 1 << 20
)

// segmentBytes is the size at which the active segment is rolled:
// SegmentBytes, but at most MaxBytes/capSegments (not below
// floorSegmentBytes) and at most MaxBytes/2.
func (c Config) segmentBytes() int64 {
	return min(c.SegmentBytes, max(c.MaxBytes/capSegments, floorSegmentBytes), c.MaxBytes/2)
}

// Validate names the variable of each bad setting.
func (c Config) Validate() error {
	var errs []error
	if c.SegmentBytes < minSegmentBytes {
		errs = append(errs, fmt.Errorf("ACDSTAT_SPOOL_SEGMENT_BYTES: must be at least %d, got %d", minSegmentBytes, c.SegmentBytes))
	}
	// Not twice SegmentBytes: that is a most, and segments shrink with the
	// cap (segmentBytes).
	if c.MaxBytes < 2*minSegmentBytes {
		errs = append(errs, fmt.Errorf("ACDSTAT_SPOOL_MAX_BYTES: must be at least %d (two segments of the smallest size), got %d", 2*minSegmentBytes, c.MaxBytes))
	}
	if c.BatchBytes <= 0 {
		errs = append(errs, fmt.Errorf("ACDSTAT_SPOOL_BATCH_BYTES: must be positive, got %d", c.BatchBytes))
	}
	return errors.Join(errs...)
}

var (
	// ErrFull is returned by Append when the records would take the spool
	// past Config.MaxBytes; nothing of them was written.
	ErrFull = errors.New("spool: full")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("spool: closed")
)

// Damage is one problem Open found and repaired.
type Damage struct {
	Segment string // file name
	Offset  int64  // where the bad part starts
	Reason  string
	// Torn is true for a torn tail of the newest segment (a crash during a
	// write, whose records were never acknowledged), false for damage on disk.
	Torn bool
	// KeptRecords are the good records before Offset, still in the spool.
	KeptRecords int
	// LostBytes is what followed Offset and cannot be read.
	LostBytes int64
	// MovedTo is the copy of the damaged file under dir/corrupt/ (not for
	// torn tails, which are simply cut).
	MovedTo string
}

// Recovery reports what Open found.
type Recovery struct {
	Segments int   // segment files with records to read
	Pending  int64 // records not yet acknowledged
	Damage   []Damage
}

// Record is one appended record as the consumer sees it.
type Record struct {
	Data []byte
	// Appended is when Append wrote it.
	Appended time.Time
}

// Batch is what Next returns: records in append order.
type Batch struct {
	Records []Record
	end     pos
	count   int64 // records read since Open, up to and including this batch
}

// Bytes is the payload size of the batch.
func (b Batch) Bytes() int {
	n := 0
	for _, r := range b.Records {
		n += len(r.Data)
	}
	return n
}

// Stats is the spool's state for metrics and readiness.
type Stats struct {
	Bytes    int64 // of all segment files
	MaxBytes int64
	Segments int
	Pending  int64     // records appended and not acknowledged
	Oldest   time.Time // append time of the oldest pending record; zero when none
	// Damaged counts segments found damaged (moved aside) since Open,
	// TornTails the torn tails cut.
	Damaged, TornTails int
	// Full is true from an Append refused with ErrFull until an Ack frees
	// a segment.
	Full bool
	// Failed is the error that made the spool stop taking records (a write
	// or fsync failed); nil when it is writable. It clears by itself once a
	// probe write and fsync succeed (see the package doc).
	Failed error
	// Failures counts the failed writes and fsyncs since Open that made the
	// spool refuse records (Failed shows only the current one).
	Failures int
}

type pos struct {
	seg uint64
	off int64
}

func (p pos) less(q pos) bool { return p.seg < q.seg || p.seg == q.seg && p.off < q.off }

type segment struct {
	no uint64
	// size is where the segment's records end: what was written, or for a
	// segment whose write or fsync failed, what the last good fsync covered.
	size int64
	// tail is what a failed segment holds past size, not yet cut off; it
	// counts towards the cap.
	tail int64
}

// epoch is the run of appends between two failures. An Append keeps the
// epoch it wrote in, so that its wait for an fsync can tell whether a
// failure cut its records off, whatever happened to the spool since.
type epoch struct {
	// err is the failure that ended the epoch; nil while it lasts.
	err error
	// durable is, once err is set, the end of what was fsynced before the
	// failure: records before it are kept, those after it are not.
	durable pos
}

// Spool is an on-disk queue. Append is safe for concurrent use; Next and Ack
// belong to one consumer goroutine. Stats may be called from anywhere.
type Spool struct {
	dir      string
	cfg      Config
	log      *slog.Logger
	recovery Recovery

	// openFile opens every file the spool writes (segments, the
	// acknowledgement). It is openOSFile outside tests; tests wrap the file
	// to make a write, an fsync or a truncation fail on demand.
	openFile func(name string, flag int, perm os.FileMode) (segmentFile, error)

	syncMu sync.Mutex // held by the goroutine running an fsync

	// segBytes is where the active segment is rolled (Config.segmentBytes).
	segBytes int64
	// retryMin and retryMax bound the back-off between probes of a failed
	// spool.
	retryMin, retryMax time.Duration
	stop               chan struct{} // closed by Close
	probes             sync.WaitGroup

	mu sync.Mutex
	// segs are ascending; the last is the active one, or when the spool
	// has failed the failed one (if not yet deleted).
	segs     []segment
	f        segmentFile // the active segment, written at its end; nil when failed
	retired  []segmentFile
	nextNo   uint64 // number of the next segment created
	bytes    int64
	pending  int64
	oldest   int64 // Unix ns of the oldest pending record; 0 when none
	synced   pos   // everything before it is fsynced
	ep       *epoch
	failed   error
	failedAt time.Time
	failures int
	closed   bool
	damaged  int
	torn     int
	full     bool  // an Append got ErrFull and no segment was freed since
	appended int64 // records appended since Open (not counting refused ones)
	// syncedCount is appended as it was at synced: the records after it are
	// refused if a write or fsync fails.
	syncedCount int64
	avail       chan struct{}

	// Consumer state, touched by Next and Ack only.
	rpos      pos
	rf        *os.File
	rfNo      uint64
	readCount int64
	ackCount  int64
	ack       pos
}

// segmentFile is a file as the spool writes it: an *os.File outside tests.
type segmentFile interface {
	Write(b []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

// openOSFile is os.OpenFile returning a segmentFile (and a nil interface,
// not a nil *os.File, on error).
func openOSFile(name string, flag int, perm os.FileMode) (segmentFile, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Open opens or creates the spool in dir and recovers it (see the package
// doc). log receives one line per repair; Recovery lists them. log may be nil.
func Open(dir string, cfg Config, log *slog.Logger) (*Spool, error) {
	s, rec, err := open(dir, cfg, log, openOSFile)
	if err != nil {
		return nil, err
	}
	s.recovery = rec
	return s, nil
}

// Recovery reports what Open found and repaired.
func (s *Spool) Recovery() Recovery { return s.recovery }

// open is Open with the function that opens the files the spool writes
// (openOSFile, or a wrapper in tests).
func open(dir string, cfg Config, log *slog.Logger, openFile func(string, int, os.FileMode) (segmentFile, error)) (*Spool, Recovery, error) {
	var rec Recovery
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, rec, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "corrupt"), 0o750); err != nil {
		return nil, rec, fmt.Errorf("cannot create spool directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, rec, fmt.Errorf("cannot read spool directory: %w", err)
	}
	var nos []uint64
	for _, e := range entries {
		if no, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			nos = append(nos, no)
		}
	}
	slices.Sort(nos)
	s := &Spool{dir: dir, cfg: cfg, log: log, openFile: openFile, segBytes: cfg.segmentBytes(),
		retryMin: 100 * time.Millisecond, retryMax: 5 * time.Second, stop: make(chan struct{}),
		ep: &epoch{}, avail: make(chan struct{}, 1)}
	cursor, _ := s.readCursor()
	for i, no := range nos {
		name := segmentName(no)
		path := filepath.Join(dir, name)
		if no < cursor.seg {
			// Acknowledged before a crash cut Ack short of deleting it.
			if err := os.Remove(path); err != nil {
				return nil, rec, fmt.Errorf("cannot remove acknowledged segment: %w", err)
			}
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, rec, fmt.Errorf("cannot read spool segment: %w", err)
		}
		r := scanSegment(data)
		if r.Good < int64(len(data)) {
			d := Damage{Segment: name, Offset: r.Good, Reason: r.Bad, KeptRecords: len(r.Frames), LostBytes: int64(len(data)) - r.Good}
			d.Torn = r.AtEOF && i == len(nos)-1
			if err := s.repair(path, data[:r.Good], &d); err != nil {
				return nil, rec, err
			}
			rec.Damage = append(rec.Damage, d)
			if d.Torn {
				s.torn++
				log.Warn("spool: cut a torn tail", "segment", name, "offset", d.Offset, "reason", d.Reason, "bytes", d.LostBytes, "kept_records", d.KeptRecords)
			} else {
				s.damaged++
				log.Error("spool: damaged segment moved aside", "segment", name, "offset", d.Offset, "reason", d.Reason,
					"lost_bytes", d.LostBytes, "kept_records", d.KeptRecords, "moved_to", d.MovedTo)
			}
			if r.Good < headerLen {
				continue // nothing left of it
			}
		}
		if no == cursor.seg && cursor.off > r.Good {
			cursor.off = r.Good
		}
		s.segs = append(s.segs, segment{no: no, size: r.Good})
		s.bytes += r.Good
		for _, f := range r.Frames {
			if !(pos{no, f.Off}).less(cursor) {
				if s.pending == 0 {
					s.oldest = f.Time
				}
				s.pending++
			}
		}
	}
	rec.Segments = len(s.segs)
	rec.Pending = s.pending
	// Appends always go to a fresh segment: nothing is ever written after a
	// tail that was repaired or that a crash may have left half-flushed.
	next := uint64(1)
	if len(nos) > 0 {
		next = nos[len(nos)-1] + 1
	}
	if cursor.seg == 0 || len(s.segs) == 0 || cursor.seg < s.segs[0].no {
		cursor = pos{}
	}
	s.nextNo = next
	if err := s.newSegment(); err != nil {
		if len(s.segs) == 0 {
			return nil, rec, err
		}
		// Most likely a full disk. Failing here would be a crash loop that
		// keeps the spool full for good; open refusing records instead, so
		// that the consumer drains it (which frees the disk) and the probe
		// makes it writable again.
		last := s.segs[len(s.segs)-1]
		s.synced = pos{last.no, last.size}
		s.fail(err)
	}
	if cursor.seg == 0 {
		cursor = pos{s.segs[0].no, headerLen}
	}
	s.ack, s.rpos = cursor, cursor
	return s, rec, nil
}

// repair cuts a torn tail in place, or moves a damaged file to corrupt/ and
// writes its good prefix back under the original name.
func (s *Spool) repair(path string, good []byte, d *Damage) error {
	if d.Torn && int64(len(good)) < headerLen {
		// Created but its header never made it: nothing to keep.
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("cannot remove empty spool segment: %w", err)
		}
		return nil
	}
	if d.Torn {
		if err := os.Truncate(path, int64(len(good))); err != nil {
			return fmt.Errorf("cannot cut torn spool tail: %w", err)
		}
		return nil
	}
	d.MovedTo = filepath.Join(s.dir, "corrupt", filepath.Base(path)+"."+strconv.FormatInt(time.Now().UnixNano(), 10))
	if err := os.Rename(path, d.MovedTo); err != nil {
		return fmt.Errorf("cannot move damaged spool segment aside: %w", err)
	}
	if int64(len(good)) < headerLen {
		return nil
	}
	tmp := path + ".tmp"
	if err := s.writeFileSync(tmp, good); err != nil {
		return fmt.Errorf("cannot keep the good part of a damaged spool segment: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot keep the good part of a damaged spool segment: %w", err)
	}
	return syncDir(s.dir)
}

// newSegment creates the next segment and makes it the active one. s.mu is
// held (or s is not shared yet).
func (s *Spool) newSegment() error {
	no := s.nextNo
	s.nextNo++ // even on failure: a file left behind must not block the next try
	f, err := s.createSegment(no)
	if err != nil {
		return err
	}
	s.install(no, f)
	return nil
}

// createSegment creates segment no with its header, fsynced with its
// directory entry. That small write and fsync is also the probe of a disk
// after a failure. On failure it removes what it created.
func (s *Spool) createSegment(no uint64) (segmentFile, error) {
	path := filepath.Join(s.dir, segmentName(no))
	f, err := s.openFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("cannot create spool segment: %w", err)
	}
	if _, err = f.Write([]byte(segmentMagic)); err != nil {
		err = fmt.Errorf("cannot write spool segment: %w", err)
	} else if err = f.Sync(); err != nil {
		err = fmt.Errorf("cannot sync spool segment: %w", err)
	} else {
		err = syncDir(s.dir)
	}
	if err != nil {
		f.Close()
		os.Remove(path) // if this fails too, Open treats the file as a torn or damaged one
		return nil, err
	}
	return f, nil
}

// install makes f, the new segment no, the active one. s.mu is held.
func (s *Spool) install(no uint64, f segmentFile) {
	if s.f != nil {
		s.retired = append(s.retired, s.f)
	}
	s.f = f
	s.segs = append(s.segs, segment{no: no, size: headerLen})
	s.bytes += headerLen
	// Its header is fsynced, and so is everything before it: a roll
	// fsyncs the segment it closes, and a probe follows a failure, whose
	// segment ends at its last good fsync.
	s.markSynced(pos{no, headerLen}, s.appended)
}

// markSynced records that everything before p, the first count records
// appended since Open, is fsynced. s.mu is held.
func (s *Spool) markSynced(p pos, count int64) {
	if s.synced.less(p) {
		s.synced, s.syncedCount = p, count
	}
}

// Append writes records and returns after they are fsynced, or ErrFull
// when they would exceed Config.MaxBytes. It does not retain records. ctx
// is checked before writing; a write in progress is not interrupted. Any
// other error means the records are not acknowledged: they will not be
// read (the write or an fsync covering them failed) or nothing was written
// (the spool failed earlier and refuses records until a probe succeeds;
// see the package doc).
func (s *Spool) Append(ctx context.Context, records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now().UnixNano()
	size := 0
	for _, r := range records {
		if len(r) > maxRecordBytes {
			return fmt.Errorf("cannot append to spool: record of %d bytes is larger than %d", len(r), maxRecordBytes)
		}
		size += frameLen + len(r)
	}
	buf := make([]byte, 0, size)
	for _, r := range records {
		buf = appendFrame(buf, now, r)
	}

	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrClosed
	case s.failed != nil:
		err := s.failed
		s.mu.Unlock()
		return fmt.Errorf("cannot append to spool: %w", err)
	case s.bytes+int64(len(buf)) > s.cfg.MaxBytes:
		s.full = true
		s.mu.Unlock()
		return ErrFull
	}
	active := &s.segs[len(s.segs)-1]
	if active.size > headerLen && active.size+int64(len(buf)) > s.segBytes {
		if err := s.roll(); err != nil {
			err = s.fail(err)
			s.mu.Unlock()
			return err
		}
		active = &s.segs[len(s.segs)-1]
	}
	if _, err := s.f.Write(buf); err != nil {
		err = s.fail(fmt.Errorf("cannot write spool segment: %w", err))
		s.mu.Unlock()
		return err
	}
	active.size += int64(len(buf))
	s.bytes += int64(len(buf))
	if s.pending == 0 {
		s.oldest = now
	}
	s.pending += int64(len(records))
	s.appended += int64(len(records))
	target, ep := pos{active.no, active.size}, s.ep
	s.mu.Unlock()
	return s.syncTo(ep, target)
}

// roll fsyncs the active segment and starts the next one. s.mu is held.
func (s *Spool) roll() error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("cannot sync spool segment: %w", err)
	}
	// Kept if the new segment cannot be created.
	active := s.segs[len(s.segs)-1]
	s.markSynced(pos{active.no, active.size}, s.appended)
	if err := s.newSegment(); err != nil {
		return err
	}
	s.signal()
	return nil
}

// syncTo returns once everything up to target, written in epoch ep, is
// fsynced, or an error when a failure cut it off. One goroutine at a time
// runs the fsync; those queued behind it find their records covered by the
// next one (group commit).
func (s *Spool) syncTo(ep *epoch, target pos) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	if done, err := s.covered(ep, target); done {
		s.mu.Unlock()
		return err
	}
	// ep has not failed, so it is the current epoch and s.f is its
	// segment: Close closes it only while holding syncMu.
	f := s.f
	active := s.segs[len(s.segs)-1]
	upto, count := pos{active.no, active.size}, s.appended
	s.mu.Unlock()

	err := f.Sync()

	s.mu.Lock()
	defer s.mu.Unlock()
	if ep.err == nil {
		if err != nil {
			return s.fail(fmt.Errorf("cannot sync spool segment: %w", err))
		}
		s.markSynced(upto, count)
		for _, r := range s.retired {
			r.Close()
		}
		s.retired = nil
		s.signal()
	}
	// Else a write failed during the fsync and cut the segment at the
	// fsync before: what this one covered is refused all the same.
	_, err = s.covered(ep, target)
	return err
}

// covered says whether the wait for target, written in epoch ep, is over,
// and with what error. s.mu is held.
func (s *Spool) covered(ep *epoch, target pos) (bool, error) {
	switch {
	case ep.err != nil && ep.durable.less(target):
		return true, fmt.Errorf("cannot append to spool: %w", ep.err)
	case ep.err != nil || !s.synced.less(target):
		return true, nil
	case s.f == nil:
		// Closed: Close fsyncs the active segment, so only an fsync
		// that failed leaves records uncovered, and it ended ep.
		return true, ErrClosed
	}
	return false, nil
}

// fail makes the spool refuse records after err, a failed write or fsync,
// and starts the probe that makes it writable again. It returns err. s.mu
// is held and the spool has not failed yet.
//
// Nothing more is written to the failed segment, and its records end at
// the last fsync that succeeded: what was written after it is not
// acknowledged, and Linux may have dropped those pages while a later fsync
// reports success. The probe cuts the file there too.
func (s *Spool) fail(err error) error {
	s.failed, s.failedAt = err, time.Now()
	s.failures++
	s.ep.err, s.ep.durable = err, s.synced
	s.ep = &epoch{}
	// Closed now, not retired: the disk frees a deleted segment only once
	// no file refers to it. An fsync running on it still completes; one
	// that starts after fails, and its epoch has ended anyway.
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	g := &s.segs[len(s.segs)-1]
	if g.no == s.synced.seg && g.size > s.synced.off {
		g.tail += g.size - s.synced.off
		g.size = s.synced.off
	}
	refused := s.appended - s.syncedCount
	s.pending -= refused
	s.appended = s.syncedCount
	if s.pending == 0 {
		s.oldest = 0
	}
	s.log.Error("spool: cannot write; refusing records until a probe write and fsync succeed",
		"err", err, "refused_records", refused, "segment", segmentName(g.no), "kept_bytes", g.size)
	if !s.closed {
		s.probes.Go(s.probe)
	}
	return err
}

// probe runs while the spool has failed: it calls retry after a back-off
// that doubles from retryMin to retryMax, until retry succeeds or Close.
func (s *Spool) probe() {
	wait := s.retryMin
	for attempt := 1; ; attempt++ {
		t := time.NewTimer(wait)
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
		err := s.retry()
		if err == nil || errors.Is(err, ErrClosed) {
			return
		}
		s.log.Debug("spool: probe failed; still refusing records", "attempt", attempt, "err", err)
		wait = min(2*wait, s.retryMax)
	}
}

// retry cuts the failed segment at its last good fsync and starts a new
// segment, whose header is written and fsynced (the probe). Only when all
// of that works does the spool take records again.
func (s *Spool) retry() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	// Nothing else adds segments while the spool has failed, and Ack only
	// deletes them: last stays the failed segment (or one that needs no
	// cut) until it is cut, or disappears.
	var last segment
	if len(s.segs) > 0 {
		last = s.segs[len(s.segs)-1]
	}
	no := s.nextNo
	s.nextNo++
	s.mu.Unlock()

	if last.no != 0 {
		if err := s.cut(last); err != nil {
			return err
		}
		s.mu.Lock()
		if i, ok := s.find(last.no); ok {
			s.bytes -= s.segs[i].tail
			s.segs[i].tail = 0
		}
		s.mu.Unlock()
	}
	f, err := s.createSegment(no)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		f.Close()
		os.Remove(filepath.Join(s.dir, segmentName(no))) // else the next Open keeps an empty segment
		return ErrClosed
	}
	s.install(no, f)
	for _, r := range s.retired {
		r.Close()
	}
	s.retired = nil
	s.log.Info("spool: writable again", "segment", segmentName(no), "refused_for", time.Since(s.failedAt).Round(time.Millisecond), "err", s.failed)
	s.failed = nil
	s.signal()
	return nil
}

// cut truncates segment g to g.size and fsyncs it, so that what a failed
// write left after its last good fsync is not read after a restart either.
// A segment deleted meanwhile (acknowledged) needs no cut.
func (s *Spool) cut(g segment) error {
	f, err := s.openFile(filepath.Join(s.dir, segmentName(g.no)), os.O_WRONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot cut failed spool segment: %w", err)
	}
	if err := f.Truncate(g.size); err != nil {
		f.Close()
		return fmt.Errorf("cannot cut failed spool segment: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cannot cut failed spool segment: %w", err)
	}
	return f.Close()
}

func (s *Spool) signal() {
	select {
	case s.avail <- struct{}{}:
	default:
	}
}

// Next returns the oldest records not yet returned, up to Config.BatchBytes
// of payload (at least one record), blocking until there is one or ctx
// ends. Only fsynced records are returned. The records' Data stay valid
// after Ack. Next and Ack must be called from one goroutine.
func (s *Spool) Next(ctx context.Context) (Batch, error) {
	for {
		s.mu.Lock()
		closed, limit := s.closed, s.synced
		s.mu.Unlock()
		if closed {
			return Batch{}, ErrClosed
		}
		b, err := s.read(limit)
		if err != nil || len(b.Records) > 0 {
			return b, err
		}
		select {
		case <-ctx.Done():
			return Batch{}, ctx.Err()
		case <-s.avail:
		}
	}
}

// read reads records from s.rpos up to limit, within the batch budget. On
// an error it leaves s.rpos where it was, so nothing read into the lost
// batch is skipped by the next call.
func (s *Spool) read(limit pos) (b Batch, err error) {
	start := s.rpos
	defer func() {
		if err != nil {
			s.rpos = start
		}
	}()
	bytes := 0
	for bytes < s.cfg.BatchBytes {
		if !s.rpos.less(limit) {
			break
		}
		end, next, ok := s.segmentEnd(s.rpos.seg, limit)
		if s.rpos.off >= end || !ok {
			if next == 0 || next > limit.seg {
				break
			}
			s.rpos = pos{next, headerLen}
			continue
		}
		if s.rf == nil || s.rfNo != s.rpos.seg {
			if s.rf != nil {
				s.rf.Close()
			}
			f, err := os.Open(filepath.Join(s.dir, segmentName(s.rpos.seg)))
			if err != nil {
				s.rf = nil
				return b, fmt.Errorf("cannot read spool segment: %w", err)
			}
			s.rf, s.rfNo = f, s.rpos.seg
		}
		var h [frameLen]byte
		if _, err := s.rf.ReadAt(h[:], s.rpos.off); err != nil {
			return b, fmt.Errorf("cannot read spool segment %s at %d: %w", segmentName(s.rpos.seg), s.rpos.off, err)
		}
		size := int64(binary.LittleEndian.Uint32(h[0:4]))
		if size > maxRecordBytes || s.rpos.off+frameLen+size > end {
			return b, fmt.Errorf("cannot read spool segment %s at %d: record length %d runs past the written data", segmentName(s.rpos.seg), s.rpos.off, size)
		}
		data := make([]byte, size)
		if _, err := s.rf.ReadAt(data, s.rpos.off+frameLen); err != nil && !errors.Is(err, io.EOF) {
			return b, fmt.Errorf("cannot read spool segment %s at %d: %w", segmentName(s.rpos.seg), s.rpos.off, err)
		}
		if frameCRC(h[8:16], data) != binary.LittleEndian.Uint32(h[4:8]) {
			return b, fmt.Errorf("cannot read spool segment %s at %d: checksum mismatch (damaged since it was written; a restart moves it aside)", segmentName(s.rpos.seg), s.rpos.off)
		}
		b.Records = append(b.Records, Record{Data: data, Appended: time.Unix(0, int64(binary.LittleEndian.Uint64(h[8:16])))})
		bytes += int(size)
		s.rpos.off += frameLen + size
	}
	s.readCount += int64(len(b.Records))
	b.end, b.count = s.rpos, s.readCount
	return b, nil
}

// segmentEnd returns how far segment no may be read (its size, or limit's
// offset when it is limit's segment), the number of the segment after it
// (0 if none), and whether segment no exists.
func (s *Spool) segmentEnd(no uint64, limit pos) (end int64, next uint64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, found := s.find(no)
	if found {
		end = s.segs[i].size
		if no == limit.seg {
			end = min(end, limit.off)
		}
		i++
	}
	if i < len(s.segs) {
		next = s.segs[i].no
	}
	return end, next, found
}

// find returns the index of segment no in s.segs, or where it would be.
// s.mu is held.
func (s *Spool) find(no uint64) (int, bool) {
	return slices.BinarySearchFunc(s.segs, no, func(g segment, no uint64) int {
		switch {
		case g.no < no:
			return -1
		case g.no > no:
			return 1
		}
		return 0
	})
}

// Ack acknowledges b and every batch Next returned before it. Segments whose
// records are all acknowledged and that are no longer written (not the
// active one) are deleted.
//
// An error means the acknowledgement may not survive a restart (its records
// are then read again); in this process the batch counts as acknowledged
// either way, and the segments it completes are deleted even when the file
// "ack" cannot be replaced: that happens on a full disk, which only their
// deletion can free.
func (s *Spool) Ack(b Batch) error {
	if b.count <= s.ackCount {
		return nil
	}
	errs := []error{s.writeCursor(b.end)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending -= b.count - s.ackCount
	s.ackCount, s.ack = b.count, b.end
	for len(s.segs) > 0 {
		g := s.segs[0]
		if len(s.segs) == 1 && s.f != nil {
			break // the active segment
		}
		if !(g.no < b.end.seg || g.no == b.end.seg && b.end.off >= g.size) {
			break
		}
		if err := os.Remove(filepath.Join(s.dir, segmentName(g.no))); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("cannot delete acknowledged spool segment: %w", err))
			break
		}
		if s.rf != nil && s.rfNo == g.no {
			// Its space is freed only once no file refers to it.
			s.rf.Close()
			s.rf = nil
		}
		s.bytes -= g.size + g.tail
		s.segs = s.segs[1:]
		s.full = false
	}
	s.oldest = 0
	if s.pending > 0 {
		s.oldest = s.frameTime(s.ack)
	}
	return errors.Join(errs...)
}

// frameTime reads the append time of the first record at or after p. s.mu
// is held. On a read error it returns the time now, so the age stays sane.
func (s *Spool) frameTime(p pos) int64 {
	for _, g := range s.segs {
		if g.no < p.seg {
			continue
		}
		off := headerLen
		if g.no == p.seg {
			off = p.off
		}
		if off+frameLen > g.size {
			continue
		}
		f, err := os.Open(filepath.Join(s.dir, segmentName(g.no)))
		if err != nil {
			break
		}
		var h [frameLen]byte
		_, err = f.ReadAt(h[:], off)
		f.Close()
		if err != nil {
			break
		}
		return int64(binary.LittleEndian.Uint64(h[8:16]))
	}
	return time.Now().UnixNano()
}

// Stats returns the spool's state.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Bytes: s.bytes, MaxBytes: s.cfg.MaxBytes, Segments: len(s.segs), Pending: s.pending,
		Damaged: s.damaged, TornTails: s.torn, Failed: s.failed, Failures: s.failures, Full: s.full}
	if s.pending > 0 && s.oldest != 0 {
		st.Oldest = time.Unix(0, s.oldest)
	}
	return st
}

// Ready is nil while the spool takes records: it is writable (no write or
// fsync failed) and not full. It is the readiness of intake (/readyz): a
// ClickHouse outage alone does not make acdstat unready while the spool
// absorbs it.
func (s *Spool) Ready() error {
	st := s.Stats()
	if st.Failed != nil {
		return fmt.Errorf("spool is not writable: %w", st.Failed)
	}
	if st.Full {
		return fmt.Errorf("spool is full (%d of %d bytes): waiting for ClickHouse to catch up", st.Bytes, st.MaxBytes)
	}
	return nil
}

// Close closes the files. Records not acknowledged stay for the next Open.
// Close must not run concurrently with Next or Ack. On a spool that has
// failed it stops the probe and cuts the failed segment at its last good
// fsync (as the probe would), so the next Open reads no refused record.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.signal()
	s.mu.Unlock()
	s.probes.Wait() // no probe starts once closed is set

	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.f != nil {
		active := s.segs[len(s.segs)-1]
		if err := s.f.Sync(); err != nil {
			errs = append(errs, s.fail(fmt.Errorf("cannot sync spool segment: %w", err)))
		} else {
			s.markSynced(pos{active.no, active.size}, s.appended)
		}
	}
	if s.f != nil {
		errs = append(errs, s.f.Close())
		s.f = nil
	}
	if s.failed != nil && len(s.segs) > 0 {
		errs = append(errs, s.cut(s.segs[len(s.segs)-1]))
	}
	for _, r := range s.retired {
		errs = append(errs, r.Close())
	}
	s.retired = nil
	if s.rf != nil {
		s.rf.Close()
	}
	return errors.Join(errs...)
}

const cursorFile = "ack"

// readCursor reads the acknowledged position; zero when absent or damaged.
func (s *Spool) readCursor() (pos, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, cursorFile))
	if err != nil {
		return pos{}, err
	}
	if len(b) != 20 || crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:]) {
		s.log.Warn("spool: acknowledgement file is damaged; records are read again from the oldest segment")
		return pos{}, errors.New("damaged ack file")
	}
	return pos{binary.LittleEndian.Uint64(b[0:8]), int64(binary.LittleEndian.Uint64(b[8:16]))}, nil
}

// writeCursor replaces the acknowledged position atomically.
func (s *Spool) writeCursor(p pos) error {
	var b [20]byte
	binary.LittleEndian.PutUint64(b[0:8], p.seg)
	binary.LittleEndian.PutUint64(b[8:16], uint64(p.off))
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	path := filepath.Join(s.dir, cursorFile)
	if err := s.writeFileSync(path+".tmp", b[:]); err != nil {
		return fmt.Errorf("cannot write spool acknowledgement: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("cannot write spool acknowledgement: %w", err)
	}
	return nil
}

// writeFileSync writes data to path, replacing what it held, and fsyncs it.
func (s *Spool) writeFileSync(path string, data []byte) error {
	f, err := s.openFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot sync spool directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync spool directory: %w", err)
	}
	return nil
}
