package main

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/sip"
	"github.com/acdstat/acdstat/store"
)

// startSIP binds the HEP and plain SIP listeners (ACDSTAT_HEP_ADDR,
// ACDSTAT_SIP_ADDR; "off" disables one), their TCP side through gate. The
// function it returns serves them until ctx ends.
func startSIP(cfg config.Config, log *slog.Logger, reg prometheus.Registerer, now func() time.Time, sink intake.Sink, gate *intake.Gate) (func(context.Context) error, error) {
	l, err := intake.NewSIPListener(cfg.Intake, log.With("component", "sip"), reg, now, sink)
	if err != nil {
		return nil, err
	}
	l.SetGate(gate)
	if err := l.Listen(); err != nil {
		return nil, err
	}
	log.Info("listening", "hep", l.HEPAddr(), "sip", l.SIPAddr())
	return l.Serve, nil
}

// queueNumbers maps the queue file's numbers to their queues; where two
// queues list one number, the first queue by name wins.
func queueNumbers(s *cdr.Settings) map[string]string {
	out := map[string]string{}
	if s == nil {
		return out
	}
	names := make([]string, 0, len(s.Queues))
	for name := range s.Queues {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, n := range s.Queues[name].Numbers {
			if _, ok := out[n]; !ok {
				out[n] = name
			}
		}
	}
	return out
}

// buildSources are the builders of event sources that package cdr does not
// build itself (SIP): every build job, in serve and in the commands that
// build or rebuild calls, must have them, or a rebuild would tombstone the
// SIP calls it cannot build. The SIP builder maps dialled numbers to queues
// with the queue settings queues read last (config.Current.Last), one
// correlator per version.
func buildSources(cfg config.Config, queues *config.Current, reg prometheus.Registerer) (map[string]cdr.BuildFunc, error) {
	corr, err := sip.NewCorrelator(cfg.SIP.Correlation(nil), reg)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		version = "\x00" // none yet
		current *sip.Correlator
	)
	return map[string]cdr.BuildFunc{sip.SourceSIP: func(events []cdr.Event, opt cdr.BuildOptions) []cdr.QueueCall {
		s := queues.Last()
		mu.Lock()
		if s.Version != version || current == nil {
			version, current = s.Version, corr.WithNumbers(queueNumbers(s))
		}
		c := current
		mu.Unlock()
		return c.Build(events, opt)
	}}, nil
}

// newBuilder is the build job, with every source's builder: serve's, and
// that of the one-shot commands (ingest, rollup, rebuild), which pass a
// registry of their own. now is the clock of the stale timeout; queues
// gives the SIP builder its numbers.
func newBuilder(cfg config.Config, log *slog.Logger, reg prometheus.Registerer, now func() time.Time, st *store.Store, queues *config.Current) (*aggregate.Builder, error) {
	sources, err := buildSources(cfg, queues, reg)
	if err != nil {
		return nil, err
	}
	// The jobs' store: in cluster mode its reads never come from a replica
	// that lacks an acknowledged insert (store.ConsistentReads).
	return aggregate.NewBuilder(cfg.Jobs, log.With("component", "build"), now, sources, st.ConsistentReads()), nil
}
