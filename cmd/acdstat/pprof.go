package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofServer answers Go's profiles on ACDSTAT_PPROF_ADDR (loopback only,
// config.Validate): what an operator needs to see where serve's memory or
// CPU goes under load, without a special build.
type pprofServer struct {
	ln  net.Listener
	srv *http.Server
	log *slog.Logger
}

// listenPprof listens on addr; serve calls it before it reports ready, so
// a taken port stops it at once.
func listenPprof(addr string, log *slog.Logger) (*pprofServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ACDSTAT_PPROF_ADDR: cannot listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// A CPU profile or trace takes ?seconds= (30 by default) to write.
		WriteTimeout:   5 * time.Minute,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return &pprofServer{ln: ln, srv: srv, log: log}, nil
}

// Serve answers until ctx ends. A listener that fails is logged and left
// down: profiles are a diagnostic, and serve goes on without them.
func (p *pprofServer) Serve(ctx context.Context) error {
	p.log.Info("profiles on", "addr", "http://"+p.ln.Addr().String()+"/debug/pprof/")
	errc := make(chan error, 1)
	go func() { errc <- p.srv.Serve(p.ln) }()
	select {
	case err := <-errc:
		p.log.Warn("profiles are no longer answered", "err", err)
		return nil
	case <-ctx.Done():
	}
	// A profile being written (a CPU profile takes its ?seconds=) is cut
	// short: a stop does not wait for it.
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.srv.Shutdown(sctx); err != nil {
		p.srv.Close()
	}
	<-errc
	return nil
}
