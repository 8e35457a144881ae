package cdr

import (
	"errors"
	"fmt"
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
