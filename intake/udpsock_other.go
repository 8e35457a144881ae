//go:build !linux

package intake

import (
	"errors"
	"net"
)

// The kernel's figures of a UDP socket are read on Linux only; elsewhere
// the listener exports none of them.

func udpInode(*net.UDPConn) (uint64, error) { return 0, errors.ErrUnsupported }

func udpReceiveBuffer(*net.UDPConn) (int, error) { return 0, errors.ErrUnsupported }

func udpQueueStats(uint64) (drops, queued uint64, err error) { return 0, 0, errors.ErrUnsupported }
