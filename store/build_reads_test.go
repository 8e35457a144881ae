package store

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
)

// aheadStore is the store with its clock (ServerNow, the clock of ingest
// times and of the build watermark) moved ahead, as if that much time had
// passed since the events were stored.
type aheadStore struct {
	*Store
	ahead time.Duration
}

func (s *aheadStore) ServerNow(ctx context.Context) (time.Time, error) {
	t, err := s.Store.ServerNow(ctx)
	return t.Add(s.ahead), err
}

// buildReadsConfig is the build job's configuration of these tests: a stale
// timeout of an hour, the default margin and windows.
func buildReadsConfig() aggregate.Config {
	return aggregate.Config{StaleAfter: time.Hour, Margin: 2 * time.Minute, Window: 28 * time.Hour,
		DispositionWindow: 720 * time.Hour, ChunkCalls: 5000}
}

// closedCalls returns the events of n answered calls of switch sw, one a
// minute from t0, each with its end.
func closedCalls(sw string, n int, t0 time.Time) []cdr.Event {
	var out []cdr.Event
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Minute)
		id := fmt.Sprintf("%s-%d", sw, i)
		out = append(out, event(sw, id, "ENTERQUEUE", at), event(sw, id, "CONNECT", at.Add(10*time.Second)),
			event(sw, id, "COMPLETECALLER", at.Add(70*time.Second)))
	}
	return out
}

// outcomes reads the outcome of every current stay, by call id, as a user
// of the queue_calls_current view sees them.
func (s *Store) outcomes(t *testing.T) map[string]string {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), "SELECT call_id, toString(outcome) FROM queue_calls_current")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, o string
		if err := rows.Scan(&id, &o); err != nil {
			t.Fatal(err)
		}
		out[id] = o
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A run right after a bulk ingest was built reads none of its calls again:
// the margin below the watermark is re-read only where an insert landed in
// it after the last run read (counted by that run), and no stay was left
// open. A call that arrives later, and an insert that lands in the margin
// after the run that should have seen it, are still built.
func TestBuildAfterBulkIngestReadsNothingAgain(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 10, 27, 8, 0, 0, 0, time.UTC)
	if err := s.InsertEvents(ctx, closedCalls("pbx1", 300, t0)); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return t0.Add(30 * 24 * time.Hour) }
	b := aggregate.NewBuilder(buildReadsConfig(), slog.New(slog.DiscardHandler), now, nil, s)
	first, err := b.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Calls != 300 || first.Written != 300 {
		t.Fatalf("first run: %d calls read, %d rows written; want 300, 300", first.Calls, first.Written)
	}
	again, err := b.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Calls != 0 || again.Written != 0 {
		t.Errorf("run after the bulk: %d calls read, %d rows written; want 0, 0", again.Calls, again.Written)
	}

	// An insert stamped before the watermark that only now became visible
	// (it was in flight when the last run read) is built by the next run.
	late := event("pbx1", "inflight", "ENTERQUEUE", t0.Add(time.Hour))
	abandon := event("pbx1", "inflight", "ABANDON", t0.Add(time.Hour+time.Minute))
	abandon.Data = [5]string{"1", "1", "60", "", ""}
	abandon.ID = cdr.EventID(&abandon)
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO events (switch, source, id, time, call_id, queue, agent, verb, data1, data2, data3, ingested_at)")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []cdr.Event{late, abandon} {
		if err := batch.Append(e.Switch, e.Source, e.ID, e.Time, e.CallID, e.Queue, e.Agent, e.Verb, e.Data[0], e.Data[1], e.Data[2], again.Upto.Add(-30*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertEvents(ctx, closedCalls("pbx2", 1, t0)); err != nil {
		t.Fatal(err)
	}
	third, err := b.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := s.outcomes(t)
	if got["inflight"] != "abandoned" || got["pbx2-0"] != "answered" || len(got) != 302 {
		t.Errorf("after the late insert: in flight %q, new call %q, %d stays; want abandoned, answered, 302 (run read %d calls)",
			got["inflight"], got["pbx2-0"], len(got), third.Calls)
	}
}

// A stay left open is built again once it has gone stale, with nothing new
// stored, and only the calls with such a stay are read again: the closed
// calls stored at the same time are not.
func TestBuildRevisitsOnlyCallsLeftOpen(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	serverNow, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := serverNow.Add(-time.Hour + 5*time.Minute)
	evs := closedCalls("pbx1", 50, t0)
	evs = append(evs, event("pbx1", "open", "ENTERQUEUE", serverNow.Add(-time.Minute)))
	if err := s.InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	st := &aheadStore{Store: s}
	now := func() time.Time { return serverNow.Add(st.ahead) }
	b := aggregate.NewBuilder(buildReadsConfig(), slog.New(slog.DiscardHandler), now, nil, st)
	if _, err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.outcomes(t); got["open"] != "waiting" || got["pbx1-0"] != "answered" || len(got) != 51 {
		t.Fatalf("first run: open %q, pbx1-0 %q, %d stays; want waiting, answered, 51", got["open"], got["pbx1-0"], len(got))
	}
	// Two hours later the waiting stay is past the stale timeout of an hour,
	// and its ingest time lies in the run's revisit window.
	st.ahead = 2 * time.Hour
	stale, err := b.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.outcomes(t); got["open"] != "unknown" || len(got) != 51 {
		t.Errorf("two hours later: open %q, %d stays; want unknown, 51", got["open"], len(got))
	}
	if stale.Calls != 1 || stale.Written != 1 {
		t.Errorf("two hours later: %d calls read, %d rows written; want 1, 1 (the open call only)", stale.Calls, stale.Written)
	}
}

// OpenTouchedCalls lists, of the calls touched in its range, those a build
// with no new event may change: a live stay left open (no end verb), or
// live stays of different versions (a slower run's write that landed after
// a fuller run had read, which the fuller run could not tombstone).
func TestOpenTouchedCallsListsCallsLeftUndecided(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	from, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var evs []cdr.Event
	for _, id := range []string{"open", "closed", "mixed", "tombstoned", "untouched-open"} {
		if id != "untouched-open" {
			evs = append(evs, event("pbx1", id, "ENTERQUEUE", t0))
		}
	}
	if err := s.InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	open := func(c cdr.StoredCall) cdr.StoredCall { c.EndVerb, c.Outcome = "", cdr.Waiting; return c }
	tomb := open(call("pbx1", "tombstoned", "sd", 0, cdr.Waiting, 9, t0))
	tomb.Deleted = true
	if err := s.WriteCalls(ctx, []cdr.StoredCall{
		open(call("pbx1", "open", "sd", 0, cdr.Waiting, 3, t0)),
		call("pbx1", "closed", "sd", 0, cdr.Abandoned, 3, t0),
		call("pbx1", "closed", "sd", 1, cdr.Abandoned, 3, t0),
		call("pbx1", "mixed", "sd", 0, cdr.Abandoned, 5, t0),
		call("pbx1", "mixed", "other", 0, cdr.Abandoned, 7, t0),
		open(call("pbx1", "tombstoned", "sd", 0, cdr.Waiting, 8, t0)),
		tomb,
		open(call("pbx1", "untouched-open", "sd", 0, cdr.Waiting, 3, t0)),
	}); err != nil {
		t.Fatal(err)
	}
	to, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := s.OpenTouchedCalls(ctx, from, to.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.CallID)
	}
	slices.Sort(got)
	if want := []string{"mixed", "open"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}
