package store

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
)

// TestReconcileCountsABucketWhoseTouchWasLost: a queue call stored without
// its touch (the touches' view detached here; on a cluster, an insert into
// call_touches that failed after the row landed, or a node that died
// between the two) is never counted by the rollup job, which goes by the
// touches; the reconcile job's recount of its window counts it, and
// changes nothing that was right.
func TestReconcileCountsABucketWhoseTouchWasLost(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	r := aggregate.NewRoller(aggregate.Config{RollupChunk: 1000, ReconcileWindow: 48 * time.Hour}, slog.New(slog.DiscardHandler), aggregate.FixedSettings(nil), s, s, s)
	offered := func() map[time.Time]uint64 {
		t.Helper()
		rows, err := s.conn.Query(ctx, "SELECT bucket, sum(offered) FROM rollup_15m FINAL WHERE queue = 'support' GROUP BY bucket")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[time.Time]uint64{}
		for rows.Next() {
			var b time.Time
			var n uint64
			if err := rows.Scan(&b, &n); err != nil {
				t.Fatal(err)
			}
			out[b.UTC()] = n
		}
		return out
	}
	if err := s.WriteCalls(ctx, []cdr.StoredCall{call("pbx1", "kept", "support", 0, cdr.Abandoned, 1, t0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.conn.Exec(ctx, "DETACH TABLE call_touches_mv"); err != nil {
		t.Fatal(err)
	}
	lost := call("pbx1", "lost", "support", 0, cdr.Abandoned, 1, t0.Add(30*time.Minute))
	err := s.WriteCalls(ctx, []cdr.StoredCall{lost})
	if aerr := s.conn.Exec(ctx, "ATTACH TABLE call_touches_mv"); aerr != nil {
		t.Fatal(aerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := offered(); got[t0] != 1 || got[t0.Add(30*time.Minute)] != 0 {
		t.Fatalf("before the recount: offered by bucket %v; want 1 at %s and the lost call's bucket not counted (else the test shows nothing)", got, t0)
	}
	if _, err := r.Reconcile(ctx, s, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := offered(); got[t0] != 1 || got[t0.Add(30*time.Minute)] != 1 || len(got) != 2 {
		t.Errorf("after the recount: offered by bucket %v; want 1 at %s and 1 at %s", got, t0, t0.Add(30*time.Minute))
	}
}
