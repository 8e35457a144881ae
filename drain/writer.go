package drain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/spool"
)

// Inserter is what the writer needs of ClickHouse (*store.Store). A nil
// error means ClickHouse accepted all of the rows; with an error, any part
// of them may have landed. Neither insert retains the slice.
type Inserter interface {
	InsertEvents(ctx context.Context, events []cdr.Event) error
	// InsertRejects stamps source on rejects whose Source is empty.
	InsertRejects(ctx context.Context, source string, rejects []cdr.Reject) error
	// Refused returns ClickHouse's reason when err, from one of the
	// inserts, says it refused the rows for what is in them, so that the
	// same rows would be refused again; "" when ClickHouse could not take
	// them now (away, timed out, overloaded), so that they are to be sent
	// again. The store knows ClickHouse's codes; the writer decides what
	// to do.
	Refused(err error) string
}

// Defaults of Config. An INSERT costs ClickHouse 20-25 ms whatever its size
// (CLICKHOUSE.md), so the writer gathers tens of thousands of rows, waiting
// a little for more once it has some. The linger is a quarter second, not
// more: another node shows an event on its wallboard only once this node
// stored it, and the wallboard promises 2 s; at most four INSERTs a second
// while traffic is light cost ClickHouse about a tenth of a core.
const (
	DefaultMaxRows    = 50000
	DefaultLinger     = 250 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
	// DefaultMaxMonths is half of current ClickHouse's default
	// max_partitions_per_insert_block (100): the events table is
	// partitioned by the month of event time in the server's zone, and
	// the events of one month of UTC fall in at most two of those.
	DefaultMaxMonths = 50

	// firstBackoff is the pause after the first failed INSERT; it doubles
	// up to MaxBackoff.
	firstBackoff = 100 * time.Millisecond
	// notReadableYet is how long a drain waits for records that the spool
	// counts but cannot return yet (appended, fsync running).
	notReadableYet = 10 * time.Millisecond
)

// Config holds the writer's settings; zero fields take the defaults.
type Config struct {
	// Dir and Spool are the spool's directory and settings (Open only).
	Dir   string
	Spool spool.Config
	// MaxRows is the rows (events and rejects) gathered for one INSERT.
	// The spool is read a batch at a time (spool.Config.BatchBytes), so an
	// INSERT passes MaxRows by at most the rows of one spool batch.
	MaxRows int
	// Linger is how long the writer waits for more rows once it has some.
	Linger time.Duration
	// MaxBackoff is the longest pause between retries of a failed INSERT.
	MaxBackoff time.Duration
	// MaxMonths is the most months of event time (UTC) that one INSERT of
	// events spans: a batch that spans more is sent as one INSERT per
	// group of MaxMonths months (a backfill of old history), since current
	// ClickHouse refuses an INSERT that touches more than
	// max_partitions_per_insert_block partitions.
	MaxMonths int
	// DrainTimeout bounds the drain of Run once intake stopped (0: Run stops
	// at once and leaves everything to the next start).
	DrainTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxRows <= 0 {
		c.MaxRows = DefaultMaxRows
	}
	if c.Linger <= 0 {
		c.Linger = DefaultLinger
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxMonths <= 0 {
		c.MaxMonths = DefaultMaxMonths
	}
	return c
}

// Writer drains a spool into ClickHouse. Serve (or Run) is its one
// consumer goroutine; Drain and Spool may be called from anywhere.
type Writer struct {
	cfg       Config
	sp        *spool.Spool
	ownsSpool bool
	st        Inserter
	log       *slog.Logger

	draining  chan struct{} // closed by Drain
	drainOnce sync.Once
	// done is an ended context: Next with it returns what is readable
	// now, without waiting.
	done context.Context

	batches *prometheus.CounterVec
	seconds prometheus.Histogram
	inserts *prometheus.CounterVec
	refused *prometheus.CounterVec
}

// Open opens (and so recovers) the spool in cfg.Dir, logs what recovery
// found, and returns the writer of it. Close closes the spool.
func Open(cfg Config, log *slog.Logger, reg prometheus.Registerer, st Inserter) (*Writer, error) {
	sp, err := spool.Open(cfg.Dir, cfg.Spool, log)
	if err != nil {
		return nil, fmt.Errorf("cannot open spool: %w", err)
	}
	rec := sp.Recovery()
	log.Info("spool opened", "dir", cfg.Dir, "pending_records", rec.Pending, "segments", rec.Segments, "repairs", len(rec.Damage), "max_bytes", cfg.Spool.MaxBytes)
	w, err := New(cfg, log, reg, sp, st)
	if err != nil {
		sp.Close()
		return nil, err
	}
	w.ownsSpool = true
	return w, nil
}

// New returns the writer of sp, which the caller keeps and closes after
// Serve or Run returned. It registers the writer's and the spool's metrics
// on reg (none when reg is nil).
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer, sp *spool.Spool, st Inserter) (*Writer, error) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	w := &Writer{
		cfg: cfg.withDefaults(), sp: sp, st: st, log: log, draining: make(chan struct{}), done: done,
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_writer_batches_total",
			Help: "Spool batches the writer inserted (ok), INSERTs it retried because ClickHouse could not take them (error), undecodable spool records it skipped (bad_record).",
		}, []string{"result"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "acdstat_writer_insert_seconds",
			Help:    "Time of one successful INSERT of the writer (of events or of rejects).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		inserts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_writer_inserts_total",
			Help: "INSERTs of the writer, by table and result: ok, unavailable (ClickHouse could not take it now: sent again) or refused (for what is in its rows: split to find them).",
		}, []string{"table", "result"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_writer_refused_rows_total",
			Help: "Rows ClickHouse refused for what is in them: events, stored as rejects (source writer) instead; rejects, logged and dropped.",
		}, []string{"table"}),
	}
	for _, r := range []string{"ok", "error", "bad_record"} {
		w.batches.WithLabelValues(r)
	}
	for _, table := range []string{"events", "rejects"} {
		for _, r := range []string{"ok", "unavailable", "refused"} {
			w.inserts.WithLabelValues(table, r)
		}
		w.refused.WithLabelValues(table)
	}
	if reg == nil {
		return w, nil
	}
	spoolGauge := func(name, help string, f func(spool.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(sp.Stats()) })
	}
	for _, c := range []prometheus.Collector{w.batches, w.seconds, w.inserts, w.refused,
		spoolGauge("acdstat_spool_bytes", "Bytes of the spool's segment files.", func(s spool.Stats) float64 { return float64(s.Bytes) }),
		spoolGauge("acdstat_spool_max_bytes", "The spool's cap (ACDSTAT_SPOOL_MAX_BYTES).", func(s spool.Stats) float64 { return float64(s.MaxBytes) }),
		spoolGauge("acdstat_spool_records_pending", "Spool records (intake batches) not yet in ClickHouse.", func(s spool.Stats) float64 { return float64(s.Pending) }),
		spoolGauge("acdstat_spool_oldest_age_seconds", "Age of the oldest spool record not yet in ClickHouse; 0 when none.", func(s spool.Stats) float64 {
			if s.Oldest.IsZero() {
				return 0
			}
			return time.Since(s.Oldest).Seconds()
		}),
		spoolGauge("acdstat_spool_damaged_segments", "Spool segments found damaged at start and moved to corrupt/.", func(s spool.Stats) float64 { return float64(s.Damaged) }),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cannot register writer metrics: %w", err)
		}
	}
	return w, nil
}

