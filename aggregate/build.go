package aggregate

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// BuildJob is the name of the build-calls job's watermark.
const BuildJob = "build_calls"

// GenerationJob names the build generation, kept in the watermark table as
// the Unix second of its "watermark". `acdstat rebuild` starts a new
// generation, so the rows it rewrites (after a fix of a builder) replace
// every older row, and the daemon's builds after it, which read the
// generation on every run, compare versions within it: a stale closure or
// a late event still raises the version, a build over fewer events never
// replaces one over more.
const GenerationJob = "build_generation"

// genShift places the generation above the 53 bits of ingest seconds,
// event count and stale bit; 11 bits leave room for 2,047 rebuilds.
const genShift = 53

// Config holds the job settings; config composes it under ACDSTAT_.
type Config struct {
	// BuildEvery is the build-calls schedule, a robfig/cron spec.
	BuildEvery string `env:"BUILD_SCHEDULE" envDefault:"@every 5s"`
	// StaleAfter closes a stay with no end as unknown (METRICS.md).
	StaleAfter time.Duration `env:"STALE_AFTER" envDefault:"4h"`
	// Margin is re-read below the watermark, so events whose insert was
	// still in flight when the last run read are not missed; the build job
	// re-reads it only where an insert landed in it since (Builder.Run).
	Margin time.Duration `env:"BUILD_MARGIN" envDefault:"2m"`
	// Window is how far around the new events a call's older events are
	// looked up; it bounds the cost of a call to its own neighbourhood.
	Window time.Duration `env:"BUILD_WINDOW" envDefault:"28h"`
	// DispositionWindow is how long after its call a disposition may arrive
	// and still reach it (a ticket closed days later is normal); the daemon
	// and a rebuild reach as far (Builder.callEvents).
	DispositionWindow time.Duration `env:"DISPOSITION_WINDOW" envDefault:"720h"`
	// ChunkCalls is how many calls are rebuilt per store round trip.
	ChunkCalls int `env:"BUILD_CHUNK" envDefault:"5000"`
	// RollupEvery is the rollup schedule, a robfig/cron spec.
	RollupEvery string `env:"ROLLUP_SCHEDULE" envDefault:"@every 10s"`
	// RollupMargin is re-read below the rollup watermark on every run, so
	// queue calls whose insert was in flight when the last run read are not
	// missed.
	RollupMargin time.Duration `env:"ROLLUP_MARGIN" envDefault:"2m"`
	// RollupChunk is how many 15-minute buckets are recomputed per store
	// round trip.
	RollupChunk int `env:"ROLLUP_CHUNK" envDefault:"25000"`
	// ReconcileEvery is when the rollup job recounts the last
	// ReconcileWindow from the queue calls whatever the touches say
	// (Roller.Reconcile), a robfig/cron spec in the server's zone; empty:
	// never.
	ReconcileEvery  string        `env:"RECONCILE_SCHEDULE" envDefault:"40 3 * * *"`
	ReconcileWindow time.Duration `env:"RECONCILE_WINDOW" envDefault:"48h"`
}

// Validate checks the settings and names the one that is wrong.
func (c Config) Validate() error {
	switch {
	case c.StaleAfter <= 0:
		return fmt.Errorf("ACDSTAT_STALE_AFTER: must be positive, got %s", c.StaleAfter)
	case c.Margin < 0:
		return fmt.Errorf("ACDSTAT_BUILD_MARGIN: must not be negative, got %s", c.Margin)
	case c.Window < c.StaleAfter:
		return fmt.Errorf("ACDSTAT_BUILD_WINDOW: must be at least ACDSTAT_STALE_AFTER (%s), got %s", c.StaleAfter, c.Window)
	case c.DispositionWindow < c.Window:
		return fmt.Errorf("ACDSTAT_DISPOSITION_WINDOW: must be at least ACDSTAT_BUILD_WINDOW (%s), got %s", c.Window, c.DispositionWindow)
	case c.ChunkCalls <= 0:
		return fmt.Errorf("ACDSTAT_BUILD_CHUNK: must be positive, got %d", c.ChunkCalls)
	case c.RollupMargin < 0:
		return fmt.Errorf("ACDSTAT_ROLLUP_MARGIN: must not be negative, got %s", c.RollupMargin)
	case c.RollupChunk <= 0:
		return fmt.Errorf("ACDSTAT_ROLLUP_CHUNK: must be positive, got %d", c.RollupChunk)
	case c.ReconcileEvery != "" && c.ReconcileWindow <= 0:
		return fmt.Errorf("ACDSTAT_RECONCILE_WINDOW: must be positive, got %s", c.ReconcileWindow)
	}
	return nil
}

