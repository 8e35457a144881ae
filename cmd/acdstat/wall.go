package main

import (
	"context"
	"log/slog"
	"net/http"
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
		live: live,
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
// ignores them by id).
func (w *wall) sink(next intake.Sink) intake.Sink { return liveSink{next, w.live} }

type liveSink struct {
	next intake.Sink
	live *cdr.Live
}

func (s liveSink) Accept(ctx context.Context, events []cdr.Event, rejects []cdr.Reject) error {
	if err := s.next.Accept(ctx, events, rejects); err != nil {
		return err
	}
	s.live.Add(events)
	return nil
}
