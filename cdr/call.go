package cdr

import "time"

// Outcome is how a queue call ended (METRICS.md, "The unit: a queue call").
// Waiting is not an outcome of METRICS.md: it marks a stay that has joined and
// not yet ended nor gone stale; such stays are stored for the "calls waiting
// now" view but never counted as offered.
type Outcome uint8

// The outcomes. Their numbers are the Enum8 values stored in ClickHouse.
const (
	Waiting   Outcome = 0
	Answered  Outcome = 1
	Abandoned Outcome = 2
	Timeout   Outcome = 3
	ExitKey   Outcome = 4
	ExitOther Outcome = 5
	Unknown   Outcome = 6
)

var outcomeNames = [...]string{"waiting", "answered", "abandoned", "timeout", "exit_key", "exit_other", "unknown"}

// String returns the METRICS.md name of the outcome.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "invalid"
}

// Outcomes lists the outcomes of METRICS.md, in their stored order.
var Outcomes = []Outcome{Answered, Abandoned, Timeout, ExitKey, ExitOther, Unknown}

// QueueCall is one caller's stay in one queue (METRICS.md). Its key is
// (Switch, CallID, Queue, Seq): Seq numbers the stays of one call id in one
// queue in time order, from 0, so a late event never makes a second row for
// the same stay.
type QueueCall struct {
	Switch string
	CallID string
	Queue  string
	Seq    uint16

	Outcome Outcome
	// EnterTime is when the caller joined (UTC); where the joining was not
	// seen, end − wait.
	EnterTime time.Time
	// AnswerTime is zero unless answered.
	AnswerTime time.Time
	// EndTime is when the stay ended: hang-up, transfer onward, leaving the
	// queue, or for Unknown and Waiting the last event seen.
	EndTime     time.Time
	WaitS       uint32
	TalkS       uint32
	Transferred bool
	Agent       string
	// Caller is the caller number from ENTERQUEUE, where the switch wrote one.
	Caller string
	// EndVerb is the event that decided the outcome (e.g. ABANDON), or
	// "stale" for a stay closed by the stale timeout.
	EndVerb string
	// LastEventTime is the time of the newest event of this stay.
	LastEventTime time.Time
	// Disposition says an answered stay got a disposition (disposition.go);
	// Resolved then says it was resolved at first contact, DispositionCode
	// is its code.
	Disposition     bool
	Resolved        bool
	DispositionCode string
	// Invalid, when not empty, says why the stay breaks the validation of
	// METRICS.md (a wait below 0 or over 24 h, whether the switch wrote it
	// or the timestamps give it): such a stay is refused with that reason
	// and not counted. It is not stored: the build job writes no row for
	// it (a tombstone where an earlier build stored one) and lists it with
	// the rejects.
	Invalid string
}

// Key identifies a queue call across rebuilds.
type Key struct {
	Switch, CallID, Queue string
	Seq                   uint16
}

// Key returns the stay's identity.
func (c *QueueCall) Key() Key {
	return Key{Switch: c.Switch, CallID: c.CallID, Queue: c.Queue, Seq: c.Seq}
}

// CallRef names one call id of one switch, with the span of event times
// that made it interesting (for example the events that arrived since a
// watermark). The build job asks for all events of a call near that span.
type CallRef struct {
	Switch, CallID   string
	MinTime, MaxTime time.Time
}

// StoredCall is a queue call as written to the store: the call, the version
// that orders rebuilds of it (a higher version replaces a lower one), and
// Deleted for a stay that a rebuild no longer produces (a tombstone).
type StoredCall struct {
	QueueCall
	Version uint64
	Deleted bool
	// PrevEnterTime is the enter time of the stored row this one replaces,
	// when it differs (zero otherwise), so the rollup also recomputes the
	// bucket the stay left. A tombstone keeps the enter time of the stay it
	// hides in EnterTime and PrevEnterTime.
	PrevEnterTime time.Time
	// PrevAgent is the agent of the stored row this one replaces, when it
	// differs ("" otherwise), and of the stay a tombstone hides, so the
	// agent job recomputes the agent who lost the call too.
	PrevAgent string
}

// StoredStay is what the build job needs to know of a stored stay.
type StoredStay struct {
	Version   uint64
	EnterTime time.Time
	Agent     string
	// Deleted: the newest stored row of the stay is a tombstone.
	Deleted bool
}
