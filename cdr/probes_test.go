package cdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// probeDecode decodes input with dec, failing on a read error.
func probeDecode(t testing.TB, dec DecodeFunc, input string, opt DecodeOptions) ([]Event, []*DecodeError) {
	t.Helper()
	events, rejects, _ := qlDecode(t, dec, input, opt)
	return events, rejects
}

// probeOpt reads local times in Copenhagen, at a fixed now.
func probeOpt(t testing.TB) DecodeOptions {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return DecodeOptions{Switch: "monitor", Location: loc, Now: time.Date(2016, 11, 15, 12, 0, 0, 0, time.UTC)}
}

func TestDecodeProbesCSVAndJSONGiveTheSameFacts(t *testing.T) {
	opt := probeOpt(t)
	csvIn := "\ufeffsystem,location,action,time,duration_ms,class,ok,id\n" +
		"Orbit,Rigshospitalet,search,2016-10-03T08:00:00.250+02:00,2500,standard,,r1\n" +
		"\n" +
		"Orbit,Herlev,login,1475474400,14999.5,Data-heavy,true,\n" +
		"EPM3,Herlev,login,2016-10-03 10:00:00,,,false,\n"
	jsonIn := `[
 {"system": "Orbit", "location": "Rigshospitalet", "action": "search", "time": "2016-10-03T06:00:00.25Z", "duration_s": 2.5, "class": "standard", "id": "r1"},
 {"system": "Orbit", "location": "Herlev", "action": "login", "time": 1475474400, "duration_ms": "14999.500", "class": "data_heavy", "ok": true},
 {"system": "EPM3", "location": "Herlev", "action": "login", "time": "2016-10-03 10:00:00", "ok": false, "class": null}
]`
	fromCSV, rejCSV := probeDecode(t, DecodeProbes, csvIn, opt)
	fromJSON, rejJSON := probeDecode(t, DecodeProbes, jsonIn, opt)
	if len(rejCSV)+len(rejJSON) > 0 {
		t.Fatalf("got rejects %v %v; want none", rejCSV, rejJSON)
	}
	if len(fromCSV) != 3 || len(fromJSON) != 3 {
		t.Fatalf("got %d and %d events; want 3 each", len(fromCSV), len(fromJSON))
	}
	for i := range fromCSV {
		a, b := fromCSV[i], fromJSON[i]
		a.Line, b.Line = 0, 0
		if !reflect.DeepEqual(a, b) {
			t.Errorf("record %d: CSV gives %+v; JSON gives %+v", i+1, a, b)
		}
	}
	p := ProbeOf(&fromCSV[0])
	want := Probe{ID: fromCSV[0].ID, Switch: "monitor", Time: time.Date(2016, 10, 3, 6, 0, 0, 0, time.UTC), Micros: 250000,
		System: "Orbit", Location: "Rigshospitalet", Action: "search", Class: "standard", DurationUS: 2_500_000, OK: true, ProbeID: "r1"}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("first probe: got %+v; want %+v", p, want)
	}
	if p := ProbeOf(&fromCSV[1]); p.DurationUS != 14_999_500 || p.Class != ClassDataHeavy {
		t.Errorf("second probe: got %+v; want 14999.5 ms of class data_heavy", p)
	}
	// A local time in Copenhagen's summer: 10:00 CEST is 08:00 UTC.
	if p := ProbeOf(&fromCSV[2]); p.OK || p.DurationUS != 0 || !p.Time.Equal(time.Date(2016, 10, 3, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("failed probe: got %+v; want ok false, no duration, 08:00 UTC", p)
	}
	if fromCSV[0].ID == fromCSV[1].ID {
		t.Error("two probes share an id")
	}
}