// futureSlack covers switch clocks ahead of the server's (METRICS.md accepts
// events up to 5 minutes in the future) when revisiting calls for staleness.
const futureSlack = 10 * time.Minute

// Watermarks keeps a job's progress.
type Watermarks interface {
	Watermark(ctx context.Context, job string) (time.Time, bool, error)
	SetWatermark(ctx context.Context, job string, t time.Time) error
}

// EventSource finds calls with new events and reads a call's events.
type EventSource interface {
	// ServerNow is the store's clock: the clock of ingest times.
	ServerNow(ctx context.Context) (time.Time, error)
	// TouchedCalls lists the calls with events stored (by ingest time) in
	// [from, to).
	TouchedCalls(ctx context.Context, from, to time.Time) ([]cdr.CallRef, error)
	// TouchedCallsAfter lists the calls with events stored in [after, to),
	// and counts, in the same read, the touch rows stored in [from, after)
	// (before) and in [tail, to) (tailRows).
	TouchedCallsAfter(ctx context.Context, from, after, to, tail time.Time) (refs []cdr.CallRef, before, tailRows uint64, err error)
	// OpenTouchedCalls lists the calls with events stored in [from, to) that
	// a build with no new event may change: with a live stored stay left
	// open (no end seen, not yet stale), or live stays of different
	// versions.
	OpenTouchedCalls(ctx context.Context, from, to time.Time) ([]cdr.CallRef, error)
	// CallEvents returns every stored event of the calls whose event time
	// lies within window of each call's span, IngestedAt filled.
	CallEvents(ctx context.Context, refs []cdr.CallRef, window time.Duration) ([]cdr.Event, error)
	// CallDispositions returns the stored dispositions of the calls whose
	// time lies after each call's span, up to after past its end.
	CallDispositions(ctx context.Context, refs []cdr.CallRef, after time.Duration) ([]cdr.Event, error)
}

// CallStore reads and writes queue calls.
type CallStore interface {
	// CurrentStays gives the version, enter time and agent of the newest
	// stored row of every stay of the calls, and whether it is a
	// tombstone.
	CurrentStays(ctx context.Context, refs []cdr.CallRef) (map[cdr.Key]cdr.StoredStay, error)
	WriteCalls(ctx context.Context, calls []cdr.StoredCall) error
}

// RejectWriter stores what the build job refuses: stays whose figures break
// METRICS.md's validation (cdr.InvalidStayReject).
type RejectWriter interface {
	InsertRejects(ctx context.Context, source string, rejects []cdr.Reject) error
}

// CountedWatermarks keeps the build job's watermark together with the
// number of touch rows the run that set it had seen in the margin below it
// (Builder.Run), in one write, so a reader gets both of one run or neither.
type CountedWatermarks interface {
	// WatermarkCount gives the watermark (ok false: none yet) and the count
	// stored with it (counted false: none, or not of this watermark).
	WatermarkCount(ctx context.Context, job string) (t time.Time, n uint64, ok, counted bool, err error)
	SetWatermarkCount(ctx context.Context, job string, t time.Time, n uint64) error
}

// BuildStore is everything the build job reads and writes; store.Store
// implements it.
type BuildStore interface {
	Watermarks
	CountedWatermarks
	EventSource
	CallStore
	RejectWriter
}

// Builder is the build-calls job. It is safe to run from several acdstat
// instances at once: what it writes depends only on the stored events, and
// versions order the rows, so two runs over the same events write the same
// rows and a run over more events wins, also where it wrote first; a run
// over fewer events never hides a stay that a run over more stored (Plan).
// A run killed between two writes leaves its watermark where it was, so
// the next run of any instance builds again all that it left undone.
type Builder struct {
	cfg Config
	log *slog.Logger
	// now is "today" for the stale timeout; the watermarks follow the
	// store's clock, the clock of ingest times.
	now func() time.Time
	st  BuildStore
	// sources are the builders of the events that package cdr does not
	// build itself (cdr.BuildOptions.Sources).
	sources map[string]cdr.BuildFunc
	// progress is told how far RebuildBetween is (OnProgress).
	progress Progress
}

