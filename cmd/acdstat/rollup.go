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

// cmdRollup runs the build and rollup jobs once, now, with the current
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
	fmt.Fprintf(p.stdout, "queue calls built for %d call ids (%d rows written)\n", bs.Calls, bs.Written)
	rs, err := newRoller(a.cfg, a.log, a.queues, a.st).Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot roll up: %w", err)
	}
	fmt.Fprintf(p.stdout, "rolled up %d buckets (%d queue calls, %d rows written)\n", rs.Buckets, rs.Calls, rs.Rows)
	fs, err := newFunneler(a.cfg, a.log, a.queues, a.st).Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot count the IVR funnel: %w", err)
	}
	fmt.Fprintf(p.stdout, "IVR funnel: %d calls to entry numbers (of %d call ids)\n", fs.Written, fs.Calls)
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
	bs, err := b.RebuildBetween(ctx, a.st, from, to)
	if err != nil {
		return fmt.Errorf("cannot rebuild queue calls: %w", err)
	}
	fmt.Fprintf(p.stdout, "queue calls rebuilt for %d call ids (%d rows written)\n", bs.Calls, bs.Written)
	r := newRoller(a.cfg, a.log, a.queues, a.st)
	rs, err := r.RollupRange(ctx, a.st, from, to)
	if err != nil {
		return fmt.Errorf("cannot roll up %s to %s: %w", *fromArg, *toArg, err)
	}
	fmt.Fprintf(p.stdout, "rolled up %d buckets (%d queue calls, %d rows written)\n", rs.Buckets, rs.Calls, rs.Rows)
	// Stays that the rebuild moved out of the range, and calls built since
	// the last run, are the incremental job's.
	if _, err := r.Run(ctx); err != nil {
		return fmt.Errorf("cannot roll up changed buckets: %w", err)
	}
	return rollupAgents(ctx, a, p.stdout, &[2]time.Time{from, to})
}

// newRoller is the rollup job, counting with the settings of settings at
// the start of each run (a config.Current in every command).
func newRoller(cfg config.Config, log *slog.Logger, settings aggregate.SettingsSource, st *store.Store) *aggregate.Roller {
	return aggregate.NewRoller(cfg.Jobs, log.With("component", "rollup"), settings, st, st, st)
}
