package aggregate

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// FunnelJob is the name of the IVR funnel job's watermark.
const FunnelJob = "funnel"

// FunnelSource finds the calls that got events and reads their events and
// current queue stays.
type FunnelSource interface {
	ServerNow(ctx context.Context) (time.Time, error)
	// TouchedCalls lists the calls that got events stored in [from, to).
	TouchedCalls(ctx context.Context, from, to time.Time) ([]cdr.CallRef, error)
	CallEvents(ctx context.Context, refs []cdr.CallRef, window time.Duration) ([]cdr.Event, error)
	FunnelStays(ctx context.Context, refs []cdr.CallRef) ([]cdr.FunnelStay, error)
}

// FunnelWriter stores funnel calls; a call's row replaces the stored one
// with a lower version. tz names each entry's zone.
type FunnelWriter interface {
	WriteFunnelCalls(ctx context.Context, calls []cdr.FunnelCall, tz map[string]string, version uint64) error
}

// Funneler is the IVR funnel job: it classifies again every call that got
// events since its watermark (less RollupMargin, which also covers queue
// stays the build job writes a little after their events land) from all of
// the call's events and current stays, and writes the calls that dialled
// an entry number with the run's version (RollupVersion), so a later run
// replaces an earlier one's row and nothing is counted twice. Its cost
// follows the new events. With no entries it only moves its watermark.
//
// Each run classifies with the entries of the settings current when it
// starts (read after its version is taken, as the rollup job does).
type Funneler struct {
	cfg      Config
	log      *slog.Logger
	settings SettingsSource
	marks    Watermarks
	src      FunnelSource
	out      FunnelWriter
}

// NewFunneler returns the funnel job for the entries of the settings of
// settings at the start of each run.
func NewFunneler(cfg Config, log *slog.Logger, settings SettingsSource, marks Watermarks, src FunnelSource, out FunnelWriter) *Funneler {
	return &Funneler{cfg: cfg, log: log, settings: settings, marks: marks, src: src, out: out}
}

// FunnelStats says what one run did.
type FunnelStats struct {
	Calls   int // call ids looked at
	Written int // funnel calls written
	Upto    time.Time
}

// Run classifies the calls touched since the watermark, then advances it.
func (f *Funneler) Run(ctx context.Context) (FunnelStats, error) {
	var st FunnelStats
	upto, err := f.src.ServerNow(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read server time: %w", err)
	}
	mark, _, err := f.marks.Watermark(ctx, FunnelJob)
	if err != nil {
		return st, fmt.Errorf("cannot read watermark: %w", err)
	}
	// A call's queue stays come from the build job: go no further than it
	// has, or a call classified before its stays exist would be counted as
	// hung up in the menu for good.
	if built, ok, err := f.marks.Watermark(ctx, BuildJob); err != nil {
		return st, fmt.Errorf("cannot read the build watermark: %w", err)
	} else if !ok {
		return st, nil
	} else if built.Before(upto) {
		upto = built
	}
	version := RollupVersion(upto, time.Now())
	settings, err := f.settings.Settings(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	if settings != nil && len(settings.Entries) > 0 {
		w := RollupWindow(mark, upto, f.cfg.RollupMargin)
		refs, err := f.src.TouchedCalls(ctx, w.From, w.To.Add(time.Second))
		if err != nil {
			return st, fmt.Errorf("cannot list touched calls: %w", err)
		}
		st, err = f.classify(ctx, MergeRefs(refs), settings.Entries, version)
		if err != nil {
			return st, err
		}
	}
	if err := f.marks.SetWatermark(ctx, FunnelJob, upto); err != nil {
		return st, fmt.Errorf("cannot advance watermark: %w", err)
	}
	st.Upto = upto
	return st, nil
}

func (f *Funneler) classify(ctx context.Context, refs []cdr.CallRef, entries []cdr.FunnelEntry, version uint64) (FunnelStats, error) {
	st := FunnelStats{Calls: len(refs)}
	tz := map[string]string{}
	for _, e := range entries {
		if e.Location != nil {
			tz[e.Name] = e.Location.String()
		}
	}
	for start := 0; start < len(refs); start += f.cfg.ChunkCalls {
		chunk := refs[start:min(start+f.cfg.ChunkCalls, len(refs))]
		events, err := f.src.CallEvents(ctx, chunk, f.cfg.Window)
		if err != nil {
			return st, fmt.Errorf("cannot read events of %d calls: %w", len(chunk), err)
		}
		stays, err := f.src.FunnelStays(ctx, chunk)
		if err != nil {
			return st, fmt.Errorf("cannot read queue stays of %d calls: %w", len(chunk), err)
		}
		calls := cdr.Funnel(events, stays, entries)
		if err := f.out.WriteFunnelCalls(ctx, calls, tz, version); err != nil {
			return st, fmt.Errorf("cannot write %d funnel calls: %w", len(calls), err)
		}
		st.Written += len(calls)
	}
	return st, nil
}
