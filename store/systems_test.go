package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// decodeProbes decodes a CSV of probes (or months' figures) at a fixed now.
func decodeProbes(t *testing.T, dec cdr.DecodeFunc, text string) []cdr.Event {
	t.Helper()
	var evs []cdr.Event
	err := dec(strings.NewReader(text), cdr.DecodeOptions{Switch: "monitor", Now: time.Date(2016, 11, 15, 0, 0, 0, 0, time.UTC)}, func(b cdr.Batch) error {
		if len(b.Rejects) > 0 {
			t.Fatalf("rejects: %v", b.Rejects[0])
		}
		evs = append(evs, b.Events...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestProbesAreCountedByTheRuleOfLimit stores probes of every kind among
// queue_log events, twice, and checks that they stay out of the events,
// that the job finds their slots, and that ProbeSlots judges each as
// cdr.SystemSettings.Limit does, each probe once.
func TestProbesAreCountedByTheRuleOfLimit(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	sys := cdr.DefaultSystemSettings("Orbit")
	sys.Thresholds["report"] = 60_000_000
	sys.Actions = map[string]string{"login": cdr.ClassDataHeavy, "monthly": "report"}
	base := time.Date(2016, 10, 3, 6, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("system,location,action,time,duration_ms,class,threshold_ms,ok\n")
	type probe struct {
		loc, action, class string
		ms, threshold      int64
		ok                 bool
		at                 time.Time
	}
	var probes []probe
	for i := range 400 {
		p := probe{loc: []string{"Herlev", "Rigshospitalet"}[i%2], action: []string{"search", "login", "monthly", "print"}[rng.IntN(4)],
			ms: rng.Int64N(20000), ok: rng.IntN(20) > 0, at: base.Add(time.Duration(i) * 20 * time.Second)}
		switch rng.IntN(6) {
		case 0:
			p.class = cdr.ClassStandard
		case 1:
			p.class = "huge" // not a class of Orbit: unjudged
		case 2:
			p.threshold = 1000 + rng.Int64N(5000)
		case 3:
			p.ms = 3000 // exactly at the standard threshold: within
		}
		probes = append(probes, p)
		fmt.Fprintf(&b, "Orbit,%s,%s,%s,%d,%s,", p.loc, p.action, p.at.Format(time.RFC3339), p.ms, p.class)
		if p.threshold > 0 {
			fmt.Fprint(&b, p.threshold)
		}
		fmt.Fprintf(&b, ",%v\n", p.ok)
	}
	evs := decodeProbes(t, cdr.DecodeProbes, b.String())
	evs = append(evs, decodeProbes(t, cdr.DecodeProbes, "system,location,action,time,duration_ms\nEPM3,Herlev,login,2016-10-03T06:00:00Z,10\n")...)
	evs = append(evs, event("pbx", "c1", "ENTERQUEUE", base))
	before, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // sent twice: one fact each
		if err := s.InsertEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.CountEvents(ctx); err != nil || n != 1 {
		t.Fatalf("events: got %d, %v; want the queue_log event alone", n, err)
	}
	slots, err := s.TouchedProbeSlots(ctx, before, before.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	orbit := 0
	for _, r := range slots {
		if r.System == "Orbit" {
			orbit++
		}
	}
	if orbit != 9 { // 400 probes, 20 s apart, from 06:00: 8,000 s, 9 quarter hours
		t.Errorf("touched slots of Orbit: got %d; want 9 (%v)", orbit, slots)
	}
	got, err := s.ProbeSlots(ctx, sys, base, base.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		loc  string
		slot int64
	}
	want := map[key]*cdr.ProbeSlot{}
	for _, p := range probes {
		k := key{p.loc, p.at.Truncate(15 * time.Minute).Unix()}
		w := want[k]
		if w == nil {
			w = &cdr.ProbeSlot{System: "Orbit", Location: p.loc, Slot: p.at.Truncate(15 * time.Minute)}
			want[k] = w
		}
		limit, judged := sys.Limit(p.action, p.class, p.threshold*1000)
		switch {
		case !judged:
			w.Unjudged++
		case p.ok && p.ms*1000 <= limit:
			w.Measured++
			w.Within++
		default:
			w.Measured++
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d slots; want %d", len(got), len(want))
	}
	var measured, within, unjudged uint64
	for _, g := range got {
		w := want[key{g.Location, g.Slot.Unix()}]
		if w == nil || *w != g {
			t.Errorf("slot %s %s: got %+v; want %+v", g.Location, g.Slot, g, w)
			continue
		}
		measured, within, unjudged = measured+g.Measured, within+g.Within, unjudged+g.Unjudged
	}
	if measured+unjudged != 400 || within == 0 || unjudged == 0 || within == measured {
		t.Errorf("got %d measured, %d within, %d unjudged; want every kind among 400", measured, within, unjudged)
	}
}

func TestProbeMonthsKeepEveryFigureOnce(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	before, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := decodeProbes(t, cdr.DecodeProbeMonths, "system,location,month,compliance,measured,within\nOrbit,,2016-10,99.5,,\nOrbit,Herlev,2016-10,,200,199\nGS,,2016-09,98,,\n")
	for range 2 {
		if err := s.InsertEvents(ctx, first); err != nil {
			t.Fatal(err)
		}
	}
	oct := time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC)
	got, err := s.ProbeMonths(ctx, "Orbit", oct)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %+v; want the two figures of Orbit in October, once each", got)
	}
	touched, err := s.TouchedProbeMonths(ctx, before, before.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(touched) != 2 {
		t.Errorf("touched: got %v; want Orbit 2016-10 and GS 2016-09", touched)
	}
	for _, r := range touched {
		if r.System == "Orbit" && !r.At.Equal(oct) {
			t.Errorf("Orbit's month: got %v; want %v", r.At, oct)
		}
	}
	// A corrected figure, stored later, is the one that counts.
	time.Sleep(1100 * time.Millisecond) // ingested_at has whole seconds
	if err := s.InsertEvents(ctx, decodeProbes(t, cdr.DecodeProbeMonths, "system,month,compliance\nOrbit,2016-10,99.7\n")); err != nil {
		t.Fatal(err)
	}
	got, err = s.ProbeMonths(ctx, "Orbit", oct)
	if err != nil {
		t.Fatal(err)
	}
	latest := cdr.LatestProbeMonths(got)
	if len(latest) != 2 || latest[0].Location != "" || latest[0].Compliance != "99.7" || latest[1].Measured != 200 {
		t.Errorf("latest: got %+v; want 99.7 for the whole system and Herlev's counts", latest)
	}
	systems, err := s.SystemsBetween(ctx, time.Date(2016, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !reflect.DeepEqual(systems, []string{"GS"}) {
		t.Errorf("systems of September: got %v, %v; want GS", systems, err)
	}
}

func TestSystemRowsAreReadAsWritten(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	sys := cdr.DefaultSystemSettings("Mail/kalender")
	sys.AgreedLevel = 9940
	oct := time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC)
	rows := cdr.SystemRows(sys, oct, nil, []cdr.ProbeMonth{{System: sys.Name, Month: oct, Compliance: "99.4"}}, "v1")
	other := cdr.DefaultSystemSettings("EPM3")
	days := []cdr.SystemLocationDay{{System: "EPM3", Location: "a", Day: time.Date(2016, 10, 3, 0, 0, 0, 0, other.Location).UTC(), Measured: 3, Within: 2, SettingsVersion: "v1"}}
	rows = append(rows, cdr.SystemRows(other, oct, days, nil, "v1")...)
	if err := s.WriteSystemRows(ctx, rows, 1); err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2016, 9, 30, 0, 0, 0, 0, time.UTC), time.Date(2016, 11, 1, 0, 0, 0, 0, time.UTC)
	got, err := s.SystemRows(ctx, cdr.PeriodMonth, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %+v; want the month rows of EPM3 and Mail/kalender", got)
	}
	e, m := got[0], got[1]
	if e.System != "EPM3" || e.BP != 6667 || e.Met != nil || e.Label() != "2016-10" || e.Pooled == nil {
		t.Errorf("EPM3: got %+v", e)
	}
	if m.System != "Mail/kalender" || m.BP != 9940 || m.Met == nil || !*m.Met || m.AgreedLevel != 9940 || m.Pooled != nil || m.Imported != 1 ||
		!m.LocalStart().Equal(time.Date(2016, 10, 1, 0, 0, 0, 0, sys.Location)) || m.Offset != 7200 {
		t.Errorf("Mail/kalender: got %+v; want 99.40 meeting 99.40", m)
	}
	days2, err := s.SystemRows(ctx, cdr.PeriodDay, from, to)
	if err != nil || len(days2) != 1 || days2[0].Label() != "2016-10-03" {
		t.Errorf("days: got %+v, %v; want EPM3's 3 October", days2, err)
	}
	// A recount replaces a row.
	again := cdr.SystemRows(sys, oct, nil, []cdr.ProbeMonth{{System: sys.Name, Month: oct, Compliance: "99.39"}}, "v2")
	if err := s.WriteSystemRows(ctx, again, 2); err != nil {
		t.Fatal(err)
	}
	got, err = s.SystemRows(ctx, cdr.PeriodMonth, from, to)
	if err != nil || len(got) != 2 || got[1].BP != 9939 || *got[1].Met || got[1].SettingsVersion != "v2" {
		t.Errorf("after a recount: got %+v, %v; want 99.39, not met", got, err)
	}
	months, err := s.SystemMonths(ctx)
	if err != nil || !reflect.DeepEqual(months, []string{"2016-10"}) {
		t.Errorf("months: got %v, %v; want 2016-10", months, err)
	}
	// The figures are the installation's: a reader limited to switches
	// reads none.
	if got, err := s.SystemRows(cdr.WithSwitches(ctx, []string{"pbx1"}), cdr.PeriodMonth, from, to); err != nil || len(got) != 0 {
		t.Errorf("limited reader: got %v, %v; want nothing", got, err)
	}

	// The views for BI.
	var name string
	var comp float64
	var level *float64
	var met *uint8
	if err := s.conn.QueryRow(ctx, "SELECT name, compliance, agreed_level, met FROM system_month WHERE system = 'Mail/kalender'").Scan(&name, &comp, &level, &met); err != nil {
		t.Fatal(err)
	}
	if name != "Mail/kalender" || comp != 0.9939 || level == nil || *level != 0.994 || met == nil || *met != 0 {
		t.Errorf("system_month: got %s %v %v %v; want 0.9939 against 0.994, not met", name, comp, deref(level), deref(met))
	}
	if err := s.conn.QueryRow(ctx, "SELECT agreed_level, met FROM system_month WHERE system = 'EPM3'").Scan(&level, &met); err != nil || level != nil || met != nil {
		t.Errorf("system_month of a system without a level: got %v %v, %v; want NULL, NULL", level, met, err)
	}
	var month string
	var systems, withLevel, metN uint64
	if err := s.conn.QueryRow(ctx, "SELECT month, systems, with_level, met FROM system_month_met").Scan(&month, &systems, &withLevel, &metN); err != nil {
		t.Fatal(err)
	}
	if month != "2016-10" || systems != 2 || withLevel != 1 || metN != 0 {
		t.Errorf("system_month_met: got %s %d %d %d; want 2016-10, 2 systems, 1 with a level, 0 met", month, systems, withLevel, metN)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system_day").Scan(&n); err != nil || n != 1 {
		t.Errorf("system_day: got %d rows, %v; want 1", n, err)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
