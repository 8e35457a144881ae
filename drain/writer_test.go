package drain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/spool"
)

// The tests run in synctest bubbles: the writer's linger, backoff and drain
// deadline run on the bubble's clock, so a test asserts the exact times at
// which ClickHouse is asked, and takes no wall-clock time. The spool is a
// real one in t.TempDir(), opened inside the bubble.

// insertCall is one call of an Inserter method as fakeStore saw it.
type insertCall struct {
	method  string
	at      time.Time
	rows    int
	pending int64 // the spool's unacknowledged records at the call
	err     error
}

// fakeStore is an Inserter in memory that fails, hangs or half-succeeds on
// demand, refuses rows as ClickHouse does, and counts every row it
// accepted.
type fakeStore struct {
	sp *spool.Spool

	mu          sync.Mutex
	failEvents  int  // calls of InsertEvents left to fail
	failRejects int  // calls of InsertRejects left to fail
	hang        bool // InsertEvents waits for its ctx to end
	// downAt fails these calls of InsertEvents (1-based) as unavailable.
	downAt map[int]bool
	// refuse refuses every INSERT that holds an event of one of these call
	// ids, or a reject of one of these raw lines, with the reason given.
	refuse map[string]string
	// maxMonths, when not 0, refuses every INSERT of events that span more
	// months than that, as current ClickHouse's
	// max_partitions_per_insert_block does.
	maxMonths int
	events    map[uint64]int
	rejects   map[string][]cdr.Reject // by raw line
	calls     []insertCall
	// months are the months each accepted INSERT of events spanned.
	months []int
}

func newFakeStore() *fakeStore {
	return &fakeStore{events: map[uint64]int{}, rejects: map[string][]cdr.Reject{}}
}

var errDown = errors.New("cannot connect to clickhouse: connection refused")

// refusal is the fake's error of an INSERT refused for what is in it.
type refusal struct{ reason string }

func (r refusal) Error() string { return "cannot insert: refused: " + r.reason }

func (f *fakeStore) Refused(err error) string {
	var r refusal
	if errors.As(err, &r) {
		return r.reason
	}
	return ""
}

// refusedEvents is why the fake refuses events, or "".
func (f *fakeStore) refusedEvents(events []cdr.Event) string {
	months := map[string]bool{}
	for _, e := range events {
		if r, ok := f.refuse[e.CallID]; ok {
			return r
		}
		months[e.Time.Format("200601")] = true
	}
	if f.maxMonths > 0 && len(months) > f.maxMonths {
		return fmt.Sprintf("Too many partitions for single INSERT block (more than %d)", f.maxMonths)
	}
	return ""
}

func (f *fakeStore) InsertEvents(ctx context.Context, events []cdr.Event) error {
	f.mu.Lock()
	c := insertCall{method: "events", at: time.Now(), rows: len(events), pending: f.sp.Stats().Pending}
	hang := f.hang
	calls := 1
	for _, c := range f.calls {
		if c.method == "events" {
			calls++
		}
	}
	switch {
	case hang:
		c.err = context.Canceled
	case f.failEvents > 0:
		f.failEvents--
		c.err = errDown
	case f.downAt[calls]:
		c.err = errDown
	case f.refusedEvents(events) != "":
		c.err = refusal{f.refusedEvents(events)}
	default:
		months := map[string]bool{}
		for _, e := range events {
			f.events[e.ID]++
			months[e.Time.Format("200601")] = true
		}
		f.months = append(f.months, len(months))
	}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return c.err
}

func (f *fakeStore) InsertRejects(_ context.Context, source string, rejects []cdr.Reject) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := insertCall{method: "rejects", at: time.Now(), rows: len(rejects), pending: f.sp.Stats().Pending}
	refused := ""
	for _, r := range rejects {
		if reason, ok := f.refuse[r.Raw]; ok {
			refused = reason
		}
	}
	switch {
	case refused != "":
		c.err = refusal{refused}
	case f.failRejects > 0:
		f.failRejects--
		c.err = errDown
	default:
		for _, r := range rejects {
			if r.Source == "" {
				r.Source = source
			}
			f.rejects[r.Raw] = append(f.rejects[r.Raw], r)
		}
	}
	f.calls = append(f.calls, c)
	return c.err
}

