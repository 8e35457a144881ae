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
// read tokens (ACDSTAT_READ_TOKEN for every switch, ACDSTAT_READ_TOKENS
// and _FILE for some), with the current queue settings of settings.
func newReadAPI(cfg config.Config, log *slog.Logger, now func() time.Time, settings httpapi.SettingsSource, st *store.Store) (*httpapi.API, error) {
	tokens, err := intake.LoadReadTokens(cfg.ReadToken, cfg.ReadTokens, cfg.ReadTokensFile)
	if err != nil {
		return nil, err
	}
	if n := tokens.Limited(); n > 0 {
		log.Info("read tokens limited to switches", "tokens", n)
	}
	return httpapi.NewAPI(httpapi.Sources{Counts: st, Queues: st, Callbacks: st, Rejects: st, Systems: st, Calls: st, Cases: st},
		settings, log.With("component", "api"), now, func(h http.Handler) http.Handler { return intake.RequireReader(tokens, h) }), nil
}
