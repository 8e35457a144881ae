package sip

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxMessage is the largest HEP packet or SIP message read, from a
// datagram or from a stream: the most a UDP datagram can carry.
const MaxMessage = 65535

// ReadHEPFrame reads one HEP packet of a byte stream (HEPv3 over TCP),
// framed by the length in its header. It returns io.EOF itself when the
// stream ends cleanly between packets, and an error wrapping ErrHEP or the
// read error otherwise; after an error the stream cannot be
// resynchronised.
func ReadHEPFrame(r *bufio.Reader) ([]byte, error) {
	h, err := r.Peek(hepHeaderLen)
	if err != nil {
		if len(h) == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("cannot read HEP header: %w", err)
	}
	n, err := HEPLength(h)
	if err != nil {
		return nil, err
	}
	pkt := make([]byte, n)
	if _, err := io.ReadFull(r, pkt); err != nil {
		return nil, fmt.Errorf("cannot read HEP packet: %w", err)
	}
	return pkt, nil
}

// ReadSIPFrame reads one SIP message of a byte stream (SIP over TCP): the
// headers up to the empty line, then Content-Length bytes of body (0 when
// absent; the compact form "l" counts too). CRLF keep-alives between
// messages are skipped. It returns io.EOF itself when the stream ends
// cleanly between messages, and an error wrapping io.EOF or
// io.ErrUnexpectedEOF when it ends inside one; a message longer than
// MaxMessage, a header line longer than r's buffer or a bad Content-Length
// is an error, after which the stream cannot be resynchronised.
func ReadSIPFrame(r *bufio.Reader) ([]byte, error) {
	var msg []byte
	length := 0
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && len(msg) == 0 && len(line) == 0 {
				return nil, io.EOF
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errors.New("sip: header line too long")
			}
			return nil, fmt.Errorf("cannot read SIP message: %w", err)
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			if len(msg) == 0 {
				continue // keep-alive
			}
			msg = append(msg, line...)
			break
		}
		msg = append(msg, line...)
		if len(msg) > MaxMessage {
			return nil, errors.New("sip: message too large")
		}
		name, value, ok := bytes.Cut(trimmed, []byte(":"))
		if !ok {
			continue
		}
		name = bytes.TrimSpace(name)
		if bytes.EqualFold(name, []byte("Content-Length")) || bytes.EqualFold(name, []byte("l")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil || n < 0 || n > MaxMessage {
				return nil, fmt.Errorf("sip: bad Content-Length %q", value)
			}
			length = n
		}
	}
	if len(msg)+length > MaxMessage {
		return nil, errors.New("sip: message too large")
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("cannot read SIP body: %w", err)
	}
	return append(msg, body...), nil
}
