package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a server that keeps every line it acknowledges, in order.
type recorder struct {
	mu       sync.Mutex
	lines    []string
	requests int
	fail503  int    // the first fail503 requests answer 503 with Retry-After
	status   int    // when set, every request answers this
	answer   string // the body of such answers
	switches []string
	auth     []string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	rc.switches = append(rc.switches, r.URL.Query().Get("switch"))
	rc.auth = append(rc.auth, r.Header.Get("Authorization"))
	if rc.status != 0 {
		w.WriteHeader(rc.status)
		io.WriteString(w, rc.answer)
		return
	}
	if rc.requests <= rc.fail503 {
		w.Header().Set("Retry-After", "0")
		WriteError(w, http.StatusServiceUnavailable, "spool full")
		return
	}
	lines := strings.SplitAfter(string(body), "\n")
	for _, l := range lines {
		if l == "" {
			continue
		}
		if !strings.HasSuffix(l, "\n") {
			panic("shipper sent a line without its line break: " + l)
		}
		rc.lines = append(rc.lines, strings.TrimSuffix(l, "\n"))
	}
	writeJSON(w, http.StatusOK, Answer{Accepted: len(lines) - 1, Rejected: []RejectLine{}})
}

func (rc *recorder) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.lines)
}

type shipRig struct {
	t      *testing.T
	dir    string
	path   string
	state  string
	rec    *recorder
	url    string
	n      int      // lines written so far
	want   []string // every line written, in order
	cancel context.CancelFunc
	done   chan error
}

func newShipRig(t *testing.T, rec *recorder) *shipRig {
	dir := t.TempDir()
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return &shipRig{t: t, dir: dir, path: filepath.Join(dir, "queue_log"), state: filepath.Join(dir, "state"), rec: rec, url: srv.URL}
}

func (r *shipRig) shipper() *Shipper {
	sh, err := NewShipper(ShipConfig{
		Path: r.path, URL: r.url, Switch: "pbx1", Token: "tok", StateFile: r.state,
		MaxLines: 7, Poll: 5 * time.Millisecond, MaxWait: 10 * time.Millisecond,
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		r.t.Fatal(err)
	}
	return sh
}

func (r *shipRig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	sh := r.shipper()
	go func() { r.done <- sh.Run(ctx) }()
}

func (r *shipRig) stop() {
	r.t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Fatalf("Run: %v", err)
	}
}

// lines returns k new distinct queue_log lines, remembered as wanted.
func (r *shipRig) lines(k int) string {
	var b strings.Builder
	for range k {
		r.n++
		l := fmt.Sprintf("%d|c%d.1|servicedesk|NONE|ENTERQUEUE||caller|1", 1700000000+r.n, r.n)
		r.want = append(r.want, l)
		b.WriteString(l + "\n")
	}
	return b.String()
}

func (r *shipRig) appendTo(path, s string) {
	r.t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		r.t.Fatal(err)
	}
}

