package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func cph(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestQueueFileExample(t *testing.T) {
	s, err := LoadQueues(filepath.Join("..", "deploy", "queues.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	loc := cph(t)
	if got := s.DefaultSwitchZone.String(); got != "Europe/Copenhagen" {
		t.Errorf("default switch zone: got %v; want %v", got, "Europe/Copenhagen")
	}
	if got := s.SwitchZones["pbx1"].String(); got != "Europe/Copenhagen" {
		t.Errorf("pbx1 zone: got %v; want %v", got, "Europe/Copenhagen")
	}
	var hours [7][]cdr.MinuteRange
	for d := time.Monday; d <= time.Thursday; d++ {
		hours[d] = []cdr.MinuteRange{{From: 480, To: 960}}
	}
	hours[time.Friday] = []cdr.MinuteRange{{From: 480, To: 900}}
	for queue, display := range map[string]string{
		"servicedesk": "Servicedesk", "klinisk": "Klinisk Servicedesk", "sp_helpdesk": "SP Helpdesk",
	} {
		want := cdr.QueueSettings{
			Name: queue, Display: display, Location: loc, Hours: hours,
			ClosedDates:    map[string]bool{"2025-12-24": true, "2025-12-31": true},
			DanishHolidays: true,
			SLAS:           300, ShortAbandonS: 5, SLAFormula: cdr.FormulaOfferedExclShort,
			SLATarget: 0.80, FCRTarget: 0.60,
		}
		got := s.Queue(queue)
		if got.Location.String() != want.Location.String() {
			t.Errorf("%s: location: got %v; want %v", queue, got.Location, want.Location)
		}
		got.Location, want.Location = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v; want %+v", queue, got, want)
		}
	}
	if len(s.Queues) != 3 {
		t.Errorf("got %v queues; want %v", len(s.Queues), 3)
	}
	// A queue not listed gets the built-in defaults.
	if got, want := s.Queue("other"), cdr.DefaultQueueSettings("other"); got.SLAS != want.SLAS || got.HasHours() || got.Display != "other" {
		t.Errorf("unlisted: got %+v; want %+v", got, want)
	}
	// The parsed hours behave as the contract says.
	k := s.Queue("klinisk")
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2025-06-13T14:59:59+02:00", true},
		{"2025-06-13T15:00:00+02:00", false},
		{"2025-05-29T10:00:00+02:00", false}, // Kristi Himmelfartsdag
		{"2025-12-31T10:00:00+01:00", false}, // closed date
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := k.InHours(at); got != tc.want {
			t.Errorf("klinisk at %s: got %v; want %v", tc.at, got, tc.want)
		}
	}
}

func TestQueueFileNone(t *testing.T) {
	for _, tc := range []struct {
		name string
		load func() (*cdr.Settings, error)
	}{
		{"empty path", func() (*cdr.Settings, error) { return LoadQueues("") }},
		{"empty file", func() (*cdr.Settings, error) { return ParseQueues([]byte("\n# nothing\n"), "q.yaml") }},
	} {
		s, err := tc.load()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		// No defaults.timezone: the file leaves switches to
		// ACDSTAT_SWITCH_TIMEZONE (here London) instead of giving them
		// the Copenhagen default of queues.
		if s.DefaultSwitchZone != nil {
			t.Errorf("%s: default switch zone: got %v; want none", tc.name, s.DefaultSwitchZone)
		}
		if got := s.SwitchZone("pbx1", london(t)).String(); got != "Europe/London" {
			t.Errorf("%s: switch zone: got %v; want %v", tc.name, got, "Europe/London")
		}
		if got := s.Queue("q"); !reflect.DeepEqual(got, cdr.DefaultQueueSettings("q")) {
			t.Errorf("%s: got %+v; want the defaults", tc.name, got)
		}
	}
	if _, err := LoadQueues(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: got %v; want an error naming the file", err)
	}
}

func london(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestQueueFileSwitchZones checks which zone each switch's local times are
// read in: its own entry, else defaults.timezone where the file sets it,
// else ACDSTAT_SWITCH_TIMEZONE (passed as the fallback, here London).
// Without defaults.timezone, queues keep their own Copenhagen default.
func TestQueueFileSwitchZones(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       map[string]string // switch → zone
		queueZone  string
	}{
		{"switches only", "switches: {pbx1: {timezone: Asia/Tokyo}}\nqueues: {q: {}}",
			map[string]string{"pbx1": "Asia/Tokyo", "pbx2": "Europe/London"}, "Europe/Copenhagen"},
		{"switches and defaults", "switches: {pbx1: {timezone: Asia/Tokyo}}\ndefaults: {timezone: America/New_York}\nqueues: {q: {}}",
			map[string]string{"pbx1": "Asia/Tokyo", "pbx2": "America/New_York"}, "America/New_York"},
		{"defaults only", "defaults: {timezone: UTC}\nqueues: {q: {}}",
			map[string]string{"pbx1": "UTC"}, "UTC"},
		{"queues only", "queues: {q: {timezone: Asia/Tokyo}}",
			map[string]string{"pbx1": "Europe/London"}, "Asia/Tokyo"},
	} {
		s, err := ParseQueues([]byte(tc.yaml), "q.yaml")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for sw, want := range tc.want {
			if got := s.SwitchZone(sw, london(t)).String(); got != want {
				t.Errorf("%s: switch %s: got %v; want %v", tc.name, sw, got, want)
			}
		}
		if got := s.Queue("q").Location.String(); got != tc.queueZone {
			t.Errorf("%s: queue zone: got %v; want %v", tc.name, got, tc.queueZone)
		}
	}
}

func TestQueueFileDetails(t *testing.T) {
	s, err := ParseQueues([]byte(`
defaults: {timezone: Europe/London}
queues:
  night:
    hours:
      Mon-Fri: "08:00-12:00, 13:00–24:00"
      sun: "0:00-6:30"
  tokyo:
    timezone: Asia/Tokyo
    sla_s: 20
    short_abandon_s: 0
    sla_formula: positive
    sla_target: 1
    fcr_target: 0
    wall_wait_s: 45
  bare:
`), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.DefaultSwitchZone.String(); got != "Europe/London" {
		t.Errorf("default switch zone: got %v; want %v", got, "Europe/London")
	}
	n := s.Queue("night")
	if got := n.Location.String(); got != "Europe/London" {
		t.Errorf("night zone: got %v; want %v", got, "Europe/London")
	}
	want := []cdr.MinuteRange{{From: 480, To: 720}, {From: 780, To: 1440}}
	for d := time.Monday; d <= time.Friday; d++ {
		if !reflect.DeepEqual(n.Hours[d], want) {
			t.Errorf("night %v: got %v; want %v", d, n.Hours[d], want)
		}
	}
	if got, want := n.Hours[time.Sunday], []cdr.MinuteRange{{From: 0, To: 390}}; !reflect.DeepEqual(got, want) {
		t.Errorf("night sun: got %v; want %v", got, want)
	}
	if n.Hours[time.Saturday] != nil {
		t.Errorf("night sat: got %v; want %v", n.Hours[time.Saturday], nil)
	}
	tk := s.Queue("tokyo")
	if tk.Location.String() != "Asia/Tokyo" || tk.SLAS != 20 || tk.ShortAbandonS != 0 || tk.SLAFormula != "positive" || tk.SLATarget != 1 || tk.FCRTarget != 0 || tk.WallWait() != 45 {
		t.Errorf("tokyo: got %+v; want the file's values", tk)
	}
	b := s.Queue("bare")
	if b.Display != "bare" || b.SLAS != 300 || b.Location.String() != "Europe/London" || b.HasHours() {
		t.Errorf("bare: got %+v; want the defaults in Europe/London", b)
	}
}

func TestQueueFileErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"hour 25", `queues: {klinisk: {hours: {fri: "08:00-25:00"}}}`,
			[]string{`q.yaml:1: queue "klinisk": hours.fri: "08:00-25:00": 25:00 is not a time of day (use HH:MM, 00:00-24:00)`}},
		{"minute 60", `queues: {klinisk: {hours: {fri: "08:60-15:00"}}}`,
			[]string{`queue "klinisk": hours.fri:`, "08:60 is not a time of day"}},
		{"no dash", `queues: {klinisk: {hours: {fri: "0800"}}}`,
			[]string{`queue "klinisk": hours.fri:`, "is not a time range"}},
		{"24:00 start", `queues: {klinisk: {hours: {fri: "24:00-24:00"}}}`,
			[]string{`queue "klinisk": hours.fri:`, "24:00 can only end a range"}},
		{"end before start", `queues: {klinisk: {hours: {mon: "16:00-08:00"}}}`,
			[]string{`queue "klinisk": hours.mon:`, "the end 08:00 is not after the start 16:00"}},
		{"empty range", `queues: {klinisk: {hours: {mon: "08:00-08:00"}}}`,
			[]string{`queue "klinisk": hours.mon:`, "not after the start"}},
		{"overlap", `queues: {klinisk: {hours: {mon: "08:00-12:00, 11:30-16:00"}}}`,
			[]string{`queue "klinisk": hours.mon:`, "08:00-12:00 and 11:30-16:00 overlap"}},
		{"unknown weekday", `queues: {klinisk: {hours: {monday: "08:00-16:00"}}}`,
			[]string{`queue "klinisk": hours.monday:`, `unknown weekday "monday"`, "mon-fri"}},
		{"backward day range", `queues: {klinisk: {hours: {fri-mon: "08:00-16:00"}}}`,
			[]string{`queue "klinisk": hours.fri-mon:`, "runs forward"}},
		{"day twice", `queues: {klinisk: {hours: {mon-thu: "08:00-16:00", mon: "09:00-10:00"}}}`,
			[]string{`queue "klinisk": hours.mon`, "mon is given twice"}},
		{"unknown zone", `queues: {klinisk: {timezone: Europe/Copenhgen}}`,
			[]string{`queue "klinisk": timezone: "Europe/Copenhgen": unknown time zone`}},
		{"Local zone", `queues: {klinisk: {timezone: Local}}`,
			[]string{`queue "klinisk": timezone: "Local"`}},
		{"formula", `queues: {klinisk: {sla_formula: sl2}}`,
			[]string{`queue "klinisk": sla_formula: "sl2": unknown formula`, "offered_excl_short"}},
		{"sla target 80", `queues: {klinisk: {sla_target: 80}}`,
			[]string{`queue "klinisk": sla_target: 80: must be a fraction from 0 to 1`}},
		{"fcr target negative", `queues: {klinisk: {fcr_target: -0.1}}`,
			[]string{`queue "klinisk": fcr_target: -0.1: must be a fraction from 0 to 1`}},
		{"target NaN", `queues: {klinisk: {fcr_target: .nan}}`,
			[]string{`queue "klinisk": fcr_target: NaN`}},
		{"wall_wait_s zero", `queues: {klinisk: {wall_wait_s: 0}}`,
			[]string{`queue "klinisk": wall_wait_s: 0: must be 1 to 86400 seconds`}},
		{"sla_s zero", `queues: {klinisk: {sla_s: 0}}`,
			[]string{`queue "klinisk": sla_s: 0: must be 1 to 86400 seconds`}},
		{"sla_s too big", `queues: {klinisk: {sla_s: 86401}}`,
			[]string{`queue "klinisk": sla_s: 86401`}},
		{"short abandon negative", `queues: {klinisk: {short_abandon_s: -1}}`,
			[]string{`queue "klinisk": short_abandon_s: -1: must be 0 to 86400 seconds`}},
		{"closed date", "queues:\n  klinisk:\n    closed: [\"2025-12-24\", \"24-12-2025\"]\n",
			[]string{`q.yaml:3: queue "klinisk": closed: "24-12-2025": not a date (use YYYY-MM-DD`}},
		{"closed date unpadded", `queues: {klinisk: {closed: ["2025-6-5"]}}`,
			[]string{`queue "klinisk": closed: "2025-6-5": not a date`}},
		{"unknown queue key", "queues:\n  klinisk:\n    name: K\n    colour: red\n",
			[]string{`q.yaml:4: queue "klinisk": colour: unknown key (allowed: name, timezone, hours, closed, danish_holidays, sla_s, short_abandon_s, sla_formula, sla_target, fcr_target, wall_wait_s, numbers)`}},
		{"misspelt key", `queues: {klinisk: {sla_target_pct: 0.8}}`,
			[]string{`queue "klinisk": sla_target_pct: unknown key`}},
		{"unknown top key", "queue:\n  klinisk: {}\n",
			[]string{`q.yaml:1: queue: unknown key at the top level (allowed: switches, defaults, queues, entries, agents, desks)`}},
		{"unknown switch key", `switches: {pbx1: {tz: UTC}}`,
			[]string{`switch "pbx1": tz: unknown key (allowed: timezone)`}},
		{"switch zone missing", `switches: {pbx1: {}}`,
			[]string{`switch "pbx1": timezone: missing`}},
		{"switch zone unknown", `switches: {pbx1: {timezone: Mars/Olympus}}`,
			[]string{`switch "pbx1": timezone: "Mars/Olympus": unknown time zone`}},
		{"defaults beyond timezone", `defaults: {sla_s: 60}`,
			[]string{`sla_s: unknown key under defaults`}},
		{"defaults zone unknown", `defaults: {timezone: Nowhere}`,
			[]string{`defaults.timezone: "Nowhere": unknown time zone`}},
		{"wrong type", "queues:\n  klinisk:\n    name: K\n    sla_s: five\n",
			[]string{`q.yaml:4: queue "klinisk": sla_s: cannot unmarshal !!str ` + "`five`" + ` into a whole number`}},
		{"duplicate queue", "queues:\n  k: {}\n  k: {}\n", []string{`q.yaml:3: queue "k": mapping key "k" already defined at line 2`}},
		{"top level a list", "- a\n", []string{"q.yaml:1: cannot unmarshal !!seq into a mapping of switches, defaults and queues"}},
		{"hours as a list", "queues:\n  klinisk:\n    hours:\n      fri: [\"08:00-15:00\"]\n",
			[]string{`q.yaml:4: queue "klinisk": hours.fri: cannot unmarshal !!seq into a string`}},
		{"not yaml", "queues: [\n", []string{"q.yaml: yaml:"}},
		{"two problems", `queues: {a: {sla_s: 0}, b: {sla_target: 2}}`,
			[]string{`queue "a": sla_s`, `queue "b": sla_target`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseQueues([]byte(tc.yaml), "q.yaml")
			if err == nil {
				t.Fatalf("got %+v; want an error", s)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %v; want %v", err, w)
				}
			}
		})
	}
}

func TestQueueFileErrorType(t *testing.T) {
	_, err := ParseQueues([]byte("queues:\n  klinisk:\n    hours:\n      fri: \"08:00-25:00\"\n"), "queues.yaml")
	var qe *QueueFileError
	if !errors.As(err, &qe) {
		t.Fatalf("got %T; want *QueueFileError", err)
	}
	want := QueueFileError{File: "queues.yaml", Line: 4, Kind: "queue", Name: "klinisk", Field: "hours.fri",
		Msg: `"08:00-25:00": 25:00 is not a time of day (use HH:MM, 00:00-24:00)`}
	if *qe != want {
		t.Errorf("got %+v; want %+v", *qe, want)
	}
}