// Spool is the spool the writer drains: intake appends to it, and its
// Ready is the readiness of intake.
func (w *Writer) Spool() *spool.Spool { return w.sp }

// Close closes the spool if Open opened it. Call it after Serve or Run
// returned; records not acknowledged stay for the next start.
func (w *Writer) Close() error {
	if !w.ownsSpool {
		return nil
	}
	return w.sp.Close()
}

// Run is serve's lifetime of the writer. It drains the spool until
// intakeStopped is closed (every listener stopped appending), then for up to
// Config.DrainTimeout, and leaves what is left in the spool for the next
// start. It takes no ctx because it must outlive the signal that stops
// intake; it returns nil then, and an error only when the spool cannot be
// read.
func (w *Writer) Run(intakeStopped <-chan struct{}) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- w.Serve(ctx) }()
	select {
	case err := <-errc:
		return err
	case <-intakeStopped:
	}
	w.log.Info("intake stopped; draining the spool into clickhouse", "pending_records", w.sp.Stats().Pending, "timeout", w.cfg.DrainTimeout)
	w.Drain()
	t := time.NewTimer(w.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case err := <-errc:
		if err == nil {
			w.log.Info("spool drained", "pending_records", w.sp.Stats().Pending)
		}
		return err
	case <-t.C:
		cancel()
		err := <-errc
		w.log.Warn("drain timeout: records stay in the spool for the next start", "pending_records", w.sp.Stats().Pending)
		return err
	}
}

// Drain makes Serve return nil as soon as the spool is empty, and insert
// what it has gathered without lingering for more. Serve's ctx still bounds
// it: cancel ctx at the drain deadline. Drain may be called more than once.
func (w *Writer) Drain() { w.drainOnce.Do(func() { close(w.draining) }) }

func (w *Writer) isDraining() bool {
	select {
	case <-w.draining:
		return true
	default:
		return false
	}
}

