package store

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/chtest"
)

// TestDistributionsOnTheLocalClockBeforeAndAfter0006 sums calls by hour of
// day and weekday from rollup rows written before migration 0006 (no
// stored offsets: the queue zone's offset from Go's zone data stands in)
// and after the rebuild (the stored ones): in Copenhagen both 02:00 hours
// of the autumn Sunday are hour 2 and a call at 23:50 on Saturday is
// Saturday's hour 23; in Honolulu a call at 23:50 on Friday (Saturday in
// UTC) is Friday's hour 23. Both ways give the same slots.
func TestDistributionsOnTheLocalClockBeforeAndAfter0006(t *testing.T) {
	addr, db := chtest.NewDatabase(t)
	ctx := context.Background()
	s, err := Open(ctx, testConfig(addr, db), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	all, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var before []migration
	for _, m := range all {
		if m.version < 6 {
			before = append(before, m)
		}
	}
	if _, err := s.migrate(ctx, before); err != nil {
		t.Fatal(err)
	}
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	hnl, err := time.LoadLocation("Pacific/Honolulu")
	if err != nil {
		t.Fatal(err)
	}
	cq, hq := cdr.DefaultQueueSettings("cph"), cdr.DefaultQueueSettings("hnl")
	cq.Location, hq.Location = cph, hnl
	settings := &cdr.Settings{Queues: map[string]cdr.QueueSettings{"cph": cq, "hnl": hq}}
	call := func(queue, at string) cdr.StoredCall {
		enter, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		return cdr.StoredCall{QueueCall: cdr.QueueCall{Switch: "pbx", CallID: queue + at, Queue: queue, Outcome: cdr.Answered,
			EnterTime: enter.UTC(), AnswerTime: enter.UTC().Add(5 * time.Second), EndTime: enter.UTC().Add(time.Minute), WaitS: 5, TalkS: 55}, Version: 1}
	}
	stored := []cdr.StoredCall{
		call("cph", "2025-10-25T23:50:00+02:00"),
		call("cph", "2025-10-26T02:20:00+02:00"), call("cph", "2025-10-26T02:20:00+01:00"),
		call("hnl", "2025-07-04T23:50:00-10:00"),
	}
	var calls []cdr.QueueCall
	for _, c := range stored {
		calls = append(calls, c.QueueCall)
	}
	cols := rollupColumns(cdr.Rollup(calls, settings, nil), 1)
	if err := s.sendColumns(ctx, "rollup_15m", pre0006Insert, cols[:len(cols)-12]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteCalls(ctx, stored); err != nil {
		t.Fatal(err)
	}
	slots := func(queue, by string, loc *time.Location, from, to time.Time) map[int]uint64 {
		t.Helper()
		sums, err := s.DistributionRollups(ctx, cdr.AllSwitches, queue, by, from, to, false, loc)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int]uint64{}
		for k, r := range sums {
			if r.Counts.Offered > 0 {
				out[k] = r.Counts.Offered
			}
		}
		return out
	}
	cFrom, cTo := time.Date(2025, 10, 25, 0, 0, 0, 0, cph), time.Date(2025, 10, 27, 0, 0, 0, 0, cph)
	hFrom, hTo := time.Date(2025, 7, 1, 0, 0, 0, 0, hnl), time.Date(2025, 8, 1, 0, 0, 0, 0, hnl)
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			queue, by string
			loc       *time.Location
			from, to  time.Time
			want      map[int]uint64
		}{
			{"cph", cdr.ByHourOfDay, cph, cFrom, cTo, map[int]uint64{23: 1, 2: 2}},
			{"cph", cdr.ByWeekday, cph, cFrom, cTo, map[int]uint64{6: 1, 7: 2}},
			{"hnl", cdr.ByHourOfDay, hnl, hFrom, hTo, map[int]uint64{23: 1}},
			{"hnl", cdr.ByWeekday, hnl, hFrom, hTo, map[int]uint64{5: 1}},
		} {
			if got := slots(c.queue, c.by, c.loc, c.from, c.to); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: %s by %s: got %v; want %v", when, c.queue, c.by, got, c.want)
			}
		}
	}
	check("before the rebuild")
	r := aggregate.NewRoller(aggregate.Config{RollupChunk: 1000}, slog.New(slog.DiscardHandler), aggregate.FixedSettings(settings), s, s, s)
	if _, err := r.RollupRange(ctx, s, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	check("after the rebuild")
}
