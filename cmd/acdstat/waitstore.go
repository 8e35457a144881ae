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

// connectStore is connectOnce retried with backoff until it succeeds or
// ctx ends: serve started during an outage takes intake into its spool
// meanwhile, and its jobs start once this returned true. It returns false
// when ctx ended first, and an error where ClickHouse refused the user or
// password (store.ErrAccessDenied): that is a setting to mend, and serve
// stops saying so.
func connectStore(ctx context.Context, cfg config.Config, st *store.Store, queues *config.Current, log *slog.Logger, now func() time.Time) (bool, error) {
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := connectOnce(ctx, cfg, st, queues, log, now)
		if errors.Is(err, store.ErrAccessDenied) {
			return false, err
		}
		if err == nil {
			log.Info("clickhouse answers: the spool drains and the jobs start", "attempts", attempt)
			return true, nil
		}
		if ctx.Err() != nil {
			return false, nil
		}
		log.Warn("cannot connect to clickhouse and migrate; intake goes on into the spool, the jobs wait", "attempt", attempt, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, nil
		case <-t.C:
		}
		backoff = min(2*backoff, storeBackoff)
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
	if err := migrate(ctx, st, log); err != nil {
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
// wait until connectStore migrated the schema (migrated is closed), so that
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
