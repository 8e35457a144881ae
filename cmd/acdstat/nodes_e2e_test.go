package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/simulate"
	"github.com/acdstat/acdstat/store"
)

// Several acdstat nodes share one ClickHouse, each with its own spool and
// its own jobs, none special (issue 13, item 2). These tests run the jobs
// of two nodes in one process, each node over its own connection pool, and
// play what a load balancer and two spools do to the traffic: every batch
// of lines reaches one node or the other, some reach both (a sender's
// retry through the balancer), and one node's spool holds part of its
// batches back and drains them late (ClickHouse was away for it).

// jobNode is one node's jobs over its own connection to the shared store.
// Every store call of a job passes step first, which pauses for a random
// moment (a node's runs are slow or fast by turns: a GC pause, a busy
// core) and, once the node is told to die, fails every call after its
// last allowed write: the node was killed between two writes of a job.
type jobNode struct {
	*store.Store
	name string
	// maxPause bounds the pause before each store call; one call in
	// stallEvery (0: none) stalls for up to 600 ms instead.
	maxPause   time.Duration
	stallEvery int

	mu  sync.Mutex
	rng *rand.Rand
	// writesLeft is how many writes the node may still make before it
	// dies; negative: no limit.
	writesLeft atomic.Int64
	dead       atomic.Bool
	// before, when set, is called first by every store call of a job
	// with the name of the method: a test holds the node there.
	before func(method string)

	builder  *aggregate.Builder
	roller   *aggregate.Roller
	funneler *aggregate.Funneler
	pruner   *aggregate.Pruner
}

// errNodeDied is what a store call of a dead node returns.
var errNodeDied = errors.New("node killed")

