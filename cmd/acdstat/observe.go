package main

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdstat/acdstat/aggregate"
	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/httpapi"
	"github.com/acdstat/acdstat/intake"
)

// secureHTTP adds TLS and the /metrics token (ACDSTAT_METRICS_TOKEN, else
// the read token) to the HTTP server.
func secureHTTP(srv *httpapi.Server, cfg config.Config) error {
	token := cfg.MetricsToken
	if token == "" {
		token = cfg.ReadToken
	}
	srv.GuardMetrics(func(h http.Handler) http.Handler { return intake.RequireToken(token, "metrics", h) })
	return srv.UseTLS(cfg.TLSCert, cfg.TLSKey)
}

// storeProbe is what the store collector asks ClickHouse at each scrape.
type storeProbe interface {
	Ping(ctx context.Context) error
	Watermark(ctx context.Context, job string) (time.Time, bool, error)
}

// storeCollector exposes acdstat_clickhouse_up and the lag of the jobs
// (now − their watermark: how far behind the stored events the queue
// calls and the rollups are). It asks ClickHouse at scrape time, within
// 2 s; the lags are left out while ClickHouse does not answer or a job
// has not run yet.
type storeCollector struct {
	st                    storeProbe
	now                   func() time.Time
	up, buildLag, rollLag *prometheus.Desc
}

func newStoreCollector(st storeProbe) *storeCollector {
	return &storeCollector{st: st, now: time.Now,
		up:       prometheus.NewDesc("acdstat_clickhouse_up", "1 when ClickHouse answered a ping at this scrape, else 0.", nil, nil),
		buildLag: prometheus.NewDesc("acdstat_build_lag_seconds", "Seconds between now and the build-calls job's watermark.", nil, nil),
		rollLag:  prometheus.NewDesc("acdstat_rollup_lag_seconds", "Seconds between now and the rollup job's watermark.", nil, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.buildLag
	ch <- c.rollLag
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.st.Ping(ctx); err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for job, desc := range map[string]*prometheus.Desc{aggregate.BuildJob: c.buildLag, aggregate.RollupJob: c.rollLag} {
		if mark, ok, err := c.st.Watermark(ctx, job); err == nil && ok {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, c.now().Sub(mark).Seconds())
		}
	}
}
