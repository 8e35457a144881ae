package main

import (
	"bytes"
	"testing"
	"time"
)

// TestProgressLineSaysHowFarHowFastAndHowLong reads the status line of
// long work as a person at a terminal does.
func TestProgressLineSaysHowFarHowFastAndHowLong(t *testing.T) {
	for _, tc := range []struct {
		name               string
		done, total, items int64
		unit               string
		bytes              bool
		elapsed            time.Duration
		want               string
	}{
		{"a file a quarter read in 10 s", 25 << 20, 100 << 20, 250000, "line", true, 10 * time.Second,
			"queue_log [#####...............]  25% of 100.0 MiB  250,000 lines  25,000 lines/s  about 0:30 left"},
		{"calls of a rebuild, half done", 1500, 3000, 1500, "call", false, 90 * time.Second,
			"queue_log [##########..........]  50%  1,500 calls  16 calls/s  about 1:30 left"},
		{"done", 100 << 20, 100 << 20, 1000000, "line", true, time.Minute,
			"queue_log [####################] 100% of 100.0 MiB  1,000,000 lines  16,666 lines/s"},
		{"standard input, size unknown", 3 << 20, 0, 4000, "line", true, 2 * time.Second,
			"queue_log 3.0 MiB  4,000 lines  2,000 lines/s"},
		{"at the start", 0, 100 << 20, 0, "line", true, 0,
			"queue_log [....................]   0% of 100.0 MiB  0 lines"},
		{"more than an hour left", 1, 4000, 1, "call", false, time.Second,
			"queue_log [....................]   0%  1 call  1 calls/s  about 1:06:39 left"},
	} {
		if got := progressLine("queue_log", tc.done, tc.total, tc.items, tc.unit, tc.bytes, tc.elapsed); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestProgressIsQuietOffATerminal: written to a file or a pipe (a log,
// a script, a test), the status line prints nothing at all.
func TestProgressIsQuietOffATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := startProgress(&buf, "queue_log", 100, true, "line")
	p.Add(50, 10)
	p.Set(100, 0, 20)
	p.Stop()
	if p != nil || buf.Len() != 0 {
		t.Errorf("got %v and %q; want no progress and nothing printed", p, buf.String())
	}
}

func TestPluralSaysOneInTheSingular(t *testing.T) {
	for n, want := range map[int]string{0: "0 lines", 1: "1 line", 2: "2 lines", 1001: "1001 lines"} {
		if got := plural(n, "line", "lines"); got != want {
			t.Errorf("plural(%d) = %q; want %q", n, got, want)
		}
	}
}
