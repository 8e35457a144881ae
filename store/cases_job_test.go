package store

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/simulate"
)

// TestCaseJobMatchesSimulator: the simulator's cases and contacts of
// October and November 2016, decoded from its CSV exports, stored and
// counted by the case job, give the simulator's truth per desk and month;
// October is reported on 3 November, then the states of later days arrive
// (reopenings within 7 days move closures out of October) and the job
// counts October again to the new truth.
func TestCaseJobMatchesSimulator(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	sim, err := simulate.GenerateCases(simulate.CaseConfig{System: "sn", Start: time.Date(2016, 10, 1, 0, 0, 0, 0, loc), Days: 61, Seed: 18})
	if err != nil {
		t.Fatal(err)
	}
	settings := simDesks(sim, loc)
	job := aggregate.NewCaseJob(slog.New(slog.DiscardHandler), aggregate.FixedSettings(settings), s, s, s)
	reported := time.Date(2016, 11, 3, 0, 0, 0, 0, loc)
	early, late := sim.StatesUntil(reported)
	send := func(dec cdr.DecodeFunc, text string) {
		t.Helper()
		var evs []cdr.Event
		err := dec(strings.NewReader(text), cdr.DecodeOptions{Switch: "sn"}, func(b cdr.Batch) error {
			if len(b.Rejects) > 0 {
				t.Fatalf("refused: %v", b.Rejects[0])
			}
			evs = append(evs, b.Events...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.InsertEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, truth []simulate.CaseTruthMonth) {
		t.Helper()
		if _, err := job.Run(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.DeskMonths(ctx, "", time.Date(2016, 1, 1, 0, 0, 0, 0, loc), time.Date(2017, 6, 1, 0, 0, 0, 0, loc))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(truth) {
			t.Errorf("%s: %d desk months, truth has %d", when, len(got), len(truth))
			for _, g := range got {
				t.Logf("got %s %s", g.Desk, g.Month.In(loc).Format("2006-01"))
			}
		}
		for i := range min(len(got), len(truth)) {
			g, w := got[i], truth[i]
			gs := fmt.Sprintf("%s %s registered %d fc %d/%d phone %d closed %d within %d/%d contacts %v", g.Desk, g.Month.In(loc).Format("2006-01"),
				g.Registered, g.FirstContact, g.FirstContactKnown, g.PhoneCases, g.Closed, g.WithinDeadline, g.DeadlineCases, sortedCounts(g.Contacts))
			ws := fmt.Sprintf("%s %s registered %d fc %d/%d phone %d closed %d within %d/%d contacts %v", w.Desk, w.Month,
				w.Registered, w.FirstContact, w.FirstContactKnown, w.PhoneCases, w.Closed, w.WithinDeadline, w.DeadlineCases, sortedTruth(w.Contacts))
			if gs != ws {
				t.Errorf("%s:\n got %s\nwant %s", when, gs, ws)
			}
		}
	}
	send(cdr.DecodeContacts, simulate.ContactsCSV(sim.Contacts))
	send(cdr.DecodeCases, simulate.CasesCSV(early))
	first := sim.Truth(reported)
	check("reported on 3 November", first)
	send(cdr.DecodeCases, simulate.CasesCSV(late))
	final := sim.Truth(time.Date(2017, 1, 1, 0, 0, 0, 0, loc))
	check("after all states", final)
	// The test means something only if the later states changed October.
	if first[0].Month != "2016-10" || final[0].Month != "2016-10" || first[0].Closed == final[0].Closed {
		t.Errorf("the later states did not change October's closed cases of %s: %+v then %+v", first[0].Desk, first[0], final[0])
	}
	// Sending everything again changes nothing.
	send(cdr.DecodeCases, simulate.CasesCSV(sim.States))
	send(cdr.DecodeContacts, simulate.ContactsCSV(sim.Contacts))
	check("after a resend", final)

	// A new settings version in which critical cases have no time at the
	// service desk: without new data, the job counts the desks anew, to
	// the truth of the same run with that setting.
	desks := simulate.DefaultCaseDesks()
	desks[0].CriticalDays = 0
	sim2, err := simulate.GenerateCases(simulate.CaseConfig{System: "sn", Start: time.Date(2016, 10, 1, 0, 0, 0, 0, loc), Days: 61, Seed: 18, Desks: desks})
	if err != nil {
		t.Fatal(err)
	}
	changed := simDesks(sim2, loc)
	changed.Version = "v2"
	job = aggregate.NewCaseJob(slog.New(slog.DiscardHandler), aggregate.FixedSettings(changed), s, s, s)
	if _, err := job.Run(ctx); err != nil { // a first run of a process
		t.Fatal(err)
	}
	check("with critical_days unset", sim2.Truth(time.Date(2017, 1, 1, 0, 0, 0, 0, loc)))
}

func sortedCounts(m map[string]uint64) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return b.String()
}

func sortedTruth(m map[string]int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return b.String()
}

// simDesks are the settings of the simulated desks (the queue file's desks
// section, sim.DesksYAML, which config parses; config imports the store,
// so its tests read that text).
func simDesks(sim *simulate.CaseSim, loc *time.Location) *cdr.Settings {
	s := &cdr.Settings{Desks: map[string]cdr.DeskSettings{}}
	for _, d := range sim.Desks() {
		ds := cdr.DefaultDeskSettings(d.Name)
		ds.Calendar.Location = loc
		ds.WorkingDays, ds.CriticalDays = d.WorkingDays, d.CriticalDays
		if d.PhoneFromCases {
			ds.Phone = cdr.PhoneCases
		}
		if d.WorkingDays {
			for wd, on := range d.Weekdays {
				if on {
					ds.Calendar.Hours[wd] = []cdr.MinuteRange{{From: 480, To: 960}}
				}
			}
			ds.Calendar.ClosedDates = map[string]bool{}
			for _, c := range d.Closed {
				ds.Calendar.ClosedDates[c] = true
			}
		}
		s.Desks[d.Name] = ds
	}
	return s
}
