package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/store"
)

// newFunneler returns the IVR funnel job over st, with the entries of the
// settings of settings at the start of each run.
func newFunneler(cfg config.Config, log *slog.Logger, settings aggregate.SettingsSource, st *store.Store) *aggregate.Funneler {
	jobs := st.ConsistentReads() // as newBuilder's
	return aggregate.NewFunneler(cfg.Jobs, log.With("component", "funnel"), settings, jobs, jobs, jobs)
}

// funnelJob runs the funnel job on the rollup's schedule.
func funnelJob(cfg config.Config, log *slog.Logger, settings aggregate.SettingsSource, st *store.Store) aggregate.Job {
	f := newFunneler(cfg, log, settings, st)
	return aggregate.Job{Name: aggregate.FunnelJob, Schedule: cfg.Jobs.RollupEvery, Run: func(ctx context.Context) error {
		stats, err := f.Run(ctx)
		if err == nil && stats.Written > 0 {
			log.Debug("funnel", "calls", stats.Calls, "written", stats.Written)
		}
		return err
	}}
}

// funnelRow is one period of `acdstat report --funnel` (its JSON form).
// Partial, CountedFrom and CountedTo are those of report.Row: the part of
// the period the row counts, less than all of it where the range starts or
// ends inside it.
type funnelRow struct {
	Entry        string            `json:"entry"`
	Switch       string            `json:"switch"`
	Period       string            `json:"period"`
	PeriodStart  time.Time         `json:"period_start"`
	Entered      uint64            `json:"entered"`
	ReachedQueue uint64            `json:"reached_queue"`
	Reached      map[string]uint64 `json:"reached"`
	HungUpInMenu uint64            `json:"hung_up_in_menu"`
	Other        uint64            `json:"other"`
	Partial      bool              `json:"partial"`
	CountedFrom  time.Time         `json:"counted_from"`
	CountedTo    time.Time         `json:"counted_to"`
}

// reportFunnel prints the funnel of one entry of the current queue
// settings per day or month, over the range as asked (reportRange): a
// period the range cuts is counted in part and marked, as in acdstat
// report.
func reportFunnel(ctx context.Context, a *app, entry, sw, period, fromArg, toArg, format string, stdout io.Writer) error {
	switch {
	case period != cdr.PeriodDay && period != cdr.PeriodMonth:
		return fmt.Errorf("report: --funnel: --period %q: use day or month", period)
	case format != "table" && format != "json":
		return fmt.Errorf("report: --funnel: --format %q: use table or json", format)
	}
	qs, err := a.queues.Settings(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(qs.Entries, func(e cdr.FunnelEntry) bool { return e.Name == entry })
	if i < 0 {
		var names []string
		for _, e := range qs.Entries {
			names = append(names, e.Name)
		}
		list := strings.Join(names, ", ")
		if list == "" {
			list = "none: list them under entries in the queue file and apply it with acdstat settings apply FILE"
		}
		return fmt.Errorf("report: --funnel %q: no such entry in the queue settings, version %s (entries: %s)", entry, qs.Version, list)
	}
	ent := qs.Entries[i]
	from, to, err := reportRange(period, fromArg, toArg, ent.Location, a.now())
	if err != nil {
		return err
	}
	swFilter := sw
	if swFilter == cdr.AllSwitches {
		swFilter = ""
	}
	ps, err := a.st.FunnelPeriods(ctx, entry, swFilter, period, from, to)
	if err != nil {
		return err
	}
	rows := make([]funnelRow, 0, len(ps))
	for _, p := range ps {
		start := p.Start.In(ent.Location)
		next := cdr.NextPeriod(period, start, ent.Location)
		r := funnelRow{Entry: entry, Switch: sw, Period: period, PeriodStart: start, Entered: p.Entered,
			ReachedQueue: p.ReachedQueue, Reached: p.Reached, HungUpInMenu: p.HungUpInMenu, Other: p.Other,
			CountedFrom: start, CountedTo: next}
		if from.After(start) {
			r.CountedFrom = from.In(ent.Location)
		}
		if to.Before(next) {
			r.CountedTo = to.In(ent.Location)
		}
		r.Partial = !r.CountedFrom.Equal(start) || !r.CountedTo.Equal(next)
		rows = append(rows, r)
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	// The entry's queues first, in their order, then any other reached.
	queues := slices.Clone(ent.Queues)
	var extra []string
	for _, r := range rows {
		for q := range r.Reached {
			if !slices.Contains(queues, q) && !slices.Contains(extra, q) {
				extra = append(extra, q)
			}
		}
	}
	sort.Strings(extra)
	queues = append(queues, extra...)
	fmt.Fprintf(stdout, "%s (%s), switch %s\n", ent.Title, entry, sw)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "period\tentered\treached queue\t")
	for _, q := range queues {
		fmt.Fprintf(tw, "%s\t", q)
	}
	fmt.Fprint(tw, "hung up in menu\tother\t\n")
	layout := "2006-01-02"
	if period == cdr.PeriodMonth {
		layout = "2006-01"
	}
	var partial []string
	for _, r := range rows {
		label := r.PeriodStart.Format(layout)
		if r.Partial {
			// The mark and the legend of acdstat report's table.
			partial = append(partial, label+" counts "+r.CountedFrom.Format(spanLayout)+" to "+r.CountedTo.Format(spanLayout))
			label += "*"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t", label, r.Entered, r.ReachedQueue)
		for _, q := range queues {
			fmt.Fprintf(tw, "%d\t", r.Reached[q])
		}
		fmt.Fprintf(tw, "%d\t%d\t\n", r.HungUpInMenu, r.Other)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(partial) > 0 {
		_, err := fmt.Fprintf(stdout, "\n* Part of the %s only, where the range starts or ends inside it: %s.\n", period, strings.Join(partial, "; "))
		return err
	}
	return nil
}

// spanLayout writes the ends of a partial row's span, as report's table
// does: the zone's abbreviation tells the two 02:00s of an autumn
// daylight-saving day apart.
const spanLayout = "2006-01-02 15:04 MST"
