package aggregate

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// RollupJob is the name of the rollup job's watermark.
const RollupJob = "rollup"

// RollupSource finds the buckets that changed and reads their calls.
type RollupSource interface {
	// ServerNow is the store's clock: the clock of built_at.
	ServerNow(ctx context.Context) (time.Time, error)
	// ChangedBuckets lists the buckets touched by queue-call rows built (by
	// server insert time) in [from, to).
	ChangedBuckets(ctx context.Context, from, to time.Time) ([]cdr.BucketRef, error)
	// CallsInBuckets returns the current, offered queue calls whose enter
	// time lies in the buckets.
	CallsInBuckets(ctx context.Context, refs []cdr.BucketRef) ([]cdr.QueueCall, error)
	// BucketsWithCounts returns those of refs with a stored rollup row that
	// has an offered call (in any version).
	BucketsWithCounts(ctx context.Context, refs []cdr.BucketRef) ([]cdr.BucketRef, error)
}

// RollupWriter stores rollup rows; a row replaces the stored one of the same
// key with a lower version.
type RollupWriter interface {
	WriteRollups(ctx context.Context, rows []cdr.RollupRow, version uint64) error
}

// SettingsSource gives the queue settings a run counts with: the current
// version of the settings every process shares (config.Current, which
// reads the store's current version on every call), so that no two
// processes, nor two runs of one, count with settings other than the
// current ones. The settings returned are read, never modified.
type SettingsSource interface {
	Settings(ctx context.Context) (*cdr.Settings, error)
}

// FixedSettings is a SettingsSource that always gives s (nil: the
// defaults of every queue), for tests and one-off counts.
func FixedSettings(s *cdr.Settings) SettingsSource { return fixedSettings{s} }

type fixedSettings struct{ s *cdr.Settings }

func (f fixedSettings) Settings(context.Context) (*cdr.Settings, error) { return f.s, nil }

// QueueLister lists the (switch, queue) pairs with calls or rollup rows in a
// range (BucketRef.Start is zero), for RollupRange.
type QueueLister interface {
	QueuesBetween(ctx context.Context, from, to time.Time) ([]cdr.BucketRef, error)
}

// Roller is the rollup job: it recomputes every 15-minute bucket that a
// changed queue call touches, from the deduplicated calls, and writes the
// bucket's rows again: each in_hours row with calls, and both rows where a
// stored row of the bucket had calls (so zeros replace counts that went
// away). Empty rows of buckets that never had a call are not written.
//
// It is safe to run from several acdstat instances at once. A run's rows
// carry its version, the server time when it started in nanoseconds
// (seconds from the server, the sub-second part from the local clock to
// order two runs started in the same second), and a bucket's rows are
// always a full recount, never an increment: two runs over the same calls
// write the same counts, and the later run wins. A run that read before a
// queue call landed may win over one that read after it, but that call's
// row is a touch in call_touches, so the next run to see it recomputes its
// bucket with a higher version. Nothing is ever counted twice. The same
// holds for a bucket that was emptied: the run that reads the emptying
// touch writes zeros if it sees a stored row with calls; should a slower
// concurrent run's counts land only after that check, the touch is read
// again by the runs of the next RollupMargin, which see them and write
// zeros over them.
//
// A run counts with the settings current when it starts, read after its
// version is taken, and its rows record their version (RollupRow's
// SettingsVersion). So a run whose rows win a bucket (the higher version)
// read the settings no earlier than any run it wins over: once a new
// version is applied, no run that started before, in this process or in
// another, can write the old version's counts over the new one's. Where
// the settings cannot be read or parsed, the run fails rather than count
// with older ones.
type Roller struct {
	cfg      Config
	log      *slog.Logger
	settings SettingsSource
	marks    Watermarks
	src      RollupSource
	out      RollupWriter
	// progress is told how far a run is (OnProgress).
	progress Progress
}

// OnProgress makes the roller's runs (RollupRange, and Run) tell fn how
// many of their buckets are done. Set it before a run, not during one.
func (r *Roller) OnProgress(fn Progress) { r.progress = fn }

// NewRoller returns a rollup job counting with the settings of settings at
// the start of each run.
func NewRoller(cfg Config, log *slog.Logger, settings SettingsSource, marks Watermarks, src RollupSource, out RollupWriter) *Roller {
	return &Roller{cfg: cfg, log: log, settings: settings, marks: marks, src: src, out: out}
}

