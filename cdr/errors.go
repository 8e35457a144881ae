package cdr

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalid is wrapped by every DecodeError, so callers can map a rejected
// record to HTTP 400 with errors.Is.
var ErrInvalid = errors.New("cdr: invalid record")

// DecodeError says which line of an input was refused, in which field, and why.
// Line is 1-based; Field is the name a person would look for (e.g. "time",
// "event", "data3"); Raw is the offending line as received, for operators.
type DecodeError struct {
	Line   int
	Field  string
	Reason string
	Raw    string
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: field %s: %s", e.Line, e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true for every DecodeError.
func (e *DecodeError) Unwrap() error { return ErrInvalid }

// Reject is an input acdstat refused, as operators see it: the one type of
// a reject from the decoders (RejectOf) through the spool
// (MarshalSpoolRecord) and the store to GET /v1/rejects, whose JSON keys are
// the tags below. It is a line a decoder refused, or a stay the build job
// refused (Source SourceBuild, Line 0). Line, Field, Reason and Raw are
// those of the DecodeError.
type Reject struct {
	Switch string `json:"switch"`
	Source string `json:"source"`
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
	// ReceivedAt is when acdstat got the input; zero means now (the sink
	// that stores it stamps it).
	ReceivedAt time.Time `json:"received_at"`
}

// String is the reject as its DecodeError reads, for people: "line 3:
// field time: …".
func (r Reject) String() string {
	return (&DecodeError{Line: r.Line, Field: r.Field, Reason: r.Reason}).Error()
}

// SourceBuild is the Source of the rejects of the build job: stays whose
// figures break METRICS.md's validation (QueueCall.Invalid).
const SourceBuild = "build"

// SourceWriter is the Source of the rejects of the spool writer: events
// ClickHouse refused for what is in them (package drain).
const SourceWriter = "writer"

// RejectOf makes the Reject of a decoder's error.
func RejectOf(sw, source string, e *DecodeError, receivedAt time.Time) Reject {
	return Reject{Switch: sw, Source: source, Line: e.Line, Field: e.Field, Reason: e.Reason, Raw: e.Raw, ReceivedAt: receivedAt}
}

// InvalidStayReject makes the Reject of a stay with Invalid set: the
// reason, and a line that names the stay for people. A rebuild of the same
// stay gives the same Reject but for receivedAt.
func InvalidStayReject(c *QueueCall, receivedAt time.Time) Reject {
	return Reject{
		Switch: c.Switch, Source: SourceBuild, Field: "wait",
		Reason: c.Invalid + "; the stay is not counted",
		Raw: fmt.Sprintf("call %s in queue %s, stay %d, joined %s, ended %s (%s)",
			c.CallID, c.Queue, c.Seq, c.EnterTime.UTC().Format(time.RFC3339), c.EndTime.UTC().Format(time.RFC3339), c.EndVerb),
		ReceivedAt: receivedAt,
	}
}
