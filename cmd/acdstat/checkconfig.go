package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/store"
)

// cmdCheckConfig validates the settings and the queue file, prints what was
// understood, and exits: for a config change before a restart. It runs
// config.Config.Validate, the checks serve makes at start, so it refuses
// what serve would; --probe also tries what only the network tells. It
// writes nothing: `acdstat settings apply` is what makes a queue file the
// one every process counts with.
func cmdCheckConfig(ctx context.Context, p process, args []string) error {
	s, err := newSettings("check-config", p)
	if err != nil {
		return err
	}
	s.fs.StringVar(&s.cfg.Queues, "queues", s.cfg.Queues, "the queue and switch settings file to check (ACDSTAT_QUEUES); nothing is applied")
	probe := s.fs.Bool("probe", false, "also bind the listen addresses for a moment and ping ClickHouse, as serve would (run it while serve is stopped)")
	if err := s.parse(args); err != nil {
		return err
	}
	// Validate has read both; they cannot fail here.
	settings, err := config.LoadQueues(s.cfg.Queues)
	if err != nil {
		return err
	}
	fallback, err := s.cfg.Intake.SwitchZone()
	if err != nil {
		return err
	}
	if s.cfg.Queues == "" {
		fmt.Fprintln(p.stdout, "settings are valid; no queue file to check (--queues FILE or ACDSTAT_QUEUES); the queue settings every process counts with are kept in ClickHouse: acdstat settings show")
	} else {
		names := make([]string, 0, len(settings.Queues))
		for n := range settings.Queues {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(p.stdout, "settings are valid; %s lists %s and %s:\n", s.cfg.Queues, plural(len(names), "queue", "queues"), plural(len(settings.SwitchZones), "switch", "switches"))
		for _, n := range names {
			q := settings.Queues[n]
			fmt.Fprintf(p.stdout, "  %-16s %-24s %s, sla %ds (%s, target %.0f %%), fcr target %.0f %%, opening hours: %v, Danish holidays: %v\n",
				n, q.Display, q.Location, q.SLAS, q.SLAFormula, q.SLATarget*100, q.FCRTarget*100, q.HasHours(), q.DanishHolidays)
		}
	}
	printSwitchZones(p.stdout, settings, fallback)
	if *probe {
		return probeServe(ctx, s.cfg, p.stdout)
	}
	return nil
}

// probeServe binds every listen address of serve for a moment (TCP, and
// UDP for HEP and SIP) and pings ClickHouse, creating nothing: what
// Validate cannot know. It returns every failure at once.
func probeServe(ctx context.Context, cfg config.Config, w io.Writer) error {
	var errs []error
	for _, l := range []struct {
		name, addr string
		udp        bool
	}{{"ACDSTAT_HTTP_ADDR", cfg.HTTPAddr, false}, {"ACDSTAT_HEP_ADDR", cfg.Intake.SIP.HEPAddr, true}, {"ACDSTAT_SIP_ADDR", cfg.Intake.SIP.SIPAddr, true}, {"ACDSTAT_PPROF_ADDR", cfg.PprofAddr, false}} {
		if l.addr == intake.Off || l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: cannot listen on %s: %w", l.name, l.addr, listenError(err)))
			continue
		}
		ln.Close()
		proto := "TCP"
		if l.udp {
			pc, err := net.ListenPacket("udp", l.addr)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: cannot listen on %s (UDP): %w", l.name, l.addr, listenError(err)))
				continue
			}
			pc.Close()
			proto = "TCP and UDP"
		}
		fmt.Fprintf(w, "%s %s: can listen (%s)\n", l.name, l.addr, proto)
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.ClickHouse.DialTimeout+5*time.Second)
	defer cancel()
	version, exists, err := store.Probe(pctx, cfg.ClickHouse)
	if err != nil {
		errs = append(errs, err)
	} else {
		db := "exists"
		if !exists {
			db = "does not exist yet (serve and migrate create it)"
		}
		_, support := store.Support(version)
		fmt.Fprintf(w, "ClickHouse %s answers at %s (%s); database %s %s\n", version, strings.Join(cfg.ClickHouse.Addr, ","), support, cfg.ClickHouse.Database, db)
	}
	if len(errs) > 0 {
		return fmt.Errorf("probe failed:\n%w", errors.Join(errs...))
	}
	return nil
}

// errInUse is what probeServe says of a listen address that is taken.
var errInUse = errors.New("something listens there already (a running acdstat serve? --probe is for before serve starts)")

// listenError says "something listens there already" for an address in
// use, the usual case when check-config --probe runs beside serve.
func listenError(err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return errInUse
	}
	return err
}

// printSwitchZones lists the zone in which each switch's local times are
// read (cdr.Settings.SwitchZone): the switches the queue file lists, then
// any other switch, with where its zone comes from.
func printSwitchZones(w io.Writer, settings *cdr.Settings, fallback *time.Location) {
	fmt.Fprintln(w, "local times (queue_log table exports, CDR files) are read per switch in:")
	names := make([]string, 0, len(settings.SwitchZones))
	for n := range settings.SwitchZones {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, settings.SwitchZone(n, fallback))
	}
	other, from := fallback, "ACDSTAT_SWITCH_TIMEZONE"
	if settings.DefaultSwitchZone != nil {
		other, from = settings.DefaultSwitchZone, "defaults.timezone"
	}
	label := "any other switch"
	if len(names) == 0 {
		label = "every switch"
	}
	fmt.Fprintf(w, "  %-16s %s (%s)\n", label, other, from)
}
