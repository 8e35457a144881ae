package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/acdstat/acdstat/simulate"
)

func cmdSimulate(ctx context.Context, p process, args []string) error {
	fs := flag.NewFlagSet("acdstat simulate", flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	setUsage(fs, "simulate")
	def := simulate.DefaultConfig()
	start := fs.String("start", def.Start.Format("2006-01-02"), "first local day simulated (YYYY-MM-DD, Europe/Copenhagen)")
	days := fs.Int("days", def.Days, "number of local days")
	perDay := fs.Int("calls-per-day", def.CallsPerDay, "ordinary callers on a weekday (edge cases come on top)")
	seed := fs.Int64("seed", 1, "random seed: the same flags give the same output")
	sw := fs.String("switch", "default", "the switch name the lines are sent as")
	out := fs.String("out", "", "write the queue_log to this file (- for standard output)")
	truth := fs.String("truth", "", "write the ground truth (JSON) to this file")
	to := fs.String("to", "", "post the lines to this acdstat, e.g. http://127.0.0.1:8080")
	token := fs.String("token", envOf(p.environ, "ACDSTAT_INGEST_TOKEN"), "ingest token for --to (ACDSTAT_INGEST_TOKEN)")
	rate := fs.Float64("rate", 0, "lines per second for --to (0: as fast as the server takes them)")
	format := fs.String("format", "queue_log", "what the simulated switch writes: queue_log, or freeswitch (mod_json_cdr CDRs with mod_callcenter variables)")
	realtime := fs.Bool("realtime", false, "with --to: post --days of history ending yesterday, then today up to now, then play today live until interrupted")
	dispositions := fs.Float64("dispositions", 0.8, "the share of answered calls whose agent gives a disposition (first-contact resolution), written as queue_log DISPOSITION lines (--format queue_log); 0 for none")
	agents := fs.Bool("agents", false, "simulate the agents too (sessions, pauses, rings, a static member, a night agent, an agent in two desks, one person on a second switch SWITCH-2); --out FILE writes that switch's log to FILE.SWITCH-2; the agent map goes to stderr")
	cases := fs.Bool("cases", false, "with --to: post the portal contacts and the cases of a service-management tool of the same days too (POST /v1/contacts and /v1/cases; desks servicedesk and klinisk)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := def
	cfg.Days, cfg.CallsPerDay, cfg.Seed, cfg.Switch, cfg.Dispositions, cfg.Agents = *days, *perDay, *seed, *sw, *dispositions, *agents
	day, err := time.ParseInLocation("2006-01-02", *start, cfg.Location)
	if err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	cfg.Start = day
	if *format == "freeswitch" {
		cfg.Dispositions = 0 // mod_json_cdr CDRs carry none
	}
	if *realtime {
		if *to == "" {
			return fmt.Errorf("--realtime needs --to")
		}
		now := p.now().In(cfg.Location)
		cfg.Start = time.Date(now.Year(), now.Month(), now.Day()-cfg.Days, 0, 0, 0, 0, cfg.Location)
	}
	sim, err := simulate.Generate(cfg)
	if err != nil {
		return err
	}
	if *format != "queue_log" && (*format != "freeswitch" || *realtime) {
		return fmt.Errorf("--format %q: use queue_log, or freeswitch (without --realtime)", *format)
	}
	if *format == "freeswitch" {
		return simulateFreeSWITCH(ctx, sim, *out, *truth, *to, *token, cfg.Switch, p.stdout, p.stderr)
	}
	if *out != "" {
		if err := writeTo(*out, p.stdout, sim.WriteQueueLog); err != nil {
			return err
		}
	}
	if *agents {
		if err := simulateAgents(ctx, sim, *out, *to, *token, p.stdout, p.stderr); err != nil {
			return err
		}
	}
	if *truth != "" {
		if err := writeTo(*truth, p.stdout, sim.WriteTruth); err != nil {
			return err
		}
	}
	if *to == "" {
		if *out == "" && *truth == "" {
			return fmt.Errorf("say where the lines go: --out FILE, --truth FILE or --to URL")
		}
		return nil
	}
	target, err := ingestURL(*to)
	if err != nil {
		return err
	}
	lines := sim.Lines()
	if *realtime {
		// History must not reach into today, which Replay plays live.
		today := cfg.Start.AddDate(0, 0, cfg.Days)
		n := 0
		for n < len(lines) && lines[n].Time.Before(today) {
			n++
		}
		lines = lines[:n]
	}
	if err := sendShowing(ctx, p.stderr, target, *token, cfg.Switch, lines, *rate); err != nil {
		return fmt.Errorf("cannot send to %s: %w", *to, err)
	}
	fmt.Fprintf(p.stderr, "sent %s (%s) to %s\n", plural(len(lines), "queue_log line", "queue_log lines"), plural(len(sim.Truth().Calls), "queue call", "queue calls"), *to)
	if *cases {
		until, days := cfg.Start.AddDate(0, 0, cfg.Days), cfg.Days
		if *realtime {
			until, days = p.now(), cfg.Days+1
		}
		if err := simulateCases(ctx, *to, *token, cfg.Start, days, cfg.Seed, until, p.stderr); err != nil {
			return err
		}
	}
	if !*realtime {
		return nil
	}
	// Today from its midnight: what has happened by now at once, then
	// each line when its time comes.
	live := cfg
	live.Days, live.Seed, live.Start = 1, cfg.Seed+1, cfg.Start.AddDate(0, 0, cfg.Days)
	fmt.Fprintln(p.stderr, "playing today live; interrupt to stop")
	return simulate.ReplayFrom(ctx, live, func(ctx context.Context, ls []simulate.Line) error {
		return simulate.Send(ctx, target, *token, cfg.Switch, ls, 0, 500, nil)
	})
}

// writeTo writes with fn to a file, or to stdout for "-".
func writeTo(name string, stdout io.Writer, fn func(io.Writer) error) error {
	if name == "-" {
		return fn(stdout)
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	return f.Close()
}

// ingestURL completes a server's base address (http://host:port) with the
// queue_log ingest path; a URL with a path is taken as it is.
func ingestURL(to string) (string, error) {
	u, err := url.Parse(to)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("--to %q is not a URL like http://127.0.0.1:8080", to)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/ingest/queue_log"
	}
	return u.String(), nil
}

// sendShowing is simulate.Send with its progress on a terminal (make run
// posts weeks of history): the lines go in slices of sendSlice, each sent
// by Send (batches of 5000 lines), and the status line follows them.
func sendShowing(ctx context.Context, stderr io.Writer, target, token, sw string, lines []simulate.Line, rate float64) error {
	const sendSlice = 20000
	prog := startProgress(stderr, "sending the history", int64(len(lines)), false, "line")
	defer prog.Stop()
	for done := 0; done < len(lines); {
		n := min(sendSlice, len(lines)-done)
		if err := simulate.Send(ctx, target, token, sw, lines[done:done+n], rate, 5000, nil); err != nil {
			return err
		}
		done += n
		prog.Set(int64(done), 0, int64(done))
	}
	return nil
}
