package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// RetentionTables lists the tables whose old partitions DropPartitionsBefore
// may drop, with the length of one partition (their PARTITION BY is
// toYYYYMM or toYYYYMMDD of a DateTime column, migrations/*.sql). The table
// name goes into DDL, so only these names are accepted.
var RetentionTables = map[string]string{
	"events":        "month",
	"event_touches": "day",
	"rejects":       "month",
	"queue_calls":   "month",
	"call_touches":  "day",
	"rollup_15m":    "month",
	"rollup_day":    "month", // migration 0016
	// The agent figures (migration 0010).
	"agent_events":       "month",
	"agent_touches":      "day",
	"agent_call_touches": "day",
	"agent_rollup_15m":   "month",
}

// Partition is one partition of a table as system.parts lists it.
type Partition struct {
	ID      string    // e.g. "202401" or "20240105"
	MaxTime time.Time // the newest value of the partition key's column
	Rows    uint64
}

// Partitions lists the active partitions of table, oldest first. In
// cluster mode they are those of its local tables on every shard (one
// replica of each), their rows summed.
func (s *Store) Partitions(ctx context.Context, table string) ([]Partition, error) {
	if _, ok := RetentionTables[table]; !ok {
		return nil, fmt.Errorf("cannot list partitions of %q: not a table with retention", table)
	}
	parts, name := "system.parts", table
	if s.cluster != "" {
		// cluster is an identifier (Validate); the local table is the
		// sharded table's (cluster.go).
		parts, name = "cluster('"+s.cluster+"', system, parts)", table+localSuffix
	}
	rows, err := s.conn.Query(ctx, `SELECT partition_id, max(max_time), sum(rows)
FROM `+parts+`
WHERE database = ? AND table = ? AND active
GROUP BY partition_id
ORDER BY partition_id`, s.db, name)
	if err != nil {
		return nil, fmt.Errorf("cannot list partitions of %s: %w", table, err)
	}
	defer rows.Close()
	var out []Partition
	for rows.Next() {
		var p Partition
		if err := rows.Scan(&p.ID, &p.MaxTime, &p.Rows); err != nil {
			return nil, fmt.Errorf("cannot list partitions of %s: %w", table, err)
		}
		p.MaxTime = p.MaxTime.UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list partitions of %s: %w", table, err)
	}
	return out, nil
}

// PartitionEnd returns when the period a partition id names ends (UTC, with
// a day of slack because toYYYYMM uses the server's zone), and false when id
// is not the digits of such a period. Only an id it accepts ever reaches SQL.
func PartitionEnd(id, length string) (time.Time, bool) {
	for _, c := range id {
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
	}
	var layout string
	switch {
	case length == "month" && len(id) == 6:
		layout = "200601"
	case length == "day" && len(id) == 8:
		layout = "20060102"
	default:
		return time.Time{}, false
	}
	start, err := time.Parse(layout, id)
	if err != nil {
		return time.Time{}, false
	}
	if length == "month" {
		return start.AddDate(0, 1, 1), true
	}
	return start.AddDate(0, 0, 2), true
}

// DropPartitionsBefore drops every partition of table that lies wholly
// before cutoff: its period (by its id, with a day of slack for the server's
// zone) ends by cutoff and its newest row is older than cutoff. It returns
// the ids it dropped. A partition id that is not a period's digits is left
// alone and reported as an error after the others are handled: DDL cannot
// bind it, so nothing else is ever put into the statement.
func (s *Store) DropPartitionsBefore(ctx context.Context, table string, cutoff time.Time) ([]string, error) {
	parts, err := s.Partitions(ctx, table)
	if err != nil {
		return nil, err
	}
	length := RetentionTables[table]
	var dropped []string
	var bad error
	drop := func(id string) error { return s.conn.Exec(ctx, "ALTER TABLE "+table+" DROP PARTITION ID '"+id+"'") }
	if s.cluster != "" {
		// From the local tables, on one replica of each shard, which
		// replicates it: not ON CLUSTER (cluster.go).
		nodes, err := s.nodeConns(ctx)
		if err != nil {
			return nil, err
		}
		defer nodes.close()
		drop = func(id string) error {
			return nodes.eachShard(ctx, func(conn driver.Conn) error {
				return conn.Exec(ctx, "ALTER TABLE "+s.db+"."+table+localSuffix+" DROP PARTITION ID '"+id+"'")
			})
		}
	}
	for _, p := range parts {
		end, ok := PartitionEnd(p.ID, length)
		if !ok {
			bad = fmt.Errorf("cannot drop partition %q of %s: not a %s id", p.ID, table, length)
			continue
		}
		if end.After(cutoff) || !p.MaxTime.Before(cutoff) {
			continue
		}
		// table is one of RetentionTables, the id is digits only.
		if err := drop(p.ID); err != nil {
			return dropped, fmt.Errorf("cannot drop partition %s of %s: %w", p.ID, table, err)
		}
		s.log.Info("partition dropped", "table", table, "partition", p.ID, "rows", p.Rows)
		dropped = append(dropped, p.ID)
	}
	return dropped, bad
}
