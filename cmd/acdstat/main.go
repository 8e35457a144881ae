// Command acdstat turns what a phone switch says about its calls into the
// figures a service desk is judged by. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/acdstat/acdstat/config"
)

// version is set by the Makefile through -ldflags.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, process{environ: os.Environ(), stdout: os.Stdout, stderr: os.Stderr, now: time.Now}, os.Args[1:])
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	var ec exitCode
	if errors.As(err, &ec) {
		os.Exit(int(ec))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "acdstat:", err)
		os.Exit(1)
	}
}

// exitCode ends the process with a status, its message already printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// process is what a command gets from the process that runs it: the
// environment, the output streams and the clock. The clock is "today" for
// everything that depends on the date (retention, default report ranges,
// the stale timeout, the future limit of event times, the dashboard's
// today); tests set it, so no test depends on the day it runs.
type process struct {
	environ        []string
	stdout, stderr io.Writer
	now            func() time.Time
}

func run(ctx context.Context, p process, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(p.stderr, usage())
		return exitCode(2)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, p, rest)
	case "migrate":
		return cmdMigrate(ctx, p, rest)
	case "ingest":
		return cmdIngest(ctx, p, rest)
	case "ship":
		return cmdShip(ctx, p, rest)
	case "rollup":
		return cmdRollup(ctx, p, rest)
	case "rebuild":
		return cmdRebuild(ctx, p, rest)
	case "simulate":
		return cmdSimulate(ctx, p, rest)
	case "report":
		return cmdReport(ctx, p, rest)
	case "settings":
		return cmdSettings(ctx, p, rest)
	case "check-config":
		return cmdCheckConfig(ctx, p, rest)
	case "version", "--version", "-version", "-v":
		fmt.Fprintln(p.stdout, "acdstat", version)
		return nil
	case "help", "-h", "--help":
		return cmdHelp(ctx, p, rest)
	}
	return unknownCommand(p.stderr, cmd)
}

// settings holds the flags every server-facing command shares; each
// overrides its ACDSTAT_* variable when given. The environment is read
// once, here; the store and the queue settings once, by open (or by
// serve, which waits for ClickHouse).
type settings struct {
	cfg config.Config
	fs  *flag.FlagSet
	now func() time.Time
}

func newSettings(name string, p process) (*settings, error) {
	cfg, err := config.Load(p.environ)
	if err != nil {
		return nil, err
	}
	// A command a person types prints its result, not log lines before
	// it: below serve and migrate, the log level is warn unless
	// ACDSTAT_LOG_LEVEL or --log-level says otherwise.
	if name != "serve" && name != "migrate" && envOf(p.environ, "ACDSTAT_LOG_LEVEL") == "" {
		cfg.LogLevel = "warn"
	}
	s := &settings{cfg: cfg, fs: flag.NewFlagSet("acdstat "+name, flag.ContinueOnError), now: p.now}
	s.fs.SetOutput(p.stderr)
	setUsage(s.fs, name)
	s.fs.Func("clickhouse", "ClickHouse native address(es), comma-separated (ACDSTAT_CLICKHOUSE_ADDR)", func(v string) error {
		s.cfg.ClickHouse.Addr = strings.Split(v, ",")
		return nil
	})
	s.fs.StringVar(&s.cfg.ClickHouse.Database, "database", cfg.ClickHouse.Database, "ClickHouse database (ACDSTAT_CLICKHOUSE_DATABASE)")
	s.fs.StringVar(&s.cfg.LogFormat, "log-format", cfg.LogFormat, "text or json (ACDSTAT_LOG_FORMAT)")
	s.fs.StringVar(&s.cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (ACDSTAT_LOG_LEVEL)")
	return s, nil
}

// parse reads the flags and validates the whole settings tree.
func (s *settings) parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	return s.validate()
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
