// Package spool is acdstat's on-disk write-ahead queue: intake appends
// records and is acknowledged only once they are written and fsynced; one
// consumer (the ClickHouse writer) reads them back in order, and a segment
// file is deleted only after every record in it was acknowledged.
//
// # Layout
//
// A spool is a directory of numbered segment files (00000000000000000001.seg,
// …), each an 8-byte header ("ACDSPL1\n") followed by frames:
//
//	[u32 length][u32 crc32c][u64 append time, Unix ns][payload of length bytes]
//
// in little endian, where the CRC-32C (Castagnoli) covers the append time and
// the payload. A segment is closed and the next one started once it holds
// Config.SegmentBytes, or less with a small cap (see Cap). The file "ack"
// holds the position (segment, offset) up to which the consumer
// acknowledged; it is replaced atomically on every Ack. Losing it only makes
// records be read again (at-least-once).
//
// # Durability and group commit
//
// Append writes the frames of its records with one write and then waits for
// an fsync that covers them. Appenders that arrive while an fsync is in
// flight write their frames and share the next fsync: the window of a group
// is one fsync (about 1-3 ms on a local SSD), with no added timer, so a lone
// appender pays one fsync and many concurrent appenders pay about one each
// per group. Append returns only after the fsync covering its records
// succeeded. The consumer is never shown records that are not yet fsynced.
//
// # Recovery
//
// Open scans every segment. A torn tail of the newest segment (a frame cut
// short by a crash, or a last frame whose checksum fails) is cut off. A bad
// frame anywhere else (a bit flip, a segment truncated mid-frame) means
// damage on disk: the segment is moved to dir/corrupt/, its good prefix is
// written back under the original name so nothing readable is lost, and the
// damage is logged, counted in Stats and returned in Recovery. Open never
// fails because of damaged data, so a bad disk block cannot cause a crash
// loop; it fails only when the directory itself cannot be used. When it
// cannot create the segment to append to (a full disk) but holds records, it
// opens refusing records (see Failures), so that the consumer drains them.
//
// # Failures
//
// When a write or an fsync fails (a full disk, an I/O error), the records of
// the Append that failed, and of every Append whose frames that fsync was to
// cover, are not acknowledged: their callers get an error (intake answers
// 503 and the sender resends). The segment is closed off: nothing more is
// written to it, and its records end at the last fsync that succeeded. What
// follows is never shown to the consumer, even though it may still be in the
// page cache, because Linux may drop dirty pages after a failed writeback
// and report a later fsync on the file as fine. The spool then refuses
// records (Stats.Failed, which readiness reports) and a probe goroutine
// tries again after a back-off (100 ms, doubling to 5 s): it truncates the
// failed segment to that last good fsync and fsyncs it, so that a restart
// does not read the refused records either, and creates a new segment whose
// header it writes and fsyncs. Only when all of that works does the spool
// take records again and clear Failed; Stats.Failures counts the failures.
// Should the process stop before a probe cut the failed segment, Close cuts
// it, and after a crash the next Open's checksum scan decides: the failed
// segment is the newest, so a damaged tail is cut as torn, and whole frames
// after the last good fsync are kept (records whose callers were told they
// failed and resent them: duplicates, which everything downstream
// tolerates).
//
// The consumer reads and acknowledges while the spool refuses records. An
// acknowledged segment is deleted even when the file "ack" cannot be
// replaced (on a full disk, which only deleting segments can free; a restart
// then reads some records again), and the failed segment is deleted too
// once acknowledged, since it is no longer written. Close stops the probe;
// it does not wait for the disk to heal.
//
// # Cap
//
// Config.MaxBytes bounds the bytes of all segment files; an Append that
// would exceed it fails with ErrFull and writes nothing. Space comes back as
// the consumer acknowledges whole segments. A segment is deleted only once it
// is wholly acknowledged and no longer written, so the segment being written
// always counts against the cap, however fast the consumer is: segments are
// therefore at most MaxBytes/8 (but not below 1 MiB, unless SegmentBytes is)
// and at most MaxBytes/2, whatever SegmentBytes says (SegmentBytes is a
// most). Then a consumer that keeps up leaves at most about a quarter of the
// cap in use (the segment written and the one last read), and the rest
// absorbs an outage. Rolling a segment as soon as the consumer caught up
// with it would keep less on disk, but it would start a segment (a new file
// and two fsyncs) at every quiet moment; sizing against the cap is enough
// for the cap to hold.
package spool