// snapshot returns the calls so far.
func (f *fakeStore) snapshot() []insertCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// stored checks that every event and reject of want was accepted at least
// once, every reject once only (a reject is inserted after the events of
// its record, so it lands once unless its own INSERT is resent), and
// nothing else.
func (f *fakeStore) stored(t *testing.T, want *sent) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) != len(want.events) {
		t.Errorf("%d distinct events stored; want %d", len(f.events), len(want.events))
	}
	for _, e := range want.events {
		if f.events[e.ID] == 0 {
			t.Errorf("event %s is not stored", e.CallID)
		}
	}
	if len(f.rejects) != len(want.rejects) {
		t.Errorf("%d distinct rejects stored; want %d", len(f.rejects), len(want.rejects))
	}
	for _, r := range want.rejects {
		if got := f.rejects[r.Raw]; len(got) != 1 {
			t.Errorf("reject %q stored %d times; want once", r.Raw, len(got))
		} else if got[0].Switch != r.Switch || got[0].Source != r.Source || got[0].Line != r.Line || got[0].Reason != r.Reason {
			t.Errorf("reject stored as %+v; want %+v", got[0], r)
		}
	}
}

// sent is what a test appended to the spool.
type sent struct {
	events  []cdr.Event
	rejects []cdr.Reject
	at      map[string]time.Time // append time by reject raw line
	n       int                  // events and rejects made so far
}

// add appends one record of events and rejects, numbered on from the ones
// before, as one intake request does.
func (s *sent) add(t *testing.T, sp *spool.Spool, events, rejects int) {
	t.Helper()
	var evs []cdr.Event
	var rjs []cdr.Reject
	for range events {
		s.n++
		e := cdr.Event{Switch: "pbx1", Source: cdr.SourceQueueLog, Time: time.Unix(1700000000+int64(s.n), 0).UTC(),
			CallID: fmt.Sprintf("c%d", s.n), Queue: "support", Agent: "NONE", Verb: "ENTERQUEUE", Line: s.n}
		e.ID = cdr.EventID(&e)
		evs = append(evs, e)
	}
	for range rejects {
		s.n++
		rjs = append(rjs, cdr.Reject{Switch: "pbx1", Source: cdr.SourceQueueLog, Line: s.n, Field: "time",
			Reason: "not a number", Raw: fmt.Sprintf("bad line %d", s.n)})
	}
	if err := sp.Append(context.Background(), [][]byte{cdr.MarshalSpoolRecord(evs, rjs)}); err != nil {
		t.Fatal(err)
	}
	if s.at == nil {
		s.at = map[string]time.Time{}
	}
	for _, r := range rjs {
		s.at[r.Raw] = time.Now()
	}
	s.events = append(s.events, evs...)
	s.rejects = append(s.rejects, rjs...)
}

var testSpool = spool.Config{MaxBytes: 64 << 20, SegmentBytes: 1 << 20, BatchBytes: 1 << 20}