// Progress is told how far a long run is, after every chunk: done of
// total units of work (call ids for RebuildBetween, 15-minute buckets for
// RollupRange). It runs on the run's goroutine and should return at once:
// acdstat's commands draw a status line with it.
type Progress func(done, total int)

// OnProgress makes RebuildBetween tell fn how far it is. Set it before a
// run, not during one.
func (b *Builder) OnProgress(fn Progress) { b.progress = fn }

// NewBuilder returns a build-calls job. now is the clock of the stale
// timeout (time.Now outside tests). sources builds the events of sources
// that package cdr does not build itself, such as SIP; a builder without
// them would tombstone the stored calls of those sources, so every build
// job, the daemon's and the one-shot commands', is made with the same.
func NewBuilder(cfg Config, log *slog.Logger, now func() time.Time, sources map[string]cdr.BuildFunc, st BuildStore) *Builder {
	return &Builder{cfg: cfg, log: log, now: now, st: st, sources: sources}
}

// buildOptions are the builder's options at this moment.
func (b *Builder) buildOptions() cdr.BuildOptions {
	return cdr.BuildOptions{Now: b.now(), StaleAfter: b.cfg.StaleAfter, Sources: b.sources}
}

// BuildStats says what one run did.
type BuildStats struct {
	Calls   int // call ids looked at
	Written int // queue-call rows written (changed stays and tombstones)
	Upto    time.Time
}

// Run rebuilds the calls touched since the watermark, and those whose stale
// timeout has passed since the last run, then advances the watermark.
//
// What it reads, and why no more:
//   - fresh: the calls touched since the watermark. The margin below the
//     watermark (Config.Margin) is for inserts that were still in flight
//     when the last run read: their ingest time lies below its watermark,
//     but they became visible after. Every run counts the touch rows of the
//     margin below its own watermark in the same read that lists its calls,
//     and stores the count with the watermark (SetWatermarkCount). The next
//     run counts that range again in its own read: the same count means no
//     insert landed there since (touch rows are only ever added), so it
//     lists the calls touched after the watermark only; a different count,
//     or none stored, and it reads the whole margin again, as every run did
//     before. So a run right after a bulk ingest does not read all of the
//     bulk's calls again.
//   - revisit: of the calls touched one stale period before (Windows), only
//     those a build with no new event may change (OpenTouchedCalls): with a
//     stored stay left open by the build that wrote it, which the stale
//     timeout closes, or with live stays of different versions, left by a
//     slower run's write that landed after a fuller run had read the call
//     (a build writes all stays of a call under one version). A build of
//     any other call from the same events would write nothing. Late events
//     are new touches, so they come through fresh.
func (b *Builder) Run(ctx context.Context) (BuildStats, error) {
	var st BuildStats
	upto, err := b.st.ServerNow(ctx)
	if err != nil {
		return st, fmt.Errorf("cannot read server time: %w", err)
	}
	mark, seen, _, counted, err := b.st.WatermarkCount(ctx, BuildJob)
	if err != nil {
		return st, fmt.Errorf("cannot read watermark: %w", err)
	}
	gen, err := b.generation(ctx)
	if err != nil {
		return st, err
	}
	stale := b.cfg.StaleAfter + futureSlack
	fresh, revisit := Windows(mark, upto, b.cfg.Margin, stale)
	// The margin the next run re-reads unless this run's count of it holds.
	next, _ := Windows(upto, upto, b.cfg.Margin, stale)
	var (
		refs    []cdr.CallRef
		tail    uint64
		hasTail bool
	)
	if !fresh.Empty() {
		// The window includes its end; TouchedCallsAfter's range does not.
		end := fresh.To.Add(time.Second)
		after := fresh.From
		if skip := mark.Add(time.Second); counted && skip.After(after) && !skip.After(end) {
			after = skip
		}
		r, before, n, err := b.st.TouchedCallsAfter(ctx, fresh.From, after, end, next.From)
		if err != nil {
			return st, fmt.Errorf("cannot list touched calls: %w", err)
		}
		if after != fresh.From && before != seen {
			// An insert landed in the margin after the last run read it.
			r, _, n, err = b.st.TouchedCallsAfter(ctx, fresh.From, fresh.From, end, next.From)
			if err != nil {
				return st, fmt.Errorf("cannot list touched calls: %w", err)
			}
		}
		refs, tail, hasTail = r, n, !next.From.Before(fresh.From)
	}
	if !revisit.Empty() {
		r, err := b.st.OpenTouchedCalls(ctx, revisit.From, revisit.To.Add(time.Second))
		if err != nil {
			return st, fmt.Errorf("cannot list open touched calls: %w", err)
		}
		refs = append(refs, r...)
	}
	refs = MergeRefs(refs)
	st.Calls = len(refs)
	st.Written, err = b.buildChunks(ctx, refs, b.buildOptions(), gen, mark, nil)
	if err != nil {
		return st, err
	}
	if hasTail {
		err = b.st.SetWatermarkCount(ctx, BuildJob, upto, tail)
	} else {
		// The next run's margin was not all read here: no count for it.
		err = b.st.SetWatermark(ctx, BuildJob, upto)
	}
	if err != nil {
		return st, fmt.Errorf("cannot advance watermark: %w", err)
	}
	st.Upto = upto
	return st, nil
}

