package cdr_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/simulate"
)

// TestDecodeAndBuildGiveTheSimulatorsTruth runs the simulator's queue_log
// through the decoder and the builder, with no server in between, and
// compares every queue call with the simulator's own truth. The simulator
// shares no code with cdr, so agreement is evidence, not an echo.
func TestDecodeAndBuildGiveTheSimulatorsTruth(t *testing.T) {
	for _, seed := range []int64{1, 7, 11, 23, 99} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			cfg := simulate.DefaultConfig()
			cfg.CallsPerDay = 150
			cfg.Seed = seed
			sim, err := simulate.Generate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := sim.WriteQueueLog(&buf); err != nil {
				t.Fatal(err)
			}
			var events []cdr.Event
			err = cdr.DecodeQueueLog(&buf, cdr.DecodeOptions{}, func(b cdr.Batch) error {
				for _, r := range b.Rejects {
					t.Errorf("rejected: %v", r)
				}
				events = append(events, b.Events...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Long after the simulated week: every stay without an end is stale.
			calls := cdr.BuildCalls(events, cdr.BuildOptions{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
			type key struct {
				id, queue string
				seq       int
			}
			got := map[key]cdr.QueueCall{}
			for _, c := range calls {
				got[key{c.CallID, c.Queue, int(c.Seq) + 1}] = c // truth counts stays from 1
			}
			truth := sim.Truth().Calls
			if len(calls) != len(truth) {
				t.Errorf("built %d queue calls; truth has %d", len(calls), len(truth))
			}
			for _, tc := range truth {
				c, ok := got[key{tc.CallID, tc.Queue, tc.Seq}]
				if !ok {
					t.Errorf("truth call %s in %s (stay %d) was not built", tc.CallID, tc.Queue, tc.Seq)
					continue
				}
				if c.Outcome.String() != tc.Outcome || int(c.WaitS) != tc.WaitS || int(c.TalkS) != tc.TalkS ||
					c.Transferred != tc.Transferred || !c.EnterTime.Equal(tc.Enter) {
					t.Errorf("call %s in %s (stay %d):\n got %s wait %d talk %d transferred %v enter %v\nwant %s wait %d talk %d transferred %v enter %v",
						tc.CallID, tc.Queue, tc.Seq, c.Outcome, c.WaitS, c.TalkS, c.Transferred, c.EnterTime,
						tc.Outcome, tc.WaitS, tc.TalkS, tc.Transferred, tc.Enter.UTC())
				}
			}
		})
	}
}