// newJobNode opens a node's own store and makes its jobs as serve makes
// them, at the clock now.
func newJobNode(t *testing.T, name string, cfg config.Config, seed uint64, maxPause time.Duration, stallEvery int, now func() time.Time) *jobNode {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), cfg.ClickHouse, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := &jobNode{Store: st, name: name, maxPause: maxPause, stallEvery: stallEvery, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	n.writesLeft.Store(-1)
	queues := config.NewCurrent(st, log)
	if _, err := queues.Settings(context.Background()); err != nil {
		t.Fatal(err)
	}
	sources, err := buildSources(cfg, queues, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	n.builder = aggregate.NewBuilder(cfg.Jobs, log, now, sources, n)
	n.roller = aggregate.NewRoller(cfg.Jobs, log, queues, n, n, n)
	n.funneler = aggregate.NewFunneler(cfg.Jobs, log, queues, n, n, n)
	n.pruner = aggregate.NewPruner(cfg.Retention, log, now, n)
	return n
}

// step is called before every store call of a job, method, which writes
// when write is set.
func (n *jobNode) step(ctx context.Context, method string, write bool) error {
	if n.before != nil {
		n.before(method)
	}
	if n.dead.Load() {
		return errNodeDied
	}
	if n.maxPause > 0 {
		n.mu.Lock()
		d := time.Duration(n.rng.Int64N(int64(n.maxPause)))
		if n.stallEvery > 0 && n.rng.IntN(n.stallEvery) == 0 {
			// Now and then a long stall, in which the other node runs
			// whole jobs; well within the margins (2 s), which bound how
			// late a run's writes may land after its reads.
			d = time.Duration(n.rng.Int64N(int64(600 * time.Millisecond)))
		}
		n.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	if !write {
		return nil
	}
	if left := n.writesLeft.Load(); left == 0 {
		n.dead.Store(true)
		return errNodeDied
	} else if left > 0 {
		n.writesLeft.Add(-1)
	}
	return nil
}

// dieAfter makes the node die at its next write after k more writes.
func (n *jobNode) dieAfter(k int) { n.writesLeft.Store(int64(k)); n.dead.Store(false) }

func (n *jobNode) ServerNow(ctx context.Context) (time.Time, error) {
	if err := n.step(ctx, "ServerNow", false); err != nil {
		return time.Time{}, err
	}
	return n.Store.ServerNow(ctx)
}

func (n *jobNode) Watermark(ctx context.Context, job string) (time.Time, bool, error) {
	if err := n.step(ctx, "Watermark", false); err != nil {
		return time.Time{}, false, err
	}
	return n.Store.Watermark(ctx, job)
}

func (n *jobNode) SetWatermark(ctx context.Context, job string, at time.Time) error {
	if err := n.step(ctx, "SetWatermark", true); err != nil {
		return err
	}
	return n.Store.SetWatermark(ctx, job, at)
}

func (n *jobNode) WatermarkCount(ctx context.Context, job string) (time.Time, uint64, bool, bool, error) {
	if err := n.step(ctx, "WatermarkCount", false); err != nil {
		return time.Time{}, 0, false, false, err
	}
	return n.Store.WatermarkCount(ctx, job)
}

func (n *jobNode) SetWatermarkCount(ctx context.Context, job string, at time.Time, count uint64) error {
	if err := n.step(ctx, "SetWatermarkCount", true); err != nil {
		return err
	}
	return n.Store.SetWatermarkCount(ctx, job, at, count)
}

func (n *jobNode) TouchedCallsAfter(ctx context.Context, from, after, to, tail time.Time) ([]cdr.CallRef, uint64, uint64, error) {
	if err := n.step(ctx, "TouchedCallsAfter", false); err != nil {
		return nil, 0, 0, err
	}
	return n.Store.TouchedCallsAfter(ctx, from, after, to, tail)
}

func (n *jobNode) OpenTouchedCalls(ctx context.Context, from, to time.Time) ([]cdr.CallRef, error) {
	if err := n.step(ctx, "OpenTouchedCalls", false); err != nil {
		return nil, err
	}
	return n.Store.OpenTouchedCalls(ctx, from, to)
}

func (n *jobNode) TouchedCalls(ctx context.Context, from, to time.Time) ([]cdr.CallRef, error) {
	if err := n.step(ctx, "TouchedCalls", false); err != nil {
		return nil, err
	}
	return n.Store.TouchedCalls(ctx, from, to)
}

func (n *jobNode) CallEvents(ctx context.Context, refs []cdr.CallRef, window time.Duration) ([]cdr.Event, error) {
	if err := n.step(ctx, "CallEvents", false); err != nil {
		return nil, err
	}
	return n.Store.CallEvents(ctx, refs, window)
}

func (n *jobNode) CallDispositions(ctx context.Context, refs []cdr.CallRef, after time.Duration) ([]cdr.Event, error) {
	if err := n.step(ctx, "CallDispositions", false); err != nil {
		return nil, err
	}
	return n.Store.CallDispositions(ctx, refs, after)
}

func (n *jobNode) CurrentStays(ctx context.Context, refs []cdr.CallRef) (map[cdr.Key]cdr.StoredStay, error) {
	if err := n.step(ctx, "CurrentStays", false); err != nil {
		return nil, err
	}
	return n.Store.CurrentStays(ctx, refs)
}

func (n *jobNode) WriteCalls(ctx context.Context, calls []cdr.StoredCall) error {
	if err := n.step(ctx, "WriteCalls", true); err != nil {
		return err
	}
	return n.Store.WriteCalls(ctx, calls)
}

func (n *jobNode) InsertRejects(ctx context.Context, source string, rejects []cdr.Reject) error {
	if err := n.step(ctx, "InsertRejects", true); err != nil {
		return err
	}
	return n.Store.InsertRejects(ctx, source, rejects)
}

func (n *jobNode) ChangedBuckets(ctx context.Context, from, to time.Time) ([]cdr.BucketRef, error) {
	if err := n.step(ctx, "ChangedBuckets", false); err != nil {
		return nil, err
	}
	return n.Store.ChangedBuckets(ctx, from, to)
}

func (n *jobNode) CallsInBuckets(ctx context.Context, refs []cdr.BucketRef) ([]cdr.QueueCall, error) {
	if err := n.step(ctx, "CallsInBuckets", false); err != nil {
		return nil, err
	}
	return n.Store.CallsInBuckets(ctx, refs)
}

func (n *jobNode) BucketsWithCounts(ctx context.Context, refs []cdr.BucketRef) ([]cdr.BucketRef, error) {
	if err := n.step(ctx, "BucketsWithCounts", false); err != nil {
		return nil, err
	}
	return n.Store.BucketsWithCounts(ctx, refs)
}

func (n *jobNode) WriteRollups(ctx context.Context, rows []cdr.RollupRow, version uint64) error {
	if err := n.step(ctx, "WriteRollups", true); err != nil {
		return err
	}
	return n.Store.WriteRollups(ctx, rows, version)
}

func (n *jobNode) FunnelStays(ctx context.Context, refs []cdr.CallRef) ([]cdr.FunnelStay, error) {
	if err := n.step(ctx, "FunnelStays", false); err != nil {
		return nil, err
	}
	return n.Store.FunnelStays(ctx, refs)
}

func (n *jobNode) WriteFunnelCalls(ctx context.Context, calls []cdr.FunnelCall, tz map[string]string, version uint64) error {
	if err := n.step(ctx, "WriteFunnelCalls", true); err != nil {
		return err
	}
	return n.Store.WriteFunnelCalls(ctx, calls, tz, version)
}

func (n *jobNode) DropPartitionsBefore(ctx context.Context, table string, cutoff time.Time) ([]string, error) {
	if err := n.step(ctx, "DropPartitionsBefore", true); err != nil {
		return nil, err
	}
	return n.Store.DropPartitionsBefore(ctx, table, cutoff)
}

// runJobs runs the node's build, rollup, funnel and retention jobs once,
// in serve's order, and returns the first error.
func (n *jobNode) runJobs(ctx context.Context) error {
	if _, err := n.builder.Run(ctx); err != nil {
		return fmt.Errorf("%s: build: %w", n.name, err)
	}
	if _, err := n.roller.Run(ctx); err != nil {
		return fmt.Errorf("%s: rollup: %w", n.name, err)
	}
	if _, err := n.funneler.Run(ctx); err != nil {
		return fmt.Errorf("%s: funnel: %w", n.name, err)
	}
	if _, err := n.pruner.Run(ctx); err != nil {
		return fmt.Errorf("%s: retention: %w", n.name, err)
	}
	return nil
}

// loop runs one job of the node again and again until ctx ends, each run
// on its own as serve's scheduler runs it, and reports failures to errs.
func (n *jobNode) loop(ctx context.Context, wg *sync.WaitGroup, job string, run func(context.Context) error, errs chan<- error) {
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := run(ctx); err != nil && ctx.Err() == nil {
				select {
				case errs <- fmt.Errorf("%s: %s: %w", n.name, job, err):
				default:
				}
			}
		}
	})
}

