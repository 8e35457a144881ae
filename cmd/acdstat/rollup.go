package main

import (
	"context"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/store"
)

// cmdRollup runs the build and rollup jobs once, now.
func cmdRollup(ctx context.Context, p process, args []string) error {
	s, err := newSettings("rollup", p)
	if err != nil {
		return err
	}
	s.fs.StringVar(&s.cfg.Queues, "queues", s.cfg.Queues, "the queue settings file (ACDSTAT_QUEUES)")
	if err := s.parse(args); err != nil {
		return err
	}
	log := newLogger(s.cfg, p.stderr)
	settings, err := config.LoadQueues(s.cfg.Queues)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, s.cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	builder, err := newBuilder(s.cfg, log, prometheus.NewRegistry(), s.now, st, settings)
	if err != nil {
		return err
	}
	bs, err := builder.Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot build queue calls: %w", err)
	}
	fmt.Fprintf(p.stdout, "queue calls built for %d call ids (%d rows written)\n", bs.Calls, bs.Written)
	rs, err := newRoller(s.cfg, log, settings, st).Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot roll up: %w", err)
	}
	fmt.Fprintf(p.stdout, "rolled up %d buckets (%d queue calls, %d rows written)\n", rs.Buckets, rs.Calls, rs.Rows)
	fs, err := newFunneler(s.cfg, log, settings, st).Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot count the IVR funnel: %w", err)
	}
	fmt.Fprintf(p.stdout, "IVR funnel: %d calls to entry numbers (of %d call ids)\n", fs.Written, fs.Calls)
	return nil
}

// cmdRebuild recomputes queue calls and rollups of a range from the raw
// events.
func cmdRebuild(ctx context.Context, p process, args []string) error {
	s, err := newSettings("rebuild", p)
	if err != nil {
		return err
	}
	s.fs.StringVar(&s.cfg.Queues, "queues", s.cfg.Queues, "the queue settings file (ACDSTAT_QUEUES)")
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
	log := newLogger(s.cfg, p.stderr)
	settings, err := config.LoadQueues(s.cfg.Queues)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, s.cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := newBuilder(s.cfg, log, prometheus.NewRegistry(), s.now, st, settings)
	if err != nil {
		return err
	}
	bs, err := b.RebuildBetween(ctx, st, from, to)
	if err != nil {
		return fmt.Errorf("cannot rebuild queue calls: %w", err)
	}
	fmt.Fprintf(p.stdout, "queue calls rebuilt for %d call ids (%d rows written)\n", bs.Calls, bs.Written)
	r := newRoller(s.cfg, log, settings, st)
	rs, err := r.RollupRange(ctx, st, from, to)
	if err != nil {
		return fmt.Errorf("cannot roll up %s to %s: %w", *fromArg, *toArg, err)
	}
	fmt.Fprintf(p.stdout, "rolled up %d buckets (%d queue calls, %d rows written)\n", rs.Buckets, rs.Calls, rs.Rows)
	// Stays that the rebuild moved out of the range, and calls built since
	// the last run, are the incremental job's.
	if _, err := r.Run(ctx); err != nil {
		return fmt.Errorf("cannot roll up changed buckets: %w", err)
	}
	return nil
}

func newRoller(cfg config.Config, log *slog.Logger, settings *cdr.Settings, st *store.Store) *aggregate.Roller {
	return aggregate.NewRoller(cfg.Jobs, log.With("component", "rollup"), settings, st, st, st)
}
