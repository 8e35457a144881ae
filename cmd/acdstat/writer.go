package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/spool"
	"github.com/acdstat/acdstat/store"
)

// Writer batching: an INSERT costs ClickHouse 20-25 ms whatever its size
// (CLICKHOUSE.md), so the writer gathers up to writerMaxRows rows, waiting
// at most writerLinger for more once it has some.
const (
	writerMaxRows = 50000
	writerLinger  = time.Second
	writerBackoff = 5 * time.Second // the longest pause between retries
)

// eventStore is what the writer needs of the store.
type eventStore interface {
	InsertEvents(ctx context.Context, evs []cdr.Event) error
	InsertRejects(ctx context.Context, source string, rejects []store.Reject) error
}

// spoolWriter drains the spool into ClickHouse: it reads batches, inserts
// their events and rejects, and acknowledges them only after ClickHouse
// accepted the INSERT. A failed INSERT is retried with backoff for as long
// as it takes; an INSERT whose fate is unknown is simply sent again (event
// ids are deterministic and every read deduplicates).
type spoolWriter struct {
	sp       *spool.Spool
	st       eventStore
	log      *slog.Logger
	draining chan struct{}
	batches  *prometheus.CounterVec
	seconds  prometheus.Histogram
}

func newSpoolWriter(sp *spool.Spool, st eventStore, log *slog.Logger, reg prometheus.Registerer) (*spoolWriter, error) {
	w := &spoolWriter{
		sp: sp, st: st, log: log, draining: make(chan struct{}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acdstat_writer_batches_total",
			Help: "INSERT batches the spool writer tried, by result: ok, error (retried) or bad_record (an undecodable spool record, skipped).",
		}, []string{"result"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "acdstat_writer_insert_seconds",
			Help:    "Time of one successful INSERT of a spool batch (events and rejects).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
	}
	spoolGauge := func(name, help string, f func(spool.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(sp.Stats()) })
	}
	for _, c := range []prometheus.Collector{w.batches, w.seconds,
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
	for _, r := range []string{"ok", "error", "bad_record"} {
		w.batches.WithLabelValues(r)
	}
	return w, nil
}

// Drain makes Serve return nil as soon as the spool is empty. Serve's ctx
// still bounds it: cancel ctx at the drain deadline.
func (w *spoolWriter) Drain() {
	select {
	case <-w.draining:
	default:
		close(w.draining)
	}
}

func (w *spoolWriter) isDraining() bool {
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
func (w *spoolWriter) Serve(ctx context.Context) error {
	for {
		if w.isDraining() && w.sp.Stats().Pending == 0 {
			return nil
		}
		last, events, rejects, err := w.gather(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if len(last.Records) == 0 {
			continue // drained while waiting: nothing gathered
		}
		if err := w.insert(ctx, events, rejects); err != nil {
			return nil // ctx ended; the batch stays in the spool
		}
		if err := w.sp.Ack(last); err != nil {
			w.log.Error("cannot acknowledge spool batch; it will be inserted again", "err", err)
		}
	}
}

// gather reads spool batches until it has writerMaxRows rows, writerLinger
// passed since the first, or (when draining) the spool is empty.
func (w *spoolWriter) gather(ctx context.Context) (last spool.Batch, events []cdr.Event, rejects []store.Reject, err error) {
	rows := 0
	var deadline time.Time
	for rows < writerMaxRows {
		if w.isDraining() && w.sp.Stats().Pending == 0 {
			break
		}
		var nctx context.Context
		var cancel context.CancelFunc
		if deadline.IsZero() {
			// Nothing gathered yet: wait for records, but wake up when a
			// drain begins, so an empty spool ends the drain at once
			// instead of at its deadline.
			nctx, cancel = context.WithCancel(ctx)
			go func() {
				select {
				case <-w.draining:
					cancel()
				case <-nctx.Done():
				}
			}()
		} else {
			nctx, cancel = context.WithDeadline(ctx, deadline)
		}
		b, err := w.sp.Next(nctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil && deadline.IsZero() && errors.Is(err, context.Canceled) {
				// A drain began: the check above decides. Records counted
				// but not readable (a failed fsync) must not make this spin.
				if w.sp.Stats().Failed != nil {
					return last, nil, nil, fmt.Errorf("cannot drain the spool: %w", w.sp.Stats().Failed)
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				break
			}
			if ctx.Err() != nil {
				return last, nil, nil, ctx.Err()
			}
			return last, nil, nil, fmt.Errorf("cannot read spool: %w", err)
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(writerLinger)
		}
		last = b
		for _, r := range b.Records {
			evs, rjs, err := intake.UnmarshalBatch(r.Data)
			if err != nil {
				// Checksummed on disk, so this is a bug or a format this
				// version cannot read; retrying cannot help.
				w.batches.WithLabelValues("bad_record").Inc()
				w.log.Error("cannot decode spool record; skipping it", "appended", r.Appended, "bytes", len(r.Data), "err", err)
				continue
			}
			events = append(events, evs...)
			for _, rj := range rjs {
				rejects = append(rejects, store.RejectOf(rj.Switch, rj.Source, rj.DecodeError, r.Appended))
			}
			rows += len(evs) + len(rjs)
		}
	}
	return last, events, rejects, nil
}

// insert writes events and rejects, retrying with backoff until they are
// accepted or ctx ends.
func (w *spoolWriter) insert(ctx context.Context, events []cdr.Event, rejects []store.Reject) error {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := w.st.InsertEvents(ctx, events)
		if err == nil && len(rejects) > 0 {
			err = w.st.InsertRejects(ctx, "", rejects)
		}
		if err == nil {
			w.seconds.Observe(time.Since(start).Seconds())
			w.batches.WithLabelValues("ok").Inc()
			if attempt > 1 {
				w.log.Info("clickhouse accepts inserts again", "attempts", attempt, "events", len(events))
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.batches.WithLabelValues("error").Inc()
		lvl := slog.LevelWarn
		if attempt == 1 {
			lvl = slog.LevelError
		}
		w.log.Log(ctx, lvl, "cannot insert spool batch; retrying", "attempt", attempt, "events", len(events), "rejects", len(rejects),
			"pending_records", w.sp.Stats().Pending, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, writerBackoff)
	}
}

// openSpool opens DATA_DIR/spool and logs what recovery found.
func openSpool(cfg config.Config, log *slog.Logger) (*spool.Spool, error) {
	dir := filepath.Join(cfg.DataDir, "spool")
	sp, err := spool.Open(dir, cfg.Spool, log)
	if err != nil {
		return nil, fmt.Errorf("cannot open spool: %w", err)
	}
	rec := sp.Recovery()
	log.Info("spool opened", "dir", dir, "pending_records", rec.Pending, "segments", rec.Segments, "repairs", len(rec.Damage), "max_bytes", cfg.Spool.MaxBytes)
	return sp, nil
}

// spoolReady is the readiness of intake: the spool takes records (it is
// writable and not full). ClickHouse being down does not make acdstat
// unready while the spool absorbs the outage.
func spoolReady(sp *spool.Spool) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		st := sp.Stats()
		if st.Failed != nil {
			return fmt.Errorf("spool is not writable: %w", st.Failed)
		}
		if st.Full {
			return fmt.Errorf("spool is full (%d of %d bytes): waiting for ClickHouse to catch up", st.Bytes, st.MaxBytes)
		}
		return nil
	}
}

// startSpool opens the spool and builds its writer. serve runs the returned
// function in its errgroup with the channel that closes once HTTP intake
// stopped: it drains the spool until then, then for up to
// cfg.DrainTimeout, and leaves the rest for the next start. The caller
// closes the spool after the errgroup ends.
func startSpool(cfg config.Config, log *slog.Logger, reg prometheus.Registerer, st eventStore) (*spool.Spool, func(ctx context.Context, intakeStopped <-chan struct{}) error, error) {
	log = log.With("component", "spool")
	sp, err := openSpool(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	w, err := newSpoolWriter(sp, st, log, reg)
	if err != nil {
		sp.Close()
		return nil, nil, err
	}
	run := func(ctx context.Context, intakeStopped <-chan struct{}) error {
		// Not ctx: the writer must outlive the signal to drain.
		wctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- w.Serve(wctx) }()
		select {
		case err := <-errc:
			return err
		case <-intakeStopped:
		}
		log.Info("intake stopped; draining the spool into clickhouse", "pending_records", sp.Stats().Pending, "timeout", cfg.DrainTimeout)
		w.Drain()
		t := time.NewTimer(cfg.DrainTimeout)
		defer t.Stop()
		select {
		case err := <-errc:
			log.Info("spool drained", "pending_records", sp.Stats().Pending)
			return err
		case <-t.C:
			cancel()
			err := <-errc
			log.Warn("drain timeout: records stay in the spool for the next start", "pending_records", sp.Stats().Pending)
			return err
		}
	}
	return sp, run, nil
}

// waitForStore is openStore retried with backoff until ClickHouse answers or
// ctx ends, so serve restarted during an outage comes up once ClickHouse
// does. (Intake does not listen before that: see docs/RELIABILITY.md.)
func waitForStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		st, err := openStore(ctx, cfg, log)
		if err == nil {
			return st, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		log.Warn("cannot reach clickhouse at start; retrying", "attempt", attempt, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		backoff = min(2*backoff, writerBackoff)
	}
}