// openSpool opens the spool in dir; call it inside the bubble.
func openSpool(t *testing.T, dir string, cfg spool.Config) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func newWriter(t *testing.T, cfg Config, reg prometheus.Registerer, sp *spool.Spool, st Inserter) *Writer {
	t.Helper()
	w, err := New(cfg, slog.New(slog.DiscardHandler), reg, sp, st)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// serve runs w.Serve until the returned stop is called, which waits for it
// and fails the test if it returned an error.
func serve(t *testing.T, w *Writer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Serve(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// TestFailedInsertsAreRetriedUntilClickHouseIsBack: while ClickHouse
// refuses, the writer retries with a backoff that doubles up to MaxBackoff,
// and acknowledges nothing; once it accepts, everything lands once and the
// spool is empty.
func TestFailedInsertsAreRetriedUntilClickHouseIsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp, st.failEvents = sp, 7
		var want sent
		for range 3 {
			want.add(t, sp, 5, 1)
		}
		start := time.Now()
		reg := prometheus.NewRegistry()
		w := newWriter(t, Config{MaxBackoff: time.Second}, reg, sp, st)
		stop := serve(t, w)
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		calls := st.snapshot()
		var gaps []time.Duration
		for i, c := range calls {
			if c.method == "events" && c.pending != 3 {
				t.Errorf("call %d: %d records pending; want 3 (nothing acknowledged before ClickHouse took all)", i, c.pending)
			}
			if i > 0 && c.method == "events" {
				gaps = append(gaps, c.at.Sub(calls[i-1].at))
			}
		}
		// The first after the linger; then 0.1, 0.2, 0.4, 0.8 s and the cap.
		wantGaps := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
		for i := range wantGaps {
			wantGaps[i] *= time.Millisecond
		}
		if first := calls[0].at.Sub(start); first != DefaultLinger {
			t.Errorf("first INSERT after %v; want the linger, %v", first, DefaultLinger)
		}
		if !slices.Equal(gaps, wantGaps) {
			t.Errorf("pauses between attempts %v; want %v", gaps, wantGaps)
		}
		if n := len(calls); n != 9 || calls[8].method != "rejects" {
			t.Errorf("%d calls; want 7 failed and 1 accepted INSERT of events, then 1 of rejects: %+v", n, calls)
		}
		st.stored(t, &want)
		for raw, n := range st.events {
			if n != 1 {
				t.Errorf("event %x stored %d times; want once", raw, n)
			}
		}
		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending after ClickHouse came back; want 0", p)
		}
		if got := testutil.ToFloat64(w.batches.WithLabelValues("error")); got != 7 {
			t.Errorf("acdstat_writer_batches_total{result=error} %v; want 7", got)
		}
		if got := testutil.ToFloat64(w.batches.WithLabelValues("ok")); got != 1 {
			t.Errorf("acdstat_writer_batches_total{result=ok} %v; want 1", got)
		}
	})
}

// TestHalfAcceptedBatchSendsOnlyWhatFailed: ClickHouse takes the events
// and cannot take the rejects now; the writer sends the rejects again
// until they land (the events it took are not sent again) and
// acknowledges the batch only then.
func TestHalfAcceptedBatchSendsOnlyWhatFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp, st.failRejects = sp, 2
		var want sent
		want.add(t, sp, 4, 2)
		want.add(t, sp, 3, 0)
		stop := serve(t, newWriter(t, Config{}, nil, sp, st))
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		st.stored(t, &want)
		for _, e := range want.events {
			if n := st.events[e.ID]; n != 1 {
				t.Errorf("event %s stored %d times; want once", e.CallID, n)
			}
		}
		var methods []string
		for i, c := range st.snapshot() {
			methods = append(methods, c.method)
			if c.err != nil && c.pending != 2 {
				t.Errorf("call %d failed with %d records pending; want 2", i, c.pending)
			}
		}
		if want := []string{"events", "rejects", "rejects", "rejects"}; !slices.Equal(methods, want) {
			t.Errorf("INSERTs %v; want %v", methods, want)
		}
		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending; want 0", p)
		}
	})
}

// TestRejectsKeepTheTimeTheSpoolTookThem: a reject's ReceivedAt is when
// intake spooled it, not when ClickHouse came back.
func TestRejectsKeepTheTimeTheSpoolTookThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp, st.failEvents = sp, 3
		var want sent
		want.add(t, sp, 1, 1)
		time.Sleep(time.Hour)
		want.add(t, sp, 0, 1)
		stop := serve(t, newWriter(t, Config{}, nil, sp, st))
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
		st.stored(t, &want)
		for raw, at := range want.at {
			if got := st.rejects[raw]; len(got) == 1 && !got[0].ReceivedAt.Equal(at) {
				t.Errorf("reject %q received at %v; want %v, when it was spooled", raw, got[0].ReceivedAt, at)
			}
		}
	})
}

