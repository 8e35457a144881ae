package store

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/chtest"
)

// TestRollupDayWaitsAfterUpgrade follows a database on which rollup_day
// (0016) was made and filled before its waits per outcome (0015): the
// migrator then applies 0015, the day rows written before it read their
// thresholds as unknown (unsplit_offered = offered), and a rollup that
// writes the day again makes them known, answered within 20 s counted
// from the day rows.
func TestRollupDayWaitsAfterUpgrade(t *testing.T) {
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
	var without []migration
	for _, m := range all {
		if m.version != 15 {
			without = append(without, m)
		}
	}
	if _, err := s.migrate(ctx, without); err != nil {
		t.Fatal(err)
	}
	// A day row as 0016's acdstat wrote it: 3 offered calls (in hours: the
	// queue has none, so it is always open), no waits per outcome.
	day := time.Date(2025, 10, 28, 0, 0, 0, 0, time.UTC)
	if err := s.conn.Exec(ctx, `INSERT INTO rollup_day (switch, queue, day_start, in_hours, month_start, quarter_start, year_start, tz,
version, first_bucket, last_bucket, buckets, offered, answered)
SELECT 'pbx', 'servicedesk', toDateTime('2025-10-28 00:00:00', 'UTC'), 1, toDateTime('2025-10-01 00:00:00', 'UTC'), toDateTime('2025-10-01 00:00:00', 'UTC'),
toDateTime('2025-01-01 00:00:00', 'UTC'), 'UTC', 1, toDateTime('2025-10-28 09:00:00', 'UTC'), toDateTime('2025-10-28 09:00:00', 'UTC'), 1, 3, 3`); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWatermark(ctx, DaysJob, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil || len(applied) != 1 {
		t.Fatalf("Migrate after 0016: applied %v, %v; want 0015", applied, err)
	}
	sums, err := s.PeriodRollups(ctx, cdr.AllSwitches, "servicedesk", cdr.PeriodMonth, day.AddDate(0, 0, -27), day.AddDate(0, 0, 4), false)
	if err != nil {
		t.Fatal(err)
	}
	oct := sums[time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)]
	if _, _, known := oct.Counts.Within(20); oct.Counts.Offered != 3 || known {
		t.Fatalf("a day row from before 0015: offered %d, thresholds known %v (unsplit %d); want 3, unknown", oct.Counts.Offered, known, oct.Counts.UnsplitOffered)
	}

	// The rollup writes the day again, with the waits per outcome.
	at := time.Date(2025, 10, 28, 9, 1, 0, 0, time.UTC)
	var calls []cdr.QueueCall
	for i, w := range []uint32{19, 20, 21} {
		calls = append(calls, cdr.QueueCall{Switch: "pbx", CallID: string(rune('a' + i)), Queue: "servicedesk", Outcome: cdr.Answered,
			EnterTime: at, AnswerTime: at.Add(time.Duration(w) * time.Second), EndTime: at.Add(time.Minute), WaitS: w})
	}
	q := cdr.DefaultQueueSettings("servicedesk")
	q.Location = time.UTC
	if err := s.WriteRollups(ctx, cdr.Rollup(calls, &cdr.Settings{Queues: map[string]cdr.QueueSettings{"servicedesk": q}}, nil), 2); err != nil {
		t.Fatal(err)
	}
	sums, err = s.PeriodRollups(ctx, cdr.AllSwitches, "servicedesk", cdr.PeriodMonth, day.AddDate(0, 0, -27), day.AddDate(0, 0, 4), false)
	if err != nil {
		t.Fatal(err)
	}
	oct = sums[time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)]
	if a, _, known := oct.Counts.Within(20); !known || a != 2 {
		t.Errorf("after the rollup: answered within 20 s %d, known %v (unsplit %d); want 2, known", a, known, oct.Counts.UnsplitOffered)
	}
}
