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
	// Two runs of one process, the second read the server's clock just
	// before a second ended and its own just after: it still wins.
	first := RollupVersion(s, s.Add(900*time.Millisecond))
	second := RollupVersion(s, s.Add(1001*time.Millisecond))
	if first >= second {
		t.Errorf("a run 101 ms later got version %d, not above %d", second, first)
	}
	// Within one second the local clock orders runs.
	if RollupVersion(s, s.Add(1)) >= RollupVersion(s, s.Add(2)) {
		t.Errorf("versions do not follow the local clock within a second")
	}
	// A local clock behind the server's gives the server's second, so a run
	// on that node is not outranked for the length of its lag.
	if got := RollupVersion(s, s.Add(-time.Hour)); got != uint64(s.UnixNano()) {
		t.Errorf("lagging local clock: got %d; want the server's second %d", got, s.UnixNano())
	}
	if RollupVersion(s, s.Add(-time.Hour)) >= RollupVersion(s.Add(time.Second), s.Add(-time.Hour)) {
		t.Errorf("lagging local clock: versions do not follow the server's seconds")
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
