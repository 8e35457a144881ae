package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/acdstat/acdstat/simulate"
)

// terminal is a pseudo-terminal: a command writes to tty, and what a person
// would see on the screen is read from the other side.
type terminal struct {
	tty  *os.File
	pty  *os.File
	mu   sync.Mutex
	seen bytes.Buffer
	done chan struct{}
}

// openTerminal opens a pseudo-terminal (Linux's /dev/ptmx) for the test.
func openTerminal(t *testing.T) *terminal {
	t.Helper()
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, pty.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Fatalf("cannot unlock the pseudo-terminal: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, pty.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatalf("cannot name the pseudo-terminal: %v", errno)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{tty: tty, pty: pty, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := pty.Read(buf)
			term.mu.Lock()
			term.seen.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { term.close() })
	return term
}

// screen closes the terminal and returns everything written to it.
func (term *terminal) screen() string {
	term.close()
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.seen.String()
}

func (term *terminal) close() {
	if term.tty != nil {
		term.tty.Close() // the reader then gets EIO
		term.tty = nil
		<-term.done
		term.pty.Close()
	}
}

// TestLongWorkShowsProgressOnATerminal runs ingest and rebuild with their
// standard error on a (pseudo-)terminal, as a person at a terminal does:
// each shows a status line that ends at 100 % with the count of what it
// did, while their standard output (the results) carries none of it.
func TestLongWorkShowsProgressOnATerminal(t *testing.T) {
	environ := testEnv(t)
	sim := smallSim(t, 5)
	file := writeLines(t, "queue_log", sim.Lines())

	term := openTerminal(t)
	var out bytes.Buffer
	p := process{environ: environ, stdout: &out, stderr: term.tty, now: clockFrom(testToday)}
	if err := run(context.Background(), p, []string{"ingest", file}); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), p, []string{"rebuild", "--from", "2025-10-26", "--to", "2025-11-02"}); err != nil {
		t.Fatalf("rebuild: %v\n%s", err, out.String())
	}
	screen := term.screen()
	// The status line counts what the result line says was done.
	var rebuilt int64
	if i := strings.Index(out.String(), "queue calls rebuilt for "); i < 0 {
		t.Fatalf("rebuild printed no result:\n%s", out.String())
	} else {
		fmt.Sscanf(out.String()[i:], "queue calls rebuilt for %d call ids", &rebuilt)
	}
	for _, want := range []string{
		file + " [####################] 100% of ",
		fmt.Sprintf(" %s lines", thousands(int64(len(sim.Lines())))),
		fmt.Sprintf("rebuilding queue calls [####################] 100%%  %s calls", thousands(rebuilt)),
		"rolling up [####################] 100%",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(out.String(), "\r") || strings.Contains(out.String(), "%") {
		t.Errorf("the progress went to standard output:\n%s", out.String())
	}
}

// TestShipShowsItsCatchingUpOnATerminal ships a queue_log of several MiB
// to a running serve with standard error on a terminal: while it catches up
// it shows a status line, which ends at 100 % once all is acknowledged.
func TestShipShowsItsCatchingUpOnATerminal(t *testing.T) {
	environ := testEnv(t)
	startServe(t, environ)
	cfg := simulate.DefaultConfig()
	cfg.Days = 28
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	file := writeLines(t, "queue_log", sim.Lines())
	if fi, err := os.Stat(file); err != nil || fi.Size() <= 2*catchUpBytes {
		t.Fatalf("the queue_log is too small to catch up with: %v, %v", fi.Size(), err)
	}
	term := openTerminal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	state := filepath.Join(t.TempDir(), "offset")
	done := make(chan error, 1)
	p := process{environ: environ, stdout: io.Discard, stderr: term.tty, now: clockFrom(testToday)}
	go func() {
		done <- run(ctx, p, []string{"ship", "--queue-log", file, "--state", state, "--log-level", "warn",
			"--to", "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")})
	}()
	// Caught up when the saved offset is the file's size.
	fi, _ := os.Stat(file)
	for !strings.Contains(readFile(state), fmt.Sprintf(`"offset":%d,`, fi.Size())) {
		select {
		case err := <-done:
			t.Fatalf("ship ended: %v", err)
		case <-ctx.Done():
			t.Fatalf("ship did not catch up; state %s", readFile(state))
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ship: %v", err)
	}
	screen := term.screen()
	for _, want := range []string{"catching up " + file + " [", "[####################] 100% of ", " lines/s"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal lacks %q:\n%s", want, screen)
		}
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestSimulateShowsItsSendingOnATerminal: make run's simulator posting
// weeks of history shows how far it is on a terminal.
func TestSimulateShowsItsSendingOnATerminal(t *testing.T) {
	environ := testEnv(t)
	startServe(t, environ)
	term := openTerminal(t)
	p := process{environ: environ, stdout: io.Discard, stderr: term.tty, now: clockFrom(testToday)}
	if err := run(context.Background(), p, []string{"simulate", "--calls-per-day", "100", "--to", "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR")}); err != nil {
		t.Fatalf("simulate: %v", err)
	}
	screen := term.screen()
	if !strings.Contains(screen, "sending the history [####################] 100%") {
		t.Errorf("the terminal lacks the sending's progress:\n%s", screen)
	}
}
