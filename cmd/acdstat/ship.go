package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/intake"
)

// cmdShip follows a queue_log file and posts it to a server. It needs no
// ClickHouse settings: it runs on the switch.
func cmdShip(ctx context.Context, p process, args []string) error {
	fs := flag.NewFlagSet("acdstat ship", flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	setUsage(fs, "ship")
	var cfg intake.ShipConfig
	fs.StringVar(&cfg.Path, "queue-log", "/var/log/asterisk/queue_log", "the queue_log file to follow")
	fs.StringVar(&cfg.URL, "to", "", "the acdstat server, e.g. https://acdstat.example:8080")
	fs.StringVar(&cfg.Switch, "switch", cdr.DefaultSwitch, "the name of this switch")
	fs.StringVar(&cfg.Token, "token", envOf(p.environ, "ACDSTAT_INGEST_TOKEN"), "the ingest token (ACDSTAT_INGEST_TOKEN)")
	tokenFile := fs.String("token-file", "", "read the ingest token from this file")
	fs.StringVar(&cfg.StateFile, "state", "", "where the acknowledged offset is kept (default: the queue_log path + .acdstat-offset)")
	fs.IntVar(&cfg.MaxLines, "batch-lines", 5000, "post at most this many lines at once")
	fs.DurationVar(&cfg.MaxWait, "batch-wait", 0, "post a batch at the latest this long after its first line (default 1s)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.URL == "" {
		fmt.Fprintln(p.stderr, "ship: --to is required")
		fs.Usage()
		return exitCode(2)
	}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("cannot read --token-file: %w", err)
		}
		cfg.Token = strings.TrimRight(string(b), "\r\n")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(p.stderr, &slog.HandlerOptions{Level: lvl}))
	catchUp := &catchingUp{w: p.stderr, path: cfg.Path}
	cfg.Progress = catchUp.update
	sh, err := intake.NewShipper(cfg, log)
	if err != nil {
		return err
	}
	log.Info("shipping", "queue_log", cfg.Path, "to", cfg.URL, "switch", cfg.Switch)
	err = sh.Run(ctx)
	catchUp.stop()
	if errors.Is(err, intake.ErrShipRefused) {
		return fmt.Errorf("stopped: %w", err)
	}
	return err
}

func envOf(environ []string, key string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// catchUpBytes is how far behind the end of the file ship must be for its
// status line to show: following a live file, it never shows.
const catchUpBytes = 1 << 20

// catchingUp shows, on a terminal, the progress of ship while it is more
// than catchUpBytes behind the end of its file (a large file shipped for
// the first time, or after the server was away), and ends the line once it
// has caught up.
type catchingUp struct {
	w     io.Writer
	path  string
	p     *progress
	from  int64 // acked when the line started
	lines int64
}

// update is the shipper's Progress; it runs on the shipper's goroutine.
func (c *catchingUp) update(acked, size int64, lines int) {
	if c.p == nil {
		if size-acked <= catchUpBytes {
			return
		}
		c.p = startProgress(c.w, "catching up "+c.path, size-acked, true, "line")
		if c.p == nil {
			return
		}
		c.from, c.lines = acked, 0
	}
	c.lines += int64(lines)
	c.p.Set(acked-c.from, size-c.from, c.lines)
	if acked >= size {
		c.stop()
	}
}

// stop ends the status line, if one is shown.
func (c *catchingUp) stop() {
	c.p.Stop()
	c.p = nil
}
