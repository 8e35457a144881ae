package cdr

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// qlSeed adds every testdata/queuelog file with the given extension, whole
// and line by line, to the fuzz seed corpus. The corpora under
// testdata/fuzz/FuzzDecodeQueueLog*/ hold further seeds (and any crasher the
// fuzzer finds).
func qlSeed(f *testing.F, ext string) {
	f.Helper()
	paths, err := filepath.Glob("testdata/queuelog/*" + ext)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if ext == ".log" {
			for _, line := range bytes.Split(b, []byte("\n")) {
				f.Add(line)
			}
		}
	}
}

// qlFuzzCheck decodes data with a small line cap and batch so that those
// paths are fuzzed too, and checks the invariants every decoder keeps.
func qlFuzzCheck(t *testing.T, dec DecodeFunc, data []byte) {
	opt := DecodeOptions{
		Switch: "fuzz", Location: qlFuzzZone, Now: time.Unix(1717010000, 0),
		BatchSize: 7, MaxLineBytes: 512,
	}
	events, rejects := 0, 0
	err := dec(bytes.NewReader(data), opt, func(b Batch) error {
		if len(b.Events)+len(b.Rejects) == 0 {
			t.Errorf("got an empty batch")
		}
		for i := range b.Events {
			e := &b.Events[i]
			if e.CallID == "" || e.Verb == "" {
				t.Errorf("line %d: got callid %q verb %q; want both non-empty", e.Line, e.CallID, e.Verb)
			}
			if e.ID != EventID(e) {
				t.Errorf("line %d: got id %x; want EventID %x", e.Line, e.ID, EventID(e))
			}
			if e.Switch != "fuzz" || e.Time.Location() != time.UTC || e.Micros >= 1e6 {
				t.Errorf("line %d: got switch %q time %v micros %d", e.Line, e.Switch, e.Time, e.Micros)
			}
			if e.Line < 1 {
				t.Errorf("got line %d; want ≥ 1", e.Line)
			}
		}
		for _, r := range b.Rejects {
			if r.Line < 1 || r.Reason == "" {
				t.Errorf("got reject %+v; want a line and a reason", r)
			}
		}
		events += len(b.Events)
		rejects += len(b.Rejects)
		return nil
	})
	if err != nil {
		t.Fatalf("got error %v; want nil from an in-memory reader", err)
	}
	if lines := bytes.Count(data, []byte("\n")) + 1; events+rejects > lines {
		t.Errorf("got %d events + %d rejects from %d lines", events, rejects, lines)
	}
}

func FuzzDecodeQueueLog(f *testing.F) {
	qlSeed(f, ".log")
	f.Add([]byte("1366720340|1366720340.303267|MYQUEUE|SIP/8007|RINGNOANSWER|1000"))
	f.Fuzz(func(t *testing.T, data []byte) { qlFuzzCheck(t, DecodeQueueLog, data) })
}

func FuzzDecodeQueueLogDB(f *testing.F) {
	qlSeed(f, ".csv")
	f.Fuzz(func(t *testing.T, data []byte) { qlFuzzCheck(t, DecodeQueueLogDB, data) })
}

// qlFuzzZone has daylight-saving changes, so the fuzzer reaches the
// resolution of repeated hours (localtime.go); its database is embedded.
var qlFuzzZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		panic(err)
	}
	return loc
}()
