package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Cluster mode (Config.Cluster, docs/SCALE.md) runs the one set of
// migration files on a ClickHouse cluster: clusterSchema.rewrite turns each
// statement of a file into the statements that lay the same schema out over
// the cluster's shards and replicas, and says where each is sent, so that
// no table is written twice by hand and every query of the store runs
// unchanged against the tables' usual names. The files themselves are never edited (applied
// migrations are not): how each table is laid out is the rule of
// clusterTables, by table name, and TestClusterDDLOfEveryStatement rewrites
// every statement of every migration (testdata/cluster_ddl.golden shows the
// result), so a new table without a rule fails the tests, not a customer's
// migration.
//
// The layout:
//
//   - A table of clusterTables with a shardBy key becomes a Replicated*
//     local table, name_local, on every node, with the ZooKeeper path
//     /clickhouse/tables/{shard}/DB/name (DB: the database, so that several
//     databases on one cluster, one per test for instance, never share a
//     path) and the replica '{replica}', and in front of it a Distributed
//     table under the usual name that shards inserts by shardBy and reads
//     every shard.
//   - A table with no shardBy (small state: watermarks, the settings
//     versions, the migration log) becomes one Replicated* table under its
//     usual name whose path has no {shard}: every node holds all of it, its
//     replica named '{shard}_{replica}' so that names are unique across
//     shards.
//   - A materialized view is made on every node from the local table of its
//     source into the local table of its target, so it fires on the shard
//     that took the insert and its rows live beside their source rows.
//   - A view is made on every node over the Distributed tables.
//   - An ALTER TABLE is sent without ON CLUSTER: for a sharded table to one
//     replica of each shard (ClickHouse replicates it to the others) and
//     then to the Distributed table on every node; for a table on every node
//     to one node. 18.16 refuses an ALTER ON CLUSTER of a Distributed table
//     on a cluster of replicated shards (code 371), and its DDL worker, which
//     runs an ALTER ON CLUSTER of a replicated table on one replica of each
//     shard, races the replicas of a shard for it and can stop for good on
//     the loser's "Node exists" (seen here with two ALTERs in flight), after
//     which that node runs no ON CLUSTER statement until it is restarted.
//
// Every table name in a rewritten statement is qualified with the database:
// the nodes run ON CLUSTER statements in their default database, not the
// client's.

// clusterTable is the cluster layout of one table of the schema.
type clusterTable struct {
	// shardBy is the sharding key of the Distributed table in front of the
	// local tables; empty for a table held whole by every node.
	shardBy string
}

// clusterTables is the layout of every MergeTree-family table the
// migrations create (and schema_migrations, which Migrate creates).
//
// The tables that hold one call's facts are sharded by a hash of switch and
// call id, so that a call's events, the touches of its events, its queue
// calls and its funnel row live on one shard. The replacing tables are
// sharded on a function of the start of their ORDER BY key, so that every
// version of a row lands on the shard of its first version and replacement
// and FINAL stay within one shard. event_touches and call_touches are filled
// by materialized views on the shard of their source rows; their Distributed
// keys only route direct inserts, which acdstat never makes (call_touches
// has no call id: switch and queue route it).
var clusterTables = map[string]clusterTable{
	"events":        {shardBy: "cityHash64(switch, call_id)"},
	"event_touches": {shardBy: "cityHash64(switch, call_id)"},
	"queue_calls":   {shardBy: "cityHash64(switch, call_id)"},
	"call_touches":  {shardBy: "cityHash64(switch, queue)"},
	"funnel_calls":  {shardBy: "cityHash64(switch, call_id)"},
	"rollup_15m":    {shardBy: "cityHash64(queue, switch)"},
	"rejects":       {shardBy: "cityHash64(switch, id)"},
	// Agent facts live with their agent, so replacement of a resent line
	// stays in one shard; the agent's rollups by agent and queue, a prefix
	// of their ORDER BY key. The touch tables are filled by materialized
	// views on each shard's local source table.
	"agent_events":       {shardBy: "cityHash64(switch, agent)"},
	"agent_touches":      {shardBy: "cityHash64(switch, agent)"},
	"agent_call_touches": {shardBy: "cityHash64(switch, name)"},
	"agent_rollup_15m":   {shardBy: "cityHash64(agent, queue)"},
	// The day sums of rollup_15m (0016) sit on the shard of their
	// 15-minute rows, so the store recomputes a day from one shard's rows
	// and FINAL replaces its versions within the shard.
	"rollup_day": {shardBy: "cityHash64(queue, switch)"},
	// Contacts and cases by their own key, so a case's states meet on one
	// shard; the case job's rows by desk, a prefix of their key.
	"contacts":            {shardBy: "cityHash64(system, contact_id)"},
	"cases":               {shardBy: "cityHash64(system, case_id)"},
	"desk_months":         {shardBy: "cityHash64(desk)"},
	"desk_month_channels": {shardBy: "cityHash64(desk)"},

	"job_state":         {},
	"queue_settings":    {},
	"schema_migrations": {},
}

