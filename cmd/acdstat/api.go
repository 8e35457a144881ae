package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/acdstat/acdstat/config"
	"github.com/acdstat/acdstat/httpapi"
	"github.com/acdstat/acdstat/intake"
	"github.com/acdstat/acdstat/store"
)

// newReadAPI is the read API and the dashboard over the store, behind the
// read token, with the current queue settings of settings.
func newReadAPI(cfg config.Config, log *slog.Logger, now func() time.Time, settings httpapi.SettingsSource, st *store.Store) *httpapi.API {
	return httpapi.NewAPI(httpapi.Sources{Counts: st, Queues: st, Callbacks: st, Rejects: st},
		settings, log.With("component", "api"), now, func(h http.Handler) http.Handler { return intake.RequireToken(cfg.ReadToken, "read", h) })
}
