package aggregate

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one scheduled piece of work.
type Job struct {
	Name     string
	Schedule string // a robfig/cron spec, e.g. "@every 5s"
	Run      func(ctx context.Context) error
}

// Scheduler is a thin adapter over robfig/cron: it runs each job on its
// schedule, never two runs of one job at once, and stops cleanly.
type Scheduler struct {
	log  *slog.Logger
	cron *cron.Cron
}

// ParseSchedule checks a job's schedule with the parser the scheduler uses
// (robfig/cron's standard one: five fields or a descriptor such as
// "@every 5s"), so that check-config refuses what serve would
// (config.Config.Validate).
func ParseSchedule(spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("%q is not a schedule (use five cron fields such as \"0 3 * * *\", or \"@every 5s\"): %w", spec, err)
	}
	return nil
}

// NewScheduler registers jobs. A bad schedule is an error naming the job.
// Runs get ctx, so cancelling it aborts the store calls of a running job.
func NewScheduler(ctx context.Context, log *slog.Logger, jobs ...Job) (*Scheduler, error) {
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	for _, j := range jobs {
		j := j
		jl := log.With("job", j.Name)
		_, err := c.AddFunc(j.Schedule, func() {
			start := time.Now()
			if err := j.Run(ctx); err != nil && ctx.Err() == nil {
				jl.Error("job failed", "err", err, "duration", time.Since(start))
			}
		})
		if err != nil {
			return nil, fmt.Errorf("cannot schedule job %s with %q: %w", j.Name, j.Schedule, err)
		}
	}
	return &Scheduler{log: log, cron: c}, nil
}

// Serve runs the jobs until ctx is cancelled, then waits for running jobs to
// finish and returns nil.
func (s *Scheduler) Serve(ctx context.Context) error {
	s.cron.Start()
	<-ctx.Done()
	s.log.Info("stopping jobs")
	<-s.cron.Stop().Done()
	return nil
}
