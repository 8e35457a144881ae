package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/acdstat/acdstat/cdr"
)

// DistributionRollups sums the rollup rows of one queue whose 15-minute
// bucket is in [from, to) per slot of the distribution by (cdr.Bys): per
// local hour of day (0–23), the hour on the clock of the bucket's start, or
// per local weekday (ISO, 1 Monday … 7 Sunday), that of the local day the
// bucket belongs to; with the settings the rows were counted with, as
// PeriodRollups. Both 02:00 hours of an autumn daylight-saving day go to
// hour 2. Slots without rows are absent; switchName, inHoursOnly and the
// reader's switches filter as in PeriodRollups.
//
// The local clock is the one the rollup stored with each row (the offsets
// of migration 0006: the bucket's for the hour, the local day's for the
// weekday); rows written before 0006 have none, and get the offset of loc,
// the queue's zone, at their start (offsetSQL).
func (s *Store) DistributionRollups(ctx context.Context, switchName, queue, by string, from, to time.Time, inHoursOnly bool, loc *time.Location) (map[int]cdr.PeriodRollup, error) {
	var key string
	switch by {
	case cdr.ByHourOfDay:
		local := "(toInt64(toUInt32(bucket)) + ifNull(bucket_offset_s, " + offsetSQL("bucket", loc, from, to) + "))"
		key = "toUInt8(intDiv(" + local + " % 86400, 3600))"
	case cdr.ByWeekday:
		// A local day starts at most a day before its first bucket.
		local := "(toInt64(toUInt32(day_start)) + ifNull(day_offset_s, " + offsetSQL("day_start", loc, from.Add(-24*time.Hour), to) + "))"
		key = "toUInt8((intDiv(" + local + ", 86400) + 3) % 7 + 1)" // 1970-01-01 was a Thursday
	default:
		return nil, fmt.Errorf("cannot read the distribution of %s: unknown distribution %q", queue, by)
	}
	out := map[int]cdr.PeriodRollup{}
	err := s.sumRollups(ctx, key, switchName, queue, from, to, inHoursOnly, func(rows driver.Rows) error {
		var slot uint8
		r, err := scanSums(rows, &slot)
		if err != nil {
			return err
		}
		out[int(slot)] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the distribution of %s: %w", queue, err)
	}
	return out, nil
}