// chunkRead is what the build of one chunk of calls reads from the store.
type chunkRead struct {
	refs   []cdr.CallRef
	events []cdr.Event
	stored map[cdr.Key]cdr.StoredStay
	err    error
}

// readChunk reads the events and the stored stays of the calls of refs.
func (b *Builder) readChunk(ctx context.Context, refs []cdr.CallRef) chunkRead {
	r := chunkRead{refs: refs}
	if r.events, r.err = b.callEvents(ctx, refs); r.err != nil {
		return r
	}
	if r.stored, r.err = b.st.CurrentStays(ctx, refs); r.err != nil {
		r.err = fmt.Errorf("cannot read stored calls: %w", r.err)
	}
	return r
}

// buildChunks rebuilds the calls of refs, ChunkCalls at a time, and returns
// the number of rows written; done, when not nil, is told how many calls
// are built after every chunk. The next chunk is read while one is built
// and written: the read mostly waits on ClickHouse, the build uses a core,
// and the two cores of a small server are both busy. Chunks hold disjoint
// calls (refs is merged), so a chunk's read does not depend on an earlier
// chunk's write; at most two chunks are held at once. The first error stops
// the run, as before: the watermark is not advanced, and the next run
// builds again what this one left undone.
func (b *Builder) buildChunks(ctx context.Context, refs []cdr.CallRef, opt cdr.BuildOptions, gen uint64, since time.Time, done func(n int)) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	reads := make(chan chunkRead)
	go func() {
		defer close(reads)
		for start := 0; start < len(refs); start += b.cfg.ChunkCalls {
			r := b.readChunk(ctx, refs[start:min(start+b.cfg.ChunkCalls, len(refs))])
			select {
			case reads <- r:
			case <-ctx.Done():
				return
			}
			if r.err != nil {
				return
			}
		}
	}()
	// On an early return the reader is stopped and waited for, so no read
	// outlives the run.
	defer func() {
		cancel()
		for range reads {
		}
	}()
	written, built := 0, 0
	for r := range reads {
		if r.err != nil {
			return written, r.err
		}
		n, err := b.writeChunk(ctx, r, opt, gen, since)
		if err != nil {
			return written, err
		}
		written += n
		built += len(r.refs)
		if done != nil {
			done(built)
		}
	}
	return written, nil
}

