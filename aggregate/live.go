package aggregate

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// LiveSource is what the live follower reads from the store: the calls
// that got events stored in a range of server insert times, the calls with
// events in a range of event times (for the start), and their events.
type LiveSource interface {
	ServerNow(ctx context.Context) (time.Time, error)
	TouchedCalls(ctx context.Context, from, to time.Time) ([]cdr.CallRef, error)
	CallsWithEventsBetween(ctx context.Context, from, to time.Time) ([]cdr.CallRef, error)
	CallEvents(ctx context.Context, refs []cdr.CallRef, window time.Duration) ([]cdr.Event, error)
}

// DefaultLiveEvery is how often the follower reads what every node stored.
// The writer of another node lingers up to a second before it inserts
// (drain.DefaultLinger), so a quarter of a second here keeps an event of
// any node on every wallboard within about 1.5 s.
const DefaultLiveEvery = 250 * time.Millisecond

// liveOverlap is how far before its last wide read the follower reads
// again every liveOverlap: an INSERT that began before a read may become
// visible after it with an earlier ingested_at. Between wide reads a poll
// reads from a second before its last read (liveNarrow: ingested_at is
// whole seconds of the server's clock). The state ignores the events it
// has (by id). Reading the whole overlap at every poll read each event
// some twenty times (5 s at a read every 250 ms); under 50,000 SIP
// messages a second that re-reading took a sixth of serve's CPU.
const (
	liveOverlap = 5 * time.Second
	liveNarrow  = time.Second
)

// livePruneEvery is how often Serve prunes the live state: a call is
// sealed (its events let go) a pass after its last event, so this bounds
// how long the events of a carrier's calls that are over stay in memory.
// A pass walks the ids kept and the calls (the day's, sealed or not).
const livePruneEvery = 10 * time.Second

// LiveFollower keeps a cdr.Live up to date with the events that all nodes
// stored: at start it reads the events of the live lookback
// (cdr.Live.Lookback) before now, then every Every the calls touched since
// its last read (event_touches, by server insert time) and their events.
// This node's own events can be added as they are acknowledged
// (cdr.Live.Add), before its writer stores them.
type LiveFollower struct {
	src   LiveSource
	live  *cdr.Live
	log   *slog.Logger
	now   func() time.Time
	every time.Duration
	// since is the server time of the last read; zero before Load.
	since time.Time
	// wide is the server time of the last read that went back
	// liveOverlap before the one before it.
	wide time.Time
}

// NewLiveFollower returns a follower of src into live; every 0 means
// DefaultLiveEvery. now is the clock of event times (the lookback).
func NewLiveFollower(src LiveSource, live *cdr.Live, log *slog.Logger, now func() time.Time, every time.Duration) *LiveFollower {
	if every <= 0 {
		every = DefaultLiveEvery
	}
	return &LiveFollower{src: src, live: live, log: log, now: now, every: every}
}

// Load reads the events of the lookback: an agent who logged in yesterday
// is logged in after a restart. It must succeed before Poll.
func (f *LiveFollower) Load(ctx context.Context) error {
	since, err := f.src.ServerNow(ctx)
	if err != nil {
		return err
	}
	now := f.now()
	// Up to the future limit of intake (METRICS.md, Validation).
	refs, err := f.src.CallsWithEventsBetween(ctx, now.Add(-f.live.Lookback()), now.Add(10*time.Minute))
	if err != nil {
		return fmt.Errorf("cannot load the live state: %w", err)
	}
	evs, err := f.src.CallEvents(ctx, refs, 0)
	if err != nil {
		return fmt.Errorf("cannot load the live state: %w", err)
	}
	f.live.Add(evs)
	f.live.MarkLoaded()
	f.since, f.wide = since, since
	f.log.Info("live state loaded", "events", len(evs), "since", now.Add(-f.live.Lookback()))
	return nil
}

// Poll reads the events of the calls touched since the last read and says
// how many were new to the state. The events of a touched call are read
// within the span of its new events' times only (the touch rows'; the
// store reads a call by the span it is given), so a call the state sealed
// (cdr.Live) that got an event again, here or on this node's intake, is
// read again as a whole in the same poll: the span of all the events it
// had (cdr.Live.Reopened), which AddReopened takes. Until then the state
// keeps the sealed call's stays; a read that fails is tried again at the
// next poll.
func (f *LiveFollower) Poll(ctx context.Context) (int, error) {
	to, err := f.src.ServerNow(ctx)
	if err != nil {
		return 0, err
	}
	// A wide read, every liveOverlap, goes back liveOverlap before the
	// last wide one, so an insert that became visible up to liveOverlap
	// after its ingested_at is read whenever it became visible; the polls
	// between go back liveNarrow.
	from, wide := f.since.Add(-liveNarrow), !to.Before(f.wide.Add(liveOverlap))
	if wide {
		from = f.wide.Add(-liveOverlap)
	}
	refs, err := f.src.TouchedCalls(ctx, from, to.Add(time.Second))
	if err != nil {
		return 0, err
	}
	n := 0
	if len(refs) > 0 {
		evs, err := f.src.CallEvents(ctx, refs, 0)
		if err != nil {
			return 0, err
		}
		n = f.live.Add(evs)
	}
	if refs := f.live.Reopened(); len(refs) > 0 {
		evs, err := f.src.CallEvents(ctx, refs, 0)
		if err != nil {
			return n, fmt.Errorf("cannot read the calls the live state reopened: %w", err)
		}
		n += f.live.AddReopened(refs, evs)
	}
	f.since = to
	if wide {
		f.wide = to
	}
	return n, nil
}

// Serve loads the state (again until it succeeds), then polls every Every
// until ctx is cancelled, and returns nil then. A failed read is tried
// again on the next tick, and the wallboard shows the state of the last
// read meanwhile; the first failure of a run of them is logged, and the
// recovery. Every livePruneEvery the state prunes old events and seals
// the calls that are over (cdr.Live.Prune).
func (f *LiveFollower) Serve(ctx context.Context) error {
	t := time.NewTicker(f.every)
	defer t.Stop()
	loaded, failing, lastPrune := false, false, time.Time{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var err error
		if !loaded {
			if err = f.Load(ctx); err == nil {
				loaded = true
			}
		}
		if err == nil {
			_, err = f.Poll(ctx)
		}
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			f.log.Warn("cannot read new events for the live state; trying again every tick", "err", err)
			failing = true
		case err == nil && failing:
			f.log.Info("reading new events for the live state again")
			failing = false
		}
		if now := f.now(); loaded && (now.Sub(lastPrune) >= livePruneEvery || now.Before(lastPrune)) {
			f.live.Prune(now)
			lastPrune = now
		}
	}
}
