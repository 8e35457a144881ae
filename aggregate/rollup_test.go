package aggregate

import (
	"testing"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

func TestRollupWindow(t *testing.T) {
	upto := time.Date(2025, 10, 28, 10, 0, 0, 0, time.UTC)
	if w := RollupWindow(time.Time{}, upto, 2*time.Minute); !w.From.Equal(time.Unix(0, 0)) || !w.To.Equal(upto) {
		t.Fatalf("first run: got %v; want from 1970", w)
	}
	mark := upto.Add(-10 * time.Second)
	if w := RollupWindow(mark, upto, 2*time.Minute); !w.From.Equal(mark.Add(-2*time.Minute)) || !w.To.Equal(upto) {
		t.Fatalf("got %v; want the margin below the mark", w)
	}
}

func TestRollupVersionOrdersRuns(t *testing.T) {
	s := time.Date(2025, 10, 28, 10, 0, 0, 0, time.UTC)
	a := RollupVersion(s, time.Unix(5, 999_999_999))
	b := RollupVersion(s.Add(time.Second), time.Unix(5, 0))
	if !(a < b) || RollupVersion(s, time.Unix(0, 1)) >= RollupVersion(s, time.Unix(0, 2)) {
		t.Fatalf("versions do not follow server seconds, then local nanoseconds")
	}
}

func TestBucketsBetweenAndSort(t *testing.T) {
	qs := []cdr.BucketRef{{Switch: "b", Queue: "q"}, {Switch: "a", Queue: "q"}}
	from := time.Date(2025, 10, 28, 10, 7, 0, 0, time.UTC)
	got := BucketsBetween(qs, from, from.Add(30*time.Minute))
	if len(got) != 6 || !got[0].Start.Equal(time.Date(2025, 10, 28, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %v; want 3 buckets × 2 queues from 10:00", got)
	}
	s := SortBuckets(got)
	if s[0].Switch != "a" || !s[5].Start.Equal(time.Date(2025, 10, 28, 10, 30, 0, 0, time.UTC)) || got[0].Switch != "b" {
		t.Fatalf("sorted %v; want time, then switch order, input untouched", s)
	}
}
