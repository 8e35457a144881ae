package httpapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, PEM encoded.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "acdstat test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

func serveTest(t *testing.T, s *Server) string {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s.Addr()
}

func TestTLSAndGuardedMetrics(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	s := New("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(), nil)
	if err := s.UseTLS(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	s.GuardMetrics(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer m" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}, func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer m" })
	addr := serveTest(t, s)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(path, auth string) int {
		req, _ := http.NewRequest("GET", "https://"+addr+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s over TLS: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		path, auth string
		want       int
	}{{"/livez", "", 200}, {"/readyz", "", 200}, {"/metrics", "", 401}, {"/metrics", "Bearer m", 200}} {
		if got := get(tc.path, tc.auth); got != tc.want {
			t.Errorf("GET %s (auth %q): %d; want %d", tc.path, tc.auth, got, tc.want)
		}
	}
	// Plain HTTP to the TLS port gets no answer it could take for a success.
	resp, err := http.Get("http://" + addr + "/livez")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP was answered 200 on the TLS listener")
		}
	}
}

// TestReadyzDetailNeedsTheMetricsToken: /readyz answers everyone whether
// the node can take intake, but only the metrics token's holder why not
// (the reason names internal paths and error text).
func TestReadyzDetailNeedsTheMetricsToken(t *testing.T) {
	s := New("127.0.0.1:0", slog.New(slog.DiscardHandler), prometheus.NewRegistry(), func(context.Context) error {
		return errors.New("spool is not writable: open /var/lib/acdstat/spool/0042.seg: no space left on device")
	})
	s.GuardMetrics(func(h http.Handler) http.Handler { return h }, func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer m" })
	addr := serveTest(t, s)
	get := func(auth string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/readyz", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(""); code != 503 || strings.Contains(body, "/var/lib") || strings.Contains(body, "no space") {
		t.Errorf("without the token: %d %q; want 503 without the detail", code, body)
	}
	if code, body := get("Bearer m"); code != 503 || !strings.Contains(body, "no space left on device") {
		t.Errorf("with the token: %d %q; want 503 with the reason", code, body)
	}
}

func TestUseTLSReportsBadFiles(t *testing.T) {
	s := New("127.0.0.1:0", slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
	err := s.UseTLS("/nonexistent/cert.pem", "/nonexistent/key.pem")
	if err == nil || !strings.Contains(err.Error(), "ACDSTAT_TLS_CERT") {
		t.Errorf("UseTLS with missing files = %v; want an error naming ACDSTAT_TLS_CERT", err)
	}
	if err := s.UseTLS("", ""); err != nil {
		t.Errorf("UseTLS without files = %v; want nil (plain HTTP)", err)
	}
}
