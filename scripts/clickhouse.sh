#!/usr/bin/env bash
# clickhouse.sh runs a private ClickHouse server for tests and demos, with
# every path inside one directory and its own ports, so no root-owned path
# and no system service is touched (shared/CLICKHOUSE.md).
#
#   scripts/clickhouse.sh start DIR TCP_PORT HTTP_PORT [INCLUDE]
#                                                        start (no-op when already running from DIR);
#                                                        INCLUDE is a file of substitutions for the
#                                                        config's incl= elements (remote_servers,
#                                                        zookeeper, macros: scripts/cluster.sh)
#   scripts/clickhouse.sh stop DIR                       stop the server started from DIR
#   scripts/clickhouse.sh status DIR                     exit 0 when it runs, 1 when not
#
# The interserver port is HTTP_PORT+1. The server listens on 127.0.0.1 only.
# The config is the packaged /etc/clickhouse-server/{config,users}.xml with
# paths, ports and listen_host rewritten by sed (checked against 18.16.1, whose
# file has one element per line; current releases have the same elements).
set -euo pipefail

usage() {
	echo "usage: $0 start DIR TCP_PORT HTTP_PORT [INCLUDE] | stop DIR | status DIR" >&2
	exit 2
}

find_server() {
	local p
	if p=$(command -v clickhouse-server 2>/dev/null); then
		echo "$p"
		return 0
	fi
	for p in /usr/bin/clickhouse-server /usr/sbin/clickhouse-server; do
		if [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

pid_of() { # prints the pid of the server started from $1 when it is alive
	local pidfile="$1/clickhouse.pid" pid
	[ -f "$pidfile" ] || return 1
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

cmd_start() {
	local dir="$1" tcp="$2" http="$3" include="${4:-}"
	local inter=$((http + 1))
	local server
	if ! server=$(find_server); then
		echo "clickhouse-server not found; install it with: apt-get install -y clickhouse-server clickhouse-client" >&2
		exit 1
	fi
	if ! command -v clickhouse-client >/dev/null 2>&1; then
		echo "clickhouse-client not found; install it with: apt-get install -y clickhouse-server clickhouse-client" >&2
		exit 1
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if pid_of "$dir" >/dev/null; then
		echo "clickhouse already running from $dir (pid $(cat "$dir/clickhouse.pid"))"
		return 0
	fi
	local src=/etc/clickhouse-server
	if [ ! -f "$src/config.xml" ] || [ ! -f "$src/users.xml" ]; then
		echo "$src/config.xml or users.xml missing; install with: apt-get install -y clickhouse-server clickhouse-client" >&2
		exit 1
	fi
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
	cp "$src/users.xml" "$dir/users.xml"
	# Rewrite one element per line; '|' is the sed delimiter, so DIR must not hold one.
	sed \
		-e "0,/<path>/s|<path>[^<]*</path>|<path>$dir/data/</path>|" \
		-e "s|<tmp_path>[^<]*</tmp_path>|<tmp_path>$dir/tmp/</tmp_path>|" \
		-e "s|<user_files_path>[^<]*</user_files_path>|<user_files_path>$dir/user_files/</user_files_path>|" \
		-e "s|<format_schema_path>[^<]*</format_schema_path>|<format_schema_path>$dir/format_schemas/</format_schema_path>|" \
		-e "s|<log>[^<]*</log>|<log>$dir/log/clickhouse-server.log</log>|" \
		-e "s|<errorlog>[^<]*</errorlog>|<errorlog>$dir/log/clickhouse-server.err.log</errorlog>|" \
		-e "s|<users_config>[^<]*</users_config>|<users_config>$dir/users.xml</users_config>|" \
		-e "s|<tcp_port>[^<]*</tcp_port>|<tcp_port>$tcp</tcp_port>\n    <listen_host>127.0.0.1</listen_host>|" \
		-e "s|<http_port>[^<]*</http_port>|<http_port>$http</http_port>|" \
		-e "s|<interserver_http_port>[^<]*</interserver_http_port>|<interserver_http_port>$inter</interserver_http_port>|" \
		-e "/<listen_host>::<\/listen_host>/d" \
		-e "/<listen_host>0.0.0.0<\/listen_host>/d" \
		-e "/<\(https_port\|tcp_port_secure\|mysql_port\|postgresql_port\|grpc_port\|interserver_https_port\)>/d" \
		"$src/config.xml" >"$dir/config.xml"
	if [ -n "$include" ]; then
		# A cluster member: the substitutions, and the host other replicas
		# fetch parts from (loopback: every member runs on this machine).
		sed -i -e "s|<interserver_http_port>|<include_from>$include</include_from>\n    <interserver_http_host>127.0.0.1</interserver_http_host>\n    <interserver_http_port>|" "$dir/config.xml"
	fi
	grep -q "<tcp_port>$tcp</tcp_port>" "$dir/config.xml" || {
		echo "cannot rewrite $src/config.xml: no <tcp_port> element" >&2
		exit 1
	}

	# Started in its own session so the caller's signals and terminal leave it alone.
	(cd "$dir" && exec setsid "$server" --config-file="$dir/config.xml" \
		>"$dir/log/stdout.log" 2>&1 </dev/null) &
	local pid=$!
	echo "$pid" >"$dir/clickhouse.pid"

	local i
	for i in $(seq 1 120); do
		if clickhouse-client --host 127.0.0.1 --port "$tcp" --query 'SELECT 1' >/dev/null 2>&1; then
			echo "clickhouse running from $dir (pid $pid, tcp 127.0.0.1:$tcp, http $http)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "clickhouse-server exited; last log lines:" >&2
			tail -n 20 "$dir/log/clickhouse-server.err.log" "$dir/log/stdout.log" >&2 2>/dev/null || true
			rm -f "$dir/clickhouse.pid"
			exit 1
		fi
		sleep 0.5
	done
	echo "clickhouse-server did not answer on port $tcp within 60 s; stopping it" >&2
	tail -n 20 "$dir/log/clickhouse-server.err.log" >&2 2>/dev/null || true
	cmd_stop "$dir"
	exit 1
}

cmd_stop() {
	local dir="$1" pid i
	if ! pid=$(pid_of "$dir"); then
		rm -f "$dir/clickhouse.pid"
		echo "clickhouse not running from $dir"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	rm -f "$dir/clickhouse.pid"
	echo "clickhouse stopped ($dir)"
}

cmd_status() {
	local dir="$1" pid
	if pid=$(pid_of "$dir"); then
		echo "clickhouse running from $dir (pid $pid)"
		return 0
	fi
	echo "clickhouse not running from $dir"
	return 1
}

[ $# -ge 2 ] || usage
case "$1" in
start)
	[ $# -eq 4 ] || [ $# -eq 5 ] || usage
	cmd_start "$2" "$3" "$4" "${5:-}"
	;;
stop) cmd_stop "$2" ;;
status) cmd_status "$2" ;;
*) usage ;;
esac
