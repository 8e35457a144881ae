package aggregate

import (
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// TestPlanKeepsStaysWhenOnlyADispositionWasRead: a disposition that arrives
// beyond the build window reads no event of its call but itself; the stored
// stays of that call must stay, not be tombstoned.
func TestPlanKeepsStaysWhenOnlyADispositionWasRead(t *testing.T) {
	in := t0.Add(time.Hour)
	disp := ev(0, "c3", "NONE", "Agent/1", cdr.VerbDisposition, in.Add(48*time.Hour), "1", "PW")
	kept := cdr.Key{Switch: "default", CallID: "c3", Queue: "klinisk", Seq: 0}
	stored := map[cdr.Key]cdr.StoredStay{kept: {Version: 5, EnterTime: in}}
	if out, _ := Plan([]cdr.Event{disp}, stored, cdr.BuildOptions{Now: in.Add(49 * time.Hour)}, 0, seenAll); len(out) != 0 {
		t.Fatalf("plan = %+v; want nothing written for a call whose only event read is a disposition", out)
	}
	// With the call's own events read, a stay they no longer make is still
	// tombstoned.
	events := []cdr.Event{disp,
		ev(0, "c3", "klinisk", "NONE", "ENTERQUEUE", in.Add(time.Minute), "", "4512345678", "1"),
		ev(20, "c3", "klinisk", "NONE", "ABANDON", in.Add(time.Minute), "1", "1", "20"),
	}
	gone := cdr.Key{Switch: "default", CallID: "c3", Queue: "klinisk", Seq: 1}
	stored = map[cdr.Key]cdr.StoredStay{gone: {Version: 5, EnterTime: in}}
	found := false
	rows, _ := Plan(events, stored, cdr.BuildOptions{Now: in.Add(49 * time.Hour)}, 0, seenAll)
	for _, c := range rows {
		if c.Key() == gone && c.Deleted {
			found = true
		}
	}
	if !found {
		t.Errorf("no tombstone for %v with the call's events read", gone)
	}
}
