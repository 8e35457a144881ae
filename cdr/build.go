package cdr

import "time"

// DefaultStaleAfter is how long a stay with no end waits before it is closed
// as Unknown (METRICS.md: default 4 h).
const DefaultStaleAfter = 4 * time.Hour

// BuildOptions steer the builder.
type BuildOptions struct {
	// Now is the reference for the stale timeout.
	Now time.Time
	// StaleAfter: 0 means DefaultStaleAfter.
	StaleAfter time.Duration
}

// BuildCalls turns events into queue calls. Not built yet.
func BuildCalls(events []Event, opt BuildOptions) []QueueCall {
	return nil
}
