package aggregate

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// caseFake is the store of the case job's test: it records from which
// insert time the job asked for touched desks.
type caseFake struct {
	now   time.Time
	mark  time.Time
	asked []time.Time
}

func (f *caseFake) ServerNow(context.Context) (time.Time, error) { return f.now, nil }
func (f *caseFake) CaseTouches(_ context.Context, from, _ time.Time) ([]string, error) {
	f.asked = append(f.asked, from)
	return nil, nil
}
func (f *caseFake) DeskRecords(context.Context, []string) ([]cdr.CaseState, []cdr.Contact, error) {
	return nil, nil, nil
}
func (f *caseFake) WriteDeskMonths(context.Context, []string, map[string]string, []cdr.DeskMonth, uint64) error {
	return nil
}
func (f *caseFake) Watermark(context.Context, string) (time.Time, bool, error) {
	return f.mark, !f.mark.IsZero(), nil
}
func (f *caseFake) SetWatermark(_ context.Context, _ string, t time.Time) error {
	f.mark = t
	return nil
}

// TestCaseJobCountsEveryDeskOnNewSettings: the case job looks at what
// arrived since its watermark, but counts every desk on its first run in a
// process and on a run that finds another settings version.
func TestCaseJobCountsEveryDeskOnNewSettings(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	f := &caseFake{now: time.Date(2025, 11, 3, 12, 0, 0, 0, time.UTC), mark: time.Date(2025, 11, 3, 11, 0, 0, 0, time.UTC)}
	settings := &cdr.Settings{Version: "v1"}
	j := NewCaseJob(slog.New(slog.DiscardHandler), FixedSettings(settings), f, f, f)
	run := func() time.Time {
		t.Helper()
		if _, err := j.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Hour)
		return f.asked[len(f.asked)-1]
	}
	if from := run(); !from.Equal(epoch) {
		t.Errorf("first run of a process: touched since %v; want every desk (since %v)", from, epoch)
	}
	if from, want := run(), f.mark.Add(-time.Hour-caseOverlap); !from.Equal(want) {
		t.Errorf("second run, same settings: touched since %v; want since the watermark less the overlap, %v", from, want)
	}
	settings.Version = "v2"
	if from := run(); !from.Equal(epoch) {
		t.Errorf("run with new settings: touched since %v; want every desk", from)
	}
}
