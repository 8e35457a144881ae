package store

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
)

// Support says, in acdstat's words, what acdstat knows of a ClickHouse
// server version (version(), e.g. "18.16.1" or "25.8.3.66"), and whether it
// is one acdstat supports (shared/CLICKHOUSE.md): Debian bookworm's 18.16,
// which every test runs on, and the current LTS line (25.x and later), which
// production runs and the SQL is kept to. A release between the two is not
// refused (nothing that works is), only not tested.
func Support(version string) (supported bool, note string) {
	major, minor, ok := majorMinor(version)
	switch {
	case ok && major == 18 && minor == 16:
		return true, "supported: 18.16 is what acdstat is tested on (Debian bookworm's); the 25.x LTS line is what it aims at"
	case ok && major >= 25:
		return true, "supported: the 25.x LTS line and later are what acdstat aims at (its tests run on 18.16, and its SQL is kept to what both run)"
	case ok && (major < 18 || major == 18 && minor < 16):
		return false, "not supported: older than 18.16, the oldest release acdstat is tested on; expect queries to fail"
	}
	return false, "not tested: acdstat is tested on 18.16 and aims at the 25.x LTS line; its SQL is kept to what both run, so this release probably works"
}

// majorMinor reads the first two numbers of a version string.
func majorMinor(version string) (major, minor int, ok bool) {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// logVersion says once, when a store is opened, which ClickHouse answers
// and what acdstat supports of it: at info level when supported, as a
// warning when not.
func logVersion(log *slog.Logger, version string, cfg Config) {
	level := slog.LevelInfo
	supported, note := Support(version)
	if !supported {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "clickhouse connected",
		"version", version, "support", note, "database", cfg.Database, "addr", strings.Join(cfg.Addr, ","))
}

// driverVersionWarning is the message with which clickhouse-go warns about
// every server below its own minimum (25.8 in v2.51), once per connection
// pool, so twice per Open. acdstat says what it supports itself (logVersion):
// the driver's minimum is about the driver's features, not the SQL acdstat
// sends, which CLICKHOUSE.md measured on 18.16.
const driverVersionWarning = "unsupported clickhouse version"

// quietDriver is the handler of the driver's logger: the store's, without
// the driver's version warning, and with what the driver logs of a query
// that its context cancelled (when serve stops mid-job, "query processing
// failed … context canceled" at level ERROR) at level DEBUG: the caller
// gets that error and knows it is none.
type quietDriver struct{ slog.Handler }

func (h quietDriver) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == driverVersionWarning {
		return nil
	}
	if r.Level > slog.LevelDebug && cancelled(r) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

// cancelled reports whether a record's error is a cancelled context.
func cancelled(r slog.Record) (yes bool) {
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && errors.Is(err, context.Canceled) {
			yes = true
		}
		return !yes
	})
	return yes
}

func (h quietDriver) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietDriver{h.Handler.WithAttrs(attrs)}
}

func (h quietDriver) WithGroup(name string) slog.Handler {
	return quietDriver{h.Handler.WithGroup(name)}
}
