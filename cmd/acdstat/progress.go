package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// progress is the one status line of long work (ingest, rebuild, ship
// catching up, make run's history): how far it is, how many items it has
// done, at what rate, and about how long is left. It is redrawn in place
// every redrawEvery on a terminal, and prints nothing when its writer is
// not one (a log file, a pipe, a test), so that scripts and logs see only
// the results. A nil *progress is a valid one that prints nothing.
//
// Done and Items may be called from any goroutine; Stop must be called
// once, after the last of them.
type progress struct {
	w     io.Writer
	label string
	// unit names one item ("line", "call"); bytes says that done and
	// total count bytes (shown in MiB) rather than items.
	unit  string
	bytes bool
	total atomic.Int64 // of done; 0 when unknown
	done  atomic.Int64
	items atomic.Int64
	start time.Time

	stop    chan struct{}
	stopped sync.WaitGroup
}

// redrawEvery is how often the line is redrawn.
const redrawEvery = 200 * time.Millisecond

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startProgress starts the status line of label on w when w is a terminal,
// else returns nil. total is the amount of work in the unit of done (bytes
// when byteSized), 0 when unknown; unit names one of the items counted
// ("line": the line says "1 line", "2 lines").
func startProgress(w io.Writer, label string, total int64, byteSized bool, unit string) *progress {
	if !isTerminal(w) {
		return nil
	}
	p := &progress{w: w, label: label, unit: unit, bytes: byteSized, start: time.Now(), stop: make(chan struct{})}
	p.total.Store(total)
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(redrawEvery)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.draw()
				fmt.Fprintln(p.w)
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

// Add counts done more of the work and items more items.
func (p *progress) Add(done, items int64) {
	if p != nil {
		p.done.Add(done)
		p.items.Add(items)
	}
}

// Set says how far the work is: done of total (total 0 keeps the one
// known), with items items so far.
func (p *progress) Set(done, total, items int64) {
	if p == nil {
		return
	}
	p.done.Store(done)
	if total > 0 {
		p.total.Store(total)
	}
	p.items.Store(items)
}

// Stop draws the line a last time and ends it.
func (p *progress) Stop() {
	if p == nil {
		return
	}
	close(p.stop)
	p.stopped.Wait()
}

func (p *progress) draw() {
	line := progressLine(p.label, p.done.Load(), p.total.Load(), p.items.Load(), p.unit, p.bytes, time.Since(p.start))
	// \r and clear to the end of the line: a shorter line leaves nothing
	// of a longer one behind.
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

// progressLine is the status line: label, a bar and the share done when
// the total is known, the items done and their rate, and the time left
// (from the rate of done so far). It is a pure function of its arguments.
func progressLine(label string, done, total, items int64, unit string, byteSized bool, elapsed time.Duration) string {
	var b strings.Builder
	b.WriteString(label)
	if total > 0 {
		share := min(float64(done)/float64(total), 1)
		const width = 20
		n := int(share * width)
		fmt.Fprintf(&b, " [%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat(".", width-n), share*100)
		if byteSized {
			fmt.Fprintf(&b, " of %s", mib(total))
		}
	} else if byteSized {
		fmt.Fprintf(&b, " %s", mib(done))
	}
	if unit != "" {
		if items == 1 {
			fmt.Fprintf(&b, "  1 %s", unit)
		} else {
			fmt.Fprintf(&b, "  %s %ss", thousands(items), unit)
		}
	}
	secs := elapsed.Seconds()
	if secs >= 0.5 && unit != "" && items > 0 {
		fmt.Fprintf(&b, "  %s %ss/s", thousands(int64(float64(items)/secs)), unit)
	}
	if secs >= 0.5 && total > 0 && done > 0 && done < total {
		left := time.Duration(float64(total-done) / (float64(done) / secs) * float64(time.Second))
		fmt.Fprintf(&b, "  about %s left", clock(left))
	}
	return b.String()
}

// mib writes a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// thousands writes n with thin separators every three digits: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// clock writes a duration as m:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// plural writes n and the noun, singular for one: "1 line", "2 lines".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// countingReader counts the bytes and the line breaks read through it
// into a progress.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.Add(int64(n), int64(bytes.Count(b[:n], []byte{'\n'})))
	return n, err
}
