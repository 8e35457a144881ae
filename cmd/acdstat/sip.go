package main

import (
	"context"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/sip"
)

// startSIP gives the build job the SIP correlator and binds the HEP and
// plain SIP listeners (ACDSTAT_HEP_ADDR, ACDSTAT_SIP_ADDR; "off" disables
// one). The function it returns serves them until ctx ends.
func startSIP(cfg config.Config, log *slog.Logger, reg prometheus.Registerer, settings *cdr.Settings, builder *aggregate.Builder, sink intake.Sink) (func(context.Context) error, error) {
	corr, err := sip.NewCorrelator(cfg.SIP.Correlation(queueNumbers(settings)), reg)
	if err != nil {
		return nil, err
	}
	builder.WithSources(map[string]cdr.BuildFunc{sip.SourceSIP: corr.Build})
	l, err := sip.NewListener(cfg.SIP, log.With("component", "sip"), reg, func(ctx context.Context, evs []cdr.Event) error {
		return sink.Accept(ctx, evs, nil)
	})
	if err != nil {
		return nil, err
	}
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
