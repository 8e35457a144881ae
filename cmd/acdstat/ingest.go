package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	mapFile := s.fs.String("map", "", "a CDR column mapping (YAML) for --format csv or json (docs/CDR_FORMAT.md); for --format contacts or cases a map of their fields (YAML), or for cases a shipped tool map: servicenow, topdesk, jira or otrs")
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
	if !slices.Contains(cdr.Formats(), *format) {
		meant := ""
		if c := closest(*format, cdr.Formats()); c != "" {
			meant = fmt.Sprintf(" (did you mean %q?)", c)
		}
		return fmt.Errorf("ingest: unknown --format %q%s; formats: %s", *format, meant, strings.Join(cdr.Formats(), ", "))
	}
	if err := checkInputs(files, *format, *mapFile != ""); err != nil {
		return err
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
	var cdrMap *cdr.CDRMap
	switch *format {
	case cdr.FormatCases, cdr.FormatContacts:
		cdrMap, err = config.LoadRecordMap(*mapFile, *format)
	default:
		cdrMap, err = config.LoadCDRMap(*mapFile)
	}
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
		// Contacts and cases are not raw events: a case opened long ago is
		// updated today.
		var oldest time.Time
		if !*allowOld && s.cfg.Intake.Oldest != nil && *format != cdr.FormatContacts && *format != cdr.FormatCases {
			oldest = s.cfg.Intake.Oldest(now)
		}
		res, err := ingestFile(ctx, storeSink{st: st, now: s.now}, name, *format, decode, cdr.DecodeOptions{
			Switch: *sw, Location: loc, Now: now, Oldest: oldest, BatchSize: ingestBatch, MaxLineBytes: s.cfg.Intake.MaxLineBytes, Map: cdrMap,
		}, *mapFile != "", p.stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(p.stdout, "%s: %s stored, %s, %s rejected\n", name,
			plural(res.Accepted, "event", "events"), plural(res.Duplicates, "duplicate", "duplicates"), plural(res.Rejected, "line", "lines"))
		for i, rj := range res.Rejects {
			if i == 50 {
				break
			}
			fmt.Fprintf(p.stdout, "  rejected %s\n", rj.String())
		}
		if res.Rejected > 50 {
			fmt.Fprintf(p.stdout, "  … %s more (all are stored with their reason: GET /v1/rejects)\n", plural(res.Rejected-50, "rejected line", "rejected lines"))
		}
		total.Accepted += res.Accepted
		total.Rejected += res.Rejected
	}
	if !*noBuild && (*format == cdr.FormatContacts || *format == cdr.FormatCases) {
		stats, err := newCaseJob(log, a.queues, st).Run(ctx)
		if err != nil {
			return fmt.Errorf("contacts and cases are stored, but counting them failed (serve retries it): %w", err)
		}
		fmt.Fprintf(p.stdout, "%s counted\n", plural(stats.Desks, "desk", "desks"))
	} else if !*noBuild {
		b, err := newBuilder(s.cfg, log, prometheus.NewRegistry(), s.now, st, a.queues)
		if err != nil {
			return err
		}
		stats, err := b.Run(ctx)
		if err != nil {
			return fmt.Errorf("events are stored, but building queue calls failed (serve retries it): %w", err)
		}
		fmt.Fprintf(p.stdout, "queue calls built for %s (%s written)\n", plural(stats.Calls, "call id", "call ids"), plural(stats.Written, "row", "rows"))
	}
	if total.Rejected > 0 {
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

// checkInputs looks at every file named before anything connects to
// ClickHouse (checkInput), so that a mistake is told at once and alone.
// Standard input ("-") is looked at when it is read.
func checkInputs(files []string, format string, withMap bool) error {
	for _, name := range files {
		if name == "-" {
			continue
		}
		f, err := openInput(name)
		if err != nil {
			return err
		}
		_, err = checkInput(bufio.NewReaderSize(f, cdr.SniffBytes), name, format, withMap)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// openInput opens a file to ingest, with an error that names it once
// ("cannot open X: no such file or directory", not "open X: open X").
func openInput(name string) (*os.File, error) {
	f, err := os.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("ingest: cannot open %s: %w", name, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("ingest: %s is a directory: name the files in it (%s/*)", name, strings.TrimSuffix(name, "/"))
	}
	return f, nil
}

// checkInput looks at the beginning of an input: an empty one is refused
// (there is nothing to import, and exiting 0 would say all went well), and
// one that is plainly of another format than format is refused with the
// flags that read it (cdr.CheckFormat), instead of a reject per line. It
// returns what it looked at, which r still holds.
func checkInput(r *bufio.Reader, name, format string, withMap bool) ([]byte, error) {
	head, err := r.Peek(cdr.SniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("ingest: cannot read %s: %w", name, err)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\ufeff")))) == 0 {
		if name == "-" {
			name = "standard input"
		}
		return nil, fmt.Errorf("ingest: %s is empty: nothing to import", name)
	}
	if err := cdr.CheckFormat(format, head, withMap); err != nil {
		return nil, fmt.Errorf("ingest: %s: %w", name, err)
	}
	return head, nil
}

// ingestFile decodes one input into the store. On a terminal it shows its
// progress (lines, rate, time left); elsewhere it prints nothing.
func ingestFile(ctx context.Context, sink storeSink, name, format string, decode cdr.DecodeFunc, opt cdr.DecodeOptions, withMap bool, stderr io.Writer) (intake.Result, error) {
	var in io.Reader = os.Stdin
	var size int64
	if name != "-" {
		f, err := openInput(name)
		if err != nil {
			return intake.Result{}, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		in = f
	}
	br := bufio.NewReaderSize(in, cdr.SniffBytes)
	if _, err := checkInput(br, name, format, withMap); err != nil {
		return intake.Result{}, err
	}
	var r io.Reader = br
	if p := startProgress(stderr, name, size, true, "line"); p != nil {
		defer p.Stop()
		r = countingReader{r: br, p: p}
	}
	res, err := intake.Ingest(ctx, format, decode, r, opt, sink)
	if err != nil {
		return res, fmt.Errorf("cannot ingest %s: %w", name, err)
	}
	return res, nil
}