// RollupStats says what one run did.
type RollupStats struct {
	Buckets int // 15-minute buckets recomputed
	Calls   int // queue calls counted
	Rows    int // rollup rows written
	Upto    time.Time
}

// Run recomputes the buckets touched by queue calls built since the
// watermark (less the margin), then advances the watermark. The first run
// reads every touch, which is a rollup from scratch.
func (r *Roller) Run(ctx context.Context) (RollupStats, error) {
	var st RollupStats
	upto, err := r.src.ServerNow(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read server time: %w", err)
	}
	version := RollupVersion(upto, time.Now())
	settings, err := r.settings.Settings(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	mark, _, err := r.marks.Watermark(ctx, RollupJob)
	if err != nil {
		return st, fmt.Errorf("cannot read watermark: %w", err)
	}
	w := RollupWindow(mark, upto, r.cfg.RollupMargin)
	// The window includes its end; ChangedBuckets' range does not.
	refs, err := r.src.ChangedBuckets(ctx, w.From, w.To.Add(time.Second))
	if err != nil {
		return st, fmt.Errorf("cannot list changed buckets: %w", err)
	}
	st, err = r.roll(ctx, refs, settings, version)
	if err != nil {
		return st, err
	}
	if err := r.marks.SetWatermark(ctx, RollupJob, upto); err != nil {
		return st, fmt.Errorf("cannot advance watermark: %w", err)
	}
	st.Upto = upto
	return st, nil
}

// RollupRange recomputes every 15-minute bucket in [from, to) of every
// queue with calls or rollup rows there (for acdstat rebuild, after a
// change of settings or of the builder). It does not move the watermark.
func (r *Roller) RollupRange(ctx context.Context, queues QueueLister, from, to time.Time) (RollupStats, error) {
	upto, err := r.src.ServerNow(ctx)
	if err != nil {
		return RollupStats{}, fmt.Errorf("cannot read server time: %w", err)
	}
	version := RollupVersion(upto, time.Now())
	settings, err := r.settings.Settings(ctx)
	if err != nil {
		return RollupStats{}, fmt.Errorf("cannot read the queue settings: %w", err)
	}
	qs, err := queues.QueuesBetween(ctx, from, to)
	if err != nil {
		return RollupStats{}, err
	}
	st, err := r.roll(ctx, BucketsBetween(qs, from, to), settings, version)
	st.Upto = upto
	return st, err
}

// ReconcileJob is the name of the reconcile job (Roller.Reconcile).
const ReconcileJob = "reconcile"

// Reconcile recounts every bucket of [now − ReconcileWindow, now) from the
// current queue calls, whatever the touches say: anti-entropy for a bucket
// whose touch was lost. The touches are what the rollup job goes by, and
// a touch can go missing where nothing else notices: on a cluster, a write
// of queue_calls can land while the insert into call_touches fails (the
// build job writes the row again, Plan, but not the touch of a bucket the
// stay left in that write), or a node can die between the two. A recount
// writes what a run over the same calls writes, under a newer version, so
// it changes nothing that was right, but that it counts with the current
// queue settings, as RollupRange (acdstat rebuild) does: a bucket of the
// window counted with earlier settings is counted with the current ones.
// It does not move the watermark.
func (r *Roller) Reconcile(ctx context.Context, queues QueueLister, now time.Time) (RollupStats, error) {
	return r.RollupRange(ctx, queues, now.Add(-r.cfg.ReconcileWindow), now)
}

// roll recomputes refs in chunks with settings under one version. The chunks follow time
// (all queues of a few days at once), so one chunk is one narrow read and
// its insert touches one or two monthly partitions: every partition an
// INSERT touches costs the server a part of its own (about 100 ms here).
func (r *Roller) roll(ctx context.Context, refs []cdr.BucketRef, settings *cdr.Settings, version uint64) (RollupStats, error) {
	refs = SortBuckets(refs)
	st := RollupStats{Buckets: len(refs)}
	for start := 0; start < len(refs); start += r.cfg.RollupChunk {
		chunk := refs[start:min(start+r.cfg.RollupChunk, len(refs))]
		calls, err := r.src.CallsInBuckets(ctx, chunk)
		if err != nil {
			return st, fmt.Errorf("cannot read calls of %d buckets: %w", len(chunk), err)
		}
		// Both rows of a bucket with stored counts, and the rows of the
		// calls' buckets: writing a zero row where nothing was stored would
		// double the rows for nothing.
		stored, err := r.src.BucketsWithCounts(ctx, chunk)
		if err != nil {
			return st, fmt.Errorf("cannot read stored rollups of %d buckets: %w", len(chunk), err)
		}
		rows := cdr.Rollup(calls, settings, stored)
		if err := r.out.WriteRollups(ctx, rows, version); err != nil {
			return st, fmt.Errorf("cannot write %d rollup rows: %w", len(rows), err)
		}
		st.Calls += len(calls)
		st.Rows += len(rows)
		if r.progress != nil {
			r.progress(start+len(chunk), len(refs))
		}
	}
	return st, nil
}

// SortBuckets returns refs sorted by start, switch and queue (a copy).
func SortBuckets(refs []cdr.BucketRef) []cdr.BucketRef {
	out := slices.Clone(refs)
	slices.SortFunc(out, func(a, b cdr.BucketRef) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := strings.Compare(a.Switch, b.Switch); c != 0 {
			return c
		}
		return strings.Compare(a.Queue, b.Queue)
	})
	return out
}

