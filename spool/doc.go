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
// Config.SegmentBytes. The file "ack" holds the position (segment, offset) up
// to which the consumer acknowledged; it is replaced atomically on every Ack.
// Losing it only makes records be read again (at-least-once).
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
// loop; it fails only when the directory itself cannot be used.
//
// # Cap
//
// Config.MaxBytes bounds the bytes of all segment files; an Append that
// would exceed it fails with ErrFull and writes nothing. Space comes back as
// the consumer acknowledges whole segments.
package spool
