package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func TestPartitionEnd(t *testing.T) {
	f := func(id, length string, want time.Time, wantOK bool) {
		t.Helper()
		got, ok := PartitionEnd(id, length)
		if ok != wantOK || !got.Equal(want) {
			t.Fatalf("PartitionEnd(%q, %q) = %v, %v; want %v, %v", id, length, got, ok, want, wantOK)
		}
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	f("202412", "month", day(2025, 1, 2), true)
	f("20240229", "day", day(2024, 3, 2), true)
	f("202413", "month", time.Time{}, false)
	f("2024", "month", time.Time{}, false)
	f("20240101", "month", time.Time{}, false)
	f("202401", "day", time.Time{}, false)
	f("2024-1", "month", time.Time{}, false)
	f("202401') DROP", "month", time.Time{}, false)
	f("", "month", time.Time{}, false)
}

// TestDropPartitionsBefore stores events of an old month and of this month,
// drops what is older than the cutoff and reads back what a user would see.
func TestDropPartitionsBefore(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC)
	old := time.Date(2020, 1, 15, 12, 0, 0, 0, time.UTC)
	if err := s.InsertEvents(ctx, []cdr.Event{
		event("pbx", "old-1", "ENTERQUEUE", old),
		event("pbx", "old-2", "ENTERQUEUE", old.Add(24*time.Hour)),
		event("pbx", "new-1", "ENTERQUEUE", now.Add(-time.Hour)),
	}); err != nil {
		t.Fatalf("InsertEvents: %v", err)
	}
	cutoff := now.AddDate(0, 0, -400)

	dropped, err := s.DropPartitionsBefore(ctx, "events", cutoff)
	if err != nil {
		t.Fatalf("DropPartitionsBefore: %v", err)
	}
	if want := []string{"202001"}; !reflect.DeepEqual(dropped, want) {
		t.Fatalf("dropped %v; want %v", dropped, want)
	}
	var ids []string
	rows, err := s.conn.Query(ctx, "SELECT call_id FROM events GROUP BY call_id ORDER BY call_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if want := []string{"new-1"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("events left %v; want %v", ids, want)
	}

	// A second run finds nothing more to drop; the touch log's old day went
	// with the same cutoff only if it was ingested before it (it was not:
	// ingested_at is now), so it stays.
	if dropped, err := s.DropPartitionsBefore(ctx, "events", cutoff); err != nil || len(dropped) != 0 {
		t.Fatalf("second run dropped %v, %v; want nothing", dropped, err)
	}
	if dropped, err := s.DropPartitionsBefore(ctx, "event_touches", cutoff); err != nil || len(dropped) != 0 {
		t.Fatalf("event_touches: dropped %v, %v; want nothing (ingested today)", dropped, err)
	}
}

// TestDropPartitionsBeforeKeepsAPartlyNewMonth keeps a month that holds rows
// on both sides of the cutoff: only whole partitions are ever dropped.
func TestDropPartitionsBeforeKeepsAPartlyNewMonth(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	jan := time.Date(2020, 1, 10, 0, 0, 0, 0, time.UTC)
	if err := s.InsertEvents(ctx, []cdr.Event{
		event("pbx", "a", "ENTERQUEUE", jan),
		event("pbx", "b", "ENTERQUEUE", jan.AddDate(0, 0, 15)),
	}); err != nil {
		t.Fatalf("InsertEvents: %v", err)
	}
	// The cutoff lies between the two rows, before the month ends.
	dropped, err := s.DropPartitionsBefore(ctx, "events", jan.AddDate(0, 0, 5))
	if err != nil || len(dropped) != 0 {
		t.Fatalf("dropped %v, %v; want nothing", dropped, err)
	}
	if _, err := s.DropPartitionsBefore(ctx, "schema_migrations", time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("DropPartitionsBefore(schema_migrations) succeeded; want an error")
	}
}
