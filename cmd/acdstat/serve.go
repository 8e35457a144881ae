package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/drain"
	"github.com/acdstat/acdstat/httpapi"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/store"
)

func cmdServe(ctx context.Context, p process, args []string) error {
	s, err := newSettings("serve", p)
	if err != nil {
		return err
	}
	s.fs.StringVar(&s.cfg.HTTPAddr, "http", s.cfg.HTTPAddr, "HTTP listen address (ACDSTAT_HTTP_ADDR)")
	s.queuesFlag()
	if err := s.parse(args); err != nil {
		return err
	}
	log := newLogger(s.cfg, p.stderr)
	return serve(ctx, s.cfg, log, s.now)
}

// serve runs everything; now is the clock of everything that depends on
// the date (time.Now outside tests).
//
// The start order keeps intake independent of ClickHouse: the store is
// made without the network (store.New), and serve connects (creating the
// database), migrates and applies the queue file of ACDSTAT_QUEUES in the
// background (connect). Where ClickHouse answers at once, serve comes up
// with all of it done, as before. Where it does not, the spool, the HTTP
// and SIP listeners and the writer start all the same, intake
// acknowledges into the spool, and the attempts go on; only once one
// succeeds does the writer insert (so nothing lands in a table whose views
// do not exist yet) and do the jobs and the settings' follower start.
// /readyz says whether intake works; /metrics (acdstat_clickhouse_up)
// whether ClickHouse does.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) error {
	log.Info("starting acdstat", "version", version, "http", cfg.HTTPAddr)
	st, err := store.New(cfg.ClickHouse, log.With("component", "store"))
	if err != nil {
		return err
	}
	defer st.Close()
	st.KeepAgentEvents(cfg.Agents.On())

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The lags are measured on the wall clock, as the watermarks are
	// ClickHouse's insert times, whatever the clock of the jobs.
	reg.MustRegister(store.NewCollector(st, time.Now, aggregate.BuildJob, aggregate.RollupJob))
	// The queue settings come before intake: they name the zone of each
	// switch's local times (cdr.Settings.SwitchZone). Every job, the intake
	// handler and the read API follow the current version in the store;
	// until serve has read it, intake takes the zones of the settings it
	// starts with (startSettings).
	queues := config.NewCurrent(st, log.With("component", "settings"))
	queues.KeepCopy(filepath.Join(cfg.DataDir, settingsCopy))
	queues.Assume(startSettings(cfg, log))
	// Where ClickHouse answers at once, serve comes up connected and
	// migrated, as every command does; where it does not within
	// firstAttemptWait, intake starts all the same.
	cctx, stopConnecting := context.WithCancel(ctx)
	defer stopConnecting()
	conn := connect(cctx, cfg, st, queues, log, now)
	select {
	case <-conn.first:
	case <-time.After(firstAttemptWait):
	}
	if err := conn.refused(); err != nil {
		return err
	}
	writer, err := drain.Open(drain.Config{Dir: filepath.Join(cfg.DataDir, "spool"), Spool: cfg.Spool, DrainTimeout: cfg.DrainTimeout, Linger: cfg.WriterLinger},
		log.With("component", "spool"), reg, afterMigration{conn.migrated, st})
	if err != nil {
		return err
	}
	defer writer.Close()
	sp := writer.Spool()
	// Every listener acknowledges only what is fsynced in the spool; the
	// live state takes it from there (wall.sink).
	live, err := newWall(cfg, log, now, queues, st)
	if err != nil {
		return err
	}
	sink := live.sink(intake.NewSpoolSink(sp))
	ingest, err := intake.NewHandler(cfg.Intake, log.With("component", "intake"), reg, now, queues, sink)
	if err != nil {
		return err
	}
	readAPI, err := newReadAPI(cfg, log, now, queues, st)
	if err != nil {
		return err
	}
	// One gate guards every TCP listener: accept errors, connection
	// limits, and /readyz names a listener that stopped for good.
	gate, err := intake.NewGate(cfg.Intake.Limits, log.With("component", "listeners"), reg)
	if err != nil {
		return err
	}
	docs, err := newDocumentHandler(cfg, log, now, queues, st)
	if err != nil {
		return err
	}
	srv := httpapi.New(cfg.HTTPAddr, log.With("component", "http"), reg, func(context.Context) error { return errors.Join(sp.Ready(), gate.Ready()) }, ingest, readAPI,
		newAgentAPI(cfg, log, now, queues, st), live.api, docs)
	if err := secureHTTP(srv, cfg); err != nil {
		return err
	}
	// HTTP also serves readers from outside ACDSTAT_ALLOW_CIDRS (reports,
	// the dashboard): the allowlist is the ingest handlers'.
	srv.WrapListener(func(ln net.Listener) net.Listener { return gate.Listener("http", ln, nil) })
	if err := srv.Listen(); err != nil {
		return err
	}
	builder, err := newBuilder(cfg, log, reg, now, st, queues)
	if err != nil {
		return err
	}
	roller := newRoller(cfg, log, queues, st)
	systems := newSystemRoller(cfg, log, queues, st)
	agents, err := newAgentRoller(cfg, log, now, queues, st)
	if err != nil {
		return err
	}
	docJob, err := newDocumentSchedule(cfg, log, now, queues, st)
	if err != nil {
		return err
	}
	serveSIP, err := startSIP(cfg, log, reg, now, sink, gate)
	if err != nil {
		return err
	}
	jobs := []aggregate.Job{{
		Name: aggregate.BuildJob, Schedule: cfg.Jobs.BuildEvery,
		Run: func(ctx context.Context) error {
			// The SIP builder maps numbers to queues with the settings
			// read last (buildSources): read the current ones first.
			if _, err := queues.Settings(ctx); err != nil {
				return fmt.Errorf("cannot read the queue settings: %w", err)
			}
			stats, err := builder.Run(ctx)
			if err == nil && stats.Written > 0 {
				log.Debug("built calls", "calls", stats.Calls, "rows", stats.Written)
			}
			return err
		},
	}, {
		// Its own job, so a slow rollup never delays building calls; it
		// picks up what the build job wrote on its next run.
		Name: aggregate.RollupJob, Schedule: cfg.Jobs.RollupEvery,
		Run: func(ctx context.Context) error {
			stats, err := roller.Run(ctx)
			if err == nil && stats.Rows > 0 {
				log.Debug("rolled up", "buckets", stats.Buckets, "calls", stats.Calls, "rows", stats.Rows)
			}
			return err
		},
	}, funnelJob(cfg, log, queues, st), retentionJob(cfg, log, now, st), agentJob(agents, cfg, log), caseJob(cfg, log, queues, st),
		systemsJob(systems, cfg, log), docJob}
	if cfg.Jobs.ReconcileEvery != "" {
		jobs = append(jobs, reconcileJob(cfg, log, now, roller, st))
	}
	sched, err := aggregate.NewScheduler(ctx, log.With("component", "jobs"), jobs...)
	if err != nil {
		return err
	}
	log.Info("listening", "http", srv.Addr())
	var prof *pprofServer
	if cfg.PprofAddr != "" {
		if prof, err = listenPprof(cfg.PprofAddr, log.With("component", "pprof")); err != nil {
			return err
		}
	}
	// Both stop when ctx is cancelled: the HTTP server first refuses new
	// requests and finishes the ones in flight, the scheduler waits for a
	// running job; the store is closed last by the deferred Close.
	g, gctx := errgroup.WithContext(ctx)
	if prof != nil {
		g.Go(func() error { return prof.Serve(gctx) })
	}
	// The writer drains the spool once every intake (HTTP, and SIP with its
	// final flush) has stopped appending to it.
	intakeStopped := make(chan struct{})
	var intakes sync.WaitGroup
	intakes.Add(2)
	go func() { intakes.Wait(); close(intakeStopped) }()
	g.Go(func() error { defer intakes.Done(); return srv.Serve(gctx) })
	g.Go(func() error { defer intakes.Done(); return serveSIP(gctx) })
	g.Go(func() error { return writer.Run(intakeStopped) })
	g.Go(func() error {
		select {
		case <-conn.ended:
		case <-gctx.Done():
			return nil
		}
		select {
		case <-conn.migrated:
		default:
			return conn.err // nil: stopped before ClickHouse answered
		}
		jobs, jctx := errgroup.WithContext(gctx)
		jobs.Go(func() error { return sched.Serve(jctx) })
		jobs.Go(func() error { return queues.Follow(jctx, followSettingsEvery) })
		jobs.Go(func() error { return live.follower.Serve(jctx) })
		jobs.Go(func() error { live.feed(jctx); return nil })
		return jobs.Wait()
	})
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}

