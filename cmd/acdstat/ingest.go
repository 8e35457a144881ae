package main

import (
	"context"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"io"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/intake"
)

// ingestBatch is the number of events per ClickHouse insert: large, because
// every insert costs the server 20-25 ms of CPU (CLICKHOUSE.md).
const ingestBatch = 50000

func cmdIngest(ctx context.Context, p process, args []string) error {
	s, err := newSettings("ingest", p)
	if err != nil {
		return err
	}
	format := s.fs.String("format", cdr.SourceQueueLog, fmt.Sprintf("input format: %v", cdr.Formats()))
	sw := s.fs.String("switch", cdr.DefaultSwitch, "the switch these files come from")
	tz := s.fs.String("tz", "", "the zone of these files' local times, over the zone of --switch in the queue file and ACDSTAT_SWITCH_TIMEZONE (for a one-off file)")
	noBuild := s.fs.Bool("no-build", false, "only store the events; leave building queue calls to serve")
	mapFile := s.fs.String("map", "", "a CDR column mapping (YAML) for --format csv or json (docs/CDR_FORMAT.md)")
	allowOld := s.fs.Bool("allow-old", false, "take events older than the raw-event retention (a backfill of history); they are dropped at the next retention run unless ACDSTAT_RETENTION_EVENTS is 0 or reaches back to them")
	if err := s.parse(args); err != nil {
		return err
	}
	files := s.fs.Args()
	if len(files) == 0 {
		return fmt.Errorf("ingest: name at least one file (use - for standard input)")
	}
	// The switch rule of every intake path: the files' events must not be
	// stored under a name no server would take, such as "*" (all switches).
	if *sw, err = cdr.SwitchName(*sw); err != nil {
		return fmt.Errorf("ingest: --switch: %w", err)
	}
	decode, err := cdr.Decoder(*format)
	if err != nil {
		return err
	}
	// The same caller-number setting as serve, so both give the same ids.
	privacy, err := intake.NewPrivacy(s.cfg.Intake.CallerNumbers, s.cfg.Intake.CallerHashKey, s.cfg.Intake.CallerHashKeyFile)
	if err != nil {
		return err
	}
	decode = privacy.Wrap(decode)
	cdrMap, err := config.LoadCDRMap(*mapFile)
	if err != nil {
		return err
	}
	// The queue settings (after applying ACDSTAT_QUEUES, loadQueues) name
	// the zone of the switch's local times, as serve's do.
	a, err := s.open(ctx, p, true)
	if err != nil {
		return err
	}
	defer a.Close()
	log, st := a.log, a.st
	loc, err := ingestZone(a.queues.Last(), s.cfg.Intake, *sw, *tz)
	if err != nil {
		return err
	}

	var total intake.Result
	for _, name := range files {
		now := s.now()
		// Every intake path takes no time older than the retention keeps
		// (intake.Config.Oldest), but for a backfill.
		var oldest time.Time
		if !*allowOld && s.cfg.Intake.Oldest != nil {
			oldest = s.cfg.Intake.Oldest(now)
		}
		res, err := ingestFile(ctx, storeSink{st: st, now: s.now}, name, *format, decode, cdr.DecodeOptions{
			Switch: *sw, Location: loc, Now: now, Oldest: oldest, BatchSize: ingestBatch, MaxLineBytes: s.cfg.Intake.MaxLineBytes, Map: cdrMap,
		}, p.stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(p.stdout, "%s: %d events stored, %d duplicates, %d lines rejected\n", name, res.Accepted, res.Duplicates, len(res.Rejects))
		for i, rj := range res.Rejects {
			if i == 50 {
				fmt.Fprintf(p.stdout, "  … %d more rejected lines (all are stored with their reason)\n", len(res.Rejects)-i)
				break
			}
			fmt.Fprintf(p.stdout, "  rejected %s\n", rj.String())
		}
		total.Accepted += res.Accepted
		total.Rejects = append(total.Rejects, res.Rejects...)
	}
	if !*noBuild {
		b, err := newBuilder(s.cfg, log, prometheus.NewRegistry(), s.now, st, a.queues)
		if err != nil {
			return err
		}
		stats, err := b.Run(ctx)
		if err != nil {
			return fmt.Errorf("events are stored, but building queue calls failed (serve retries it): %w", err)
		}
		fmt.Fprintf(p.stdout, "queue calls built for %d call ids (%d rows written)\n", stats.Calls, stats.Written)
	}
	if len(total.Rejects) > 0 {
		return exitCode(3)
	}
	return nil
}

// ingestZone is the zone of local times in the files of switch sw: tz
// (--tz) where it is given, for a one-off file; else the zone serve gives
// that switch (cdr.Settings.SwitchZone, with ACDSTAT_SWITCH_TIMEZONE as the
// fallback), so that a file and the same lines sent to serve have the same
// instants and event ids.
func ingestZone(settings *cdr.Settings, cfg intake.Config, sw, tz string) (*time.Location, error) {
	if tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("--tz: %w", err)
		}
		return loc, nil
	}
	fallback, err := cfg.SwitchZone()
	if err != nil {
		return nil, err
	}
	return settings.SwitchZone(sw, fallback), nil
}

func ingestFile(ctx context.Context, sink storeSink, name, format string, decode cdr.DecodeFunc, opt cdr.DecodeOptions, stderr io.Writer) (intake.Result, error) {
	var r io.Reader = os.Stdin
	var size int64
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return intake.Result{}, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = f
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		cr := &countingReader{r: r}
		r = cr
		stop := progress(stderr, name, size, cr)
		defer stop()
	}
	return intake.Ingest(ctx, format, decode, r, opt, sink)
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progress draws a one-line progress bar on a terminal until stop is called.
func progress(w io.Writer, name string, size int64, cr *countingReader) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	draw := func() {
		n := cr.n.Load()
		rate := float64(n) / time.Since(start).Seconds() / (1 << 20)
		if size > 0 {
			pct := float64(n) / float64(size)
			bar := int(pct * 30)
			fmt.Fprintf(w, "\r%s [%-30s] %3.0f%% %.1f MiB/s ", name, string(repeat('#', bar)), pct*100, rate)
		} else {
			fmt.Fprintf(w, "\r%s %.1f MiB read, %.1f MiB/s ", name, float64(n)/(1<<20), rate)
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				draw()
				fmt.Fprintln(w)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(done); <-finished }
}

func repeat(c byte, n int) []byte {
	b := make([]byte, max(n, 0))
	for i := range b {
		b[i] = c
	}
	return b
}
