package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/chtest"
)

// decodeCases decodes a case CSV of system sys.
func decodeCases(t *testing.T, sys, in string) []cdr.Event {
	t.Helper()
	var evs []cdr.Event
	err := cdr.DecodeCases(strings.NewReader(in), cdr.DecodeOptions{Switch: sys}, func(b cdr.Batch) error {
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

// TestCasesStoredOnceByUpdated: a case sent again with a later state
// replaces its earlier one, a resent state is one state, a case that moved
// desk is found by both desks, and contacts and cases never reach events.
func TestCasesStoredOnceByUpdated(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	head := "id,desk,channel,criticality,opened,resolved,updated,first_contact\n"
	first := decodeCases(t, "sn", head+
		"I1,sd,portal,high,2016-10-03T09:00:00Z,,2016-10-03T09:00:00Z,0\n"+
		"I2,sd,phone,,2016-10-03T09:00:00Z,2016-10-03T09:05:00Z,,1\n")
	later := decodeCases(t, "sn", head+
		"I1,klinisk,portal,high,2016-10-03T09:00:00Z,2016-10-05T09:00:00Z,2016-10-05T09:00:00Z,0\n")
	var contacts []cdr.Event
	err := cdr.DecodeContacts(strings.NewReader("id,desk,channel,time\nC1,sd,portal,2016-10-04T08:00:00Z\n"), cdr.DecodeOptions{Switch: "portal"},
		func(b cdr.Batch) error { contacts = append(contacts, b.Events...); return nil })
	if err != nil || len(contacts) != 1 {
		t.Fatalf("contacts: %v %v", contacts, err)
	}
	before, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The later state first, then the first states twice: the order of
	// arrival does not matter.
	for _, b := range [][]cdr.Event{later, first, first, contacts, contacts} {
		if err := s.InsertEvents(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil || n != 0 {
		t.Errorf("events holds %d rows (%v), want none", n, err)
	}
	desks, err := s.CaseTouches(ctx, before.Add(-time.Minute), before.Add(time.Hour))
	if err != nil || strings.Join(desks, ",") != "klinisk,sd" {
		t.Errorf("touched desks %v (%v), want klinisk,sd", desks, err)
	}
	states, cts, err := s.DeskRecords(ctx, []string{"sd"})
	if err != nil {
		t.Fatal(err)
	}
	latest := cdr.LatestCases(states)
	if len(latest) != 2 || latest[0].ID != "I1" || latest[0].Desk != "klinisk" || latest[0].Resolved.IsZero() ||
		latest[1].ID != "I2" || latest[1].FirstContact != 1 || latest[1].Reopened.IsZero() != true {
		t.Errorf("latest states of desk sd's cases: %+v", latest)
	}
	if got := cdr.LatestContacts(cts); len(got) != 1 || got[0].Channel != "portal" {
		t.Errorf("contacts: %+v", got)
	}
	// Merged, the table holds one state per case: the latest.
	if err := s.conn.Exec(ctx, "OPTIMIZE TABLE cases FINAL"); err != nil {
		t.Fatal(err)
	}
	var desk string
	if err := s.conn.QueryRow(ctx, "SELECT count(), any(desk) FROM cases WHERE case_id = 'I1'").Scan(&n, &desk); err != nil || n != 1 || desk != "klinisk" {
		t.Errorf("cases after merge: %d rows of I1 in %q (%v), want 1 in klinisk", n, desk, err)
	}
}

// TestDeskMonthsReplaced: the months of a desk written again replace the
// earlier ones, and a month or channel that has nothing left reads as
// nothing, in DeskMonths and the views.
func TestDeskMonthsReplaced(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	oct := time.Date(2016, 9, 30, 22, 0, 0, 0, time.UTC)
	nov := time.Date(2016, 10, 31, 23, 0, 0, 0, time.UTC)
	zones := map[string]string{"sd": "Europe/Copenhagen"}
	first := []cdr.DeskMonth{
		{Desk: "sd", Month: oct, Registered: 3, Closed: 2, DeadlineCases: 2, WithinDeadline: 1, FirstContactKnown: 3, FirstContact: 1, Contacts: map[string]uint64{"portal": 4, "mail": 1}},
	}
	if err := s.WriteDeskMonths(ctx, []string{"sd"}, zones, first, 1); err != nil {
		t.Fatal(err)
	}
	// A reopening moved a closure to November and the mail contact was
	// corrected to the portal.
	second := []cdr.DeskMonth{
		{Desk: "sd", Month: oct, Registered: 3, Closed: 1, FirstContactKnown: 3, FirstContact: 1, Contacts: map[string]uint64{"portal": 5}},
		{Desk: "sd", Month: nov, Closed: 1, DeadlineCases: 1, WithinDeadline: 0},
	}
	if err := s.WriteDeskMonths(ctx, []string{"sd"}, zones, second, 2); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeskMonths(ctx, "", oct, nov.AddDate(0, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Closed != 1 || got[0].DeadlineCases != 0 || len(got[0].Contacts) != 1 || got[0].Contacts["portal"] != 5 ||
		got[1].Closed != 1 || !got[1].Month.Equal(nov) {
		t.Errorf("desk months: %+v", got)
	}
	// November is emptied again: it reads as nothing.
	if err := s.WriteDeskMonths(ctx, []string{"sd"}, zones, second[:1], 3); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.DeskMonths(ctx, "sd", oct, nov.AddDate(0, 2, 0)); len(got) != 1 {
		t.Errorf("after emptying November: %+v", got)
	}
	var reg, closed uint64
	var fcr *float64
	if err := s.conn.QueryRow(ctx, "SELECT registered, closed, fcr_rate FROM cases_month WHERE desk = 'sd'").Scan(&reg, &closed, &fcr); err != nil {
		t.Fatal(err)
	}
	if reg != 3 || closed != 1 || fcr == nil || *fcr < 0.333 || *fcr > 0.334 {
		t.Errorf("cases_month: registered %d closed %d fcr %v", reg, closed, fcr)
	}
	var within *float64
	if err := s.conn.QueryRow(ctx, "SELECT within_rate FROM cases_month WHERE desk = 'sd'").Scan(&within); err != nil || within != nil {
		t.Errorf("cases_month within_rate with no deadline cases: %v (%v), want null", within, err)
	}
	var contacts uint64
	if err := s.conn.QueryRow(ctx, "SELECT sum(contacts) FROM contacts_month WHERE desk = 'sd'").Scan(&contacts); err != nil || contacts != 5 {
		t.Errorf("contacts_month: %d (%v), want 5", contacts, err)
	}
}

// TestClusterCaseReads: on a cluster, where contacts and cases are
// Distributed tables, the case job's reads (the desks touched, every state
// of a desk's cases and contacts) and its desk months, written through one
// node and read through a node of the other shard, give what the single
// server gives. Before, the reads' plain IN of one Distributed table inside
// another was refused (code 288) and the case job failed on every run.
func TestClusterCaseReads(t *testing.T) {
	tc := chtest.Cluster(t)
	db := tc.NewDatabase(t)
	ctx := context.Background()
	w := openCluster(t, db, true, tc.Addrs[0])
	r := openCluster(t, db, false, tc.Addrs[3]).ConsistentReads()
	head := "id,desk,channel,criticality,opened,resolved,updated,first_contact\n"
	var rows strings.Builder
	rows.WriteString(head)
	// Enough cases for both shards to hold some.
	for i := range 20 {
		fmt.Fprintf(&rows, "I%d,sd,portal,high,2016-10-03T09:00:00Z,,2016-10-03T09:00:00Z,0\n", i)
	}
	first := decodeCases(t, "sn", rows.String())
	later := decodeCases(t, "sn", head+"I7,klinisk,portal,high,2016-10-03T09:00:00Z,2016-10-05T09:00:00Z,2016-10-05T09:00:00Z,0\n")
	before, err := w.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]cdr.Event{first, later} {
		if err := w.InsertEvents(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	desks, err := r.CaseTouches(ctx, before.Add(-time.Minute), before.Add(time.Hour))
	if err != nil || strings.Join(desks, ",") != "klinisk,sd" {
		t.Fatalf("touched desks %v (%v), want klinisk,sd", desks, err)
	}
	states, _, err := r.DeskRecords(ctx, []string{"klinisk"})
	if err != nil {
		t.Fatal(err)
	}
	// Desk klinisk's one case, with both its states (the first named sd).
	if latest := cdr.LatestCases(states); len(states) != 2 || len(latest) != 1 || latest[0].ID != "I7" || latest[0].Desk != "klinisk" {
		t.Errorf("states of desk klinisk's cases: %+v", states)
	}
	states, _, err = r.DeskRecords(ctx, []string{"sd"})
	if err != nil || len(cdr.LatestCases(states)) != 20 {
		t.Errorf("desk sd's cases: %d latest states (%v), want 20", len(cdr.LatestCases(states)), err)
	}
	oct := time.Date(2016, 9, 30, 22, 0, 0, 0, time.UTC)
	zones := map[string]string{"sd": "Europe/Copenhagen", "klinisk": "Europe/Copenhagen"}
	if err := w.WriteDeskMonths(ctx, []string{"sd", "klinisk"}, zones, []cdr.DeskMonth{
		{Desk: "sd", Month: oct, Registered: 19, Contacts: map[string]uint64{"portal": 2}},
		{Desk: "klinisk", Month: oct, Registered: 1, Closed: 1},
	}, 1); err != nil {
		t.Fatal(err)
	}
	// Written again without sd's portal contacts: they read as nothing.
	if err := w.WriteDeskMonths(ctx, []string{"sd"}, zones, []cdr.DeskMonth{{Desk: "sd", Month: oct, Registered: 19}}, 2); err != nil {
		t.Fatal(err)
	}
	got, err := r.DeskMonths(ctx, "", oct, oct.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Desk != "klinisk" || got[0].Closed != 1 || got[1].Desk != "sd" || got[1].Registered != 19 || len(got[1].Contacts) != 0 {
		t.Errorf("desk months: %+v", got)
	}
}
