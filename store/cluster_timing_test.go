package store

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/acdstat/acdstat/chtest"
)

// BenchmarkClusterInsertEvents measures InsertEvents in 50k-row batches on
// one server and on the test cluster (make test-cluster's; skipped without
// it), where every insert is synchronous through a Distributed table and
// waits for a quorum of 2 replicas per shard (clusterSettings), in rows per
// second: what cluster mode costs a writer. docs/SCALE.md has the figures.
func BenchmarkClusterInsertEvents(b *testing.B) {
	tc := chtest.Cluster(b)
	evs := benchEvents()
	for _, bc := range []struct {
		name string
		open func(b *testing.B) *Store
	}{
		{"single", func(b *testing.B) *Store { return newStore(b) }},
		{"cluster/2x2/quorum=2", func(b *testing.B) *Store { return openCluster(b, tc.NewDatabase(b), true, tc.Addrs...) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := bc.open(b)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				for i := 0; i < len(evs); i += benchBatch {
					if err := s.InsertEvents(ctx, evs[i:min(i+benchBatch, len(evs))]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkClusterJobReads measures the build job's first read, the calls
// touched in a window (40,000 calls of 200,000 events through the
// Distributed event_touches), and its watermark read (job_state, on every
// node), on the test cluster with each guard against a lagging replica:
// none (the readers' store), select_sequential_consistency (the jobs'
// store, ConsistentReads) and max_replica_delay_for_distributed_queries=30
// without fallback to stale replicas. docs/SCALE.md compares them.
func BenchmarkClusterJobReads(b *testing.B) {
	tc := chtest.Cluster(b)
	s := openCluster(b, tc.NewDatabase(b), true, tc.Addrs...)
	ctx := context.Background()
	evs := benchEvents()
	for i := 0; i < len(evs); i += benchBatch {
		if err := s.InsertEvents(ctx, evs[i:i+benchBatch]); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.SetWatermark(ctx, "build_calls", time.Now()); err != nil {
		b.Fatal(err)
	}
	now, err := s.ServerNow(ctx)
	if err != nil {
		b.Fatal(err)
	}
	delay := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
		"max_replica_delay_for_distributed_queries": 30, "fallback_to_stale_replicas_for_distributed_queries": 0}))
	for _, guard := range []struct {
		name string
		st   *Store
		ctx  context.Context
	}{
		{"none", s, ctx},
		{"sequential_consistency", s.ConsistentReads(), ctx},
		{"max_replica_delay", s, delay},
	} {
		b.Run("touched_calls/"+guard.name, func(b *testing.B) {
			for b.Loop() {
				refs, err := guard.st.TouchedCalls(guard.ctx, now.Add(-time.Hour), now.Add(time.Hour))
				if err != nil || len(refs) != len(evs)/5 {
					b.Fatalf("TouchedCalls: %d calls, %v; want %d", len(refs), err, len(evs)/5)
				}
			}
		})
		b.Run("watermark/"+guard.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := guard.st.Watermark(guard.ctx, "build_calls"); err != nil || !ok {
					b.Fatalf("Watermark: %v, %v", ok, err)
				}
			}
		})
	}
}
