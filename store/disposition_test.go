package store

import (
	"context"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestDispositionColumns: the dispositions migration runs again without
// error on a schema that has it (as after a cut run; 18.16 has no ADD
// COLUMN IF NOT EXISTS), and a queue call's disposition is written, shown
// by queue_calls_current and read back by the rollup's query.
func TestDispositionColumns(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var disp []migration
	for _, m := range ms {
		if m.name == "0004_dispositions.sql" {
			m.version = 9999 // not recorded as applied, so it runs again
			disp = append(disp, m)
		}
	}
	if len(disp) != 1 {
		t.Fatalf("no 0004_dispositions.sql among %d migrations", len(ms))
	}
	if _, err := s.migrate(ctx, disp); err != nil {
		t.Fatalf("running the dispositions migration again: %v", err)
	}

	enter := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	c := cdr.QueueCall{Switch: "pbx1", CallID: "1.1", Queue: "q1", Outcome: cdr.Answered,
		EnterTime: enter, AnswerTime: enter.Add(10 * time.Second), EndTime: enter.Add(70 * time.Second), LastEventTime: enter.Add(70 * time.Second),
		WaitS: 10, TalkS: 60, Disposition: true, Resolved: true, DispositionCode: "PWRESET"}
	plain := c
	plain.CallID, plain.Disposition, plain.Resolved, plain.DispositionCode = "1.2", false, false, ""
	if err := s.WriteCalls(ctx, []cdr.StoredCall{{QueueCall: c, Version: 1}, {QueueCall: plain, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	var d, r uint8
	var code string
	if err := s.conn.QueryRow(ctx, "SELECT disposition, resolved, disposition_code FROM queue_calls_current WHERE call_id = ?", "1.1").Scan(&d, &r, &code); err != nil {
		t.Fatal(err)
	}
	if d != 1 || r != 1 || code != "PWRESET" {
		t.Errorf("queue_calls_current: %d %d %q; want 1 1 PWRESET", d, r, code)
	}
	got, err := s.CallsInBuckets(ctx, []cdr.BucketRef{{Switch: "pbx1", Queue: "q1", Start: enter}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range got {
		if g.CallID == "1.1" && g.Disposition && g.Resolved {
			n++
		}
		if g.CallID == "1.2" && (g.Disposition || g.Resolved) {
			t.Errorf("call 1.2 read back with a disposition: %+v", g)
		}
	}
	if len(got) != 2 || n != 1 {
		t.Errorf("CallsInBuckets = %+v; want both calls, 1.1 with its resolved disposition", got)
	}
}
