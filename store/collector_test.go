package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestCollectorAsksClickHouseAtScrape: acdstat_clickhouse_up says whether
// ClickHouse answers, and the lags of the jobs are now minus their
// watermarks, left out while a job has not run yet.
func TestCollectorAsksClickHouseAtScrape(t *testing.T) {
	s := newStore(t)
	now := time.Date(2025, 11, 3, 12, 0, 0, 0, time.UTC)
	c := NewCollector(s, func() time.Time { return now }, "build_calls", "rollup")
	const help = `# HELP acdstat_clickhouse_up 1 when ClickHouse answered a ping at this scrape, else 0.
# TYPE acdstat_clickhouse_up gauge
`
	want := help + "acdstat_clickhouse_up 1\n"
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Errorf("before any job ran: %v", err)
	}
	ctx := context.Background()
	if err := s.SetWatermark(ctx, "build_calls", now.Add(-90*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWatermark(ctx, "rollup", now.Add(-15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	want = `# HELP acdstat_build_lag_seconds Seconds between now and the build-calls job's watermark.
# TYPE acdstat_build_lag_seconds gauge
acdstat_build_lag_seconds 90
` + help + `acdstat_clickhouse_up 1
# HELP acdstat_rollup_lag_seconds Seconds between now and the rollup job's watermark.
# TYPE acdstat_rollup_lag_seconds gauge
acdstat_rollup_lag_seconds 900
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Errorf("after both jobs ran: %v", err)
	}
	s.Close()
	if err := testutil.CollectAndCompare(c, strings.NewReader(help+"acdstat_clickhouse_up 0\n")); err != nil {
		t.Errorf("without ClickHouse: %v", err)
	}
}
