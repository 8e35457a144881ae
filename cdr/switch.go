package cdr

import (
	"context"
	"fmt"
	"slices"
)

// AllSwitches is the switch name that stands for every switch together: the
// views' and rollups' rows over all switches, and the filter of reports and
// the read API that takes them all. No sender may name itself so:
// SwitchName refuses it.
const AllSwitches = "*"

// SwitchRule says what a switch name may be, for the messages that refuse
// one.
const SwitchRule = `use 1 to 64 letters, digits and _ . : -, the first a letter or digit ("` + AllSwitches + `" means all switches)`

// maxSwitchName is the longest switch name.
const maxSwitchName = 64

// SwitchName decides the switch of what a sender sends: s, or DefaultSwitch
// when s is empty. It is the one rule of every intake path (HTTP's
// ?switch= and X-Acdstat-Switch, `acdstat ship --switch`, `acdstat ingest
// --switch`, ACDSTAT_SIP_SWITCH, a disposition's switch field); HEP's
// hep-<capture id> names satisfy it. A name that breaks SwitchRule, such as
// AllSwitches, is an error saying so; callers prefix the flag, parameter or
// header they read it from.
func SwitchName(s string) (string, error) {
	if s == "" {
		return DefaultSwitch, nil
	}
	ok := len(s) <= maxSwitchName
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == ':' || c == '-'):
		default:
			ok = false
		}
	}
	if !ok {
		return "", fmt.Errorf("%q is not a switch name: %s", s, SwitchRule)
	}
	return s, nil
}

// readScope is the context key of WithSwitches.
type readScope struct{}

// WithSwitches returns ctx for reads on behalf of a reader limited to
// switches (a read token of ACDSTAT_READ_TOKENS): every read of the store
// made with it keeps to them, and AllSwitches means all of them rather than
// every switch. switches must not be empty; the slice is not retained.
func WithSwitches(ctx context.Context, switches []string) context.Context {
	return context.WithValue(ctx, readScope{}, slices.Clone(switches))
}

// SwitchesOf returns the switches ctx limits reads to (WithSwitches) and
// true, or nil and false where it limits none. The caller must not modify
// the slice.
func SwitchesOf(ctx context.Context) ([]string, bool) {
	s, ok := ctx.Value(readScope{}).([]string)
	return s, ok
}