// writeChunk writes the rows Plan gives for a chunk read by readChunk, and
// stores the stays it refuses as rejects. It returns the number of rows
// written.
func (b *Builder) writeChunk(ctx context.Context, r chunkRead, opt cdr.BuildOptions, gen uint64, since time.Time) (int, error) {
	out, invalid := Plan(r.events, r.stored, opt, gen, since)
	if len(invalid) > 0 {
		rejects := make([]cdr.Reject, len(invalid))
		at := b.now()
		for i := range invalid {
			rejects[i] = cdr.InvalidStayReject(&invalid[i], at)
		}
		if err := b.st.InsertRejects(ctx, cdr.SourceBuild, rejects); err != nil {
			return 0, fmt.Errorf("cannot store %d refused stays: %w", len(rejects), err)
		}
	}
	if len(out) == 0 {
		return 0, nil
	}
	if err := b.st.WriteCalls(ctx, out); err != nil {
		return 0, fmt.Errorf("cannot write %d queue calls: %w", len(out), err)
	}
	return len(out), nil
}

// callEvents reads the events a build of refs needs: every event within
// the build window of each call's span, and the dispositions that reach the
// call from further away (METRICS.md: a disposition goes to the last
// answered stay of its call, and may be given up to DispositionWindow
// after it). Both directions are read, so that whichever of the call and
// its disposition a run starts from (the daemon from what just arrived, a
// rebuild from what lies in its range) it builds the same stays: forward,
// the dispositions after a call's span; back, the call's events before a
// disposition that came with no event of its call before it.
func (b *Builder) callEvents(ctx context.Context, refs []cdr.CallRef) ([]cdr.Event, error) {
	events, err := b.st.CallEvents(ctx, refs, b.cfg.Window)
	if err != nil {
		return nil, fmt.Errorf("cannot read events of %d calls: %w", len(refs), err)
	}
	later, err := b.st.CallDispositions(ctx, refs, b.cfg.DispositionWindow)
	if err != nil {
		return nil, fmt.Errorf("cannot read dispositions of %d calls: %w", len(refs), err)
	}
	events = append(events, later...)
	if back := reachBack(events, b.cfg.DispositionWindow); len(back) > 0 {
		more, err := b.st.CallEvents(ctx, back, b.cfg.Window)
		if err != nil {
			return nil, fmt.Errorf("cannot read events of %d calls before their dispositions: %w", len(back), err)
		}
		events = append(events, more...)
	}
	// Ids are computed again from the events: a fact stored under the id
	// of an older identity rule (cdr.EventID) is then one with its twin,
	// here and in the version's count. BuildCalls counts an event once
	// however often it comes, so the repeats read above are harmless.
	for i := range events {
		events[i].ID = cdr.EventID(&events[i])
	}
	return events, nil
}

// reachBack returns, for each call whose earliest disposition has no other
// event of the call at or before it, the span from window before that
// disposition up to it: where to look for the call it was given for.
func reachBack(events []cdr.Event, window time.Duration) []cdr.CallRef {
	type span struct{ disp, other time.Time }
	spans := map[callKey]*span{}
	for i := range events {
		e := &events[i]
		k := callKey{e.Switch, e.CallID}
		sp := spans[k]
		if sp == nil {
			sp = &span{}
			spans[k] = sp
		}
		t := &sp.other
		if cdr.IsDisposition(e) {
			t = &sp.disp
		}
		if t.IsZero() || e.Time.Before(*t) {
			*t = e.Time
		}
	}
	var out []cdr.CallRef
	for k, sp := range spans {
		if !sp.disp.IsZero() && (sp.other.IsZero() || sp.other.After(sp.disp)) {
			out = append(out, cdr.CallRef{Switch: k.sw, CallID: k.id, MinTime: sp.disp.Add(-window), MaxTime: sp.disp})
		}
	}
	return MergeRefs(out)
}

// generation reads the current build generation (0 before any rebuild).
func (b *Builder) generation(ctx context.Context) (uint64, error) {
	t, ok, err := b.st.Watermark(ctx, GenerationJob)
	if err != nil {
		return 0, fmt.Errorf("cannot read build generation: %w", err)
	}
	if !ok || t.Unix() <= 0 {
		return 0, nil
	}
	return min(uint64(t.Unix()), 1<<(64-genShift)-1), nil
}

// Window is an interval of ingest times, both ends included.
type Window struct{ From, To time.Time }

// Empty reports whether the window holds no instant.
func (w Window) Empty() bool { return w.To.Before(w.From) }