// TestManySmallRecordsBecomeFewInserts: records waiting in the spool are
// gathered into INSERTs of MaxRows rows, without waiting for the linger.
func TestManySmallRecordsBecomeFewInserts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One record per spool read, so the row cap alone ends a batch.
		sp := openSpool(t, t.TempDir(), spool.Config{MaxBytes: 64 << 20, SegmentBytes: 1 << 16, BatchBytes: 1})
		defer sp.Close()
		st := newFakeStore()
		st.sp = sp
		var want sent
		for range 200 {
			want.add(t, sp, 10, 0)
		}
		start := time.Now()
		stop := serve(t, newWriter(t, Config{MaxRows: 500}, nil, sp, st))
		synctest.Wait()
		stop()

		calls := st.snapshot()
		var rows []int
		for _, c := range calls {
			rows = append(rows, c.rows)
			if c.at != start {
				t.Errorf("INSERT at %v; want at once, as the cap was reached", c.at.Sub(start))
			}
		}
		if !slices.Equal(rows, []int{500, 500, 500, 500}) {
			t.Errorf("rows per INSERT %v; want 4 of 500", rows)
		}
		st.stored(t, &want)
		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending; want 0", p)
		}
	})
}

// TestLingerGathersWhatComesWithinIt: after the first record the writer
// waits Linger for more, and inserts what came within it in one INSERT.
func TestLingerGathersWhatComesWithinIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp = sp
		stop := serve(t, newWriter(t, Config{Linger: 2 * time.Second}, nil, sp, st))
		start := time.Now()
		var want sent
		want.add(t, sp, 2, 0) // at 0
		time.Sleep(500 * time.Millisecond)
		want.add(t, sp, 3, 0) // at 0.5 s: within the linger
		time.Sleep(2 * time.Second)
		want.add(t, sp, 4, 0) // at 2.5 s: after the first INSERT
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		var got []string
		for _, c := range st.snapshot() {
			got = append(got, fmt.Sprintf("%d rows at %v", c.rows, c.at.Sub(start)))
		}
		if want := []string{"5 rows at 2s", "4 rows at 4.5s"}; !slices.Equal(got, want) {
			t.Errorf("INSERTs %q; want %q", got, want)
		}
		st.stored(t, &want)
	})
}

// TestDrainOfAnEmptySpoolReturnsAtOnce: with nothing pending, Run returns
// as soon as intake stopped, not at the drain deadline.
func TestDrainOfAnEmptySpoolReturnsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp = sp
		w := newWriter(t, Config{DrainTimeout: 10 * time.Second}, nil, sp, st)
		intakeStopped := make(chan struct{})
		errc := make(chan error, 1)
		go func() { errc <- w.Run(intakeStopped) }()
		time.Sleep(time.Minute) // the writer idles, waiting for records
		start := time.Now()
		close(intakeStopped)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Run returned %v after intake stopped; want at once", d)
		}
		if calls := st.snapshot(); len(calls) != 0 {
			t.Errorf("INSERTs of an empty spool: %+v", calls)
		}
	})
}

// TestDrainInsertsWithoutLingering: records pending when intake stops are
// inserted at once (no linger), and Run returns once they are in.
func TestDrainInsertsWithoutLingering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp = sp
		var want sent
		w := newWriter(t, Config{DrainTimeout: 10 * time.Second}, nil, sp, st)
		intakeStopped := make(chan struct{})
		errc := make(chan error, 1)
		go func() { errc <- w.Run(intakeStopped) }()
		want.add(t, sp, 3, 1)
		synctest.Wait() // the writer read it and lingers for more
		start := time.Now()
		close(intakeStopped)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Run returned %v after intake stopped; want at once", d)
		}
		st.stored(t, &want)
		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending after the drain; want 0", p)
		}
	})
}

