package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/store"
)

// storeBackoff is the longest pause between attempts to reach ClickHouse
// at start.
const storeBackoff = 5 * time.Second

// settingsCopy is the file in ACDSTAT_DATA_DIR where serve keeps the text
// of the queue settings it read last (config.Current.KeepCopy).
const settingsCopy = "queue-settings.yaml"

// firstAttemptWait is how long serve waits for its first attempt at
// ClickHouse before it starts intake all the same.
const firstAttemptWait = 5 * time.Second

// connection is serve's way to ClickHouse, made in the background by
// connect: connectOnce, retried with backoff until it succeeds.
type connection struct {
	// first is closed once the first attempt ended, either way.
	first chan struct{}
	// migrated is closed once an attempt succeeded: the schema is
	// migrated and the queue settings read. It gates the writer
	// (afterMigration) and the jobs.
	migrated chan struct{}
	// ended is closed when connecting stopped: it succeeded, ClickHouse
	// refused the login (err), or ctx ended.
	ended chan struct{}
	// err is the refusal of the login (store.ErrAccessDenied), to read
	// once ended is closed: a setting to mend, which no waiting mends, so
	// serve stops saying so.
	err error
}

// connect starts connecting st in the background until it succeeds, ctx
// ends or ClickHouse refuses the login: a serve started during an outage
// takes intake into its spool meanwhile.
func connect(ctx context.Context, cfg config.Config, st *store.Store, queues *config.Current, log *slog.Logger, now func() time.Time) *connection {
	c := &connection{first: make(chan struct{}), migrated: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(c.ended)
		backoff := 500 * time.Millisecond
		for attempt := 1; ; attempt++ {
			err := connectOnce(ctx, cfg, st, queues, log, now)
			if attempt == 1 {
				close(c.first)
			}
			switch {
			case errors.Is(err, store.ErrAccessDenied):
				c.err = err
				return
			case err == nil:
				if attempt > 1 {
					log.Info("clickhouse answers: the spool drains and the jobs start", "attempts", attempt)
				}
				close(c.migrated)
				return
			case ctx.Err() != nil:
				return
			}
			log.Warn("cannot connect to clickhouse and migrate; intake goes on into the spool, the jobs wait", "attempt", attempt, "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, storeBackoff)
		}
	}()
	return c
}

// refused returns the refusal of the login where connecting ended so.
func (c *connection) refused() error {
	select {
	case <-c.ended:
		return c.err
	default:
		return nil
	}
}

// connectOnce connects st, migrates the schema and applies the queue file
// of ACDSTAT_QUEUES, then reads the current queue settings into queues.
func connectOnce(ctx context.Context, cfg config.Config, st *store.Store, queues *config.Current, log *slog.Logger, now func() time.Time) error {
	if err := st.Connect(ctx); err != nil {
		if errors.Is(err, store.ErrAccessDenied) {
			return fmt.Errorf("cannot connect to clickhouse (check ACDSTAT_CLICKHOUSE_USER and _PASSWORD): %w", err)
		}
		return err
	}
	if err := migrate(ctx, st); err != nil {
		return err
	}
	if err := applyQueues(ctx, cfg, st, log, now(), "serve", true); err != nil {
		return err
	}
	if _, err := queues.Settings(ctx); err != nil {
		return fmt.Errorf("cannot read the queue settings: %w", err)
	}
	return nil
}

// afterMigration is the writer's way to ClickHouse in serve: its inserts
// wait until connect migrated the schema (migrated is closed), so that
// no event lands in the events table before the views that log its touch
// exist (the build job would never see it), nor in a table a migration
// still changes. Waiting, an insert returns ctx's error when ctx ends first
// (the writer's drain deadline): the records stay in the spool.
type afterMigration struct {
	migrated <-chan struct{}
	st       *store.Store
}

func (a afterMigration) wait(ctx context.Context) error {
	select {
	case <-a.migrated:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a afterMigration) InsertEvents(ctx context.Context, events []cdr.Event) error {
	if err := a.wait(ctx); err != nil {
		return err
	}
	return a.st.InsertEvents(ctx, events)
}

func (a afterMigration) InsertRejects(ctx context.Context, source string, rejects []cdr.Reject) error {
	if err := a.wait(ctx); err != nil {
		return err
	}
	return a.st.InsertRejects(ctx, source, rejects)
}

func (a afterMigration) Refused(err error) string { return a.st.Refused(err) }

// startSettings are the queue settings serve starts intake with, before
// it has read the current version from ClickHouse: the queue file of
// ACDSTAT_QUEUES, which serve applies once ClickHouse answers; else the
// copy of the version this node read last (config.Current.KeepCopy); else
// none (nil: every switch in ACDSTAT_SWITCH_TIMEZONE until the store
// answers). Only the zones of the switches matter here: they turn local
// times into instants, and so into event ids, at intake.
func startSettings(cfg config.Config, log *slog.Logger) *cdr.Settings {
	if cfg.Queues != "" {
		s, err := config.LoadQueues(cfg.Queues)
		if err == nil {
			return s
		}
		log.Warn("cannot read ACDSTAT_QUEUES at start", "file", cfg.Queues, "err", err) // Validate read it just before
	}
	path := filepath.Join(cfg.DataDir, settingsCopy)
	s, err := config.ReadCopy(path)
	if err != nil {
		log.Warn("cannot read the copy of the queue settings; until ClickHouse answers, intake reads local times in ACDSTAT_SWITCH_TIMEZONE", "path", path, "err", err)
		return nil
	}
	return s
}
