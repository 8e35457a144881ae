package store

import (
	"context"
	"fmt"
	"time"
)

// Watermark returns the job's watermark and true, or false when the job has
// none yet. The newest write wins (argMax over version).
func (s *Store) Watermark(ctx context.Context, job string) (time.Time, bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT argMax(watermark, version)
FROM job_state
WHERE job = ?
GROUP BY job`, job)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("cannot read watermark of %s: %w", job, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return time.Time{}, false, rows.Err()
	}
	var t time.Time
	if err := rows.Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("cannot read watermark of %s: %w", job, err)
	}
	return t.UTC(), true, nil
}

// SetWatermark records the job's watermark (whole seconds) under the version
// time.Now().UnixNano(), so the latest call wins, also across processes whose
// clocks agree.
func (s *Store) SetWatermark(ctx context.Context, job string, t time.Time) error {
	now := time.Now()
	cols := []any{[]string{job}, []time.Time{t.UTC()}, []time.Time{now.UTC()}, []uint64{uint64(now.UnixNano())}}
	if err := s.sendColumns(ctx, "job_state", "INSERT INTO job_state (job, watermark, updated_at, version)", cols); err != nil {
		return fmt.Errorf("cannot set watermark of %s: %w", job, err)
	}
	return nil
}
