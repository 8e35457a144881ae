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
	// SegmentBytes is the size at which a segment is closed and the next
	// one started.
	SegmentBytes int64 `env:"SPOOL_SEGMENT_BYTES" envDefault:"67108864"`
	// BatchBytes is the payload budget of one Next (at least one record is
	// returned, however large).
	BatchBytes int `env:"SPOOL_BATCH_BYTES" envDefault:"8388608"`
}

// Validate names the variable of each bad setting.
func (c Config) Validate() error {
	var errs []error
	if c.SegmentBytes < 4096 {
		errs = append(errs, fmt.Errorf("ACDSTAT_SPOOL_SEGMENT_BYTES: must be at least 4096, got %d", c.SegmentBytes))
	}
	if c.MaxBytes < 2*c.SegmentBytes {
		errs = append(errs, fmt.Errorf("ACDSTAT_SPOOL_MAX_BYTES: must be at least twice ACDSTAT_SPOOL_SEGMENT_BYTES (%d), got %d", c.SegmentBytes, c.MaxBytes))
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
	// or fsync failed); nil when it is writable.
	Failed error
}

type pos struct {
	seg uint64
	off int64
}

func (p pos) less(q pos) bool { return p.seg < q.seg || p.seg == q.seg && p.off < q.off }

type segment struct {
	no   uint64
	size int64
}

// Spool is an on-disk queue. Append is safe for concurrent use; Next and Ack
// belong to one consumer goroutine. Stats may be called from anywhere.
type Spool struct {
	dir      string
	cfg      Config
	log      *slog.Logger
	recovery Recovery

	syncMu sync.Mutex // held by the goroutine running an fsync

	mu       sync.Mutex
	segs     []segment // ascending; the last is the active one
	f        *os.File  // the active segment, written at its end
	retired  []*os.File
	bytes    int64
	pending  int64
	oldest   int64 // Unix ns of the oldest pending record; 0 when none
	synced   pos   // everything before it is fsynced
	failed   error
	closed   bool
	damaged  int
	torn     int
	full     bool  // an Append got ErrFull and no segment was freed since
	appended int64 // records appended since Open
	avail    chan struct{}

	// Consumer state, touched by Next and Ack only.
	rpos      pos
	rf        *os.File
	rfNo      uint64
	readCount int64
	ackCount  int64
	ack       pos
}

// Open opens or creates the spool in dir and recovers it (see the package
// doc). log receives one line per repair; Recovery lists them. log may be nil.
func Open(dir string, cfg Config, log *slog.Logger) (*Spool, error) {
	s, rec, err := open(dir, cfg, log)
	if err != nil {
		return nil, err
	}
	s.recovery = rec
	return s, nil
}

// Recovery reports what Open found and repaired.
func (s *Spool) Recovery() Recovery { return s.recovery }

func open(dir string, cfg Config, log *slog.Logger) (*Spool, Recovery, error) {
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
	s := &Spool{dir: dir, cfg: cfg, log: log, avail: make(chan struct{}, 1)}
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
	if err := s.newSegment(next); err != nil {
		return nil, rec, err
	}
	if cursor.seg == 0 {
		cursor = pos{s.segs[0].no, headerLen}
	}
	s.ack, s.rpos = cursor, cursor
	s.synced = pos{next, headerLen}
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
	if err := writeFileSync(tmp, good); err != nil {
		return fmt.Errorf("cannot keep the good part of a damaged spool segment: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot keep the good part of a damaged spool segment: %w", err)
	}
	return syncDir(s.dir)
}

// newSegment creates segment no and makes it the active one. Called with
// s.mu held (or before s is shared).
func (s *Spool) newSegment(no uint64) error {
	path := filepath.Join(s.dir, segmentName(no))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("cannot create spool segment: %w", err)
	}
	if _, err := f.Write([]byte(segmentMagic)); err != nil {
		f.Close()
		return fmt.Errorf("cannot write spool segment: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		return err
	}
	if s.f != nil {
		s.retired = append(s.retired, s.f)
	}
	s.f = f
	s.segs = append(s.segs, segment{no: no, size: headerLen})
	s.bytes += headerLen
	return nil
}

// Append writes records and returns after they are fsynced, or ErrFull
// when they would exceed Config.MaxBytes. It does not retain records. ctx
// is checked before writing; a write in progress is not interrupted.
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
		s.mu.Unlock()
		return fmt.Errorf("cannot append to spool: %w", s.failed)
	case s.bytes+int64(len(buf)) > s.cfg.MaxBytes:
		s.full = true
		s.mu.Unlock()
		return ErrFull
	}
	active := &s.segs[len(s.segs)-1]
	if active.size > headerLen && active.size+int64(len(buf)) > s.cfg.SegmentBytes {
		if err := s.roll(active.no + 1); err != nil {
			s.failed = err
			s.mu.Unlock()
			return err
		}
		active = &s.segs[len(s.segs)-1]
	}
	if _, err := s.f.Write(buf); err != nil {
		s.failed = fmt.Errorf("cannot write spool segment: %w", err)
		s.mu.Unlock()
		return s.failed
	}
	active.size += int64(len(buf))
	s.bytes += int64(len(buf))
	if s.pending == 0 {
		s.oldest = now
	}
	s.pending += int64(len(records))
	s.appended += int64(len(records))
	target := pos{active.no, active.size}
	s.mu.Unlock()
	return s.syncTo(target)
}