// Windows returns the two ingest-time windows a run reads: fresh, the events
// stored since the watermark (less a margin for inserts in flight), and
// revisit, the calls last touched one stale period before, whose waiting
// stays may now be closed as unknown although nothing new arrived.
func Windows(mark, upto time.Time, margin, stale time.Duration) (fresh, revisit Window) {
	from := mark.Add(-margin)
	if epoch := time.Unix(0, 0); from.Before(epoch) {
		from = epoch // DateTime starts at 1970; a zero watermark means "all"
	}
	fresh = Window{From: from, To: upto}
	revisit = Window{From: from.Add(-stale), To: upto.Add(-stale)}
	if !mark.After(time.Unix(0, 0)) {
		// First run: fresh already covers all history.
		revisit = Window{From: upto, To: upto.Add(-time.Second)}
	}
	return fresh, revisit
}

// MergeRefs unites refs to the same call, widening the time span.
func MergeRefs(refs []cdr.CallRef) []cdr.CallRef {
	type key struct{ sw, id string }
	idx := make(map[key]int, len(refs))
	var out []cdr.CallRef
	for _, r := range refs {
		k := key{r.Switch, r.CallID}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, r)
			continue
		}
		if r.MinTime.Before(out[i].MinTime) {
			out[i].MinTime = r.MinTime
		}
		if r.MaxTime.After(out[i].MaxTime) {
			out[i].MaxTime = r.MaxTime
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Switch != out[j].Switch {
			return out[i].Switch < out[j].Switch
		}
		return out[i].CallID < out[j].CallID
	})
	return out
}

// Plan builds the queue calls of events and returns the rows to write: every
// stay whose version is above the stored one, and a tombstone for every
// stored stay the events no longer produce, unless that stay's version is
// above this build's (it was built from more events). Stays that break METRICS.md's
// validation (QueueCall.Invalid) are not written (a stored one gets a
// tombstone) and are returned in invalid, for the rejects. It is pure, so a
// run over unchanged events writes nothing, with one exception: resend.
//
// Resend: a stored row of the same version as this build's, or a stored
// tombstone of a stay this build does not produce, is written again when
// its call has an event stored at or after since (the watermark the run
// started from; the zero time for every call). Such a row may be what a
// failed write left: on a cluster the part of queue_calls can land while
// the insert into a materialized view of it (call_touches,
// agent_call_touches) fails, say with ZooKeeper's session expired, and the
// client gets the error. The build job's next run then found the row stored
// at its own version and wrote nothing, so no touch was ever written and
// the rollup job never counted that bucket again (a 15-minute bucket
// missing from TestCluster's views in CI). Written again, the same row
// carries its touches (inserts are not deduplicated: store.clusterSettings).
// A watermark only moves after a run's writes all succeeded, so any node's
// next run resends what a failed run of any node may have left. Otherwise
// it costs nothing, but where two nodes' runs overlap: the slower one
// writes the faster one's rows again.
// Left: a stay whose enter time moved is resent without its earlier enter
// time (the stored row no longer holds it), so if the failed write's touch
// of the old bucket was lost too, the reconcile job's recount mends that
// bucket (Roller.Reconcile).
func Plan(events []cdr.Event, stored map[cdr.Key]cdr.StoredStay, opt cdr.BuildOptions, gen uint64, since time.Time) (rows []cdr.StoredCall, invalid []cdr.QueueCall) {
	versions := callVersions(events, gen)
	resend := func(k callKey) bool {
		vb, ok := versions[k]
		return ok && !vb.newest.Before(since)
	}
	calls := cdr.BuildCalls(events, opt)
	valid := calls[:0:0]
	for _, c := range calls {
		if c.Invalid != "" {
			invalid = append(invalid, c)
			continue
		}
		valid = append(valid, c)
	}
	calls = valid
	var out []cdr.StoredCall
	seen := make(map[cdr.Key]bool, len(calls))
	closedStale := make(map[callKey]bool)
	for _, c := range calls {
		if c.EndVerb == cdr.StaleVerb {
			closedStale[callKey{c.Switch, c.CallID}] = true
		}
	}
	for _, c := range calls {
		k := c.Key()
		seen[k] = true
		v := versions[callKey{c.Switch, c.CallID}].version(closedStale[callKey{c.Switch, c.CallID}])
		sc := cdr.StoredCall{QueueCall: c, Version: v}
		if old, ok := stored[k]; ok && old.Deleted {
			// A tombstone as new or newer wins over this row anyway.
			if old.Version >= v {
				continue
			}
		} else if ok {
			// A stored version as high means a build over the same or more
			// events of this generation (or a later one): nothing to add,
			// but to resend what a failed write may have left.
			if old.Version > v || old.Version == v && !resend(callKey{c.Switch, c.CallID}) {
				continue
			}
			if !old.EnterTime.Equal(c.EnterTime) {
				sc.PrevEnterTime = old.EnterTime
			}
			if old.Agent != c.Agent {
				sc.PrevAgent = old.Agent
			}
		}
		out = append(out, sc)
	}
	// Stored stays the events no longer produce get a tombstone; they belong
	// to calls whose events were read, which are exactly the calls in stored.
	// A stay stored with a higher version than this build's was built from
	// events this build did not see (another node's run read more of them,
	// or a rebuild's newer generation): that build knows better, and its
	// stays are left alone. Where both versions are equal (the same events
	// give other stays: the SIP numbers of the settings changed) the
	// tombstone goes one above, so it wins.
	onlyDisp := dispositionOnly(events)
	for k, old := range stored {
		ck := callKey{k.Switch, k.CallID}
		if seen[k] || onlyDisp[ck] {
			continue
		}
		if old.Deleted {
			if resend(ck) {
				out = append(out, cdr.StoredCall{
					QueueCall: cdr.QueueCall{Switch: k.Switch, CallID: k.CallID, Queue: k.Queue, Seq: k.Seq, EnterTime: old.EnterTime},
					Version:   old.Version, Deleted: true, PrevEnterTime: old.EnterTime, PrevAgent: old.Agent,
				})
			}
			continue
		}
		v := old.Version + 1
		if vb, ok := versions[ck]; ok {
			mine := vb.version(closedStale[ck])
			if mine < old.Version {
				continue
			}
			v = max(v, mine)
		}
		out = append(out, cdr.StoredCall{
			QueueCall: cdr.QueueCall{Switch: k.Switch, CallID: k.CallID, Queue: k.Queue, Seq: k.Seq, EnterTime: old.EnterTime},
			Version:   v, Deleted: true, PrevEnterTime: old.EnterTime, PrevAgent: old.Agent,
		})
	}
	sort.Slice(out, func(i, j int) bool { return lessKey(out[i].Key(), out[j].Key()) })
	return out, invalid
}