// RollupWindow returns the built_at window a rollup run reads: from the
// watermark less the margin (never before 1970) up to upto, both included.
func RollupWindow(mark, upto time.Time, margin time.Duration) Window {
	from := mark.Add(-margin)
	if epoch := time.Unix(0, 0).UTC(); from.Before(epoch) {
		from = epoch
	}
	return Window{From: from, To: upto}
}

// RollupVersion is the version of a run's rows, so the run that started
// later wins: the local clock in nanoseconds, but never below the start of
// the server's second. On one machine (or clocks in step) it is the local
// clock, which orders two runs of one second too; a node whose clock lags
// the server's still writes versions of the server's second. (It once was
// the server's second plus the local sub-second part, which goes backwards
// when the two readings fall either side of a second: a later run's rows
// then lost to an earlier run's, and a bucket kept stale counts.)
func RollupVersion(serverNow, localNow time.Time) uint64 {
	return uint64(max(localNow.UnixNano(), serverNow.Unix()*int64(time.Second), 0))
}

// BucketsBetween returns every 15-minute bucket in [from, to) of each
// (switch, queue) of queues, in time order. from is rounded down to its
// bucket.
func BucketsBetween(queues []cdr.BucketRef, from, to time.Time) []cdr.BucketRef {
	var out []cdr.BucketRef
	for t := cdr.BucketOf(from); t.Before(to); t = t.Add(cdr.BucketMinutes * time.Minute) {
		for _, q := range queues {
			out = append(out, cdr.BucketRef{Switch: q.Switch, Queue: q.Queue, Start: t})
		}
	}
	return out
}

// RangeSource lists the calls with events in a range of event times.
type RangeSource interface {
	CallsWithEventsBetween(ctx context.Context, from, to time.Time) ([]cdr.CallRef, error)
}

// RebuildBetween rebuilds the queue calls of every call id with an event
// whose time lies in [from, to) from all of its events, and writes every
// stay again (and tombstones for stays no longer produced), whether or not
// the events changed: a rebuild follows a fix of the builder, which the
// events' versions cannot know of. It starts a new build generation
// (GenerationJob), so the rewritten rows replace every stored one, and the
// daemon's later builds, in the same generation, keep their ordering.
// The rows' built_at makes the rollup job recompute the buckets they touch;
// RollupRange recomputes the whole range. It does not move the watermark.
func (b *Builder) RebuildBetween(ctx context.Context, src RangeSource, from, to time.Time) (BuildStats, error) {
	var st BuildStats
	now, err := b.st.ServerNow(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read server time: %w", err)
	}
	opt := b.buildOptions()
	gen, err := b.generation(ctx)
	if err != nil {
		return st, err
	}
	gen++
	if err := b.st.SetWatermark(ctx, GenerationJob, time.Unix(int64(gen), 0)); err != nil {
		return st, fmt.Errorf("cannot start build generation %d: %w", gen, err)
	}
	refs, err := src.CallsWithEventsBetween(ctx, from, to)
	if err != nil {
		return st, err
	}
	refs = MergeRefs(refs)
	st.Calls = len(refs)
	var done func(int)
	if b.progress != nil {
		done = func(n int) { b.progress(n, len(refs)) }
	}
	// A new generation: every version is above the stored ones.
	if st.Written, err = b.buildChunks(ctx, refs, opt, gen, time.Time{}, done); err != nil {
		return st, err
	}
	st.Upto = now
	return st, nil
}