// roll fsyncs the active segment and starts segment no. s.mu is held.
func (s *Spool) roll(no uint64) error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("cannot sync spool segment: %w", err)
	}
	if err := s.newSegment(no); err != nil {
		return err
	}
	// Everything before the new segment is durable now.
	s.synced = pos{no, headerLen}
	s.signal()
	return nil
}

// syncTo returns once everything up to target is fsynced. One goroutine at
// a time runs the fsync; those queued behind it find their records covered
// by the next one (group commit).
func (s *Spool) syncTo(target pos) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	if !s.synced.less(target) {
		s.mu.Unlock()
		return nil
	}
	if s.failed != nil {
		err := s.failed
		s.mu.Unlock()
		return fmt.Errorf("cannot append to spool: %w", err)
	}
	f := s.f
	active := s.segs[len(s.segs)-1]
	upto := pos{active.no, active.size}
	s.mu.Unlock()

	err := f.Sync()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failed = fmt.Errorf("cannot sync spool segment: %w", err)
		return s.failed
	}
	if s.synced.less(upto) {
		s.synced = upto
	}
	for _, r := range s.retired {
		r.Close()
	}
	s.retired = nil
	s.signal()
	return nil
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
	i, found := slices.BinarySearchFunc(s.segs, no, func(g segment, no uint64) int {
		switch {
		case g.no < no:
			return -1
		case g.no > no:
			return 1
		}
		return 0
	})
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

// Ack acknowledges b and every batch Next returned before it. Segments whose
// records are all acknowledged are deleted.
func (s *Spool) Ack(b Batch) error {
	if b.count <= s.ackCount {
		return nil
	}
	if err := s.writeCursor(b.end); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending -= b.count - s.ackCount
	s.ackCount, s.ack = b.count, b.end
	var errs []error
	for len(s.segs) > 1 {
		g := s.segs[0]
		if !(g.no < b.end.seg || g.no == b.end.seg && b.end.off >= g.size) {
			break
		}
		if err := os.Remove(filepath.Join(s.dir, segmentName(g.no))); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("cannot delete acknowledged spool segment: %w", err))
			break
		}
		s.bytes -= g.size
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
		Damaged: s.damaged, TornTails: s.torn, Failed: s.failed, Full: s.full}
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
// Close must not run concurrently with Next or Ack.
func (s *Spool) Close() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.signal()
	var errs []error
	if s.f != nil {
		errs = append(errs, s.f.Sync(), s.f.Close())
	}
	for _, r := range s.retired {
		errs = append(errs, r.Close())
	}
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
	if err := writeFileSync(path+".tmp", b[:]); err != nil {
		return fmt.Errorf("cannot write spool acknowledgement: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("cannot write spool acknowledgement: %w", err)
	}
	return nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
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
