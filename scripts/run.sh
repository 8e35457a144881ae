#!/usr/bin/env bash
# make run: a private ClickHouse under .run/, acdstat serve with the example
# desks (deploy/queues.example.yaml), and a simulated switch posting the
# history of the last weeks and then today live. Ctrl-C stops it all: the
# simulator, then serve (which drains its spool into ClickHouse), then
# ClickHouse.
#
# Settings (all optional):
#   ACDSTAT_HTTP_ADDR   where serve listens (default 127.0.0.1:8080)
#   CH_PORT             ClickHouse's native port (default 9000, the address
#                       acdstat's commands use, when it is free; else the
#                       first free one of 19100, 19200, …, and the banner
#                       says what to export in another terminal)
#   ACDSTAT_QUEUES      the queue file serve applies (default the example)
#   SIM_DAYS            days of simulated history before today (default 42)
#   RUN_DIR, ACDSTAT_BIN  where the files go (default .run) and the binary
#                       (default bin/acdstat): for the README test
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR=${RUN_DIR:-$PWD/.run}
BIN=${ACDSTAT_BIN:-bin/acdstat}
HTTP_ADDR=${ACDSTAT_HTTP_ADDR:-127.0.0.1:8080}
QUEUES=${ACDSTAT_QUEUES:-deploy/queues.example.yaml}
SIM_DAYS=${SIM_DAYS:-42}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)

say() { printf '%s\n' "$*"; }
fail() { printf 'make run: %s\n' "$*" >&2; exit 1; }