type callKey struct{ sw, id string }

// versionBasis is what a call's version is derived from: the newest ingest
// time and the number of distinct events. A build over more events of a call
// has a higher version than one over fewer, whichever instance ran it.
type versionBasis struct {
	newest time.Time
	ids    map[uint64]struct{}
	gen    uint64
}

// version packs the basis into one number: the build generation, ingest
// seconds, then the event count, then one bit for "closed by the stale
// timeout", since closing a waiting stay changes the row without any new
// event.
func (v versionBasis) version(stale bool) uint64 {
	n := uint64(min(len(v.ids), 1<<21-1))
	s := uint64(0)
	if stale {
		s = 1
	}
	return v.gen<<genShift | uint64(max(v.newest.Unix(), 0))<<22 | n<<1 | s
}

func callVersions(events []cdr.Event, gen uint64) map[callKey]versionBasis {
	out := make(map[callKey]versionBasis)
	for i := range events {
		e := &events[i]
		k := callKey{e.Switch, e.CallID}
		vb := out[k]
		if vb.ids == nil {
			vb.ids = make(map[uint64]struct{})
			vb.gen = gen
		}
		vb.ids[e.ID] = struct{}{}
		if e.IngestedAt.After(vb.newest) {
			vb.newest = e.IngestedAt
		}
		out[k] = vb
	}
	return out
}

func lessKey(a, b cdr.Key) bool {
	if a.Switch != b.Switch {
		return a.Switch < b.Switch
	}
	if a.CallID != b.CallID {
		return a.CallID < b.CallID
	}
	if a.Queue != b.Queue {
		return a.Queue < b.Queue
	}
	return a.Seq < b.Seq
}
