package main

import (
	"net/http"

	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/httpapi"
	"github.com/acdstat/acdstat/intake"
)

// secureHTTP adds TLS and the /metrics token (ACDSTAT_METRICS_TOKEN, else
// the read token) to the HTTP server; the same token shows why /readyz is
// not ready. It stays here, as wiring: it joins
// the settings to intake's token check and the server, and httpapi may not
// import intake.
func secureHTTP(srv *httpapi.Server, cfg config.Config) error {
	token := cfg.MetricsToken
	if token == "" {
		token = cfg.ReadToken
	}
	srv.GuardMetrics(func(h http.Handler) http.Handler { return intake.RequireToken(token, "metrics", h) },
		func(r *http.Request) bool { return intake.HasToken(r, token) })
	return srv.UseTLS(cfg.TLSCert, cfg.TLSKey)
}
