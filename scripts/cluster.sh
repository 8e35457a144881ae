#!/usr/bin/env bash
# cluster.sh runs a private ClickHouse cluster on loopback for the cluster
# tests and for trying cluster mode: Debian's ZooKeeper and four
# clickhouse-server processes as 2 shards x 2 replicas, cluster name
# "acdstat", every path inside one directory (shared/CLICKHOUSE.md,
# "Cluster mode").
#
#   scripts/cluster.sh start DIR BASE   ZooKeeper on BASE; node N (1..4) has tcp BASE+10N,
#                                       http BASE+10N+1, interserver BASE+10N+2
#   scripts/cluster.sh stop DIR         stop everything started from DIR
#   scripts/cluster.sh node-stop DIR N / node-start DIR N / node-kill DIR N
#   scripts/cluster.sh zk-stop DIR / zk-start DIR
#   scripts/cluster.sh addrs DIR        the nodes' tcp addresses, comma-separated
#
# Nodes 1 and 2 are shard 01 (replicas r1, r2), nodes 3 and 4 shard 02.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: $0 start DIR BASE | stop DIR | node-stop|node-start|node-kill DIR N | zk-stop|zk-start DIR | addrs DIR" >&2
	exit 2
}

zk_script() {
	for p in /usr/share/zookeeper/bin/zkServer.sh /usr/bin/zkServer.sh; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	echo "ZooKeeper not found; install it with: apt-get install -y zookeeper" >&2
	exit 1
}

base_of() { cat "$1/base"; }
tcp_of() { echo $(($(base_of "$1") + 10 * $2)); }

zk_start() {
	local dir="$1" base zk
	base=$(base_of "$dir")
	zk=$(zk_script)
	if [ -f "$dir/zk/pid" ] && kill -0 "$(cat "$dir/zk/pid")" 2>/dev/null; then
		return 0
	fi
	mkdir -p "$dir/zk/data"
	cat >"$dir/zk/zoo.cfg" <<CFG
tickTime=500
initLimit=10
syncLimit=5
dataDir=$dir/zk/data
clientPort=$base
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok
maxSessionTimeout=20000
CFG
	# Debian's scripts read /etc/zookeeper/conf unless given the file.
	(ZOO_LOG_DIR="$dir/zk" setsid "$zk" start-foreground "$dir/zk/zoo.cfg" >"$dir/zk/zk.log" 2>&1 </dev/null) &
	echo $! >"$dir/zk/pid"
	local i
	for i in $(seq 1 120); do
		if [ "$(echo ruok | timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$base; cat >&3; cat <&3" 2>/dev/null)" = imok ]; then
			echo "zookeeper running on 127.0.0.1:$base"
			return 0
		fi
		if ! kill -0 "$(cat "$dir/zk/pid")" 2>/dev/null; then
			echo "zookeeper exited (port $base taken?)" >&2
			tail -n 20 "$dir/zk/zk.log" >&2
			rm -f "$dir/zk/pid"
			exit 1
		fi
		sleep 0.5
	done
	echo "zookeeper did not answer on $base within 60 s" >&2
	tail -n 20 "$dir/zk/zk.log" >&2
	exit 1
}

zk_stop() {
	local dir="$1" pid
	[ -f "$dir/zk/pid" ] || return 0
	pid=$(cat "$dir/zk/pid")
	# setsid made it a process group leader: stop the java child too.
	kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
	kill -9 -- -"$pid" 2>/dev/null || true
	rm -f "$dir/zk/pid"
	echo "zookeeper stopped"
}

node_include() { # writes the substitutions of node N
	local dir="$1" n="$2" base shard replica
	base=$(base_of "$dir")
	shard=$(printf '%02d' $(((n + 1) / 2)))
	replica="r$(((n + 1) % 2 + 1))"
	cat >"$dir/node$n/cluster.xml" <<XML
<yandex>
  <clickhouse_remote_servers>
    <acdstat>
      <shard>
        <internal_replication>true</internal_replication>
        <replica><host>127.0.0.1</host><port>$((base + 10))</port></replica>
        <replica><host>127.0.0.1</host><port>$((base + 20))</port></replica>
      </shard>
      <shard>
        <internal_replication>true</internal_replication>
        <replica><host>127.0.0.1</host><port>$((base + 30))</port></replica>
        <replica><host>127.0.0.1</host><port>$((base + 40))</port></replica>
      </shard>
    </acdstat>
  </clickhouse_remote_servers>
  <zookeeper-servers>
    <node><host>127.0.0.1</host><port>$base</port></node>
    <session_timeout_ms>6000</session_timeout_ms>
  </zookeeper-servers>
  <macros><shard>$shard</shard><replica>$replica</replica></macros>
</yandex>
XML
}

node_start() {
	local dir="$1" n="$2" tcp
	tcp=$(tcp_of "$dir" "$n")
	mkdir -p "$dir/node$n"
	node_include "$dir" "$n"
	"$here/clickhouse.sh" start "$dir/node$n" "$tcp" "$((tcp + 1))" "$dir/node$n/cluster.xml"
}

node_stop() { "$here/clickhouse.sh" stop "$1/node$2"; }

node_kill() {
	local pidfile="$1/node$2/clickhouse.pid"
	[ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
	rm -f "$pidfile"
	echo "clickhouse node $2 killed"
}

[ $# -ge 2 ] || usage
cmd="$1" dir="$2"
case "$cmd" in
start)
	[ $# -eq 3 ] || usage
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	echo "$3" >"$dir/base"
	zk_start "$dir"
	for n in 1 2 3 4; do node_start "$dir" "$n"; done
	;;
stop)
	dir=$(cd "$dir" && pwd)
	for n in 1 2 3 4; do [ -d "$dir/node$n" ] && node_stop "$dir" "$n"; done
	zk_stop "$dir"
	;;
node-start) dir=$(cd "$dir" && pwd); node_start "$dir" "$3" ;;
node-stop) node_stop "$dir" "$3" ;;
node-kill) node_kill "$dir" "$3" ;;
zk-start) dir=$(cd "$dir" && pwd); zk_start "$dir" ;;
zk-stop) zk_stop "$dir" ;;
addrs)
	out=""
	for n in 1 2 3 4; do out="$out${out:+,}127.0.0.1:$(tcp_of "$dir" "$n")"; done
	echo "$out"
	;;
*) usage ;;
esac