func TestDecodeProbesRefusesWithLineAndField(t *testing.T) {
	opt := probeOpt(t)
	header := "system,location,action,time,duration_ms,duration_s,class,threshold_s,ok\n"
	tests := []struct {
		name, line, field, reason string
	}{
		{"no system", ",Herlev,login,1475474400,10,,,,", "system", "required"},
		{"no duration", "Orbit,Herlev,login,1475474400,,,,,", "duration_ms", "required"},
		{"both durations", "Orbit,Herlev,login,1475474400,10,0.01,,,", "duration_s", "not both"},
		{"negative duration", "Orbit,Herlev,login,1475474400,-10,,,,", "duration_ms", "milliseconds"},
		{"too many decimals", "Orbit,Herlev,login,1475474400,1.2345,,,,", "duration_ms", "up to 3 decimals"},
		{"over a day", "Orbit,Herlev,login,1475474400,,86401,,,", "duration_s", "24 hours"},
		{"bad class", "Orbit,Herlev,login,1475474400,10,,very/heavy,,", "class", "class name"},
		{"zero threshold", "Orbit,Herlev,login,1475474400,10,,,0,", "threshold_s", "more than 0"},
		{"bad ok", "Orbit,Herlev,login,1475474400,10,,,,maybe", "ok", "true or false"},
		{"bad time", "Orbit,Herlev,login,03/10/2016 10:00,10,,,,", "time", "not a time"},
		{"in the future", "Orbit,Herlev,login,2016-11-15T13:00:00Z,10,,,,", "time", "in the future"},
		{"skipped by the clocks", "Orbit,Herlev,login,2016-03-27 02:30:00,10,,,,", "time", "does not exist"},
		{"milliseconds as seconds", "Orbit,Herlev,login,1475474400000,10,,,,", "time", "milliseconds?"},
		{"short line", "Orbit,Herlev,login", "", "3 fields; the header has 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := header + "Orbit,Herlev,search,1475474400,10,,,,\n" + tc.line + "\n"
			evs, rejects := probeDecode(t, DecodeProbes, in, opt)
			if len(evs) != 1 || len(rejects) != 1 {
				t.Fatalf("got %d events, rejects %v; want the good line and one reject", len(evs), rejects)
			}
			r := rejects[0]
			if r.Line != 3 || r.Field != tc.field || !strings.Contains(r.Reason, tc.reason) || r.Raw != tc.line {
				t.Errorf("got line %d field %q reason %q raw %q; want line 3, field %q, a reason with %q, the raw line", r.Line, r.Field, r.Reason, r.Raw, tc.field, tc.reason)
			}
		})
	}
	t.Run("unknown column ends the input", func(t *testing.T) {
		evs, rejects := probeDecode(t, DecodeProbes, "system,location,action,time,duraton_ms\nOrbit,Herlev,login,1475474400,10\n", opt)
		if len(evs) != 0 || len(rejects) != 1 || rejects[0].Line != 1 || rejects[0].Field != "duraton_ms" || !strings.Contains(rejects[0].Reason, "duration_ms") {
			t.Fatalf("got %v, %+v; want one reject of line 1 naming the column and the known ones", evs, rejects)
		}
	})
	t.Run("a header without a required column", func(t *testing.T) {
		_, rejects := probeDecode(t, DecodeProbes, "system,location,time,duration_ms\nOrbit,Herlev,1475474400,10\n", opt)
		if len(rejects) != 1 || rejects[0].Field != "action" {
			t.Fatalf("got %+v; want the header refused for its missing action", rejects)
		}
	})
	t.Run("json", func(t *testing.T) {
		in := `{"system": "Orbit", "location": "Herlev", "action": "login", "time": 1475474400, "duration_ms": 10}
{"system": "Orbit", "location": "Herlev", "action": "login", "time": 1475474400, "duration_ms": 10, "durration": 1}
{"system": "Orbit", "location": "Herlev", "action": "login", "time": 1475474400, "duration_ms": [10]}
"Orbit"`
		evs, rejects := probeDecode(t, DecodeProbes, in, opt)
		if len(evs) != 1 || len(rejects) != 3 {
			t.Fatalf("got %d events, rejects %+v; want 1 and 3", len(evs), rejects)
		}
		for i, want := range []struct {
			line  int
			field string
		}{{2, "durration"}, {3, "duration_ms"}, {4, "json"}} {
			if rejects[i].Line != want.line || rejects[i].Field != want.field {
				t.Errorf("reject %d: got line %d field %q; want %d %q", i, rejects[i].Line, rejects[i].Field, want.line, want.field)
			}
		}
	})
}