// Serve drains the spool until ctx ends (records not yet inserted stay in
// the spool) or, after Drain, until the spool is empty. It returns nil then,
// and an error only when the spool cannot be read.
func (w *Writer) Serve(ctx context.Context) error {
	for {
		b, err := w.gather(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if len(b.last.Records) == 0 {
			if w.isDraining() && w.sp.Stats().Pending == 0 {
				return nil
			}
			continue
		}
		if err := w.insert(ctx, b); err != nil {
			return nil // ctx ended; the records stay in the spool
		}
		// Only now: ClickHouse took all of it, or refused for good what
		// the rejects now hold.
		if err := w.sp.Ack(b.last); err != nil {
			w.log.Error("cannot acknowledge spool batch; it will be inserted again", "err", err)
		}
	}
}

// errNothing ends a gather: the linger passed, or a drain found nothing more
// to read now.
var errNothing = errors.New("drain: nothing to read now")

// batch is what one gather read.
type batch struct {
	// last is the last spool batch read: an Ack of it covers all of them.
	// It has no records when nothing was read.
	last    spool.Batch
	events  []cdr.Event
	rejects []cdr.Reject
	// ends and appended are, for each spool record read, the end of its
	// events in events and the time the spool took it: the time of
	// receipt of an event that ClickHouse refuses.
	ends     []int
	appended []time.Time
}

// receivedAt maps the id of each event of b to the time the spool took
// it. The writer asks only when ClickHouse refused events.
func (b *batch) receivedAt() map[uint64]time.Time {
	at := make(map[uint64]time.Time, len(b.events))
	start := 0
	for r, end := range b.ends {
		for _, e := range b.events[start:end] {
			at[e.ID] = b.appended[r]
		}
		start = end
	}
	return at
}

// gather reads spool batches until it has Config.MaxRows rows, Config.Linger
// passed since the first, or (when draining) nothing more is readable.
func (w *Writer) gather(ctx context.Context) (b *batch, err error) {
	b = &batch{}
	rows := 0
	var deadline time.Time // of the linger; zero until the first batch
	for rows < w.cfg.MaxRows {
		sb, err := w.next(ctx, deadline)
		if errors.Is(err, errNothing) {
			break
		}
		if err != nil {
			return b, err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(w.cfg.Linger)
		}
		b.last = sb
		for _, r := range sb.Records {
			evs, rjs, err := cdr.UnmarshalSpoolRecord(r.Data)
			if err != nil {
				// Checksummed on disk, so this is a bug or a format this
				// version cannot read; retrying cannot help.
				w.batches.WithLabelValues("bad_record").Inc()
				w.log.Error("cannot decode spool record; skipping it", "appended", r.Appended, "bytes", len(r.Data), "err", err)
				continue
			}
			b.events = append(b.events, evs...)
			b.ends, b.appended = append(b.ends, len(b.events)), append(b.appended, r.Appended)
			for i := range rjs {
				// The time the spool took the record is when acdstat
				// received the rejected line.
				rjs[i].ReceivedAt = r.Appended
			}
			b.rejects = append(b.rejects, rjs...)
			rows += len(evs) + len(rjs)
		}
	}
	return b, nil
}

// next returns the next spool batch. It waits for one until ctx ends, the
// linger deadline passes (errNothing), or a drain begins; draining, it
// waits only for records the spool counts but cannot return yet, and only
// while nothing is gathered (gathered: deadline is set).
func (w *Writer) next(ctx context.Context, deadline time.Time) (spool.Batch, error) {
	for {
		if ctx.Err() != nil {
			return spool.Batch{}, ctx.Err()
		}
		if w.isDraining() {
			b, err := w.sp.Next(w.done)
			if !errors.Is(err, context.Canceled) {
				return b, readError(err)
			}
			st := w.sp.Stats()
			if !deadline.IsZero() || st.Pending == 0 {
				return spool.Batch{}, errNothing
			}
			if st.Failed != nil {
				return spool.Batch{}, fmt.Errorf("cannot drain the spool: %w", st.Failed)
			}
			wctx, cancel := context.WithTimeout(ctx, notReadableYet)
			b, err = w.sp.Next(wctx)
			cancel()
			if err == nil || ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
				return b, readError(err)
			}
			continue
		}
		wctx, cancel := w.waitContext(ctx, deadline)
		b, err := w.sp.Next(wctx)
		cancel()
		switch {
		case err == nil:
			return b, nil
		case ctx.Err() != nil:
			return b, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			return b, errNothing
		case errors.Is(err, context.Canceled):
			continue // a drain began
		}
		return b, readError(err)
	}
}

// waitContext ends with ctx, at deadline (unless it is zero), or when a
// drain begins.
func (w *Writer) waitContext(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	var wctx context.Context
	var cancel context.CancelFunc
	if deadline.IsZero() {
		wctx, cancel = context.WithCancel(ctx)
	} else {
		wctx, cancel = context.WithDeadline(ctx, deadline)
	}
	// Ends with wctx, which the caller cancels once Next returned.
	go func() {
		select {
		case <-w.draining:
			cancel()
		case <-wctx.Done():
		}
	}()
	return wctx, cancel
}

func readError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("cannot read spool: %w", err)
}
