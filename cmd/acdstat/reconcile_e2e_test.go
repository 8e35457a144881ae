package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestServeReconcilesOnItsSchedule: serve runs the reconcile job on
// ACDSTAT_RECONCILE_SCHEDULE and says what it recounted (what it recounts
// is store's TestReconcileCountsABucketWhoseTouchWasLost).
func TestServeReconcilesOnItsSchedule(t *testing.T) {
	environ := testEnv(t, "ACDSTAT_RECONCILE_SCHEDULE=@every 1s", "ACDSTAT_RECONCILE_WINDOW=24h", "ACDSTAT_LOG_LEVEL=info")
	ctx, cancel := context.WithCancel(context.Background())
	var logs lockedBuffer
	ended := make(chan error, 1)
	go func() {
		ended <- run(ctx, process{environ: environ, stdout: &logs, stderr: &logs, now: clockFrom(testToday)}, []string{"serve"})
	}()
	defer func() {
		cancel()
		if err := <-ended; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if s := logs.String(); strings.Contains(s, "msg=recounted component=reconcile window=24h0m0s") {
			return
		}
	}
	t.Errorf("serve did not say it recounted within 30 s; its log:\n%s", tail(logs.String(), 3000))
}
