// Package store holds every line of acdstat's SQL: the ClickHouse connection,
// the embedded schema migrations, the batch writers for events, rejects and
// queue calls, the queries the jobs and readers need, and the Prometheus
// collector that asks ClickHouse at scrape time (Collector).
//
// The SQL stays in the subset that runs on ClickHouse 18.16.1 (the server the
// tests use here) and on current releases (shared/CLICKHOUSE.md): every insert
// is a batch that names its columns, nothing is inserted with inline VALUES,
// no DateTime64, TTL, LowCardinality or window functions.
//
// Duplicates are expected and tolerated: a batch whose fate is unknown is sent
// again, so tables are ReplacingMergeTree on a deterministic id and every read
// that users or jobs see deduplicates with GROUP BY / argMax (never FINAL on a
// table whose partition key can move, never OPTIMIZE).
//
// A *Store is safe for concurrent use by several goroutines.
package store
