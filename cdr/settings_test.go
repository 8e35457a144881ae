package cdr

import (
	"testing"
	"time"
)

// TestSwitchZonePrecedence checks the one rule of the zone a switch's
// local times are read in: its own entry in the queue file, else the
// file's defaults.timezone, else ACDSTAT_SWITCH_TIMEZONE (the fallback),
// else Europe/Copenhagen. It reads a local 09:00 in each case, as a user
// would see it stored.
func TestSwitchZonePrecedence(t *testing.T) {
	load := func(name string) *time.Location {
		t.Helper()
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	london, tokyo, newYork := load("Europe/London"), load("Asia/Tokyo"), load("America/New_York")
	listed := &Settings{SwitchZones: map[string]*time.Location{"pbx1": london}}
	withDefault := &Settings{SwitchZones: map[string]*time.Location{"pbx1": london}, DefaultSwitchZone: tokyo}
	for _, tc := range []struct {
		name     string
		s        *Settings
		sw       string
		fallback *time.Location
		want     string // the UTC instant of 2025-01-15 09:00 local
	}{
		{"listed switch, over defaults and the fallback", withDefault, "pbx1", newYork, "2025-01-15T09:00:00Z"},
		{"listed switch, no defaults", listed, "pbx1", newYork, "2025-01-15T09:00:00Z"},
		{"unlisted switch: defaults.timezone", withDefault, "pbx2", newYork, "2025-01-15T00:00:00Z"},
		{"unlisted switch, no defaults: the fallback", listed, "pbx2", newYork, "2025-01-15T14:00:00Z"},
		{"no queue file: the fallback", nil, "pbx1", newYork, "2025-01-15T14:00:00Z"},
		{"empty settings: the fallback", &Settings{}, "default", tokyo, "2025-01-15T00:00:00Z"},
		{"nothing set: Europe/Copenhagen", nil, "pbx1", nil, "2025-01-15T08:00:00Z"},
		{"unlisted, no defaults, no fallback: Europe/Copenhagen", listed, "pbx2", nil, "2025-01-15T08:00:00Z"},
	} {
		loc := tc.s.SwitchZone(tc.sw, tc.fallback)
		got := time.Date(2025, 1, 15, 9, 0, 0, 0, loc).UTC().Format(time.RFC3339)
		if got != tc.want {
			t.Errorf("%s: 09:00 local in %v is %s; want %s", tc.name, loc, got, tc.want)
		}
	}
}
