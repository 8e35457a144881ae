package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/httpapi"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/report"
	"github.com/acdstat/acdstat/simulate"
	"github.com/acdstat/acdstat/store"
)

// The wiring of the agent figures (METRICS.md, "Agents"), kept in its own
// file: the agent job, the agent API behind its own token, and
// `acdstat report --agents`.

// newAgentRoller is the agent job over the store, counting with the
// current queue settings (the agent map) at the start of each run; now is
// the clock of the stale timeout.
func newAgentRoller(cfg config.Config, log *slog.Logger, now func() time.Time, settings aggregate.SettingsSource, st *store.Store) (*aggregate.AgentRoller, error) {
	key, err := cfg.Agents.Key()
	if err != nil {
		return nil, err
	}
	return aggregate.NewAgentRoller(cfg.Jobs, cfg.Agents, key, log.With("component", "agents"), now, settings, st, st, st), nil
}

// agentJob is serve's scheduled agent job; while agent figures are off it
// does nothing (hourly: its schedule is not checked then).
func agentJob(r *aggregate.AgentRoller, cfg config.Config, log *slog.Logger) aggregate.Job {
	if !cfg.Agents.On() {
		return aggregate.Job{Name: aggregate.AgentJob, Schedule: "@every 1h", Run: func(context.Context) error { return nil }}
	}
	return aggregate.Job{Name: aggregate.AgentJob, Schedule: cfg.Agents.Every, Run: func(ctx context.Context) error {
		stats, err := r.Run(ctx)
		if err == nil && stats.Rows > 0 {
			log.Debug("agents", "agents", stats.Agents, "rows", stats.Rows)
		}
		return err
	}}
}

// agentGuard is the access control of the agent figures, their own scope:
// with ACDSTAT_AGENT_TOKEN set, that token alone opens them (the read token
// is refused, 403); with a read token and no agent token, nothing does (a
// token that reads queues never reads agents); with neither (one machine,
// loopback), they are open like the rest.
func agentGuard(cfg config.Config) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		switch {
		case cfg.AgentToken != "":
			return intake.RequireToken(cfg.AgentToken, "agent", h)
		case cfg.ReadToken != "":
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				intake.WriteError(w, http.StatusForbidden, "agent figures have a token of their own, and none is set: set ACDSTAT_AGENT_TOKEN to read them (the read token of the queue figures does not)")
			})
		}
		return h
	}
}

// newAgentAPI is GET /v1/agents and the agent page behind agentGuard.
func newAgentAPI(cfg config.Config, log *slog.Logger, now func() time.Time, settings httpapi.SettingsSource, st *store.Store) *httpapi.AgentAPI {
	return httpapi.NewAgentAPI(st, settings, log.With("component", "agents-api"), now, agentGuard(cfg), !cfg.Agents.On())
}

// agentFormats are the --format values of acdstat report --agents.
var agentFormats = []string{"table", "csv", "json"}

// reportAgents prints the agent rows of `acdstat report --agents`: per
// agent with figures and period of the range (local in the agents' zone),
// with queues also per queue; agent keeps one agent (its id or pseudonym).
func reportAgents(ctx context.Context, a *app, period, fromArg, toArg, agent string, queues bool, format, output string, stdout io.Writer, now time.Time) error {
	switch {
	case !a.cfg.Agents.On():
		return errors.New("report: agent figures are turned off (ACDSTAT_AGENT_FIGURES=off)")
	case !slices.Contains(cdr.Periods, period):
		return fmt.Errorf("report: --period %q: use one of %v", period, cdr.Periods)
	case !slices.Contains(agentFormats, format):
		return fmt.Errorf("report: --format %q with --agents: use one of %v", format, agentFormats)
	}
	qs, err := a.queues.Settings(ctx)
	if err != nil {
		return err
	}
	loc := qs.AgentZone()
	from, to, err := reportRange(period, fromArg, toArg, loc, now)
	if err != nil {
		return err
	}
	sums, err := a.st.AgentPeriods(ctx, period, from, to, agent)
	if err != nil {
		return err
	}
	rows, err := report.BuildAgents(sums, period, from, to, loc, queues)
	if err != nil {
		return err
	}
	return writeOutput(stdout, output, false, func(w io.Writer) error {
		switch format {
		case "json":
			return report.WriteAgentsJSON(w, rows)
		case "csv":
			return report.WriteAgentsCSV(w, rows)
		}
		return report.WriteAgentsTable(w, rows)
	})
}

// rollupAgents runs the agent job once for acdstat rollup, and for acdstat
// rebuild first over its range (rebuild, [from, to)); nothing while agent
// figures are off.
func rollupAgents(ctx context.Context, a *app, stdout io.Writer, rebuild *[2]time.Time) error {
	if !a.cfg.Agents.On() {
		return nil
	}
	r, err := newAgentRoller(a.cfg, a.log, a.now, a.queues, a.st)
	if err != nil {
		return err
	}
	if rebuild != nil {
		st, err := r.RebuildBetween(ctx, a.st, rebuild[0], rebuild[1])
		if err != nil {
			return fmt.Errorf("cannot rebuild the agent figures: %w", err)
		}
		fmt.Fprintf(stdout, "agent figures rebuilt for %d agents (%d rows written)\n", st.Agents, st.Rows)
	}
	st, err := r.Run(ctx)
	if err != nil {
		return fmt.Errorf("cannot count the agent figures: %w", err)
	}
	fmt.Fprintf(stdout, "agent figures: %d agents counted (%d rows written)\n", st.Agents, st.Rows)
	return nil
}

// simulateAgents is the part of `acdstat simulate --agents` beyond the
// main switch: the second switch's log, written beside --out (FILE.SWITCH)
// and posted to --to under its switch name, and the agent map for the
// queue file, on stderr.
func simulateAgents(ctx context.Context, sim *simulate.Sim, out, to, token string, stdout, stderr io.Writer) error {
	for _, sw := range sim.Switches()[1:] {
		if out != "" && out != "-" {
			if err := writeTo(out+"."+sw, stdout, func(w io.Writer) error { return sim.WriteQueueLogOf(w, sw) }); err != nil {
				return err
			}
		}
		if to == "" {
			continue
		}
		target, err := ingestURL(to)
		if err != nil {
			return err
		}
		lines := sim.LinesOf(sw)
		if err := simulate.Send(ctx, target, token, sw, lines, 0, 5000, nil); err != nil {
			return fmt.Errorf("cannot send to %s: %w", to, err)
		}
		fmt.Fprintf(stderr, "sent %d queue_log lines of switch %s to %s\n", len(lines), sw, to)
	}
	fmt.Fprintf(stderr, "the agent map of the simulation (add it to the queue file and apply it: acdstat settings apply FILE):\n%s", sim.AgentMap())
	return nil
}
