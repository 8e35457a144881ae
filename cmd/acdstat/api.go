package main

import (
	"context"
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
	return httpapi.NewAPI(httpapi.Sources{Counts: st, Queues: st, Callbacks: st, Rejects: rejectReader{st}},
		settings, log.With("component", "api"), now, func(h http.Handler) http.Handler { return intake.RequireToken(cfg.ReadToken, "read", h) })
}

// rejectReader gives the store's rejects the shape of the read API.
type rejectReader struct{ st *store.Store }

func (r rejectReader) Rejects(ctx context.Context, sw string, limit int) ([]httpapi.Reject, error) {
	rs, err := r.st.RecentRejects(ctx, sw, limit)
	if err != nil {
		return nil, err
	}
	out := make([]httpapi.Reject, len(rs))
	for i, x := range rs {
		out[i] = httpapi.Reject{Switch: x.Switch, Source: x.Source, Line: x.Line, Field: x.Field, Reason: x.Reason, Raw: x.Raw, ReceivedAt: x.ReceivedAt}
	}
	return out, nil
}
