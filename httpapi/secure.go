package httpapi

import (
	"crypto/tls"
	"fmt"
	"net/http"
)

// UseTLS makes Serve speak HTTPS with the certificate and key in these PEM
// files (ACDSTAT_TLS_CERT, ACDSTAT_TLS_KEY). Both empty: plain HTTP. It
// loads them now, so a bad file is reported at start-up; call it before
// Serve. The files are read once: restart to take a renewed certificate.
func (s *Server) UseTLS(certFile, keyFile string) error {
	if certFile == "" && keyFile == "" {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("cannot load ACDSTAT_TLS_CERT/ACDSTAT_TLS_KEY: %w", err)
	}
	s.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	return nil
}

// GuardMetrics wraps /metrics, e.g. with a token check, and says who may
// read why /readyz is not ready (the detail names internal paths and error
// text); call it before Serve. /livez and /readyz stay open: orchestrators
// probe them without credentials, and to them they tell nothing but ready
// or not.
func (s *Server) GuardMetrics(wrap func(http.Handler) http.Handler, detail func(*http.Request) bool) {
	s.metrics = wrap(s.metrics)
	s.detail = detail
}
