package store

import (
	"context"
	"fmt"
)

// DedupEventCounts returns the stored events per "VERB/queue", each event
// counted once however often it was stored: rows are first grouped by
// (switch, call id, id), as every read of events does. It is what the fault
// tests compare with what was sent.
func (s *Store) DedupEventCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.conn.Query(ctx, `SELECT verb, queue, count()
FROM (SELECT any(verb) AS verb, any(queue) AS queue FROM events GROUP BY switch, call_id, id)
GROUP BY verb, queue`)
	if err != nil {
		return nil, fmt.Errorf("cannot count events: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var verb, queue string
		var n uint64
		if err := rows.Scan(&verb, &queue, &n); err != nil {
			return nil, fmt.Errorf("cannot count events: %w", err)
		}
		out[verb+"/"+queue] = int(n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot count events: %w", err)
	}
	return out, nil
}