# in_use HOST PORT: something accepts connections there.
in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# check_addr NAME HOST:PORT: stop at once, saying how to choose another,
# when a listen address of serve is taken.
check_addr() {
  local name=$1 addr=$2 host port
  [ "$addr" = off ] && return 0
  host=${addr%:*} port=${addr##*:}
  host=${host#[}; host=${host%]}
  [ -n "$host" ] || host=127.0.0.1
  in_use "$host" "$port" || return 0
  local free=$((port + 1))
  while in_use "$host" "$free"; do free=$((free + 1)); done
  fail "$addr is already in use by another program (another 'make run' or 'acdstat serve'?).
  Stop it, or choose another address: $name=$host:$free make run"
}

check_addr ACDSTAT_HTTP_ADDR "$HTTP_ADDR"
check_addr ACDSTAT_HEP_ADDR "${ACDSTAT_HEP_ADDR:-127.0.0.1:9060}"
check_addr ACDSTAT_SIP_ADDR "${ACDSTAT_SIP_ADDR:-127.0.0.1:5065}"

if ! command -v clickhouse-server >/dev/null && [ ! -x /usr/bin/clickhouse-server ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's clickhouse-server and clickhouse-client with apt-get:"
    say "  about 10 MB to download, 80 MB on disk; usually well under a minute (once only) …"
    started=$SECONDS
    if [ -t 1 ]; then
      # apt's own progress bar, at the bottom of the terminal.
      apt-get update -q
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Progress-Fancy=1 clickhouse-server clickhouse-client
    else
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
    fi
    say "ClickHouse installed in $((SECONDS - started)) s"
  else
    fail "ClickHouse is missing: run 'sudo apt-get install -y clickhouse-server clickhouse-client' and try again"
  fi
fi

# The ClickHouse: the one already running from RUN_DIR (a make run that
# was not stopped), else on CH_PORT, else on 9000 when it is free (tcp,
# http = +123, interserver = +124), else on the first free of 19100, 19200, …
CH_DIR=$RUN_DIR/clickhouse
ch_free() { ! in_use 127.0.0.1 "$1" && ! in_use 127.0.0.1 "$(($1 + 123))" && ! in_use 127.0.0.1 "$(($1 + 124))"; }
if scripts/clickhouse.sh status "$CH_DIR" >/dev/null 2>&1; then
  CH_PORT=$(sed -n 's|.*<tcp_port>\([0-9]*\)</tcp_port>.*|\1|p' "$CH_DIR/config.xml" | head -n 1)
elif [ -z "${CH_PORT:-}" ]; then
  CH_PORT=9000
  if ! ch_free "$CH_PORT"; then
    for CH_PORT in $(seq 19100 100 19900) ""; do
      [ -n "$CH_PORT" ] && ch_free "$CH_PORT" && break
    done
    [ -n "$CH_PORT" ] || fail "no free port for ClickHouse among 9000 and 19100-19900: set CH_PORT=N (N, N+123 and N+124 must be free)"
  fi
elif ! ch_free "$CH_PORT"; then
  fail "CH_PORT=$CH_PORT: port $CH_PORT, $((CH_PORT + 123)) or $((CH_PORT + 124)) is already in use; choose another CH_PORT"
fi
scripts/clickhouse.sh start "$CH_DIR" "$CH_PORT" "$((CH_PORT + 123))"

export ACDSTAT_CLICKHOUSE_ADDR=127.0.0.1:$CH_PORT
export ACDSTAT_HTTP_ADDR=$HTTP_ADDR
export ACDSTAT_DATA_DIR=$RUN_DIR/data

# Everything is stopped once, in order, whatever ends the script: Ctrl-C
# (the terminal's SIGINT reaches every process of the group; serve then
# drains its spool and says so), SIGTERM, or serve failing.
sim_pid='' serve_pid='' log_fd='' log_pid=''
cleanup() {
  trap - EXIT INT TERM
  trap '' INT TERM # a second Ctrl-C must not cut the drain short
  # Stop everything even when the output is gone (make run | grep …, the
  # grep ended by the same Ctrl-C): a failed write must not end cleanup.
  trap '' PIPE
  set +e
  say ""
  say "stopping the simulator, acdstat serve (it drains its spool into ClickHouse first) and ClickHouse …"
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  if [ -n "$serve_pid" ]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  if [ -n "$log_fd" ]; then
    exec {log_fd}>&- # tee ends once serve and this shell have closed its pipe
    wait "$log_pid" 2>/dev/null || true
  fi
  scripts/clickhouse.sh stop "$CH_DIR" || true
}
trap cleanup EXIT
trap 'exit 0' INT # a stop asked for is no failure (make says nothing more)
trap 'exit 143' TERM

# serve's log goes to the terminal and to RUN_DIR/serve.log, through a tee
# that ignores the terminal's SIGINT, and (-p) keeps writing the file when
# the terminal's side is a pipe that has gone: its last lines (the drain,
# "stopped") come after Ctrl-C, and serve never writes into a broken pipe.
exec {log_fd}> >(trap '' INT TERM; exec tee -p "$RUN_DIR/serve.log" >&2)
log_pid=$!
"$BIN" serve --queues "$QUEUES" 2>&"$log_fd" &
serve_pid=$!

# Ready within a minute, or its log says why not (a port taken, a bad
# setting: serve exits at once).
ready=''
for _ in $(seq 120); do
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    wait "$serve_pid" && status=0 || status=$?
    serve_pid=''
    fail "acdstat serve stopped (exit status $status); its log is above and in $RUN_DIR/serve.log"
  fi
  if curl -fsS "http://$HTTP_ADDR/readyz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.5
done
[ -n "$ready" ] || fail "acdstat serve did not get ready within 60 s; its log is above and in $RUN_DIR/serve.log"

say "acdstat serve is ready; the simulator posts the last $SIM_DAYS days (calls, portal contacts and cases), then plays today live …"
"$BIN" simulate --realtime --cases --days "$SIM_DAYS" --to "http://$HTTP_ADDR" &
sim_pid=$!

exports="
    export PATH=\$PWD/bin:\$PATH"
why=''
if [ "$CH_PORT" != 9000 ]; then
  exports="$exports
    export ACDSTAT_CLICKHOUSE_ADDR=127.0.0.1:$CH_PORT"
  why="ClickHouse is on $CH_PORT, not the commands' default 9000"
fi
if [ "$HTTP_ADDR" != 127.0.0.1:8080 ]; then
  exports="$exports
    export ACDSTAT_HTTP_ADDR=$HTTP_ADDR"
  why="${why:+$why; }acdstat serve is on $HTTP_ADDR, not 127.0.0.1:8080"
fi
[ -z "$why" ] || why="
  ($why.)"
cat <<MSG

  acdstat is running.
    dashboard      http://$HTTP_ADDR/   (?lang=da in Danish)
    metrics        http://$HTTP_ADDR/metrics
    logs           $RUN_DIR/serve.log

  In another terminal, in this directory, the commands of README.md work as written after:$exports$why
  For example:
    acdstat report --queue klinisk
    clickhouse-client --port $CH_PORT --database acdstat \\
      --query "SELECT queue, outcome, count() FROM queue_calls_current GROUP BY queue, outcome ORDER BY queue, outcome"

  Ctrl-C stops the simulator, acdstat and the private ClickHouse.

MSG
wait "$serve_pid" && status=0 || status=$?
serve_pid=''
fail "acdstat serve stopped (exit status $status); its log is above and in $RUN_DIR/serve.log"
