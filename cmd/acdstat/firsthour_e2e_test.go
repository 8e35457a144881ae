package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// startServeArgs runs serve with args in this process until the test ends,
// at testToday.
func startServeArgs(t *testing.T, environ []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// ended is closed once serve has returned err; waitReady reads early
	// ends from done, which is fed from it.
	var err error
	ended := make(chan struct{})
	p := process{environ: environ, stdout: io.Discard, stderr: os.Stderr, now: clockFrom(testToday)}
	go func() { err = run(ctx, p, append([]string{"serve"}, args...)); close(ended) }()
	t.Cleanup(func() {
		cancel()
		<-ended
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	done := make(chan error, 1)
	go func() { <-ended; done <- err }()
	waitReady(t, "http://"+envValue(environ, "ACDSTAT_HTTP_ADDR"), done)
}

// TestServeQueuesFlagAppliesTheFile: serve --queues FILE applies the file
// at start, as ACDSTAT_QUEUES does and as the other commands' --queues do:
// the API then names the desks as the file does.
func TestServeQueuesFlagAppliesTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "queues.yaml")
	if err := os.WriteFile(file, []byte(hospitalQueues), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := testEnv(t)
	startServeArgs(t, environ, "--queues", file)
	resp, err := http.Get("http://" + envValue(environ, "ACDSTAT_HTTP_ADDR") + "/v1/queues")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var queues []struct {
		Name    string `json:"name"`
		Display string `json:"display"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&queues); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, q := range queues {
		names[q.Name] = q.Display
	}
	if names["klinisk"] != "Klinisk Servicedesk" || names["sp_helpdesk"] != "SP Helpdesk" {
		t.Errorf("GET /v1/queues after serve --queues: got %v; want the names of the file", names)
	}
}
