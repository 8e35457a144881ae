package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/store"
)

// retentionJob drops the partitions older than the retention settings, on
// their schedule (daily by default).
func retentionJob(cfg config.Config, log *slog.Logger, now func() time.Time, st *store.Store) aggregate.Job {
	p := aggregate.NewPruner(cfg.Retention, log.With("component", "retention"), now, st)
	return aggregate.Job{
		Name: aggregate.RetentionJob, Schedule: cfg.Retention.Schedule,
		Run: func(ctx context.Context) error {
			_, err := p.Run(ctx)
			return err
		},
	}
}
