package aggregate

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// SystemsJob is the name of the systems job's watermark.
const SystemsJob = "systems"

// SystemsSource finds the measurements stored since a watermark.
type SystemsSource interface {
	// ServerNow is the store's clock: the clock of ingested_at.
	ServerNow(ctx context.Context) (time.Time, error)
	// TouchedProbeSlots lists the systems and 15-minute slots of the
	// probes stored (by server insert time) in [from, to).
	TouchedProbeSlots(ctx context.Context, from, to time.Time) ([]cdr.SystemRef, error)
	// TouchedProbeMonths lists the systems and month labels of the months'
	// figures stored in [from, to).
	TouchedProbeMonths(ctx context.Context, from, to time.Time) ([]cdr.SystemRef, error)
}

// SystemsReader reads what the systems job counts and combines.
type SystemsReader interface {
	// ProbeSlots counts a system's probes in [from, to) per location and
	// slot, judged by the system's settings.
	ProbeSlots(ctx context.Context, sys cdr.SystemSettings, from, to time.Time) ([]cdr.ProbeSlot, error)
	// SystemLocationDays returns a system's stored location days that begin
	// in [from, to).
	SystemLocationDays(ctx context.Context, system string, from, to time.Time) ([]cdr.SystemLocationDay, error)
	// ProbeMonthsBetween returns a system's months' figures of the month
	// labels in [from, to).
	ProbeMonthsBetween(ctx context.Context, system string, from, to time.Time) ([]cdr.ProbeMonth, error)
}

// SystemsWriter stores what the systems job computes; a row replaces the
// stored one of its key with a lower version.
type SystemsWriter interface {
	WriteSystemLocationDays(ctx context.Context, rows []cdr.SystemLocationDay, version uint64) error
	WriteSystemRows(ctx context.Context, rows []cdr.SystemRow, version uint64) error
}

// SystemLister lists the systems with measurements in a range, for
// RecountBetween.
type SystemLister interface {
	SystemsBetween(ctx context.Context, from, to time.Time) ([]string, error)
}

// SystemRoller is the systems job (docs/METRICS.md, "System response-time
// compliance"). Each run finds the probes and months' figures stored since
// its watermark (less RollupMargin), counts again every local day those
// probes fall in, per location, with the settings current when it starts
// (cdr.SystemDays; store.ProbeSlots judges each probe once, however often it
// was sent), and computes again the rows of every month those days and
// figures fall in (cdr.SystemRows: the month and each of its days), all
// under the run's version (RollupVersion), so a recount replaces what an
// earlier run wrote and nothing is counted twice.
//
// It is safe to run from several acdstat instances at once, by the
// argument of the rollup job (Roller): every row is a full recount, the
// run that started later wins, and a run that read before a probe landed
// is followed by the runs of the next RollupMargin, which see its touch.
// A month's rows are computed from the location days read back after the
// run wrote its own, so they include every day of the month counted so far.
// Days and months that no new measurement touched keep the settings they
// were counted with; RecountBetween (acdstat rebuild) counts a range again
// with the current ones.
type SystemRoller struct {
	cfg      Config
	log      *slog.Logger
	settings SettingsSource
	marks    Watermarks
	src      SystemsSource
	read     SystemsReader
	out      SystemsWriter
}

// NewSystemRoller returns the systems job, counting with the settings of
// settings at the start of each run.
func NewSystemRoller(cfg Config, log *slog.Logger, settings SettingsSource, marks Watermarks, src SystemsSource, read SystemsReader, out SystemsWriter) *SystemRoller {
	return &SystemRoller{cfg: cfg, log: log, settings: settings, marks: marks, src: src, read: read, out: out}
}

// SystemStats says what one run did.
type SystemStats struct {
	Systems int // systems counted again
	Months  int // system months computed
	Days    int // location days written
	Rows    int // system rows (months and days) written
	Upto    time.Time
}

