package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/acdstat/acdstat/cdr"
)

// countSink counts what it is given and keeps nothing, so that the heap
// measured is the handler's; it refuses a request once more than limit
// rejects came, so that a handler without the cap stops at once.
type countSink struct {
	limit   int
	events  atomic.Int64
	rejects atomic.Int64
}

func (s *countSink) Accept(_ context.Context, events []cdr.Event, rejects []cdr.Reject) error {
	s.events.Add(int64(len(events)))
	if n := s.rejects.Add(int64(len(rejects))); n > int64(s.limit) {
		return fmt.Errorf("the sink got %d rejects, more than the cap of %d", n, s.limit)
	}
	return nil
}

// repeatReader yields its pattern again and again, so that a large body
// costs the test nothing.
type repeatReader struct{ pattern []byte }

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.pattern)
	}
	return n, nil
}

// heapObjects is the heap held by objects, live or not yet swept: what the
// process holds at this moment, without stopping it to collect.
func heapObjects() uint64 {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}

// peakHeap samples heapObjects until stop is called, which returns the
// highest sample.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

func newLimitedHandler(t *testing.T, cfg Config, now func() time.Time, sink Sink) (*httptest.Server, *prometheus.Registry) {
	t.Helper()
	cfg.SwitchTimezone = "UTC"
	reg := prometheus.NewRegistry()
	h, err := NewHandler(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), reg, now, nil, sink)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, reg
}

// TestBadLinesCostBoundedMemory is the attack of issue 12 item 3: one
// 32 MiB request of two-byte bad lines (16.7 M rejects) peaked at 5.9 GB,
// every reject kept and all written to the rejects table. The request must
// stay within a fixed heap, answer with a sample and the count of the
// rest, and store at most the cap of rejects, counting what it dropped.
func TestBadLinesCostBoundedMemory(t *testing.T) {
	const body = 32 << 20
	const lines = body / 2
	const perRequest = 1000
	sink := &countSink{limit: perRequest}
	srv, reg := newLimitedHandler(t, Config{MaxBodyBytes: body, Limits: Limits{MaxRejectsPerRequest: perRequest, MaxRejectsPerMinute: 10 * perRequest}},
		func() time.Time { return testNow }, sink)
	// The bound is on what the request holds, not on how late the
	// collector runs (the race detector's builds allocate more between
	// collections): collect at 20 % growth rather than 100 %.
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	before := heapObjects()
	stop := peakHeap()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/ingest/queue_log?switch=pbx1", io.LimitReader(repeatReader{[]byte("x\n")}, body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = body
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	peak := stop()
	// The body itself is 32 MiB, read whole into one buffer of its length;
	// what the rejects may add is a few batches of the decoder's (8,192
	// lines) not yet collected.
	const bound = 96 << 20
	t.Logf("heap before %d MiB, peak %d MiB (bound %d MiB over before)", before>>20, peak>>20, bound>>20)
	if peak > before+bound {
		t.Errorf("the request peaked at %d MiB of heap, more than %d MiB over the %d MiB before", peak>>20, bound>>20, before>>20)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400 (no line taken): %.300s", resp.StatusCode, raw)
	}
	var a Answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Rejected) != maxRejectsListed+1 {
		t.Fatalf("%d lines in the answer's rejected, want %d listed and one that counts the rest", len(a.Rejected), maxRejectsListed)
	}
	if want := fmt.Sprintf("%d more rejected lines not listed", lines-maxRejectsListed); a.Rejected[maxRejectsListed].Reason != want {
		t.Errorf("the answer's last entry says %q, want %q", a.Rejected[maxRejectsListed].Reason, want)
	}
	if a.Rejected[0].Line != 1 || a.Rejected[maxRejectsListed-1].Line != maxRejectsListed {
		t.Errorf("sample lines %d..%d, want 1..%d", a.Rejected[0].Line, a.Rejected[maxRejectsListed-1].Line, maxRejectsListed)
	}
	if got := sink.rejects.Load(); got != perRequest {
		t.Errorf("%d rejects stored, want the cap of %d", got, perRequest)
	}
	if got := testutil.ToFloat64(mustCounter(t, reg, "acdstat_intake_rejects_dropped_total")); got != lines-perRequest {
		t.Errorf("acdstat_intake_rejects_dropped_total = %v, want %d", got, lines-perRequest)
	}
}

