package cdr

import (
	"reflect"
	"testing"
	"time"
)

func cph(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// hospital is the first customer's desk: Mon–Thu 08–16, Fri 08–15, Danish
// holidays closed, sla_s 300, short_abandon_s 5.
func hospital(t *testing.T) *Settings {
	t.Helper()
	q := DefaultQueueSettings("sd")
	for d := time.Monday; d <= time.Thursday; d++ {
		q.Hours[d] = []MinuteRange{{8 * 60, 16 * 60}}
	}
	q.Hours[time.Friday] = []MinuteRange{{8 * 60, 15 * 60}}
	q.DanishHolidays = true
	return &Settings{Queues: map[string]QueueSettings{"sd": q}}
}

func call(id string, enter time.Time, o Outcome, wait, talk uint32) QueueCall {
	return QueueCall{Switch: "pbx", CallID: id, Queue: "sd", Outcome: o, EnterTime: enter.UTC(), WaitS: wait, TalkS: talk}
}

// rowsByKey indexes rows by bucket start and in_hours.
func rowsByKey(rows []RollupRow) map[string]RollupRow {
	m := map[string]RollupRow{}
	for _, r := range rows {
		k := r.Keys.Bucket.UTC().Format(time.RFC3339)
		if r.InHours {
			k += " in"
		}
		m[k] = r
	}
	return m
}

func TestRollupCountsEveryFigure(t *testing.T) {
	loc := cph(t)
	at := time.Date(2025, 10, 28, 10, 3, 0, 0, loc) // a Tuesday, open
	tr := call("t", at, Answered, 10, 50)
	tr.Transferred = true
	calls := []QueueCall{
		call("a1", at, Answered, 300, 100), // sla edge: within
		call("a2", at, Answered, 301, 60),  // just over
		tr,                                 // transferred, within
		call("b1", at, Abandoned, 4, 0),    // short abandon, within
		call("b2", at, Abandoned, 5, 0),    // short edge: not short
		call("b3", at, Abandoned, 400, 0),  // not within
		call("to", at, Timeout, 600, 0),    // timeout
		call("k", at, ExitKey, 20, 0),      // exit key
		call("x", at, ExitOther, 0, 0),     // exit other
		call("u", at, Unknown, 2000, 0),    // unknown, coarse histogram
		call("w", at, Waiting, 30, 0),      // not offered
	}
	rows := Rollup(calls, hospital(t), nil)
	if len(rows) != 1 {
		t.Fatalf("got %d rows; want 1: %+v", len(rows), rows)
	}
	r := rows[0]
	want := Counts{
		Offered: 10, Answered: 3, Abandoned: 3, Timeout: 1, ExitKey: 1, ExitOther: 1, Unknown: 1,
		ShortAbandoned: 1, AnsweredWithinSLA: 2, AbandonedWithinSLA: 2, Transferred: 1,
		WaitAnsweredS: 611, WaitAllS: 300 + 301 + 10 + 4 + 5 + 400 + 600 + 20 + 0 + 2000, TalkS: 210, MaxWaitS: 2000,
		WaitHist:       map[uint32]uint64{300: 1, 301: 1, 10: 1, 4: 1, 5: 1, 400: 1, 600: 1, 20: 1, 0: 1, WaitBucket(2000): 1},
		AnsweredWaits:  map[uint32]uint64{300: 1, 301: 1, 10: 1},
		AbandonedWaits: map[uint32]uint64{4: 1, 5: 1, 400: 1},
	}
	if !reflect.DeepEqual(r.Counts, want) {
		t.Fatalf("counts:\n got %+v\nwant %+v", r.Counts, want)
	}
	if !r.InHours || r.Switch != "pbx" || r.Queue != "sd" || r.SLAS != 300 || r.ShortAbandonS != 5 || r.SLAFormula != FormulaOfferedExclShort || r.TZ != "Europe/Copenhagen" {
		t.Fatalf("row fields: %+v", r)
	}
	if wantB := time.Date(2025, 10, 28, 10, 0, 0, 0, loc); !r.Keys.Bucket.Equal(wantB) || !r.Keys.Day.Equal(time.Date(2025, 10, 28, 0, 0, 0, 0, loc)) || !r.Keys.Month.Equal(time.Date(2025, 10, 1, 0, 0, 0, 0, loc)) {
		t.Fatalf("keys: %+v", r.Keys)
	}
}

func TestRollupSettingsPerQueue(t *testing.T) {
	s := hospital(t)
	q := s.Queues["sd"]
	q.SLAS, q.ShortAbandonS = 20, 0
	s.Queues["sd"] = q
	at := time.Date(2025, 10, 28, 10, 3, 0, 0, cph(t))
	rows := Rollup([]QueueCall{call("a", at, Answered, 20, 1), call("b", at, Answered, 21, 1), call("c", at, Abandoned, 0, 0)}, s, nil)
	c := rows[0].Counts
	if c.AnsweredWithinSLA != 1 || c.ShortAbandoned != 0 || c.AbandonedWithinSLA != 1 || rows[0].SLAS != 20 {
		t.Fatalf("got %+v; want 1 answered within 20 s, no short abandon with short_abandon_s 0", c)
	}
}

// TestRollupRecordsTheSettingsVersion checks that every row, zeros
// included, records the version of the settings it was counted with, and
// that no settings are the built-in defaults' version.
func TestRollupRecordsTheSettingsVersion(t *testing.T) {
	s := hospital(t)
	s.Version = "5f2a0c9e1b7d"
	at := time.Date(2025, 10, 28, 10, 3, 0, 0, cph(t))
	empty := BucketRef{Switch: "pbx", Queue: "sd", Start: at.Add(time.Hour)}
	rows := Rollup([]QueueCall{call("a", at, Answered, 20, 1)}, s, []BucketRef{empty})
	if len(rows) != 3 {
		t.Fatalf("got %d rows; want 3 (the call's, and both rows of the empty bucket)", len(rows))
	}
	for _, r := range rows {
		if r.SettingsVersion != s.Version {
			t.Errorf("row %v in_hours %v: settings version %q; want %q", r.Keys.Bucket, r.InHours, r.SettingsVersion, s.Version)
		}
	}
	if rows := Rollup([]QueueCall{call("a", at, Answered, 20, 1)}, nil, nil); rows[0].SettingsVersion != DefaultSettingsVersion {
		t.Errorf("without settings: settings version %q; want the defaults' %q", rows[0].SettingsVersion, DefaultSettingsVersion)
	}
}

func TestRollupInHoursFridayCloseAndHoliday(t *testing.T) {
	loc := cph(t)
	f := func(name string, at time.Time, wantIn bool) {
		t.Helper()
		rows := Rollup([]QueueCall{call("c", at, Answered, 1, 1)}, hospital(t), nil)
		if len(rows) != 1 || rows[0].InHours != wantIn || rows[0].Counts.Offered != 1 {
			t.Fatalf("%s: got %+v; want one row with in_hours %v", name, rows, wantIn)
		}
	}
	f("friday 14:59:59", time.Date(2025, 10, 31, 14, 59, 59, 0, loc), true)
	f("friday 15:00", time.Date(2025, 10, 31, 15, 0, 0, 0, loc), false)
	f("thursday 15:00", time.Date(2025, 10, 30, 15, 0, 0, 0, loc), true)
	f("thursday 16:00", time.Date(2025, 10, 30, 16, 0, 0, 0, loc), false)
	f("monday 07:59", time.Date(2025, 10, 27, 7, 59, 0, 0, loc), false)
	f("saturday", time.Date(2025, 11, 1, 10, 0, 0, 0, loc), false)
	f("christmas day (a Thursday)", time.Date(2025, 12, 25, 10, 0, 0, 0, loc), false)
	f("ascension day 2025 (Thursday 29 May)", time.Date(2025, 5, 29, 10, 0, 0, 0, loc), false)
	f("Store Bededag 2024 is no longer a holiday (Friday 26 April)", time.Date(2024, 4, 26, 10, 0, 0, 0, loc), true)
}

func TestRollupEmptyBucketsGiveZeroRows(t *testing.T) {
	loc := cph(t)
	b := time.Date(2025, 10, 28, 10, 0, 0, 0, loc)
	other := time.Date(2025, 10, 28, 11, 7, 0, 0, loc)
	rows := Rollup([]QueueCall{call("c", other, Answered, 1, 1)}, hospital(t), []BucketRef{{Switch: "pbx", Queue: "sd", Start: b.Add(7 * time.Minute)}})
	m := rowsByKey(rows)
	if len(rows) != 3 {
		t.Fatalf("got %d rows; want the asked bucket twice (zeros) and the call's bucket: %+v", len(rows), rows)
	}
	for _, k := range []string{b.UTC().Format(time.RFC3339), b.UTC().Format(time.RFC3339) + " in"} {
		r, ok := m[k]
		if !ok || r.Counts.Offered != 0 || r.SLAFormula == "" || r.Keys.Day.IsZero() {
			t.Fatalf("bucket %s: got %+v, %v; want a zero row with settings and keys", k, r, ok)
		}
	}
}

func TestRollupDaylightSavingDay(t *testing.T) {
	loc := cph(t)
	// 26 October 2025: 02:00–03:00 local happens twice. One call in each
	// 02:30, in distinct UTC buckets, both on the local day of the 26th.
	first := time.Date(2025, 10, 26, 0, 30, 0, 0, time.UTC)  // 02:30 CEST
	second := time.Date(2025, 10, 26, 1, 30, 0, 0, time.UTC) // 02:30 CET
	late := time.Date(2025, 10, 26, 22, 59, 0, 0, time.UTC)  // 23:59 CET, same day
	rows := Rollup([]QueueCall{call("a", first, Answered, 1, 1), call("b", second, Answered, 1, 1), call("c", late, Abandoned, 1, 0)}, hospital(t), nil)
	if len(rows) != 3 {
		t.Fatalf("got %d rows; want 3", len(rows))
	}
	day := time.Date(2025, 10, 26, 0, 0, 0, 0, loc)
	var hours []time.Time
	for _, r := range rows {
		if !r.Keys.Day.Equal(day) || r.InHours {
			t.Fatalf("row %v: day %v in_hours %v; want %v, false (a Sunday)", r.Keys.Bucket, r.Keys.Day, r.InHours, day)
		}
		hours = append(hours, r.Keys.Hour)
	}
	if hours[0].Equal(hours[1]) {
		t.Fatalf("both 02:30s share the hour %v; want two local hours", hours[0])
	}
	if d := rows[2].Keys.Day; d.Add(25*time.Hour).After(rows[2].Keys.Bucket) != true {
		t.Fatalf("the day of 23:59 starts at %v", d)
	}
}

func TestBucketOf(t *testing.T) {
	got := BucketOf(time.Date(2025, 1, 1, 10, 14, 59, 999, time.UTC))
	if want := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("got %v; want %v", got, want)
	}
}
