package sip

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/acdstat/acdstat/cdr"
)

// TestCallsInFlightCountsTheWholeRun: the build job builds a run's calls
// in chunks, all with the run's options; acdstat_sip_calls_in_flight must
// count the open calls of all of them (issue 12 item 8: it showed only
// those of the last chunk), and start again with the next run.
func TestCallsInFlightCountsTheWholeRun(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, err := NewCorrelator(testCfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	open := func(from, n int) []cdr.Event {
		var evs []cdr.Event
		for i := from; i < from+n; i++ {
			evs = append(evs, newLeg(t, fmt.Sprintf("c%d", i), "7001").at(i*1000, "INVITE", "", 1, "INVITE", false).evs...)
		}
		return evs
	}
	run := cdr.BuildOptions{Now: t0.Add(time.Minute)}
	c.Build(open(0, 3), run)
	// A new version of the queue settings mid-run changes nothing.
	c.WithNumbers(map[string]string{"7001": "sales"}).Build(open(3, 2), run)
	if got := testutil.ToFloat64(c.open); got != 5 {
		t.Errorf("after a run of two chunks of 3 and 2 open calls: calls in flight %v, want 5", got)
	}
	c.Build(open(10, 1), cdr.BuildOptions{Now: t0.Add(2 * time.Minute)})
	if got := testutil.ToFloat64(c.open); got != 1 {
		t.Errorf("after the next run of 1 open call: calls in flight %v, want 1", got)
	}
}