// TestProbeLocalTimeInTheRepeatedHour: a local time the autumn change
// repeats is its first (summer time) reading, as for a CDR.
func TestProbeLocalTimeInTheRepeatedHour(t *testing.T) {
	evs, rejects := probeDecode(t, DecodeProbes, "system,location,action,time,duration_ms\nOrbit,Herlev,login,2016-10-30 02:30:00,10\n", probeOpt(t))
	if len(rejects) != 0 || len(evs) != 1 {
		t.Fatalf("got %v %v", evs, rejects)
	}
	if want := time.Date(2016, 10, 30, 0, 30, 0, 0, time.UTC); !evs[0].Time.Equal(want) {
		t.Errorf("got %v; want %v (02:30 CEST)", evs[0].Time, want)
	}
}

func TestDecodeProbeMonths(t *testing.T) {
	opt := probeOpt(t)
	in := "system,location,month,compliance,measured,within\n" +
		"Mail/kalender,,2016-10,088.490,,\n" + // 2
		"Mail/kalender,,2016-10,\"88,49 %\",,\n" + // 3: the same figure written otherwise
		"Orbit,Herlev,2016-10,,10000,9998\n" + // 4
		"Orbit,Herlev,2016-10,99.98,10000,9998\n" + // 5
		"Orbit,Herlev,2016-10,,10,11\n" + // 6
		"Orbit,Herlev,2016-10,,10,\n" + // 7
		"Orbit,Herlev,2016-13,99,,\n" + // 8
		"Orbit,Herlev,2016-10,100.01,,\n" + // 9
		"Orbit,Herlev,2016-12,99,,\n" + // 10: a month that has not begun
		"Orbit,Herlev,2016-10,,,\n" + // 11
		"SP,,2016-05,100,,\n" // 12
	evs, rejects := probeDecode(t, DecodeProbeMonths, in, opt)
	if len(evs) != 4 {
		t.Fatalf("got %d events; want 4: %+v", len(evs), evs)
	}
	if evs[0].ID != evs[1].ID || evs[0].Data[0] != "88.49" {
		t.Errorf("088.490 and \"88,49 %%\": got ids %x %x, compliance %q; want one fact, 88.49", evs[0].ID, evs[1].ID, evs[0].Data[0])
	}
	m := ProbeMonthOf(&evs[2])
	if m.System != "Orbit" || m.Location != "Herlev" || m.Measured != 10000 || m.Within != 9998 || m.Compliance != "" || !m.Month.Equal(time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("counts: got %+v", m)
	}
	if m := ProbeMonthOf(&evs[3]); m.Compliance != "100" || m.Location != "" {
		t.Errorf("SP: got %+v; want compliance 100 for the system as a whole", m)
	}
	want := []struct {
		line  int
		field string
	}{{5, "compliance"}, {6, "within"}, {7, "within"}, {8, "month"}, {9, "compliance"}, {10, "month"}, {11, "compliance"}}
	if len(rejects) != len(want) {
		t.Fatalf("got rejects %+v; want %d", rejects, len(want))
	}
	for i, w := range want {
		if rejects[i].Line != w.line || rejects[i].Field != w.field {
			t.Errorf("reject %d: got line %d field %q (%s); want line %d field %q", i, rejects[i].Line, rejects[i].Field, rejects[i].Reason, w.line, w.field)
		}
	}
}

// TestProbeMonthsIgnoreTheRawEventRetention: a month's figure of long ago
// is taken where a probe of then is not (DecodeOptions.Oldest).
func TestProbeMonthsIgnoreTheRawEventRetention(t *testing.T) {
	opt := probeOpt(t)
	opt.Oldest = opt.Now.AddDate(0, 0, -400)
	evs, rejects := probeDecode(t, DecodeProbeMonths, "system,month,compliance\nOrbit,2015-10,100\n", opt)
	if len(evs) != 1 || len(rejects) != 0 {
		t.Errorf("month's figure of 2015: got %v %v; want it taken", evs, rejects)
	}
	evs, rejects = probeDecode(t, DecodeProbes, "system,location,action,time,duration_ms\nOrbit,Herlev,login,2015-10-01T10:00:00Z,10\n", opt)
	if len(evs) != 0 || len(rejects) != 1 || rejects[0].Field != "time" {
		t.Errorf("probe of 2015: got %v %v; want it refused for its time", evs, rejects)
	}
}

