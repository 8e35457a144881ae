package store

import (
	"context"
	"strings"

	"github.com/acdstat/acdstat/cdr"
)

// readScope is the condition that keeps a read to the switches its context
// limits it to (cdr.WithSwitches), " AND switch IN (?, …)", with its
// arguments; "" and none where the context limits no switch. Every read
// of the read API and the dashboard (PeriodRollups, RollupQueues,
// AbandonedCallers, WaitingNow, RecentRejects) adds it to its WHERE, so a
// read token limited to some switches reads nothing of the others,
// whatever switch the request names: the read API refuses another switch
// with 403 before, and this is the floor under that check.
func readScope(ctx context.Context) (string, []any) {
	switches, ok := cdr.SwitchesOf(ctx)
	if !ok {
		return "", nil
	}
	if len(switches) == 0 {
		return " AND 0", nil
	}
	args := make([]any, len(switches))
	for i, sw := range switches {
		args[i] = sw
	}
	return " AND switch IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(switches)), ", ") + ")", args
}
