package aggregate

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAgeUnmarshalText(t *testing.T) {
	f := func(in string, want Age, wantErr bool) {
		t.Helper()
		var a Age
		err := a.UnmarshalText([]byte(in))
		if (err != nil) != wantErr || a != want {
			t.Fatalf("UnmarshalText(%q) = %+v, %v; want %+v, error %v", in, a, err, want, wantErr)
		}
		if err == nil && in != "" && a.String() != strings.TrimSpace(in) {
			t.Fatalf("String() = %q; want %q", a.String(), in)
		}
	}
	f("400d", Age{Days: 400}, false)
	f("2y", Age{Years: 2}, false)
	f("0", Age{}, false)
	f("", Age{}, false)
	f("400", Age{}, true)
	f("-3d", Age{}, true)
	f("0d", Age{}, true)
	f("3w", Age{}, true)
	f("1.5y", Age{}, true)
}

func TestRetentionConfigValidate(t *testing.T) {
	f := func(c RetentionConfig, want string) {
		t.Helper()
		c.Schedule = "0 3 * * *"
		err := c.Validate()
		if want == "" {
			if err != nil {
				t.Fatalf("got %v; want no error", err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v; want an error containing %q", err, want)
		}
	}
	f(RetentionConfig{Events: Age{Days: 400}}, "")
	f(RetentionConfig{Events: Age{Days: 400}, Rollups: Age{Years: 10}}, "")
	f(RetentionConfig{}, "")
	f(RetentionConfig{Events: Age{Days: 7}}, "ACDSTAT_RETENTION_EVENTS")
	f(RetentionConfig{Events: Age{Years: 2}, Rollups: Age{Days: 400}}, "ACDSTAT_RETENTION_ROLLUPS")
	// Whatever the year the check runs in: 365 days are shorter than a
	// leap year, 366 days are not shorter than any year.
	f(RetentionConfig{Events: Age{Years: 1}, Rollups: Age{Days: 365}}, "ACDSTAT_RETENTION_ROLLUPS")
	f(RetentionConfig{Events: Age{Years: 1}, Rollups: Age{Days: 366}}, "")
	f(RetentionConfig{Events: Age{Years: 1}, Rollups: Age{Years: 1}}, "")
	f(RetentionConfig{Events: Age{Days: 400}, Rollups: Age{Years: 1}}, "ACDSTAT_RETENTION_ROLLUPS")
}

// TestRetentionPlanAtEveryToday checks the cutoffs on the days a calendar
// gets wrong: a daylight-saving day, 29 February (a year back is 1 March
// of a common year, as time.AddDate normalises it), and New Year's Eve.
func TestRetentionPlanAtEveryToday(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	for _, tc := range []struct {
		now        time.Time
		raw, rolls time.Time
	}{
		{time.Date(2026, 3, 29, 3, 30, 0, 0, cph), time.Date(2025, 2, 22, 3, 30, 0, 0, cph), time.Date(2025, 3, 29, 3, 30, 0, 0, cph)},
		{time.Date(2028, 2, 29, 12, 0, 0, 0, cph), time.Date(2027, 1, 25, 12, 0, 0, 0, cph), time.Date(2027, 3, 1, 12, 0, 0, 0, cph)},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, cph), time.Date(2025, 11, 26, 23, 0, 0, 0, cph), time.Date(2025, 12, 31, 23, 0, 0, 0, cph)},
	} {
		got := RetentionPlan(RetentionConfig{Events: Age{Days: 400}, Rollups: Age{Years: 1}}, tc.now)
		if len(got) != 11 || !got[0].Cutoff.Equal(tc.raw) || !got[8].Cutoff.Equal(tc.rolls) || !got[9].Cutoff.Equal(tc.rolls) || !got[10].Cutoff.Equal(tc.rolls) {
			t.Errorf("at %s: got %v; want events before %s and rollups before %s", tc.now, got, tc.raw, tc.rolls)
		}
	}
}

func TestRetentionPlan(t *testing.T) {
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	raw := time.Date(2025, 1, 25, 3, 0, 0, 0, time.UTC) // 400 days before
	got := RetentionPlan(RetentionConfig{Events: Age{Days: 400}, Rollups: Age{Years: 5}}, now)
	want := []TableCutoff{
		{"events", raw}, {"event_touches", raw}, {"rejects", raw}, {"queue_calls", raw}, {"call_touches", raw},
		{"agent_events", raw}, {"agent_touches", raw}, {"agent_call_touches", raw},
		{"rollup_15m", time.Date(2021, 3, 1, 3, 0, 0, 0, time.UTC)}, {"agent_rollup_15m", time.Date(2021, 3, 1, 3, 0, 0, 0, time.UTC)},
		{"rollup_day", time.Date(2021, 3, 1, 3, 0, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	if got := RetentionPlan(RetentionConfig{}, now); len(got) != 0 {
		t.Fatalf("keep forever: got %v; want nothing", got)
	}
}

func TestCheckRebuildRange(t *testing.T) {
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	c := RetentionConfig{Events: Age{Days: 400}}
	if err := c.CheckRebuildRange(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), now); err != nil {
		t.Fatalf("inside the retention: got %v; want nil", err)
	}
	err := c.CheckRebuildRange(time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), now)
	if err == nil || !strings.Contains(err.Error(), "ACDSTAT_RETENTION_EVENTS=400d") {
		t.Fatalf("before the retention: got %v; want a refusal naming ACDSTAT_RETENTION_EVENTS", err)
	}
	if err := (RetentionConfig{}).CheckRebuildRange(time.Unix(0, 0), now); err != nil {
		t.Fatalf("keep forever: got %v; want nil", err)
	}
}

// dropRecorder records what the Pruner asks to drop.
type dropRecorder struct {
	now   time.Time
	calls []TableCutoff
	fail  string
}

func (d *dropRecorder) DropPartitionsBefore(_ context.Context, table string, cutoff time.Time) ([]string, error) {
	d.calls = append(d.calls, TableCutoff{table, cutoff})
	if table == d.fail {
		return nil, errors.New("boom")
	}
	return []string{"202401"}, nil
}

func TestPrunerRunGoesOnAfterAFailure(t *testing.T) {
	d := &dropRecorder{now: time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC), fail: "events"}
	p := NewPruner(RetentionConfig{Events: Age{Days: 400}, Rollups: Age{Years: 5}}, slog.New(slog.DiscardHandler), func() time.Time { return d.now }, d)
	n, err := p.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v; want the events table's error", err)
	}
	if n != 10 || len(d.calls) != 11 {
		t.Fatalf("dropped %d partitions in %d calls; want 10 in 11", n, len(d.calls))
	}
}
