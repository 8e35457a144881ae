package main

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/httpapi"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/store"
)

// wall is the live state of serve (the wallboard, GET /v1/live): the
// state, the follower that feeds it what every node stored, and its
// endpoints behind the wall tokens.
type wall struct {
	live     *cdr.Live
	follower *aggregate.LiveFollower
	api      *httpapi.LiveAPI
	// own holds this node's acknowledged events for the live state (sink).
	own chan []cdr.Event
}

// newWall makes the live state with the settings of the figures (the
// stale timeouts, the agents' privacy) and the builders of every source.
func newWall(cfg config.Config, log *slog.Logger, now func() time.Time, queues *config.Current, st *store.Store) (*wall, error) {
	// The SIP correlator's metrics are the build job's; the live state's
	// own correlator counts into a registry nobody reads.
	sources, err := buildSources(cfg, queues, prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	opt := cdr.LiveOptions{StaleAfter: cfg.Jobs.StaleAfter, AgentStaleAfter: cfg.Agents.StaleAfter, Sources: sources, NoAgents: !cfg.Agents.On(),
		MaxEvents: cfg.LiveMaxEvents}
	if cfg.Agents.Figures == aggregate.AgentsPseudonymous {
		key, err := cfg.Agents.Key()
		if err != nil {
			return nil, err
		}
		opt.Pseudonym = func(id string) string { return cdr.AgentPseudonym(key, id) }
	}
	wt, err := intake.ParseWallTokens(cfg.WallTokens)
	if err != nil {
		return nil, err
	}
	rt, err := intake.LoadReadTokens(cfg.ReadToken, cfg.ReadTokens, cfg.ReadTokensFile)
	if err != nil {
		return nil, err
	}
	live := cdr.NewLive(opt)
	wlog := log.With("component", "live")
	return &wall{
		live: live, own: make(chan []cdr.Event, ownQueue),
		// Its reads are a watermark's: they must see every acknowledged
		// insert (store.ConsistentReads).
		follower: aggregate.NewLiveFollower(st.ConsistentReads(), live, wlog, now, cfg.LiveEvery),
		api: httpapi.NewLiveAPI(live, queues, wlog, now, func(h http.Handler) http.Handler {
			return intake.RequireWall(wt, rt, h)
		}),
	}, nil
}

// sink passes what intake acknowledged to next and, once the spool holds
// it, to the live state: this node's own events are on its wallboard
// before its writer stores them (the follower reads them back later and
// ignores them by id). Intake never waits for the live state: the events
// go to it through a queue that feed empties, and a batch that finds the
// queue full is left to the follower, which reads it back from the store
// within a poll or two. A prune of the state holds its lock while it
// seals the calls that are over; under 40,000 SIP messages a second
// intake waiting for that lock overflowed its own queue.
func (w *wall) sink(next intake.Sink) intake.Sink { return liveSink{next, w.own} }

// ownQueue is how many acknowledged batches wait for the live state: few,
// since each is a copy (an HTTP request's batch may hold 50,000 events)
// and a batch left out costs only a poll's delay on the wallboard.
const ownQueue = 16

// feed adds this node's acknowledged events to the live state until ctx
// ends.
func (w *wall) feed(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evs := <-w.own:
			w.live.Add(evs)
		}
	}
}

type liveSink struct {
	next intake.Sink
	own  chan<- []cdr.Event
}

func (s liveSink) Accept(ctx context.Context, events []cdr.Event, rejects []cdr.Reject) error {
	if err := s.next.Accept(ctx, events, rejects); err != nil {
		return err
	}
	// The caller may reuse its slice once Accept returns.
	select {
	case s.own <- slices.Clone(events):
	default:
	}
	return nil
}
