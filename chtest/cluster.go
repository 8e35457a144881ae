package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// EnvCluster names the variable that points the cluster tests at a cluster
// that scripts/cluster.sh started: its directory. make test-cluster sets it.
const EnvCluster = "ACDSTAT_TEST_CLUSTER"

// ClusterName is the cluster of scripts/cluster.sh's remote_servers.
const ClusterName = "acdstat"

// TestCluster is a running cluster of scripts/cluster.sh: ZooKeeper and four
// ClickHouse nodes, 2 shards x 2 replicas.
type TestCluster struct {
	// Dir is the cluster's directory.
	Dir string
	// Addrs are the nodes' native addresses, node 1 to 4: nodes 1 and 2
	// are shard 01 (replicas r1, r2), nodes 3 and 4 shard 02.
	Addrs  []string
	script string
}

// Cluster returns the test cluster named by ACDSTAT_TEST_CLUSTER, or skips
// t when the variable is unset: the cluster tests are make test-cluster's,
// which starts the cluster (and .ci/run runs it); make test does not.
func Cluster(t testing.TB) *TestCluster {
	t.Helper()
	dir := os.Getenv(EnvCluster)
	if dir == "" {
		t.Skipf("%s is unset: the cluster tests run with make test-cluster", EnvCluster)
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	c := &TestCluster{Dir: dir, script: filepath.Join(root, "scripts", "cluster.sh")}
	c.Addrs = strings.Split(c.Run(t, "addrs"), ",")
	return c
}

// Run runs scripts/cluster.sh CMD DIR ARGS… (node-kill N, node-start N,
// zk-stop, zk-start, …) and returns its output, failing t when it fails.
func (c *TestCluster) Run(t testing.TB, cmd string, args ...string) string {
	t.Helper()
	out, err := exec.Command("bash", append([]string{c.script, cmd, c.Dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/cluster.sh %s %s: %v\n%s", cmd, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// NewDatabase creates an empty database test_<package>_<random> on every
// node (ON CLUSTER) and drops it on every node when the test ends, which
// also removes its replicas from ZooKeeper, unless the test failed. It
// returns the database's name.
func (c *TestCluster) NewDatabase(t testing.TB) string {
	t.Helper()
	wd, _ := os.Getwd()
	pkg := nonIdent.ReplaceAllString(strings.ToLower(filepath.Base(wd)), "_")
	var b [6]byte
	rand.Read(b[:])
	db := "test_" + pkg + "_" + hex.EncodeToString(b[:])
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol: clickhouse.Native, Addr: c.Addrs, DialTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
	})
	if err != nil {
		t.Fatalf("cannot connect to the cluster %v: %v", c.Addrs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := conn.Exec(ctx, "CREATE DATABASE "+db+" ON CLUSTER "+ClusterName); err != nil {
		conn.Close()
		t.Fatalf("cannot create database %s on the cluster: %v", db, err)
	}
	t.Cleanup(func() {
		defer conn.Close()
		if t.Failed() {
			// Kept for a look; the cluster's directory goes with it.
			t.Logf("database %s kept on the cluster in %s", db, c.Dir)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" ON CLUSTER "+ClusterName); err != nil {
			t.Errorf("cannot drop database %s on the cluster: %v", db, err)
		}
	})
	return db
}
