package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/report"
	"github.com/acdstat/acdstat/store"
)

// caseJob is serve's scheduled case job (contacts and cases per desk and
// month), on the rollup's schedule: its figures are as fresh as the calls'.
func caseJob(cfg config.Config, log *slog.Logger, settings aggregate.SettingsSource, st *store.Store) aggregate.Job {
	j := newCaseJob(log, settings, st)
	return aggregate.Job{Name: aggregate.CaseJobName, Schedule: cfg.Jobs.RollupEvery, Run: func(ctx context.Context) error {
		_, err := j.Run(ctx)
		return err
	}}
}

// newCaseJob is the case job over the store; in cluster mode its reads
// never come from a replica that lacks an acknowledged insert.
func newCaseJob(log *slog.Logger, settings aggregate.SettingsSource, st *store.Store) *aggregate.CaseJob {
	c := st.ConsistentReads()
	return aggregate.NewCaseJob(log.With("component", "cases"), settings, c, c, c)
}

// deskFormats are the formats of report --contacts and --cases.
var deskFormats = []string{"table", "csv", "json", "markdown"}

// reportDesks writes the contact rows, or the case rows, of report
// --contacts / --cases (report.DeskRows).
func reportDesks(ctx context.Context, a *app, cases bool, desk, fromArg, toArg, format, output string, stdout io.Writer, now time.Time) error {
	if !slices.Contains(deskFormats, format) {
		return fmt.Errorf("report: --format %q with --contacts or --cases: use one of %v", format, deskFormats)
	}
	qs, err := a.queues.Settings(ctx)
	if err != nil {
		return err
	}
	contactRows, caseRows, err := report.DeskRows(ctx, a.st, qs, desk, fromArg, toArg, now)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return writeOutput(stdout, output, false, func(w io.Writer) error {
		switch {
		case cases && format == "json":
			return report.WriteRecordsJSON(w, caseRows)
		case cases && format == "csv":
			return report.WriteCasesCSV(w, caseRows)
		case cases && format == "markdown":
			return report.WriteCasesMarkdown(w, caseRows)
		case cases:
			return report.WriteCasesTable(w, caseRows)
		case format == "json":
			return report.WriteRecordsJSON(w, contactRows)
		case format == "csv":
			return report.WriteContactsCSV(w, contactRows)
		case format == "markdown":
			return report.WriteContactsMarkdown(w, contactRows)
		}
		return report.WriteContactsTable(w, contactRows)
	})
}
