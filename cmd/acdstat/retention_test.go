package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// todays are the days the date-sensitive tests run at: the spring and
// autumn daylight-saving days, 29 February, and a New Year's Eve.
var todays = []time.Time{
	time.Date(2026, 3, 29, 10, 30, 0, 0, cph),
	time.Date(2026, 10, 25, 2, 30, 0, 0, cph), // the repeated hour
	time.Date(2028, 2, 29, 23, 45, 0, 0, cph),
	time.Date(2026, 12, 31, 23, 59, 0, 0, cph),
}

var cph, _ = time.LoadLocation("Europe/Copenhagen")

// TestRebuildRefusesARangeOlderThanTheEventRetention needs no server: the
// range is checked before anything is opened. At every today, a range older
// than the retention is refused naming the setting, and one within it
// passes the check (and then fails only to reach the absent server).
func TestRebuildRefusesARangeOlderThanTheEventRetention(t *testing.T) {
	environ := []string{"ACDSTAT_RETENTION_EVENTS=31d", "ACDSTAT_CLICKHOUSE_ADDR=127.0.0.1:1"}
	for _, today := range todays {
		day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
		p := process{environ: environ, stdout: io.Discard, stderr: io.Discard, now: func() time.Time { return today }}
		err := run(context.Background(), p, []string{"rebuild", "--from", day(-40), "--to", day(-35)})
		if err == nil || !strings.Contains(err.Error(), "ACDSTAT_RETENTION_EVENTS=31d") {
			t.Errorf("today %s, 40 days back: got %v; want a refusal naming ACDSTAT_RETENTION_EVENTS", today, err)
		}
		err = run(context.Background(), p, []string{"rebuild", "--from", day(-30), "--to", day(0)})
		if err == nil || strings.Contains(err.Error(), "retention") {
			t.Errorf("today %s, 30 days back: got %v; want only the missing server", today, err)
		}
	}
}