// startLoops runs every job of the node in a loop of its own until the
// returned stop is called; stop waits for the running runs.
func (n *jobNode) startLoops(errs chan<- error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	n.loop(ctx, &wg, "build", func(ctx context.Context) error { _, err := n.builder.Run(ctx); return err }, errs)
	n.loop(ctx, &wg, "rollup", func(ctx context.Context) error { _, err := n.roller.Run(ctx); return err }, errs)
	n.loop(ctx, &wg, "funnel", func(ctx context.Context) error { _, err := n.funneler.Run(ctx); return err }, errs)
	n.loop(ctx, &wg, "retention", func(ctx context.Context) error { _, err := n.pruner.Run(ctx); return err }, errs)
	return func() { cancel(); wg.Wait() }
}

// ingestInto decodes a body of one format as intake does and stores it
// through the node's own connection, as its spool writer would.
func ingestInto(ctx context.Context, st *store.Store, format, sw string, body []byte, now time.Time) error {
	decode, err := cdr.Decoder(format)
	if err != nil {
		return err
	}
	_, err = intake.Ingest(ctx, format, decode, bytes.NewReader(body), cdr.DecodeOptions{Switch: sw, Now: now, BatchSize: 5000},
		storeSink{st: st, now: func() time.Time { return now }})
	return err
}

// batch is one ingest request: a body of one format from one switch.
type batch struct {
	format, sw string
	body       []byte
}

