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

// countSuffix names the row that holds the count stored with a job's
// watermark by SetWatermarkCount.
const countSuffix = "#count"

// SetWatermarkCount records the job's watermark together with a count that
// belongs to it, in one INSERT under one version, so that a reader gets
// both of one write or neither (WatermarkCount). The count is kept as the
// Unix second of its row's watermark, as the build generation is.
func (s *Store) SetWatermarkCount(ctx context.Context, job string, t time.Time, n uint64) error {
	now := time.Now()
	v := uint64(now.UnixNano())
	cols := []any{[]string{job, job + countSuffix}, []time.Time{t.UTC(), time.Unix(int64(min(n, 1<<32-1)), 0).UTC()},
		[]time.Time{now.UTC(), now.UTC()}, []uint64{v, v}}
	if err := s.sendColumns(ctx, "job_state", "INSERT INTO job_state (job, watermark, updated_at, version)", cols); err != nil {
		return fmt.Errorf("cannot set watermark of %s: %w", job, err)
	}
	return nil
}

// WatermarkCount returns the job's watermark as Watermark does, and the
// count SetWatermarkCount stored with it; counted is false when the newest
// watermark was set without one (by SetWatermark, or by a write whose count
// another write replaced).
func (s *Store) WatermarkCount(ctx context.Context, job string) (t time.Time, n uint64, ok, counted bool, err error) {
	rows, err := s.conn.Query(ctx, `SELECT job, argMax(watermark, version), max(version)
FROM job_state
WHERE job IN (?, ?)
GROUP BY job`, job, job+countSuffix)
	if err != nil {
		return t, 0, false, false, fmt.Errorf("cannot read watermark of %s: %w", job, err)
	}
	defer rows.Close()
	var markV, countV uint64
	var count time.Time
	for rows.Next() {
		var (
			name string
			at   time.Time
			v    uint64
		)
		if err := rows.Scan(&name, &at, &v); err != nil {
			return t, 0, false, false, fmt.Errorf("cannot read watermark of %s: %w", job, err)
		}
		if name == job {
			t, markV, ok = at.UTC(), v, true
		} else {
			count, countV = at, v
		}
	}
	if err := rows.Err(); err != nil {
		return t, 0, false, false, fmt.Errorf("cannot read watermark of %s: %w", job, err)
	}
	if ok && countV == markV {
		return t, uint64(count.Unix()), true, true, nil
	}
	return t, 0, ok, false, nil
}