// localSuffix names the local table of a sharded table.
const localSuffix = "_local"

// clusterSchema rewrites migration statements for one database on one
// cluster. names are the tables and views that statements may read from
// (clusterTables and every view of the migrations): a FROM or JOIN of one
// of them is qualified with the database.
type clusterSchema struct {
	db, cluster string
	names       map[string]bool
}

var (
	createTableRE = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s*(\(.*\))\s*ENGINE\s*=\s*(\w+)\s*(\([^)]*\))?(.*)$`)
	createMVRE    = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+(\w+)\s+TO\s+(\w+)\s+AS\s+(SELECT\s.*)$`)
	createViewRE  = regexp.MustCompile(`(?is)^CREATE\s+VIEW\s+IF\s+NOT\s+EXISTS\s+(\w+)\s+AS\s+(SELECT\s.*)$`)
	alterTableRE  = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(\w+)\s+(.*)$`)
	dropTableRE   = regexp.MustCompile(`(?is)^DROP\s+TABLE\s+IF\s+EXISTS\s+(\w+)$`)
	// viewNameRE finds the views a set of migrations creates.
	viewNameRE = regexp.MustCompile(`(?im)^\s*CREATE\s+(?:MATERIALIZED\s+)?VIEW\s+IF\s+NOT\s+EXISTS\s+(\w+)`)
	// fromRE finds what a SELECT reads: FROM or JOIN and a bare name (the
	// fourth group), not ARRAY JOIN (an array: the first group), not name(
	// (a table function) nor name. (a name already qualified): the fifth
	// group is what follows the name.
	fromRE = regexp.MustCompile(`(?i)(\bARRAY\s+)?\b(FROM|JOIN)(\s+)(\w+)(\s*[(.]?)`)
)

// newClusterSchema returns the rewriter of ms for database db on cluster.
func newClusterSchema(db, cluster string, ms []migration) *clusterSchema {
	names := map[string]bool{}
	for name := range clusterTables {
		names[name] = true
	}
	for _, m := range ms {
		for _, stmt := range m.statements {
			for _, v := range viewNameRE.FindAllStringSubmatch(stmt, -1) {
				names[v[1]] = true
			}
		}
	}
	return &clusterSchema{db: db, cluster: cluster, names: names}
}

// stripComments drops the comment lines of a statement (its documentation
// stays in the migration file) and its trailing semicolon.
func stripComments(stmt string) string {
	var out []string
	for _, l := range strings.Split(stmt, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "--") {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.TrimSpace(strings.Join(out, "\n")), "; \n\t")
}

// ddlTarget says where a statement of cluster mode is sent.
type ddlTarget int

const (
	// onCluster: once, to the node the store is connected to; the statement
	// says ON CLUSTER, and ClickHouse runs it on every node.
	onCluster ddlTarget = iota
	// eachShard: to one live replica of each shard, which replicates it.
	eachShard
	// eachNode: to every node.
	eachNode
	// oneNode: to the node the store is connected to, which replicates it
	// to every node (a table held whole by every node).
	oneNode
)

// String says where, as testdata/cluster_ddl.golden shows it.
func (t ddlTarget) String() string {
	return [...]string{"on cluster", "on one replica of each shard", "on every node", "on one node"}[t]
}

// ddl is one statement of cluster mode and where it is sent.
type ddl struct {
	sql string
	on  ddlTarget
}

// rewrite returns the statements that run stmt on the cluster, in order.
// Each is idempotent, as the migrator requires. A statement of a kind it
// does not know is an error: a migration must not silently run on one node
// only.
func (c *clusterSchema) rewrite(stmt string) ([]ddl, error) {
	sql := stripComments(stmt)
	on := " ON CLUSTER " + c.cluster
	if m := createTableRE.FindStringSubmatch(sql); m != nil {
		name, columns, engine, args, rest := m[1], m[2], m[3], m[4], m[5]
		rule, ok := clusterTables[name]
		if !ok {
			return nil, fmt.Errorf("table %s has no cluster layout: add it to clusterTables (store/cluster.go)", name)
		}
		if !strings.HasSuffix(engine, "MergeTree") || strings.HasPrefix(engine, "Replicated") {
			return nil, fmt.Errorf("table %s: engine %s is not a MergeTree that cluster mode can replicate", name, engine)
		}
		var inner string
		if a := strings.TrimSpace(strings.Trim(strings.TrimSpace(args), "()")); a != "" {
			inner = ", " + a
		}
		local, path, replica := name, "/clickhouse/tables/all/"+c.db+"/"+name, "{shard}_{replica}"
		if rule.shardBy != "" {
			local, path, replica = name+localSuffix, "/clickhouse/tables/{shard}/"+c.db+"/"+name, "{replica}"
		}
		if rest = strings.TrimSpace(rest); rest != "" {
			rest = "\n" + rest
		}
		out := []ddl{{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s %s\nENGINE = Replicated%s('%s', '%s'%s)%s",
			c.db, local, on, columns, engine, path, replica, inner, rest), onCluster}}
		if rule.shardBy != "" {
			out = append(out, ddl{c.distributed(name, rule), onCluster})
		}
		return out, nil
	}
	if m := createMVRE.FindStringSubmatch(sql); m != nil {
		name, target, sel := m[1], m[2], m[3]
		if clusterTables[target].shardBy == "" {
			return nil, fmt.Errorf("materialized view %s: its target %s must be a sharded table of clusterTables", name, target)
		}
		src := fromRE.FindStringSubmatch(sel)
		if src == nil || clusterTables[src[4]].shardBy == "" {
			return nil, fmt.Errorf("materialized view %s: its source must be a sharded table of clusterTables", name)
		}
		return []ddl{{fmt.Sprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.%s%s TO %s.%s%s AS %s",
			c.db, name, on, c.db, target, localSuffix, c.qualify(sel, true)), onCluster}}, nil
	}
	if m := createViewRE.FindStringSubmatch(sql); m != nil {
		return []ddl{{fmt.Sprintf("CREATE VIEW IF NOT EXISTS %s.%s%s AS %s", c.db, m[1], on, c.qualify(m[2], false)), onCluster}}, nil
	}
	if m := alterTableRE.FindStringSubmatch(sql); m != nil {
		name, change := m[1], m[2]
		rule, ok := clusterTables[name]
		if !ok {
			return nil, fmt.Errorf("ALTER TABLE %s: no such table in clusterTables", name)
		}
		if rule.shardBy == "" {
			return []ddl{{fmt.Sprintf("ALTER TABLE %s.%s %s", c.db, name, change), oneNode}}, nil
		}
		return []ddl{
			{fmt.Sprintf("ALTER TABLE %s.%s%s %s", c.db, name, localSuffix, change), eachShard},
			{fmt.Sprintf("ALTER TABLE %s.%s %s", c.db, name, change), eachNode},
		}, nil
	}
	if m := dropTableRE.FindStringSubmatch(sql); m != nil {
		name := m[1]
		out := []ddl{{fmt.Sprintf("DROP TABLE IF EXISTS %s.%s%s", c.db, name, on), onCluster}}
		if clusterTables[name].shardBy != "" {
			out = append(out, ddl{fmt.Sprintf("DROP TABLE IF EXISTS %s.%s%s%s", c.db, name, localSuffix, on), onCluster})
		}
		return out, nil
	}
	if strings.HasPrefix(strings.ToUpper(sql), "SELECT ") {
		return []ddl{{sql, oneNode}}, nil // changes nothing
	}
	return nil, fmt.Errorf("cannot run in cluster mode: a statement that is not CREATE TABLE, CREATE [MATERIALIZED] VIEW, ALTER TABLE or DROP TABLE (…IF [NOT] EXISTS): %.60q", sql)
}

// distributed is the Distributed table of a sharded table, with the columns
// of its local table.
func (c *clusterSchema) distributed(name string, rule clusterTable) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s ON CLUSTER %s AS %s.%s%s\nENGINE = Distributed(%s, %s, %s%s, %s)",
		c.db, name, c.cluster, c.db, name, localSuffix, c.cluster, c.db, name, localSuffix, rule.shardBy)
}

// qualify qualifies with the database every table or view of the schema
// that sel reads from, naming the local tables of sharded ones when local
// is set (a materialized view's source).
func (c *clusterSchema) qualify(sel string, local bool) string {
	return fromRE.ReplaceAllStringFunc(sel, func(s string) string {
		m := fromRE.FindStringSubmatch(s)
		if m[1] != "" || strings.TrimSpace(m[5]) != "" || !c.names[m[4]] {
			return s
		}
		name := m[4]
		if local && clusterTables[name].shardBy != "" {
			name += localSuffix
		}
		return m[2] + m[3] + c.db + "." + name + m[5]
	})
}

// insertQuorumTimeout bounds how long an insert waits for its quorum
// (insert_quorum_timeout; ClickHouse's default is 10 minutes). It ends
// with code 319, "Unknown status, client must retry", and the spool sends
// the batch again. It is well below the jobs' margins (2 minutes,
// ACDSTAT_BUILD_MARGIN): an insert is visible to the jobs' reads only once
// its quorum is reached, up to this long after the server stamped its
// ingested_at, and a job re-reads its margin below the watermark.
const insertQuorumTimeout = time.Minute

// clusterSettings are the settings of every query in cluster mode (nil on
// one server):
//
//   - insert_distributed_sync: an insert into a Distributed table returns
//     only once every shard stored its rows, instead of once the receiving
//     node queued them on its own disk for a background send;
//   - insert_quorum: and only once InsertQuorum replicas of each shard hold
//     them, so the spool lets go of nothing that one lost disk can take;
//   - insert_deduplicate=0: a replicated table drops a block identical to
//     one it holds, and a dropped block feeds no materialized view, so a
//     batch sent again within the same second (the server's ingested_at is
//     the same) after its events landed but their touches did not (code
//     286 on event_touches behind another writer's quorum insert, seen
//     here) would leave calls the build job never finds
//     (TestClusterResentBatchStillFeedsTouches). acdstat never relied on
//     it: every table takes duplicates, as on one server, whose MergeTree
//     tables deduplicate nothing.
//
// Where the server has insert_quorum_parallel (current releases, where it
// is on by default; 18.16 has no such setting and refuses unknown ones),
// every insert turns it off (sendColumns, after Connect found it):
// sequential consistency (consistentSettings) holds only for quorum
// inserts made one at a time per table and shard, as 18.16 makes them.
//
// Why this and not writing to the owning shard from acdstat: ClickHouse
// then picks a live replica of each shard, fails over and computes the
// sharding key from the schema, with one code path for both modes; the
// cost is one more hop through the receiving node (docs/SCALE.md).
func clusterSettings(cfg Config) clickhouse.Settings {
	if cfg.Cluster == "" {
		return nil
	}
	return clickhouse.Settings{
		"insert_distributed_sync": 1,
		"insert_quorum":           cfg.InsertQuorum,
		"insert_quorum_timeout":   int(insertQuorumTimeout / time.Millisecond),
		"insert_deduplicate":      0,
	}
}

// hasParallelQuorum says whether the server has insert_quorum_parallel.
func hasParallelQuorum(ctx context.Context, conn driver.Conn) (bool, error) {
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.settings WHERE name = 'insert_quorum_parallel'").Scan(&n); err != nil {
		return false, fmt.Errorf("cannot read the settings of clickhouse: %w", err)
	}
	return n > 0, nil
}

// consistentSettings are settings with select_sequential_consistency: a
// replica that lacks a part written with quorum refuses the read (code 289)
// instead of answering without it. Measured against
// max_replica_delay_for_distributed_queries with no fallback to stale
// replicas (docs/SCALE.md): both stop answering while ZooKeeper is down,
// but the delay is a bound in seconds, under which a replica that lacks
// the newest parts still answers, and it does not cover the tables read
// without a Distributed table (the watermarks); sequential consistency
// refuses exactly the replicas that lack an acknowledged insert. It needs
// every insert written with a quorum of at least 2 (Validate): a quorum of
// one leaves no record, and a part written without quorum into a
// partition that holds one written with it is not read at all.
func consistentSettings(settings clickhouse.Settings) clickhouse.Settings {
	out := clickhouse.Settings{"select_sequential_consistency": 1}
	for k, v := range settings {
		out[k] = v
	}
	return out
}

// ConsistentReads returns the store whose reads see every insert that
// ClickHouse acknowledged: the jobs' store, for their watermarks and the
// events, queue calls and touches they read. On one server it is s itself;
// in cluster mode it has connections of its own, with
// select_sequential_consistency (consistentSettings), so its reads fail
// rather than come from a replica that lags, and they fail while
// ZooKeeper is down, when the jobs could not write anyway. Readers of the
// figures use s, which answers from any live replica. Close s, not the
// store returned.
func (s *Store) ConsistentReads() *Store {
	if s.consistent != nil {
		return s.consistent
	}
	return s
}

// checkCluster checks that the server knows cluster and has the macros of
// the replicated tables' paths.
func checkCluster(ctx context.Context, conn driver.Conn, cluster string) error {
	var hosts, macros uint64
	if err := conn.QueryRow(ctx, "SELECT (SELECT count() FROM system.clusters WHERE cluster = ?), (SELECT count() FROM system.macros WHERE macro IN ('shard', 'replica'))", cluster).Scan(&hosts, &macros); err != nil {
		return fmt.Errorf("cannot read the clusters of clickhouse: %w", err)
	}
	if hosts == 0 {
		return fmt.Errorf("%sCLUSTER: clickhouse has no cluster %q in its remote_servers", envPrefix, cluster)
	}
	if macros < 2 {
		return fmt.Errorf("%sCLUSTER: clickhouse has no {shard} and {replica} macros (<macros> in its config), which the paths of replicated tables need", envPrefix)
	}
	return nil
}

// Codes of ClickHouse exceptions that cluster mode meets.
const (
	// codeQuorumBusy: 18.16 takes one quorum insert at a time per table
	// and shard (current releases take them in parallel,
	// insert_quorum_parallel); another one that has not reached its quorum
	// yet refuses this one ("Quorum for previous write has not been
	// satisfied yet", "Another quorum insert has been already started").
	codeQuorumBusy = 286
)

// exceptionCode returns the code of the ClickHouse exception in err's
// chain, or 0.
func exceptionCode(err error) int32 {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return ex.Code
	}
	return 0
}

// Limits of retryQuorumBusy: a quorum is usually reached within tens of
// milliseconds, so a few seconds of short pauses cover two writers at once;
// a quorum that cannot be reached (a replica down) returns the error to
// the caller, whose own retries (the spool writer's, the next job run)
// wait longer.
const (
	quorumBusyAttempts = 20
	quorumBusyPause    = 25 * time.Millisecond
	quorumBusyMaxPause = 500 * time.Millisecond
)

// retryQuorumBusy runs insert until it does not fail with codeQuorumBusy,
// with short growing pauses, quorumBusyAttempts times at most. Sending an
// insert again is always harmless here (a refused insert wrote nothing on
// that shard; rows written on another shard are written again with the
// same ids and versions), and it keeps two acdstat nodes that insert into
// one table at once from failing each other's batches. On one server the
// code never occurs, and insert runs once.
func (s *Store) retryQuorumBusy(ctx context.Context, insert func() error) error {
	pause := quorumBusyPause
	for attempt := 1; ; attempt++ {
		err := insert()
		if err == nil || exceptionCode(err) != codeQuorumBusy || attempt == quorumBusyAttempts {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause = min(2*pause, quorumBusyMaxPause)
	}
}

// clusterNode is one node of the cluster as its remote_servers name it.
type clusterNode struct {
	shard uint32
	addr  string // host:port of the native protocol
}

// nodeConns holds connections to single nodes of the cluster, opened when
// first needed, for the statements that are not sent ON CLUSTER. Close it
// when done.
type nodeConns struct {
	s     *Store
	nodes []clusterNode
	conns map[string]driver.Conn
}

// nodeConns lists the cluster's nodes (system.clusters of the node the
// store is connected to), shard by shard, replicas in their order.
func (s *Store) nodeConns(ctx context.Context) (*nodeConns, error) {
	rows, err := s.conn.Query(ctx, "SELECT shard_num, host_name, toString(port) FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num", s.cluster)
	if err != nil {
		return nil, fmt.Errorf("cannot list the nodes of cluster %s: %w", s.cluster, err)
	}
	defer rows.Close()
	n := &nodeConns{s: s, conns: map[string]driver.Conn{}}
	for rows.Next() {
		var node clusterNode
		var host, port string
		if err := rows.Scan(&node.shard, &host, &port); err != nil {
			return nil, fmt.Errorf("cannot list the nodes of cluster %s: %w", s.cluster, err)
		}
		node.addr = net.JoinHostPort(host, port)
		n.nodes = append(n.nodes, node)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list the nodes of cluster %s: %w", s.cluster, err)
	}
	if len(n.nodes) == 0 {
		return nil, fmt.Errorf("cluster %s has no nodes", s.cluster)
	}
	return n, nil
}

// conn returns a pinged connection to the node at addr.
func (n *nodeConns) conn(ctx context.Context, addr string) (driver.Conn, error) {
	if c, ok := n.conns[addr]; ok {
		return c, nil
	}
	c, err := n.s.dialNode(addr)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to clickhouse %s: %w", addr, err)
	}
	if err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("cannot connect to clickhouse %s: %w", addr, err)
	}
	n.conns[addr] = c
	return c, nil
}

// close closes every connection opened.
func (n *nodeConns) close() {
	for _, c := range n.conns {
		c.Close()
	}
}

// eachNode runs exec on every node; all must answer.
func (n *nodeConns) eachNode(ctx context.Context, exec func(driver.Conn) error) error {
	for _, node := range n.nodes {
		c, err := n.conn(ctx, node.addr)
		if err != nil {
			return err
		}
		if err := exec(c); err != nil {
			return fmt.Errorf("on %s: %w", node.addr, err)
		}
	}
	return nil
}

// eachShard runs exec on one replica of each shard: the first that
// answers, in the order of remote_servers.
func (n *nodeConns) eachShard(ctx context.Context, exec func(driver.Conn) error) error {
	for i := 0; i < len(n.nodes); {
		shard := n.nodes[i].shard
		var errs []error
		done := false
		for ; i < len(n.nodes) && n.nodes[i].shard == shard; i++ {
			if done {
				continue
			}
			c, err := n.conn(ctx, n.nodes[i].addr)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if err := exec(c); err != nil {
				return fmt.Errorf("on %s: %w", n.nodes[i].addr, err)
			}
			done = true
		}
		if !done {
			return fmt.Errorf("no replica of shard %d answers: %w", shard, errors.Join(errs...))
		}
	}
	return nil
}