// Run counts again what the measurements stored since the watermark
// touched, then advances the watermark. The first run reads every touch.
func (r *SystemRoller) Run(ctx context.Context) (SystemStats, error) {
	var st SystemStats
	upto, err := r.src.ServerNow(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read server time: %w", err)
	}
	version := RollupVersion(upto, time.Now())
	settings, err := r.settings.Settings(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	mark, _, err := r.marks.Watermark(ctx, SystemsJob)
	if err != nil {
		return st, fmt.Errorf("cannot read watermark: %w", err)
	}
	w := RollupWindow(mark, upto, r.cfg.RollupMargin)
	// The window includes its end; the touch ranges do not.
	slots, err := r.src.TouchedProbeSlots(ctx, w.From, w.To.Add(time.Second))
	if err != nil {
		return st, fmt.Errorf("cannot list the probes stored: %w", err)
	}
	months, err := r.src.TouchedProbeMonths(ctx, w.From, w.To.Add(time.Second))
	if err != nil {
		return st, fmt.Errorf("cannot list the months' figures stored: %w", err)
	}
	st, err = r.recount(ctx, settings, SystemWork(settings, slots, months), version)
	if err != nil {
		return st, err
	}
	if err := r.marks.SetWatermark(ctx, SystemsJob, upto); err != nil {
		return st, fmt.Errorf("cannot advance watermark: %w", err)
	}
	st.Upto = upto
	return st, nil
}

// RecountBetween counts again every day and month of [from, to) of every
// system with measurements there (for acdstat rebuild, after a change of
// the settings), with the current settings. It does not move the
// watermark.
func (r *SystemRoller) RecountBetween(ctx context.Context, lister SystemLister, from, to time.Time) (SystemStats, error) {
	upto, err := r.src.ServerNow(ctx)
	if err != nil {
		return SystemStats{}, fmt.Errorf("cannot read server time: %w", err)
	}
	version := RollupVersion(upto, time.Now())
	settings, err := r.settings.Settings(ctx)
	if err != nil {
		return SystemStats{}, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	// A day away on either side: a system's local days in its own zone.
	systems, err := lister.SystemsBetween(ctx, from.Add(-24*time.Hour), to.Add(24*time.Hour))
	if err != nil {
		return SystemStats{}, err
	}
	var slots, months []cdr.SystemRef
	for _, name := range systems {
		loc := settings.System(name).Location
		for day := cdr.Keys(from, loc).Day; day.Before(to); day = cdr.NextPeriod(cdr.PeriodDay, day, loc) {
			slots = append(slots, cdr.SystemRef{System: name, At: day})
			months = append(months, cdr.SystemRef{System: name, At: cdr.MonthLabel(day, loc)})
		}
	}
	st, err := r.recount(ctx, settings, SystemWork(settings, slots, months), version)
	st.Upto = upto
	return st, err
}

// SystemMonthWork is what the systems job does for one system and local
// month: count the location days from First up to Last (day starts, UTC;
// both zero where no probe of the month was touched), then compute the
// month's rows.
type SystemMonthWork struct {
	System      string
	Month       time.Time // the label (cdr.MonthLabel)
	First, Last time.Time
}

// SystemWork turns touched probe slots and months' figures into the months
// to compute, sorted by system and month: each slot's local day (in its
// system's zone, by settings) is counted again, and each month that holds
// such a day or a touched figure is computed again.
func SystemWork(settings *cdr.Settings, slots, months []cdr.SystemRef) []SystemMonthWork {
	type key struct {
		sys   string
		month int64
	}
	work := map[key]*SystemMonthWork{}
	get := func(sys string, month time.Time) *SystemMonthWork {
		k := key{sys, month.Unix()}
		w := work[k]
		if w == nil {
			w = &SystemMonthWork{System: sys, Month: month}
			work[k] = w
		}
		return w
	}
	for _, s := range slots {
		loc := settings.System(s.System).Location
		day := cdr.Keys(s.At, loc).Day
		w := get(s.System, cdr.MonthLabel(day, loc))
		if w.First.IsZero() || day.Before(w.First) {
			w.First = day
		}
		if day.After(w.Last) {
			w.Last = day
		}
	}
	for _, m := range months {
		get(m.System, m.At)
	}
	out := make([]SystemMonthWork, 0, len(work))
	for _, w := range work {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b SystemMonthWork) int {
		return cmp.Or(cmp.Compare(a.System, b.System), a.Month.Compare(b.Month))
	})
	return out
}

// recount does work with settings under version, a system at a time: it
// counts again the touched days of each month (a query per month with
// touched probes), writes the system's location days in one INSERT, reads
// back its location days and months' figures of the span of its months in
// one query each, and writes the rows of all its months in one INSERT. So
// a system's year of months' figures costs a few queries, not a few per
// month.
func (r *SystemRoller) recount(ctx context.Context, settings *cdr.Settings, work []SystemMonthWork, version uint64) (SystemStats, error) {
	var st SystemStats
	current := settings.Version
	if current == "" {
		current = cdr.DefaultSettingsVersion
	}
	for len(work) > 0 {
		n := 1
		for n < len(work) && work[n].System == work[0].System {
			n++
		}
		one, err := r.recountSystem(ctx, settings.System(work[0].System), work[:n], current, version)
		st.Systems++
		st.Months += one.Months
		st.Days += one.Days
		st.Rows += one.Rows
		if err != nil {
			return st, err
		}
		work = work[n:]
	}
	return st, nil
}

// recountSystem does the work of one system, sorted by month.
func (r *SystemRoller) recountSystem(ctx context.Context, sys cdr.SystemSettings, work []SystemMonthWork, current string, version uint64) (SystemStats, error) {
	var st SystemStats
	monthStart := func(label time.Time) time.Time {
		return cdr.Keys(time.Date(label.Year(), label.Month(), 1, 12, 0, 0, 0, sys.Location), sys.Location).Month
	}
	var days []cdr.SystemLocationDay
	for _, w := range work {
		if w.First.IsZero() {
			continue
		}
		slots, err := r.read.ProbeSlots(ctx, sys, w.First, cdr.NextPeriod(cdr.PeriodDay, w.Last, sys.Location))
		if err != nil {
			return st, err
		}
		days = append(days, cdr.SystemDays(sys, slots, current)...)
	}
	if err := r.out.WriteSystemLocationDays(ctx, days, version); err != nil {
		return st, fmt.Errorf("cannot write %d location days of %s: %w", len(days), sys.Name, err)
	}
	st.Days = len(days)
	first, last := work[0].Month, work[len(work)-1].Month
	stored, err := r.read.SystemLocationDays(ctx, sys.Name, monthStart(first), cdr.NextPeriod(cdr.PeriodMonth, monthStart(last), sys.Location))
	if err != nil {
		return st, err
	}
	figures, err := r.read.ProbeMonthsBetween(ctx, sys.Name, first, last.AddDate(0, 1, 0))
	if err != nil {
		return st, err
	}
	figures = cdr.LatestProbeMonths(figures)
	var rows []cdr.SystemRow
	for _, w := range work {
		rows = append(rows, cdr.SystemRows(sys, w.Month, stored, figures, current)...)
		st.Months++
	}
	if err := r.out.WriteSystemRows(ctx, rows, version); err != nil {
		return st, fmt.Errorf("cannot write %d rows of %s: %w", len(rows), sys.Name, err)
	}
	st.Rows = len(rows)
	return st, nil
}
