package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/cdr"
	"github.com/acdstat/acdstat/chtest"
)

// TestClusterDDLOfEveryStatement rewrites every statement of every
// migration, and the migration log's own table, for cluster mode and checks
// the layout of docs/SCALE.md on each: every table Replicated, with the
// database in its ZooKeeper path and {shard} in it exactly when the table is
// sharded, a Distributed table in front of each sharded one, materialized
// views between local tables, every statement ON CLUSTER and every name a
// statement reads from qualified with the database. The whole output is
// testdata/cluster_ddl.golden (go test ./store -run
// TestClusterDDLOfEveryStatement -update), so a reviewer reads the exact SQL
// the cluster runs; TestClusterMigrate runs it on a real cluster.
func TestClusterDDLOfEveryStatement(t *testing.T) {
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	ms = append([]migration{{name: "schema_migrations (Migrate)", statements: []string{createSchemaMigrations}}}, ms...)
	const db, cluster = "acdstat", "acdstat"
	c := newClusterSchema(db, cluster, ms)
	var golden strings.Builder
	created := map[string]bool{}
	engineRE := regexp.MustCompile(`ENGINE = (Replicated\w*MergeTree)\('([^']*)', '([^']*)'`)
	onClusterRE := regexp.MustCompile(`^\w+ (TABLE|VIEW|MATERIALIZED VIEW) (IF (NOT )?EXISTS )?acdstat\.\w+ ON CLUSTER acdstat\b`)
	distRE := regexp.MustCompile(`ENGINE = Distributed\(acdstat, acdstat, (\w+)_local, (.+)\)$`)
	for _, m := range ms {
		for i, stmt := range m.statements {
			out, err := c.rewrite(stmt)
			if err != nil {
				t.Errorf("%s, statement %d: %v", m.name, i+1, err)
				continue
			}
			for _, d := range out {
				sql := d.sql
				golden.WriteString("-- " + m.name + ", statement " + strconv.Itoa(i+1) + ", " + d.on.String() + "\n" + sql + "\n;\n\n")
				if onClusterRE.MatchString(sql) != (d.on == onCluster) || d.on == onCluster && !strings.Contains(sql, " ON CLUSTER "+cluster) {
					t.Errorf("%s, statement %d: sent %s:\n%s", m.name, i+1, d.on, sql)
				}
				if strings.HasPrefix(sql, "ALTER TABLE") && (d.on == onCluster) {
					t.Errorf("%s, statement %d: an ALTER ON CLUSTER (18.16's DDL worker can stop on it):\n%s", m.name, i+1, sql)
				}
				for _, f := range fromRE.FindAllStringSubmatch(sql, -1) {
					if f[1] == "" && c.names[f[4]] && strings.TrimSpace(f[5]) != "." {
						t.Errorf("%s, statement %d: %s %s is not qualified with the database", m.name, i+1, f[2], f[4])
					}
				}
				if d.on == onCluster {
					checkClusterTable(t, m.name, sql, engineRE, distRE, created)
				}
			}
		}
	}
	// Every table of the layout was made, and every sharded one has its
	// Distributed table.
	for name, rule := range clusterTables {
		if rule.shardBy != "" && !created[name+"_local"] || rule.shardBy != "" && !created[name] || rule.shardBy == "" && !created[name] {
			t.Errorf("table %s of clusterTables is not created as its layout says (made: %v)", name, created)
		}
	}
	compareGolden(t, "testdata/cluster_ddl.golden", golden.String())
}

