#!/usr/bin/env bash
# The whole gate (make test), or the benchmarks (make bench): one private
# ClickHouse for the run, unless ACDSTAT_TEST_CLICKHOUSE names one already.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
go=${GO:-go}

if [ -z "${ACDSTAT_TEST_CLICKHOUSE:-}" ]; then
  dir=$(mktemp -d /tmp/acdstat-test-ch.XXXXXX)
  port=$((20000 + RANDOM % 20000))
  trap 'scripts/clickhouse.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
  scripts/clickhouse.sh start "$dir" "$port" "$((port + 1))"
  export ACDSTAT_TEST_CLICKHOUSE=127.0.0.1:$port
fi
echo "test ClickHouse: $ACDSTAT_TEST_CLICKHOUSE"

case "$mode" in
test)
  make --no-print-directory lint
  $go test -race -count=1 -timeout 20m ./...
  ;;
bench)
  $go test -run '^$' -bench . -benchmem -count "${BENCHCOUNT:-5}" -timeout 60m ${BENCHFLAGS:-} ./... | tee bench.out
  ;;
*)
  echo "usage: $0 [test|bench]" >&2; exit 2 ;;
esac
