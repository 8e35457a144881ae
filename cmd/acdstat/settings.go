package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/store"
)

// validate is config.Config.Validate, the checks serve makes at start, for
// every command alike: check-config and serve say the same.
func (s *settings) validate() error {
	if err := s.cfg.Validate(); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}
	return nil
}

// queuesFlag adds --queues: a queue file applied before the command counts,
// over ACDSTAT_QUEUES (loadQueues).
func (s *settings) queuesFlag() {
	s.fs.StringVar(&s.cfg.Queues, "queues", s.cfg.Queues, "a queue settings file to apply first, where it is not the current version already (ACDSTAT_QUEUES; acdstat settings apply)")
}

// app is what a command that works on the store has once its flags are
// read: the settings tree, its logger, the migrated store and the queue
// settings it counts and reports with, each loaded once, by open.
type app struct {
	cfg    config.Config
	log    *slog.Logger
	st     *store.Store
	queues *config.Current
	now    func() time.Time
}

// open opens the store and the queue settings of the command (loadQueues:
// with apply, the file of ACDSTAT_QUEUES or --queues is applied first).
// Close the app when done.
func (s *settings) open(ctx context.Context, p process, apply bool) (*app, error) {
	log := newLogger(s.cfg, p.stderr)
	st, err := openStore(ctx, s.cfg, log)
	if err != nil {
		return nil, err
	}
	q, err := loadQueues(ctx, s.cfg, st, log, s.now(), strings.TrimPrefix(s.fs.Name(), "acdstat "), apply)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &app{cfg: s.cfg, log: log, st: st, queues: q, now: s.now}, nil
}

// Close closes the store.
func (a *app) Close() { a.st.Close() }

// loadQueues is the one place where a command gets its queue settings: the
// current version in the store, followed by the config.Current it returns,
// after applyQueues (serve does the same in connectOnce).
func loadQueues(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger, now time.Time, command string, apply bool) (*config.Current, error) {
	if err := applyQueues(ctx, cfg, st, log, now, command, apply); err != nil {
		return nil, err
	}
	q := config.NewCurrent(st, log.With("component", "settings"))
	if _, err := q.Settings(ctx); err != nil {
		return nil, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	return q, nil
}

// applyQueues is what a command does with the queue file of ACDSTAT_QUEUES
// or --queues. With apply (the commands that count: serve, ingest, rollup,
// rebuild), the file is applied first where it is
// not the current version already: the way of one machine. serve says so
// with a warning, because with several nodes started with different files
// the last to start wins; `acdstat settings apply` is the way to change
// them for every node. The commands that only read (report, settings)
// never apply a file, and warn where it is not the current version.
func applyQueues(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger, now time.Time, command string, apply bool) error {
	switch {
	case cfg.Queues != "" && apply:
		applied, previous, err := config.ApplyQueueFile(ctx, st, cfg.Queues, appliedBy(command, cfg.Queues), now)
		if err != nil {
			return fmt.Errorf("cannot apply the queue file of --queues or ACDSTAT_QUEUES: %w", err)
		}
		if applied.Version != previous.Version {
			attrs := []any{"file", cfg.Queues, "version", applied.Version, "was", previous.Version,
				"was_applied_by", previous.AppliedBy, "was_applied_at", previous.AppliedAt}
			if command == "serve" && previous.Version != cdr.DefaultSettingsVersion {
				log.Warn("the queue file of --queues or ACDSTAT_QUEUES replaces the current queue settings for every process; with several nodes started with different files the last to start wins (acdstat settings apply FILE changes them for all)", attrs...)
			} else {
				log.Info("queue settings applied", attrs...)
			}
		}
	case cfg.Queues != "":
		if text, err := os.ReadFile(cfg.Queues); err == nil {
			if cur, err := st.CurrentSettingsVersion(ctx); err == nil && cur != cdr.SettingsVersionOf(text) {
				log.Warn("ACDSTAT_QUEUES is not the current queue settings, which this command uses; acdstat settings apply FILE makes it current",
					"file", cfg.Queues, "file_version", cdr.SettingsVersionOf(text), "current", cur)
			}
		}
	}
	return nil
}

// appliedBy says in the settings history who applied a file.
func appliedBy(command, file string) string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown host"
	}
	return fmt.Sprintf("acdstat %s on %s (%s)", command, host, file)
}

