//go:build !linux

package intake

import (
	"errors"
	"net"

	"github.com/acdstat/acdstat/sip"
)

// The kernel's figures of a UDP socket are read on Linux only; elsewhere
// the listener exports none of them.

func udpInode(*net.UDPConn) (uint64, error) { return 0, errors.ErrUnsupported }

// setUDPReceiveBuffer asks for the buffer with SO_RCVBUF, which is all
// these systems have.
func setUDPReceiveBuffer(c *net.UDPConn, size int) (forced bool, err error) {
	return false, c.SetReadBuffer(size)
}

func udpReceiveBuffer(*net.UDPConn) (int, error) { return 0, errors.ErrUnsupported }

func udpQueueStats(uint64) (drops, queued uint64, err error) { return 0, 0, errors.ErrUnsupported }

// udpReader reads one datagram at a time where batches are not read
// (udpsock_linux.go).
type udpReader struct{ c *net.UDPConn }

func newUDPReader(c *net.UDPConn) (*udpReader, error) {
	return &udpReader{c: c}, nil
}

// read appends the next datagram to batch, cut to one byte more than
// sip.MaxMessage when it is larger.
func (r *udpReader) read(batch []udpPacket, _ int) ([]udpPacket, error) {
	buf := make([]byte, sip.MaxMessage+1)
	n, from, err := r.c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return batch, err
	}
	return append(batch, udpPacket{pkt: buf[:n:n], from: from}), nil
}
