// Package drain owns the path from the spool to ClickHouse: the writer that
// reads what intake acknowledged into the spool (cdr.MarshalSpoolRecord
// records), gathers it into large INSERTs, retries them with backoff for as
// long as ClickHouse is away, and acknowledges spool records (so deletes
// spool segments) only after ClickHouse accepted all of an INSERT; and the
// drain of the spool when serve stops.
//
// A record whose INSERT may or may not have landed is sent again: event and
// reject ids are deterministic and every read deduplicates (DESIGN.md,
// "Writer"), so the writer never has to know.
//
// ClickHouse away is told from ClickHouse refusing rows for what is in
// them (Inserter.Refused): the first is waited for, the second must not
// hold the spool. A refused INSERT is split in halves to find the rows
// refused; the rest lands, the refused events become rejects with
// ClickHouse's reason (cdr.SourceWriter), and the spool moves on. A batch
// whose events span many months (a backfill) is sent as one INSERT per
// group of months, since current ClickHouse refuses an INSERT that
// touches more than 100 partitions.
//
// The package holds no SQL and no listener. It imports spool and cdr, and
// reaches ClickHouse only through Inserter, which *store.Store implements:
// never store or intake, which cmd/acdstat joins to it.
package drain
