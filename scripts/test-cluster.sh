#!/usr/bin/env bash
# The cluster tests (make test-cluster, docs/SCALE.md): a private cluster of
# scripts/cluster.sh (ZooKeeper, 2 shards x 2 replicas of ClickHouse) on free
# loopback ports, the tests that need it (every test named Cluster in store
# and cmd/acdstat: the migrations on the cluster, the jobs' consistent reads,
# and the run of two acdstat nodes through the faults of issue 13), then the
# cluster stopped and removed. The single-server half of TestCluster uses
# ACDSTAT_TEST_CLICKHOUSE or a private server, as make test does.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}

free() { # true when no port of BASE's cluster answers on loopback
	local base=$1 p
	for p in $base $((base + 10)) $((base + 11)) $((base + 12)) $((base + 20)) $((base + 21)) $((base + 22)) \
		$((base + 30)) $((base + 31)) $((base + 32)) $((base + 40)) $((base + 41)) $((base + 42)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 1; fi
	done
}
base=""
for _ in $(seq 1 20); do
	# Below the kernel's ephemeral ports (32768 and up), which any
	# outgoing connection may hold when ZooKeeper binds.
	b=$((20000 + RANDOM % 120 * 100))
	if free "$b"; then base=$b; break; fi
done
[ -n "$base" ] || { echo "no free ports for the test cluster" >&2; exit 1; }

dir=$(mktemp -d /tmp/acdstat-test-cluster.XXXXXX)
finish() {
	local status=$?
	scripts/cluster.sh stop "$dir" >/dev/null 2>&1 || true
	if [ "$status" -eq 0 ]; then
		rm -rf "$dir"
	else # the servers' logs and the acdstat nodes' (TestCluster)
		echo "the test cluster's files are kept in $dir" >&2
	fi
}
trap finish EXIT
scripts/cluster.sh start "$dir" "$base"
export ACDSTAT_TEST_CLUSTER=$dir
# One package at a time: TestCluster kills nodes and stops ZooKeeper, which
# the store's tests must not meet.
$go test -p 1 -count=1 -run 'Cluster' -v -timeout 7m ./store ./cmd/acdstat
