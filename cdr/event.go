package cdr

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// DefaultSwitch is the switch an event belongs to when its sender names none.
const DefaultSwitch = "default"

// Sources name the form an event came in; they are stored with the event.
const (
	SourceQueueLog   = "queue_log"    // the pipe-separated queue_log file
	SourceQueueLogDB = "queue_log_db" // a CSV export of the queue_log table
)

// Event is one fact a switch reported: for queue_log, one line. Events are
// immutable once decoded; the builder and the store only read them.
type Event struct {
	// ID is a hash of the switch and the normalised record (see EventID), so
	// the same fact sent twice, by any path, has the same ID.
	ID     uint64
	Switch string
	Source string
	// Time is the event's instant in UTC, whole seconds; Micros holds the
	// sub-second part where the source has one (the DB form does).
	Time   time.Time
	Micros uint32
	CallID string
	Queue  string
	Agent  string
	// Verb is the queue_log event name in upper case, e.g. ENTERQUEUE.
	Verb string
	// Data holds data1..data5 in the canonical queue_log order of
	// research/acd-anchors.md §2a, whatever layout the source used.
	Data [5]string
	// Line is the 1-based line (or CSV record) number in its input; it is not
	// part of the identity and is not stored.
	Line int
	// IngestedAt is the ClickHouse server's time when the event was stored;
	// set only on events read back from the store, zero when decoded.
	IngestedAt time.Time
}

// EventID returns the deterministic id of an event: the first 8 bytes of the
// SHA-256 of the switch and the normalised record. The time counts in whole
// seconds, so the file form (epoch seconds) and the DB form (microseconds) of
// the same line have the same id; trailing empty data fields are ignored, so a
// line written with or without them is one fact; and in queue_log events an
// empty queue or agent is NONE, as the file form writes it where the table
// export of the same line has an empty column (Wazo's traces do).
func EventID(e *Event) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(e.Time.Unix()))
	write := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	queue, agent := e.Queue, e.Agent
	if e.Source == SourceQueueLog || e.Source == SourceQueueLogDB {
		queue, agent = qlNone(queue), qlNone(agent)
	}
	write(e.Switch)
	h.Write(b[:])
	write(e.CallID)
	write(queue)
	write(agent)
	write(e.Verb)
	n := len(e.Data)
	for n > 0 && e.Data[n-1] == "" {
		n--
	}
	write(strconv.Itoa(n))
	for _, d := range e.Data[:n] {
		write(d)
	}
	sum := h.Sum(nil)
	return binary.BigEndian.Uint64(sum[:8])
}

// DataInt returns data field i (0-based) as a whole number, and false when it
// is empty or not a number.
func (e *Event) DataInt(i int) (int64, bool) {
	s := strings.TrimSpace(e.Data[i])
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// qlNone is the queue_log spelling of an empty queue or agent.
func qlNone(s string) string {
	if s == "" {
		return "NONE"
	}
	return s
}