// deliver sends a round's batches to the nodes concurrently and returns
// when everything arrived. Each batch goes to one node or the other, one in
// ten to both; the second node holds a quarter of its batches back and
// stores them last, as a spool does that drains after an outage.
func deliver(t *testing.T, batches []batch, nodes [2]*jobNode, rng *rand.Rand, now time.Time) {
	t.Helper()
	var per [2][]batch
	var held []batch
	for _, b := range batches {
		i := rng.IntN(2)
		if i == 1 && rng.IntN(4) == 0 {
			held = append(held, b)
		} else {
			per[i] = append(per[i], b)
		}
		if rng.IntN(10) == 0 {
			per[1-i] = append(per[1-i], b)
		}
	}
	per[1] = append(per[1], held...)
	rng2 := [2]*rand.Rand{rand.New(rand.NewPCG(rng.Uint64(), 1)), rand.New(rand.NewPCG(rng.Uint64(), 2))}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range nodes {
		wg.Go(func() {
			for _, b := range per[i] {
				// Paced, so the week arrives over many runs of the jobs.
				time.Sleep(time.Duration(rng2[i].Int64N(int64(20 * time.Millisecond))))
				if err := ingestInto(context.Background(), nodes[i].Store, b.format, b.sw, b.body, now); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// roundTraffic is a simulated span of days (seed) for switch sw in batches of 20 to
// 200 queue_log lines, with the funnel's FreeSWITCH CDRs for switch fs
// among them.
func roundTraffic(t *testing.T, seed int64, days, callsPerDay int, sw, fs string, rng *rand.Rand) ([]batch, *simulate.Truth) {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Days, cfg.CallsPerDay, cfg.Seed = days, callsPerDay, seed
	sim, err := simulate.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []batch
	lines := sim.Lines()
	for len(lines) > 0 {
		n := min(len(lines), 20+rng.IntN(181))
		var b bytes.Buffer
		for _, l := range lines[:n] {
			b.WriteString(l.Text)
			b.WriteByte('\n')
		}
		out = append(out, batch{cdr.SourceQueueLog, sw, b.Bytes()})
		lines = lines[n:]
	}
	cdrs, err := os.ReadFile(funnelCDRs(t, time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	at := rng.IntN(len(out) + 1)
	out = append(out[:at], append([]batch{{cdr.FormatFreeSWITCHJSON, fs, cdrs}}, out[at:]...)...)
	return out, sim.Truth()
}

// nodesSetup is a database with the three desks and the funnel's entry
// applied, the settings of the nodes' jobs, and the clock of both nodes.
func nodesSetup(t *testing.T, extra ...string) (environ []string, cfg config.Config, now func() time.Time) {
	t.Helper()
	queues := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(queues, []byte(hospitalQueues+funnelQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	// Small chunks, so a run has many writes to interleave (and to be
	// killed between); short margins, so a run re-reads only what is new,
	// as it does in service.
	environ = testEnv(t, append([]string{"ACDSTAT_QUEUES=" + queues, "ACDSTAT_BUILD_CHUNK=40", "ACDSTAT_ROLLUP_CHUNK=60",
		"ACDSTAT_BUILD_MARGIN=2s", "ACDSTAT_ROLLUP_MARGIN=2s"}, extra...)...)
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	now = clockFrom(testToday)
	runCmdAt(t, now, environ, "settings", "apply", queues)
	return environ, cfg, now
}

// checkRound compares what a user reads of a round's switches with the
// truth: the day and month views of the week's queue calls, and the IVR
// funnel's day. It returns the differences, none when all equal.
func checkRound(t *testing.T, environ []string, truth *simulate.Truth, sw, fs string) []string {
	t.Helper()
	conn := openView(t, environ)
	loc := truth.From.Location()
	day := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	}
	month := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	}
	var diffs []string
	for _, v := range []struct {
		view   string
		period func(time.Time) time.Time
	}{{"queue_day", day}, {"queue_month", month}} {
		got, want := readFigures(t, conn, v.view, sw), expected(truth, v.period)
		for k, w := range want {
			if g, ok := got[k]; !ok || !sameFigures(g, w) {
				diffs = append(diffs, fmt.Sprintf("%s %s %s %s %s: got %v (present %v); want %v", v.view, sw, k.Queue, k.Start.Format(time.RFC3339), k.Hours, g, ok, w))
			}
		}
		for k, g := range got {
			if _, ok := want[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s %s %s %s %s: got %v; want no row", v.view, sw, k.Queue, k.Start.Format(time.RFC3339), k.Hours, g))
			}
		}
	}
	var entered, reached, menu, other uint64
	err := conn.QueryRow(context.Background(), `SELECT sum(entered), sum(reached_queue), sum(hung_up_in_menu), sum(other) FROM ivr_funnel_day
WHERE entry = 'main' AND switch = ?`, fs).Scan(&entered, &reached, &menu, &other)
	if err != nil {
		t.Fatal(err)
	}
	if entered != 10 || reached != 8 || menu != 2 || other != 0 {
		diffs = append(diffs, fmt.Sprintf("ivr_funnel_day %s: entered %d reached_queue %d hung_up_in_menu %d other %d; want 10 8 2 0", fs, entered, reached, menu, other))
	}
	return diffs
}

// oldEvents stores a month of events from long before the raw-event
// retention under switch sw, for the retention jobs to drop.
func oldEvents(t *testing.T, st *store.Store, sw string, now time.Time) {
	t.Helper()
	at := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	var b strings.Builder
	for i := range 20 {
		enter := at.Add(time.Duration(i) * time.Hour).Unix()
		fmt.Fprintf(&b, "%d|old%d|servicedesk|NONE|ENTERQUEUE||4512345678|1\n%d|old%d|servicedesk|NONE|ABANDON|1|1|30\n", enter, i, enter+30, i)
	}
	if err := ingestInto(context.Background(), st, cdr.SourceQueueLog, sw, []byte(b.String()), now); err != nil {
		t.Fatal(err)
	}
}

// TestTwoNodesRunTheJobsConcurrently runs every job of two nodes at once,
// each in a loop of its own, while the simulated traffic of a week arrives
// at both nodes in an order no single node would see, and checks after
// each of several rounds (new traffic, a new switch, the history of the
// rounds before in the same tables) that what a user reads equals the
// simulator's truth, and stays so while both nodes run on. Old events
// dropped by the retention jobs of both nodes at once are gone.
func TestTwoNodesRunTheJobsConcurrently(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the jobs of two nodes for a while")
	}
	environ, cfg, now := nodesSetup(t)
	nodes := [2]*jobNode{
		// A slow node that stalls often, and a quick one.
		newJobNode(t, "node-a", cfg, 1, 20*time.Millisecond, 5, now),
		newJobNode(t, "node-b", cfg, 2, 5*time.Millisecond, 30, now),
	}
	oldEvents(t, nodes[0].Store, "old", now())
	errs := make(chan error, 100)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	stops := []func(){nodes[0].startLoops(errs), nodes[1].startLoops(errs)}
	stopped := false
	stopAll := func() {
		if !stopped {
			for _, s := range stops {
				s()
			}
			stopped = true
		}
	}
	defer stopAll()
	rng := rand.New(rand.NewPCG(13, 13))
	const rounds = 4
	truths := make([]*simulate.Truth, rounds)
	for r := range rounds {
		sw, fs := fmt.Sprintf("r%d", r), fmt.Sprintf("fs%d", r)
		batches, truth := roundTraffic(t, int64(100+r), 7, 120, sw, fs, rng)
		truths[r] = truth
		deliver(t, batches, nodes, rng, now())
		// Both nodes run on: the figures must reach the truth and stay.
		var diffs []string
		deadline := time.Now().Add(time.Minute)
		for {
			diffs = checkRound(t, environ, truth, sw, fs)
			if len(diffs) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(diffs) > 0 {
			t.Fatalf("round %d: %d figures differ from the truth while both nodes run, e.g.\n%s", r, len(diffs), strings.Join(diffs[:min(len(diffs), 10)], "\n"))
		}
		t.Logf("round %d: %d queue calls equal the truth", r, len(truth.Calls))
	}
	stopAll()
	// Once more each, both nodes at once: nothing a user reads changes.
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() {
			if err := n.runJobs(context.Background()); err != nil {
				report(err)
			}
		})
	}
	wg.Wait()
	for r, truth := range truths {
		if diffs := checkRound(t, environ, truth, fmt.Sprintf("r%d", r), fmt.Sprintf("fs%d", r)); len(diffs) > 0 {
			t.Errorf("round %d after the jobs stopped: %d figures differ from the truth, e.g.\n%s", r, len(diffs), strings.Join(diffs[:min(len(diffs), 10)], "\n"))
		}
	}
	close(errs)
	for err := range errs {
		t.Errorf("a job failed: %v", err)
	}
	if n := queryCount(t, environ, "SELECT count() FROM events WHERE switch = 'old'"); n != 0 {
		t.Errorf("%d events older than the retention are left; want 0", n)
	}
}

// TestSlowerBuildNeverUndoesAFullerOne plays the one interleaving of two
// build runs that matters, step by step: node A reads a call's events while
// only its first stay (answered, then transferred onward) has arrived;
// before A reads the stored stays, the second stay's events arrive and
// node B builds both stays and writes them. A then writes what it built
// from less. The call's two stays must stay what B built, and stay so as
// both nodes run on.
func TestSlowerBuildNeverUndoesAFullerOne(t *testing.T) {
	environ, cfg, now := nodesSetup(t)
	a := newJobNode(t, "node-a", cfg, 1, 0, 0, now)
	b := newJobNode(t, "node-b", cfg, 2, 0, 0, now)
	at := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC).Unix()
	first := fmt.Sprintf(`%d|c1.1|servicedesk|NONE|ENTERQUEUE||4512345678|1
%d|c1.1|servicedesk|PJSIP/2101|CONNECT|20|c1.2|1
%d|c1.1|servicedesk|PJSIP/2101|BLINDTRANSFER|702|from-internal|20|60|1
`, at, at+20, at+80)
	second := fmt.Sprintf(`%d|c1.1|klinisk|NONE|ENTERQUEUE||4512345678|1
%d|c1.1|klinisk|PJSIP/2201|CONNECT|10|c1.3|1
%d|c1.1|klinisk|PJSIP/2201|COMPLETECALLER|10|100|1
`, at+81, at+91, at+191)
	ctx := context.Background()
	if err := ingestInto(ctx, a.Store, cdr.SourceQueueLog, cdr.DefaultSwitch, []byte(first), now()); err != nil {
		t.Fatal(err)
	}
	reached, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a.before = func(method string) {
		if method == "CurrentStays" {
			once.Do(func() { close(reached); <-resume })
		}
	}
	done := make(chan error, 1)
	go func() { _, err := a.builder.Run(ctx); done <- err }()
	<-reached
	if err := ingestInto(ctx, b.Store, cdr.SourceQueueLog, cdr.DefaultSwitch, []byte(second), now()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.builder.Run(ctx); err != nil {
		t.Fatal(err)
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{"servicedesk": {"answered": 1}, "klinisk": {"answered": 1}}
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Errorf("after the slower build: got %v; want %v", got, want)
	}
	for range 2 {
		for _, n := range []*jobNode{a, b} {
			if err := n.runJobs(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := counts(t, environ); !reflect.DeepEqual(got, want) {
		t.Errorf("after both nodes ran on: got %v; want %v", got, want)
	}
}

// TestNodeKilledBetweenWritesLeavesNothingHalfDone kills node A between two
// writes of its jobs (build, rollup, funnel, retention, run in serve's
// order) at every write in turn, each time over new traffic, and lets node
// B run its jobs once: what a user reads equals the truth every time, and
// the old events are gone. A job keeps no state between runs but its
// watermark, which it moves last, so the next run of any node does all
// that a killed run left undone.
func TestNodeKilledBetweenWritesLeavesNothingHalfDone(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a node at every write of its jobs")
	}
	// No margins: node B runs after A's margins would have passed, so it
	// reads only what A's watermarks say is left.
	environ, cfg, now := nodesSetup(t, "ACDSTAT_BUILD_MARGIN=0s", "ACDSTAT_ROLLUP_MARGIN=0s")
	a := newJobNode(t, "node-a", cfg, 1, 0, 0, now)
	b := newJobNode(t, "node-b", cfg, 2, 0, 0, now)
	rng := rand.New(rand.NewPCG(17, 17))
	ctx := context.Background()
	for k := 0; ; k++ {
		sw, fs := fmt.Sprintf("k%d", k), fmt.Sprintf("kfs%d", k)
		batches, truth := roundTraffic(t, int64(200+k), 2, 40, sw, fs, rng)
		for _, bt := range batches {
			if err := ingestInto(ctx, b.Store, bt.format, bt.sw, bt.body, now()); err != nil {
				t.Fatal(err)
			}
		}
		oldEvents(t, b.Store, "old", now())
		// A's watermarks then lie after every event: what A leaves
		// undone, B finds only by A's watermarks, not by a re-read of
		// the second in which the events were stored.
		waitNextIngestSecond(t, environ)
		a.dieAfter(k)
		err := a.runJobs(ctx)
		if err != nil && !errors.Is(err, errNodeDied) {
			t.Fatalf("kill after %d writes: node A failed otherwise: %v", k, err)
		}
		if err := b.runJobs(ctx); err != nil {
			t.Fatalf("kill after %d writes: %v", k, err)
		}
		if diffs := checkRound(t, environ, truth, sw, fs); len(diffs) > 0 {
			t.Fatalf("node A killed after %d writes, then node B ran: %d figures differ from the truth, e.g.\n%s", k, len(diffs), strings.Join(diffs[:min(len(diffs), 10)], "\n"))
		}
		if n := queryCount(t, environ, "SELECT count() FROM events WHERE switch = 'old'"); n != 0 {
			t.Fatalf("node A killed after %d writes, then node B ran: %d events older than the retention are left; want 0", k, n)
		}
		if err == nil {
			t.Logf("node A was killed after each of its %d writes in turn; node B completed every run", k)
			return
		}
	}
}