// checkClusterTable checks one rewritten CREATE TABLE and notes its name.
func checkClusterTable(t *testing.T, migration, sql string, engineRE, distRE *regexp.Regexp, created map[string]bool) {
	t.Helper()
	head := regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS acdstat\.(\w+) ON CLUSTER`).FindStringSubmatch(sql)
	if head == nil {
		return
	}
	name := head[1]
	created[name] = true
	if d := distRE.FindStringSubmatch(sql); d != nil {
		if d[1] != name || clusterTables[name].shardBy != d[2] {
			t.Errorf("%s: Distributed %s over %s_local by %s; want its own local table by %q", migration, name, d[1], d[2], clusterTables[name].shardBy)
		}
		return
	}
	e := engineRE.FindStringSubmatch(sql)
	if e == nil {
		t.Errorf("%s: table %s is neither Replicated nor Distributed:\n%s", migration, name, sql)
		return
	}
	base, sharded := strings.TrimSuffix(name, "_local"), strings.HasSuffix(name, "_local")
	if sharded != (clusterTables[base].shardBy != "") {
		t.Errorf("%s: table %s: a local table exactly when sharded", migration, name)
	}
	wantPath, wantReplica := "/clickhouse/tables/all/acdstat/"+base, "{shard}_{replica}"
	if sharded {
		wantPath, wantReplica = "/clickhouse/tables/{shard}/acdstat/"+base, "{replica}"
	}
	if e[2] != wantPath || e[3] != wantReplica {
		t.Errorf("%s: table %s: path %q, replica %q; want %q, %q", migration, name, e[2], e[3], wantPath, wantReplica)
	}
}

// compareGolden compares got with the golden file, or writes it with -update.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("cannot read %s (write it with -update): %v", path, err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the rewritten migrations; look at the change with -update and git diff", path)
	}
}

// TestClusterDDLRefusesWhatItCannotLayOut: a table without a layout, a
// materialized view off the local tables and a statement of another kind
// are errors, never a statement run on one node only.
func TestClusterDDLRefusesWhatItCannotLayOut(t *testing.T) {
	c := newClusterSchema("db", "c", nil)
	for _, stmt := range []string{
		"CREATE TABLE IF NOT EXISTS brand_new (x UInt8) ENGINE = MergeTree ORDER BY x",
		"CREATE TABLE IF NOT EXISTS events (x UInt8) ENGINE = Memory",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS m TO job_state AS SELECT job FROM events",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS m TO events AS SELECT 1 FROM job_state",
		"ALTER TABLE brand_new ADD COLUMN y UInt8",
		"RENAME TABLE events TO events_old",
		"INSERT INTO job_state (job) SELECT 'x'",
	} {
		if out, err := c.rewrite(stmt); err == nil {
			t.Errorf("%q: got %v; want an error", stmt, out)
		}
	}
}

// TestRetentionTablesAreSharded: retention drops partitions of the local
// tables of sharded tables in cluster mode (dropPartition).
func TestRetentionTablesAreSharded(t *testing.T) {
	for table := range RetentionTables {
		if clusterTables[table].shardBy == "" {
			t.Errorf("retention table %s is not sharded in clusterTables", table)
		}
	}
}

// clusterConfig is the settings of a store in cluster mode on the test
// cluster, connected to addrs in order.
func clusterConfig(db string, addrs ...string) Config {
	c := testConfig(addrs[0], db)
	c.Addr, c.Cluster, c.InsertQuorum = addrs, chtest.ClusterName, 2
	return c
}

// openCluster opens a store in cluster mode; with migrate, it migrates it.
func openCluster(t testing.TB, db string, migrate bool, addrs ...string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, clusterConfig(db, addrs...), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return s
}

// TestClusterMigrate runs every rewritten statement on the real cluster:
// two migrators at once through different nodes, then on every node the
// layout of docs/SCALE.md (engines, ZooKeeper paths, a Distributed table
// with the columns of its local table, materialized views on the local
// tables, every view), a second Migrate that does nothing, and the events of
// a call stored on one shard, with both shards used.
func TestClusterMigrate(t *testing.T) {
	tc := chtest.Cluster(t)
	db := tc.NewDatabase(t)
	ctx := context.Background()
	errs := make(chan error, 2)
	for _, addr := range []string{tc.Addrs[0], tc.Addrs[3]} {
		go func() {
			s, err := Open(ctx, clusterConfig(db, addr), nil)
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
	ms, err := loadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	views := map[string]bool{}
	for _, m := range ms {
		for _, stmt := range m.statements {
			for _, v := range viewNameRE.FindAllStringSubmatch(stmt, -1) {
				views[v[1]] = true
			}
		}
	}
	for i, addr := range tc.Addrs {
		node := nodeStore(t, addr, db)
		shard, replica := fmt.Sprintf("%02d", i/2+1), fmt.Sprintf("r%d", i%2+1)
		engines := queryPairs(t, node, "SELECT name, engine FROM system.tables WHERE database = ?", db)
		paths := queryPairs(t, node, "SELECT table, concat(zookeeper_path, ' ', replica_name) FROM system.replicas WHERE database = ?", db)
		columns := queryPairs(t, node, "SELECT table, arrayStringConcat(groupArray(concat(name, ' ', type, ' ', default_kind, ' ', default_expression)), '\n') FROM (SELECT * FROM system.columns WHERE database = ? ORDER BY name) GROUP BY table", db)
		for name, rule := range clusterTables {
			if rule.shardBy == "" {
				if want := "/clickhouse/tables/all/" + db + "/" + name + " " + shard + "_" + replica; paths[name] != want || !strings.HasPrefix(engines[name], "Replicated") {
					t.Errorf("node %d: %s is %s at %q; want a Replicated table at %q", i+1, name, engines[name], paths[name], want)
				}
				continue
			}
			local := name + localSuffix
			if want := "/clickhouse/tables/" + shard + "/" + db + "/" + name + " " + replica; paths[local] != want || !strings.HasPrefix(engines[local], "Replicated") {
				t.Errorf("node %d: %s is %s at %q; want a Replicated table at %q", i+1, local, engines[local], paths[local], want)
			}
			if engines[name] != "Distributed" || columns[name] != columns[local] || columns[name] == "" {
				t.Errorf("node %d: %s is %s with columns\n%s\nwant Distributed with the columns of %s:\n%s", i+1, name, engines[name], columns[name], local, columns[local])
			}
		}
		for v := range views {
			if engines[v] != "View" && engines[v] != "MaterializedView" {
				t.Errorf("node %d: view %s is %q", i+1, v, engines[v])
			}
		}
		mvs := queryPairs(t, node, "SELECT name, concat(arrayStringConcat(dependencies_table, ','), ' ', create_table_query) FROM system.tables WHERE database = ? AND engine = 'MaterializedView'", db)
		for _, mv := range []string{"event_touches_mv", "call_touches_mv"} {
			if !regexp.MustCompile(` TO ` + db + `\.\w+_local .* FROM ` + db + `\.\w+_local\b`).MatchString(mvs[mv]) {
				t.Errorf("node %d: %s is %q; want a view into a local table", i+1, mv, mvs[mv])
			}
		}
		for _, src := range []string{"events_local", "queue_calls_local"} {
			if deps := queryPairs(t, node, "SELECT name, arrayStringConcat(dependencies_table, ',') FROM system.tables WHERE database = ? AND name = ?", db, src); !strings.HasSuffix(deps[src], "_mv") {
				t.Errorf("node %d: %s feeds %q; want its materialized view", i+1, src, deps[src])
			}
		}
	}
	s := openCluster(t, db, false, tc.Addrs[1])
	if applied, err := s.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate: applied %v, %v; want nothing", applied, err)
	}

	// The events of a call live on one shard; both shards hold calls.
	t0 := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	var evs []cdr.Event
	for i := range 200 {
		id := fmt.Sprintf("c%03d", i)
		evs = append(evs, event("pbx1", id, "ENTERQUEUE", t0.Add(time.Duration(i)*time.Second)), event("pbx1", id, "CONNECT", t0.Add(time.Duration(i+5)*time.Second)))
	}
	if err := s.InsertEvents(ctx, evs); err != nil {
		t.Fatalf("InsertEvents: %v", err)
	}
	if n, err := s.CountEvents(ctx); err != nil || n != len(evs) {
		t.Fatalf("CountEvents: %d, %v; want %d", n, err, len(evs))
	}
	shardOf := map[string]int{}
	for sh, addr := range []string{tc.Addrs[0], tc.Addrs[2]} {
		calls := queryPairs(t, nodeStore(t, addr, db), "SELECT call_id, toString(count()) FROM "+db+".events_local GROUP BY call_id")
		if len(calls) == 0 {
			t.Errorf("shard %d holds no call", sh+1)
		}
		for id, n := range calls {
			if other, ok := shardOf[id]; ok || n != "2" {
				t.Errorf("call %s: %s events on shard %d (and on shard %d: %v); want both on one", id, n, sh+1, other+1, ok)
			}
			shardOf[id] = sh
		}
	}
	if len(shardOf) != 200 {
		t.Errorf("the shards hold %d calls; want 200", len(shardOf))
	}
}

// nodeStore is a single-server store on one node of the cluster, to look
// at that node alone.
func nodeStore(t *testing.T, addr, db string) *Store {
	t.Helper()
	s, err := Open(context.Background(), testConfig(addr, db), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// everyNode returns a function that runs statements on every node of the
// cluster in turn (each node's own tables: a DETACH or CREATE there is not
// ON CLUSTER), failing the test on the first error.
func everyNode(t *testing.T, addrs []string, db string) func(stmts ...string) {
	t.Helper()
	var nodes []*Store
	for _, addr := range addrs {
		nodes = append(nodes, nodeStore(t, addr, db))
	}
	return func(stmts ...string) {
		t.Helper()
		for _, n := range nodes {
			for _, q := range stmts {
				if err := n.conn.Exec(context.Background(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}
	}
}

// queryPairs runs a query of two String columns into a map.
func queryPairs(t *testing.T, s *Store, query string, args ...any) map[string]string {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClusterJobsNeverReadALaggingReplica: a replica that lacks an
// acknowledged insert (here the newest watermark, on a node whose fetches
// are stopped) answers the jobs' store with an error, never with the old
// watermark, while the readers' store still answers from it; once it
// catches up, the jobs' store reads the new watermark there.
func TestClusterJobsNeverReadALaggingReplica(t *testing.T) {
	tc := chtest.Cluster(t)
	db := tc.NewDatabase(t)
	ctx := context.Background()
	writer := openCluster(t, db, true, tc.Addrs[0])
	lagging := openCluster(t, db, false, tc.Addrs[3]) // node 4 holds job_state too
	t1 := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	if err := writer.SetWatermark(ctx, "build_calls", t1); err != nil {
		t.Fatal(err)
	}
	waitWatermark(t, lagging.ConsistentReads(), t1)
	if err := lagging.conn.Exec(ctx, "SYSTEM STOP FETCHES "+db+".job_state"); err != nil {
		t.Fatal(err)
	}
	defer lagging.conn.Exec(ctx, "SYSTEM START FETCHES")
	if err := writer.SetWatermark(ctx, "build_calls", t2); err != nil {
		t.Fatal(err)
	}
	// The lag is real: the readers' store there still reads t1.
	if got, _, err := lagging.Watermark(ctx, "build_calls"); err != nil || !got.Equal(t1) {
		t.Fatalf("readers' watermark on the lagging node: %v, %v; want the old %v (no lag, nothing tested)", got, err, t1)
	}
	got, _, err := lagging.ConsistentReads().Watermark(ctx, "build_calls")
	if err == nil && !got.Equal(t2) {
		t.Fatalf("jobs' watermark on the lagging node: %v; want an error or %v, never the old one", got, t2)
	}
	t.Logf("jobs' read on the lagging replica: %v", err)
	if err := lagging.conn.Exec(ctx, "SYSTEM START FETCHES"); err != nil {
		t.Fatal(err)
	}
	waitWatermark(t, lagging.ConsistentReads(), t2)
}

// waitWatermark waits up to a minute until s reads want as build_calls'
// watermark.
func waitWatermark(t *testing.T, s *Store, want time.Time) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got, _, err := s.Watermark(context.Background(), "build_calls")
		if err == nil && got.Equal(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("watermark: %v, %v; want %v within a minute", got, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestClusterResentBatchStillFeedsTouches: a batch whose events landed but
// whose touches did not (the insert into event_touches failed, say with
// code 286 behind another writer's quorum insert, after the events part was
// written) is sent again within the same second. Its touches must be
// written then, or the build job never sees those calls: a replicated
// table drops a block identical to one it holds, and a dropped block feeds
// no materialized view. Here the touches' view is detached for the first
// send.
func TestClusterResentBatchStillFeedsTouches(t *testing.T) {
	tc := chtest.Cluster(t)
	db := tc.NewDatabase(t)
	ctx := context.Background()
	s := openCluster(t, db, true, tc.Addrs...)
	onEveryNode := everyNode(t, tc.Addrs, db)
	mv := func(verb string) {
		t.Helper()
		onEveryNode(verb + " TABLE " + db + ".event_touches_mv")
	}
	t0 := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	for try := range 5 {
		evs := []cdr.Event{event("pbx1", fmt.Sprintf("c%d", try), "ENTERQUEUE", t0), event("pbx1", fmt.Sprintf("c%d", try), "CONNECT", t0.Add(9*time.Second))}
		// Start just after a second begins, so that both sends fall
		// within it.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
		before, err := s.ServerNow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mv("DETACH")
		if err := s.InsertEvents(ctx, evs); err != nil {
			mv("ATTACH")
			t.Fatal(err)
		}
		mv("ATTACH")
		if err := s.InsertEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		after, err := s.ServerNow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !after.Equal(before) {
			t.Logf("try %d: the sends took %s to %s, two seconds; again", try+1, before, after)
			continue
		}
		refs, err := s.ConsistentReads().TouchedCalls(ctx, before, before.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 1 || refs[0].CallID != evs[0].CallID {
			t.Fatalf("touched calls after the resend: %v; want %s", refs, evs[0].CallID)
		}
		return
	}
	t.Fatal("no try fitted both sends in one second")
}

// TestClusterFailedCallWriteStillFeedsTouches: the build job's write of a
// call's queue_calls row lands but the insert into the touches' table fails
// (here a view on every node that throws takes the touches' view's place;
// in CI ZooKeeper's session expired), so the client gets an error and the
// watermark stays. The next
// run finds the row stored at its own version: it must write it again, or
// the call has no touch and the rollup job never counts its bucket (a
// bucket missing from TestCluster's views in CI, before).
func TestClusterFailedCallWriteStillFeedsTouches(t *testing.T) {
	tc := chtest.Cluster(t)
	db := tc.NewDatabase(t)
	ctx := context.Background()
	s := openCluster(t, db, true, tc.Addrs...)
	onEveryNode := everyNode(t, tc.Addrs, db)
	// A view's insert runs after the part of queue_calls_local is written,
	// so a view that throws fails the insert with the row stored.
	breakTouches := func(broken bool) {
		t.Helper()
		stmts := []string{"DETACH TABLE " + db + ".call_touches_mv",
			"CREATE MATERIALIZED VIEW " + db + ".call_touches_broken TO " + db + ".call_touches_local AS " +
				"SELECT built_at, switch, queue, enter_time, prev_enter_time FROM " + db + ".queue_calls_local WHERE throwIf(length(switch) > 0) = 0"}
		if !broken {
			stmts = []string{"DROP TABLE " + db + ".call_touches_broken", "ATTACH TABLE " + db + ".call_touches_mv"}
		}
		onEveryNode(stmts...)
	}
	t0 := time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)
	if err := s.InsertEvents(ctx, closedCalls("pbx1", 3, t0)); err != nil {
		t.Fatal(err)
	}
	jobs := s.ConsistentReads()
	b := aggregate.NewBuilder(buildReadsConfig(), slog.New(slog.DiscardHandler), func() time.Time { return t0.Add(time.Hour) }, nil, jobs)
	before, err := s.ServerNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	breakTouches(true)
	_, runErr := b.Run(ctx)
	breakTouches(false)
	if runErr == nil {
		t.Fatal("the build's write succeeded with the touches' view broken; the test no longer makes it fail")
	}
	if got := len(jobs.outcomes(t)); got != 3 {
		t.Fatalf("%d queue calls stored by the failed write (%v), want its 3: the test needs the rows landed without touches", got, runErr)
	}
	if refs, err := jobs.ChangedBuckets(ctx, before.Add(-time.Minute), before.Add(time.Hour)); err != nil || len(refs) != 0 {
		t.Fatalf("touched buckets after the failed write: %v (%v), want none", refs, err)
	}
	if _, err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	refs, err := jobs.ChangedBuckets(ctx, before.Add(-time.Minute), before.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || !refs[0].Start.Equal(t0) {
		t.Fatalf("touched buckets after the next run: %v, want the calls' one bucket at %s", refs, t0)
	}
}

// TestClusterRetentionDropsOnEveryReplica: retention lists the partitions
// of a sharded table over both shards and drops an old one from every
// replica of every shard, leaving the newer one.
func TestClusterRetentionDropsOnEveryReplica(t *testing.T) {
	tc := chtest.Cluster(t)
	db := tc.NewDatabase(t)
	ctx := context.Background()
	s := openCluster(t, db, true, tc.Addrs...)
	var evs []cdr.Event
	for i := range 100 {
		for _, at := range []time.Time{time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC), time.Date(2025, 10, 27, 9, 0, 0, 0, time.UTC)} {
			evs = append(evs, event("pbx1", fmt.Sprintf("c%d-%d", i, at.Year()), "ENTERQUEUE", at))
		}
	}
	if err := s.InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	dropped, err := s.DropPartitionsBefore(ctx, "events", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !reflect.DeepEqual(dropped, []string{"202401"}) {
		t.Fatalf("dropped %v, %v; want [202401]", dropped, err)
	}
	deadline := time.Now().Add(time.Minute)
	for i, addr := range tc.Addrs {
		node := nodeStore(t, addr, db)
		for {
			got := queryPairs(t, node, "SELECT toString(toYYYYMM(time)), toString(count()) FROM "+db+".events_local GROUP BY toYYYYMM(time)")
			if _, old := got["202401"]; !old && got["202510"] != "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d holds %v; want 202510 only", i+1, got)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	parts, err := s.Partitions(ctx, "events")
	if err != nil || len(parts) != 1 || parts[0].ID != "202510" || parts[0].Rows != 100 {
		t.Fatalf("partitions after the drop: %+v, %v; want 202510 with 100 rows", parts, err)
	}
}

// TestConnectChecksTheCluster: a cluster the server does not know, or a
// server without the {shard} and {replica} macros, is refused at start,
// naming the setting, by Open and by check-config's Probe (the test server
// has the stock test clusters and no macros).
func TestConnectChecksTheCluster(t *testing.T) {
	addr, db := chtest.NewDatabase(t)
	ctx := context.Background()
	for cluster, want := range map[string]string{
		"no_such_cluster":      `ACDSTAT_CLICKHOUSE_CLUSTER: clickhouse has no cluster "no_such_cluster"`,
		"test_shard_localhost": "ACDSTAT_CLICKHOUSE_CLUSTER: clickhouse has no {shard} and {replica} macros",
	} {
		cfg := clusterConfig(db, addr)
		cfg.Cluster = cluster
		if s, err := Open(ctx, cfg, nil); err == nil || !strings.Contains(err.Error(), want) {
			if err == nil {
				s.Close()
			}
			t.Errorf("Open with cluster %s: got %v; want %q", cluster, err, want)
		}
		if _, _, err := Probe(ctx, cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Probe with cluster %s: got %v; want %q", cluster, err, want)
		}
	}
}