func TestCheckFormatTellsMeasurementsApart(t *testing.T) {
	for _, tc := range []struct {
		format, head, want string
	}{
		{FormatProbes, "system,month,compliance\nOrbit,2016-10,99\n", "--format probe_months"},
		{FormatProbeMonths, `[{"system":"Orbit","action":"login"}]`, "--format probes"},
		{SourceQueueLog, "system,location,action,time,duration_ms\n", "--format probes"},
		{FormatProbes, "system,location,action,time,duration_ms\n", ""},
		{FormatProbeMonths, `{"system":"Orbit","month":"2016-10","compliance":99}`, ""},
	} {
		err := CheckFormat(tc.format, []byte(tc.head), false)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %q: got %v; want nil", tc.format, tc.head, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %q: got %v; want an error naming %s", tc.format, tc.head, err, tc.want)
		}
	}
}

// TestProbesGolden decodes the files of testdata/probes and compares the
// events and rejects with their golden files (-update rewrites them).
func TestProbesGolden(t *testing.T) {
	for _, c := range []struct {
		in  string
		dec DecodeFunc
	}{
		{"probes.csv", DecodeProbes},
		{"probes.json", DecodeProbes},
		{"months.csv", DecodeProbeMonths},
	} {
		t.Run(c.in, func(t *testing.T) {
			in := filepath.Join("testdata", "probes", c.in)
			b, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			events, rejects := probeDecode(t, c.dec, string(b), probeOpt(t))
			g := qlGolden{Events: []qlGoldenEvent{}, Rejects: []qlGoldenReject{}}
			for _, e := range events {
				g.Events = append(g.Events, qlGoldenEvent{e.Line, fmt.Sprintf("%016x", e.ID), e.Switch, e.Source,
					e.Time.Format(time.RFC3339), e.Micros, e.CallID, e.Queue, e.Agent, e.Verb, e.Data})
			}
			for _, r := range rejects {
				g.Rejects = append(g.Rejects, qlGoldenReject{r.Line, r.Field, r.Reason, r.Raw})
			}
			got, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := in + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cdr -run TestProbesGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; got:\n%s", in, golden, got)
			}
		})
	}
}

// probeSeed adds the files of testdata/probes, whole and line by line.
func probeSeed(f *testing.F) {
	f.Helper()
	paths, err := filepath.Glob("testdata/probes/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		if strings.HasSuffix(p, ".golden") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, line := range bytes.Split(b, []byte("\n")) {
			f.Add(line)
		}
	}
}

// probeFuzzCheck decodes data and checks what every decoder keeps: no
// panic, ids that are EventID, times that CheckTime takes, and fields that
// read back (ProbeOf) as they were written.
func probeFuzzCheck(t *testing.T, dec DecodeFunc, data []byte) {
	opt := probeOpt(t)
	opt.BatchSize, opt.MaxLineBytes = 5, 512
	err := dec(bytes.NewReader(data), opt, func(b Batch) error {
		for i := range b.Events {
			e := &b.Events[i]
			if e.ID != EventID(e) || e.CallID == "" || !IsMeasurement(e) {
				t.Errorf("line %d: got %+v", e.Line, e)
			}
			if reason := (&DecodeOptions{Now: opt.Now}).CheckTime(e.Time); reason != "" {
				t.Errorf("line %d: time %v: %s", e.Line, e.Time, reason)
			}
			if e.Source == SourceProbe {
				p := ProbeOf(e)
				if p.DurationUS > probeMaxUS || p.ThresholdUS > probeMaxUS || (p.OK && e.Data[0] == "") {
					t.Errorf("line %d: got %+v", e.Line, p)
				}
			}
		}
		for _, r := range b.Rejects {
			if r.Line < 1 || r.Reason == "" {
				t.Errorf("got reject %+v; want a line and a reason", r)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func FuzzDecodeProbes(f *testing.F) {
	probeSeed(f)
	f.Fuzz(func(t *testing.T, data []byte) { probeFuzzCheck(t, DecodeProbes, data) })
}

func FuzzDecodeProbeMonths(f *testing.F) {
	probeSeed(f)
	f.Fuzz(func(t *testing.T, data []byte) { probeFuzzCheck(t, DecodeProbeMonths, data) })
}
