// Package httpapi is acdstat's HTTP server: the mux, timeouts, request
// logging, /livez, /readyz and /metrics. It mounts the handlers it is given
// and knows no domain package.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Mounter adds routes to a mux.
type Mounter interface {
	Register(mux *http.ServeMux)
}

// ReadyFunc reports nil when the service can take work.
type ReadyFunc func(ctx context.Context) error

// Server is the HTTP listener.
type Server struct {
	log   *slog.Logger
	addr  string
	ln    net.Listener
	srv   *http.Server
	ready ReadyFunc
	// metrics serves /metrics; GuardMetrics wraps it before Serve.
	metrics http.Handler
	// detail says who may read why /readyz is not ready (GuardMetrics);
	// nil: everyone.
	detail func(*http.Request) bool
	// wrap, when set, wraps the bound listener (WrapListener).
	wrap func(net.Listener) net.Listener
	// shutdown is closed when Shutdown begins: streams that would keep a
	// request open for good (the live events) end then (shuttingDown).
	shutdown chan struct{}
}

type shutdownKey struct{}

// shuttingDown returns a channel closed when the server that serves ctx's
// request begins to shut down; nil (never ready) outside a Server.
func shuttingDown(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(shutdownKey{}).(chan struct{})
	return ch
}

// WrapListener makes Listen wrap the bound listener with wrap, the
// process's guard of connections (limits, accept errors); call it before
// Listen.
func (s *Server) WrapListener(wrap func(net.Listener) net.Listener) { s.wrap = wrap }

// New builds the server; gather serves /metrics.
func New(addr string, log *slog.Logger, gather prometheus.Gatherer, ready ReadyFunc, mounts ...Mounter) *Server {
	s := &Server{log: log, addr: addr, ready: ready, shutdown: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	s.metrics = promhttp.HandlerFor(gather, promhttp.HandlerOpts{})
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.metrics.ServeHTTP(w, r) }))
	for _, m := range mounts {
		m.Register(mux)
	}
	s.srv = &http.Server{
		Handler:           s.logRequests(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.Background(), shutdownKey{}, s.shutdown)
		},
	}
	s.srv.RegisterOnShutdown(func() { close(s.shutdown) })
	return s
}

// Listen binds the address, so a port in use is reported at start-up.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", s.addr, err)
	}
	if s.wrap != nil {
		ln = s.wrap(ln)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests until ctx is cancelled, then shuts down, giving
// in-flight requests up to 30 s, and returns nil.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		if s.srv.TLSConfig != nil {
			errc <- s.srv.ServeTLS(s.ln, "", "") // certificates set by UseTLS
			return
		}
		errc <- s.srv.Serve(s.ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("stopping http intake")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("cannot shut down http server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// readyz answers whether this node can accept intake now: 200 "ready", or
// 503 with the reason for those allowed to see it (GuardMetrics).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			if s.detail != nil && !s.detail(r) {
				fmt.Fprintln(w, "not ready (send the metrics token for why)")
				return
			}
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the writer underneath, so a
// handler can flush and set deadlines (the live event stream).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		lvl := slog.LevelDebug
		if sw.status >= 400 {
			lvl = slog.LevelInfo
		}
		s.log.Log(r.Context(), lvl, "http request", "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "remote", r.RemoteAddr, "duration", time.Since(start))
	})
}
