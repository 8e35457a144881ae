package cdr

import (
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// decodeRecords decodes in with dec and returns the events and rejects.
func decodeRecords(t *testing.T, dec DecodeFunc, in string, opt DecodeOptions) ([]Event, []*DecodeError) {
	t.Helper()
	var evs []Event
	var rejs []*DecodeError
	if err := dec(strings.NewReader(in), opt, func(b Batch) error {
		evs = append(evs, b.Events...)
		rejs = append(rejs, b.Rejects...)
		return nil
	}); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return evs, rejs
}

func TestDecodeContactsCSVAndJSON(t *testing.T) {
	csv := "id,desk,channel,time,subject\n" +
		"c1,servicedesk,Portal,2016-10-03T09:00:00+02:00,my password\n" +
		"c2,servicedesk,phone,2016-10-03T09:00:00+02:00,\n" +
		"c3,servicedesk,e mail,2016-10-03T09:00:00+02:00,\n" +
		"c4,,portal,2016-10-03T09:00:00+02:00,\n" +
		"c5,servicedesk,chat,2099-01-01T00:00:00Z,\n"
	opt := DecodeOptions{Switch: "portal", Now: time.Date(2016, 11, 1, 0, 0, 0, 0, time.UTC)}
	evs, rejs := decodeRecords(t, DecodeContacts, csv, opt)
	if len(evs) != 1 {
		t.Fatalf("got %d contacts, want 1: %v", len(evs), evs)
	}
	c, ok := ContactOf(&evs[0])
	if !ok || c.ID != "c1" || c.Desk != "servicedesk" || c.Channel != "portal" || c.System != "portal" ||
		!c.Time.Equal(time.Date(2016, 10, 3, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("contact = %+v", c)
	}
	want := map[int]string{3: "channel", 4: "channel", 5: "desk", 6: "time"}
	if len(rejs) != len(want) {
		t.Fatalf("rejects = %v, want lines %v", rejs, want)
	}
	for _, r := range rejs {
		if want[r.Line] != r.Field {
			t.Errorf("reject %v: want field %q on line %d", r, want[r.Line], r.Line)
		}
	}
	// The same contact as JSON with a map is the same fact (same id).
	js := `[{"number":"c1","group":"servicedesk","contact_type":"Self-service","opened":"2016-10-03 09:00:00"}]`
	m := &CDRMap{Columns: map[string]string{"id": "number", "desk": "group", "channel": "contact_type", "time": "opened"},
		Location: mustZone(t, "Europe/Copenhagen"), Values: map[string]map[string]string{"channel": {"self-service": "portal"}}}
	opt.Map = m
	evs2, rejs2 := decodeRecords(t, DecodeContacts, js, opt)
	if len(rejs2) != 0 || len(evs2) != 1 || evs2[0].ID != evs[0].ID {
		t.Errorf("json: events %v rejects %v; want the CSV's contact with id %x", evs2, rejs2, evs[0].ID)
	}
}

func TestDecodeCasesRulesAndRoundTrip(t *testing.T) {
	in := "id,desk,channel,criticality,opened,resolved,updated,first_contact,reopen_count,reopened,description\n" +
		"I1,servicedesk,portal,Høj,2016-10-03 09:00:00,2016-10-05 10:00:00,2016-10-05 10:00:00,nej,1,2016-10-04 08:00:00,patient Jensen\n" +
		"I2,servicedesk,phone,,2016-10-03 09:00:00,2016-10-03 09:10:00,,ja,,,\n" +
		"I3,servicedesk,phone,urgent,2016-10-03 09:00:00,,,,,,\n" +
		"I4,servicedesk,phone,high,2016-10-03 09:00:00,2016-10-01 09:00:00,,,,,\n" +
		"I5,servicedesk,phone,high,,,,,,,\n" +
		"I6,servicedesk,phone,high,2016-10-03 09:00:00,,,maybe,,,\n" +
		"I7,servicedesk,phone,high,2016-10-03 09:00:00,,,,-1,,patient Jensen\n"
	opt := DecodeOptions{Switch: "sn", Location: mustZone(t, "Europe/Copenhagen")}
	evs, rejs := decodeRecords(t, DecodeCases, in, opt)
	want := map[int]string{4: "criticality", 5: "resolved", 6: "opened", 7: "first_contact", 8: "reopen_count"}
	if len(rejs) != len(want) {
		t.Fatalf("rejects = %v, want fields on lines %v", rejs, want)
	}
	for _, r := range rejs {
		if want[r.Line] != r.Field {
			t.Errorf("reject %v: want field %q on line %d", r, want[r.Line], r.Line)
		}
		if r.Raw != "" {
			t.Errorf("reject of line %d keeps its text %q", r.Line, r.Raw)
		}
	}
	if len(evs) != 2 {
		t.Fatalf("got %d cases, want 2", len(evs))
	}
	for _, e := range evs {
		for _, d := range e.Data {
			if strings.Contains(d, "Jensen") {
				t.Errorf("free text stored: %v", e)
			}
		}
	}
	c, ok := CaseStateOf(&evs[0])
	cet := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, opt.Location)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	if !ok || c.ID != "I1" || c.Criticality != CriticalityHigh || c.FirstContact != 0 || c.ReopenCount != 1 ||
		!c.Opened.Equal(cet("2016-10-03 09:00:00")) || !c.Resolved.Equal(cet("2016-10-05 10:00:00")) ||
		!c.Reopened.Equal(cet("2016-10-04 08:00:00")) || !c.Updated.Equal(cet("2016-10-05 10:00:00")) {
		t.Errorf("case I1 = %+v", c)
	}
	if e := c.Event(); e.ID != evs[0].ID {
		t.Errorf("CaseState.Event id %x, want %x", e.ID, evs[0].ID)
	}
	c2, _ := CaseStateOf(&evs[1])
	// Without updated, the state stands at its latest time: the resolution.
	if c2.FirstContact != 1 || c2.ReopenCount != -1 || !c2.Updated.Equal(cet("2016-10-03 09:10:00")) {
		t.Errorf("case I2 = %+v", c2)
	}
}

func TestDeskWithinWorkingDays(t *testing.T) {
	loc := mustZone(t, "Europe/Copenhagen")
	d := DefaultDeskSettings("klinisk")
	d.WorkingDays = true
	d.Calendar.Location = loc
	d.Calendar.Hours[time.Monday] = []MinuteRange{{From: 480, To: 960}}
	d.Calendar.Hours[time.Tuesday] = []MinuteRange{{From: 480, To: 960}}
	d.Calendar.Hours[time.Wednesday] = []MinuteRange{{From: 480, To: 960}}
	d.Calendar.Hours[time.Thursday] = []MinuteRange{{From: 480, To: 960}}
	d.Calendar.Hours[time.Friday] = []MinuteRange{{From: 480, To: 900}}
	d.Calendar.ClosedDates = map[string]bool{"2016-10-11": true}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// Friday 7 October 2016, high (3 working days): Mon 10, (Tue 11
	// closed), Wed 12, Thu 13: due by Thursday 24:00.
	for _, tc := range []struct {
		resolved string
		working  bool
		calendar bool
	}{
		{"2016-10-10 10:00:00", true, true},
		{"2016-10-10 14:00:01", true, false}, // calendar: 3 × 24 h from Friday 14:00
		{"2016-10-13 23:59:59", true, false},
		{"2016-10-14 00:00:00", false, false},
	} {
		w, ok := d.Within(CriticalityHigh, at("2016-10-07 14:00:00"), at(tc.resolved))
		if !ok || w != tc.working {
			t.Errorf("working days, resolved %s: within %v ok %v, want %v", tc.resolved, w, ok, tc.working)
		}
		cal := d
		cal.WorkingDays = false
		w, _ = cal.Within(CriticalityHigh, at("2016-10-07 14:00:00"), at(tc.resolved))
		if w != tc.calendar {
			t.Errorf("calendar days, resolved %s: within %v, want %v", tc.resolved, w, tc.calendar)
		}
	}
	if _, ok := d.Within(CriticalityCritical, at("2016-10-07 14:00:00"), at("2016-10-07 15:00:00")); ok {
		t.Error("critical without a setting has a time")
	}
	d.CriticalDays = 1
	if w, ok := d.Within(CriticalityCritical, at("2016-10-07 14:00:00"), at("2016-10-10 15:00:00")); !ok || !w {
		t.Errorf("critical, 1 working day, Friday to Monday: within %v ok %v", w, ok)
	}
}

func TestCasesProvisional(t *testing.T) {
	loc := mustZone(t, "Europe/Copenhagen")
	oct := MonthStart(time.Date(2016, 10, 15, 0, 0, 0, 0, time.UTC), loc)
	if !CasesProvisional(oct, loc, time.Date(2016, 11, 7, 22, 59, 59, 0, time.UTC)) {
		t.Error("October's closures are final before 8 November 00:00 local")
	}
	if CasesProvisional(oct, loc, time.Date(2016, 11, 7, 23, 0, 0, 0, time.UTC)) {
		t.Error("October's closures are provisional on 8 November 00:00 local")
	}
}

func FuzzDecodeCases(f *testing.F) {
	f.Add("id,desk,opened,resolved,criticality,first_contact,reopen_count,reopened\nI1,sd,1475485200,1475485300,high,0,1,1475485250\n")
	f.Add(`[{"id":"I1","desk":"sd","opened":"2016-10-03T09:00:00Z","channel":"portal"}]`)
	f.Fuzz(func(t *testing.T, in string) {
		for _, dec := range []DecodeFunc{DecodeCases, DecodeContacts} {
			err := dec(strings.NewReader(in), DecodeOptions{}, func(b Batch) error {
				for _, r := range b.Rejects {
					if r.Line < 1 {
						t.Fatalf("reject with line %d: %v", r.Line, r)
					}
				}
				for i := range b.Events {
					e := &b.Events[i]
					if e.ID != EventID(e) {
						t.Fatalf("event id is not EventID: %v", e)
					}
					if _, ok := CaseStateOf(e); e.Source == SourceCase && !ok {
						t.Fatalf("case event does not read back: %v", e)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("decode error %v", err)
			}
		}
	})
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestDecodeCasesJSONAfterBlankLines: JSON is told from CSV by its first
// byte after blanks, however the reader hands the bytes over.
func TestDecodeCasesJSONAfterBlankLines(t *testing.T) {
	in := "\n\n   \n" + `[{"id":"I1","desk":"sd","opened":"2016-10-03T09:00:00Z"}]`
	var n int
	err := DecodeCases(iotest.OneByteReader(strings.NewReader(in)), DecodeOptions{}, func(b Batch) error {
		if len(b.Rejects) > 0 {
			t.Errorf("refused: %v", b.Rejects[0])
		}
		n += len(b.Events)
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("decoded %d cases (%v); want 1", n, err)
	}
}

// TestLiveTakesNoContactsOrCases: the live state follows calls; contacts
// and cases (events of intake too) are not calls and are not kept there.
func TestLiveTakesNoContactsOrCases(t *testing.T) {
	evs, rejs := decodeRecords(t, DecodeCases, "id,desk,opened\nI1,sd,2016-10-03T09:00:00Z\n", DecodeOptions{Switch: "sn"})
	cts, rejs2 := decodeRecords(t, DecodeContacts, "id,desk,channel,time\nC1,sd,portal,2016-10-03T09:00:00Z\n", DecodeOptions{Switch: "portal"})
	if len(evs) != 1 || len(cts) != 1 || len(rejs)+len(rejs2) != 0 {
		t.Fatalf("decoded %v %v", evs, cts)
	}
	l := NewLive(LiveOptions{})
	l.Add(append(evs, cts...))
	if l.Kept() != 0 || len(l.calls) != 0 || len(l.agents) != 0 {
		t.Errorf("the live state keeps contacts or cases: %d events, %d calls, %d agents", l.Kept(), len(l.calls), len(l.agents))
	}
}

// TestCasesGolden decodes the hand-written inputs of testdata/cases: the
// rules of the case and contact fields, a local time in the repeated hour
// of 30 October 2016 (read as Go reads it, in winter time: a case's times
// are days apart, so an hour does not matter), and no queue call from them.
func TestCasesGolden(t *testing.T) {
	for _, c := range []struct {
		in  string
		dec DecodeFunc
	}{
		{"cases.csv", DecodeCases},
		{"contacts.ndjson", DecodeContacts},
	} {
		t.Run(c.in, func(t *testing.T) {
			in := "testdata/cases/" + c.in
			_, _, calls := cdrGolden(t, c.dec, in, in+".golden", cdrOpt(t))
			if len(calls) != 0 {
				t.Errorf("contacts or cases made queue calls: %v", calls)
			}
		})
	}
}
