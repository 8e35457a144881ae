package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/store"
)

// The queue settings have one truth for every process and node: the
// versions that `acdstat settings apply FILE` writes to ClickHouse
// (store.ApplySettings). The file remains the way people edit them;
// serve, rollup, rebuild, ingest, report and the read API all count and
// report with the current version, read through a Current, so that no two
// processes count with different settings. ACDSTAT_QUEUES (or a command's
// --queues) names a file that a command applies first, where it is not the
// current version already (ApplyQueueFile): the way of one machine.

// SettingsStore keeps the applied versions of the queue settings
// (store.Store).
type SettingsStore interface {
	// CurrentSettingsVersion returns the current version alone: one small
	// read, made at the start of every job run.
	CurrentSettingsVersion(ctx context.Context) (string, error)
	// CurrentSettings returns the current version with its text.
	CurrentSettings(ctx context.Context) (store.SettingsVersion, error)
}

// Current follows the current version of the queue settings in the store.
// Settings reads the store's current version on every call and parses a
// version only when it changes, then swaps it in atomically; Last gives the
// version read last without I/O, for hot paths (the intake handler's zone
// of each request); Follow keeps Last fresh every few seconds. A Current
// is safe for concurrent use; the settings it returns are shared and must
// not be modified.
type Current struct {
	st  SettingsStore
	log *slog.Logger
	// mu makes one read of a new version at a time, so that two callers
	// never parse the same version twice nor swap in an older one.
	mu  sync.Mutex
	cur atomic.Pointer[cdr.Settings]
	// copyPath, when set, receives the text of every version read
	// (KeepCopy).
	copyPath string
}

// NewCurrent returns a Current over st. Until its first successful read,
// Last gives the built-in defaults of every queue (and no version), or
// what Assume gave it.
func NewCurrent(st SettingsStore, log *slog.Logger) *Current {
	c := &Current{st: st, log: log}
	c.cur.Store(&cdr.Settings{})
	return c
}

// Settings returns the current queue settings. It fails when the store
// cannot be read, or when the current version cannot be parsed (a text
// applied by a newer acdstat, say): a job then fails its run rather than
// count with the settings it had before, and Last keeps them.
func (c *Current) Settings(ctx context.Context) (*cdr.Settings, error) {
	v, err := c.st.CurrentSettingsVersion(ctx)
	if err != nil {
		return nil, err
	}
	if s := c.cur.Load(); s.Version == v {
		return s, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.cur.Load(); s.Version == v {
		return s, nil // another caller read it meanwhile
	}
	// The text is read under the lock, so versions are swapped in the order
	// they were read, never an older one over a newer.
	sv, err := c.st.CurrentSettings(ctx)
	if err != nil {
		return nil, err
	}
	s, err := ParseQueues([]byte(sv.YAML), "settings version "+sv.Version)
	if err != nil {
		return nil, fmt.Errorf("cannot use the current settings version %s (applied %s by %s): %w", sv.Version, sv.AppliedAt.Format(time.RFC3339), sv.AppliedBy, err)
	}
	s.Version = sv.Version
	c.writeCopy(sv)
	old := c.cur.Swap(s)
	if old.Version == "" {
		c.log.Info("queue settings", "version", s.Version, "applied_at", sv.AppliedAt, "applied_by", sv.AppliedBy, "queues", len(s.Queues))
	} else {
		c.log.Info("queue settings changed", "version", s.Version, "was", old.Version, "applied_at", sv.AppliedAt, "applied_by", sv.AppliedBy, "queues", len(s.Queues))
	}
	return s, nil
}

// KeepCopy makes c write the text of every version it reads from the store
// to the file at path (replaced whole), so that serve, restarted while
// ClickHouse does not answer, takes the zones of the switches from the
// version it read last (ReadCopy, Assume) rather than from
// ACDSTAT_SWITCH_TIMEZONE alone. Call it before the first Settings. A copy
// that cannot be written is logged, never an error of Settings.
func (c *Current) KeepCopy(path string) { c.copyPath = path }

// writeCopy writes sv's text where KeepCopy said, through a temporary file
// and a rename, so that a copy is never half written.
func (c *Current) writeCopy(sv store.SettingsVersion) {
	if c.copyPath == "" {
		return
	}
	tmp := c.copyPath + ".tmp"
	err := os.MkdirAll(filepath.Dir(c.copyPath), 0o755)
	if err == nil {
		err = os.WriteFile(tmp, []byte(sv.YAML), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, c.copyPath)
	}
	if err != nil {
		c.log.Warn("cannot keep a copy of the queue settings; a restart while ClickHouse is down reads local times in ACDSTAT_SWITCH_TIMEZONE", "path", c.copyPath, "err", err)
	}
}

// ReadCopy returns the settings of the copy KeepCopy wrote at path, with
// their version, or nil when there is none.
func ReadCopy(path string) (*cdr.Settings, error) {
	text, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the copy of the queue settings: %w", err)
	}
	s, err := ParseQueues(text, path)
	if err != nil {
		return nil, err
	}
	s.Version = cdr.SettingsVersionOf(text)
	return s, nil
}

// Assume makes Last give s until Settings reads a version from the store
// (nil: no change): the settings serve starts intake with while ClickHouse
// does not answer. It must be called before the first Settings.
func (c *Current) Assume(s *cdr.Settings) {
	if s != nil {
		c.cur.Store(s)
	}
}

// Last returns the settings read last, without I/O.
func (c *Current) Last() *cdr.Settings { return c.cur.Load() }

// SwitchZone is cdr.Settings.SwitchZone of the settings read last, for the
// intake handler, which must not wait for the store on every request.
func (c *Current) SwitchZone(name string, fallback *time.Location) *time.Location {
	return c.Last().SwitchZone(name, fallback)
}

// Follow reads the current version every interval until ctx ends, so that
// Last follows a newly applied version within that time (the jobs read it
// at the start of every run anyway). A failed read is logged once, until
// a read succeeds again. It returns nil when ctx ends.
func (c *Current) Follow(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := ""
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		_, err := c.Settings(ctx)
		switch {
		case err != nil && ctx.Err() == nil && err.Error() != failing:
			failing = err.Error()
			c.log.Warn("cannot follow the queue settings; intake keeps the zones of the last version read", "version", c.Last().Version, "err", err)
		case err == nil:
			failing = ""
		}
	}
}

// SettingsApplier applies queue settings (store.Store).
type SettingsApplier interface {
	ApplySettings(ctx context.Context, text []byte, by string, at time.Time) (applied, previous store.SettingsVersion, err error)
}

// ApplyQueueFile reads and validates the queue file at path, as check-config
// does, and makes it the current version (store.ApplySettings), unless it
// is already. by says who applies it; at is the applying clock. It returns
// the version applied and the one it replaced, the same where nothing
// changed; nothing is written for a file that is not valid.
func ApplyQueueFile(ctx context.Context, st SettingsApplier, path, by string, at time.Time) (applied, previous store.SettingsVersion, err error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return applied, previous, fmt.Errorf("cannot read queue file: %w", err)
	}
	if _, err := ParseQueues(text, path); err != nil {
		return applied, previous, err
	}
	return st.ApplySettings(ctx, text, by, at)
}