// mustCounter is the sum of a counter family's series in reg.
func mustCounter(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	found := false
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		found = true
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	if !found {
		t.Fatalf("no metric %s", name)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name})
	c.Add(sum)
	return c
}

// TestRejectsCappedPerSourceAndMinute: the rejects of one source address
// stored in a minute are capped, whatever the number of requests; the
// next minute takes them again.
func TestRejectsCappedPerSourceAndMinute(t *testing.T) {
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sink := &countSink{limit: 1 << 30}
	srv, reg := newLimitedHandler(t, Config{MaxBodyBytes: 1 << 20, Limits: Limits{MaxRejectsPerRequest: 100, MaxRejectsPerMinute: 250}}, clock, sink)
	bad := strings.Repeat("x\n", 300)
	for i, want := range []int64{100, 200, 250, 250} {
		if code, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", bad); code != http.StatusBadRequest {
			t.Fatalf("request %d: status %d: %s", i, code, raw)
		}
		if got := sink.rejects.Load(); got != want {
			t.Errorf("after request %d: %d rejects stored, want %d", i+1, got, want)
		}
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	post(t, srv.URL+"/v1/ingest/queue_log", bad)
	if got := sink.rejects.Load(); got != 350 {
		t.Errorf("a minute later: %d rejects stored, want 350", got)
	}
	if got := testutil.ToFloat64(mustCounter(t, reg, "acdstat_intake_rejects_dropped_total")); got != 5*300-350 {
		t.Errorf("acdstat_intake_rejects_dropped_total = %v, want %d", got, 5*300-350)
	}
}

// blockSink holds every Accept until release is closed.
type blockSink struct {
	entered chan struct{}
	release chan struct{}
}

func (s *blockSink) Accept(ctx context.Context, _ []cdr.Event, _ []cdr.Reject) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestConcurrentIngestBounded: with ACDSTAT_MAX_INGEST_REQUESTS=1, a
// second request while one is being stored waits ACDSTAT_INGEST_WAIT and
// gets 503 with Retry-After; after the first, requests pass again.
func TestConcurrentIngestBounded(t *testing.T) {
	sink := &blockSink{entered: make(chan struct{}, 1), release: make(chan struct{})}
	srv, _ := newLimitedHandler(t, Config{MaxBodyBytes: 1 << 20, Limits: Limits{MaxIngestRequests: 1, IngestWait: 50 * time.Millisecond}},
		func() time.Time { return testNow }, sink)
	line := "1767139200|c1|q1|NONE|ENTERQUEUE||100|1\n"
	first := make(chan int, 1)
	go func() {
		code, _, _, _ := post(t, srv.URL+"/v1/ingest/queue_log", line)
		first <- code
	}()
	select {
	case <-sink.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first request never reached the sink")
	}
	second := make(chan int, 1)
	var retry string
	go func() {
		code, h, _, _ := post(t, srv.URL+"/v1/ingest/queue_log", line)
		retry = h.Get("Retry-After")
		second <- code
	}()
	select {
	case code := <-second:
		if code != http.StatusServiceUnavailable || retry == "" {
			t.Errorf("second request: status %d, Retry-After %q; want 503 with Retry-After", code, retry)
		}
	case <-time.After(10 * time.Second):
		t.Error("the second request waited for the first instead of 503")
	}
	close(sink.release)
	if code := <-first; code != http.StatusOK {
		t.Errorf("first request: status %d, want 200", code)
	}
	if code, _, _, raw := post(t, srv.URL+"/v1/ingest/queue_log", line); code != http.StatusOK {
		t.Errorf("a request after the first: status %d: %s", code, raw)
	}
}