// waitFor waits until the server holds every wanted line, and fails on
// anything else (a repeat, a loss, another order).
func (r *shipRig) waitFor(what string) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := r.rec.got()
		if len(got) >= len(r.want) {
			if !slices.Equal(got, r.want) {
				r.t.Fatalf("%s: the server got\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(r.want, "\n"))
			}
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: the server got %d of %d lines:\n%s", what, len(got), len(r.want), strings.Join(got, "\n"))
		}
		select {
		case err := <-r.done:
			r.t.Fatalf("%s: Run ended: %v", what, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// waitSaved waits until the state file holds the end of path, so a stop
// now has nothing in flight.
func (r *shipRig) waitSaved() {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		fi, err1 := os.Stat(r.path)
		st, err2 := loadShipState(r.state)
		if err1 == nil && err2 == nil && st.Inode == inode(fi) && st.Offset == fi.Size() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.t.Fatal("the state file never reached the end of the file")
}

func TestShipperSendsEveryLineOnceThroughRotationTruncationAndRestarts(t *testing.T) {
	r := newShipRig(t, &recorder{fail503: 2})
	r.appendTo(r.path, r.lines(10))
	r.start()
	r.waitFor("first lines, after two 503s")

	// A partial last line waits for its line break.
	r.appendTo(r.path, r.lines(5))
	partial := r.lines(1)
	r.appendTo(r.path, partial[:20])
	r.want = r.want[:len(r.want)-1]
	r.waitFor("appended lines")
	r.want = append(r.want, strings.TrimSuffix(partial, "\n"))
	r.appendTo(r.path, partial[20:])
	r.waitFor("the line completed later")

	// Rotation (rename + create): the switch writes two more lines to the
	// old file through its open descriptor before it reopens.
	r.appendTo(r.path, r.lines(3))
	if err := os.Rename(r.path, r.path+".1"); err != nil {
		t.Fatal(err)
	}
	r.appendTo(r.path+".1", r.lines(2))
	r.appendTo(r.path, r.lines(3))
	r.waitFor("rotation by rename")

	// copytruncate, then fewer bytes than before.
	r.waitSaved()
	if err := os.Truncate(r.path, 0); err != nil {
		t.Fatal(err)
	}
	r.appendTo(r.path, r.lines(1))
	r.waitFor("truncation")

	// copytruncate, then more bytes than before.
	r.waitSaved()
	if err := os.Truncate(r.path, 0); err != nil {
		t.Fatal(err)
	}
	r.appendTo(r.path, r.lines(9))
	r.waitFor("truncation and growth past the offset")

	// Restart from the state file.
	r.waitSaved()
	r.stop()
	r.appendTo(r.path, r.lines(3))
	r.start()
	r.waitFor("restart")

	// Rotated while the shipper was down: the old file's tail first.
	r.waitSaved()
	r.stop()
	r.appendTo(r.path, r.lines(2))
	if err := os.Rename(r.path, r.path+".2"); err != nil {
		t.Fatal(err)
	}
	r.appendTo(r.path, r.lines(2))
	r.start()
	r.waitFor("rotation while stopped")
	r.waitSaved()
	r.stop()

	if got := r.rec.got(); !slices.Equal(got, r.want) {
		t.Fatalf("at the end the server got %d lines; want the %d written, once each, in order", len(got), len(r.want))
	}
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	for i := range r.rec.requests {
		if r.rec.switches[i] != "pbx1" || r.rec.auth[i] != "Bearer tok" {
			t.Fatalf("request %d: switch %q, Authorization %q; want pbx1 and Bearer tok", i, r.rec.switches[i], r.rec.auth[i])
		}
	}
}

func TestShipperStopsOnRefusedToken(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		r := newShipRig(t, &recorder{status: status, answer: `{"error":"the ingest token is not valid"}`})
		r.appendTo(r.path, r.lines(3))
		err := r.shipper().Run(context.Background())
		if !errors.Is(err, ErrShipRefused) || !strings.Contains(err.Error(), "token is not valid") {
			t.Errorf("status %d: Run = %v; want ErrShipRefused with the server's message", status, err)
		}
		if _, err := os.Stat(r.state); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("status %d: a state file was written although nothing was acknowledged", status)
		}
	}
}

func TestShipperTakesAllRejectedAsAcknowledged(t *testing.T) {
	r := newShipRig(t, &recorder{status: http.StatusBadRequest, answer: `{"accepted":0,"duplicates":0,"rejected":[{"line":1,"field":"time","reason":"not a number"}]}`})
	r.appendTo(r.path, "garbage\n")
	r.start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := loadShipState(r.state)
		if err == nil && st.Offset == int64(len("garbage\n")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("offset never moved past a batch the server stored as rejects: %+v %v", st, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.stop()
}

func TestShipStateIsReplacedAtomically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	for i := range 3 {
		if err := saveShipState(path, ShipState{Inode: 7, Offset: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	var st ShipState
	if err := json.Unmarshal(b, &st); err != nil || st.Offset != 2 {
		t.Fatalf("state %s (%v); want offset 2", b, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files beside the state; want none (temporary files are renamed away)", len(entries)-1)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{{"", 0}, {"3", 3 * time.Second}, {"9999", time.Minute}, {"soon", 0}} {
		if got := retryAfter(tc.in, time.Minute); got != tc.want {
			t.Errorf("retryAfter(%q) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

// A run of blank lines is not posted (the server refuses an empty body)
// and does not stop the shipper: the lines after it still arrive.
func TestShipperSkipsBlankLines(t *testing.T) {
	r := newShipRig(t, &recorder{})
	r.appendTo(r.path, "\n\n\n")
	r.start()
	defer r.stop()
	time.Sleep(50 * time.Millisecond) // longer than MaxWait: the blank batch is due
	r.appendTo(r.path, r.lines(3))
	r.waitFor("lines after blank lines")
}

// Lines read but still waiting for their batch when the file is truncated
// (logrotate's copytruncate) are sent before the shipper starts over.
func TestShipperSendsBufferedLinesOnTruncation(t *testing.T) {
	r := newShipRig(t, &recorder{})
	sh, err := NewShipper(ShipConfig{
		Path: r.path, URL: r.url, Switch: "pbx1", StateFile: r.state,
		MaxLines: 1000, Poll: 5 * time.Millisecond, MaxWait: time.Hour,
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r.appendTo(r.path, r.lines(3))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sh.Run(ctx) }()
	time.Sleep(100 * time.Millisecond) // read, not sent: the batch waits an hour
	if got := r.rec.got(); len(got) != 0 {
		t.Fatalf("sent %v before the batch was due", got)
	}
	if err := os.Truncate(r.path, 0); err != nil {
		t.Fatal(err)
	}
	r.waitFor("buffered lines at truncation")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
