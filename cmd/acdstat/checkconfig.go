package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
)

// cmdCheckConfig validates the settings and the queue file, prints what was
// understood, and exits: for a config change before a restart.
func cmdCheckConfig(ctx context.Context, p process, args []string) error {
	s, err := newSettings("check-config", p)
	if err != nil {
		return err
	}
	s.fs.StringVar(&s.cfg.Queues, "queues", s.cfg.Queues, "the queue and switch settings file (ACDSTAT_QUEUES)")
	if err := s.parse(args); err != nil {
		return err
	}
	settings, err := config.LoadQueues(s.cfg.Queues)
	if err != nil {
		return err
	}
	fallback, err := s.cfg.Intake.SwitchZone()
	if err != nil {
		return err
	}
	if s.cfg.Queues == "" {
		fmt.Fprintln(p.stdout, "settings are valid; no queue file (ACDSTAT_QUEUES): every queue gets the defaults")
		printSwitchZones(p.stdout, settings, fallback)
		return nil
	}
	names := make([]string, 0, len(settings.Queues))
	for n := range settings.Queues {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(p.stdout, "settings are valid; %s lists %d queues and %d switches:\n", s.cfg.Queues, len(names), len(settings.SwitchZones))
	for _, n := range names {
		q := settings.Queues[n]
		fmt.Fprintf(p.stdout, "  %-16s %-24s %s, sla %ds (%s, target %.0f %%), fcr target %.0f %%, opening hours: %v, Danish holidays: %v\n",
			n, q.Display, q.Location, q.SLAS, q.SLAFormula, q.SLATarget*100, q.FCRTarget*100, q.HasHours(), q.DanishHolidays)
	}
	printSwitchZones(p.stdout, settings, fallback)
	return nil
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
