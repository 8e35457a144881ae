package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/acdstat/acdstat/cdr"
)

// RejectID is the deterministic id of a reject: the first 8 bytes of the
// SHA-256 of its switch, raw line and reason, so a resent bad line is one
// reject (the line number is not part of it).
func RejectID(r *cdr.Reject) uint64 {
	h := sha256.New()
	for _, s := range []string{r.Switch, r.Raw, r.Reason} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

const insertRejectsSQL = "INSERT INTO rejects (switch, source, id, received_at, line, field, reason, raw)"

// InsertRejects stores rejects in one INSERT. source is stamped on those
// whose Source is empty, the time now on those whose ReceivedAt is zero.
// The slice is not retained.
func (s *Store) InsertRejects(ctx context.Context, source string, rejects []cdr.Reject) error {
	n := len(rejects)
	if n == 0 {
		return nil
	}
	var (
		sw, src, field, reason, raw = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ids                         = make([]uint64, n)
		at                          = make([]time.Time, n)
		line                        = make([]uint32, n)
		now                         = time.Now().UTC()
	)
	for i := range rejects {
		r := &rejects[i]
		sw[i], src[i], field[i], reason[i], raw[i] = r.Switch, r.Source, r.Field, r.Reason, r.Raw
		if src[i] == "" {
			src[i] = source
		}
		ids[i], at[i] = RejectID(r), r.ReceivedAt.UTC()
		if r.ReceivedAt.IsZero() {
			at[i] = now
		}
		if r.Line > 0 {
			line[i] = uint32(r.Line)
		}
	}
	return s.sendColumns(ctx, "rejects", insertRejectsSQL, []any{sw, src, ids, at, line, field, reason, raw})
}

// RecentRejects returns up to limit rejects of a switch (all switches when sw
// is empty; all of a reader's switches where it is limited to some,
// cdr.WithSwitches), newest first, each once however often it was sent.
func (s *Store) RecentRejects(ctx context.Context, sw string, limit int) ([]cdr.Reject, error) {
	if limit <= 0 {
		limit = 100
	}
	scope, scopeArgs := readScope(ctx)
	rows, err := s.conn.Query(ctx, `SELECT switch, any(source), max(received_at) AS last, any(line), any(field), any(reason), any(raw)
FROM rejects
WHERE (? = '' OR switch = ?)`+scope+`
GROUP BY switch, id
ORDER BY last DESC
LIMIT ?`, append(append([]any{sw, sw}, scopeArgs...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("cannot read rejects: %w", err)
	}
	defer rows.Close()
	var out []cdr.Reject
	for rows.Next() {
		var r cdr.Reject
		var line uint32
		if err := rows.Scan(&r.Switch, &r.Source, &r.ReceivedAt, &line, &r.Field, &r.Reason, &r.Raw); err != nil {
			return nil, fmt.Errorf("cannot read rejects: %w", err)
		}
		r.Line, r.ReceivedAt = int(line), r.ReceivedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read rejects: %w", err)
	}
	return out, nil
}
