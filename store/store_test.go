package store

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// newStore opens a migrated store on a fresh database of the test server.
func newStore(t testing.TB) *Store {
	t.Helper()
	s, _ := newStoreAddr(t)
	return s
}

// newStoreAddr is newStore that also returns the server's host:port.
func newStoreAddr(t testing.TB) (*Store, string) {
	t.Helper()
	addr, db := chtest.NewDatabase(t)
	ctx := context.Background()
	s, err := Open(ctx, testConfig(addr, db), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, addr
}

func testConfig(addr, db string) Config {
	return Config{Addr: []string{addr}, Database: db, User: "default", DialTimeout: 10 * time.Second, ReadTimeout: time.Minute}
}

func event(sw, callID, verb string, at time.Time) cdr.Event {
	e := cdr.Event{Switch: sw, Source: cdr.SourceQueueLog, Time: at.UTC().Truncate(time.Second), CallID: callID, Queue: "support", Agent: "NONE", Verb: verb, Data: [5]string{"1", "2", "", "", ""}}
	e.ID = cdr.EventID(&e)
	return e
}

func TestConfigValidate(t *testing.T) {
	f := func(mod func(*Config), want string) {
		t.Helper()
		c := testConfig("127.0.0.1:9000", "acdstat")
		mod(&c)
		err := c.Validate()
		if want == "" {
			if err != nil {
				t.Fatalf("got %v; want no error", err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v; want an error containing %q", err, want)
		}
	}
	f(func(c *Config) {}, "")
	f(func(c *Config) { c.Database = "a-b" }, "ACDSTAT_CLICKHOUSE_DATABASE")
	f(func(c *Config) { c.Database = "x; DROP DATABASE y" }, "ACDSTAT_CLICKHOUSE_DATABASE")
	f(func(c *Config) { c.Database = "1abc" }, "ACDSTAT_CLICKHOUSE_DATABASE")
	f(func(c *Config) { c.Addr = nil }, "ACDSTAT_CLICKHOUSE_ADDR")
	f(func(c *Config) { c.Addr = []string{"localhost"} }, "ACDSTAT_CLICKHOUSE_ADDR")
	f(func(c *Config) { c.Password, c.PasswordFile = "a", "/b" }, "exclusive")
	f(func(c *Config) { c.ReadTimeout = 0 }, "ACDSTAT_CLICKHOUSE_READ_TIMEOUT")
	f(func(c *Config) { c.Cluster, c.InsertQuorum = "acdstat", 2 }, "")
	f(func(c *Config) { c.Cluster, c.InsertQuorum = "a b", 2 }, "ACDSTAT_CLICKHOUSE_CLUSTER")
	f(func(c *Config) { c.Cluster, c.InsertQuorum = "acdstat", 1 }, "ACDSTAT_CLICKHOUSE_INSERT_QUORUM")
}

// TestNewDialsOnlyWhenUsed: New touches no network, so serve can start
// while ClickHouse is away. A store of a server nobody listens on is made,
// and its calls fail; a store of a database that does not exist yet fails
// its calls until Connect created the database, and works from then on.
func TestNewDialsOnlyWhenUsed(t *testing.T) {
	ctx := context.Background()
	away, err := New(testConfig("127.0.0.1:1", "acdstat"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New of a server that does not answer: %v; want a store", err)
	}
	defer away.Close()
	if err := away.Ping(ctx); err == nil {
		t.Error("Ping of a server that does not answer: no error")
	}
	if err := away.Connect(ctx); err == nil {
		t.Error("Connect to a server that does not answer: no error")
	}

	addr, db := chtest.NewDatabase(t)
	boot, err := Open(ctx, testConfig(addr, "default"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer boot.Close()
	if err := boot.conn.Exec(ctx, "DROP DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	s, err := New(testConfig(addr, db), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err == nil {
		t.Errorf("Ping before the database %s exists: no error", db)
	}
	if v := s.ServerVersion(); v != "" {
		t.Errorf("ServerVersion before Connect = %q; want empty", v)
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after Connect: %v", err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after Connect: %v", err)
	}
	if s.ServerVersion() == "" {
		t.Error("ServerVersion after Connect is empty")
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- head\nCREATE A;\n-- +statement\n-- only a comment\n\n-- +statement\nCREATE B\n")
	want := []string{"-- head\nCREATE A", "CREATE B"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q; want %q", got, want)
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"bad name":  {"m/1_x.sql": {Data: []byte("SELECT 1")}},
		"duplicate": {"m/0001_a.sql": {Data: []byte("SELECT 1")}, "m/0001_b.sql": {Data: []byte("SELECT 1")}},
		"empty":     {"m/0001_a.sql": {Data: []byte("-- nothing")}},
	} {
		if _, err := loadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: got no error; want one", name)
		}
	}
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil || len(ms) == 0 {
		t.Fatalf("embedded migrations: got %d, %v", len(ms), err)
	}
}

func TestOpenCreatesDatabaseAndReadsPasswordFile(t *testing.T) {
	addr, db := chtest.NewDatabase(t)
	ctx := context.Background()
	// A database that does not exist yet is created by Open.
	cfg := testConfig(addr, db+"_new")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("\n"), 0o600); err != nil { // the default user has an empty password
		t.Fatal(err)
	}
	cfg.PasswordFile = pw
	s, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() {
		s.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+cfg.Database)
		s.Close()
	}()
	if s.ServerVersion() == "" {
		t.Fatalf("got empty server version")
	}
	t.Logf("server version %s", s.ServerVersion())
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	cfg.PasswordFile = filepath.Join(t.TempDir(), "missing")
	if _, err := Open(ctx, cfg, nil); err == nil || !strings.Contains(err.Error(), "ACDSTAT_CLICKHOUSE_PASSWORD_FILE") {
		t.Fatalf("got %v; want a password file error", err)
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	s := newStore(t) // migrated once
	ctx := context.Background()
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("got %v applied on the second run; want none", applied)
	}
	// Two migrators at once on a fresh database: both succeed.
	addr, db := chtest.NewDatabase(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := Open(ctx, testConfig(addr, db), nil)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			_, err = s.Migrate(ctx)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
}

func TestMigrateAppliesInOrder(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	ms, err := loadMigrations(fstest.MapFS{
		"m/9002_b.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS t2 (x UInt8) ENGINE = MergeTree ORDER BY x\n-- +statement\nCREATE TABLE IF NOT EXISTS t3 AS t2")},
		"m/0001_a.sql": {Data: []byte("SELECT 1")},
		"m/9003_c.sql": {Data: []byte("CREATE TABLE broken")},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	applied, err := s.migrate(ctx, ms)
	if err == nil || !strings.Contains(err.Error(), "9003_c.sql") {
		t.Fatalf("got %v; want an error naming 9003_c.sql", err)
	}
	// 0001 is already recorded by the embedded schema, so only 9002 runs.
	if want := []string{"9002_b.sql"}; !reflect.DeepEqual(applied, want) {
		t.Fatalf("got %v; want %v", applied, want)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name IN ('t2', 't3')", s.db).Scan(&n); err != nil || n != 2 {
		t.Fatalf("got %d tables, %v; want 2", n, err)
	}
}

func TestInsertEventsTwiceReadsOnce(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	evs := []cdr.Event{event("pbx1", "c1", "ENTERQUEUE", t0), event("pbx1", "c1", "CONNECT", t0.Add(5*time.Second))}
	evs[0].Micros = 123456
	for range 2 {
		if err := s.InsertEvents(ctx, evs); err != nil {
			t.Fatalf("InsertEvents: %v", err)
		}
	}
	n, err := s.CountEvents(ctx)
	if err != nil || n != 2 {
		t.Fatalf("CountEvents: got %d, %v; want 2", n, err)
	}
	got, err := s.CallEvents(ctx, []CallRef{{Switch: "pbx1", CallID: "c1", MinTime: t0, MaxTime: t0}}, time.Hour)
	if err != nil {
		t.Fatalf("CallEvents: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d events; want 2", len(got))
	}
	for i := range got {
		if got[i].IngestedAt.IsZero() {
			t.Fatalf("event %d: IngestedAt not set", i)
		}
		got[i].IngestedAt = time.Time{}
	}
	if !reflect.DeepEqual(got, evs) {
		t.Fatalf("got %+v; want %+v", got, evs)
	}
}

func TestMaterializedViewFillsTouches(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	before, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatalf("ServerNow: %v", err)
	}
	t0 := time.Date(2023, 12, 31, 23, 0, 0, 0, time.UTC)
	if err := s.InsertEvents(ctx, []cdr.Event{event("pbx1", "c1", "ENTERQUEUE", t0), event("pbx1", "c1", "ABANDON", t0.Add(2*time.Hour))}); err != nil {
		t.Fatalf("InsertEvents: %v", err)
	}
	after, _ := s.ServerNow(ctx)
	var n, zero uint64
	var minAt, maxAt time.Time
	if err := s.conn.QueryRow(ctx, "SELECT count(), countIf(ingested_at = toDateTime(0)), min(ingested_at), max(ingested_at) FROM event_touches").Scan(&n, &zero, &minAt, &maxAt); err != nil {
		t.Fatal(err)
	}
	if n != 2 || zero != 0 {
		t.Fatalf("event_touches: got %d rows, %d without ingested_at; want 2, 0", n, zero)
	}
	if minAt.Before(before) || maxAt.After(after) {
		t.Fatalf("ingested_at in [%v, %v]; want within [%v, %v]", minAt, maxAt, before, after)
	}
}

func TestTouchedCallsWindow(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	from, _ := s.ServerNow(ctx)
	if err := s.InsertEvents(ctx, []cdr.Event{
		event("pbx1", "c1", "ENTERQUEUE", t0),
		event("pbx1", "c1", "CONNECT", t0.Add(10*time.Second)),
		event("pbx2", "c1", "ENTERQUEUE", t0.Add(time.Minute)),
	}); err != nil {
		t.Fatalf("InsertEvents: %v", err)
	}
	now, _ := s.ServerNow(ctx)
	to := now.Add(time.Second)
	refs, err := s.TouchedCalls(ctx, from, to)
	if err != nil {
		t.Fatalf("TouchedCalls: %v", err)
	}
	got := map[string]CallRef{}
	for _, r := range refs {
		got[r.Switch+"/"+r.CallID] = r
	}
	want := map[string]CallRef{
		"pbx1/c1": {Switch: "pbx1", CallID: "c1", MinTime: t0, MaxTime: t0.Add(10 * time.Second)},
		"pbx2/c1": {Switch: "pbx2", CallID: "c1", MinTime: t0.Add(time.Minute), MaxTime: t0.Add(time.Minute)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v; want %+v", got, want)
	}
	// Nothing was stored from `to` on, nor before `from`.
	if refs, err := s.TouchedCalls(ctx, to, to.Add(time.Hour)); err != nil || len(refs) != 0 {
		t.Fatalf("after the window: got %v, %v; want none", refs, err)
	}
	if refs, err := s.TouchedCalls(ctx, from.Add(-time.Hour), from); err != nil || len(refs) != 0 {
		t.Fatalf("before the window: got %v, %v; want none", refs, err)
	}
}

func TestCallEventsOnlyAskedCalls(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	injection := `x') OR 1=1 --`
	evs := []cdr.Event{
		event("pbx1", "c1", "ENTERQUEUE", t0),
		event("pbx1", "c1", "CONNECT", t0.Add(30*time.Second)),
		event("pbx1", "c1", "ENTERQUEUE", t0.Add(-48*time.Hour)), // outside the window
		event("pbx1", "c2", "ENTERQUEUE", t0),                    // another call
		event("pbx2", "c1", "ENTERQUEUE", t0),                    // same call id, other switch
		event("pbx1", injection, "ENTERQUEUE", t0),
		event("pbx1", `back\slash'quote`, "ENTERQUEUE", t0),
	}
	if err := s.InsertEvents(ctx, evs); err != nil {
		t.Fatalf("InsertEvents: %v", err)
	}
	f := func(refs []CallRef, want ...int) {
		t.Helper()
		got, err := s.CallEvents(ctx, refs, time.Hour)
		if err != nil {
			t.Fatalf("CallEvents: %v", err)
		}
		var gotIDs, wantIDs []uint64
		for _, e := range got {
			gotIDs = append(gotIDs, e.ID)
		}
		for _, i := range want {
			wantIDs = append(wantIDs, evs[i].ID)
		}
		if !reflect.DeepEqual(gotIDs, wantIDs) {
			t.Fatalf("got ids %v; want %v (events %v)", gotIDs, wantIDs, want)
		}
	}
	ref := func(sw, id string) CallRef {
		return CallRef{Switch: sw, CallID: id, MinTime: t0, MaxTime: t0.Add(30 * time.Second)}
	}
	f([]CallRef{ref("pbx1", "c1")}, 0, 1)
	f([]CallRef{ref("pbx1", "c1"), ref("pbx2", "c1")}, 0, 4, 1)
	f([]CallRef{ref("pbx1", injection)}, 5)
	f([]CallRef{ref("pbx1", `x' OR '1'='1`)})
	f([]CallRef{ref("pbx1", `back\slash'quote`)}, 6)
	f(nil)
	// A wide window reaches the old event.
	got, err := s.CallEvents(ctx, []CallRef{ref("pbx1", "c1")}, 72*time.Hour)
	if err != nil || len(got) != 3 {
		t.Fatalf("wide window: got %d, %v; want 3", len(got), err)
	}
}

func TestCallEventsManyRefs(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	const n = 12000 // three chunks
	evs := make([]cdr.Event, n)
	refs := make([]CallRef, n)
	for i := range evs {
		id := strings.Repeat("x", 40) + "-" + time.Duration(i).String()
		evs[i] = event("pbx1", id, "ENTERQUEUE", t0.Add(time.Duration(i)*time.Second))
		refs[i] = CallRef{Switch: "pbx1", CallID: id, MinTime: evs[i].Time, MaxTime: evs[i].Time}
	}
	if err := s.InsertEvents(ctx, evs); err != nil {
		t.Fatalf("InsertEvents: %v", err)
	}
	got, err := s.CallEvents(ctx, refs[:n-1], time.Minute)
	if err != nil {
		t.Fatalf("CallEvents: %v", err)
	}
	if len(got) != n-1 {
		t.Fatalf("got %d events; want %d", len(got), n-1)
	}
}

func call(sw, callID, queue string, seq uint16, o cdr.Outcome, version uint64, enter time.Time) cdr.StoredCall {
	return cdr.StoredCall{QueueCall: cdr.QueueCall{
		Switch: sw, CallID: callID, Queue: queue, Seq: seq, Outcome: o,
		EnterTime: enter, EndTime: enter.Add(time.Minute), WaitS: 60, EndVerb: "ABANDON", LastEventTime: enter.Add(time.Minute),
	}, Version: version}
}

func TestWriteCallsNewestVersionWins(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 3, 31, 23, 59, 0, 0, time.UTC)
	old := call("pbx1", "c1", "support", 0, cdr.Abandoned, 1, t0)
	answered := call("pbx1", "c1", "support", 0, cdr.Answered, 2, t0.Add(2*time.Minute)) // moved to April
	answered.AnswerTime, answered.TalkS, answered.Agent, answered.Transferred = t0.Add(3*time.Minute), 90, "Agent/1", true
	other := call("pbx1", "c2", "sales", 0, cdr.Timeout, 1, t0)
	waiting := call("pbx1", "c3", "sales", 0, cdr.Waiting, 1, t0)
	if err := s.WriteCalls(ctx, []cdr.StoredCall{answered, other, waiting}); err != nil {
		t.Fatalf("WriteCalls: %v", err)
	}
	if err := s.WriteCalls(ctx, []cdr.StoredCall{old}); err != nil { // an older version arriving late
		t.Fatalf("WriteCalls: %v", err)
	}
	counts, err := s.QueueOutcomeCounts(ctx)
	if err != nil {
		t.Fatalf("QueueOutcomeCounts: %v", err)
	}
	want := map[string]map[string]int{"support": {"answered": 1}, "sales": {"timeout": 1}}
	if !reflect.DeepEqual(counts, want) {
		t.Fatalf("got %v; want %v", counts, want)
	}
	var agent, outcome string
	var answer time.Time
	var talk uint32
	var transferred uint8
	if err := s.conn.QueryRow(ctx, "SELECT agent, toString(outcome), answer_time, talk_s, transferred FROM queue_calls_current WHERE call_id = 'c1'").Scan(&agent, &outcome, &answer, &talk, &transferred); err != nil {
		t.Fatal(err)
	}
	if agent != "Agent/1" || outcome != "answered" || !answer.Equal(answered.AnswerTime) || talk != 90 || transferred != 1 {
		t.Fatalf("got %s %s %v %d %d; want the answered version", agent, outcome, answer, talk, transferred)
	}
	stays, err := s.CurrentStays(ctx, []CallRef{{Switch: "pbx1", CallID: "c1"}, {Switch: "pbx1", CallID: "c3"}})
	if err != nil {
		t.Fatalf("CurrentStays: %v", err)
	}
	wantStays := map[cdr.Key]cdr.StoredStay{answered.Key(): {Version: 2, EnterTime: answered.EnterTime, Agent: "Agent/1"}, waiting.Key(): {Version: 1, EnterTime: waiting.EnterTime}}
	if !reflect.DeepEqual(stays, wantStays) {
		t.Fatalf("got %v; want %v", stays, wantStays)
	}
}

func TestTombstoneHidesStay(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	a := call("pbx1", "c1", "support", 0, cdr.Abandoned, 1, t0)
	b := call("pbx1", "c1", "support", 1, cdr.Abandoned, 1, t0.Add(time.Hour))
	if err := s.WriteCalls(ctx, []cdr.StoredCall{a, b}); err != nil {
		t.Fatalf("WriteCalls: %v", err)
	}
	if err := s.WriteCalls(ctx, []cdr.StoredCall{{QueueCall: cdr.QueueCall{Switch: b.Switch, CallID: b.CallID, Queue: b.Queue, Seq: b.Seq}, Version: 2, Deleted: true}}); err != nil {
		t.Fatalf("WriteCalls: %v", err)
	}
	stays, err := s.CurrentStays(ctx, []CallRef{{Switch: "pbx1", CallID: "c1"}})
	if err != nil {
		t.Fatalf("CurrentStays: %v", err)
	}
	// The tombstone is read as such: the build job sends it again after a
	// failed write (aggregate.Plan).
	if want := map[cdr.Key]cdr.StoredStay{a.Key(): {Version: 1, EnterTime: t0}, b.Key(): {Version: 2, EnterTime: time.Unix(0, 0).UTC(), Deleted: true}}; !reflect.DeepEqual(stays, want) {
		t.Fatalf("got %v; want %v", stays, want)
	}
	counts, _ := s.QueueOutcomeCounts(ctx)
	if counts["support"]["abandoned"] != 1 {
		t.Fatalf("got %v; want one abandoned", counts)
	}
	// A rebuilt stay with a higher version comes back.
	b.Version = 3
	if err := s.WriteCalls(ctx, []cdr.StoredCall{b}); err != nil {
		t.Fatalf("WriteCalls: %v", err)
	}
	if counts, _ := s.QueueOutcomeCounts(ctx); counts["support"]["abandoned"] != 2 {
		t.Fatalf("got %v; want two abandoned", counts)
	}
}

func TestWriteCallsRejectsInvalidOutcome(t *testing.T) {
	s := newStore(t)
	c := call("pbx1", "c1", "q", 0, cdr.Outcome(42), 1, time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC))
	if err := s.WriteCalls(context.Background(), []cdr.StoredCall{c}); err == nil {
		t.Fatalf("got no error; want one")
	}
}

func TestWatermarkRoundTrip(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, ok, err := s.Watermark(ctx, "build"); err != nil || ok {
		t.Fatalf("got ok=%v, %v; want no watermark", ok, err)
	}
	t1 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Minute)
	for _, w := range []time.Time{t1, t2} {
		if err := s.SetWatermark(ctx, "build", w); err != nil {
			t.Fatalf("SetWatermark: %v", err)
		}
	}
	if err := s.SetWatermark(ctx, "rollup", t1); err != nil {
		t.Fatalf("SetWatermark: %v", err)
	}
	got, ok, err := s.Watermark(ctx, "build")
	if err != nil || !ok || !got.Equal(t2) {
		t.Fatalf("got %v, %v, %v; want %v", got, ok, err, t2)
	}
	got, ok, err = s.Watermark(ctx, "rollup")
	if err != nil || !ok || !got.Equal(t1) {
		t.Fatalf("got %v, %v, %v; want %v", got, ok, err, t1)
	}
}

func TestRejectsDedupeByID(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	de := &cdr.DecodeError{Line: 3, Field: "time", Reason: "not a number", Raw: "abc|c1|q|NONE|ENTERQUEUE"}
	r := cdr.RejectOf("pbx1", "", de, at)
	if !errors.Is(de, cdr.ErrInvalid) {
		t.Fatal("DecodeError does not wrap ErrInvalid")
	}
	other := r
	other.Reason = "other reason"
	for range 2 {
		if err := s.InsertRejects(ctx, cdr.SourceQueueLog, []cdr.Reject{r, other}); err != nil {
			t.Fatalf("InsertRejects: %v", err)
		}
	}
	got, err := s.RecentRejects(ctx, "pbx1", 10)
	if err != nil {
		t.Fatalf("RecentRejects: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d rejects; want 2: %+v", len(got), got)
	}
	r.Source = cdr.SourceQueueLog
	if got[0] != r && got[1] != r {
		t.Fatalf("got %+v; want %+v among them", got, r)
	}
	if got, _ := s.RecentRejects(ctx, "pbx2", 10); len(got) != 0 {
		t.Fatalf("other switch: got %+v; want none", got)
	}
}
