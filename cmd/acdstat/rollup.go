package main

import (
	"context"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/store"
)

// cmdRollup runs the build, rollup, funnel, systems and agent jobs once, now, with the current
// queue settings (after applying --queues or ACDSTAT_QUEUES, loadQueues).
func cmdRollup(ctx context.Context, p process, args []string) error {
	s, err := newSettings("rollup", p)
	if err != nil {
		return err
	}
	s.queuesFlag()
	if err := s.parse(args); err != nil {
		return err
	}
	a, err := s.open(ctx, p, true)
	if err != nil {
		return err
	}
	defer a.Close()
	builder, err := newBuilder(a.cfg, a.log, prometheus.NewRegistry(), a.now, a.st, a.queues)
	if err != nil {
		return err
	}
	bs, err := builder.Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot build queue calls: %w", err)
	}
	fmt.Fprintf(p.stdout, "queue calls built for %s (%s written)\n", plural(bs.Calls, "call id", "call ids"), plural(bs.Written, "row", "rows"))
	rs, err := newRoller(a.cfg, a.log, a.queues, a.st).Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot roll up: %w", err)
	}
	fmt.Fprintln(p.stdout, rolledUp(rs))
	fs, err := newFunneler(a.cfg, a.log, a.queues, a.st).Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot count the IVR funnel: %w", err)
	}
	fmt.Fprintf(p.stdout, "IVR funnel: %s to entry numbers (of %s)\n", plural(fs.Written, "call", "calls"), plural(fs.Calls, "call id", "call ids"))
	if err := rollupSystems(ctx, a, p.stdout, nil); err != nil {
		return err
	}
	return rollupAgents(ctx, a, p.stdout, nil)
}

// cmdRebuild recomputes queue calls and rollups of a range from the raw
// events, with the current queue settings (after applying --queues or
// ACDSTAT_QUEUES, loadQueues): a running serve counts with the same ones.
func cmdRebuild(ctx context.Context, p process, args []string) error {
	s, err := newSettings("rebuild", p)
	if err != nil {
		return err
	}
	s.queuesFlag()
	fromArg := s.fs.String("from", "", "first local date or date-time to rebuild, included (2006-01-02 or 2006-01-02T15:04)")
	toArg := s.fs.String("to", "", "local date or date-time to rebuild up to, excluded")
	tz := s.fs.String("tz", "Europe/Copenhagen", "the zone of --from and --to")
	if err := s.parse(args); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("--tz: %w", err)
	}
	from, err := parseLocal(*fromArg, loc)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := parseLocal(*toArg, loc)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if !from.Before(to) {
		return fmt.Errorf("rebuild: --from %s is not before --to %s", *fromArg, *toArg)
	}
	if err := s.cfg.Retention.CheckRebuildRange(from, s.now()); err != nil {
		return err
	}
	a, err := s.open(ctx, p, true)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := newBuilder(a.cfg, a.log, prometheus.NewRegistry(), a.now, a.st, a.queues)
	if err != nil {
		return err
	}
	built := startProgress(p.stderr, "rebuilding queue calls", 0, false, "call")
	b.OnProgress(func(done, total int) { built.Set(int64(done), int64(total), int64(done)) })
	bs, err := b.RebuildBetween(ctx, a.st.ConsistentReads(), from, to)
	built.Stop()
	if err != nil {
		return fmt.Errorf("cannot rebuild queue calls: %w", err)
	}
	fmt.Fprintf(p.stdout, "queue calls rebuilt for %s (%s written)\n", plural(bs.Calls, "call id", "call ids"), plural(bs.Written, "row", "rows"))
	r := newRoller(a.cfg, a.log, a.queues, a.st)
	rolled := startProgress(p.stderr, "rolling up", 0, false, "bucket")
	r.OnProgress(func(done, total int) { rolled.Set(int64(done), int64(total), int64(done)) })
	rs, err := r.RollupRange(ctx, a.st.ConsistentReads(), from, to)
	rolled.Stop()
	r.OnProgress(nil)
	if err != nil {
		return fmt.Errorf("cannot roll up %s to %s: %w", *fromArg, *toArg, err)
	}
	fmt.Fprintln(p.stdout, rolledUp(rs))
	// Stays that the rebuild moved out of the range, and calls built since
	// the last run, are the incremental job's.
	if _, err := r.Run(ctx); err != nil {
		return fmt.Errorf("cannot roll up changed buckets: %w", err)
	}
	if err := rollupSystems(ctx, a, p.stdout, &[2]time.Time{from, to}); err != nil {
		return err
	}
	return rollupAgents(ctx, a, p.stdout, &[2]time.Time{from, to})
}

// rolledUp says what a rollup run did.
func rolledUp(rs aggregate.RollupStats) string {
	return fmt.Sprintf("rolled up %s (%s, %s written)", plural(rs.Buckets, "bucket", "buckets"),
		plural(rs.Calls, "queue call", "queue calls"), plural(rs.Rows, "row", "rows"))
}

// reconcileJob recounts the last ACDSTAT_RECONCILE_WINDOW of every queue
// from its queue calls (aggregate.Roller.Reconcile), on
// ACDSTAT_RECONCILE_SCHEDULE.
func reconcileJob(cfg config.Config, log *slog.Logger, now func() time.Time, roller *aggregate.Roller, st *store.Store) aggregate.Job {
	log = log.With("component", "reconcile")
	return aggregate.Job{
		Name: aggregate.ReconcileJob, Schedule: cfg.Jobs.ReconcileEvery,
		Run: func(ctx context.Context) error {
			stats, err := roller.Reconcile(ctx, st.ConsistentReads(), now())
			if err == nil {
				log.Info("recounted", "window", cfg.Jobs.ReconcileWindow, "buckets", stats.Buckets, "calls", stats.Calls, "rows", stats.Rows)
			}
			return err
		},
	}
}

// newRoller is the rollup job, counting with the settings of settings at
// the start of each run (a config.Current in every command).
func newRoller(cfg config.Config, log *slog.Logger, settings aggregate.SettingsSource, st *store.Store) *aggregate.Roller {
	jobs := st.ConsistentReads() // as newBuilder's
	return aggregate.NewRoller(cfg.Jobs, log.With("component", "rollup"), settings, jobs, jobs, jobs)
}
