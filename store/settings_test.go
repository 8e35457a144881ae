package store

import (
	"context"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestSettingsApplyAndShow applies queue settings and reads them back as
// `acdstat settings` shows them: the current version and its text, the
// history of applications, any version by its id. Applying the current
// text again makes no version; applying an older text again makes it
// current, also from a clock that lags the one that applied the newer.
func TestSettingsApplyAndShow(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	cur, err := s.CurrentSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Version != cdr.DefaultSettingsVersion || cur.YAML != "" || !cur.AppliedAt.IsZero() {
		t.Fatalf("before any apply: got %+v; want the built-in defaults, version %s", cur, cdr.DefaultSettingsVersion)
	}
	a, b := "queues:\n  support: {sla_s: 120}\n", "queues:\n  support: {sla_s: 60}\n"
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	apply := func(text string, at time.Time, wantChanged bool) SettingsVersion {
		t.Helper()
		got, prev, err := s.ApplySettings(ctx, []byte(text), "test", at)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != cdr.SettingsVersionOf([]byte(text)) || got.YAML != text {
			t.Fatalf("applied %q: got version %s; want %s", text, got.Version, cdr.SettingsVersionOf([]byte(text)))
		}
		if changed := got.Version != prev.Version; changed != wantChanged {
			t.Fatalf("applied %q over %s: changed %v; want %v", text, prev.Version, changed, wantChanged)
		}
		now, err := s.CurrentSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if now.Version != got.Version || now.YAML != text || now.AppliedBy != "test" {
			t.Fatalf("after applying %q: current is %+v; want version %s", text, now, got.Version)
		}
		v, err := s.CurrentSettingsVersion(ctx)
		if err != nil || v != got.Version {
			t.Fatalf("CurrentSettingsVersion: got %q, %v; want %s", v, err, got.Version)
		}
		return got
	}
	va := apply(a, t0, true)
	apply(a, t0.Add(time.Minute), false) // the same file again: one version
	vb := apply(b, t0.Add(2*time.Minute), true)
	apply(a, t0.Add(-time.Hour), true) // back to a, from a clock an hour behind

	hist, err := s.SettingsHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hist {
		got = append(got, h.Version)
	}
	if want := []string{va.Version, vb.Version, va.Version}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("history: got %v; want %v (each application, oldest first)", got, want)
	}
	old, ok, err := s.SettingsVersionByID(ctx, vb.Version)
	if err != nil || !ok || old.YAML != b {
		t.Fatalf("version %s: got %+v, %v, %v; want its text", vb.Version, old, ok, err)
	}
	if _, ok, err := s.SettingsVersionByID(ctx, "000000000000"); err != nil || ok {
		t.Fatalf("an unknown version: got %v, %v; want not found", ok, err)
	}
}
