package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/report"
	"github.com/acdstat/acdstat/simulate"
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
var deskFormats = []string{"table", "csv", "json", "markdown", "xlsx"}

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
	return writeOutput(stdout, output, format == "xlsx", func(w io.Writer) error {
		switch {
		case cases && format == "xlsx":
			return report.WriteCasesXLSX(w, caseRows)
		case format == "xlsx":
			return report.WriteContactsXLSX(w, contactRows)
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

// simulateCases posts the simulator's portal contacts and cases of the days
// from start (in loc) up to now to the acdstat at base: POST /v1/contacts
// and /v1/cases as a service-management tool would, in bodies of at most
// 2,000 records, states changed after now left out (make run).
func simulateCases(ctx context.Context, base, token string, start time.Time, days int, seed int64, now time.Time, stderr io.Writer) error {
	sim, err := simulate.GenerateCases(simulate.CaseConfig{System: "servicenow", Start: start, Days: days, Seed: seed, Location: start.Location()})
	if err != nil {
		return err
	}
	states, _ := sim.StatesUntil(now)
	var contacts []simulate.Contact
	for _, c := range sim.Contacts {
		if c.Time.Before(now) {
			contacts = append(contacts, c)
		}
	}
	post := func(path, body string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "text/csv")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return fmt.Errorf("POST %s: %s: %s", path, resp.Status, msg)
		}
		return nil
	}
	const chunk = 2000
	for i := 0; i < len(contacts); i += chunk {
		if err := post("/v1/contacts?switch=portal", simulate.ContactsCSV(contacts[i:min(i+chunk, len(contacts))])); err != nil {
			return fmt.Errorf("cannot send contacts: %w", err)
		}
	}
	for i := 0; i < len(states); i += chunk {
		if err := post("/v1/cases?switch=servicenow", simulate.CasesCSV(states[i:min(i+chunk, len(states))])); err != nil {
			return fmt.Errorf("cannot send cases: %w", err)
		}
	}
	fmt.Fprintf(stderr, "sent %s and %s to %s\n", plural(len(contacts), "contact", "contacts"), plural(len(states), "case state", "case states"), base)
	return nil
}