// TestDrainDeadlineLeavesRecordsForTheNextStart: ClickHouse hangs; Run
// gives up at the drain deadline with every record still in the spool, and
// the writer of the next start inserts them.
func TestDrainDeadlineLeavesRecordsForTheNextStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		sp := openSpool(t, dir, testSpool)
		st := newFakeStore()
		st.sp, st.hang = sp, true
		var want sent
		for range 4 {
			want.add(t, sp, 5, 1)
		}
		w := newWriter(t, Config{DrainTimeout: 10 * time.Second}, nil, sp, st)
		intakeStopped := make(chan struct{})
		errc := make(chan error, 1)
		go func() { errc <- w.Run(intakeStopped) }()
		time.Sleep(5 * time.Second) // the INSERT hangs
		start := time.Now()
		close(intakeStopped)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("Run returned %v after intake stopped; want the drain timeout, 10s", d)
		}
		if p := sp.Stats().Pending; p != 4 {
			t.Errorf("%d records pending after the timeout; want all 4", p)
		}
		if err := sp.Close(); err != nil {
			t.Fatal(err)
		}

		// The next start.
		sp = openSpool(t, dir, testSpool)
		defer sp.Close()
		if p := sp.Stats().Pending; p != 4 {
			t.Fatalf("%d records pending at the next start; want 4", p)
		}
		next := newFakeStore()
		next.sp = sp
		w = newWriter(t, Config{DrainTimeout: 10 * time.Second}, nil, sp, next)
		if err := w.Run(closed()); err != nil {
			t.Fatal(err)
		}
		next.stored(t, &want)
		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending after the next start's drain; want 0", p)
		}
	})
}

// TestBadRecordIsSkippedAndCounted: a record this release cannot decode is
// counted and acknowledged; the records around it are inserted.
func TestBadRecordIsSkippedAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := openSpool(t, t.TempDir(), testSpool)
		defer sp.Close()
		st := newFakeStore()
		st.sp = sp
		var want sent
		want.add(t, sp, 2, 0)
		if err := sp.Append(context.Background(), [][]byte{{9, 1, 2, 3}}); err != nil {
			t.Fatal(err)
		}
		want.add(t, sp, 2, 1)
		w := newWriter(t, Config{}, prometheus.NewRegistry(), sp, st)
		stop := serve(t, w)
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
		st.stored(t, &want)
		if got := testutil.ToFloat64(w.batches.WithLabelValues("bad_record")); got != 1 {
			t.Errorf("acdstat_writer_batches_total{result=bad_record} %v; want 1", got)
		}
		if p := sp.Stats().Pending; p != 0 {
			t.Errorf("%d records pending; want 0", p)
		}
	})
}

// TestOpenRegistersTheMetrics: Open opens the spool in Dir and registers
// the writer's and the spool's metrics; Close closes the spool it opened.
func TestOpenRegistersTheMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	w, err := Open(Config{Dir: t.TempDir(), Spool: testSpool}, slog.New(slog.DiscardHandler), reg, newFakeStore())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Spool().Ready(); err != nil {
		t.Errorf("a new spool is not ready: %v", err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	want := []string{"acdstat_spool_bytes", "acdstat_spool_damaged_segments", "acdstat_spool_max_bytes",
		"acdstat_spool_oldest_age_seconds", "acdstat_spool_records_pending", "acdstat_writer_batches_total", "acdstat_writer_insert_seconds",
		"acdstat_writer_inserts_total", "acdstat_writer_refused_rows_total"}
	if !slices.Equal(names, want) {
		t.Errorf("metrics %v; want %v", names, want)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Spool().Append(context.Background(), [][]byte{{1}}); !errors.Is(err, spool.ErrClosed) {
		t.Errorf("Append after Close: %v; want spool.ErrClosed", err)
	}
}
