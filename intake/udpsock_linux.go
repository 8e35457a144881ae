package intake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// udpInode returns the inode of a UDP socket, which names it in
// /proc/net/udp and /proc/net/udp6.
func udpInode(c *net.UDPConn) (uint64, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("cannot reach the socket: %w", err)
	}
	var st syscall.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstat(int(fd), &st) }); err != nil {
		return 0, fmt.Errorf("cannot reach the socket: %w", err)
	}
	if serr != nil {
		return 0, fmt.Errorf("cannot stat the socket: %w", serr)
	}
	return st.Ino, nil
}

// udpReceiveBuffer returns the socket's receive buffer as the kernel has
// it (SO_RCVBUF read back: Linux doubles what was asked, within
// net.core.rmem_max, for its bookkeeping).
func udpReceiveBuffer(c *net.UDPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("cannot reach the socket: %w", err)
	}
	var size int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		size, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	}); err != nil {
		return 0, fmt.Errorf("cannot reach the socket: %w", err)
	}
	if serr != nil {
		return 0, fmt.Errorf("cannot read SO_RCVBUF: %w", serr)
	}
	return size, nil
}

// udpQueueStats reads the kernel's figures of the UDP socket with the given
// inode from /proc/net/udp or /proc/net/udp6: the datagrams it dropped
// since it was made (the drops column: a full receive buffer, mostly) and
// the bytes waiting in its receive queue (rx_queue).
func udpQueueStats(inode uint64) (drops, queued uint64, err error) {
	want := []byte(strconv.FormatUint(inode, 10))
	for _, name := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		f, err := os.Open(name)
		if err != nil {
			return 0, 0, fmt.Errorf("cannot read socket table: %w", err)
		}
		drops, queued, found, err := scanUDPTable(f, want)
		f.Close()
		if err != nil {
			return 0, 0, fmt.Errorf("cannot read %s: %w", name, err)
		}
		if found {
			return drops, queued, nil
		}
	}
	return 0, 0, errors.New("socket not found in /proc/net/udp or /proc/net/udp6")
}

// scanUDPTable finds the line of inode in a /proc/net/udp table. Its
// columns: sl, local_address, rem_address, st, tx_queue:rx_queue (hex),
// tr:tm->when, retrnsmt, uid, timeout, inode, ref, pointer, drops.
func scanUDPTable(f *os.File, inode []byte) (drops, queued uint64, found bool, err error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 13 || !bytes.Equal(fields[9], inode) {
			continue
		}
		_, rx, _ := bytes.Cut(fields[4], []byte(":"))
		if queued, err = strconv.ParseUint(string(rx), 16, 64); err != nil {
			return 0, 0, false, fmt.Errorf("bad rx_queue %q", fields[4])
		}
		if drops, err = strconv.ParseUint(string(fields[12]), 10, 64); err != nil {
			return 0, 0, false, fmt.Errorf("bad drops %q", fields[12])
		}
		return drops, queued, true, nil
	}
	return 0, 0, false, sc.Err()
}