// cmdSettings runs acdstat settings apply|show|history: the queue settings
// every process counts with, kept as versions in ClickHouse.
func cmdSettings(ctx context.Context, p process, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("settings: name what to do: apply FILE, show [--version V] or history")
	}
	what, rest := args[0], args[1:]
	switch what {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(p.stderr, "usage: acdstat settings apply FILE | show [--version V] | history\n\n"+
			"The queue settings every process counts with, kept as versions in ClickHouse:\n"+
			"  apply FILE   make a queue file the current settings (validated first)\n"+
			"  show         print the current version, or --version V\n"+
			"  history      list every version applied\n"+
			"Run 'acdstat settings apply -h' for the flags.\n")
		return flag.ErrHelp
	}
	s, err := newSettings("settings "+what, p)
	if err != nil {
		return err
	}
	switch what {
	case "apply":
		return settingsApply(ctx, s, p, rest)
	case "show":
		version := s.fs.String("version", "", "show this version instead of the current one")
		if err := s.parse(rest); err != nil {
			return err
		}
		return settingsShow(ctx, s, p, *version)
	case "history":
		if err := s.parse(rest); err != nil {
			return err
		}
		return settingsHistory(ctx, s, p)
	}
	return fmt.Errorf("settings: unknown %q: use apply FILE, show [--version V] or history", what)
}

// settingsApply validates a queue file as serve would and makes it the
// current version, then says what changed. Every serve follows it within
// seconds; periods counted before keep their counts (and say with which
// version) until a rebuild counts them again.
func settingsApply(ctx context.Context, s *settings, p process, args []string) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	if s.fs.NArg() != 1 {
		return fmt.Errorf("settings apply: name one queue file, e.g. acdstat settings apply /etc/acdstat/queues.yaml")
	}
	file := s.fs.Arg(0)
	s.cfg.Queues = file // validated with everything else, as check-config does
	if err := s.validate(); err != nil {
		return err
	}
	log := newLogger(s.cfg, p.stderr)
	st, err := openStore(ctx, s.cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, previous, err := config.ApplyQueueFile(ctx, st, file, appliedBy("settings apply", file), s.now())
	if err != nil {
		return err
	}
	if applied.Version == previous.Version {
		fmt.Fprintf(p.stdout, "%s is already the current queue settings, version %s (applied %s by %s); nothing changed\n",
			file, applied.Version, appliedAt(applied), applied.AppliedBy)
		return nil
	}
	fmt.Fprintf(p.stdout, "queue settings version %s applied from %s (was %s)\n", applied.Version, file, previous.Version)
	now, err := config.ParseQueues([]byte(applied.YAML), file)
	if err != nil {
		return err
	}
	before, err := config.ParseQueues([]byte(previous.YAML), "settings version "+previous.Version)
	if err != nil {
		fmt.Fprintf(p.stdout, "  (the previous version cannot be compared: %v)\n", err)
	} else {
		diff := config.DiffQueues(before, now)
		if len(diff) == 0 {
			diff = []string{"no setting changed (only the text)"}
		}
		for _, d := range diff {
			fmt.Fprintln(p.stdout, "  "+d)
		}
	}
	fmt.Fprintln(p.stdout, "Every acdstat serve counts with it within seconds. Periods counted before keep their counts and say which version they were counted with;\n"+
		"acdstat rebuild --from D --to D counts them again with this one.")
	return nil
}

// settingsShow prints a version of the queue settings (the current one by
// default) and its text. It reads the store alone, without parsing the
// current version, so it shows one that this acdstat cannot use too.
func settingsShow(ctx context.Context, s *settings, p process, version string) error {
	st, err := openStore(ctx, s.cfg, newLogger(s.cfg, p.stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	cur, err := st.CurrentSettingsVersion(ctx)
	if err != nil {
		return err
	}
	var v store.SettingsVersion
	if version == "" {
		if v, err = st.CurrentSettings(ctx); err != nil {
			return err
		}
	} else {
		var ok bool
		if v, ok, err = st.SettingsVersionByID(ctx, version); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("settings show: no version %q (acdstat settings history lists them)", version)
		}
	}
	state := "the current version"
	if v.Version != cur {
		state = "not the current version, which is " + cur
	}
	if v.AppliedAt.IsZero() {
		fmt.Fprintf(p.stdout, "# queue settings version %s: the built-in defaults, no file applied (%s)\n", v.Version, state)
		return nil
	}
	fmt.Fprintf(p.stdout, "# queue settings version %s, applied %s by %s (%s)\n", v.Version, appliedAt(v), v.AppliedBy, state)
	_, err = io.WriteString(p.stdout, v.YAML)
	return err
}

// settingsHistory lists every application, oldest first.
func settingsHistory(ctx context.Context, s *settings, p process) error {
	st, err := openStore(ctx, s.cfg, newLogger(s.cfg, p.stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	hist, err := st.SettingsHistory(ctx)
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		fmt.Fprintf(p.stdout, "no queue settings applied: every process counts with the built-in defaults, version %s\n", cdr.DefaultSettingsVersion)
		return nil
	}
	for i, v := range hist {
		mark := ""
		if i == len(hist)-1 {
			mark = "  (current)"
		}
		fmt.Fprintf(p.stdout, "%s  %s  %s%s\n", appliedAt(v), v.Version, v.AppliedBy, mark)
	}
	return nil
}

// appliedAt writes when a version was applied.
func appliedAt(v store.SettingsVersion) string { return v.AppliedAt.Format(time.RFC3339) }
