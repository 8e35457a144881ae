package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/store"
)

// storeBackoff is the longest pause between attempts to reach ClickHouse
// at start.
const storeBackoff = 5 * time.Second

// waitForStore is openStore retried with backoff until ClickHouse answers or
// ctx ends, so serve restarted during an outage comes up once ClickHouse
// does. (Intake does not listen before that: see docs/RELIABILITY.md.)
func waitForStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		st, err := openStore(ctx, cfg, log)
		if err == nil {
			return st, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		log.Warn("cannot reach clickhouse at start; retrying", "attempt", attempt, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		backoff = min(2*backoff, storeBackoff)
	}
}
