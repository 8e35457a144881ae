#!/usr/bin/env bash
# make run: a private ClickHouse under .run/, acdstat serve, and a simulated
# switch posting a week of history and then today live. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v clickhouse-server >/dev/null && [ ! -x /usr/bin/clickhouse-server ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's clickhouse-server …"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
  else
    echo "ClickHouse is missing: run 'sudo apt-get install -y clickhouse-server clickhouse-client' and try again" >&2
    exit 1
  fi
fi

CH_PORT=${CH_PORT:-19000}
HTTP_ADDR=${ACDSTAT_HTTP_ADDR:-127.0.0.1:8080}
mkdir -p .run
scripts/clickhouse.sh start "$PWD/.run/clickhouse" "$CH_PORT" "$((CH_PORT + 123))"

export ACDSTAT_CLICKHOUSE_ADDR=127.0.0.1:$CH_PORT
export ACDSTAT_HTTP_ADDR=$HTTP_ADDR
export ACDSTAT_DATA_DIR=$PWD/.run/data

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/clickhouse.sh stop "$PWD/.run/clickhouse" || true
}
trap cleanup EXIT INT TERM

bin/acdstat serve 2> >(tee .run/serve.log >&2) &
pids+=($!)
for _ in $(seq 60); do
  curl -fsS "http://$HTTP_ADDR/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
bin/acdstat simulate --realtime --days 7 --to "http://$HTTP_ADDR" &
pids+=($!)

cat <<MSG

  acdstat is running.
    summary page   http://$HTTP_ADDR/
    metrics        http://$HTTP_ADDR/metrics
    ClickHouse     clickhouse-client --port $CH_PORT --database acdstat \\
                     --query "SELECT queue, outcome, count() FROM queue_calls_current GROUP BY queue, outcome ORDER BY queue, outcome"
    logs           .run/serve.log

  Ctrl-C stops acdstat and the private ClickHouse.

MSG
wait "${pids[0]}"
