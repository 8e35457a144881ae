package intake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"

	"github.com/acdstat/acdstat/sip"
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

// setUDPReceiveBuffer asks the kernel for a receive buffer of size bytes on
// the socket: past net.core.rmem_max with SO_RCVBUFFORCE when the process
// has CAP_NET_ADMIN (forced is then true), else with SO_RCVBUF, which the
// kernel caps at rmem_max. A bigger buffer rides out longer stalls of the
// reader (the CPU taken by others, a garbage collection) without loss, and
// the kernel takes memory for it only while datagrams wait in it.
func setUDPReceiveBuffer(c *net.UDPConn, size int) (forced bool, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return false, fmt.Errorf("cannot reach the socket: %w", err)
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		ferr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, size)
	}); err != nil {
		return false, fmt.Errorf("cannot reach the socket: %w", err)
	}
	if ferr == nil {
		return true, nil
	}
	if err := c.SetReadBuffer(size); err != nil {
		return false, fmt.Errorf("cannot set SO_RCVBUF: %w", err)
	}
	return false, nil
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

// udpReader reads datagrams in batches: all that wait on the socket, up to
// a bound, each with one recvfrom, through the runtime's poller.
type udpReader struct {
	rc   syscall.RawConn
	slab []byte
}

func newUDPReader(c *net.UDPConn) (*udpReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("cannot reach the socket: %w", err)
	}
	return &udpReader{rc: rc}, nil
}

// read appends to batch the datagrams waiting on the socket, at least one
// (it waits for the first) and at most max, each read into the free end of
// the reader's current block; a datagram larger than sip.MaxMessage is cut
// to one byte more.
func (r *udpReader) read(batch []udpPacket, max int) ([]udpPacket, error) {
	var rerr error
	err := r.rc.Read(func(fd uintptr) bool {
		for len(batch) < max {
			if len(r.slab) < sip.MaxMessage+1 {
				r.slab = make([]byte, udpSlab)
			}
			buf := r.slab[:sip.MaxMessage+1]
			n, sa, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
			switch {
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, syscall.EAGAIN):
				return len(batch) > 0 // nothing yet: wait for the poller
			case err != nil:
				rerr = err
				return true
			}
			batch = append(batch, udpPacket{pkt: buf[:n:n], from: sockaddrPort(sa)})
			r.slab = r.slab[n:]
		}
		return true
	})
	if err != nil {
		return batch, err
	}
	if rerr != nil {
		return batch, fmt.Errorf("cannot read UDP: %w", rerr)
	}
	return batch, nil
}

func sockaddrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}
