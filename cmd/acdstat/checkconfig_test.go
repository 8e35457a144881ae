package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckConfigRefusesWhatServeRefuses runs check-config and serve over
// the same bad settings, one at a time: check-config refuses each, serve
// refuses it at start, and both say the same thing, which names the setting
// at fault. (check-config once said valid for a cron spec such as "every
// 5s" or a SIP queue size of 0, which serve then refused.)
func TestCheckConfigRefusesWhatServeRefuses(t *testing.T) {
	dir := t.TempDir()
	badZone := writeFile(t, "zone.yaml", "queues:\n  support: {timezone: Mars/Olympus}\n")
	cert := writeFile(t, "cert.pem", "not read: the key is missing\n")
	for _, tc := range []struct {
		name string
		env  []string
		want string // the setting the message names
	}{
		{"a build schedule that is no cron spec", []string{"ACDSTAT_BUILD_SCHEDULE=every 5s"}, "ACDSTAT_BUILD_SCHEDULE"},
		{"a rollup schedule without its interval", []string{"ACDSTAT_ROLLUP_SCHEDULE=@every"}, "ACDSTAT_ROLLUP_SCHEDULE"},
		{"a retention schedule of four fields", []string{"ACDSTAT_RETENTION_SCHEDULE=0 3 * *"}, "ACDSTAT_RETENTION_SCHEDULE"},
		{"a SIP queue size of 0", []string{"ACDSTAT_SIP_QUEUE_SIZE=0"}, "ACDSTAT_SIP_QUEUE_SIZE"},
		{"an unknown switch zone", []string{"ACDSTAT_SWITCH_TIMEZONE=Mars/Olympus"}, "ACDSTAT_SWITCH_TIMEZONE"},
		{"a queue file with an unknown zone", []string{"ACDSTAT_QUEUES=" + badZone}, "Mars/Olympus"},
		{"a queue file that is missing", []string{"ACDSTAT_QUEUES=" + filepath.Join(dir, "missing.yaml")}, "ACDSTAT_QUEUES"},
		{"a TLS key file that is missing", []string{"ACDSTAT_TLS_CERT=" + cert, "ACDSTAT_TLS_KEY=" + filepath.Join(dir, "missing.key")}, "ACDSTAT_TLS_KEY"},
		{"a caller hash key file that is missing", []string{"ACDSTAT_CALLER_NUMBERS=hash", "ACDSTAT_CALLER_HASH_KEY_FILE=" + filepath.Join(dir, "missing.key")}, "ACDSTAT_CALLER_HASH_KEY_FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			environ := testEnv(t, tc.env...)
			checkErr := run(context.Background(), testProcess(environ, io.Discard, io.Discard), []string{"check-config"})
			if checkErr == nil {
				t.Fatalf("check-config said the settings are valid")
			}
			serveErr := serveRefusal(t, environ)
			if serveErr == nil {
				t.Fatalf("serve started; check-config said: %v", checkErr)
			}
			if checkErr.Error() != serveErr.Error() {
				t.Errorf("check-config and serve differ:\ncheck-config: %v\nserve:        %v", checkErr, serveErr)
			}
			if !strings.Contains(checkErr.Error(), tc.want) {
				t.Errorf("check-config: %v; want a message naming %s", checkErr, tc.want)
			}
		})
	}
}

// serveRefusal starts serve and returns its error if it stops by itself;
// nil if it came up (and answered /readyz) instead.
func serveRefusal(t *testing.T, environ []string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, testProcess(environ, io.Discard, io.Discard), []string{"serve"}) }()
	ready := "http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/readyz"
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			if err == nil {
				return errors.New("serve returned no error")
			}
			return err
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				cancel()
				<-done
				return nil
			}
		}
	}
	t.Fatalf("serve neither stopped nor became ready within a minute")
	return nil
}

// TestCheckConfigProbe checks that check-config --probe finds what only
// the network tells: a listen address that is taken, a ClickHouse that does
// not answer; and passes where serve could start.
func TestCheckConfigProbe(t *testing.T) {
	environ := testEnv(t)
	var out strings.Builder
	if err := run(context.Background(), testProcess(environ, &out, io.Discard), []string{"check-config", "--probe"}); err != nil {
		t.Fatalf("check-config --probe: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "ClickHouse") || !strings.Contains(out.String(), envValue(environ, "ACDSTAT_HTTP_ADDR")) {
		t.Errorf("check-config --probe says nothing of ClickHouse or the HTTP address:\n%s", out.String())
	}
	// Without a queue file it says where the queue settings are, rather
	// than that every queue gets the defaults (serve counts with the
	// version in ClickHouse).
	if !strings.Contains(out.String(), "no queue file to check") || !strings.Contains(out.String(), "acdstat settings show") {
		t.Errorf("check-config without a queue file does not say where the queue settings are:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "acdstat is tested on") {
		t.Errorf("check-config --probe does not say which ClickHouse releases acdstat supports:\n%s", out.String())
	}

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		name, env, want string
	}{
		{"a taken HTTP address", "ACDSTAT_HTTP_ADDR=" + taken.Addr().String(), "ACDSTAT_HTTP_ADDR: cannot listen on " + taken.Addr().String() + ": something listens there already (a running acdstat serve? --probe is for before serve starts)"},
		{"a ClickHouse that does not answer", "ACDSTAT_CLICKHOUSE_ADDR=" + freeAddr(t), "clickhouse"},
	} {
		err := run(context.Background(), testProcess(append(environ, tc.env), io.Discard, io.Discard), []string{"check-config", "--probe"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v; want an error naming %s", tc.name, err, tc.want)
		}
		// Without --probe the settings themselves are valid.
		if err := run(context.Background(), testProcess(append(environ, tc.env), io.Discard, io.Discard), []string{"check-config"}); err != nil {
			t.Errorf("%s, without --probe: %v", tc.name, err)
		}
	}
}