// followSettingsEvery is how often serve reads the current version of the
// queue settings for the intake handler's zones; the jobs read it at the
// start of every run, the read API on every request.
const followSettingsEvery = 5 * time.Second

// openStore connects and migrates: every command that writes starts here
// (serve connects in the background: connect).
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.ClickHouse, log.With("component", "store"))
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	// Agent lines are kept by agent only while agent figures are on.
	st.KeepAgentEvents(cfg.Agents.On())
	return st, nil
}

// migrate applies the migrations st lacks (Migrate logs each, once).
func migrate(ctx context.Context, st *store.Store) error {
	if _, err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("cannot migrate: %w", err)
	}
	return nil
}

// storeSink writes events straight to ClickHouse, for `acdstat ingest`,
// which reads files and so needs no spool: a file is simply read again.
type storeSink struct {
	st  *store.Store
	now func() time.Time
}

func (s storeSink) Accept(ctx context.Context, events []cdr.Event, rejects []cdr.Reject) error {
	// A backfill (ingest --allow-old) may span more months than current
	// ClickHouse takes in one INSERT, as the writer's batches may.
	for _, evs := range drain.ByMonths(events, drain.DefaultMaxMonths) {
		if err := s.st.InsertEvents(ctx, evs); err != nil {
			return err
		}
	}
	if len(rejects) == 0 {
		return nil
	}
	rs := slices.Clone(rejects)
	now := s.now()
	for i := range rs {
		if rs[i].ReceivedAt.IsZero() {
			rs[i].ReceivedAt = now
		}
	}
	return s.st.InsertRejects(ctx, "", rs)
}

func cmdMigrate(ctx context.Context, p process, args []string) error {
	s, err := newSettings("migrate", p)
	if err != nil {
		return err
	}
	if err := s.parse(args); err != nil {
		return err
	}
	log := newLogger(s.cfg, p.stderr)
	st, err := openStore(ctx, s.cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(p.stdout, "schema of %s is up to date (ClickHouse %s)\n", s.cfg.ClickHouse.Database, st.ServerVersion())
	return nil
}
