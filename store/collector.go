package store

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exposes acdstat_clickhouse_up and the lag of the jobs (now
// minus their watermarks: how far behind the stored events the queue calls
// and the rollups are). It asks ClickHouse at each scrape, within 2 s; the
// lags are left out while ClickHouse does not answer or a job has not run
// yet. It is safe for concurrent scrapes.
type Collector struct {
	s                       *Store
	now                     func() time.Time
	buildJob, rollupJob     string
	up, buildLag, rollupLag *prometheus.Desc
}

// NewCollector returns the collector of s. buildJob and rollupJob name the
// watermarks of the build-calls and rollup jobs (aggregate.BuildJob,
// aggregate.RollupJob); now is the clock of the lags.
func NewCollector(s *Store, now func() time.Time, buildJob, rollupJob string) *Collector {
	return &Collector{s: s, now: now, buildJob: buildJob, rollupJob: rollupJob,
		up:        prometheus.NewDesc("acdstat_clickhouse_up", "1 when ClickHouse answered a ping at this scrape, else 0.", nil, nil),
		buildLag:  prometheus.NewDesc("acdstat_build_lag_seconds", "Seconds between now and the build-calls job's watermark.", nil, nil),
		rollupLag: prometheus.NewDesc("acdstat_rollup_lag_seconds", "Seconds between now and the rollup job's watermark.", nil, nil),
	}
}

// Describe sends the descriptions of the three metrics.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.buildLag
	ch <- c.rollupLag
}

// Collect pings ClickHouse and reads the two watermarks.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.s.Ping(ctx); err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for job, desc := range map[string]*prometheus.Desc{c.buildJob: c.buildLag, c.rollupJob: c.rollupLag} {
		if mark, ok, err := c.s.Watermark(ctx, job); err == nil && ok {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, c.now().Sub(mark).Seconds())
		}
	}
}
