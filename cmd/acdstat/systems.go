package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/report"
	"github.com/acdstat/acdstat/store"
)

// The wiring of system response-time compliance (METRICS.md, "System
// response-time compliance"), kept in its own file: the systems job in
// serve, rollup, rebuild and ingest, and `acdstat report --systems`. The
// API is the read API's GET /v1/systems (httpapi/systems.go).

// newSystemRoller is the systems job over the store, counting with the
// current queue settings (the systems section) at the start of each run.
func newSystemRoller(cfg config.Config, log *slog.Logger, settings aggregate.SettingsSource, st *store.Store) *aggregate.SystemRoller {
	jobs := st.ConsistentReads() // as newRoller's
	return aggregate.NewSystemRoller(cfg.Jobs, log.With("component", "systems"), settings, jobs, jobs, jobs, jobs)
}

// systemsJob is serve's scheduled systems job, on the rollup's schedule:
// the figures follow new measurements as the queue figures follow calls.
func systemsJob(r *aggregate.SystemRoller, cfg config.Config, log *slog.Logger) aggregate.Job {
	return aggregate.Job{Name: aggregate.SystemsJob, Schedule: cfg.Jobs.RollupEvery, Run: func(ctx context.Context) error {
		stats, err := r.Run(ctx)
		if err == nil && stats.Rows > 0 {
			log.Debug("systems", "systems", stats.Systems, "months", stats.Months, "rows", stats.Rows)
		}
		return err
	}}
}

// rollupSystems runs the systems job once, for acdstat rollup and ingest,
// and for acdstat rebuild first over its range (rebuild, [from, to)).
func rollupSystems(ctx context.Context, a *app, stdout io.Writer, rebuild *[2]time.Time) error {
	r := newSystemRoller(a.cfg, a.log, a.queues, a.st)
	if rebuild != nil {
		st, err := r.RecountBetween(ctx, a.st.ConsistentReads(), rebuild[0], rebuild[1])
		if err != nil {
			return fmt.Errorf("cannot count the system figures again: %w", err)
		}
		fmt.Fprintf(stdout, "system figures counted again for %s (%s written)\n", plural(st.Systems, "system", "systems"), plural(st.Rows, "row", "rows"))
	}
	st, err := r.Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot count the system figures: %w", err)
	}
	if st.Rows > 0 || rebuild == nil {
		fmt.Fprintf(stdout, "system figures: %s counted (%s written)\n", plural(st.Systems, "system", "systems"), plural(st.Rows, "row", "rows"))
	}
	return nil
}

// systemsFormats are the --format values of acdstat report --systems.
var systemsFormats = []string{"table", "csv", "json", "markdown", "xlsx"}

// reportSystems prints the systems table of `acdstat report --systems`:
// systems × months (--period month) or days, from --from to --to (YYYY-MM
// or YYYY-MM-DD, to excluded; by default this year's months), as the API
// gives it.
func reportSystems(ctx context.Context, a *app, period, fromArg, toArg, format, output string, stdout io.Writer, now time.Time) error {
	if !slices.Contains(systemsFormats, format) {
		return fmt.Errorf("report: --format %q with --systems: use one of %v", format, systemsFormats)
	}
	labels, err := report.SystemLabels(period, fromArg, toArg, now)
	var re *report.RangeError
	if errors.As(err, &re) {
		return fmt.Errorf("report: --%s: %s", re.Field, re.Msg)
	}
	if err != nil {
		return err
	}
	qs, err := a.queues.Settings(ctx)
	if err != nil {
		return err
	}
	from, to := report.SystemSpan(period, labels)
	stored, err := a.st.SystemRows(ctx, period, from, to)
	if err != nil {
		return err
	}
	t := report.BuildSystems(qs, period, labels, stored)
	return writeOutput(stdout, output, format == "xlsx", func(w io.Writer) error {
		switch format {
		case "json":
			return report.WriteSystemsJSON(w, t)
		case "csv":
			return report.WriteSystemsCSV(w, t)
		case "markdown":
			return report.WriteSystemsMarkdown(w, t)
		case "xlsx":
			return report.WriteSystemsXLSX(w, t)
		}
		return report.WriteSystemsTable(w, t)
	})
}

// isMeasurementFormat says whether format is one of measurements of system
// response times, whose figures ingest counts at once.
func isMeasurementFormat(format string) bool {
	return format == cdr.FormatProbes || format == cdr.FormatProbeMonths
}
